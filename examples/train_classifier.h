// `zerogen train-classifier`: see train_classifier.cpp for the story.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace zg::examples {

struct ClassifierConfig {
  std::string data_dir;  // default: Debian's Fashion-MNIST
  std::string run_dir = "runs/classifier";
  std::string device = "cpu";  // see parse_device
  int64_t epochs = 4;
  int64_t batch_size = 128;
  double lr = 2e-3;
  double weight_decay = 1e-4;
  int64_t warmup_steps = 100;
  uint64_t seed = 0;
  bool resume = false;
  int64_t stop_after = 0;   // stop (with a checkpoint) after this many steps; 0 = run all
  int64_t train_limit = 0;  // use only the first N training images; 0 = all
  int64_t test_limit = 0;   // evaluate on the first N test images; 0 = all
  int64_t log_every = 50;   // steps between metrics.csv rows
  bool quiet = false;       // no progress line (tests)
};

struct ClassifierResult {
  int64_t steps = 0;
  double test_accuracy = 0, seconds = 0;
};

ClassifierResult train_classifier(const ClassifierConfig& config);
void add_train_classifier_command(CLI::App& app, int& exit_code);

}  // namespace zg::examples
