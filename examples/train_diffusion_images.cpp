// zerogen train-ddpm / train-ncsn on images — Fashion-MNIST by default (MNIST or any IDX
// directory through --data-dir): the diffusion model and the noise-conditional score network
// of the source text, trained and sampled on the CPU.
//
// The story, top to bottom:
//   1. Data: the training images scaled from [0, 1] to [−1, 1] (DDPM's convention; the
//      discretised decoder of the bound in bits/dim assumes it, D16).
//   2. Noise levels (models/noise_levels.h): x_k = a_k·x_0 + b_k·ε.
//        DDPM: a = √ᾱ_t, b = √(1 − ᾱ_t), β linear 1e-4 → 0.02 over T = 1000 (or cosine) —
//              the forward chain forgets x_0 (D12) and has this closed form (D13);
//        NCSN: a = 1, b = σ_i, 100 geometric σ from 20 to 0.01 (D20; σ_1 about the largest
//              distance between images and levels close enough to overlap, Song & Ermon
//              2020's techniques 1 and 2: their 2019 setting, 10 levels from 1, gave blobs).
//   3. The network: the UNet of workload W4 (models/unet.h) — ResBlocks with GroupNorm and
//      SiLU, a sinusoidal embedding of t (DDPM) or of 1000·log σ (NCSN), self-attention at
//      7×7 — by default with one ResBlock per level instead of W4's two, to fit the CPU.
//   4. The objective (models/diffusion_objective.h), one line per method:
//        DDPM: L_simple = ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖², t ~ U{1..T} — the
//              variational bound's terms with their weights dropped (D16);
//        NCSN: Σ_i λ(σ_i)·½‖s_θ(x̃, σ_i) + (x̃ − x)/σ_i²‖², λ = σ² (denoising score
//              matching, D19, D20), i.e. ½‖σ s_θ + ε‖².
//      Adam (lr 1e-3) and an EMA of the weights (decay 0.999 with warm-up, optim/ema.h),
//      which is what gets sampled.
//   5. Sampling (models/samplers.h): DDPM's ancestral sampler over all T steps (D15), DDIM
//      with fewer steps, the reverse SDE or the probability-flow ODE (D21), or NCSN's
//      annealed Langevin dynamics (D20; 3 steps per level on images); `zerogen sample`
//      re-samples a finished run.
//   6. Evaluation: for DDPM the variational bound in bits/dim on test images (L_T + Σ L_{t−1}
//      + L_0 with the discretised decoder, D16; the t-terms subsampled without bias), next to
//      L_simple; for both, the samples scored by the classifier of `zerogen train-classifier`
//      (Fréchet distance in its feature space, class histogram).
//   7. Files: config.json; metrics.csv and loss.png; samples_<step>.png (EMA model, fixed
//      noise); denoising.png (one sample from noise to image, left to right); samples.png;
//      samples.safetensors (images in [0, 1]); checkpoint.safetensors for --resume.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/dataloader.h"
#include "data/idx.h"
#include "examples/diffusion_setup.h"
#include "examples/score.h"
#include "examples/training_state.h"
#include "io/atomic_file.h"
#include "io/csv.h"
#include "io/plot.h"
#include "io/png.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/diffusion_loss.h"
#include "models/unet.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

constexpr int64_t kGridImages = 64, kChunk = 250;

}  // namespace

