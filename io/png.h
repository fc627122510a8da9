/// \file
/// PNG output: image grids of samples (as torchvision's save_image) and raw 8-bit buffers.
///
/// Encoding is stb_image_write's (a header-only encoder Debian ships); files are written
/// through AtomicFile, so a reader polling samples_<step>.png never sees half an image.
/// load_png (stb_image) exists for tests and for round-trip checks.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace zg::io {

/// An 8-bit image, rows top to bottom, channels interleaved (HWC).
struct Image {
  int64_t height = 0, width = 0, channels = 0;  ///< channels 1 (gray), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> pixels;                  ///< height × width × channels
};

void save_png(const std::string& path, const uint8_t* hwc, int64_t height, int64_t width,
              int64_t channels);
void save_png(const std::string& path, const Image& image);
Image load_png(const std::string& path);
/// The images side by side, left to right (equal heights and channel counts, else zg::Error).
Image hconcat_images(const std::vector<Image>& images);

/// Tiles images [N, C, H, W] (C = 1 or 3, any float dtype or int64) into a grid of `nrow`
/// images per row with `padding` black pixels around each, as torchvision's make_grid.
/// Values map (v − lo)/(hi − lo) → [0, 255], clamped (NaN → 0); rounding is half up, as
/// torchvision's save_image. Pass lo = −1 for images in [−1, 1] (tanh outputs).
Image make_image_grid(const Tensor& images, int64_t nrow = 8, double lo = 0.0, double hi = 1.0,
                      int64_t padding = 2);
void save_image_grid(const std::string& path, const Tensor& images, int64_t nrow = 8,
                     double lo = 0.0, double hi = 1.0, int64_t padding = 2);

}  // namespace zg::io
