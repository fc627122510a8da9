/// \file
/// Canvas: a small raster plotter for 2-D scatter plots (samples vs. data), loss curves and
/// density heatmaps, written to PNG.
///
/// Not a plotting library: a fixed-size RGB image, a data→pixel mapping for a plot area
/// inside fixed margins, a few primitives, and tick labels from stb_easy_font's bitmap font.
/// Enough for a reader to *see* mode collapse or a density match without leaving C++; for
/// publication figures, load samples.safetensors in Python instead.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/png.h"
#include "tensor/tensor.h"

namespace zg::io {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
};
inline constexpr Color kBlack{0, 0, 0}, kWhite{255, 255, 255}, kGray{150, 150, 150};
/// Matplotlib's "tab10" categorical colours, cycling: palette(0) blue, (1) orange, ...
Color palette(int64_t i);

class Canvas {
 public:
  explicit Canvas(int64_t width = 480, int64_t height = 360, Color background = kWhite);

  /// Data ranges of the plot area (default [0, 1]²); lo < hi, finite.
  Canvas& xlim(double lo, double hi);
  Canvas& ylim(double lo, double hi);
  /// Map y by log10 (limits and values must be > 0; other points are skipped).
  Canvas& log_y(bool on = true);
  /// Limits covering the finite points with a 5% border (a degenerate range gets ±1).
  Canvas& fit(const std::vector<double>& xs, const std::vector<double>& ys);
  /// Equal x and y limits around points [N, 2]: their bounding square, widened by `border`
  /// of its side on each side, so that points a model puts off the data still show.
  Canvas& fit_square(const Tensor& points, double border = 0.125);

  /// Filled discs of `radius` pixels (0 = single pixels), alpha-blended; points outside the
  /// plot area are clipped, NaNs skipped. points: [N, 2] tensor.
  void scatter(const Tensor& points, Color color, int64_t radius = 1, double alpha = 1.0);
  void scatter(const std::vector<double>& xs, const std::vector<double>& ys, Color color,
               int64_t radius = 1, double alpha = 1.0);
  /// A polyline through (xs[i], ys[i]); a NaN (or a non-positive y on log_y) breaks it.
  void line(const std::vector<double>& xs, const std::vector<double>& ys, Color color,
            int64_t thickness = 1);
  /// values [rows, cols] over the data rectangle [x0, x1] × [y0, y1] (row 0 at y0), coloured
  /// by a viridis-like map from lo to hi (default: the finite min and max).
  void heatmap(const Tensor& values, double x0, double x1, double y0, double y1,
               std::optional<double> lo = std::nullopt, std::optional<double> hi = std::nullopt);
  /// Frame, about `ticks` tick marks per axis at round numbers, with labels.
  void axes(int64_t ticks = 5);
  void title(const std::string& text);
  /// ASCII text with its top-left corner at pixel (px, py), scaled by an integer factor.
  void text(int64_t px, int64_t py, const std::string& s, Color color = kBlack, int64_t scale = 1);

  /// Pixel coordinates (column, row) of a data point (may lie outside the image).
  double px(double x) const;
  double py(double y) const;
  const Image& image() const { return img_; }
  void save(const std::string& path) const { save_png(path, img_); }

 private:
  void blend(int64_t x, int64_t y, Color c, double alpha);
  bool in_plot(int64_t x, int64_t y) const;

  Image img_;
  int64_t left_, right_, top_, bottom_;  ///< plot area, pixels: [left_, right_) × [top_, bottom_)
  double x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
  bool log_y_ = false;
};

/// Loss curves: the named columns of a metrics.csv against its first column (the step), one
/// colour per column with a legend, written to png_path. NaN/inf points break the line.
void plot_csv_columns(const std::string& csv_path, const std::vector<std::string>& columns,
                      const std::string& png_path, const std::string& title = "");

}  // namespace zg::io
