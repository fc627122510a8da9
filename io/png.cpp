// The one translation unit that instantiates stb_image_write and stb_image (PNG only).
#include "io/png.h"

#include <algorithm>
#include <cmath>

#include "io/atomic_file.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace zg::io {

void save_png(const std::string& path, const uint8_t* hwc, int64_t height, int64_t width,
              int64_t channels) {
  ZG_CHECK(height > 0 && width > 0 && height <= (1 << 20) && width <= (1 << 20),
           "save_png {}: bad size {}x{}", path, height, width);
  ZG_CHECK(channels == 1 || channels == 3 || channels == 4,
           "save_png {}: channels must be 1, 3 or 4, got {}", path, channels);
  std::string encoded;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size);
  };
  int ok =
      stbi_write_png_to_func(sink, &encoded, static_cast<int>(width), static_cast<int>(height),
                             static_cast<int>(channels), hwc, static_cast<int>(width * channels));
  ZG_CHECK(ok != 0 && !encoded.empty(), "save_png {}: PNG encoding failed", path);
  AtomicFile f(path);
  f.write(encoded.data(), encoded.size());
  f.commit();
}

void save_png(const std::string& path, const Image& image) {
  ZG_CHECK(static_cast<int64_t>(image.pixels.size()) == image.height * image.width * image.channels,
           "save_png {}: {} pixel bytes for a {}x{}x{} image", path, image.pixels.size(),
           image.height, image.width, image.channels);
  save_png(path, image.pixels.data(), image.height, image.width, image.channels);
}

Image load_png(const std::string& path) {
  std::string bytes = read_file_bytes(path, "load_png");
  int w = 0, h = 0, c = 0;
  ZG_CHECK(bytes.size() <= static_cast<size_t>(INT32_MAX), "load_png {}: file too large", path);
  stbi_uc* p = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                     static_cast<int>(bytes.size()), &w, &h, &c, 0);
  ZG_CHECK(p != nullptr, "load_png {}: cannot decode: {}", path, stbi_failure_reason());
  Image img{h, w, c, std::vector<uint8_t>(p, p + static_cast<size_t>(w) * h * c)};
  stbi_image_free(p);
  return img;
}

Image hconcat_images(const std::vector<Image>& images) {
  ZG_CHECK(!images.empty(), "hconcat_images: no images");
  Image out{images[0].height, 0, images[0].channels, {}};
  for (size_t i = 0; i < images.size(); ++i) {
    ZG_CHECK(images[i].height == out.height && images[i].channels == out.channels,
             "hconcat_images: image {} is {}x{}x{}, the first {}x{}x{}", i, images[i].height,
             images[i].width, images[i].channels, out.height, images[0].width, out.channels);
    out.width += images[i].width;
  }
  out.pixels.resize(out.height * out.width * out.channels);
  int64_t x0 = 0;
  for (const auto& im : images) {
    for (int64_t y = 0; y < im.height; ++y)
      std::copy_n(im.pixels.begin() + y * im.width * im.channels, im.width * im.channels,
                  out.pixels.begin() + (y * out.width + x0) * out.channels);
    x0 += im.width;
  }
  return out;
}

Image make_image_grid(const Tensor& images, int64_t nrow, double lo, double hi, int64_t padding) {
  ZG_CHECK(images.defined() && images.dim() == 4 && images.size(0) > 0 &&
               (images.size(1) == 1 || images.size(1) == 3) && images.size(2) > 0 &&
               images.size(3) > 0,
           "save_image_grid: expected images [N > 0, C = 1 or 3, H, W], got {}",
           images.defined() ? shape_str(images.shape()) : "undefined");
  ZG_CHECK(nrow > 0 && padding >= 0, "save_image_grid: need nrow > 0 and padding >= 0, got {}, {}",
           nrow, padding);
  ZG_CHECK(hi > lo && std::isfinite(lo) && std::isfinite(hi),
           "save_image_grid: need finite lo < hi, got [{}, {}]", lo, hi);
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t cols = std::min(nrow, n), rows = (n + cols - 1) / cols;
  Image img;
  img.height = rows * (h + padding) + padding;
  img.width = cols * (w + padding) + padding;
  img.channels = c;
  ZG_CHECK(img.height <= (1 << 20) && img.width <= (1 << 20),
           "save_image_grid: a {}x{} grid is too large", img.height, img.width);
  img.pixels.assign(img.height * img.width * c, 0);
  auto v = images.to(kFloat64).to_vector<double>();  // CPU, contiguous, row-major
  const double scale = 255.0 / (hi - lo);
  for (int64_t i = 0; i < n; ++i) {
    int64_t y0 = padding + (i / cols) * (h + padding), x0 = padding + (i % cols) * (w + padding);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          double q = (v[((i * c + ch) * h + y) * w + x] - lo) * scale + 0.5;
          q = std::isnan(q) ? 0.0 : std::clamp(q, 0.0, 255.0);
          img.pixels[((y0 + y) * img.width + x0 + x) * c + ch] = static_cast<uint8_t>(q);
        }
  }
  return img;
}

void save_image_grid(const std::string& path, const Tensor& images, int64_t nrow, double lo,
                     double hi, int64_t padding) {
  save_png(path, make_image_grid(images, nrow, lo, hi, padding));
}

}  // namespace zg::io
