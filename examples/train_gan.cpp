// zerogen train-gan — a DCGAN on Fashion-MNIST (or MNIST via --data-dir): the generative
// adversarial network of the source text, on images.
//
// The game (Goodfellow et al. 2014). A generator G maps noise z ~ N(0, I) to an image G(z);
// a discriminator D(x) = σ(logit(x)) says how likely x is real. They play
//     min_G max_D  V(D, G) = E_{x~p_data}[log D(x)] + E_z[log(1 − D(G(z)))].
// For a fixed G the inner maximum is reached at D*(x) = p_data(x) / (p_data(x) + p_g(x))
// (D1 — a maximum, where the source text says minimum), and there
//     V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)                                        (D2)
// so a perfect D turns G's problem into minimising the Jensen–Shannon divergence, whose
// minimum −log 4 is reached only at p_g = p_data. `zerogen derivations --only D1,D2` checks
// both; `zerogen gan-1d` shows them on a line.
//
// The training loop alternates one step of each player on a mini-batch:
//   D step: maximise log D(x) + log(1 − D(G(z)))  ⇔  minimise BCE(logit(x), 1) + BCE(logit(G(z)),
//   0)
//           (G(z) is detached: this step moves D only).
//   G step: the text's G loss log(1 − D(G(z))) saturates — its gradient with respect to the
//           logit is −D(G(z)), which vanishes exactly when D confidently rejects the fakes,
//           i.e. early in training (D3). So G minimises the non-saturating −log D(G(z))
//           = BCE(logit(G(z)), 1) instead, whose gradient −(1 − D(G(z))) stays near −1 there.
// When G finds a few images that fool D it may produce only those — mode collapse (D4; the
// 2-D version is `zerogen train-gan2d`). Here the classifier's class histogram of the
// samples measures it: a collapsed GAN covers few of the ten classes.
//
// The networks are the DCGAN of workload W3 (models/dcgan.h): transposed convolutions up
// from 7×7 with BatchNorm and ReLU in G, strided convolutions down with LeakyReLU(0.2) in D,
// tanh output in [−1, 1] — so the data are scaled to [−1, 1] too — and Adam with lr 2e-4 and
// β1 = 0.5 (Radford et al. 2016: β1 = 0.9 made training oscillate).
//
// What the run leaves (DESIGN.md): config.json; metrics.csv (D and G losses, the mean D(x)
// on real and D(G(z)) on fake images — at the game's equilibrium both would be ½);
// losses.png; samples_<step>.png, a grid from the same 64 noise vectors throughout, so
// the pictures show one set of images taking shape; checkpoint.safetensors (both networks,
// both optimisers, step, RNG) for --resume; at the end samples.safetensors (--num-samples
// images in [0, 1]) and their score by the classifier of `zerogen train-classifier`.
#include "examples/train_gan.h"

#include <fmt/format.h>

#include "data/dataloader.h"
#include "data/idx.h"
#include "examples/score.h"
#include "examples/trainer_options.h"
#include "examples/training_state.h"
#include "io/csv.h"
#include "io/plot.h"
#include "io/png.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/dcgan.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

constexpr int64_t kGridImages = 64;

// Images from G in eval mode (BatchNorm uses its running statistics, so a sample does not
// depend on the others in its batch), in batches, without recording a graph; run on G's
// device, returned on the CPU.
Tensor generate(models::DCGANGeneratorImpl& g, const Tensor& z) {
  NoGradGuard no_grad;
  g.eval();
  const Device device = g.parameters().at(0).device();
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < z.size(0); i += 500)
    parts.push_back(
        g.forward(z.narrow(0, i, std::min<int64_t>(500, z.size(0) - i)).to(device)).to(kCPU));
  g.train();
  return cat(parts, 0);
}

}  // namespace

