#include "models/langevin.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::models {

Tensor langevin_dynamics(const ScoreFunction& score, const Tensor& x, int steps, double step_size,
                         Generator& gen) {
  ZG_CHECK(steps >= 0 && step_size > 0,
           "langevin_dynamics: need steps >= 0 and step_size > 0, got {} and {}", steps, step_size);
  NoGradGuard no_grad;
  Tensor current = x;
  const double noise_scale = std::sqrt(step_size);
  for (int k = 0; k < steps; ++k) {
    Tensor z = randn(current.shape(), gen, current.options());
    current = current + score(current) * (step_size / 2) + z * noise_scale;
  }
  return current;
}

Tensor annealed_langevin_dynamics(const LevelScoreFunction& score,
                                  const std::vector<double>& sigmas, const Tensor& x,
                                  int steps_per_level, double step_size, Generator& gen,
                                  const std::function<void(int, const Tensor&)>& after_level) {
  ZG_CHECK(!sigmas.empty(), "annealed_langevin_dynamics: no noise levels");
  for (size_t i = 0; i < sigmas.size(); ++i)
    ZG_CHECK(sigmas[i] > 0 && (i == 0 || sigmas[i] < sigmas[i - 1]),
             "annealed_langevin_dynamics: sigmas must be positive and strictly decreasing, got "
             "sigma[{}] = {} after {}",
             i, sigmas[i], i == 0 ? 0.0 : sigmas[i - 1]);
  const double sigma_last = sigmas.back();
  Tensor current = x;
  for (int i = 0; i < static_cast<int>(sigmas.size()); ++i) {
    const double alpha = step_size * sigmas[i] * sigmas[i] / (sigma_last * sigma_last);
    current = langevin_dynamics([&](const Tensor& xi) { return score(xi, i); }, current,
                                steps_per_level, alpha, gen);
    if (after_level) after_level(i, current);
  }
  return current;
}

}  // namespace zg::models
