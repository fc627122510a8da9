// `zerogen train-ddpm` and `zerogen train-ncsn`: one config, two trainers — on a 2-D toy set
// (train_diffusion2d.cpp, when --data names one) or on images (train_diffusion_images.cpp).
// Settings left at 0 (or "") take the default of the method and the data, printed in
// config.json and in `--help`.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "examples/toy_evaluation.h"

namespace zg::examples {

struct DiffusionConfig {
  std::string method = "ddpm";         // "ddpm" or "ncsn" (set by the command)
  std::string data = "fashion-mnist";  // or a 2-D toy set: eight_gaussians, two_modes, ...
  std::string data_dir;                // IDX directory for images (default Fashion-MNIST)
  std::string run_dir;                 // default runs/<method> or runs/<method>2d
  std::string device = "cpu";          // see parse_device; not in ZG_DIFFUSION_CONFIG_FIELDS
  // Noise levels: DDPM's β schedule, NCSN's geometric σ.
  std::string schedule = "linear";  // or "cosine"
  int timesteps = 0;                // T (0: 1000)
  double sigma_max = 0, sigma_min = 0;
  int num_sigmas = 0;  // L
  // Training.
  int64_t steps = 0, batch_size = 0;
  double lr = 0, ema_decay = -1;               // ema_decay < 0: default
  int64_t hidden = 128, layers = 3;            // the 2-D ToyScoreNet
  int64_t base_channels = 0, res_blocks = 0;   // the image UNet (0: defaults)
  int64_t image_channels = 0, image_size = 0;  // set by the image trainer from the data
  int64_t bpd_images = 200;  // DDPM: test images the bound in bits/dim is estimated on (0: none)
  int bpd_timesteps = 50;    // DDPM: t-terms sampled per image for it (stratified; T = exact)
  // Sampling (models/samplers.h).
  std::string sampler;  // "": langevin for NCSN; for DDPM ddpm (2-D) or ddim, 100 steps (images)
  int sample_steps = 0;
  double eta = 0;
  bool beta_variance = false;  // ddpm sampler: σ² = β instead of β̃
  int langevin_steps = 0;
  double langevin_step_size = 0;
  int64_t num_samples = 0;  // drawn at the end, to samples.safetensors
  std::string classifier = "runs/classifier/checkpoint.safetensors";
  int64_t train_limit = 0, test_limit = 0;
  uint64_t seed = 0;
  bool resume = false;
  int64_t stop_after = 0, log_every = 0, checkpoint_every = 0;
  bool quiet = false;
};

// ToyScore: on 2-D data, the final samples against the true distribution (unset for images).
struct DiffusionResult : ToyScore {
  int64_t steps = 0;
  double final_loss = 0;  // mean training loss over the last log interval
  // Images: DDPM's bound on the test images, bits/dim (NaN for NCSN); classifier's FD.
  double test_bpd = 0, frechet_distance = -1;
  double seconds = 0;
};

bool is_toy_data(const std::string& data);
DiffusionResult train_diffusion2d(const DiffusionConfig& config);
DiffusionResult train_diffusion_images(const DiffusionConfig& config);
void add_train_diffusion_commands(CLI::App& app, int& exit_code);

}  // namespace zg::examples
