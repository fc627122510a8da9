#include "models/score_matching.h"

#include "models/diffusion_objective.h"

#include <cmath>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "models/unet.h"
#include "tensor/error.h"

namespace zg::models {

Tensor exact_score_matching_loss(const ScoreFunction& score_model, const Tensor& x) {
  ZG_CHECK(x.dim() == 2 && x.is_floating_point() && x.size(0) > 0,
           "exact_score_matching_loss: expected floating x [B, D] with B > 0, got {} {}",
           dtype_name(x.dtype()), shape_str(x.shape()));
  GradModeGuard grad_on(true);  // the trace is a derivative: it needs the graph
  Tensor input = x.detach().requires_grad_();
  Tensor score = score_model(input);
  ZG_CHECK(score.shape() == x.shape(),
           "exact_score_matching_loss: the score model maps x {} to {}, expected the same shape",
           shape_str(x.shape()), shape_str(score.shape()));
  Tensor per_example = score.square().sum({1}) * 0.5;
  if (!score.requires_grad()) return per_example.mean();  // constant in x: zero trace
  // ∂s_d/∂x_d for all examples at once: the examples are independent, so the gradient of
  // Σ_n s_d(x_n) with respect to x_n is row n of the Jacobian of s_d.
  for (int64_t d = 0; d < x.size(1); ++d) {
    Tensor column =
        autograd::grad({score.select(1, d).sum()}, {input},
                       {.retain_graph = true, .create_graph = true, .allow_unused = true})[0];
    if (column.defined()) per_example = per_example + column.select(1, d);
  }
  return per_example.mean();
}

Tensor dsm_loss(const Tensor& score_pred, const Tensor& noise, const Tensor& sigma) {
  ZG_CHECK(score_pred.dim() >= 1 && score_pred.shape() == noise.shape(),
           "dsm_loss: score_pred {} and noise {} must have the same shape [B, ...]",
           shape_str(score_pred.shape()), shape_str(noise.shape()));
  const int64_t batch = score_pred.size(0);
  ZG_CHECK(sigma.dim() == 0 || (sigma.dim() == 1 && sigma.size(0) == batch),
           "dsm_loss: sigma must be a scalar or [{}] (one per example), got {}", batch,
           shape_str(sigma.shape()));
  Shape per_example_shape(score_pred.dim(), 1);
  per_example_shape[0] = sigma.dim() == 0 ? 1 : batch;
  Tensor residual = score_pred * sigma.to(score_pred.dtype()).reshape(per_example_shape) + noise;
  Tensor flat = residual.reshape({batch, -1});
  return flat.square().sum({1}).mean() * 0.5;
}

Tensor toy_net_score(ToyScoreNetImpl& net, const Tensor& x, const Tensor& sigma) {
  Tensor s = sigma.dim() == 0 ? sigma.to(x.dtype()).expand({x.size(0)}) : sigma.to(x.dtype());
  return -net.forward(x, noise_level_to_time(s)) / s.unsqueeze(1);
}

Tensor toy_net_score(ToyScoreNetImpl& net, const Tensor& x, double sigma) {
  return toy_net_score(net, x, full({x.size(0)}, sigma, TensorOptions().dtype(x.dtype())));
}

double ncsn_toy_step(ToyScoreNetImpl& net, optim::Optimizer& optimizer, const Tensor& x,
                     const std::vector<double>& sigmas, Generator& gen) {
  ZG_CHECK(!sigmas.empty(), "ncsn_toy_step: no noise levels");
  ZG_CHECK(x.dim() == 2, "ncsn_toy_step: expected x [B, D], got {}", shape_str(x.shape()));
  const DiffusionSetup setup{DiffusionMethod::kNcsn, NoiseLevels::from_sigmas(sigmas),
                             Prediction::kEpsilon};
  Tensor loss = denoising_loss(
      [&](const Tensor& xt, const Tensor& time) { return net.forward(xt, time); }, setup, x, gen);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  return loss.item<double>();
}

}  // namespace zg::models
