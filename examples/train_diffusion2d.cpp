// zerogen train-ddpm / train-ncsn --data <toy> — a diffusion model and a score model learning
// a 2-D distribution, small enough to watch every point of the reverse process.
//
// The story, top to bottom:
//   1. Data. One of the built-in toy sets (data/toy2d.h), 8 Gaussians on a ring by default;
//      each step draws a fresh batch. For Gaussian mixtures the exact density is known, so
//      the samples are scored against the truth (modes covered, the share within 3σ of a
//      mode, MMD² against fresh data: models/toy_metrics.h).
//   2. Noise levels (models/noise_levels.h). Both methods noise the data as
//        x_k = a_k·x_0 + b_k·ε,  ε ~ N(0, I),  k = 1..K,
//      DDPM with a_k = √ᾱ_t, b_k = √(1 − ᾱ_t) (the forward chain q(x_t|x_{t−1}) of D12 in
//      closed form, D13), NCSN with a_k = 1 and geometric b_k = σ (D20). σ_1 defaults to the
//      largest distance between data points, so that at the top level the modes merge.
//   3. Model. models/toy_score_net.h: an MLP on (x, sinusoidal(t)) where t is DDPM's step
//      or 1000·log σ. DDPM trains it to predict ε (L_simple, D16), NCSN to predict the
//      score of the noised data by denoising score matching with λ(σ) = σ² (D19, D20):
//        DDPM:  ‖ε − ε_θ(x_t, t)‖²        NCSN:  ½‖σ·s_θ(x̃, σ) + ε‖²
//      — the same regression, since ∇ log q(x̃|x) = −ε/σ (D21: s = −ε/b̄).
//      Adam, and an exponential moving average of the weights that is used for sampling.
//   4. Sampling (models/samplers.h). DDPM's ancestral sampler by default (D15), NCSN's
//      annealed Langevin dynamics (the text's Algorithm 1, D17, D20); `--sampler` picks any
//      of ddpm, ddim, sde (reverse-SDE Euler–Maruyama), ode (probability flow, Heun) or
//      langevin for either model (D21: an ε-predictor is a score model, s = −ε/b̄).
//   5. What the run leaves: config.json; metrics.csv (loss; modes, high-quality share and
//      MMD² of the EMA model's samples every --log-every steps); reverse_process.png (one
//      sampling run: the points at 8 moments from pure noise to the end); samples.png
//      (final samples over the data); samples.safetensors; checkpoint.safetensors for
//      --resume (bit-for-bit).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/toy2d.h"
#include "examples/diffusion_setup.h"
#include "examples/toy_evaluation.h"
#include "examples/training_state.h"
#include "io/csv.h"
#include "io/plot.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/toy_score_net.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

// The largest distance between n data points: NCSN's σ_1 (Song & Ermon 2020, technique 1).
double data_diameter(const data::Toy2D& toy, uint64_t seed) {
  Generator gen(eval_seed(seed, 3));
  Tensor x = toy.sample(1000, gen, kFloat64);
  Tensor d2 = (x.unsqueeze(0) - x.unsqueeze(1)).square().sum({2});
  return std::sqrt(d2.max().item<double>());
}

io::Image scatter_panel(const Tensor& real, const Tensor& points, const std::string& title,
                        int64_t size = 300) {
  io::Canvas canvas(size, size);
  canvas.fit_square(real, 0.25);
  canvas.scatter(real, io::kGray, 1, 0.4);
  canvas.scatter(points.to(kFloat32), io::palette(0), 1, 0.6);
  canvas.axes(4);
  canvas.title(title);
  return canvas.image();
}

}  // namespace

