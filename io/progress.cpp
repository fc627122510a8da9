#include "io/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace zg::io {

Progress::Progress(std::string label, int64_t total_steps, std::string unit, double log_every)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total_steps),
      log_every_(log_every),
      tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::items_per_second() const {
  double s = elapsed_seconds();
  return s > 0 ? static_cast<double>(items_) / s : 0.0;
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  auto total = static_cast<int64_t>(s + 0.5);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

void Progress::update(int64_t step, int64_t items,
                      const std::vector<std::pair<std::string, double>>& metrics) {
  // A resumed run starts counting its rate at its first reported step.
  if (first_step_ < 0) first_step_ = step - 1;
  items_ += items;
  last_step_ = step;
  auto now = std::chrono::steady_clock::now();
  bool last = step >= total_;
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (!last && since < (tty_ ? 0.25 : log_every_)) return;
  last_print_ = now;
  double elapsed = elapsed_seconds();
  double steps_done = static_cast<double>(step - first_step_);
  double eta = steps_done > 0 ? elapsed / steps_done * static_cast<double>(total_ - step) : NAN;
  line_ = fmt::format("{} step {}/{} ({:.0f}%)", label_, step, total_,
                      100.0 * static_cast<double>(step) / static_cast<double>(total_));
  for (const auto& [name, value] : metrics) line_ += fmt::format(" {}={:.4g}", name, value);
  line_ += fmt::format(" | {:.0f} {}/s | {} elapsed, ETA {}", items_per_second(), unit_,
                       format_duration(elapsed), format_duration(eta));
  if (tty_)
    fmt::print(stderr, "\r{}\033[K", line_);
  else
    fmt::print(stderr, "{}\n", line_);
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_ && !line_.empty()) fmt::print(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace zg::io
