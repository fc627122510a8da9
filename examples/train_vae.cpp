// zerogen train-vae — a variational autoencoder on Fashion-MNIST (or MNIST via --data-dir):
// the ELBO trained with the reparameterisation trick, then log p(x) measured by importance
// weighting. D6 and D8–D11 of ../shared/DERIVATIONS.md, top to bottom.
//
//   1. The model. A latent z ∈ R^d with prior p(z) = N(0, I); a decoder network maps z to
//      784 logits l(z), and p(x|z) = Π_i Bernoulli(x_i; σ(l_i(z))). The likelihood of an
//      image, p(x) = ∫ p(x|z) p(z) dz, has no closed form, and neither has the posterior
//      p(z|x). An encoder network gives an approximation q(z|x) = N(μ(x), diag σ²(x)).
//      (models/vae.h: the W2 MLP, 1,091,920 parameters, or a small conv net, 370,945.)
//
//   2. The ELBO identity (D9). For any q, p(x, z)/q(z|x) = p(x) · p(z|x)/q(z|x); take the
//      log and the expectation under q:
//        log p(x) = E_q[log p(x, z) − log q(z|x)] + KL(q(z|x) ‖ p(z|x)).
//      The KL is ≥ 0, so the first term, the evidence lower bound (ELBO), is ≤ log p(x) —
//      the same as Jensen's inequality, log E_q[p(x,z)/q] ≥ E_q[log p(x,z)/q]. The gap is
//      q's distance from the true posterior: maximising the ELBO over the decoder and the
//      encoder together raises log p(x) and pulls q toward p(z|x).
//
//   3. The objective (D11). Split p(x, z) = p(x|z) p(z):
//        ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)).
//      The KL goes from the encoder q to the prior p: the derivation is an expectation
//      under q, which fixes the order. The source text writes KL(P(z) ‖ q(z|x)) — an
//      erratum; the two orders differ (the D11 rows of `zerogen derivations` show it).
//      For a diagonal Gaussian q against N(0, I) it is closed-form (D6),
//        KL = ½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²),
//      and the Bernoulli log-likelihood is minus binary cross-entropy with logits:
//        log p(x|z) = Σ_i x_i log σ(l_i) + (1 − x_i) log(1 − σ(l_i)) = −Σ_i [softplus(l_i) − x_i
//        l_i].
//      The loss is −ELBO per image, in nats ("reconstruction" + "KL" in the logs).
//
//   4. Reparameterisation (D8). E_q[log p(x|z)] must be differentiated through q's
//      parameters. Write z = μ + σ ⊙ ε, ε ~ N(0, I): the noise no longer depends on (μ, σ),
//      so ∇ E_ε[f(μ + σε)] = E_ε[∇ f(μ + σε)], estimated with one ε per image and backprop —
//      far lower variance than the score-function estimator E_q[f ∇ log q].
//
//   5. KL per dimension and posterior collapse. KL is a sum over latent dimensions; each
//      KL_d (the batch mean of ½(μ_d² + σ_d² − 1 − log σ_d²)) is logged. KL_d ≈ 0 means
//      q(z_d|x) = N(0, 1) for every x: the dimension carries no information about x and the
//      decoder ignores it — "posterior collapse" of that dimension. Some collapsed dims are
//      normal (the KL charges for every nat a dimension carries, so the model switches off
//      those it does not need); the active ones (KL_d > 0.01 nats) are the effective latent
//      size. The extreme case ignores z altogether, KL = 0: then p(x|z) = p(x) must model
//      pixels independently, and the best factorised Bernoulli is the per-pixel training
//      mean p̄, with test NLL −Σ_i [x_i log p̄_i + (1 − x_i) log(1 − p̄_i)]. That baseline is
//      printed beside the VAE's −ELBO, which must beat it.
//
//   6. Measuring log p(x) (D10). Importance sampling with q as the proposal estimates
//      p(x) = E_q[w], w = p(x|z) p(z)/q(z|x), without bias; its log is biased low, and
//        L_K = E[log (1/K) Σ_k w_k],  z_1..z_K ~ q(z|x) independent,
//      satisfies ELBO = L_1 ≤ L_K ≤ L_{K+1} ≤ log p(x), L_K → log p(x) (Burda et al.'s IWAE
//      bound). Log weights are around −250 nats, where exp underflows, so the mean is
//      computed as logsumexp(log w) − log K. At the end the trainer prints −L_K for
//      K = 1, 10, 100, …, --iwae-k on --iwae-images test images with the standard error over
//      images: −L_K ≤ −ELBO, and the difference says how loose the ELBO was.
//
//   7. Grey pixels as Bernoulli targets. Fashion-MNIST pixels are grey levels in [0, 1], not
//      bits. Reading them as Bernoulli targets (binary cross-entropy with fractional
//      targets) is the common practice, but it is not a likelihood of real-valued images:
//      the nats here compare models under this convention only — not densities of images,
//      nor papers on binarised MNIST. The reconstruction term cannot go below Σ_i H(x_i), the
//      entropy of each grey pixel read as a coin; that floor is printed too.
//
//   8. Files (DESIGN.md): config.json; metrics.csv (training loss every --log-every steps);
//      test_metrics.csv (per epoch: test −ELBO, reconstruction, KL, active dims);
//      kl_per_dim.csv (per epoch); checkpoint.safetensors (model, optimiser, step, RNG: a
//      bit-for-bit --resume); samples_<step>.png each epoch; at the end reconstructions.png
//      (test images, odd rows, above their reconstructions σ(l(μ(x))), even rows),
//      samples.png (decoder means σ(l(z)) for z ~ N(0, I)), manifold.png (latent 2: z on a
//      grid spaced by the inverse normal CDF), samples.safetensors (--num-samples of them,
//      'samples' [N, 1, 28, 28] in [0, 1]) and results.json.
#include "examples/train_vae.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "data/dataloader.h"
#include "data/idx.h"
#include "examples/score.h"
#include "examples/trainer_options.h"
#include "examples/training_state.h"
#include "io/atomic_file.h"
#include "io/csv.h"
#include "io/png.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/vae.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

