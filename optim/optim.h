// Everything in optim/: optimizers, the weight EMA, LR schedules and gradient clipping.
#pragma once
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/ema.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"
#include "optim/sgd.h"
