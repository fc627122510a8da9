// Rasterisation is deliberately simple: discs by distance test, lines by stepping one pixel
// at a time along segments clipped to the plot area (so a point at 1e300 costs nothing),
// text from stb_easy_font's quads.
#include "io/plot.h"

#include "io/csv.h"

#include <algorithm>
#include <array>
#include <cmath>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

namespace zg::io {

Color palette(int64_t i) {
  static constexpr std::array<Color, 10> kTab10{{{31, 119, 180},
                                                 {255, 127, 14},
                                                 {44, 160, 44},
                                                 {214, 39, 40},
                                                 {148, 103, 189},
                                                 {140, 86, 75},
                                                 {227, 119, 194},
                                                 {127, 127, 127},
                                                 {188, 189, 34},
                                                 {23, 190, 207}}};
  return kTab10[static_cast<size_t>(((i % 10) + 10) % 10)];
}

Canvas::Canvas(int64_t width, int64_t height, Color background) {
  ZG_CHECK(width >= 64 && height >= 64 && width <= 8192 && height <= 8192,
           "Canvas: size {}x{} must be within 64..8192", width, height);
  img_.width = width;
  img_.height = height;
  img_.channels = 3;
  img_.pixels.resize(width * height * 3);
  for (int64_t i = 0; i < width * height; ++i) {
    img_.pixels[3 * i] = background.r;
    img_.pixels[3 * i + 1] = background.g;
    img_.pixels[3 * i + 2] = background.b;
  }
  left_ = 52;  // room for tick labels
  right_ = width - 12;
  top_ = 22;  // room for a title
  bottom_ = height - 26;
}

Canvas& Canvas::xlim(double lo, double hi) {
  ZG_CHECK(lo < hi && std::isfinite(lo) && std::isfinite(hi), "Canvas: bad x limits [{}, {}]", lo,
           hi);
  x0_ = lo;
  x1_ = hi;
  return *this;
}

Canvas& Canvas::ylim(double lo, double hi) {
  ZG_CHECK(lo < hi && std::isfinite(lo) && std::isfinite(hi) && (!log_y_ || lo > 0),
           "Canvas: bad y limits [{}, {}]{}", lo, hi, log_y_ ? " (log scale)" : "");
  y0_ = lo;
  y1_ = hi;
  return *this;
}

Canvas& Canvas::log_y(bool on) {
  log_y_ = on;
  if (on && y0_ <= 0) y0_ = y1_ / 10;
  return *this;
}

Canvas& Canvas::fit_square(const Tensor& points, double border) {
  ZG_CHECK(points.dim() == 2 && points.size(1) == 2 && points.size(0) > 0,
           "Canvas::fit_square: expected points [N, 2] with N > 0, got {}",
           shape_str(points.shape()));
  auto xs = points.select(1, 0).to(kFloat64).contiguous().to_vector<double>();
  auto ys = points.select(1, 1).to(kFloat64).contiguous().to_vector<double>();
  auto [xlo, xhi] = std::minmax_element(xs.begin(), xs.end());
  auto [ylo, yhi] = std::minmax_element(ys.begin(), ys.end());
  double cx = (*xlo + *xhi) / 2, cy = (*ylo + *yhi) / 2;
  double half = (0.5 + border) * std::max({*xhi - *xlo, *yhi - *ylo, 1e-3});
  return xlim(cx - half, cx + half).ylim(cy - half, cy + half);
}

Canvas& Canvas::fit(const std::vector<double>& xs, const std::vector<double>& ys) {
  ZG_CHECK(xs.size() == ys.size(), "Canvas::fit: {} xs but {} ys", xs.size(), ys.size());
  double ax = INFINITY, bx = -INFINITY, ay = INFINITY, by = -INFINITY;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i]) || (log_y_ && ys[i] <= 0)) continue;
    ax = std::min(ax, xs[i]);
    bx = std::max(bx, xs[i]);
    ay = std::min(ay, ys[i]);
    by = std::max(by, ys[i]);
  }
  if (!(ax <= bx)) return *this;  // nothing finite: keep the limits
  auto pad = [](double& lo, double& hi) {
    double d = hi - lo;
    if (d <= 0) d = std::max(1.0, std::abs(lo));
    lo -= 0.05 * d;
    hi += 0.05 * d;
  };
  pad(ax, bx);
  if (log_y_) {
    double la = std::log10(ay), lb = std::log10(by);
    pad(la, lb);
    ay = std::pow(10.0, la);
    by = std::pow(10.0, lb);
  } else {
    pad(ay, by);
  }
  xlim(ax, bx);
  return ylim(ay, by);
}

