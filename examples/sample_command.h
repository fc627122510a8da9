// `zerogen sample`: see sample_command.cpp.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "examples/train_diffusion.h"
#include "tensor/tensor.h"

namespace zg::examples {

struct SampleRunOptions {
  std::string run_dir = "runs/ddpm";
  std::string out;           // path without extension; default <run_dir>/samples_<sampler>_<steps>
  bool raw_weights = false;  // the trained weights instead of their EMA
  uint64_t seed = 1;
  std::string device = "cpu";  // where to sample (see parse_device), whatever the run trained on
  bool quiet = false;
  DiffusionConfig sampling;  // only the sampler options (--sampler, --sample-steps, ...) are read
};

/// Samples the run; returns the samples (images in [0, 1] or 2-D points) after writing them.
Tensor sample_run(const SampleRunOptions& options);
void add_sample_command(CLI::App& app, int& exit_code);

}  // namespace zg::examples
