/// \file
/// The MLP GAN of `zerogen train-gan2d` and of the D4 check (mode collapse on 8 Gaussians).
///
/// \code{.unparsed}
///   G: z (latent_dim) → [Linear → ReLU] × layers → Linear → x (2)
///   D: x (2) → [Linear → LeakyReLU 0.2] × layers → Linear → one logit l, D(x) = σ(l)
/// \endcode
///
/// The losses are written on logits with softplus, so they never take log of 0:
/// \code{.unparsed}
///   log σ(l) = −softplus(−l),   log(1 − σ(l)) = −softplus(l).
///   D maximises E log D(x) + E log(1 − D(G(z)))  ⇔  minimises softplus(−l_real) + softplus(l_fake)
///   G, saturating (the minimax game as written): minimises E log(1 − D(G(z))) = −softplus(l_fake)
///   G, non-saturating (D3): minimises −E log D(G(z)) = softplus(−l_fake)
/// \endcode
#pragma once
#include <string>

#include "data/toy2d.h"
#include "nn/nn.h"
#include "optim/optim.h"

namespace zg::models {

struct Gan2dOptions {
  int64_t latent_dim = 4, hidden = 128, layers = 3, data_dim = 2;
};

class Gan2dGeneratorImpl : public nn::Module {
 public:
  explicit Gan2dGeneratorImpl(const Gan2dOptions& options = {});
  Tensor forward(const Tensor& z) override;  ///< [N, latent_dim] → [N, data_dim]
  Gan2dOptions options;
  nn::Sequential net{nullptr};
};
ZG_MODULE(Gan2dGenerator);

class Gan2dDiscriminatorImpl : public nn::Module {
 public:
  explicit Gan2dDiscriminatorImpl(const Gan2dOptions& options = {});
  Tensor forward(const Tensor& x) override;  ///< [N, data_dim] → logits [N, 1]
  Gan2dOptions options;
  nn::Sequential net{nullptr};
};
ZG_MODULE(Gan2dDiscriminator);

enum class GanLoss { NonSaturating, Saturating };
GanLoss parse_gan_loss(const std::string& name);  ///< "non-saturating" | "saturating"
std::string gan_loss_name(GanLoss loss);

/// Means over the batch; logits of any shape.
Tensor discriminator_loss(const Tensor& real_logits, const Tensor& fake_logits);
Tensor generator_loss(const Tensor& fake_logits, GanLoss loss = GanLoss::NonSaturating);

struct Gan2dStepLosses {
  double d_loss = 0, g_loss = 0;
};
/// One alternating update, shared by `zerogen train-gan2d` and the D4 check: draw a batch of
/// real points and of z ~ N(0, I) from gen; one D step on real vs G(z).detach(); then one G
/// step through the updated D on the same G(z) (as PyTorch's DCGAN example does).
/// r1 > 0 adds Mescheder et al.'s (2018) R1 penalty (r1/2)·E‖∇_x l(x)‖² on real x to D's loss:
/// it keeps D flat on the data, which damps the rotation of G around the modes.
Gan2dStepLosses gan2d_train_step(Gan2dGeneratorImpl& G, Gan2dDiscriminatorImpl& D,
                                 optim::Optimizer& opt_g, optim::Optimizer& opt_d,
                                 const data::Toy2D& data, int64_t batch_size, GanLoss loss,
                                 Generator& gen, double r1 = 0);
/// n samples G(z) for z drawn from gen, without a graph.
Tensor gan2d_sample(Gan2dGeneratorImpl& G, int64_t n, Generator& gen);

}  // namespace zg::models
