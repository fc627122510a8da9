#include "models/dcgan.h"

namespace zg::models {

DCGANGeneratorImpl::DCGANGeneratorImpl(const DCGANOptions& o)
    : Module("DCGANGenerator"), options(o) {
  int64_t w = o.width;
  fc = register_module("fc", nn::Linear(o.latent_dim, 2 * w * 7 * 7));
  net = register_module(
      "net",
      nn::Sequential(
          nn::BatchNorm2d(2 * w), nn::ReLU(),
          nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2 * w, w, 4).stride(2).padding(1)),
          nn::BatchNorm2d(w), nn::ReLU(),
          nn::ConvTranspose2d(nn::ConvTranspose2dOptions(w, o.channels, 4).stride(2).padding(1)),
          nn::Tanh()));
}

Tensor DCGANGeneratorImpl::forward(const Tensor& z) {
  return net(fc(z).view({-1, 2 * options.width, 7, 7}));
}

DCGANDiscriminatorImpl::DCGANDiscriminatorImpl(const DCGANOptions& o)
    : Module("DCGANDiscriminator"), options(o) {
  int64_t w = o.width;
  net = register_module(
      "net", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(o.channels, w, 4).stride(2).padding(1)),
                            nn::LeakyReLU(0.2),
                            nn::Conv2d(nn::Conv2dOptions(w, 2 * w, 4).stride(2).padding(1)),
                            nn::BatchNorm2d(2 * w), nn::LeakyReLU(0.2), nn::Flatten(),
                            nn::Linear(2 * w * 7 * 7, 1)));
}

Tensor DCGANDiscriminatorImpl::forward(const Tensor& x) { return net(x); }

}  // namespace zg::models