// Fixed seeds for evaluation draws, from their own generators: evaluating never moves the
// training generator, so a run's trajectory does not depend on what it evaluates or when.
constexpr uint64_t kTestSeed = 0x7e57, kGridSeed = 0x9d1d, kSampleSeed = 0x5a3b, kIwaeSeed = 0x1a3e;

data::ImageDataset limit(data::ImageDataset d, int64_t n) {
  if (n <= 0 || n >= d.images.size(0)) return d;
  return {d.images.narrow(0, 0, n), d.labels.narrow(0, 0, n)};
}

struct TestEval {
  double neg_elbo = 0, reconstruction = 0, kl = 0;
  std::vector<double> kl_per_dim;
  int64_t active = 0;
};

// The device the model's parameters live on (the trainer's --device).
Device device_of(const nn::Module& model) { return model.parameters().at(0).device(); }

// −ELBO on `images` with one reparameterised sample per image and the closed-form KL.
TestEval evaluate(models::VAEImpl& model, const Tensor& images, uint64_t seed) {
  NoGradGuard no_grad;
  Generator gen(seed);
  const Device device = device_of(model);
  const int64_t n = images.size(0), d = model.latent_dim();
  double loss = 0, rec = 0;
  Tensor kl_dims = zeros({d}, kFloat64);
  for (int64_t i = 0; i < n; i += 500) {
    int64_t b = std::min<int64_t>(500, n - i);
    auto l = model.loss(images.narrow(0, i, b).to(device), randn({b, d}, gen, device));
    loss += l.loss.item<double>() * double(b);
    rec += l.reconstruction.item<double>() * double(b);
    kl_dims += l.kl_per_dim.to(kFloat64).to(kCPU) * double(b);
  }
  TestEval e{loss / double(n), rec / double(n), 0, (kl_dims / double(n)).to_vector<double>(), 0};
  for (double k : e.kl_per_dim) {
    e.kl += k;
    e.active += k > 0.01;
  }
  return e;
}

// Decoder means σ(l(z)) as images [N, 1, 28, 28], on the CPU.
Tensor decode_images(models::VAEImpl& model, const Tensor& z) {
  NoGradGuard no_grad;
  return model.decode(z.to(device_of(model))).sigmoid().reshape({z.size(0), 1, 28, 28}).to(kCPU);
}

// Φ⁻¹(p) by bisection on Φ(z) = ½ erfc(−z/√2): exact to double precision, and only
// called for a 20-point grid.
double normal_ppf(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::string format_kl(const std::vector<double>& kl) {
  std::string s;
  for (double k : kl) s += fmt::format("{}{:.1f}", s.empty() ? "" : " ", k);
  return s;
}

}  // namespace

