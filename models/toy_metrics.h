/// \file
/// Metrics for 2-D (or any low-dimensional) generated samples against a known distribution,
/// shared by the GAN, DDPM and NCSN toy examples (DESIGN.md "Metrics", DERIVATIONS.md D4).
///
/// Mode metrics need a Gaussian mixture (its means and stds define the modes):
/// \code{.unparsed}
///   - a sample "belongs" to mode k when ‖x − μ_k‖ ≤ k_sigma·σ_k (nearest mode in units of σ
///     when several qualify); with k_sigma = 3 this is the "high quality" of the unrolled-GAN
///     and VEEGAN papers. In 2-D, ‖x − μ‖²/σ² of a true sample is χ²₂, so a perfect sampler
///     puts P(χ²₂ ≤ 9) = 1 − e^{−4.5} ≈ 0.989 of its samples within 3σ (in D dims: χ²_D).
///   - a mode is "covered" when at least min_fraction (1%) of all samples belong to it.
/// \endcode
/// The two-sample distance needs only samples, so it works for every toy set:
/// \code{.unparsed}
///   MMD²(P, Q) = E k(x, x') + E k(y, y') − 2 E k(x, y), x, x' ~ P, y, y' ~ Q,
/// \endcode
/// estimated without bias by the U-statistic (Gretton et al. 2012, eq. 3): the same-sample
/// sums leave out i = j, so E[estimate] = MMD² exactly and it can be slightly negative.
/// The kernel is fixed (not fitted to the data, which would bias the estimate): the mean of
/// Gaussian kernels exp(−‖x − y‖²/(2h²)) over a few bandwidths h, so it sees both the fine
/// structure (the width of a mode) and the coarse one (the weights of the modes).
#pragma once
#include <cstdint>
#include <vector>

#include "data/toy2d.h"
#include "tensor/tensor.h"

namespace zg::models {

/// Per-mode counts: for each component k, how many of samples [N, D] lie within
/// k_sigma·σ_k of μ_k (each sample counted once, for its nearest mode in units of σ).
std::vector<int64_t> mode_counts(const Tensor& samples, const data::GaussianMixture& mixture,
                                 double k_sigma = 3.0);
/// Components that received at least min_fraction of the N samples.
int64_t modes_covered(const Tensor& samples, const data::GaussianMixture& mixture,
                      double k_sigma = 3.0, double min_fraction = 0.01);
/// Fraction of samples within k_sigma·σ_k of some mode.
double high_quality_fraction(const Tensor& samples, const data::GaussianMixture& mixture,
                             double k_sigma = 3.0);

/// The fraction a perfect sampler of `mixture` puts within k_sigma of its mode: P(χ²_D ≤ k²)
/// (exact for well-separated modes; each component's own samples counted).
double expected_high_quality_fraction(const data::GaussianMixture& mixture, double k_sigma = 3.0);

struct MmdOptions {
  std::vector<double> bandwidths = {0.1, 0.5, 2.0};
};
/// Unbiased MMD² between samples x [M, D] and y [N, D] (M, N ≥ 2), computed in float64.
double mmd2_unbiased(const Tensor& x, const Tensor& y, const MmdOptions& options = {});

}  // namespace zg::models
