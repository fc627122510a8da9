// Internal to the diffusion trainers and `zerogen sample`: the config's defaults and what
// they imply (train_diffusion.cpp).
#pragma once
#include <CLI/CLI.hpp>

#include "examples/train_diffusion.h"
#include "io/run_dir.h"
#include "models/diffusion_objective.h"
#include "models/samplers.h"
#include "models/unet.h"
#include "optim/ema.h"
#include "optim/optimizer.h"

namespace zg::examples {

/// Fills every 0 / "" setting with the default of the method and the data; checks the rest.
DiffusionConfig with_defaults(DiffusionConfig config);
models::DiffusionSetup make_setup(const DiffusionConfig& config);
models::SamplerOptions make_sampler_options(const DiffusionConfig& config);
/// The UNet for images of config.image_channels × image_size²: W4's, with res_blocks per level.
models::UNetOptions make_unet_options(const DiffusionConfig& config);
/// config.json of a run: every setting (after defaults), so that `zerogen sample` can rebuild
/// the network and the levels from it.
io::Json config_to_json(const DiffusionConfig& config);
DiffusionConfig config_from_json(const io::Json& json);
/// Writes the run's config.json (the settings, the thread and parameter counts) and returns
/// it; a run resumed at `step` > 0 also drops the metrics.csv rows after that step.
io::Json write_run_config(const DiffusionConfig& config, const nn::Module& net,
                          const io::RunDir& run, int64_t step);
/// One optimizer step of either trainer on a batch of clean data x0: the denoising loss
/// (models/diffusion_objective.h; levels and noise from gen), backward, the optimizer, then
/// the EMA. Returns the loss.
double diffusion_training_step(const models::ConditionedNetwork& network,
                               const models::DiffusionSetup& setup, const Tensor& x0,
                               Generator& gen, optim::Optimizer& optimizer, optim::EMA& ema);
/// --sampler, --sample-steps, --eta, --beta-variance, --langevin-*, --num-samples.
void add_sampler_options(CLI::App* sub, DiffusionConfig& config);

}  // namespace zg::examples
