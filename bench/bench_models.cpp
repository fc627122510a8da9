// zerogen side of W2 (MLP-VAE step), W3 (DCGAN step), W4 (DDPM UNet step), W4s (DDPM
// reverse step) and W5 (NCSN step) of WORKLOADS.md; the PyTorch side is
// bench/torch_models.py, with the same architectures (the parameter counts are printed and
// must agree), the same batch, losses and optimiser. A step is forward + backward + optimiser
// step, except W4s: one reverse (sampling) step, a UNet forward without gradients.
//
//   bench_models --workload w2|w3|w4|w4s|w5 [--threads N] [--reps R] [--warmup W]
//                [--device cpu|cuda] [--batch B]
// prints CSV,zerogen,<workload>,<threads>,<median_ms>,<params>,<peak_rss_mib>. --batch
// replaces the workload's batch (64; W2's 128); on a GPU each step ends with
// cuda_synchronize(), so a step's time includes its kernels.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>

#include "autograd/grad_mode.h"
#include "models/dcgan.h"
#include "models/diffusion_schedule.h"
#include "models/unet.h"
#include "models/vae.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

using namespace zg;

// Where the workloads run and their batch size (0: the workload's own).
struct Setup {
  Device device = kCPU;
  int64_t batch = 0;
  int64_t batch_or(int64_t workload_default) const { return batch > 0 ? batch : workload_default; }
};

struct Workload {
  std::function<void()> step;
  int64_t params;
  std::vector<std::shared_ptr<void>> keep;  // models and optimisers the step refers to
};

static Workload make_w2(const Setup& on) {
  const int64_t B = on.batch_or(128);
  const Device dev = on.device;
  auto model = std::make_shared<models::MlpVAEImpl>();
  model->to(dev);
  auto opt = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 1e-3});
  Tensor x = rand({B, 784}, dev);
  auto step = [=] {
    Tensor eps = randn({B, 32}, dev);
    Tensor loss = model->loss(x, eps).loss;
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
  return {step, model->num_parameters(), {model, opt}};
}

static Workload make_w3(const Setup& on) {
  const int64_t B = on.batch_or(64);
  const Device dev = on.device;
  auto g = std::make_shared<models::DCGANGeneratorImpl>();
  auto d = std::make_shared<models::DCGANDiscriminatorImpl>();
  g->to(dev);
  d->to(dev);
  optim::AdamOptions o{.lr = 2e-4, .beta1 = 0.5, .beta2 = 0.999};
  auto opt_g = std::make_shared<optim::Adam>(g->parameters(), o);
  auto opt_d = std::make_shared<optim::Adam>(d->parameters(), o);
  Tensor real = rand({B, 1, 28, 28}, dev) * 2.0 - 1.0;
  Tensor ones = zg::ones({B, 1}, dev), zeros = zg::zeros({B, 1}, dev);
  auto step = [=] {
    using nn::functional::binary_cross_entropy_with_logits;
    // D: real → 1, fake → 0 (the fake is detached: no gradient into G).
    Tensor fake = g->forward(randn({B, 100}, dev));
    Tensor loss_d = binary_cross_entropy_with_logits(d->forward(real), ones) +
                    binary_cross_entropy_with_logits(d->forward(fake.detach()), zeros);
    opt_d->zero_grad();
    loss_d.backward();
    opt_d->step();
    // G: non-saturating, −log D(G(z)).
    Tensor loss_g = binary_cross_entropy_with_logits(d->forward(fake), ones);
    opt_g->zero_grad();
    loss_g.backward();
    opt_g->step();
  };
  return {step, g->num_parameters() + d->num_parameters(), {g, d, opt_g, opt_d}};
}

// The DDPM tables for the 0-based t = 0..999 of the UNet's input (schedule index t + 1).
struct DDPMTables {
  Tensor sqrt_alpha_bar, sqrt_one_minus_alpha_bar;  // [1000], gathered per example
  models::DiffusionSchedule schedule = models::DiffusionSchedule::linear();
  explicit DDPMTables(Device dev) {
    std::vector<float> a, b;
    for (int t = 1; t <= schedule.T; ++t) {
      a.push_back(static_cast<float>(std::sqrt(schedule.alpha_bar[t])));
      b.push_back(static_cast<float>(std::sqrt(schedule.one_minus_alpha_bar[t])));
    }
    sqrt_alpha_bar = from_vector(a).to(dev);
    sqrt_one_minus_alpha_bar = from_vector(b).to(dev);
  }
};

// W4: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, t uniform in [0, 1000); loss = mean (ε̂(x_t, t) − ε)².
static Workload make_w4(const Setup& on) {
  const int64_t B = on.batch_or(64);
  const Device dev = on.device;
  auto model = std::make_shared<models::UNetImpl>();
  model->to(dev);
  auto opt = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 2e-4});
  auto tables = std::make_shared<DDPMTables>(dev);
  Tensor x0 = rand({B, 1, 28, 28}, dev) * 2.0 - 1.0;
  auto step = [=] {
    Tensor t = randint(0, 1000, {B}).to(dev);
    Tensor eps = randn({B, 1, 28, 28}, dev);
    Tensor xt = x0 * tables->sqrt_alpha_bar.index_select(0, t).view({B, 1, 1, 1}) +
                eps * tables->sqrt_one_minus_alpha_bar.index_select(0, t).view({B, 1, 1, 1});
    Tensor loss = nn::functional::mse_loss(model->forward(xt, t), eps);
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
  return {step, model->num_parameters(), {model, opt, tables}};
}