DiffusionResult train_diffusion2d(const DiffusionConfig& config) {
  const DiffusionConfig cfg0 = with_defaults(config);
  std::shared_ptr<data::Toy2D> toy = data::make_toy2d(cfg0.data);
  const auto* mix = dynamic_cast<const data::GaussianMixture*>(toy.get());
  DiffusionConfig cfg = cfg0;
  if (cfg.method == "ncsn" && cfg.sigma_max == 0) cfg.sigma_max = data_diameter(*toy, cfg.seed);
  const models::DiffusionSetup setup = make_setup(cfg);
  const models::SamplerOptions sampler = make_sampler_options(cfg);
  const std::string label = "train-" + cfg.method;
  const Device device = parse_device(cfg.device);

  // Model, its EMA (sampled from), Adam; the seed fixes the initial weights and every batch.
  manual_seed(cfg.seed);
  models::ToyScoreNetOptions net_options{.hidden = cfg.hidden, .layers = cfg.layers};
  models::ToyScoreNet net(net_options), ema_net(net_options);
  net->to(device);  // before EMA and Adam, which keep state like the parameters
  ema_net->to(device);
  optim::EMA ema(net->parameters(), cfg.ema_decay, /*warmup=*/true);
  optim::Adam opt(net->parameters(), {.lr = cfg.lr});
  auto network = [&](const Tensor& x, const Tensor& t) { return net(x, t); };
  const models::Denoiser ema_denoiser =
      models::make_denoiser([&](const Tensor& x, const Tensor& t) { return ema_net(x, t); }, setup);

  io::RunDir run(cfg.run_dir);
  TrainingState state;
  state.add("model", *net).add("ema", ema).add("optim", opt);
  int64_t step = cfg.resume ? state.resume(run, cfg.quiet) : 0;
  const io::Json json = write_run_config(cfg, *net, run, step);
  io::CsvWriter metrics(run.file("metrics.csv"),
                        {"step", "loss", "modes", "high_quality", "mmd2", "steps_per_s"},
                        /*append=*/step > 0);

  // Sampling always starts from the same noise, so successive evaluations are comparable.
  auto draw = [&](const models::SamplerCallback& callback = {}) {
    ema.copy_to(ema_net->parameters());
    Generator gen(eval_seed(cfg.seed, 1));
    return models::sample(ema_denoiser, sampler, {cfg.num_samples, 2}, gen, callback, device)
        .to(kCPU);
  };
  if (!cfg.quiet)
    fmt::print("{}\n{} on {} ({}), {} levels, {} steps of {}, sampler {}, {} threads\n",
               net->repr(), cfg.method, cfg.data,
               mix ? fmt::format("{} modes", mix->num_components()) : "no modes",
               setup.levels.num_levels(), cfg.steps, cfg.batch_size,
               models::sampler_name(sampler.kind), get_num_threads());

  const int64_t last_step = cfg.stop_after > 0 ? std::min(cfg.steps, cfg.stop_after) : cfg.steps;
  io::Progress progress(label, cfg.steps, "points");
  double loss_sum = 0, loss_count = 0, last_loss = ToyEvaluation::kNaN;
  ToyEvaluation last;
  while (step < last_step) {
    Tensor x0 = toy->sample(cfg.batch_size, default_generator()).to(device);
    const double value = diffusion_training_step(network, setup, x0, default_generator(), opt, ema);
    ++step;
    loss_sum += value, loss_count += 1;
    if (step % cfg.log_every == 0 || step == last_step) {
      last = evaluate_toy_samples(draw(), *toy, mix, cfg.seed, step);
      last_loss = loss_sum / loss_count;
      metrics.row({double(step), last_loss, last.modes, last.high_quality, last.mmd2,
                   progress.items_per_second() / double(cfg.batch_size)});
      loss_sum = loss_count = 0;
    }
    if (!cfg.quiet) {
      std::vector<std::pair<std::string, double>> shown = {{"loss", value}};
      if (mix) shown.push_back({"modes", last.modes});
      progress.update(step, cfg.batch_size, shown);
    }
    if (step % cfg.checkpoint_every == 0 || step == last_step) state.save(run, step, json);
  }
  if (!cfg.quiet) progress.finish();

  DiffusionResult r;
  r.steps = step;
  r.seconds = progress.elapsed_seconds();
  r.final_loss = last_loss;
  if (step < cfg.steps) return r;  // stopped early: --resume finishes the run

  // The final samples, and 8 snapshots of one reverse process from noise to data.
  Generator plot_gen(eval_seed(cfg.seed, 2));
  const Tensor real = toy->sample(cfg.num_samples, plot_gen);
  // Every state of the reverse process is kept (N×2 floats each), then 8 evenly spaced.
  std::vector<std::pair<std::string, Tensor>> states;
  auto snapshot = [&](int s, int level, const Tensor& x) {
    states.push_back({fmt::format("step {}, level {}", s + 1, level), x.to(kCPU)});
  };
  Tensor samples = draw(snapshot);
  ToyEvaluation e = evaluate_toy_samples(samples, *toy, mix, cfg.seed, step);
  std::vector<io::Image> panels;
  const size_t shown = std::min<size_t>(8, states.size());
  for (size_t i = 0; i < shown; ++i) {
    const auto& [title, x] = states[shown == 1 ? 0 : i * (states.size() - 1) / (shown - 1)];
    panels.push_back(scatter_panel(real, x, i + 1 == shown ? "final" : title));
  }
  io::save_png(run.file("reverse_process.png"), io::hconcat_images(panels));
  io::save_png(run.file("samples.png"),
               scatter_panel(real, samples,
                             mix ? fmt::format("{}: {} of {} modes, hq {:.2f}", cfg.method, e.modes,
                                               mix->num_components(), e.high_quality)
                                 : fmt::format("{}: MMD2 {:.4f}", cfg.method, e.mmd2),
                             400));
  io::save_safetensors(run.file("samples.safetensors"), {{"samples", samples.contiguous()}},
                       {{"command", label}, {"step", std::to_string(step)}});
  static_cast<ToyScore&>(r) = toy_score(e, mix);
  if (!cfg.quiet) print_toy_score(step, r, mix, r.seconds, run.path());
  return r;
}

}  // namespace zg::examples
