#include "optim/lr_schedule.h"

#include <cmath>
#include <numbers>

#include "tensor/error.h"

namespace zg::optim {

namespace {

void check_lr(double lr, const char* op, const char* what) {
  ZG_CHECK(std::isfinite(lr) && lr >= 0, "{}: {} {} is not a finite value >= 0", op, what, lr);
}
void check_step(int64_t step, const char* op) {
  ZG_CHECK(step >= 0, "{}::lr_at: step {} is negative", op, step);
}

}  // namespace

LRSchedule::~LRSchedule() = default;

FixedLR::FixedLR(double lr) : lr_(lr) { check_lr(lr, "FixedLR", "lr"); }
double FixedLR::lr_at(int64_t step) const {
  check_step(step, "FixedLR");
  return lr_;
}

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), gamma_(gamma), step_size_(step_size) {
  check_lr(base_lr, "StepLR", "base_lr");
  ZG_CHECK(step_size >= 1, "StepLR: step_size {} must be >= 1", step_size);
  ZG_CHECK(std::isfinite(gamma) && gamma >= 0, "StepLR: gamma {} must be >= 0", gamma);
}
double StepLR::lr_at(int64_t step) const {
  check_step(step, "StepLR");
  return base_lr_ * std::pow(gamma_, static_cast<double>(step / step_size_));
}

CosineLR::CosineLR(double base_lr, int64_t total_steps, double min_lr)
    : base_lr_(base_lr), min_lr_(min_lr), total_steps_(total_steps) {
  check_lr(base_lr, "CosineLR", "base_lr");
  check_lr(min_lr, "CosineLR", "min_lr");
  ZG_CHECK(total_steps >= 1, "CosineLR: total_steps {} must be >= 1", total_steps);
}
double CosineLR::lr_at(int64_t step) const {
  check_step(step, "CosineLR");
  if (step >= total_steps_) return min_lr_;
  // torch's closed form, term for term.
  return min_lr_ + (base_lr_ - min_lr_) *
                       (1 + std::cos(std::numbers::pi * static_cast<double>(step) /
                                     static_cast<double>(total_steps_))) /
                       2;
}

WarmupLR::WarmupLR(std::shared_ptr<const LRSchedule> after, int64_t warmup_steps,
                   double start_factor)
    : after_(std::move(after)), warmup_steps_(warmup_steps), start_factor_(start_factor) {
  ZG_CHECK(after_ != nullptr, "WarmupLR: the schedule after the warm-up is null");
  ZG_CHECK(warmup_steps >= 0, "WarmupLR: warmup_steps {} must be >= 0", warmup_steps);
  ZG_CHECK(start_factor >= 0 && start_factor <= 1, "WarmupLR: start_factor {} must lie in [0, 1]",
           start_factor);
}
WarmupLR::WarmupLR(double base_lr, int64_t warmup_steps, double start_factor)
    : WarmupLR(std::make_shared<FixedLR>(base_lr), warmup_steps, start_factor) {}

double WarmupLR::lr_at(int64_t step) const {
  check_step(step, "WarmupLR");
  if (step >= warmup_steps_) return after_->lr_at(step - warmup_steps_);
  // torch's LinearLR closed form: base · (start + (end − start)·step / total), end = 1.
  return after_->lr_at(0) * (start_factor_ + (1 - start_factor_) * static_cast<double>(step) /
                                                 static_cast<double>(warmup_steps_));
}

}  // namespace zg::optim
