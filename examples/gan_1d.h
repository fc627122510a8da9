// `zerogen gan-1d`: see gan_1d.cpp for the story.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace zg::examples {

struct Gan1dConfig {
  std::string run_dir = "runs/gan-1d";
  uint64_t seed = 0;
  int64_t steps = 1500;      // discriminator steps against the fixed p_g (the D1 experiment)
  int64_t gan_steps = 2000;  // then alternating D/G steps with an affine G (0: skip)
  bool quiet = false;        // no table (tests)
};

struct Gan1dResult {
  double d1_error = 0;                // weighted RMS of D − D* on the D1 grid
  double d1_max_error = 0;            // max |D − D*| on the D1 grid
  double v_trained = 0, v_star = 0;   // V(D, G) and C(G) = V(D*, G), by quadrature
  double g_scale = 0, g_shift = 0;    // the generator x = a·z + b after training
  double jsd_start = 0, jsd_end = 0;  // JSD(p_data ‖ p_g) before and after the GAN steps
  std::vector<std::string> files;     // the PNGs written
};

Gan1dResult run_gan_1d(const Gan1dConfig& config);
void add_gan_1d_command(CLI::App& app, int& exit_code);

}  // namespace zg::examples
