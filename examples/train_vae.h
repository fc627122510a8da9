// `zerogen train-vae`: see train_vae.cpp for the story.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace zg::examples {

struct VAEConfig {
  std::string data_dir;  // default: Debian's Fashion-MNIST
  std::string run_dir = "runs/vae";
  std::string device = "cpu";  // see parse_device
  std::string model = "mlp";   // "mlp" (W2) or "conv"
  int64_t latent_dim = 32;     // 2 also draws the decoded manifold grid
  int64_t epochs = 20;
  int64_t batch_size = 128;
  double lr = 1e-3;
  uint64_t seed = 0;
  bool resume = false;
  int64_t iwae_k = 1000;       // importance samples per test image for the final log p(x)
  int64_t iwae_images = 1000;  // test images the IWAE estimate is averaged over (0 = all)
  int64_t num_samples = 1000;  // prior samples written to samples.safetensors
  std::string classifier = "runs/classifier/checkpoint.safetensors";  // scores if it exists
  int64_t stop_after = 0;   // stop (with a checkpoint) after this many steps; 0 = run all
  int64_t train_limit = 0;  // use only the first N training images; 0 = all
  int64_t test_limit = 0;   // evaluate on the first N test images; 0 = all
  int64_t log_every = 50;   // steps between metrics.csv rows
  bool quiet = false;       // no progress line or report (tests)
};

struct VAEResult {
  int64_t steps = 0;
  bool finished = false;  // false when stopped early by stop_after (no final evaluation)
  // Last test evaluation (nats per image; one reparameterised sample per image, closed-form KL).
  double test_neg_elbo = 0, test_reconstruction = 0, test_kl = 0;
  std::vector<double> kl_per_dim;
  int64_t active_dims = 0;  // dimensions with KL > 0.01 nats
  // Final evaluation on the first iwae_images test images:
  double iwae_nll = 0, iwae_se = 0;  // −log p(x) by IWAE(K = iwae_k), and its standard error
  double elbo_nll = 0;               // −ELBO on the same images and samples (mean log weight)
  double baseline_nll = 0;           // the KL = 0 model: per-pixel training mean, on the test set
  double seconds = 0;
};

VAEResult train_vae(const VAEConfig& config);
void add_train_vae_command(CLI::App& app, int& exit_code);

}  // namespace zg::examples
