// zerogen train-gan2d — a GAN of two small MLPs learning a 2-D distribution (by default 8
// Gaussians on a ring), small enough to watch every sample, and to watch a GAN drop modes.
//
// The story, top to bottom:
//   1. Data. p_data is one of the built-in toy sets (data/toy2d.h): eight_gaussians puts 8
//      Gaussians of std σ = 0.02 on a circle of radius 2 (Metz et al. 2017, the unrolled-GAN
//      ring). Every step draws a fresh batch from it: there is no fixed training set.
//   2. Models (models/gan2d.h). The generator G maps z ~ N(0, I) (4-d) through an MLP (three
//      hidden layers of 64) to a point x = G(z) in the plane; p_g is the distribution of
//      those points. The discriminator D, an MLP of the same size, maps a point to one
//      logit l, with D(x) = σ(l) its belief that x is real.
//   3. The game. GANs solve min_G max_D V(D, G),
//        V(D, G) = E_{x~p_data} log D(x) + E_{z} log(1 − D(G(z))).
//      For a fixed G the best D is D* = p_data/(p_data + p_g) (D1 of DERIVATIONS.md — a
//      maximum, not the minimum the source text says), and then V = −log 4 + 2·JSD(p_data‖p_g)
//      (D2): with a perfect D, G minimises a Jensen–Shannon divergence, whose minimum −log 4 is
//      reached exactly at p_g = p_data. In practice both are trained by alternating Adam steps
//      on mini-batches: one step of D up V, one step of G down.
//   4. The non-saturating trick (D3). Early on D rejects G's points easily: D(G(z)) ≈ 0. The
//      minimax G loss log(1 − σ(l)) then has gradient −σ(l) ≈ 0 in the logit — G learns
//      nothing where it most needs to. Goodfellow et al. therefore let G minimise −log D(G(z))
//      instead: same fixed point, gradient −(1 − σ(l)) ≈ −1 where D wins. `--loss saturating`
//      trains with the original form so that you can see the difference.
//   5. Mode collapse (D4, the source text's "退化问题"). Nothing in one G step rewards
//      *covering* p_data: G moves its points wherever D is currently fooled, D then learns to
//      reject that place, and G hops on — a G that maps every z to one or two modes is a
//      perfectly good response to the current D. On the ring this is visible at a glance:
//      the scatter_<step>.png plots show real points (grey) and G's (blue), and metrics.csv
//      counts the modes covered — a mode counts when ≥ 1% of the samples lie within 3σ of
//      its centre — and the "high-quality" fraction, the share of samples within 3σ of some
//      mode (a perfect sampler: 1 − e^{−4.5} ≈ 0.989).
//      Plain alternating Adam steps do collapse here: the default run with `--r1 0` ends
//      on 2 of 8 modes (85.7% of its samples sharp, on those two; MMD² 0.30 against 0.001
//      with the penalty) — D wins (d_loss ≈ 0.7), G sits on two modes, and D's gradient no
//      longer points it anywhere else. Shorter runs without the penalty ended on 6–7 of 8
//      (lr 5e-4) or on 2 (lr 1e-3, or width 128): which modes survive is a matter of the
//      dynamics, not of the data. What keeps the default at 8/8:
//        - the R1 penalty (Mescheder et al. 2018): D also minimises (γ/2)·E‖∇_x l(x)‖² on
//          real points (γ = 0.1), so D stays flat on the data instead of building walls
//          that G can only circle — it needs ∇_x of D inside D's loss, a second-order
//          gradient (autograd::grad with create_graph);
//        - Adam with β1 = 0.5 (less momentum carrying G past a mode), equal learning rates,
//          a cosine decay to lr/100 that lets the modes sharpen at the end, and a batch of
//          256, so every mode appears in every batch.
//   6. Bookkeeping (DESIGN.md "Files a run leaves"): config.json, metrics.csv every
//      --log-every steps (d_loss, g_loss, modes, high-quality fraction, and an unbiased MMD²
//      between G's samples and fresh true ones, models/toy_metrics.h), checkpoint.safetensors
//      (G, D, both optimisers, step, RNG), scatter_<step>.png and one scatter_strip.png of
//      them all, and samples.safetensors (the final G's samples, tensor "samples" [N, 2]).
//      `--resume` continues bit-for-bit.
#include "examples/train_gan2d.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "examples/toy_evaluation.h"
#include "examples/trainer_options.h"
#include "examples/training_state.h"
#include "io/csv.h"
#include "io/plot.h"
#include "io/png.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/gan2d.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