// W4s: one ancestral step x_{t−1} = (x_t − β_t/√(1 − ᾱ_t)·ε̂) / √α_t + √β̃_t·z, t running
// down from 1000 (and around again), in eval mode without gradients.
static Workload make_w4s(const Setup& on) {
  const int64_t B = on.batch_or(64);
  const Device dev = on.device;
  auto model = std::make_shared<models::UNetImpl>();
  model->to(dev);
  model->eval();
  auto s = std::make_shared<models::DiffusionSchedule>(models::DiffusionSchedule::linear());
  auto x = std::make_shared<Tensor>(randn({B, 1, 28, 28}, dev));
  auto next_t = std::make_shared<int>(s->T);
  auto step = [=] {
    NoGradGuard no_grad;
    const int t = *next_t;
    *next_t = t > 1 ? t - 1 : s->T;
    Tensor eps = model->forward(*x, full({B}, t - 1, dev));
    Tensor mean = (*x - eps * (s->beta[t] / std::sqrt(s->one_minus_alpha_bar[t]))) *
                  (1.0 / std::sqrt(s->alpha[t]));
    *x = t > 1 ? mean + randn({B, 1, 28, 28}, dev) * std::sqrt(s->posterior_variance(t)) : mean;
  };
  return {step, model->num_parameters(), {model, s, x, next_t}};
}

// W5: σ from 10 geometric levels 1.0 … 0.01, x̃ = x + σz, the UNet's output s(x̃, 1000·log σ)
// read as the score; denoising score matching with λ(σ) = σ² (NCSN):
// loss = mean over the batch of ½‖σ·s + z‖² (= ½σ²‖s − (−z/σ)‖²).
static Workload make_w5(const Setup& on) {
  const int64_t B = on.batch_or(64);
  const Device dev = on.device;
  auto model = std::make_shared<models::UNetImpl>();
  model->to(dev);
  auto opt = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 2e-4});
  Tensor sigmas = (linspace(0.0, std::log(0.01), 10, dev)).exp();
  Tensor x0 = rand({B, 1, 28, 28}, dev);
  auto step = [=] {
    Tensor sigma = sigmas.index_select(0, randint(0, 10, {B}).to(dev));
    Tensor z = randn({B, 1, 28, 28}, dev);
    Tensor s4 = sigma.view({B, 1, 1, 1});
    Tensor score = model->forward(x0 + s4 * z, models::noise_level_to_time(sigma));
    Tensor loss = (score * s4 + z).square().sum() * (0.5 / static_cast<double>(B));
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
  return {step, model->num_parameters(), {model, opt}};
}

int main(int argc, char** argv) {
  // bench/run_models.sh sets the same OpenBLAS/OpenMP environment for both frameworks, so
  // this changes nothing there; run by hand, it gives the CLI's settings.
  zg::cpu::tune_cpu_environment(argv);
  CLI::App app{"W2-W5 step times"};
  std::string workload;
  int threads = 1, reps = 20, warmup = 5;
  std::string device = "cpu";
  Setup on;
  app.add_option("--workload", workload)
      ->required()
      ->check(CLI::IsMember({"w2", "w3", "w4", "w4s", "w5"}));
  app.add_option("--threads", threads);
  app.add_option("--reps", reps);
  app.add_option("--warmup", warmup);
  app.add_option("--device", device, "cpu or cuda")->capture_default_str();
  app.add_option("--batch", on.batch, "Batch size (0: the workload's own)");
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  on.device = parse_device(device);
  if (on.device.type == DeviceType::CUDA) fmt::print(stderr, "{}\n", cuda_status());
  manual_seed(0);
  const std::map<std::string, std::function<Workload(const Setup&)>> makers = {
      {"w2", make_w2}, {"w3", make_w3}, {"w4", make_w4}, {"w4s", make_w4s}, {"w5", make_w5}};
  Workload w = makers.at(workload)(on);
  for (int i = 0; i < warmup; ++i) w.step();
  cuda_synchronize();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    w.step();
    cuda_synchronize();  // the GPU's kernels are queued: wait for them (a no-op on the CPU)
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  double med = ms[ms.size() / 2];
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double rss = static_cast<double>(ru.ru_maxrss) / 1024.0;
  fmt::print(stderr, "zerogen {}: {:.3f} ms/step, {} params, peak RSS {:.0f} MiB\n", workload, med,
             w.params, rss);
  fmt::print("CSV,zerogen,{},{},{:.6f},{},{:.1f}\n", workload, threads, med, w.params, rss);
}