double Canvas::px(double x) const { return left_ + (x - x0_) / (x1_ - x0_) * (right_ - left_); }

double Canvas::py(double y) const {
  double t = log_y_ ? (std::log10(y) - std::log10(y0_)) / (std::log10(y1_) - std::log10(y0_))
                    : (y - y0_) / (y1_ - y0_);
  return bottom_ - t * (bottom_ - top_);
}

bool Canvas::in_plot(int64_t x, int64_t y) const {
  return x >= left_ && x < right_ && y >= top_ && y < bottom_;
}

void Canvas::blend(int64_t x, int64_t y, Color c, double alpha) {
  if (x < 0 || y < 0 || x >= img_.width || y >= img_.height) return;
  uint8_t* p = &img_.pixels[(y * img_.width + x) * 3];
  auto mix = [alpha](uint8_t old, uint8_t v) {
    return static_cast<uint8_t>(std::lround(old + alpha * (static_cast<double>(v) - old)));
  };
  p[0] = mix(p[0], c.r);
  p[1] = mix(p[1], c.g);
  p[2] = mix(p[2], c.b);
}

void Canvas::scatter(const std::vector<double>& xs, const std::vector<double>& ys, Color color,
                     int64_t radius, double alpha) {
  ZG_CHECK(xs.size() == ys.size(), "Canvas::scatter: {} xs but {} ys", xs.size(), ys.size());
  ZG_CHECK(radius >= 0 && radius <= 64 && alpha >= 0 && alpha <= 1,
           "Canvas::scatter: need 0 <= radius <= 64 and 0 <= alpha <= 1, got {}, {}", radius,
           alpha);
  for (size_t i = 0; i < xs.size(); ++i) {
    if (log_y_ && !(ys[i] > 0)) continue;
    double cx = px(xs[i]), cy = py(ys[i]);
    if (!std::isfinite(cx) || !std::isfinite(cy)) continue;
    if (cx < left_ - radius - 1 || cx > right_ + radius + 1 || cy < top_ - radius - 1 ||
        cy > bottom_ + radius + 1)
      continue;
    auto ix = static_cast<int64_t>(std::floor(cx)), iy = static_cast<int64_t>(std::floor(cy));
    for (int64_t dy = -radius; dy <= radius; ++dy)
      for (int64_t dx = -radius; dx <= radius; ++dx)
        if (dx * dx + dy * dy <= radius * radius + radius && in_plot(ix + dx, iy + dy))
          blend(ix + dx, iy + dy, color, alpha);
  }
}

void Canvas::scatter(const Tensor& points, Color color, int64_t radius, double alpha) {
  ZG_CHECK(points.defined() && points.dim() == 2 && points.size(1) == 2,
           "Canvas::scatter: expected points [N, 2], got {}",
           points.defined() ? shape_str(points.shape()) : "undefined");
  auto v = points.to(kFloat64).to_vector<double>();
  std::vector<double> xs(v.size() / 2), ys(v.size() / 2);
  for (size_t i = 0; i < xs.size(); ++i) {
    xs[i] = v[2 * i];
    ys[i] = v[2 * i + 1];
  }
  scatter(xs, ys, color, radius, alpha);
}

