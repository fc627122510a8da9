// LR schedules against torch.optim.lr_scheduler (tests/fixtures/optim.txt: the lr torch's
// scheduler gives for each optimizer step). torch computes them recursively (lr ← lr·factor)
// and zerogen in closed form, so they agree to double rounding (relative 1e-14), not bit for
// bit.
#include <cmath>

#include "optim/optim.h"
#include "tests/optim/optim_test_util.h"

namespace zg::test {
namespace {

using optim::CosineLR;
using optim::FixedLR;
using optim::LRSchedule;
using optim::StepLR;
using optim::WarmupLR;

// Every lr_at(k), k = 0 .. n−1, against the torch sequence `name`.
void check_sequence(const LRSchedule& s, const std::string& name) {
  std::vector<double> want = optim_ref()(name).to_vector<double>();
  REQUIRE(!want.empty());
  for (size_t k = 0; k < want.size(); ++k) {
    CAPTURE(name);
    CAPTURE(k);
    double got = s.lr_at(static_cast<int64_t>(k));
    CHECK(std::abs(got - want[k]) <= 1e-14 * std::abs(want[k]) + 1e-300);
  }
}

TEST_CASE("lr schedules: StepLR, CosineLR and WarmupLR give torch's lr at every step") {
  check_sequence(StepLR(0.1, 3, 0.5), "sched.step_lr");
  check_sequence(CosineLR(0.1, 10, 1e-3), "sched.cosine");
  // LinearLR(start_factor=0.25, total_iters=4) on a constant lr.
  check_sequence(WarmupLR(0.1, 4, 0.25), "sched.linear_warmup_const");
  // SequentialLR([LinearLR(start_factor=0.01, total_iters=5), CosineAnnealingLR(T_max=15)],
  // milestones=[5]).
  check_sequence(WarmupLR(std::make_shared<CosineLR>(0.1, 15), 5, 0.01), "sched.warmup_cosine");
}

TEST_CASE("lr schedules: hand-checked values and the behaviour past the end") {
  // Default warm-up starts at 0 and is linear: peak·k/W.
  WarmupLR w(std::make_shared<FixedLR>(2.0), 4);
  CHECK(w.lr_at(0) == 0.0);
  CHECK(w.lr_at(1) == 0.5);
  CHECK(w.lr_at(2) == 1.0);
  CHECK(w.lr_at(3) == 1.5);
  CHECK(w.lr_at(4) == 2.0);
  CHECK(w.lr_at(1000) == 2.0);
  // No warm-up: the wrapped schedule unshifted.
  auto cos = std::make_shared<CosineLR>(1.0, 8, 0.2);
  WarmupLR none(cos, 0);
  for (int64_t k : {0, 3, 8, 20}) CHECK(none.lr_at(k) == cos->lr_at(k));
  // Cosine: half-way is the mean of base and min; after total_steps it stays at min_lr.
  CHECK(cos->lr_at(0) == 1.0);
  CHECK(cos->lr_at(4) == doctest::Approx(0.6).epsilon(1e-15));
  CHECK(cos->lr_at(8) == 0.2);
  CHECK(cos->lr_at(9) == 0.2);
  CHECK(cos->lr_at(1'000'000) == 0.2);
  // Step: the drop happens at multiples of step_size.
  StepLR st(1.0, 10, 0.1);
  CHECK(st.lr_at(9) == 1.0);
  CHECK(st.lr_at(10) == doctest::Approx(0.1).epsilon(1e-15));
  CHECK(st.lr_at(25) == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(StepLR(0.5, 2).lr_at(2) == doctest::Approx(0.05).epsilon(1e-15));  // gamma default 0.1
  // A warm-up into the warm-up-shifted cosine: peak at W, min at W + total.
  WarmupLR wc(std::make_shared<CosineLR>(1e-3, 100, 1e-5), 10);
  CHECK(wc.lr_at(5) == doctest::Approx(0.5e-3).epsilon(1e-15));
  CHECK(wc.lr_at(10) == 1e-3);
  CHECK(wc.lr_at(110) == 1e-5);
}

TEST_CASE("lr schedules: driving an optimizer with set_lr(schedule.lr_at(steps()))") {
  // SGD on a constant gradient of 1: after n steps p = p0 − Σ_{k<n} lr_at(k).
  Tensor p = zeros({3}, kFloat64).requires_grad_();
  optim::SGD opt({p}, {.lr = 0.0});
  WarmupLR s(std::make_shared<CosineLR>(0.5, 6, 0.01), 3);
  double want = 0;
  for (int k = 0; k < 12; ++k) {
    p.set_grad(ones({3}, kFloat64));
    opt.set_lr(s.lr_at(opt.steps()));
    want -= s.lr_at(k);
    opt.step();
  }
  CHECK(opt.lr() == s.lr_at(11));
  for (double v : p.detach().to_vector<double>()) CHECK(v == doctest::Approx(want).epsilon(1e-14));
}

TEST_CASE("lr schedules: bad arguments throw zg::Error naming the schedule") {
  CHECK_ZG_ERROR(StepLR(0.1, 0), "StepLR", "step_size", "0");
  CHECK_ZG_ERROR(StepLR(-0.1, 3), "StepLR", "base_lr", "-0.1");
  CHECK_ZG_ERROR(StepLR(0.1, 3, -1.0), "StepLR", "gamma");
  CHECK_ZG_ERROR(StepLR(0.1, 3).lr_at(-1), "StepLR", "step -1");
  CHECK_ZG_ERROR(CosineLR(0.1, 0), "CosineLR", "total_steps", "0");
  CHECK_ZG_ERROR(CosineLR(0.1, 10, NAN), "CosineLR", "min_lr");
  CHECK_ZG_ERROR(CosineLR(0.1, 10).lr_at(-3), "CosineLR", "step -3");
  CHECK_ZG_ERROR(WarmupLR(nullptr, 5), "WarmupLR", "null");
  CHECK_ZG_ERROR(WarmupLR(0.1, -1), "WarmupLR", "warmup_steps", "-1");
  CHECK_ZG_ERROR(WarmupLR(0.1, 5, 1.5), "WarmupLR", "start_factor", "1.5");
  CHECK_ZG_ERROR(WarmupLR(0.1, 5).lr_at(-1), "WarmupLR", "step -1");
  CHECK_ZG_ERROR(FixedLR(INFINITY), "FixedLR", "inf");
}

}  // namespace
}  // namespace zg::test
