#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "tensor/generator.h"
#include "tensor/raw.h"

namespace zg::autograd {

namespace {

// Element i (row-major over t's shape) of a strided tensor, as a writable double.
double& element(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.shape()[d]) * t.strides()[d];
    i /= t.shape()[d];
  }
  return t.data_ptr<double>()[off];
}

// Grad mode stays on: gradgradcheck's f itself takes a gradient.
Tensor evaluate(const GradcheckFn& f, const std::vector<Tensor>& inputs) {
  return raw::contiguous_copy(f(inputs));
}

}  // namespace

bool gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions opt) {
  std::vector<Tensor> diff;
  std::vector<size_t> which;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    ZG_CHECK(inputs[i].dtype() == kFloat64, "gradcheck: input {} is {}; use float64", i,
             dtype_name(inputs[i].dtype()));
    for (int64_t d = 0; d < inputs[i].dim(); ++d)
      ZG_CHECK(inputs[i].strides()[d] != 0 || inputs[i].shape()[d] == 1,
               "gradcheck: input {} {} is expanded; expand inside f instead", i,
               shape_str(inputs[i].shape()));
    diff.push_back(inputs[i]);
    which.push_back(i);
  }
  ZG_CHECK(!diff.empty(), "gradcheck: no input requires grad");
  Tensor out = f(inputs);
  ZG_CHECK(out.dtype() == kFloat64, "gradcheck: f returned {}; use float64",
           dtype_name(out.dtype()));
  const int64_t n_out = out.numel();

  // Analytic Jacobian, one row per output element: J[k][j] = d out_k / d x_j.
  std::vector<std::vector<std::vector<double>>> analytic(diff.size());
  for (int64_t k = 0; k < n_out; ++k) {
    Tensor seed = zeros(out.shape(), kFloat64);
    element(seed, k) = 1.0;
    std::vector<Tensor> g;
    if (out.requires_grad())
      g = grad({out}, diff, {.grad_outputs = {seed}, .retain_graph = true, .allow_unused = true});
    for (size_t j = 0; j < diff.size(); ++j) {
      std::vector<double> row(diff[j].numel(), 0.0);
      if (j < g.size() && g[j].defined()) row = g[j].to_vector<double>();
      analytic[j].push_back(row);
    }
  }
  // Numerical Jacobian by central differences, nudging the input's own storage.
  for (size_t j = 0; j < diff.size(); ++j) {
    const Tensor& x = diff[j];
    for (int64_t e = 0; e < x.numel(); ++e) {
      double& v = element(x, e);
      const double saved = v;
      v = saved + opt.eps;
      std::vector<double> plus = evaluate(f, inputs).to_vector<double>();
      v = saved - opt.eps;
      std::vector<double> minus = evaluate(f, inputs).to_vector<double>();
      v = saved;
      for (int64_t k = 0; k < n_out; ++k) {
        double numeric = (plus[k] - minus[k]) / (2 * opt.eps), a = analytic[j][k][e];
        if (std::abs(a - numeric) > opt.atol + opt.rtol * std::abs(numeric) ||
            std::isnan(a) != std::isnan(numeric)) {
          if (!opt.raise) return false;
          throw Error(fmt::format(
              "gradcheck: mismatch for input {} {} at element {}, output element {}: analytic "
              "{:.10g}, numerical {:.10g} (atol {}, rtol {})",
              which[j], shape_str(x.shape()), e, k, a, numeric, opt.atol, opt.rtol));
        }
      }
    }
  }
  return true;
}

bool gradgradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions opt) {
  std::vector<size_t> which;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) which.push_back(i);
  Tensor out = f(inputs);
  Generator gen(1234);
  Tensor v = randn(out.shape(), gen, kFloat64).requires_grad_();
  // (inputs..., v) -> concatenated first-order gradients vᵀJ, differentiable via create_graph.
  GradcheckFn first_order = [&](const std::vector<Tensor>& args) {
    std::vector<Tensor> xs(args.begin(), args.end() - 1);
    std::vector<Tensor> diff;
    for (size_t i : which) diff.push_back(xs[i]);
    Tensor y = f(xs);
    std::vector<Tensor> parts;
    if (y.requires_grad()) {
      auto gs = grad({y}, diff,
                     {.grad_outputs = {args.back()}, .create_graph = true, .allow_unused = true});
      for (size_t j = 0; j < gs.size(); ++j)
        parts.push_back(gs[j].defined() ? gs[j].reshape({-1}) : zeros({diff[j].numel()}, kFloat64));
    } else {
      for (const Tensor& d : diff) parts.push_back(zeros({d.numel()}, kFloat64));
    }
    return cat(parts, 0);
  };
  std::vector<Tensor> args = inputs;
  args.push_back(v);
  return gradcheck(first_order, args, opt);
}

}  // namespace zg::autograd
