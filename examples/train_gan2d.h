// `zerogen train-gan2d`: see train_gan2d.cpp for the story.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "examples/toy_evaluation.h"

namespace zg::examples {

struct Gan2dConfig {
  std::string data = "eight_gaussians";  // any data::make_toy2d name
  std::string run_dir = "runs/gan2d";
  std::string device = "cpu";           // see parse_device
  std::string loss = "non-saturating";  // or "saturating" (D3)
  int64_t steps = 10000;
  int64_t batch_size = 256;
  double lr = 5e-4;  // both players
  double beta1 = 0.5, beta2 = 0.999;
  double r1 = 0.1;     // R1 gradient penalty weight on D (0 = none)
  bool cosine = true;  // cosine decay of both learning rates to lr/100 over the run
  int64_t latent_dim = 4, hidden = 64, layers = 3;
  uint64_t seed = 0;
  bool resume = false;
  int64_t stop_after = 0;           // stop (with a checkpoint) after this many steps; 0 = run all
  int64_t log_every = 500;          // steps between metrics.csv rows (each evaluates the metrics)
  int64_t plot_every = 0;           // steps between scatter_<step>.png; 0 = steps / 5
  int64_t checkpoint_every = 1000;  // steps between checkpoints (and always at the end)
  int64_t eval_samples = 2000;      // generated and fresh true samples per evaluation
  bool quiet = false;               // no progress line (tests)
};

struct Gan2dResult : ToyScore {  // modes, high_quality, mmd2 of the final samples
  int64_t steps = 0;
  double seconds = 0;
};

Gan2dResult train_gan2d(const Gan2dConfig& config);
void add_train_gan2d_command(CLI::App& app, int& exit_code);

}  // namespace zg::examples
