/// \file
/// Everything in optim/: optimizers, the weight EMA, LR schedules and gradient clipping.
/// A training step with all of them:
///
/// \code
///   optim::AdamW opt(params, {.lr = 2e-4});
///   optim::EMA ema(params, 0.9999);
///   auto schedule = std::make_shared<optim::WarmupLR>(
///       std::make_shared<optim::CosineLR>(2e-4, total_steps - 1000), 1000);
///   for (...) {
///     opt.zero_grad();
///     loss(batch).backward();
///     optim::clip_grad_norm_(opt.params(), 1.0);
///     opt.set_lr(schedule->lr_at(opt.steps()));
///     opt.step();
///     ema.update();
///   }
///   // Checkpoint: opt.state_dict() and ema.state_dict() beside the model's (resumes bit for bit).
/// \endcode
#pragma once
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/ema.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"
#include "optim/sgd.h"
