// D5 and D7 — KL is not symmetric; the Jensen–Shannon divergence and its flat spot.
//
// D5. KL(p‖q) = Σ p (log p − log q) ≥ 0, zero iff p = q, and KL(p‖q) ≠ KL(q‖p) in general.
// The text's example: fit a normal to a binomial and the other way round. p = Binomial(10, ½);
// q = N(5, 2.5) evaluated at 0..10 and renormalised. 2.5 is the *variance*: the text speaks of
// fitting the normal to the binomial, and the moment-matched normal has mean np = 5 and
// variance np(1−p) = 2.5 (std 1.58); DERIVATIONS.md also writes N(μ, σ²) everywhere else.
// The framework computes log p from log-factorials (a cumulative sum done as a matmul with a
// triangular 0/1 matrix) and log q with log_softmax; a plain double loop with std::lgamma is
// the independent reference.
//
// D7. With M = (P + Q)/2,
//   JSD(P‖Q) = ½KL(P‖M) + ½KL(Q‖M) = ½Σ p log(p/(p+q)) + ½Σ q log(q/(p+q)) + log 2,
// symmetric, 0 ≤ JSD ≤ log 2. When P and Q have disjoint supports every p·q = 0, both sums
// vanish and JSD = log 2 whatever the distance between them: its gradient with respect to a
// parameter sliding Q is exactly 0 (why a GAN whose D is perfect stops teaching G, D2).
//
// The sliding check needs θ to enter the grid densities differentiably. A hard box
// 1[θ ≤ x < θ+1] sampled on a grid is piecewise constant in θ: autograd would report 0
// everywhere, overlap or not. So both boxes get linear edges of width δ = 0.02 (the box
// convolved with U(−δ/2, δ/2), still mass 1 and compactly supported):
//   q(x; θ) = clamp((x−θ)/δ + ½, 0, 1) − clamp((x−θ−1)/δ + ½, 0, 1),   p(x) = q(x; 0).
// Worked out by hand (regions: P only, Q's ramp inside P, overlap, P's ramp inside Q, Q only;
// the ramp integral ∫₀¹ [log(2/(1+r)) + r log(2r/(1+r))] dr = ½ − ½log 2):
//   JSD(θ) = θ log 2 + δ(½ − log 2)   for δ ≤ θ ≤ 1 − δ      ⇒ dJSD/dθ = log 2,
//   JSD(θ) = log 2                    for θ ≥ 1 + δ (disjoint) ⇒ dJSD/dθ = 0.
// (δ → 0 gives the hard boxes' JSD = θ log 2.) The integrals are midpoint sums with h = 1e-4;
// their error is estimated by repeating with 2h (the value converges faster than linearly in
// h, so |S_h − S_2h| bounds the error of S_h; the derivative only linearly, see below), plus
// float64 rounding of the sum.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/engine.h"
#include "models/derivations.h"
#include "tensor/generator.h"

