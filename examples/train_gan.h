// `zerogen train-gan`: see train_gan.cpp for the story.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace zg::examples {

struct GanConfig {
  std::string data_dir;  // default: Debian's Fashion-MNIST
  std::string run_dir = "runs/gan";
  std::string device = "cpu";                                         // see parse_device
  std::string classifier = "runs/classifier/checkpoint.safetensors";  // for the final score
  int64_t epochs = 5;
  int64_t batch_size = 64;
  double lr = 2e-4;
  uint64_t seed = 0;
  bool resume = false;
  int64_t stop_after = 0;   // stop (with a checkpoint) after this many steps; 0 = run all
  int64_t train_limit = 0;  // use only the first N training images; 0 = all
  int64_t num_samples =
      2000;  // samples.safetensors at the end (≥ 1000 for a fair Fréchet distance)
  int64_t sample_every = 500;  // steps between samples_<step>.png grids
  int64_t log_every = 50;      // steps between metrics.csv rows
  bool quiet = false;          // no progress line (tests)
};

struct GanResult {
  int64_t steps = 0;
  double seconds = 0;
  double d_loss = 0, g_loss = 0;  // means over the last logged interval
  bool scored = false;            // a classifier checkpoint was found
  double frechet = 0;             // samples vs the test set, in the classifier's features
  int64_t classes_covered = 0;
};

GanResult train_gan(const GanConfig& config);
void add_train_gan_command(CLI::App& app, int& exit_code);

}  // namespace zg::examples
