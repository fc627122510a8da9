/// \file
/// The linear-Gaussian model behind the D9/D10 checks (models/derivations_elbo.cpp), exposed
/// so the tests can feed the checks a wrong formula and see them fail.
///
/// \code{.unparsed}
///   z ~ N(0, 1),  x | z ~ N(w z + b, s²)
///   p(x) = N(x; b, w² + s²),  p(z | x) = N(w(x − b)/(w² + s²), s²/(w² + s²)).
/// \endcode
#pragma once
#include "models/derivations.h"
#include "tensor/tensor.h"

namespace zg::models {

struct Gaussian1 {
  double mean, var;
};

struct LinearGaussian {
  double w = 1.5, b = 0.5, s = 0.8;

  double log_evidence(double x) const;  ///< log p(x)
  Gaussian1 posterior(double x) const;  ///< p(z | x)
  /// ELBO(q) = E_q[log p(x, z) − log q(z)] for q = N(m, v), in closed form.
  double elbo(double x, Gaussian1 q) const;
  /// log p(x, z) elementwise over z (float64, differentiable in z).
  Tensor log_joint(double x, const Tensor& z) const;
};

/// log N(z; q.mean, q.var), elementwise.
Tensor normal_log_prob(const Tensor& z, Gaussian1 q);

/// D9's identity row for one q: log p(x) against ELBO(q) + KL(q ‖ posterior), all closed form,
/// tolerance float64 rounding. `posterior` is the formula under test (model.posterior(x)).
DerivationRow elbo_identity_row(const LinearGaussian& model, double x, Gaussian1 q,
                                Gaussian1 posterior);
/// The same identity with the ELBO estimated by Monte Carlo (n reparameterised samples of q),
/// tolerance 4 standard errors plus rounding.
DerivationRow elbo_identity_mc_row(const LinearGaussian& model, double x, Gaussian1 q,
                                   Gaussian1 posterior, int64_t n, uint64_t seed);

}  // namespace zg::models