namespace zg::models {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
const double kLog2 = std::log(2.0);

// Σ terms rounds each of n additions by at most ε·(partial sum) ≤ ε·Σ|terms|; the terms
// themselves are a few correctly rounded operations each. 16·ε·n·Σ|terms| is a safe bound.
double rounding_bound(double sum_abs, int64_t n) { return 16 * kEps * n * sum_abs; }

// ---- D5 -----------------------------------------------------------------------------------

struct KlPair {
  double pq, qp, sum_abs;
};

// Framework side: log p (Binomial(10, ½)) and log q (N(5, variance) at 0..10, renormalised)
// as float64 tensors over k = 0..10.
std::pair<Tensor, Tensor> binomial_normal_logs(double variance) {
  const int64_t n = 10;
  Tensor k = arange(0, n + 1, 1, kFloat64);                         // [11]
  Tensor i = arange(1, n + 1, 1, kFloat64);                         // [10]
  Tensor lower = k.unsqueeze(1).ge(i.unsqueeze(0));                 // [11, 10]: i ≤ k
  Tensor log_fact = lower.matmul(i.log().unsqueeze(1)).squeeze(1);  // log k!
  Tensor reversed = arange(n, -1, -1, kInt64);
  Tensor log_p = log_fact.select(0, n) - log_fact - log_fact.index_select(0, reversed) - n * kLog2;
  Tensor log_q = (-(k - 5.0).square() / (2 * variance)).log_softmax(0);
  return {log_p, log_q};
}

// KL(a‖b) = Σ a (log a − log b) from log-probabilities, and Σ |terms| for the rounding bound.
std::pair<double, double> kl_from_logs(const Tensor& log_a, const Tensor& log_b) {
  Tensor terms = log_a.exp() * (log_a - log_b);
  return {terms.sum().item<double>(), terms.abs().sum().item<double>()};
}

KlPair kl_binomial_normal_framework(double variance) {
  auto [log_p, log_q] = binomial_normal_logs(variance);
  auto [pq, abs_pq] = kl_from_logs(log_p, log_q);
  auto [qp, abs_qp] = kl_from_logs(log_q, log_p);
  return {pq, qp, abs_pq + abs_qp};
}

// Reference side: a double loop, lgamma for the binomial coefficients.
KlPair kl_binomial_normal_loop(double variance) {
  double p[11], q[11], z = 0;
  for (int k = 0; k <= 10; ++k) {
    p[k] = std::exp(std::lgamma(11.0) - std::lgamma(k + 1.0) - std::lgamma(11.0 - k) -
                    10 * std::log(2.0));
    q[k] = std::exp(-(k - 5.0) * (k - 5.0) / (2 * variance));
    z += q[k];
  }
  KlPair r{0, 0, 0};
  for (int k = 0; k <= 10; ++k) {
    q[k] /= z;
    r.pq += p[k] * std::log(p[k] / q[k]);
    r.qp += q[k] * std::log(q[k] / p[k]);
  }
  return r;
}

// ---- D7 -----------------------------------------------------------------------------------

// The two forms of JSD for densities sampled on a grid of cell width h (h = 1 for
// probability vectors). Cells where p or q is 0 contribute 0·log 0 = 0: log is taken of
// where(v > 0, v, 1) so that neither the forward value nor the backward pass sees log 0.
Tensor safe_log(const Tensor& v) { return where(v.gt(0.0), v, ones_like(v)).log(); }

// Both reduce over the last dim, so a batch of pairs [N, support] gives N values.
Tensor sum_last(const Tensor& t) { return t.sum(Shape{t.dim() - 1}); }

Tensor jsd_kl_form(const Tensor& p, const Tensor& q, double h) {
  Tensor m = 0.5 * (p + q);
  Tensor kl_pm = sum_last(p * (safe_log(p) - safe_log(m))) * h;
  Tensor kl_qm = sum_last(q * (safe_log(q) - safe_log(m))) * h;
  return 0.5 * kl_pm + 0.5 * kl_qm;
}

Tensor jsd_log2_form(const Tensor& p, const Tensor& q, double h) {
  Tensor s = p + q;
  return 0.5 * sum_last(p * (safe_log(p) - safe_log(s))) * h +
         0.5 * sum_last(q * (safe_log(q) - safe_log(s))) * h + kLog2;
}

// The box [θ, θ+1) with linear edges of width delta, at the grid points x.
Tensor soft_box(const Tensor& x, const Tensor& theta, double delta) {
  return ((x - theta) / delta + 0.5).clamp(0.0, 1.0) -
         ((x - theta - 1.0) / delta + 0.5).clamp(0.0, 1.0);
}

struct Sliding {
  double value, grad, sum_abs;
  int64_t n;
};

// JSD(P, Q_θ) on the midpoint grid of [lo, hi) with cell h, and dJSD/dθ by autograd.
Sliding sliding_jsd(double theta, double h, double delta) {
  const double lo = -0.5, hi = 4.5;
  const auto n = static_cast<int64_t>(std::llround((hi - lo) / h));
  Tensor x = arange(0, static_cast<double>(n), 1, kFloat64) * h + (lo + 0.5 * h);
  Tensor t = scalar_tensor(theta, kFloat64).requires_grad_();
  Tensor p = soft_box(x, scalar_tensor(0.0, kFloat64), delta);
  Tensor q = soft_box(x, t, delta);
  Tensor jsd = jsd_log2_form(p, q, h);
  double g = autograd::grad({jsd}, {t})[0].item<double>();
  Tensor s = p + q;
  double sum_abs = ((p * (safe_log(p) - safe_log(s))).abs().sum() +
                    (q * (safe_log(q) - safe_log(s))).abs().sum())
                           .item<double>() *
                       h +
                   kLog2;
  return {jsd.item<double>(), g, sum_abs, n};
}

}  // namespace

std::vector<DerivationRow> check_d5_kl_asymmetry(uint64_t /*seed*/) {
  std::vector<DerivationRow> rows;
  const double variance = 2.5;  // np(1−p): see the header comment
  KlPair fw = kl_binomial_normal_framework(variance);
  KlPair ref = kl_binomial_normal_loop(variance);
  const double tol = rounding_bound(fw.sum_abs, 11 * 8);
  rows.push_back({"D5", "KL(Bin(10,.5)||N(5,var 2.5)) framework = loop", ref.pq, fw.pq,
                  std::abs(ref.pq - fw.pq), tol});
  rows.push_back({"D5", "KL(N(5,var 2.5)||Bin(10,.5)) framework = loop", ref.qp, fw.qp,
                  std::abs(ref.qp - fw.qp), tol});
  // KL ≥ 0: the amount below 0 (0 when the inequality holds) must be within rounding.
  rows.push_back(
      {"D5", "KL(p||q) >= 0 (error = amount below 0)", 0.0, fw.pq, std::max(0.0, -fw.pq), tol});
  rows.push_back(
      {"D5", "KL(q||p) >= 0 (error = amount below 0)", 0.0, fw.qp, std::max(0.0, -fw.qp), tol});
  // The belief the text refutes — "KL is a distance", so symmetric — rejected: the two
  // directions differ by far more than rounding.
  rows.push_back({"D5", "'KL symmetric' rejected: KL(q||p) != KL(p||q)", fw.pq, fw.qp,
                  std::abs(fw.pq - fw.qp), tol, true});
  // KL(p‖p) = 0: termwise log p − log p, so exactly 0 in float64 too.
  auto [log_p, log_q] = binomial_normal_logs(variance);
  const double pp = kl_from_logs(log_p, log_p).first, qq = kl_from_logs(log_q, log_q).first;
  rows.push_back({"D5", "KL(p||p) = 0 (framework)", 0.0, pp, std::abs(pp), 0.0});
  rows.push_back({"D5", "KL(q||q) = 0 (framework)", 0.0, qq, std::abs(qq), 0.0});
  return rows;
}

