#include "models/diffusion_objective.h"

#include <cmath>

#include "models/diffusion_loss.h"
#include "models/score_matching.h"
#include "tensor/error.h"

namespace zg::models {

DiffusionSetup DiffusionSetup::ddpm(const DiffusionSchedule& schedule) {
  return {DiffusionMethod::kDdpm, NoiseLevels::from_schedule(schedule), Prediction::kEpsilon};
}

DiffusionSetup DiffusionSetup::ncsn(double sigma_max, double sigma_min, int count) {
  return {DiffusionMethod::kNcsn,
          NoiseLevels::from_sigmas(geometric_sigmas(sigma_max, sigma_min, count)),
          Prediction::kEpsilon};
}

double DiffusionSetup::network_time(int level) const {
  ZG_CHECK(level >= 1 && level <= levels.num_levels(),
           "DiffusionSetup::network_time: level {} outside 1..{}", level, levels.num_levels());
  return method == DiffusionMethod::kDdpm ? levels.condition[level]
                                          : 1000.0 * std::log(levels.b[level]);
}

namespace {

// Per-example values of a per-level table, shaped [B, 1, ...] to broadcast against x, on x's
// device (the levels are drawn, and the tables indexed, on the CPU).
Tensor per_example(const std::vector<double>& table, const Tensor& level, const Tensor& like) {
  Shape shape(like.dim(), 1);
  shape[0] = like.size(0);
  return from_vector(table)
      .to(like.dtype())
      .index_select(0, level)
      .reshape(shape)
      .to(like.device());
}

}  // namespace

Tensor denoising_loss(const ConditionedNetwork& network, const DiffusionSetup& setup,
                      const Tensor& x0, Generator& gen) {
  ZG_CHECK(x0.dim() >= 2 && x0.size(0) > 0,
           "denoising_loss: expected a batch [B, ...] with B > 0, got {}", shape_str(x0.shape()));
  const int K = setup.levels.num_levels();
  const int64_t batch = x0.size(0);
  Tensor level = randint(1, K + 1, {batch}, gen);
  Tensor noise = randn(x0.shape(), gen, x0.options());
  std::vector<double> time(K + 1, 0.0);
  for (int k = 1; k <= K; ++k) time[k] = setup.network_time(k);
  Tensor x_noisy =
      per_example(setup.levels.a, level, x0) * x0 + per_example(setup.levels.b, level, x0) * noise;
  Tensor out =
      network(x_noisy, from_vector(time).to(x0.dtype()).index_select(0, level).to(x0.device()));
  ZG_CHECK(out.shape() == x0.shape(), "denoising_loss: the network returned {} for input {}",
           shape_str(out.shape()), shape_str(x0.shape()));
  ZG_CHECK(setup.prediction == Prediction::kEpsilon,
           "denoising_loss: the network must predict eps (ddpm and ncsn alike), not {}",
           prediction_name(setup.prediction));
  if (setup.method == DiffusionMethod::kDdpm) return simple_loss(out, noise);
  // NCSN: the score s = −ε̂/σ in λ(σ)·ℓ = ½‖σ·s + ε‖², summed over an example's dimensions.
  Tensor sigma = from_vector(setup.levels.b).to(x0.dtype()).index_select(0, level).to(x0.device());
  return dsm_loss(-out / per_example(setup.levels.b, level, x0), noise, sigma);
}

Denoiser make_denoiser(const ConditionedNetwork& network, const DiffusionSetup& setup) {
  Denoiser d;
  d.prediction = setup.prediction;
  d.levels = setup.levels;
  d.network = [network, setup](const Tensor& x, int level) {
    return network(x, full({x.size(0)}, setup.network_time(level), x.options()));
  };
  return d;
}

}  // namespace zg::models