DiffusionResult train_diffusion_images(const DiffusionConfig& config) {
  DiffusionConfig cfg = with_defaults(config);
  const std::string data_dir = cfg.data_dir.empty() ? data::kFashionMnistDir : cfg.data_dir;
  const models::DiffusionSetup setup = make_setup(cfg);
  const models::SamplerOptions sampler = make_sampler_options(cfg);
  const std::string label = "train-" + cfg.method;
  const bool ddpm = setup.method == models::DiffusionMethod::kDdpm;
  const Device device = parse_device(cfg.device);

  // 1. Data in [−1, 1].
  Tensor images = data::load_mnist(data_dir, true).images;
  if (cfg.train_limit > 0 && cfg.train_limit < images.size(0))
    images = images.narrow(0, 0, cfg.train_limit);
  data::DataLoader loader(images * 2.0 - 1.0, Tensor(), cfg.batch_size, /*shuffle=*/true,
                          /*drop_last=*/true, cfg.seed);
  ZG_CHECK(loader.size() > 0, "{}: {} images make no batch of {}", label, images.size(0),
           cfg.batch_size);
  const int64_t per_epoch = loader.size();
  cfg.image_channels = images.size(1);
  cfg.image_size = images.size(2);
  ZG_CHECK(images.size(2) == images.size(3), "{}: images must be square, got {}", label,
           shape_str(images.shape()));

  // 3. The UNet, its EMA copy (sampled from) and Adam.
  manual_seed(cfg.seed);
  const models::UNetOptions net_options = make_unet_options(cfg);
  models::UNet net(net_options), ema_net(net_options);
  net->to(device);  // before EMA and Adam, which keep state like the parameters
  ema_net->to(device);
  ema_net->eval();
  optim::EMA ema(net->parameters(), cfg.ema_decay, /*warmup=*/true);
  optim::Adam opt(net->parameters(), {.lr = cfg.lr});
  auto network = [&](const Tensor& x, const Tensor& t) { return net(x, t); };
  auto ema_network = [&](const Tensor& x, const Tensor& t) { return ema_net(x, t); };
  const models::Denoiser ema_denoiser = models::make_denoiser(ema_network, setup);
  const Shape image_shape = {images.size(1), images.size(2), images.size(3)};

  io::RunDir run(cfg.run_dir);
  TrainingState state;
  state.add("model", *net).add("ema", ema).add("optim", opt);
  int64_t step = cfg.resume ? state.resume(run, cfg.quiet) : 0;
  const io::Json json = write_run_config(cfg, *net, run, step);
  io::CsvWriter metrics(run.file("metrics.csv"), {"step", "epoch", "loss", "images_per_s"},
                        /*append=*/step > 0);

  // Samples of the EMA model, in chunks, each chunk from its own fixed noise stream; the
  // final, long one (show_progress) prints a progress line per sampler step.
  const int64_t levels_per_chunk = static_cast<int64_t>(
      models::sampler_levels(setup.levels.num_levels(), cfg.sample_steps).size());
  auto draw = [&](int64_t count, const models::SamplerCallback& callback = {},
                  bool show_progress = false) {
    NoGradGuard no_grad;
    ema.copy_to(ema_net->parameters());
    const int64_t total = (count + kChunk - 1) / kChunk * levels_per_chunk;
    io::Progress progress("sampling", total, "steps");
    int64_t done = 0;
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < count; i += kChunk) {
      Generator gen(eval_seed(cfg.seed, 10 + static_cast<uint64_t>(i)));
      Shape shape = image_shape;
      shape.insert(shape.begin(), std::min(kChunk, count - i));
      parts.push_back(models::sample(
          ema_denoiser, sampler, shape, gen,
          [&](int s, int level, const Tensor& x) {
            if (i == 0 && callback) callback(s, level, x);
            if (show_progress && !cfg.quiet) progress.update(std::min(++done, total), 1, {});
          },
          device));
    }
    if (show_progress && !cfg.quiet) progress.finish();
    return ((cat(parts, 0) + 1.0) * 0.5).clamp(0.0, 1.0).to(kCPU);
  };
  if (!cfg.quiet)
    fmt::print("{}\n{} on {} images ({}), {} levels, {} steps of {} ({:.1f} epochs), {} threads\n",
               net->repr(), cfg.method, images.size(0), data_dir, setup.levels.num_levels(),
               cfg.steps, cfg.batch_size, double(cfg.steps) / double(per_epoch), get_num_threads());

  // 4. Training.
  const int64_t last_step = cfg.stop_after > 0 ? std::min(cfg.steps, cfg.stop_after) : cfg.steps;
  const int64_t grid_every = std::max<int64_t>(cfg.checkpoint_every, 1);
  io::Progress progress(label, cfg.steps, "images");
  double loss_sum = 0, loss_count = 0;
  DiffusionResult r;
  while (step < last_step) {
    Tensor x0 = loader.batch(step / per_epoch, step % per_epoch).inputs.to(device);
    const double value = diffusion_training_step(network, setup, x0, default_generator(), opt, ema);
    ++step;
    loss_sum += value, loss_count += 1;
    if (!cfg.quiet) progress.update(step, cfg.batch_size, {{"loss", value}});
    if (step % cfg.log_every == 0 || step == last_step) {
      r.final_loss = loss_sum / loss_count;
      metrics.row({double(step), double(step) / double(per_epoch), r.final_loss,
                   progress.items_per_second()});
      loss_sum = loss_count = 0;
    }
    if (step % cfg.checkpoint_every == 0 || step == last_step) state.save(run, step, json);
    if (step % grid_every == 0 && step < cfg.steps)
      io::save_image_grid(run.file(fmt::format("samples_{:06d}.png", step)), draw(kGridImages));
  }
  if (!cfg.quiet) progress.finish();
  r.steps = step;
  r.seconds = progress.elapsed_seconds();
  io::plot_csv_columns(run.file("metrics.csv"), {"loss"}, run.file("loss.png"),
                       label + ": training loss");
  if (step < cfg.steps) return r;  // stopped early: --resume finishes the run

  // 5. Samples, and one of them followed from noise to image.
  // Sample 0 at every step of the reverse process; 12 evenly spaced frames are shown.
  std::vector<Tensor> states;
  auto record = [&](int, int, const Tensor& x) {
    states.push_back(((x.narrow(0, 0, 1) + 1.0) * 0.5).clamp(0.0, 1.0).to(kCPU));
  };
  Tensor samples = draw(cfg.num_samples, record, /*show_progress=*/true);
  std::vector<Tensor> frames;
  const size_t shown = std::min<size_t>(12, states.size());
  for (size_t i = 0; i < shown; ++i)
    frames.push_back(states[shown == 1 ? 0 : i * (states.size() - 1) / (shown - 1)]);
  io::save_image_grid(run.file("denoising.png"), cat(frames, 0),
                      static_cast<int64_t>(frames.size()));
  io::save_image_grid(run.file("samples.png"),
                      samples.narrow(0, 0, std::min<int64_t>(100, samples.size(0))), 10);
  io::save_safetensors(run.file("samples.safetensors"), {{"samples", samples.contiguous()}},
                       {{"command", label}, {"step", std::to_string(step)}});

  // 6. The bound in bits/dim (DDPM) and the classifier's score.
  const Tensor test_images = data::load_mnist(data_dir, false).images;
  r.test_bpd = std::numeric_limits<double>::quiet_NaN();
  if (ddpm && cfg.bpd_images > 0) {
    NoGradGuard no_grad;
    ema.copy_to(ema_net->parameters());
    Tensor x0 = test_images.narrow(0, 0, std::min(cfg.bpd_images, test_images.size(0))).to(device);
    Generator gen(eval_seed(cfg.seed, 5));
    models::VlbOptions vlb_options;
    vlb_options.timesteps = cfg.bpd_timesteps;
    models::VlbTerms terms = models::variational_bound_bpd(
        ema_network, models::DiffusionSchedule::from_name(cfg.schedule, cfg.timesteps),
        x0 * 2.0 - 1.0, gen, vlb_options);
    r.test_bpd = terms.total_bpd;
    if (!cfg.quiet)
      fmt::print(
          "test bound on {} images: {:.3f} bits/dim (L_T {:.2e}, diffusion {:.3f}, L_0 "
          "{:.3f})\n",
          x0.size(0), terms.total_bpd, terms.prior_bpd, terms.diffusion_bpd, terms.decoder_bpd);
  }
  if (!cfg.quiet)
    fmt::print("{} samples in {}; final loss {:.4f}; {}\n", samples.size(0),
               run.file("samples.safetensors"), r.final_loss, io::format_duration(r.seconds));
  if (samples.size(0) > 1) {
    auto score = score_if_classifier(cfg.classifier, samples, test_images, cfg.quiet);
    if (score) r.frechet_distance = score->frechet;
  }
  io::Json results = {{"steps", r.steps},
                      {"final_loss", r.final_loss},
                      {"test_bpd", std::isnan(r.test_bpd) ? io::Json() : io::Json(r.test_bpd)},
                      {"frechet_distance", r.frechet_distance},
                      {"seconds", r.seconds}};
  io::write_file_atomically(run.file("results.json"), results.dump(2) + "\n");
  return r;
}

}  // namespace zg::examples
