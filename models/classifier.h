/// \file
/// The small CNN that `zerogen train-classifier` trains on Fashion-MNIST (or MNIST), and that
/// later scores generated images: its penultimate activations are the feature space of the
/// Fréchet distance, its predictions give the class histogram (models/metrics.h).
///
/// Inputs are images in [0, 1], [N, 1, 28, 28]; the dataset's normalisation is a buffer
/// inside the model, so every caller (trainer, scorer, a Python user) feeds the same range.
#pragma once
#include "nn/nn.h"

namespace zg::models {

struct ClassifierOptions {
  int64_t channels = 1, image_size = 28, num_classes = 10;
  int64_t width = 32;           ///< channels of the first conv block (the second has 2×)
  int64_t convs_per_block = 1;  ///< conv-BN-ReLU layers before each 2×2 max-pool
  int64_t feature_dim = 128;    ///< the scorer's feature space
  double dropout = 0.25;
  double mean = 0.2860, std = 0.3530;  ///< Fashion-MNIST's pixel mean and std
};

class ClassifierImpl : public nn::Module {
 public:
  explicit ClassifierImpl(const ClassifierOptions& options = {});
  Tensor features(const Tensor& images);          ///< [N, feature_dim], after the last ReLU
  Tensor forward(const Tensor& images) override;  ///< logits [N, num_classes]
  std::string extra_repr() const override;

  ClassifierOptions options;
  nn::Sequential body{nullptr};  ///< conv blocks → flatten → Linear → ReLU
  nn::Dropout dropout{nullptr};
  nn::Linear head{nullptr};
  Tensor mean, std;  ///< buffers
};
ZG_MODULE(Classifier);

}  // namespace zg::models