void save_scatter(const std::string& path, const Tensor& real, const Tensor& fake, int64_t step,
                  const ToyEvaluation& e) {
  io::Canvas canvas(360, 360);
  canvas.fit_square(real);
  canvas.scatter(real, io::kGray, 1, 0.5);
  canvas.scatter(fake, io::palette(0), 1, 0.6);
  canvas.axes();
  canvas.title(std::isnan(e.modes)
                   ? fmt::format("step {}  mmd2 {:.4f}", step, e.mmd2)
                   : fmt::format("step {}  modes {}  hq {:.2f}", step, e.modes, e.high_quality));
  canvas.save(path);
}

// Every scatter_<step>.png of the run, left to right (those of a resumed run's first part too).
void save_strip(const io::RunDir& run, const std::vector<int64_t>& steps) {
  std::vector<io::Image> panels;
  for (int64_t s : steps) {
    std::string p = run.file(fmt::format("scatter_{}.png", s));
    if (std::filesystem::exists(p)) panels.push_back(io::load_png(p));
  }
  if (!panels.empty()) io::save_png(run.file("scatter_strip.png"), io::hconcat_images(panels));
}

}  // namespace

Gan2dResult train_gan2d(const Gan2dConfig& cfg) {
  ZG_CHECK(cfg.steps > 0 && cfg.batch_size > 0,
           "train-gan2d: --steps and --batch-size must be positive, got {} and {}", cfg.steps,
           cfg.batch_size);
  ZG_CHECK(cfg.lr > 0 && std::isfinite(cfg.lr), "train-gan2d: --lr must be positive, got {}",
           cfg.lr);
  ZG_CHECK(cfg.beta1 >= 0 && cfg.beta1 < 1 && cfg.beta2 >= 0 && cfg.beta2 < 1,
           "train-gan2d: Adam betas must lie in [0, 1), got ({}, {})", cfg.beta1, cfg.beta2);
  ZG_CHECK(cfg.log_every > 0 && cfg.checkpoint_every > 0 && cfg.plot_every >= 0,
           "train-gan2d: --log-every and --checkpoint-every must be positive, --plot-every "
           "non-negative");
  ZG_CHECK(cfg.r1 >= 0 && std::isfinite(cfg.r1), "train-gan2d: --r1 must be >= 0, got {}", cfg.r1);
  ZG_CHECK(cfg.eval_samples >= 100,
           "train-gan2d: --eval-samples must be at least 100 (a mode needs 1% of them), got {}",
           cfg.eval_samples);
  const models::GanLoss loss = models::parse_gan_loss(cfg.loss);

  // 1. Data: a distribution to sample from, and its modes when it is a Gaussian mixture.
  std::shared_ptr<data::Toy2D> toy = data::make_toy2d(cfg.data);
  const auto* mix = dynamic_cast<const data::GaussianMixture*>(toy.get());

  // 2. Models and optimisers; the seed fixes the initial weights and every batch.
  manual_seed(cfg.seed);
  models::Gan2dOptions opts{
      .latent_dim = cfg.latent_dim, .hidden = cfg.hidden, .layers = cfg.layers};
  models::Gan2dGenerator G(opts);
  models::Gan2dDiscriminator D(opts);
  const Device device = parse_device(cfg.device);
  G->to(device);  // before the optimisers, which keep state like the parameters
  D->to(device);
  optim::Adam opt_g(G->parameters(), {.lr = cfg.lr, .beta1 = cfg.beta1, .beta2 = cfg.beta2});
  optim::Adam opt_d(D->parameters(), {.lr = cfg.lr, .beta1 = cfg.beta1, .beta2 = cfg.beta2});

  optim::CosineLR schedule(cfg.lr, cfg.steps, cfg.lr * 0.01);

  // 6. The run directory; --resume picks up the checkpoint if there is one.
  io::RunDir run(cfg.run_dir);
  TrainingState state;
  state.add("G", *G).add("D", *D).add("optim_G", opt_g).add("optim_D", opt_d);
  int64_t step = cfg.resume ? state.resume(run, cfg.quiet) : 0;
  const int64_t plot_every =
      cfg.plot_every > 0 ? cfg.plot_every : std::max<int64_t>(1, cfg.steps / 5);
  io::Json config = {{"command", "train-gan2d"},
                     {"version", "0.1.0"},
                     {"data", cfg.data},
                     {"loss", models::gan_loss_name(loss)},
                     {"steps", cfg.steps},
                     {"batch_size", cfg.batch_size},
                     {"lr", cfg.lr},
                     {"beta1", cfg.beta1},
                     {"beta2", cfg.beta2},
                     {"cosine", cfg.cosine},
                     {"r1", cfg.r1},
                     {"latent_dim", cfg.latent_dim},
                     {"hidden", cfg.hidden},
                     {"layers", cfg.layers},
                     {"seed", cfg.seed},
                     {"device", cfg.device},
                     {"log_every", cfg.log_every},
                     {"plot_every", plot_every},
                     {"checkpoint_every", cfg.checkpoint_every},
                     {"eval_samples", cfg.eval_samples},
                     {"threads", get_num_threads()},
                     {"parameters_G", G->num_parameters()},
                     {"parameters_D", D->num_parameters()}};
  run.write_config(config);
  if (step > 0) io::truncate_csv_after(run.file("metrics.csv"), static_cast<double>(step));
  io::CsvWriter metrics(
      run.file("metrics.csv"),
      {"step", "d_loss", "g_loss", "modes", "high_quality", "mmd2", "steps_per_s"},
      /*append=*/step > 0);
  auto save = [&](int64_t at) { state.save(run, at, config); };

  // Fixed inputs for the pictures and the metrics: the same z every time, so the plots show
  // how G's map of the *same* points moves, and a fixed set of real points behind them.
  Generator eval_z(eval_seed(cfg.seed, 1)), eval_real(eval_seed(cfg.seed, 2));
  const Tensor z_eval = randn({cfg.eval_samples, cfg.latent_dim}, eval_z);
  const Tensor real_plot = toy->sample(cfg.eval_samples, eval_real);
  auto sample_eval = [&] {
    NoGradGuard no_grad;
    return G->forward(z_eval.to(device)).to(kCPU);
  };
  auto snapshot = [&](int64_t at) {
    Tensor fake = sample_eval();
    ToyEvaluation e = evaluate_toy_samples(fake, *toy, mix, cfg.seed, at);
    save_scatter(run.file(fmt::format("scatter_{}.png", at)), real_plot, fake, at, e);
  };

  if (!cfg.quiet)
    fmt::print("{}\n{}\n{} ({}), {} loss, {} steps of {}, {} threads\n", G->repr(), D->repr(),
               cfg.data, mix ? fmt::format("{} modes", mix->num_components()) : "no modes",
               models::gan_loss_name(loss), cfg.steps, cfg.batch_size, get_num_threads());
  if (step == 0) snapshot(0);

  // 3–5. The alternating updates.
  const int64_t last_step = cfg.stop_after > 0 ? std::min(cfg.steps, cfg.stop_after) : cfg.steps;
  io::Progress progress("train-gan2d", cfg.steps, "points");
  double d_sum = 0, g_sum = 0, n_sum = 0;
  ToyEvaluation last;
  while (step < last_step) {
    if (cfg.cosine) {
      opt_g.set_lr(schedule.lr_at(step));
      opt_d.set_lr(schedule.lr_at(step));
    }
    auto losses = models::gan2d_train_step(*G, *D, opt_g, opt_d, *toy, cfg.batch_size, loss,
                                           default_generator(), cfg.r1);
    ++step;
    d_sum += losses.d_loss, g_sum += losses.g_loss, n_sum += 1;
    if (step % cfg.log_every == 0 || step == last_step) {
      last = evaluate_toy_samples(sample_eval(), *toy, mix, cfg.seed, step);
      metrics.row({double(step), d_sum / n_sum, g_sum / n_sum, last.modes, last.high_quality,
                   last.mmd2, progress.items_per_second() / double(cfg.batch_size)});
      d_sum = g_sum = n_sum = 0;
    }
    if (!cfg.quiet) {
      std::vector<std::pair<std::string, double>> shown = {{"d_loss", losses.d_loss},
                                                           {"g_loss", losses.g_loss}};
      if (mix) shown.push_back({"modes", last.modes});
      progress.update(step, cfg.batch_size, shown);
    }
    if (step % plot_every == 0 || step == cfg.steps) snapshot(step);
    if (step % cfg.checkpoint_every == 0 || step == last_step) save(step);
  }
  if (!cfg.quiet) progress.finish();

  // The result: metrics of the final G, its samples, and the strip of scatter plots.
  Tensor fake = sample_eval();
  ToyEvaluation e = evaluate_toy_samples(fake, *toy, mix, cfg.seed, step);
  io::save_safetensors(run.file("samples.safetensors"), {{"samples", fake.contiguous()}},
                       {{"command", "train-gan2d"}, {"step", std::to_string(step)}});
  std::vector<int64_t> plotted = {0};
  for (int64_t s = plot_every; s <= cfg.steps; s += plot_every) plotted.push_back(s);
  if (plotted.back() != cfg.steps) plotted.push_back(cfg.steps);
  save_strip(run, plotted);

  Gan2dResult r;
  r.steps = step;
  r.seconds = progress.elapsed_seconds();
  static_cast<ToyScore&>(r) = toy_score(e, mix);
  if (!cfg.quiet) print_toy_score(step, r, mix, r.seconds, run.path());
  return r;
}