std::vector<DerivationRow> check_d7_jsd(uint64_t seed) {
  Generator gen(seed);
  std::vector<DerivationRow> rows;

  // Identities on random probability vectors (softmax of scaled normals: some entries tiny).
  const int64_t pairs = 1000, support = 50;
  Tensor p = (3.0 * randn({pairs, support}, gen, kFloat64)).softmax(1);
  Tensor q = (3.0 * randn({pairs, support}, gen, kFloat64)).softmax(1);
  Tensor a = jsd_kl_form(p, q, 1.0), b = jsd_log2_form(p, q, 1.0), c = jsd_kl_form(q, p, 1.0);
  const double max_form = (a - b).abs().max().item<double>();
  const double max_sym = (a - c).abs().max().item<double>();
  const double lo = a.min().item<double>(), hi = a.max().item<double>();
  // Terms are O(1)·log of O(1)…O(50) ratios; ~10 operations each over 2·50 terms.
  const double tol = rounding_bound(2 * kLog2 + 1.0, 2 * support);
  rows.push_back({"D7", "KL form = log2 form (max over 1000 pairs)", 0.0, max_form, max_form, tol});
  rows.push_back({"D7", "JSD(P||Q) = JSD(Q||P) (max over 1000 pairs)", 0.0, max_sym, max_sym, tol});
  rows.push_back({"D7", "min JSD >= 0 (error = amount below 0)", 0.0, lo, std::max(0.0, -lo), tol});
  rows.push_back(
      {"D7", "max JSD <= log 2 (error = excess)", kLog2, hi, std::max(0.0, hi - kLog2), tol});
  double self = jsd_kl_form(p.select(0, 0), p.select(0, 0), 1.0).item<double>();
  rows.push_back({"D7", "JSD(P||P) = 0", 0.0, self, std::abs(self), tol});

  // Sliding boxes: P on [0,1), Q on [θ, θ+1), edges of width δ (see the header comment).
  const double delta = 0.02, h = 1e-4;
  for (double theta : {0.25, 0.5, 0.75}) {
    Sliding fine = sliding_jsd(theta, h, delta), coarse = sliding_jsd(theta, 2 * h, delta);
    const double value = theta * kLog2 + delta * (0.5 - kLog2);
    const double value_tol =
        std::abs(fine.value - coarse.value) + rounding_bound(fine.sum_abs, fine.n);
    // The derivative's integrand ½log(q/(p+q))/δ has a log singularity where a ramp starts,
    // so its midpoint sum converges only at first order, D_h = D + c·h + o(h): report the
    // Richardson extrapolation 2D_h − D_2h (error o(h)) and allow |D_h − D_2h| ≈ c·h, the
    // error of the plain sum, as its tolerance.
    const double grad = 2 * fine.grad - coarse.grad;
    const double grad_tol =
        std::abs(fine.grad - coarse.grad) + rounding_bound(fine.sum_abs / delta, fine.n);
    rows.push_back({"D7", fmt::format("JSD(theta={}) = theta log2 + d(1/2-log2), h=1e-4", theta),
                    value, fine.value, std::abs(fine.value - value), value_tol});
    rows.push_back({"D7", fmt::format("autograd dJSD/dtheta = log 2 (theta={}, overlap)", theta),
                    kLog2, grad, std::abs(grad - kLog2), grad_tol});
  }
  for (double theta : {1.5, 3.0}) {
    Sliding fine = sliding_jsd(theta, h, delta);
    rows.push_back({"D7", fmt::format("JSD(theta={}) = log 2 (disjoint supports)", theta), kLog2,
                    fine.value, std::abs(fine.value - kLog2),
                    rounding_bound(fine.sum_abs, fine.n)});
    // Exactly 0, not just small: every cell has p = 0 or q = 0, and there each cell's
    // derivative is 0 in exact arithmetic and in float64 alike (see jsd_log2_form).
    rows.push_back({"D7",
                    fmt::format("autograd dJSD/dtheta = 0 exactly (theta={}, disjoint)", theta),
                    0.0, fine.grad, std::abs(fine.grad), 0.0});
  }
  return rows;
}

}  // namespace zg::models
