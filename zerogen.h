/// \file
/// The one header a user needs: tensors, autograd, nn, optim (and, as they land, models).
#pragma once
#include "autograd/engine.h"
#include "autograd/function.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "nn/nn.h"
#include "optim/optim.h"
#include "tensor/conv.h"
#include "tensor/format.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"
