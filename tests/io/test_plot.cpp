// Canvas: the data→pixel mapping, what each primitive paints (and what it must not), clipping
// of far-away data, the colour map's ends, text, and a PNG round trip.
#include <cmath>

#include "io/csv.h"
#include "io/plot.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

io::Color pixel(const io::Canvas& c, int64_t x, int64_t y) {
  const auto& img = c.image();
  const uint8_t* p = &img.pixels[(y * img.width + x) * 3];
  return {p[0], p[1], p[2]};
}
bool same(io::Color a, io::Color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
int64_t count(const io::Canvas& c, io::Color col) {
  int64_t n = 0;
  for (int64_t y = 0; y < c.image().height; ++y)
    for (int64_t x = 0; x < c.image().width; ++x) n += same(pixel(c, x, y), col);
  return n;
}

TEST_CASE("plot: mapping, scatter, clipping") {
  io::Canvas c(200, 150);
  c.xlim(-1, 1).ylim(0, 10);
  double left = c.px(-1), right = c.px(1), bottom = c.py(0), top = c.py(10);
  CHECK(left < right);
  CHECK(top < bottom);  // rows grow downwards
  CHECK(c.px(0) == doctest::Approx((left + right) / 2));
  CHECK(c.py(5) == doctest::Approx((top + bottom) / 2));

  const io::Color red{255, 0, 0};
  c.scatter(std::vector<double>{0.0}, std::vector<double>{5.0}, red, 2);
  auto cx = static_cast<int64_t>(std::floor(c.px(0))),
       cy = static_cast<int64_t>(std::floor(c.py(5)));
  CHECK(same(pixel(c, cx, cy), red));
  CHECK(same(pixel(c, cx + 2, cy), red));
  CHECK(same(pixel(c, cx + 3, cy), io::kWhite));
  int64_t disc = count(c, red);
  CHECK(disc == 21);  // the radius-2 disc: 5×5 minus the 4 corners
  // Points outside the limits (and NaN, and 1e300) paint nothing.
  c.scatter(from_vector<double>({5, 5, -3, 20, NAN, 1, 1e300, 1e300}, {4, 2}), red, 2);
  CHECK(count(c, red) == disc);
  // Half-transparent blue over white.
  c.scatter(std::vector<double>{-0.5}, std::vector<double>{2.0}, {0, 0, 255}, 0, 0.5);
  CHECK(count(c, {128, 128, 255}) == 1);
}

TEST_CASE("plot: lines, clipped to the plot area; log scale") {
  io::Canvas c(200, 150);
  c.xlim(0, 1).ylim(0, 1);
  const io::Color g{0, 160, 0};
  c.line({0, 1}, {0.5, 0.5}, g);
  auto row = static_cast<int64_t>(std::lround(c.py(0.5)));
  for (int64_t x = static_cast<int64_t>(std::ceil(c.px(0))); x < static_cast<int64_t>(c.px(1)); ++x)
    CHECK(same(pixel(c, x, row), g));
  int64_t horizontal = count(c, g);
  // A segment to a point far outside is clipped: it costs nothing and paints only inside.
  c.line({0.5, 1e300}, {0.5, 1e300}, g);
  c.line({0.5, NAN}, {0.2, 0.3}, g);  // NaN breaks the line
  int64_t after = count(c, g);
  CHECK(after > horizontal);
  for (int64_t y = 0; y < c.image().height; ++y)
    for (int64_t x = 0; x < c.image().width; ++x)
      if (same(pixel(c, x, y), g)) {
        CHECK(x >= c.px(0) - 1);
        CHECK(x <= c.px(1));
        CHECK(y >= c.py(1) - 1);
        CHECK(y <= c.py(0));
      }
  io::Canvas l(200, 150);
  l.log_y().xlim(0, 1).ylim(1, 100);
  CHECK(l.py(10) == doctest::Approx((l.py(1) + l.py(100)) / 2));
  l.line({0, 0.5, 1}, {1, -1, 100}, g);  // the non-positive value breaks the line
  CHECK(count(l, g) == 0);
  l.fit({0, 1, 2}, {0.01, 1, 1000});
  // fit pads the log range [−2, 3] by 5% of its width on each side.
  io::Canvas m(200, 150);
  m.log_y().xlim(-0.1, 2.1).ylim(std::pow(10.0, -2.25), std::pow(10.0, 3.25));
  for (double v : {0.01, 1.0, 1000.0}) CHECK(l.py(v) == doctest::Approx(m.py(v)));
  CHECK(l.px(2) == doctest::Approx(m.px(2)));
}

TEST_CASE("plot: heatmap ends, axes, text, fit, save") {
  TempDir dir;
  io::Canvas c(220, 160);
  c.xlim(0, 1).ylim(0, 1);
  c.heatmap(linspace(0, 1, 8).unsqueeze(0).expand({4, 8}), 0, 1, 0, 1);
  int64_t y = static_cast<int64_t>(c.py(0.5));
  CHECK(same(pixel(c, static_cast<int64_t>(c.px(0.01)), y), {68, 1, 84}));     // low end
  CHECK(same(pixel(c, static_cast<int64_t>(c.px(0.99)), y), {253, 231, 37}));  // high end
  // Row 0 is at y0 (the bottom): values growing with the row index are dark at the bottom.
  c.heatmap(linspace(0, 1, 4).unsqueeze(1).expand({4, 8}), 0, 1, 0, 1);
  int64_t x = static_cast<int64_t>(c.px(0.5));
  CHECK(same(pixel(c, x, static_cast<int64_t>(c.py(0.01))), {68, 1, 84}));
  CHECK(same(pixel(c, x, static_cast<int64_t>(c.py(0.99))), {253, 231, 37}));
  io::Canvas a(220, 160);
  a.axes();
  a.title("loss ü");  // non-ASCII becomes '?', no out-of-bounds read
  int64_t black = count(a, io::kBlack);
  CHECK(black > 2 * (220 + 160) - 200);  // at least the frame
  a.text(5, 5, "12345", io::kBlack, 2);
  CHECK(count(a, io::kBlack) > black);
  a.fit({1, 2, 3}, {-4, 0, 4});
  CHECK(a.px(1) > a.px(0.5));
  CHECK(a.py(4) > 0);
  a.save(dir.file("plot.png"));
  io::Image back = io::load_png(dir.file("plot.png"));
  CHECK(back.pixels == a.image().pixels);

  CHECK_ZG_ERROR(io::Canvas(10, 10), "Canvas", "10x10");
  CHECK_ZG_ERROR(a.xlim(1, 1), "x limits", "[1, 1]");
  CHECK_ZG_ERROR(a.scatter(zeros({3, 3}), io::kBlack), "scatter", "[3, 3]");
  CHECK_ZG_ERROR(a.line({1, 2}, {1}, io::kBlack), "line", "2 xs", "1 ys");
  CHECK_ZG_ERROR(a.heatmap(zeros({3}), 0, 1, 0, 1), "heatmap", "[3]");
}

}  // namespace
}  // namespace zg::test

