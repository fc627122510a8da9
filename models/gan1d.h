/// \file
/// The 1-D GAN of D1–D3 (../shared/DERIVATIONS.md): two normal densities, the optimal
/// discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x)), quadrature of the GAN value
/// V(D, G) and of the Jensen–Shannon divergence, and a small MLP discriminator trained with
/// the GAN D-objective. Shared by the D1/D2 derivation rows (models/derivations_gan.cpp) and
/// by `zerogen gan-1d` (examples/gan_1d.cpp), so the table and the picture come from the
/// same code.
///
/// Everything about a discriminator is kept in logits l(x), D = σ(l): log D = −softplus(−l)
/// and log(1 − D) = −softplus(l) stay finite where D* is 1 − 1e-20, and the optimal logit
/// is simply log p_data − log p_g.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "nn/nn.h"
#include "optim/optim.h"
#include "tensor/generator.h"

namespace zg::models {

/// N(mu, sigma²) on the real line.
struct Normal1d {
  double mu = 0, sigma = 1;
  double log_pdf(double x) const;
  double pdf(double x) const;
  Tensor log_pdf(const Tensor& x) const;  ///< elementwise, x's dtype
  Tensor sample(int64_t n, Generator& gen, DType dtype = kFloat64) const;  ///< [n, 1]
};

/// The optimal discriminator of D1 and its logit log p_data(x) − log p_g(x).
double optimal_discriminator(const Normal1d& data, const Normal1d& g, double x);
Tensor optimal_logit(const Normal1d& data, const Normal1d& g, const Tensor& x);

/// A uniform grid x_i = lo + i·h, i = 0..n, for composite Simpson quadrature.
struct Grid1d {
  double lo, hi;
  int64_t n;  ///< intervals; a multiple of 4 (the error estimate halves it)
  double h() const { return (hi - lo) / static_cast<double>(n); }
  Tensor points() const;  ///< [n + 1] float64
};
/// The grid over which two normals' integrands live: mu ± 12 sigma of both (the mass outside
/// is below e^{-72}), with n intervals.
Grid1d grid_for(const Normal1d& a, const Normal1d& b, int64_t n = 1 << 14);

/// ∫ f over the grid from its values f(x_i), by composite Simpson. `error` estimates what the
/// value can be off by: Richardson's estimate |S_h − S_2h|/15 of the rule's truncation error
/// (Simpson's error is C·h⁴ + O(h⁶), so S_h − S_2h = −15·C·h⁴ + O(h⁶): the estimate is exact
/// up to a relative O(h²) — 0.6% for e^x on [0, 1] with 8 intervals, tests/models/test_gan1d),
/// plus a bound on the float64 rounding of the weighted sum, n·ε·h·Σ|f_i|.
struct Quadrature {
  double value = 0, error = 0;
};
Quadrature simpson(const std::vector<double>& f, double h);

/// V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))] for a discriminator given by its logits
/// l(x_i) on `grid` (D2: at D = D* this is C(G) = −log 4 + 2·JSD(p_data ‖ p_g)).
Quadrature gan_value(const Normal1d& data, const Normal1d& g, const Grid1d& grid,
                     const Tensor& logits);
/// JSD(p ‖ q) = ½KL(p ‖ M) + ½KL(q ‖ M), M = (p + q)/2, by quadrature (D2, D7).
Quadrature jsd(const Normal1d& p, const Normal1d& q, const Grid1d& grid);

/// The D1 discriminator: an MLP 1 → hidden → hidden → 1 (LeakyReLU 0.2; one logit), float32.
/// (A tanh MLP of the same size, tried first, kept a systematic error of ≈ 0.004 in D after
/// 1500–6000 steps — more than twice its run-to-run spread — so it failed the D1 criterion.)
nn::Sequential make_discriminator_1d(int64_t hidden = 32);

/// One step of the GAN D-objective: maximise E_data log D + E_g log(1 − D), i.e. minimise
/// binary cross-entropy with logits, label 1 on `real` and 0 on `fake` ([n, 1] each).
/// Returns the loss (the estimate of −V on this batch).
double discriminator_step(nn::Sequential& d, optim::Optimizer& opt, const Tensor& real,
                          const Tensor& fake);

struct DiscriminatorTraining {
  int64_t steps = 1500, batch = 256, hidden = 32;
  double lr = 3e-2;  ///< Adam; cosine-decayed to 1% over the steps
  uint64_t seed = 0;
};
/// Trains a fresh discriminator (initialised from `seed`) against a fixed p_g, with fresh
/// samples of both densities at every step. ~0.4 s (one core).
nn::Sequential train_discriminator_1d(const Normal1d& data, const Normal1d& g,
                                      const DiscriminatorTraining& config);
/// The discriminator's logits at the points x ([N], any float dtype) → [N] float64, without
/// autograd.
Tensor discriminator_logits(nn::Sequential& d, const Tensor& x);

// ---- the D1 comparison -------------------------------------------------------------------
/// The points where either density exceeds 1e-3 (801 equally spaced candidates over the two
/// normals' ±12σ range), the weights w = (p_data + p_g)/2 there — the mixture the
/// D-objective averages over, so an error where neither density has samples counts for
/// little — and D* at those points.
struct D1Grid {
  Tensor x, weight, d_star;  ///< [N] float64
};
D1Grid d1_grid(const Normal1d& data, const Normal1d& g, int64_t candidates = 801);
/// sqrt(Σ w·(D − D*)² / Σ w): the weighted RMS distance of D (probabilities on grid.x) from D*.
double d1_error(const D1Grid& grid, const Tensor& d);

/// D1's verdict on one trained discriminator. Its distance from D* is set against the
/// statistical error of the procedure itself: `runs − 1` further discriminators, trained the
/// same way from other seeds (other initial weights, other samples), give the run-to-run
/// standard deviation s(x) of D(x); `spread` is its weighted RMS. A discriminator whose error
/// is only its sampling noise has error ≈ spread (its deviation is a draw of that noise);
/// a systematic miss — an untrained or constant D, or a wrong target — is many spreads off.
struct D1Check {
  D1Grid grid;
  nn::Sequential trained{nullptr};  ///< trained from config.seed: the one under test
  double error = 0;                 ///< d1_error of `trained`
  double spread = 0;                ///< weighted RMS of s(x) over the other runs
  int64_t runs = 0;
};
D1Check run_d1_check(const Normal1d& data, const Normal1d& g, const DiscriminatorTraining& config,
                     int64_t runs);

}  // namespace zg::models
