// What `train-ddpm` and `train-ncsn` share: the defaults of each method on each kind of data,
// the noise levels and the sampler they imply, and the command-line options. The stories are
// in train_diffusion2d.cpp (2-D toy sets) and train_diffusion_images.cpp (images).
#include "examples/train_diffusion.h"

#include <fmt/format.h>

#include <algorithm>

#include "data/toy2d.h"
#include "examples/diffusion_setup.h"
#include "examples/trainer_options.h"
#include "io/csv.h"
#include "tensor/cpu/runtime.h"
#include "tensor/error.h"

namespace zg::examples {

bool is_toy_data(const std::string& data) {
  for (const auto& name : data::toy2d_names())
    if (name == data) return true;
  return false;
}

DiffusionConfig with_defaults(DiffusionConfig c) {
  ZG_CHECK(c.method == "ddpm" || c.method == "ncsn",
           "train-diffusion: method must be ddpm or ncsn, got '{}'", c.method);
  const bool ddpm = c.method == "ddpm", toy = is_toy_data(c.data);
  ZG_CHECK(toy || c.data == "fashion-mnist" || c.data == "images",
           "train-{}: --data must be fashion-mnist (images from --data-dir) or a 2-D toy set, "
           "got '{}'",
           c.method, c.data);
  auto set = [](auto& value, auto fallback) {
    if (value == 0) value = fallback;
  };
  if (c.run_dir.empty()) c.run_dir = "runs/" + c.method + (toy ? "2d" : "");
  set(c.timesteps, 1000);
  set(c.sigma_min, 0.01);
  // σ_max (Song & Ermon 2020, technique 1) is about the largest distance between data
  // points: on toy data the trainer measures it (σ_max = 0 here); on 28×28 images in [-1, 1]
  // it is about 20. Images then need many levels so that neighbouring ones overlap
  // (technique 2: ratio ~1.08 at D = 784) and few Langevin steps on each. Measured: with
  // Song & Ermon's 2019 setting (σ 1 → 0.01, 10 levels, 30 steps) the same training gave
  // FD 642 and 6/10 classes — blobs, as the start N(0, 1) is far from the noised data —
  // against FD 206 and 10/10 with 20 → 0.01, 100 levels, 3 steps (README).
  if (!toy) set(c.sigma_max, 20.0);
  set(c.num_sigmas, toy ? 20 : 100);
  set(c.steps, toy ? 10000 : 2500);
  set(c.batch_size, toy ? 512 : 64);
  set(c.lr, 1e-3);
  if (c.ema_decay < 0) c.ema_decay = toy ? 0.995 : 0.999;
  set(c.base_channels, 16);
  set(c.res_blocks, 1);
  ZG_CHECK(c.bpd_images >= 0 && (c.bpd_images == 0 || c.bpd_timesteps >= 1),
           "train-{}: --bpd-images must be >= 0 and --bpd-timesteps >= 1", c.method);
  // Images: DDPM's 1000 ancestral steps on the CPU would take longer than the training, so
  // the default is DDIM over 100 of them; NCSN's annealed Langevin with fewer steps per level.
  if (c.sampler.empty()) {
    c.sampler = ddpm ? (toy ? "ddpm" : "ddim") : "langevin";
    if (ddpm && !toy) set(c.sample_steps, std::min(100, c.timesteps));
  }
  set(c.langevin_steps, toy ? 100 : 3);
  set(c.langevin_step_size, 2e-5);
  set(c.num_samples, toy ? 2000 : 500);
  set(c.log_every, toy ? 1000 : 200);
  set(c.checkpoint_every, toy ? 5000 : 1000);
  ZG_CHECK(c.steps > 0 && c.batch_size > 0 && c.lr > 0 && c.ema_decay <= 1,
           "train-{}: --steps, --batch-size and --lr must be positive and --ema-decay <= 1",
           c.method);
  return c;
}

models::DiffusionSetup make_setup(const DiffusionConfig& c) {
  if (c.method == "ddpm")
    return models::DiffusionSetup::ddpm(
        models::DiffusionSchedule::from_name(c.schedule, c.timesteps));
  return models::DiffusionSetup::ncsn(c.sigma_max, c.sigma_min, c.num_sigmas);
}

models::SamplerOptions make_sampler_options(const DiffusionConfig& c) {
  models::SamplerOptions o;
  o.kind = models::parse_sampler(c.sampler);
  o.steps = c.sample_steps;
  o.eta = c.eta;
  o.ddpm_posterior_variance = !c.beta_variance;
  o.langevin_steps_per_level = c.langevin_steps;
  o.langevin_step_size = c.langevin_step_size;
  return o;
}

models::UNetOptions make_unet_options(const DiffusionConfig& c) {
  ZG_CHECK(c.image_channels > 0 && c.image_size > 0 && c.image_size % 4 == 0,
           "train-{}: images must have channels and a size divisible by 4, got {} x {}", c.method,
           c.image_channels, c.image_size);
  models::UNetOptions o;
  o.in_channels = c.image_channels;
  o.image_size = c.image_size;
  o.base_channels = c.base_channels;
  o.num_res_blocks = c.res_blocks;
  o.attention_resolutions = {c.image_size / 4};  // the last level: 7×7 for 28×28
  return o;
}

// The members in one list, so that writing and reading config.json cannot drift apart.
// clang-format off
#define ZG_DIFFUSION_CONFIG_FIELDS(X)                                                          \
  X(method) X(data) X(data_dir) X(run_dir) X(schedule) X(timesteps) X(sigma_max) X(sigma_min) \
  X(num_sigmas) X(steps) X(batch_size) X(lr) X(ema_decay) X(hidden) X(layers)                 \
  X(base_channels) X(res_blocks) X(image_channels) X(image_size) X(bpd_images)                \
  X(bpd_timesteps) X(sampler) X(sample_steps) X(eta) X(beta_variance) X(langevin_steps)       \
  X(langevin_step_size) X(num_samples) X(classifier) X(train_limit) X(seed)
// clang-format on

io::Json config_to_json(const DiffusionConfig& c) {
  io::Json j = {{"command", "train-" + c.method}, {"version", "0.1.0"}};
#define ZG_WRITE(name) j[#name] = c.name;
  ZG_DIFFUSION_CONFIG_FIELDS(ZG_WRITE)
#undef ZG_WRITE
  return j;
}

DiffusionConfig config_from_json(const io::Json& j) {
  DiffusionConfig c;
  try {
#define ZG_READ(name) c.name = j.at(#name).get<decltype(c.name)>();
    ZG_DIFFUSION_CONFIG_FIELDS(ZG_READ)
#undef ZG_READ
  } catch (const std::exception& e) {
    throw Error(fmt::format("config.json of a diffusion run: {}", e.what()));
  }
  return c;
}

io::Json write_run_config(const DiffusionConfig& c, const nn::Module& net, const io::RunDir& run,
                          int64_t step) {
  io::Json json = config_to_json(c);
  json["threads"] = get_num_threads();
  json["device"] = c.device;  // where it trained; `zerogen sample` takes its own --device
  json["parameters"] = net.num_parameters();
  run.write_config(json);
  if (step > 0) io::truncate_csv_after(run.file("metrics.csv"), static_cast<double>(step));
  return json;
}

double diffusion_training_step(const models::ConditionedNetwork& network,
                               const models::DiffusionSetup& setup, const Tensor& x0,
                               Generator& gen, optim::Optimizer& optimizer, optim::EMA& ema) {
  Tensor loss = models::denoising_loss(network, setup, x0, gen);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  ema.update();
  return loss.item<double>();
}

void add_sampler_options(CLI::App* sub, DiffusionConfig& c) {
  std::string names;
  for (const auto& n : models::sampler_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--sampler", c.sampler,
                  "One of " + names + " (default: langevin for NCSN; ddpm on 2-D, ddim on images)");
  sub->add_option("--sample-steps", c.sample_steps,
                  "Levels the sampler visits (0: all; ddim on images: 100)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--eta", c.eta, "ddim: 0 deterministic, 1 DDPM-like noise")
      ->capture_default_str();
  sub->add_flag("--beta-variance", c.beta_variance, "ddpm sampler: sigma^2 = beta, not beta~");
  sub->add_option("--langevin-steps", c.langevin_steps,
                  "langevin: steps per noise level (2-D 100, images 3)");
  sub->add_option("--langevin-step-size", c.langevin_step_size, "langevin: epsilon (2e-5)");
  sub->add_option("--num-samples", c.num_samples,
                  "Samples drawn at the end (2-D 2000, images 500)");
}

namespace {

void add_command(CLI::App& app, int& exit_code, const std::string& method,
                 const std::string& description) {
  auto cfg = std::make_shared<DiffusionConfig>();
  cfg->method = method;
  auto* sub = app.add_subcommand("train-" + method, description);
  std::string toys;
  for (const auto& n : data::toy2d_names()) toys += ", " + n;
  sub->add_option("--data", cfg->data, "fashion-mnist (images, see --data-dir)" + toys)
      ->capture_default_str();
  sub->add_option("--data-dir", cfg->data_dir, "Directory with the four IDX files (MNIST format)")
      ->default_str(data::kFashionMnistDir);
  add_run_options(sub, *cfg);
  if (method == "ddpm") {
    sub->add_option("--schedule", cfg->schedule, "beta schedule: linear or cosine")
        ->capture_default_str();
    sub->add_option("--timesteps", cfg->timesteps, "T (1000)");
  } else {
    sub->add_option("--sigma-max", cfg->sigma_max, "sigma_1 (images 20; 2-D: data diameter)");
    sub->add_option("--sigma-min", cfg->sigma_min, "sigma_L (0.01)");
    sub->add_option("--num-sigmas", cfg->num_sigmas, "L (images 100, 2-D 20)");
  }
  sub->add_option("--steps", cfg->steps, "Optimizer steps (images 2500, 2-D 10000)");
  sub->add_option("--batch-size", cfg->batch_size, "(images 64, 2-D 512)");
  sub->add_option("--lr", cfg->lr, "Adam learning rate (1e-3)");
  sub->add_option("--ema-decay", cfg->ema_decay, "EMA of the weights used to sample (0.999/0.995)");
  sub->add_option("--hidden", cfg->hidden, "2-D: hidden units")->capture_default_str();
  sub->add_option("--layers", cfg->layers, "2-D: hidden layers")->capture_default_str();
  sub->add_option("--base-channels", cfg->base_channels, "images: UNet base width (16)");
  sub->add_option("--res-blocks", cfg->res_blocks, "images: ResBlocks per UNet level (1)");
  if (method == "ddpm") {
    sub->add_option("--bpd-images", cfg->bpd_images, "images: test images for bits/dim (200)");
    sub->add_option("--bpd-timesteps", cfg->bpd_timesteps,
                    "images: t-terms per image for bits/dim (50; T = every term)");
  }
  sub->add_option("--train-limit", cfg->train_limit, "images: use the first N training images");
  sub->add_option("--test-limit", cfg->test_limit, "images: evaluate on the first N test images");
  sub->add_option("--classifier", cfg->classifier, "Scores image samples if it exists")
      ->capture_default_str();
  add_sampler_options(sub, *cfg);
  sub->callback([cfg, &exit_code] {
    DiffusionResult r =
        is_toy_data(cfg->data) ? train_diffusion2d(*cfg) : train_diffusion_images(*cfg);
    exit_code = r.steps > 0 ? 0 : 1;
  });
}

}  // namespace

void add_train_diffusion_commands(CLI::App& app, int& exit_code) {
  add_command(app, exit_code, "ddpm", "Train a DDPM (eps-prediction, D12-D16, D21)");
  add_command(app, exit_code, "ncsn", "Train an NCSN (DSM over geometric sigmas, D17-D20)");
}

}  // namespace zg::examples
