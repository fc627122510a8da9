/// \file
/// Learning-rate schedules as pure functions of the step, so a resumed run needs no scheduler
/// state: before optimizer step k+1 (k = opt.steps(), from 0), set
/// \code
///   opt.set_lr(schedule.lr_at(opt.steps()));
/// \endcode
/// lr_at(k) is the lr torch's scheduler gives after k calls of scheduler.step().
///
/// Schedules compose through shared_ptr: a warm-up wraps the schedule that follows it,
/// \code
///   auto s = std::make_shared<WarmupLR>(std::make_shared<CosineLR>(2e-4, 95'000), 5'000);
/// \endcode
#pragma once
#include <cstdint>
#include <memory>

namespace zg::optim {

struct LRSchedule {
  virtual ~LRSchedule();
  virtual double lr_at(int64_t step) const = 0;  ///< step >= 0
};

/// The same lr at every step (a warm-up's target when nothing follows it).
class FixedLR : public LRSchedule {
 public:
  explicit FixedLR(double lr);
  double lr_at(int64_t step) const override;

 private:
  double lr_;
};

/// base_lr · gamma^⌊step / step_size⌋, as torch.optim.lr_scheduler.StepLR.
class StepLR : public LRSchedule {
 public:
  StepLR(double base_lr, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t step) const override;

 private:
  double base_lr_, gamma_;
  int64_t step_size_;
};

/// min_lr + (base_lr − min_lr)·(1 + cos(π·step / total_steps))/2 for step <= total_steps and
/// min_lr after — torch's CosineAnnealingLR(T_max = total_steps, eta_min = min_lr) up to
/// total_steps; torch's would rise again after it (a cosine period), this one stays at min_lr.
class CosineLR : public LRSchedule {
 public:
  CosineLR(double base_lr, int64_t total_steps, double min_lr = 0);
  double lr_at(int64_t step) const override;

 private:
  double base_lr_, min_lr_;
  int64_t total_steps_;
};

/// Linear warm-up over warmup_steps, then `after` shifted to start at step warmup_steps:
/// \code{.unparsed}
///   step < W:  peak · (start_factor + (1 − start_factor)·step / W),  peak = after.lr_at(0)
///   step >= W: after.lr_at(step − W)
/// \endcode
/// This is torch's SequentialLR([LinearLR(start_factor, total_iters=W), after], milestones=[W]).
/// The default start_factor 0 starts at lr 0 (as DDPM's and Hugging Face's warm-ups); torch's
/// LinearLR needs start_factor > 0.
class WarmupLR : public LRSchedule {
 public:
  WarmupLR(std::shared_ptr<const LRSchedule> after, int64_t warmup_steps, double start_factor = 0);
  /// Warm-up to a constant base_lr.
  WarmupLR(double base_lr, int64_t warmup_steps, double start_factor = 0);
  double lr_at(int64_t step) const override;

 private:
  std::shared_ptr<const LRSchedule> after_;
  int64_t warmup_steps_;
  double start_factor_;
};

}  // namespace zg::optim
