/// \file
/// A one-line progress report for long loops: step/total, the latest metrics, throughput and
/// ETA. On a terminal it redraws one line; otherwise (CI, a log file) it prints a line every
/// few seconds, so logs stay readable.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zg::io {

class Progress {
 public:
  /// `unit` names what `items` counts ("samples", "images").
  Progress(std::string label, int64_t total_steps, std::string unit = "samples",
           double log_every_seconds = 5.0);
  /// Reports that `step` (1-based) is done and that `items` were processed since the last call.
  void update(int64_t step, int64_t items,
              const std::vector<std::pair<std::string, double>>& metrics);
  /// Ends the line (and prints the final rate).
  void finish();
  double elapsed_seconds() const;
  double items_per_second() const;

 private:
  std::string label_, unit_;
  int64_t total_, first_step_ = -1, items_ = 0, last_step_ = 0;
  double log_every_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
  std::string line_;
};

std::string format_duration(double seconds);  ///< "1h02m", "3m05s", "12.3s"

}  // namespace zg::io