void add_train_gan2d_command(CLI::App& app, int& exit_code) {
  auto cfg = std::make_shared<Gan2dConfig>();
  auto* sub = app.add_subcommand("train-gan2d", "Train an MLP GAN on a 2-D toy distribution (D4)");
  sub->add_option(
         "--data", cfg->data,
         "Toy distribution: " +
             [] {
               std::string names;
               for (const auto& n : data::toy2d_names()) names += (names.empty() ? "" : ", ") + n;
               return names;
             }())
      ->capture_default_str();
  add_run_options(sub, *cfg);
  sub->add_option("--loss", cfg->loss, "Generator loss: non-saturating or saturating (D3)")
      ->capture_default_str()
      ->check(CLI::IsMember({"non-saturating", "saturating"}));
  sub->add_option("--steps", cfg->steps)->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--batch-size", cfg->batch_size)
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--lr", cfg->lr, "Adam learning rate of G and D")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--beta1", cfg->beta1)->capture_default_str()->check(CLI::Range(0.0, 0.999999));
  sub->add_option("--latent-dim", cfg->latent_dim)
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--hidden", cfg->hidden, "Width of every hidden layer of G and D")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--layers", cfg->layers, "Hidden layers of G and of D")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--r1", cfg->r1, "R1 gradient penalty on D (Mescheder et al. 2018)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--cosine", cfg->cosine, "Cosine decay of the learning rates (1) or constant (0)")
      ->capture_default_str();
  sub->add_option("--plot-every", cfg->plot_every, "Steps between scatter plots (default steps/5)");
  sub->add_option("--eval-samples", cfg->eval_samples,
                  "Samples per evaluation and in samples.safetensors")
      ->capture_default_str();
  sub->callback([cfg, &exit_code] {
    Gan2dResult r = train_gan2d(*cfg);
    exit_code = r.steps > 0 ? 0 : 1;
  });
}

}  // namespace zg::examples
