// clip_grad_norm_ against torch.nn.utils.clip_grad_norm_ (tests/fixtures/optim.txt).
// torch rounds each gradient's norm to float32 and combines them in float32; zerogen sums in
// double, so the total norm agrees to float32 rounding (relative 1e-6) and the clipped
// gradients — one float32 multiplication by a coefficient that may differ in its last bit —
// to a few ulps.
#include <cmath>

#include "optim/optim.h"
#include "tests/optim/optim_test_util.h"

namespace zg::test {
namespace {

using optim::clip_grad_norm_;

std::vector<Tensor> params_with_fixture_grads() {
  std::vector<Tensor> ps;
  for (int i = 0; i < 3; ++i) {
    Tensor g = optim_ref()(fmt::format("clip.grad.{}", i));
    Tensor p = zeros(g.shape()).requires_grad_();
    p.set_grad(g);
    ps.push_back(p);
  }
  return ps;
}

TEST_CASE("clip_grad_norm_: total norm and clipped gradients match torch (p = 2, 1, inf, 3)") {
  struct Case {
    const char* tag;
    double norm_type;
  };
  for (Case c : {Case{"2", 2.0}, Case{"1", 1.0}, Case{"inf", INFINITY}, Case{"3", 3.0}}) {
    for (int max_norm : {1, 100}) {
      CAPTURE(c.tag);
      CAPTURE(max_norm);
      std::string tag = fmt::format("clip.{}.{}", c.tag, max_norm);
      std::vector<Tensor> ps = params_with_fixture_grads();
      double total = clip_grad_norm_(ps, max_norm, c.norm_type);
      double want = optim_ref()(tag + ".total").item<double>();
      CHECK(std::abs(total - want) <= 1e-6 * want);
      for (int i = 0; i < 3; ++i) {
        Tensor want_g = optim_ref()(fmt::format("{}.grad.{}", tag, i));
        CHECK(max_ulps(ps[i].grad(), want_g) <= 4);
      }
      // Below max_norm nothing changes, bit for bit.
      if (max_norm == 100)
        for (int i = 0; i < 3; ++i)
          CHECK(exact(ps[i].grad(), optim_ref()(fmt::format("clip.grad.{}", i))));
    }
  }
}

TEST_CASE("clip_grad_norm_: clipped norm equals max_norm; float64; parameters without grad") {
  Tensor a = zeros({2, 2}, kFloat64).requires_grad_(), b = zeros({3}, kFloat64).requires_grad_();
  Tensor c = zeros({5}, kFloat64).requires_grad_();  // no gradient: skipped
  a.set_grad(tensor({3, 0, 0, 4}, kFloat64).reshape({2, 2}));
  b.set_grad(tensor({0, 12, 0}, kFloat64));
  double total = clip_grad_norm_({a, b, c}, 6.5);
  CHECK(total == doctest::Approx(13.0).epsilon(1e-15));
  CHECK(!c.grad().defined());
  // Scaled by 6.5 / (13 + 1e-6): the new norm is max_norm up to torch's 1e-6 guard.
  double after =
      std::sqrt(a.grad().square().sum().item<double>() + b.grad().square().sum().item<double>());
  CHECK(after == doctest::Approx(6.5 * 13.0 / (13.0 + 1e-6)).epsilon(1e-14));
  CHECK(clip_grad_norm_({c}, 1.0) == 0.0);  // no gradients at all
  CHECK(clip_grad_norm_({}, 1.0) == 0.0);
}

TEST_CASE("clip_grad_norm_: non-finite norms and bad arguments") {
  Tensor p = zeros({3}).requires_grad_();
  p.set_grad(tensor({1, NAN, 2}));
  CHECK_ZG_ERROR(clip_grad_norm_({p}, 1.0, 2.0, /*error_if_nonfinite=*/true), "clip_grad_norm_",
                 "nan");
  CHECK(p.grad().to_vector<float>()[0] == 1.0f);  // the error left the gradient alone
  // As torch: without the flag the norm comes back NaN and the gradients are scaled by NaN.
  CHECK(std::isnan(clip_grad_norm_({p}, 1.0)));
  CHECK(std::isnan(p.grad().to_vector<float>()[0]));
  p.set_grad(tensor({1, NAN, 2}));
  CHECK(std::isnan(clip_grad_norm_({p}, 1.0, INFINITY)));  // the max norm sees NaN too
  p.set_grad(tensor({1, INFINITY, 2}));
  CHECK_ZG_ERROR(clip_grad_norm_({p}, 1.0, 1.0, true), "clip_grad_norm_", "inf");

  p.set_grad(ones({3}));
  CHECK_ZG_ERROR(clip_grad_norm_({p}, -1.0), "clip_grad_norm_", "max_norm", "-1");
  CHECK_ZG_ERROR(clip_grad_norm_({p}, 1.0, 0.0), "clip_grad_norm_", "norm_type", "0");
  CHECK_ZG_ERROR(clip_grad_norm_({p}, 1.0, NAN), "clip_grad_norm_", "norm_type", "nan");
}

}  // namespace
}  // namespace zg::test
