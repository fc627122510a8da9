/// \file
/// Everything in zg::nn: the module base, layers, initialisation, functional and losses.
#pragma once
#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/conv.h"
#include "nn/functional.h"
#include "nn/functional_conv.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/module.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/sequential.h"
