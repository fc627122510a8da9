// The VAEs of models/vae.h: shapes and parameter counts, the loss's parts, and the
// importance-weighted bound (D10): K = 1 is the ELBO in expectation, and it grows with K.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "models/vae.h"
#include "tests/check_error.h"
#include "tests/test_util.h"
#include "zerogen.h"

using namespace zg;
using namespace zg::models;

namespace {

struct Estimate {
  double mean, se;
};
// Mean and standard error of the mean from `blocks` equal block means (values: any shape).
Estimate block_estimate(const Tensor& values, int64_t blocks) {
  Tensor m = values.reshape({blocks, -1}).mean({1});
  return {m.mean().item<double>(), std::sqrt(m.var().item<double>() / double(blocks))};
}

// A small float64 MLP VAE on 16-pixel "images" and a batch of binary vectors.
MlpVAE tiny_vae(uint64_t seed) {
  manual_seed(seed);
  MlpVAE m(MlpVAEOptions{.input_dim = 16, .hidden1 = 16, .hidden2 = 8, .latent_dim = 3});
  m->to(kFloat64);
  return m;
}

}  // namespace

TEST_CASE("VAE: MLP (W2) and conv shapes, parameter counts, loss parts") {
  manual_seed(0);
  MlpVAE mlp;
  CHECK(mlp->num_parameters() == 1'091'920);  // W2; bench/ compares it with PyTorch's
  ConvVAE conv;
  // conv 1→32: 544, 32→64: 32,832, μ and log σ²: 2 × 100,384, project 32→3136: 103,488,
  // transposed convs 64→32: 32,800 and 32→1: 513.
  CHECK(conv->num_parameters() == 370'945);
  // Latent 2: μ, log σ² and project shrink by 30 × (3137 + 3137 + 3136).
  CHECK(make_vae("conv", 2)->num_parameters() == 370'945 - 30 * 9410);

  Tensor x = rand({5, 1, 28, 28});
  for (VAE model : {VAE(mlp.ptr()), VAE(conv.ptr())}) {
    INFO(model->name());
    auto [mu, logvar] = model->encode(x);
    CHECK(mu.shape() == Shape{5, 32});
    CHECK(logvar.shape() == Shape{5, 32});
    CHECK(model->decode(mu).numel() == 5 * 784);
    VAELoss l = model->loss(x, randn({5, 32}));
    CHECK(l.kl_per_dim.shape() == Shape{32});
    // Per-dimension KL sums to the KL; loss = reconstruction + KL.
    CHECK(l.kl_per_dim.sum().item<double>() == doctest::Approx(l.kl.item<double>()).epsilon(1e-6));
    CHECK(l.loss.item<double>() ==
          doctest::Approx(l.reconstruction.item<double>() + l.kl.item<double>()).epsilon(1e-6));
    CHECK(l.kl.item<double>() >= 0);
    CHECK(l.reconstruction.item<double>() > 0);
    l.loss.backward();
    for (const auto& [name, p] : model->named_parameters()) {
      INFO(name);
      CHECK(p.grad().defined());
    }
  }
  CHECK(conv->decode(randn({3, 32})).shape() == Shape{3, 1, 28, 28});
  CHECK(mlp->decode(randn({3, 32})).shape() == Shape{3, 784});
  // The flat [N, 784] form works for both.
  CHECK(conv->encode(rand({2, 784})).first.shape() == Shape{2, 32});
}

TEST_CASE("VAE: per-dimension KL is the batch mean of each dimension's closed form") {
  MlpVAE m = tiny_vae(1);
  Tensor x = rand({6, 16}, kFloat64).gt(0.5);
  VAELoss l = m->loss(x, randn({6, 3}, kFloat64));
  auto [mu, lv] = m->encode(x);
  Tensor expect = (0.5 * (mu.square() + lv.exp() - 1.0 - lv)).mean({0});
  CHECK(test::max_abs_diff(l.kl_per_dim, expect) < 1e-14);
  CHECK(std::abs(l.kl_per_dim.sum().item<double>() - l.kl.item<double>()) < 1e-14);
}

TEST_CASE("VAE: bad inputs are errors that say what is wrong") {
  MlpVAE m = tiny_vae(2);
  CHECK_ZG_ERROR(m->loss(zeros({4, 15}, kFloat64), zeros({4, 3}, kFloat64)), "16 values",
                 "[4, 15]");
  CHECK_ZG_ERROR(m->loss(zeros({4, 16}, kFloat64), zeros({4, 2}, kFloat64)), "eps", "[4, 3]");
  CHECK_ZG_ERROR(make_vae("gan", 8), "unknown model 'gan'");
  CHECK_ZG_ERROR(make_vae("mlp", 0), "latent_dim");
  CHECK_ZG_ERROR(ConvVAE(ConvVAEOptions{.latent_dim = 4})->encode(zeros({2, 1, 14, 14})),
                 "784 values");
  Generator gen(0);
  CHECK_ZG_ERROR(importance_log_weights(*m, zeros({2, 16}, kFloat64), 0, gen), "K (0)");
  CHECK_ZG_ERROR(iwae_bound(zeros({2, 5}), 6), "k = 6");
  CHECK_ZG_ERROR(iwae_bound(zeros({5})), "[N, K]");
}

TEST_CASE("IWAE: chunking changes memory, not the answer; K = 1 is the ELBO in expectation") {
  MlpVAE m = tiny_vae(3);
  manual_seed(30);
  Tensor x = rand({8, 16}, kFloat64).gt(0.5);

  Generator g1(7), g2(7);
  Tensor a = importance_log_weights(*m, x, 50, g1, 4096);
  Tensor b = importance_log_weights(*m, x, 50, g2, 7);  // 1 row per chunk of 7 examples
  CHECK(a.shape() == Shape{8, 50});
  CHECK(test::max_abs_diff(a, b) < 1e-12);
  CHECK(test::max_abs_diff(iwae_bound(a, 1), a.select(1, 0)) == 0.0);

  // E[log w] with z ~ q is the ELBO, E_q[log p(x|z)] − KL(q‖p): the log weight estimates the
  // KL by Monte Carlo, the loss uses the closed form; both over 4000 draws per vector, with
  // standard errors from 40 block means.
  const int64_t k = 4000;
  Generator gen(11);
  Tensor log_w = importance_log_weights(*m, x, k, gen);  // [8, K]
  Estimate iw = block_estimate(log_w.t().contiguous(), 40);
  Tensor x_rep = x.unsqueeze(0).expand({k, 8, 16}).reshape({k * 8, 16});
  Tensor eps = randn({k * 8, 3}, gen, kFloat64);
  NoGradGuard no_grad;
  // Per-vector −ELBO terms: reconstruction from the same formula the loss uses, in blocks.
  std::vector<double> block_elbo;
  for (int64_t i = 0; i < 40; ++i) {
    int64_t rows = k * 8 / 40;
    block_elbo.push_back(-m->loss(x_rep.narrow(0, i * rows, rows), eps.narrow(0, i * rows, rows))
                              .loss.item<double>());
  }
  Estimate el = block_estimate(from_vector(block_elbo), 40);
  INFO("mean log w " << iw.mean << " ± " << iw.se << ", ELBO " << el.mean << " ± " << el.se);
  CHECK(std::abs(iw.mean - el.mean) <= 4 * std::sqrt(iw.se * iw.se + el.se * el.se));
}

TEST_CASE("IWAE: the bound grows with K on a fixed model (independent draws per K)") {
  MlpVAE m = tiny_vae(4);
  {
    // A sharper decoder makes q a poor proposal, so the gaps between K are large.
    NoGradGuard no_grad;
    for (Tensor& p : m->decoder->parameters()) p.mul_(4.0);
  }
  manual_seed(40);
  Tensor x = rand({64, 16}, kFloat64).gt(0.5);
  std::vector<Estimate> by_k;
  for (int64_t k : {1, 10, 100, 1000}) {
    Generator gen(100 + k);
    const int64_t groups = std::max<int64_t>(1, 2000 / k);  // independent L_K draws per vector
    Tensor log_w = importance_log_weights(*m, x, k * groups, gen).reshape({64, groups, k});
    Tensor l_k = log_w.logsumexp({2}) - std::log(double(k));  // [64, groups]
    Tensor per_vector = l_k.mean({1});
    by_k.push_back({per_vector.mean().item<double>(),
                    std::sqrt((l_k.var({1}) / double(groups)).mean().item<double>() / 64.0)});
  }
  for (size_t i = 1; i < by_k.size(); ++i) {
    double se = std::sqrt(by_k[i].se * by_k[i].se + by_k[i - 1].se * by_k[i - 1].se);
    INFO("L_K " << by_k[i - 1].mean << " -> " << by_k[i].mean << " (se " << se << ")");
    CHECK(by_k[i].mean >= by_k[i - 1].mean - 4 * se);
  }
  // And strictly, where the gap is large: L_100 − L_1 well beyond noise.
  double se = std::sqrt(by_k[0].se * by_k[0].se + by_k[2].se * by_k[2].se);
  CHECK(by_k[2].mean - by_k[0].mean > 4 * se);
}