VAEResult train_vae(const VAEConfig& cfg) {
  std::string data_dir = cfg.data_dir.empty() ? data::kFashionMnistDir : cfg.data_dir;
  const Device device = parse_device(cfg.device);
  ZG_CHECK(cfg.model == "mlp" || cfg.model == "conv",
           "train-vae: --model must be mlp or conv, got '{}'", cfg.model);
  ZG_CHECK(cfg.epochs > 0 && cfg.batch_size > 0 && cfg.lr > 0 && cfg.latent_dim > 0,
           "train-vae: epochs ({}), batch size ({}), lr ({}) and latent dim ({}) must be positive",
           cfg.epochs, cfg.batch_size, cfg.lr, cfg.latent_dim);
  ZG_CHECK(cfg.iwae_k >= 1 && cfg.iwae_images >= 0 && cfg.num_samples >= 1 && cfg.log_every > 0,
           "train-vae: --iwae-k ({}) and --num-samples ({}) must be >= 1, --iwae-images ({}) >= 0, "
           "--log-every ({}) > 0",
           cfg.iwae_k, cfg.num_samples, cfg.iwae_images, cfg.log_every);

  // Data: images [N, 1, 28, 28] in [0, 1], used as Bernoulli targets (note 7 above).
  data::ImageDataset train = limit(data::load_mnist(data_dir, true), cfg.train_limit);
  data::ImageDataset test = limit(data::load_mnist(data_dir, false), cfg.test_limit);
  ZG_CHECK(train.images.size(0) >= cfg.batch_size,
           "train-vae: {} training images are fewer than one batch of {}", train.images.size(0),
           cfg.batch_size);
  data::DataLoader loader(train.images, Tensor(), cfg.batch_size, /*shuffle=*/true,
                          /*drop_last=*/true, cfg.seed);
  const int64_t steps_per_epoch = loader.size();
  const int64_t total_steps = cfg.epochs * steps_per_epoch;

  // Model and optimiser; the seed fixes the initial weights and every training ε.
  manual_seed(cfg.seed);
  models::VAE model = models::make_vae(cfg.model, cfg.latent_dim);
  model->to(device);  // before the optimiser, which keeps state like the parameters
  optim::Adam opt(model->parameters(), {.lr = cfg.lr});
  const int64_t d = model->latent_dim();

  io::RunDir run(cfg.run_dir);
  TrainingState state;
  state.add("model", *model).add("optim", opt);
  int64_t step = cfg.resume ? state.resume(run, cfg.quiet) : 0;
  io::Json config = {{"command", "train-vae"},
                     {"version", "0.1.0"},
                     {"data_dir", data_dir},
                     {"model", cfg.model},
                     {"latent_dim", cfg.latent_dim},
                     {"epochs", cfg.epochs},
                     {"batch_size", cfg.batch_size},
                     {"lr", cfg.lr},
                     {"seed", cfg.seed},
                     {"device", cfg.device},
                     {"iwae_k", cfg.iwae_k},
                     {"iwae_images", cfg.iwae_images},
                     {"num_samples", cfg.num_samples},
                     {"train_limit", cfg.train_limit},
                     {"test_limit", cfg.test_limit},
                     {"threads", get_num_threads()},
                     {"blas_core", cpu::blas_core_name()},
                     {"parameters", model->num_parameters()}};
  run.write_config(config);
  // Rows logged after the checkpoint (a run killed mid-epoch) would be logged again.
  const char* csv_names[] = {"metrics.csv", "test_metrics.csv", "kl_per_dim.csv"};
  if (step > 0)
    for (const char* name : csv_names) io::truncate_csv_after(run.file(name), double(step));
  io::CsvWriter metrics(run.file("metrics.csv"),
                        {"step", "epoch", "loss", "reconstruction", "kl", "lr", "samples_per_s"},
                        step > 0);
  io::CsvWriter test_metrics(run.file("test_metrics.csv"),
                             {"step", "epoch", "neg_elbo", "reconstruction", "kl", "active_dims"},
                             step > 0);
  std::vector<std::string> kl_columns = {"step", "epoch"};
  for (int64_t i = 0; i < d; ++i) kl_columns.push_back(fmt::format("kl_{}", i));
  io::CsvWriter kl_csv(run.file("kl_per_dim.csv"), kl_columns, step > 0);

  auto save = [&](int64_t at) { state.save(run, at, config); };
  if (!cfg.quiet)
    fmt::print("{}\n{} training images, {} steps of {}, {} threads, OpenBLAS {} kernels\n",
               model->repr(), train.images.size(0), total_steps, cfg.batch_size, get_num_threads(),
               cpu::blas_core_name());

  // A fixed z for the per-epoch sample grids, so successive grids show the same draws.
  Tensor grid_z = [&] {
    Generator g(cfg.seed ^ kGridSeed);
    return randn({64, d}, g);
  }();

  const int64_t last_step =
      cfg.stop_after > 0 ? std::min(total_steps, cfg.stop_after) : total_steps;
  io::Progress progress("train-vae", total_steps);
  VAEResult result;
  TestEval last_eval;
  double loss_sum = 0, rec_sum = 0, kl_sum = 0, logged = 0;
  while (step < last_step) {
    auto batch = loader.batch(step / steps_per_epoch, step % steps_per_epoch);
    const Tensor inputs = batch.inputs.to(device);
    Tensor eps = randn({inputs.size(0), d}, device);  // the reparameterisation noise (D8)
    models::VAELoss l = model->loss(inputs, eps);
    opt.zero_grad();
    l.loss.backward();
    opt.step();
    ++step;

    const double loss = l.loss.item<double>();
    loss_sum += loss;
    rec_sum += l.reconstruction.item<double>();
    kl_sum += l.kl.item<double>();
    logged += 1;
    if (!cfg.quiet)
      progress.update(step, inputs.size(0), {{"-elbo", loss}, {"kl", l.kl.item<double>()}});
    if (step % cfg.log_every == 0 || step == last_step) {
      metrics.row({double(step), double(step) / double(steps_per_epoch), loss_sum / logged,
                   rec_sum / logged, kl_sum / logged, opt.lr(), progress.items_per_second()});
      loss_sum = rec_sum = kl_sum = logged = 0;
    }
    if (step % steps_per_epoch == 0) {
      // The end of an epoch: the test ELBO, its parts, and the KL of each latent dimension.
      const int64_t epoch = step / steps_per_epoch;
      last_eval = evaluate(*model, test.images, cfg.seed ^ kTestSeed);
      test_metrics.row({double(step), double(epoch), last_eval.neg_elbo, last_eval.reconstruction,
                        last_eval.kl, double(last_eval.active)});
      std::vector<double> row = {double(step), double(epoch)};
      row.insert(row.end(), last_eval.kl_per_dim.begin(), last_eval.kl_per_dim.end());
      kl_csv.row(row);
      io::save_image_grid(run.file(fmt::format("samples_{}.png", step)),
                          decode_images(*model, grid_z), 8);
      if (!cfg.quiet) {
        progress.finish();
        fmt::print(
            "epoch {}/{}: test -ELBO {:.2f} = reconstruction {:.2f} + KL {:.2f} nats/image; "
            "{} of {} dims active (KL > 0.01)\n  KL per dim: {}\n",
            epoch, cfg.epochs, last_eval.neg_elbo, last_eval.reconstruction, last_eval.kl,
            last_eval.active, d, format_kl(last_eval.kl_per_dim));
        std::fflush(stdout);  // progress goes to stderr: keep the two in order in a log file
      }
    }
    if (step % steps_per_epoch == 0 || step == last_step) save(step);
  }
  if (!cfg.quiet) progress.finish();
  result.steps = step;
  result.seconds = progress.elapsed_seconds();
  if (step < total_steps) return result;  // stopped early: --resume finishes the run

  // ---- The final evaluation ----------------------------------------------------------------
  result.finished = true;
  model->eval();
  if (last_eval.kl_per_dim.empty()) last_eval = evaluate(*model, test.images, cfg.seed ^ kTestSeed);
  result.test_neg_elbo = last_eval.neg_elbo;
  result.test_reconstruction = last_eval.reconstruction;
  result.test_kl = last_eval.kl;
  result.kl_per_dim = last_eval.kl_per_dim;
  result.active_dims = last_eval.active;

  // log p(x) by importance weighting (D10), on the first iwae_images test images.
  const int64_t n_iwae =
      cfg.iwae_images > 0 ? std::min(cfg.iwae_images, test.images.size(0)) : test.images.size(0);
  Tensor log_w;
  {
    Generator gen(cfg.seed ^ kIwaeSeed);
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < n_iwae; i += 100) {
      int64_t b = std::min<int64_t>(100, n_iwae - i);
      parts.push_back(models::importance_log_weights(*model, test.images.narrow(0, i, b).to(device),
                                                     cfg.iwae_k, gen)
                          .to(kFloat64)
                          .to(kCPU));
    }
    log_w = cat(parts, 0);  // [n_iwae, K]
  }
  Tensor bound = models::iwae_bound(log_w);  // [n_iwae]
  result.iwae_nll = -bound.mean().item<double>();
  result.iwae_se = n_iwae > 1 ? std::sqrt(bound.var().item<double>() / double(n_iwae)) : 0.0;
  result.elbo_nll = -log_w.mean().item<double>();
  std::vector<std::pair<int64_t, double>> by_k;
  for (int64_t k = 1; k < cfg.iwae_k; k *= 10)
    by_k.push_back({k, -models::iwae_bound(log_w, k).mean().item<double>()});
  by_k.push_back({cfg.iwae_k, result.iwae_nll});
  TestEval subset = evaluate(*model, test.images.narrow(0, 0, n_iwae), cfg.seed ^ kTestSeed);
  ZG_CHECK(result.iwae_nll <= result.elbo_nll,
           "train-vae: IWAE −log p(x) {} exceeds −ELBO {} on the same samples (Jensen is broken)",
           result.iwae_nll, result.elbo_nll);

  // The KL = 0 baseline: the per-pixel training mean, smoothed as (Σx + ½)/(n + 1) so a pixel
  // that is 0 in every training image cannot make a test image infinitely unlikely.
  // In float64, a chunk of 1000 images at a time (the whole training set in float64 would
  // be 376 MB).
  Tensor pixel_sum = zeros({1, 28, 28}, kFloat64);
  for (int64_t i = 0; i < train.images.size(0); i += 1000)
    pixel_sum += train.images.narrow(0, i, std::min<int64_t>(1000, train.images.size(0) - i))
                     .to(kFloat64)
                     .sum({0});
  Tensor p_bar = (pixel_sum + 0.5) / (double(train.images.size(0)) + 1.0);
  // The floor of the reconstruction term for grey targets: Σ_i H(x_i) (0·log 0 = 0).
  double baseline_sum = 0, floor_sum = 0;
  for (int64_t i = 0; i < test.images.size(0); i += 1000) {
    Tensor x =
        test.images.narrow(0, i, std::min<int64_t>(1000, test.images.size(0) - i)).to(kFloat64);
    baseline_sum -= (x * p_bar.log() + (1.0 - x) * (1.0 - p_bar).log()).sum().item<double>();
    floor_sum -= (x * x.clamp_min(1e-300).log() + (1.0 - x) * (1.0 - x).clamp_min(1e-300).log())
                     .sum()
                     .item<double>();
  }
  result.baseline_nll = baseline_sum / double(test.images.size(0));
  const double floor_nll = floor_sum / double(test.images.size(0));

  // Pictures and samples.
  {
    NoGradGuard no_grad;
    const int64_t nr = std::min<int64_t>(32, test.images.size(0) / 8 * 8);
    if (nr > 0) {
      Tensor x = test.images.narrow(0, 0, nr);
      Tensor recon =
          decode_images(*model, model->encode(x.to(device)).first);  // decoder mean at z = μ(x)
      Tensor pairs =
          stack({x.reshape({nr / 8, 8, 1, 28, 28}), recon.reshape({nr / 8, 8, 1, 28, 28})}, 1);
      io::save_image_grid(run.file("reconstructions.png"), pairs.reshape({2 * nr, 1, 28, 28}), 8);
    }
    Generator gen(cfg.seed ^ kSampleSeed);
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < cfg.num_samples; i += 500)
      parts.push_back(
          decode_images(*model, randn({std::min<int64_t>(500, cfg.num_samples - i), d}, gen)));
    Tensor samples = cat(parts, 0);
    io::save_image_grid(run.file("samples.png"),
                        samples.narrow(0, 0, std::min<int64_t>(100, cfg.num_samples)), 10);
    io::save_safetensors(run.file("samples.safetensors"), {{"samples", samples}},
                         {{"command", "train-vae"}, {"config", config.dump()}});
    if (d == 2) {
      // z_j = Φ⁻¹(p_j) for p evenly spaced in (0, 1): equal prior mass between grid lines.
      const int64_t g = 20;
      std::vector<double> zs;
      for (int64_t r = 0; r < g; ++r)      // rows: z₂ from high (top) to low
        for (int64_t c = 0; c < g; ++c) {  // columns: z₁ from low to high
          zs.push_back(normal_ppf((double(c) + 0.5) / double(g)));
          zs.push_back(normal_ppf(1.0 - (double(r) + 0.5) / double(g)));
        }
      io::save_image_grid(run.file("manifold.png"),
                          decode_images(*model, from_vector(zs, {g * g, 2}).to(kFloat32)), g);
    }

    io::Json score_json = nullptr;
    if (auto score = score_if_classifier(cfg.classifier, samples, test.images, cfg.quiet))
      score_json = {{"frechet", score->frechet},
                    {"classes_covered", score->histogram.covered},
                    {"mean_confidence", score->histogram.mean_confidence}};

    io::Json by_k_json = io::Json::object();
    for (auto [k, v] : by_k) by_k_json[std::to_string(k)] = v;
    io::Json results = {{"steps", step},
                        {"test_neg_elbo", result.test_neg_elbo},
                        {"test_reconstruction", result.test_reconstruction},
                        {"test_kl", result.test_kl},
                        {"kl_per_dim", result.kl_per_dim},
                        {"active_dims", result.active_dims},
                        {"iwae_images", n_iwae},
                        {"iwae_k", cfg.iwae_k},
                        {"iwae_neg_log_px", result.iwae_nll},
                        {"iwae_standard_error", result.iwae_se},
                        {"iwae_neg_log_px_by_k", by_k_json},
                        {"subset_neg_elbo", subset.neg_elbo},
                        {"baseline_kl0_nll", result.baseline_nll},
                        {"bernoulli_entropy_floor", floor_nll},
                        {"samples_score", score_json},
                        {"seconds", result.seconds}};
    io::write_file_atomically(run.file("results.json"), results.dump(2) + "\n");
  }

  if (!cfg.quiet) {
    std::string ks;
    for (auto [k, v] : by_k) ks += fmt::format("{}K={}: {:.2f}", ks.empty() ? "" : ", ", k, v);
    fmt::print(
        "\ntest set ({} images), nats per image:\n"
        "  -ELBO (1 sample, closed-form KL)   {:8.2f}  = reconstruction {:.2f} + KL {:.2f}\n"
        "  KL = 0 baseline (pixel means)      {:8.2f}  (a VAE that ignores z; the VAE must beat "
        "it)\n"
        "  floor for grey targets, sum H(x_i) {:8.2f}  (no Bernoulli decoder goes below)\n"
        "first {} test images:\n"
        "  -ELBO (closed-form KL)             {:8.2f}\n"
        "  -log p(x) by IWAE, K={:<5}         {:8.2f} +- {:.2f} (SE over images)  <= -ELBO {:.2f} "
        "on the same samples\n"
        "  -L_K by K: {}\n"
        "{} of {} latent dims active; KL per dim: {}\n"
        "{} steps in {}; run directory {}\n",
        test.images.size(0), result.test_neg_elbo, result.test_reconstruction, result.test_kl,
        result.baseline_nll, floor_nll, n_iwae, subset.neg_elbo, cfg.iwae_k, result.iwae_nll,
        result.iwae_se, result.elbo_nll, ks, result.active_dims, d, format_kl(result.kl_per_dim),
        step, io::format_duration(result.seconds), run.path());
  }
  return result;
}

void add_train_vae_command(CLI::App& app, int& exit_code) {
  auto cfg = std::make_shared<VAEConfig>();
  auto* sub = app.add_subcommand("train-vae", "Train a VAE (ELBO, IWAE log p(x)) on Fashion-MNIST");
  sub->add_option("--model", cfg->model, "mlp (W2) or conv")
      ->capture_default_str()
      ->check(CLI::IsMember({"mlp", "conv"}));
  sub->add_option("--latent-dim", cfg->latent_dim, "Latent size (2 also draws manifold.png)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_image_trainer_options(sub, *cfg);
  sub->add_option("--iwae-k", cfg->iwae_k, "Importance samples per image for log p(x)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--iwae-images", cfg->iwae_images, "Test images for the IWAE estimate (0 = all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--num-samples", cfg->num_samples, "Prior samples in samples.safetensors")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--classifier", cfg->classifier, "Checkpoint that scores the samples, if present")
      ->capture_default_str();
  sub->add_option("--test-limit", cfg->test_limit, "Evaluate on the first N test images");
  sub->callback([cfg, &exit_code] {
    VAEResult r = train_vae(*cfg);
    exit_code = r.steps > 0 ? 0 : 1;
  });
}

}  // namespace zg::examples