void Canvas::line(const std::vector<double>& xs, const std::vector<double>& ys, Color color,
                  int64_t thickness) {
  ZG_CHECK(xs.size() == ys.size(), "Canvas::line: {} xs but {} ys", xs.size(), ys.size());
  ZG_CHECK(thickness >= 1 && thickness <= 16, "Canvas::line: thickness {} not in 1..16", thickness);
  const int64_t lo = -(thickness - 1) / 2, hi = thickness / 2;
  for (size_t i = 1; i < xs.size(); ++i) {
    if (log_y_ && !(ys[i - 1] > 0 && ys[i] > 0)) continue;
    double ax = px(xs[i - 1]), ay = py(ys[i - 1]), bx = px(xs[i]), by = py(ys[i]);
    if (!std::isfinite(ax) || !std::isfinite(ay) || !std::isfinite(bx) || !std::isfinite(by))
      continue;
    // Liang–Barsky clip of the segment to the plot area.
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    bool visible = true;
    auto clip = [&](double p, double q) {
      if (p == 0) {
        if (q < 0) visible = false;
        return;
      }
      double r = q / p;
      if (p < 0)
        t0 = std::max(t0, r);
      else
        t1 = std::min(t1, r);
    };
    clip(-dx, ax - left_);
    clip(dx, right_ - 1 - ax);
    clip(-dy, ay - top_);
    clip(dy, bottom_ - 1 - ay);
    if (!visible || t0 > t1) continue;
    double sx = ax + t0 * dx, sy = ay + t0 * dy, ex = ax + t1 * dx, ey = ay + t1 * dy;
    auto steps = static_cast<int64_t>(std::ceil(std::max(std::abs(ex - sx), std::abs(ey - sy))));
    for (int64_t k = 0; k <= steps; ++k) {
      double f = steps == 0 ? 0 : static_cast<double>(k) / steps;
      auto x = static_cast<int64_t>(std::lround(sx + f * (ex - sx)));
      auto y = static_cast<int64_t>(std::lround(sy + f * (ey - sy)));
      for (int64_t oy = lo; oy <= hi; ++oy)
        for (int64_t ox = lo; ox <= hi; ++ox)
          if (in_plot(x + ox, y + oy)) blend(x + ox, y + oy, color, 1.0);
    }
  }
}

void Canvas::heatmap(const Tensor& values, double x0, double x1, double y0, double y1,
                     std::optional<double> lo, std::optional<double> hi) {
  ZG_CHECK(values.defined() && values.dim() == 2 && values.numel() > 0,
           "Canvas::heatmap: expected values [rows, cols], got {}",
           values.defined() ? shape_str(values.shape()) : "undefined");
  ZG_CHECK(x0 < x1 && y0 < y1, "Canvas::heatmap: empty rectangle [{}, {}] x [{}, {}]", x0, x1, y0,
           y1);
  const int64_t rows = values.size(0), cols = values.size(1);
  auto v = values.to(kFloat64).to_vector<double>();
  double vmin = INFINITY, vmax = -INFINITY;
  for (double x : v)
    if (std::isfinite(x)) vmin = std::min(vmin, x), vmax = std::max(vmax, x);
  double a = lo.value_or(vmin), b = hi.value_or(vmax);
  if (!(a < b)) b = a + 1;  // constant (or no finite) values: one colour
  static constexpr std::array<Color, 5> kViridis{
      {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  for (int64_t y = top_; y < bottom_; ++y)
    for (int64_t x = left_; x < right_; ++x) {
      double dx = x0_ + (x + 0.5 - left_) / (right_ - left_) * (x1_ - x0_);
      double t = (bottom_ - (y + 0.5)) / (bottom_ - top_);
      double dy = log_y_ ? std::pow(10.0, std::log10(y0_) + t * (std::log10(y1_) - std::log10(y0_)))
                         : y0_ + t * (y1_ - y0_);
      if (dx < x0 || dx >= x1 || dy < y0 || dy >= y1) continue;
      auto c = std::min(cols - 1, static_cast<int64_t>((dx - x0) / (x1 - x0) * cols));
      auto r = std::min(rows - 1, static_cast<int64_t>((dy - y0) / (y1 - y0) * rows));
      double val = v[r * cols + c];
      if (!std::isfinite(val) && !(val == -INFINITY)) continue;  // NaN / +inf: leave blank
      double s = std::clamp((val - a) / (b - a), 0.0, 1.0) * 4;  // -inf → 0
      auto k = std::min<int64_t>(3, static_cast<int64_t>(s));
      double f = s - k;
      Color c0 = kViridis[k], c1 = kViridis[k + 1];
      auto lerp = [f](uint8_t p, uint8_t q) {
        return static_cast<uint8_t>(std::lround(p + f * (static_cast<double>(q) - p)));
      };
      blend(x, y, {lerp(c0.r, c1.r), lerp(c0.g, c1.g), lerp(c0.b, c1.b)}, 1.0);
    }
}

namespace {

// Round tick positions (1, 2 or 5 × 10^k apart) covering [lo, hi], about n of them.
std::vector<double> nice_ticks(double lo, double hi, int64_t n) {
  double raw = (hi - lo) / std::max<int64_t>(n, 1);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step && t.size() < 50; v += step)
    t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

// stb_easy_font indexes a table by (char − 32): anything outside printable ASCII would read
// out of bounds, so it becomes '?'.
std::string printable(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c < 32 || c > 126) c = '?';
  return out;
}

}  // namespace

void Canvas::text(int64_t px0, int64_t py0, const std::string& s, Color color, int64_t scale) {
  ZG_CHECK(scale >= 1 && scale <= 8, "Canvas::text: scale {} not in 1..8", scale);
  std::string str = printable(s);
  std::vector<char> buf(str.size() * 300 + 64);
  int quads =
      stb_easy_font_print(0, 0, str.data(), nullptr, buf.data(), static_cast<int>(buf.size()));
  // Each vertex is x, y, z (floats) and 4 colour bytes: 16 bytes; 4 vertices per quad.
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buf.data() + q * 64);
    const float* v2 = reinterpret_cast<const float*>(buf.data() + q * 64 + 32);
    for (int64_t y = static_cast<int64_t>(v0[1]) * scale; y < static_cast<int64_t>(v2[1]) * scale;
         ++y)
      for (int64_t x = static_cast<int64_t>(v0[0]) * scale; x < static_cast<int64_t>(v2[0]) * scale;
           ++x)
        blend(px0 + x, py0 + y, color, 1.0);
  }
}