GanResult train_gan(const GanConfig& cfg) {
  std::string data_dir = cfg.data_dir.empty() ? data::kFashionMnistDir : cfg.data_dir;
  const Device device = parse_device(cfg.device);
  ZG_CHECK(cfg.epochs > 0 && cfg.batch_size > 0 && cfg.lr > 0,
           "train-gan: epochs, batch size and lr must be positive");
  ZG_CHECK(cfg.num_samples >= 0 && cfg.sample_every > 0 && cfg.log_every > 0,
           "train-gan: --num-samples must be >= 0, --sample-every and --log-every positive");

  // 1. Data: training images only (a GAN has no use for labels), scaled from [0, 1] to
  //    [−1, 1], the range of G's tanh.
  data::ImageDataset train = data::load_mnist(data_dir, true);
  Tensor images = train.images;
  if (cfg.train_limit > 0 && cfg.train_limit < images.size(0))
    images = images.narrow(0, 0, cfg.train_limit);
  data::DataLoader loader(images * 2.0 - 1.0, Tensor(), cfg.batch_size, /*shuffle=*/true,
                          /*drop_last=*/true, cfg.seed);
  ZG_CHECK(loader.size() > 0, "train-gan: {} images make no batch of {}", images.size(0),
           cfg.batch_size);
  const int64_t steps_per_epoch = loader.size();
  const int64_t total_steps = cfg.epochs * steps_per_epoch;

  // 2. The two players and their optimisers; the seed fixes the initial weights and the noise.
  manual_seed(cfg.seed);
  models::DCGANGenerator g;
  models::DCGANDiscriminator d;
  const int64_t latent = g->options.latent_dim;
  g->to(device);  // before the optimisers, which keep state like the parameters
  d->to(device);
  optim::Adam opt_g(g->parameters(), {.lr = cfg.lr, .beta1 = 0.5});
  optim::Adam opt_d(d->parameters(), {.lr = cfg.lr, .beta1 = 0.5});
  // The grid's noise comes from its own stream, so drawing it does not shift training's.
  Generator grid_stream(cfg.seed + 1);
  const Tensor grid_z = randn({kGridImages, latent}, grid_stream);

  // 3. The run directory; --resume picks up the checkpoint if there is one.
  io::RunDir run(cfg.run_dir);
  TrainingState state;
  state.add("generator", *g).add("discriminator", *d);
  state.add("optim_generator", opt_g).add("optim_discriminator", opt_d);
  int64_t step = cfg.resume ? state.resume(run, cfg.quiet) : 0;
  io::Json config = {{"command", "train-gan"},
                     {"version", "0.1.0"},
                     {"data_dir", data_dir},
                     {"epochs", cfg.epochs},
                     {"batch_size", cfg.batch_size},
                     {"lr", cfg.lr},
                     {"beta1", 0.5},
                     {"seed", cfg.seed},
                     {"device", cfg.device},
                     {"train_limit", cfg.train_limit},
                     {"num_samples", cfg.num_samples},
                     {"threads", get_num_threads()},
                     {"blas_core", cpu::blas_core_name()},
                     {"parameters_generator", g->num_parameters()},
                     {"parameters_discriminator", d->num_parameters()}};
  run.write_config(config);
  if (step > 0) io::truncate_csv_after(run.file("metrics.csv"), static_cast<double>(step));
  io::CsvWriter metrics(run.file("metrics.csv"),
                        {"step", "epoch", "d_loss", "g_loss", "d_real", "d_fake", "samples_per_s"},
                        /*append=*/step > 0);
  auto save = [&](int64_t at) { state.save(run, at, config); };
  if (!cfg.quiet)
    fmt::print("{}\n{}\n{} training images, {} steps of {}, {} threads\n", g->repr(), d->repr(),
               images.size(0), total_steps, cfg.batch_size, get_num_threads());

  // 4. The game.
  const int64_t last_step =
      cfg.stop_after > 0 ? std::min(total_steps, cfg.stop_after) : total_steps;
  io::Progress progress("train-gan", total_steps, "images");
  const Tensor real_label = ones({cfg.batch_size, 1}, device),
               fake_label = zeros({cfg.batch_size, 1}, device);
  double d_sum = 0, g_sum = 0, real_sum = 0, fake_sum = 0;
  int64_t logged = 0;
  GanResult result;
  while (step < last_step) {
    Tensor real = loader.batch(step / steps_per_epoch, step % steps_per_epoch).inputs.to(device);
    Tensor fake = g(randn({cfg.batch_size, latent}, device));

    // D step: real → 1, fake → 0. detach(): this loss must not reach G's weights.
    Tensor real_logits = d(real), fake_logits = d(fake.detach());
    Tensor d_loss = nn::functional::binary_cross_entropy_with_logits(real_logits, real_label) +
                    nn::functional::binary_cross_entropy_with_logits(fake_logits, fake_label);
    opt_d.zero_grad();
    d_loss.backward();
    opt_d.step();

    // G step, non-saturating (D3): make the just-updated D call the fakes real.
    Tensor g_loss = nn::functional::binary_cross_entropy_with_logits(d(fake), real_label);
    opt_g.zero_grad();
    g_loss.backward();  // also leaves gradients in D's weights; D's zero_grad clears them
    opt_g.step();
    ++step;

    d_sum += d_loss.item<double>();
    g_sum += g_loss.item<double>();
    real_sum += real_logits.sigmoid().mean().item<double>();
    fake_sum += fake_logits.sigmoid().mean().item<double>();
    ++logged;
    if (!cfg.quiet)
      progress.update(step, cfg.batch_size,
                      {{"d_loss", d_loss.item<double>()}, {"g_loss", g_loss.item<double>()}});
    if (step % cfg.log_every == 0 || step == last_step) {
      double n = static_cast<double>(logged);
      result.d_loss = d_sum / n;
      result.g_loss = g_sum / n;
      metrics.row({double(step), double(step) / double(steps_per_epoch), result.d_loss,
                   result.g_loss, real_sum / n, fake_sum / n, progress.items_per_second()});
      d_sum = g_sum = real_sum = fake_sum = 0;
      logged = 0;
    }
    if (step % cfg.sample_every == 0 || step == last_step)
      io::save_image_grid(run.file(fmt::format("samples_{:06d}.png", step)), generate(*g, grid_z),
                          8, -1.0, 1.0);
    if (step % steps_per_epoch == 0 || step == last_step) save(step);
  }
  if (!cfg.quiet) progress.finish();
  result.steps = step;
  result.seconds = progress.elapsed_seconds();
  io::plot_csv_columns(run.file("metrics.csv"), {"d_loss", "g_loss"}, run.file("losses.png"),
                       "train-gan: D and G losses");
  if (step < total_steps) return result;  // stopped early: the samples come at the real end

  // 5. Samples and their score. The noise for them, too, has its own stream.
  Generator sample_stream(cfg.seed + 2);
  Tensor samples =
      ((generate(*g, randn({cfg.num_samples, latent}, sample_stream)) + 1.0) * 0.5).clamp(0.0, 1.0);
  io::save_safetensors(run.file("samples.safetensors"), {{"samples", samples}});
  io::save_image_grid(run.file("samples.png"),
                      samples.narrow(0, 0, std::min<int64_t>(100, cfg.num_samples)), 10);
  if (!cfg.quiet)
    fmt::print("{} samples in {}; last losses D {:.3f}, G {:.3f}; {}\n", cfg.num_samples,
               run.file("samples.safetensors"), result.d_loss, result.g_loss,
               io::format_duration(result.seconds));
  if (cfg.num_samples > 1) {
    auto score = score_if_classifier(cfg.classifier, samples,
                                     data::load_mnist(data_dir, false).images, cfg.quiet);
    result.scored = score.has_value();
    if (score) {
      result.frechet = score->frechet;
      result.classes_covered = score->histogram.covered;
    }
  }
  return result;
}

void add_train_gan_command(CLI::App& app, int& exit_code) {
  auto cfg = std::make_shared<GanConfig>();
  auto* sub = app.add_subcommand("train-gan", "Train the DCGAN on Fashion-MNIST (D1–D4)");
  add_image_trainer_options(sub, *cfg);
  sub->add_option("--classifier", cfg->classifier, "train-classifier checkpoint for the score")
      ->capture_default_str();
  sub->add_option("--num-samples", cfg->num_samples, "Images in samples.safetensors")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--sample-every", cfg->sample_every, "Steps between sample grids")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->callback([cfg, &exit_code] {
    GanResult r = train_gan(*cfg);
    exit_code = r.steps > 0 ? 0 : 1;
  });
}

}  // namespace zg::examples
