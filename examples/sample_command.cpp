// zerogen sample --run-dir runs/ddpm [--sampler ddim --sample-steps 50] — draws new samples
// from a finished (or interrupted) train-ddpm / train-ncsn run, with any sampler and step
// count: the network and its noise levels are rebuilt from the run's config.json, the EMA
// weights loaded from its checkpoint. Any sampler works for either model, because an
// ε-predictor is a score model and back (D21: s = −ε/b̄; models/noise_levels.h).
// Writes <out>.safetensors ("samples", images in [0, 1] or 2-D points) and <out>.png, and
// scores images with the classifier when its checkpoint exists.
#include "examples/sample_command.h"

#include <fmt/format.h>

#include <filesystem>

#include "data/idx.h"
#include "data/toy2d.h"
#include "examples/diffusion_setup.h"
#include "examples/score.h"
#include "io/plot.h"
#include "io/png.h"
#include "io/progress.h"
#include "io/safetensors.h"
#include "models/toy_metrics.h"
#include "models/toy_score_net.h"
#include "optim/optim.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

// Loads the "ema" group into the module's parameters (or "model" with raw weights).
void load_weights(nn::Module& net, const io::Checkpoint& ck, bool raw, double decay) {
  if (raw) return net.load_state_dict(ck.group("model"));
  optim::EMA ema(net.parameters(), decay);
  ema.load_state_dict(ck.group("ema"));
  ema.copy_to(net.parameters());
}

}  // namespace

Tensor sample_run(const SampleRunOptions& o) {
  io::RunDir run(o.run_dir);
  ZG_CHECK(run.has_checkpoint(), "sample: no checkpoint.safetensors in {}", o.run_dir);
  DiffusionConfig cfg = config_from_json(run.read_config());
  const DiffusionConfig& s = o.sampling;
  if (!s.sampler.empty()) cfg.sampler = s.sampler;
  cfg.sample_steps = s.sample_steps;
  cfg.eta = s.eta;
  cfg.beta_variance = s.beta_variance;
  if (s.langevin_steps > 0) cfg.langevin_steps = s.langevin_steps;
  if (s.langevin_step_size > 0) cfg.langevin_step_size = s.langevin_step_size;
  if (s.num_samples > 0) cfg.num_samples = s.num_samples;
  const models::DiffusionSetup setup = make_setup(cfg);
  const models::SamplerOptions sampler = make_sampler_options(cfg);
  const io::Checkpoint ck = io::load_checkpoint(run.checkpoint_path());
  const bool toy = is_toy_data(cfg.data);

  std::shared_ptr<nn::Module> net;
  models::ConditionedNetwork network;
  Shape shape = {cfg.num_samples};
  if (toy) {
    models::ToyScoreNet toy_net(
        models::ToyScoreNetOptions{.hidden = cfg.hidden, .layers = cfg.layers});
    network = [toy_net](const Tensor& x, const Tensor& t) { return toy_net(x, t); };
    net = toy_net.ptr();
    shape.push_back(2);
  } else {
    models::UNet unet(make_unet_options(cfg));
    unet->eval();
    network = [unet](const Tensor& x, const Tensor& t) { return unet(x, t); };
    net = unet.ptr();
    shape.insert(shape.end(), {cfg.image_channels, cfg.image_size, cfg.image_size});
  }
  load_weights(*net, ck, o.raw_weights, cfg.ema_decay);
  const Device device = parse_device(o.device);
  net->to(device);
  const std::string out =
      o.out.empty() ? run.file(fmt::format("samples_{}_{}", cfg.sampler, cfg.sample_steps)) : o.out;

  if (!o.quiet)
    fmt::print("{} step {} ({} weights): {} {} samples, sampler {} over {} levels\n", o.run_dir,
               ck.step, o.raw_weights ? "raw" : "EMA", cfg.num_samples, cfg.method,
               models::sampler_name(sampler.kind),
               models::sampler_levels(setup.levels.num_levels(), cfg.sample_steps).size());
  Generator gen(o.seed);
  const int64_t levels = static_cast<int64_t>(
      models::sampler_levels(setup.levels.num_levels(), cfg.sample_steps).size());
  io::Progress progress("sample", levels, "steps");
  auto show = [&](int step, int level, const Tensor&) {
    if (!o.quiet) progress.update(step + 1, 1, {{"level", double(level)}});
  };
  Tensor samples =
      models::sample(models::make_denoiser(network, setup), sampler, shape, gen, show, device)
          .to(kCPU);
  if (!o.quiet) progress.finish();
  if (!toy) samples = ((samples + 1.0) * 0.5).clamp(0.0, 1.0);
  io::save_safetensors(out + ".safetensors", {{"samples", samples.contiguous()}},
                       {{"command", "sample"}, {"sampler", cfg.sampler}});
  if (toy) {
    auto data = data::make_toy2d(cfg.data);
    Generator fresh(o.seed + 1);
    Tensor real = data->sample(cfg.num_samples, fresh);
    if (!o.quiet)
      fmt::print("MMD² against fresh data: {:.5f}\n", models::mmd2_unbiased(samples, real));
    io::Canvas canvas(400, 400);
    canvas.fit_square(real, 0.25);
    canvas.scatter(real, io::kGray, 1, 0.4);
    canvas.scatter(samples, io::palette(0), 1, 0.6);
    canvas.axes();
    canvas.title(fmt::format("{}, {} sampler", cfg.method, cfg.sampler));
    canvas.save(out + ".png");
  } else {
    io::save_image_grid(out + ".png", samples.narrow(0, 0, std::min<int64_t>(100, samples.size(0))),
                        10);
    std::string dir = cfg.data_dir.empty() ? data::kFashionMnistDir : cfg.data_dir;
    if (cfg.num_samples > 1)
      score_if_classifier(cfg.classifier, samples, data::load_mnist(dir, false).images, o.quiet);
  }
  if (!o.quiet) fmt::print("wrote {}.safetensors and {}.png\n", out, out);
  return samples;
}

void add_sample_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SampleRunOptions>();
  auto* sub = app.add_subcommand("sample", "Sample a train-ddpm / train-ncsn run (any sampler)");
  sub->add_option("--run-dir", o->run_dir, "The run's directory")->capture_default_str();
  sub->add_option("--out", o->out, "Output path without extension (default in the run dir)");
  sub->add_flag("--raw-weights", o->raw_weights, "Use the trained weights, not their EMA");
  sub->add_option("--seed", o->seed)->capture_default_str();
  sub->add_option("--device", o->device, "cpu, cuda, or cpu:1 (see train-ddpm --help)")
      ->capture_default_str();
  add_sampler_options(sub, o->sampling);
  sub->callback([o, &exit_code] {
    sample_run(*o);
    exit_code = 0;
  });
}

}  // namespace zg::examples
