// PNG grids: pixel values and layout as torchvision's make_grid/save_image define them,
// a decode round trip through stb_image, the PNG header fields, and bad arguments.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/png.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

uint8_t at(const io::Image& img, int64_t y, int64_t x, int64_t c = 0) {
  return img.pixels.at((y * img.width + x) * img.channels + c);
}

TEST_CASE("png: grid layout, value mapping, clamping and rounding") {
  // Three 2×2 gray images, two per row, padding 1: a 7×7 grid.
  Tensor imgs = from_vector<double>({0.0, 1.0, 0.5, 0.25,    // image 0
                                     -0.1, 1.2, NAN, 0.002,  // image 1: clamped, NaN → 0
                                     1.0, 1.0, 1.0, 1.0},    // image 2
                                    {3, 1, 2, 2});
  io::Image g = io::make_image_grid(imgs, 2, 0.0, 1.0, 1);
  REQUIRE(g.height == 7);
  REQUIRE(g.width == 7);
  REQUIRE(g.channels == 1);
  // Image 0 at (1, 1): v·255 + 0.5, truncated (torchvision's save_image).
  CHECK(at(g, 1, 1) == 0);
  CHECK(at(g, 1, 2) == 255);
  CHECK(at(g, 2, 1) == 128);  // 127.5 + 0.5
  CHECK(at(g, 2, 2) == 64);   // 63.75 + 0.5
  // Image 1 at (1, 4).
  CHECK(at(g, 1, 4) == 0);
  CHECK(at(g, 1, 5) == 255);
  CHECK(at(g, 2, 4) == 0);
  CHECK(at(g, 2, 5) == 1);  // 0.51 + 0.5
  // Image 2 at (4, 1); the empty slot at (4, 4) and all padding are 0.
  for (int64_t y : {4, 5})
    for (int64_t x : {1, 2}) CHECK(at(g, y, x) == 255);
  int64_t lit = 0;
  for (uint8_t p : g.pixels) lit += p != 0;
  CHECK(lit == 3 + 2 + 4);  // nothing else was painted
  // lo = −1: images in [−1, 1].
  io::Image h = io::make_image_grid(from_vector<float>({-1.f, 0.f, 1.f, 0.5f}, {1, 1, 2, 2}), 8,
                                    -1.0, 1.0, 0);
  CHECK(h.pixels == std::vector<uint8_t>{0, 128, 255, 191});  // 191.25 + 0.5
}

TEST_CASE("png: RGB grids keep channels interleaved; files decode to the same pixels") {
  TempDir dir;
  Tensor rgb = rand({5, 3, 4, 6}, kFloat32);
  io::Image g = io::make_image_grid(rgb, 3);
  CHECK(g.channels == 3);
  CHECK(g.height == 2 * (4 + 2) + 2);
  CHECK(g.width == 3 * (6 + 2) + 2);
  // Image 4 is at grid row 1, column 1; its channel 2, pixel (3, 5):
  float v = rgb.select(0, 4).select(0, 2).select(0, 3).select(0, 5).item<float>();
  CHECK(at(g, 2 + 6 + 3, 2 + 8 + 5, 2) == static_cast<uint8_t>(v * 255.0 + 0.5));

  for (const Tensor& t : {rgb, rand({7, 1, 5, 3}, kFloat64)}) {
    std::string path = dir.file("grid.png");
    io::save_image_grid(path, t, 4);
    io::Image back = io::load_png(path);
    io::Image want = io::make_image_grid(t, 4);
    CHECK(back.height == want.height);
    CHECK(back.width == want.width);
    CHECK(back.channels == want.channels);
    CHECK(back.pixels == want.pixels);
    // The PNG header says what we meant: signature, IHDR width/height, 8-bit, gray or RGB.
    std::ifstream f(path, std::ios::binary);
    std::string head(26, '\0');
    f.read(head.data(), 26);
    CHECK(head.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    CHECK(head.substr(12, 4) == "IHDR");
    auto be32 = [&](int o) {
      return (uint32_t(uint8_t(head[o])) << 24) | (uint32_t(uint8_t(head[o + 1])) << 16) |
             (uint32_t(uint8_t(head[o + 2])) << 8) | uint32_t(uint8_t(head[o + 3]));
    };
    CHECK(be32(16) == want.width);
    CHECK(be32(20) == want.height);
    CHECK(head[24] == 8);
    CHECK(head[25] == (want.channels == 1 ? 0 : 2));
  }
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);  // no temporary left
}

TEST_CASE("png: bad arguments and unreadable files") {
  TempDir dir;
  CHECK_ZG_ERROR(io::make_image_grid(zeros({2, 2, 4, 4})), "save_image_grid", "[2, 2, 4, 4]");
  CHECK_ZG_ERROR(io::make_image_grid(zeros({4, 4})), "save_image_grid", "[4, 4]");
  CHECK_ZG_ERROR(io::make_image_grid(zeros({0, 1, 4, 4})), "save_image_grid", "[0, 1, 4, 4]");
  CHECK_ZG_ERROR(io::make_image_grid(zeros({1, 1, 4, 4}), 0), "nrow", "0");
  CHECK_ZG_ERROR(io::make_image_grid(zeros({1, 1, 4, 4}), 8, 1.0, 1.0), "lo < hi", "[1, 1]");
  CHECK_ZG_ERROR(io::save_image_grid(dir.file("none/x.png"), zeros({1, 1, 4, 4})), "x.png",
                 "cannot create");
  std::vector<uint8_t> px(12);
  CHECK_ZG_ERROR(io::save_png(dir.file("y.png"), px.data(), 2, 2, 2), "y.png", "channels", "2");
  CHECK_ZG_ERROR(io::load_png(dir.file("missing.png")), "load_png", "missing.png");
  std::ofstream(dir.file("junk.png")) << "not a png";
  CHECK_ZG_ERROR(io::load_png(dir.file("junk.png")), "load_png", "junk.png", "cannot decode");
}

}  // namespace
}  // namespace zg::test

namespace zg::test {
namespace {

TEST_CASE("png: hconcat_images places images left to right and refuses mismatches") {
  io::Image a{2, 1, 1, {1, 2}}, b{2, 2, 1, {3, 4, 5, 6}};
  io::Image ab = io::hconcat_images({a, b});
  CHECK(ab.width == 3);
  CHECK(ab.height == 2);
  CHECK(ab.pixels == std::vector<uint8_t>{1, 3, 4, 2, 5, 6});
  CHECK_ZG_ERROR(io::hconcat_images({a, io::Image{3, 1, 1, {0, 0, 0}}}), "image 1 is 3x1x1");
  CHECK_ZG_ERROR(io::hconcat_images({}), "no images");
}

}  // namespace
}  // namespace zg::test
