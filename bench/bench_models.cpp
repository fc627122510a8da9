// zerogen side of W2 (MLP-VAE step) and W3 (DCGAN step) of WORKLOADS.md; the PyTorch side is
// bench/torch_models.py, with the same architectures (the parameter counts are printed and
// must agree), the same batch and optimiser. A step is forward + backward + optimiser step.
//
//   bench_models --workload w2|w3 [--threads N] [--reps R] [--warmup W]
// prints CSV,zerogen,<workload>,<threads>,<median_ms>,<params>,<peak_rss_mib>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <functional>

#include "models/dcgan.h"
#include "models/vae.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

using namespace zg;

struct Workload {
  std::function<void()> step;
  int64_t params;
  std::vector<std::shared_ptr<void>> keep;  // models and optimisers the step refers to
};

static Workload make_w2() {
  auto model = std::make_shared<models::MlpVAEImpl>();
  auto opt = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 1e-3});
  Tensor x = rand({128, 784});
  auto step = [=] {
    Tensor eps = randn({128, 32});
    Tensor loss = model->loss(x, eps).loss;
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
  return {step, model->num_parameters(), {model, opt}};
}

static Workload make_w3() {
  auto g = std::make_shared<models::DCGANGeneratorImpl>();
  auto d = std::make_shared<models::DCGANDiscriminatorImpl>();
  optim::AdamOptions o{.lr = 2e-4, .beta1 = 0.5, .beta2 = 0.999};
  auto opt_g = std::make_shared<optim::Adam>(g->parameters(), o);
  auto opt_d = std::make_shared<optim::Adam>(d->parameters(), o);
  Tensor real = rand({64, 1, 28, 28}) * 2.0 - 1.0;
  Tensor ones = zg::ones({64, 1}), zeros = zg::zeros({64, 1});
  auto step = [=] {
    using nn::functional::binary_cross_entropy_with_logits;
    // D: real → 1, fake → 0 (the fake is detached: no gradient into G).
    Tensor fake = g->forward(randn({64, 100}));
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

int main(int argc, char** argv) {
  // bench/run_models.sh sets the same OpenBLAS/OpenMP environment for both frameworks, so
  // this changes nothing there; run by hand, it gives the CLI's settings.
  zg::cpu::tune_cpu_environment(argv);
  CLI::App app{"W2/W3 step times"};
  std::string workload;
  int threads = 1, reps = 20, warmup = 5;
  app.add_option("--workload", workload)->required()->check(CLI::IsMember({"w2", "w3"}));
  app.add_option("--threads", threads);
  app.add_option("--reps", reps);
  app.add_option("--warmup", warmup);
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  manual_seed(0);
  Workload w = workload == "w2" ? make_w2() : make_w3();
  for (int i = 0; i < warmup; ++i) w.step();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    w.step();
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