TEST_CASE("plot_csv_columns: a loss-curve PNG from metrics.csv; unknown columns are errors") {
  zg::test::TempDir tmp;
  std::string csv = tmp.path().string() + "/metrics.csv", png = tmp.path().string() + "/l.png";
  {
    zg::io::CsvWriter w(csv, {"step", "d_loss", "g_loss"});
    for (int s = 1; s <= 20; ++s) w.row({double(s), 1.0 / s, 0.1 * s});
  }
  zg::io::plot_csv_columns(csv, {"d_loss", "g_loss"}, png, "losses");
  zg::io::Image img = zg::io::load_png(png);
  CHECK(img.width == 640);
  CHECK(img.height == 400);
  // Both curves' colours are drawn somewhere.
  auto has = [&](zg::io::Color c) {
    for (size_t i = 0; i + 2 < img.pixels.size(); i += img.channels)
      if (img.pixels[i] == c.r && img.pixels[i + 1] == c.g && img.pixels[i + 2] == c.b) return true;
    return false;
  };
  CHECK(has(zg::io::palette(0)));
  CHECK(has(zg::io::palette(1)));
  CHECK_ZG_ERROR(zg::io::plot_csv_columns(csv, {"accuracy"}, png), "no column \"accuracy\"");
}

namespace zg::test {
namespace {

TEST_CASE("plot: fit_square centres equal x and y ranges on the points, with a border") {
  // Points spanning x in [0, 4], y in [1, 2]: a square of side 4·(1 + 2·0.25) = 6 around
  // their centre (2, 1.5), i.e. the limits x [−1, 5], y [−1.5, 4.5].
  io::Canvas fitted(200, 160), expected(200, 160);
  fitted.fit_square(from_vector(std::vector<double>{0, 1, 4, 2}, {2, 2}), 0.25);
  expected.xlim(-1, 5).ylim(-1.5, 4.5);
  for (double v : {-1.0, 0.0, 2.5, 5.0}) {
    CHECK(fitted.px(v) == doctest::Approx(expected.px(v)));
    CHECK(fitted.py(v) == doctest::Approx(expected.py(v)));
  }
  CHECK_ZG_ERROR(fitted.fit_square(zeros({3})), "expected points [N, 2]");
}

}  // namespace
}  // namespace zg::test