void Canvas::title(const std::string& s) {
  std::string str = printable(s);
  int64_t w = stb_easy_font_width(str.data());
  text((left_ + right_) / 2 - w / 2, 6, s);
}

void Canvas::axes(int64_t ticks) {
  for (int64_t x = left_ - 1; x <= right_; ++x)
    blend(x, top_ - 1, kBlack, 1), blend(x, bottom_, kBlack, 1);
  for (int64_t y = top_ - 1; y <= bottom_; ++y)
    blend(left_ - 1, y, kBlack, 1), blend(right_, y, kBlack, 1);
  for (double t : nice_ticks(x0_, x1_, ticks)) {
    auto x = static_cast<int64_t>(std::lround(px(t)));
    for (int64_t k = 1; k <= 4; ++k) blend(x, bottom_ + k, kBlack, 1);
    std::string label = fmt::format("{:g}", t);
    text(x - stb_easy_font_width(label.data()) / 2, bottom_ + 7, label);
  }
  std::vector<double> yt;
  if (log_y_) {
    for (double e = std::ceil(std::log10(y0_)); e <= std::floor(std::log10(y1_)); ++e)
      yt.push_back(std::pow(10.0, e));
  } else {
    yt = nice_ticks(y0_, y1_, ticks);
  }
  for (double t : yt) {
    auto y = static_cast<int64_t>(std::lround(py(t)));
    for (int64_t k = 1; k <= 4; ++k) blend(left_ - 1 - k, y, kBlack, 1);
    std::string label = fmt::format("{:g}", t);
    text(left_ - 8 - stb_easy_font_width(label.data()), y - 3, label);
  }
}

void plot_csv_columns(const std::string& csv_path, const std::vector<std::string>& columns,
                      const std::string& png_path, const std::string& title) {
  CsvTable table = read_csv(csv_path);
  ZG_CHECK(!columns.empty(), "plot_csv_columns {}: no columns to plot", csv_path);
  std::vector<double> steps = table.column(table.columns[0]);
  std::vector<double> all_x, all_y;
  std::vector<std::vector<double>> curves;
  for (const std::string& c : columns) {
    curves.push_back(table.column(c));
    all_x.insert(all_x.end(), steps.begin(), steps.end());
    all_y.insert(all_y.end(), curves.back().begin(), curves.back().end());
  }
  Canvas canvas(640, 400);
  canvas.fit(all_x, all_y);
  for (size_t i = 0; i < curves.size(); ++i) {
    canvas.line(steps, curves[i], palette(static_cast<int64_t>(i)), 2);
    canvas.text(70 + 110 * static_cast<int64_t>(i), 30, columns[i],
                palette(static_cast<int64_t>(i)));
  }
  canvas.axes();
  canvas.title(title.empty() ? csv_path : title);
  canvas.save(png_path);
}

}  // namespace zg::io
