#include "models/gan2d.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::models {

Gan2dGeneratorImpl::Gan2dGeneratorImpl(const Gan2dOptions& o)
    : Module("Gan2dGenerator"), options(o) {
  ZG_CHECK(o.latent_dim > 0 && o.hidden > 0 && o.layers > 0 && o.data_dim > 0,
           "Gan2dGenerator: latent_dim, hidden, layers and data_dim must be positive, got {}, {}, "
           "{}, {}",
           o.latent_dim, o.hidden, o.layers, o.data_dim);
  nn::Sequential seq;
  int64_t in = o.latent_dim;
  for (int64_t i = 0; i < o.layers; ++i) {
    seq->push_back(nn::Linear(in, o.hidden));
    seq->push_back(nn::ReLU());
    in = o.hidden;
  }
  seq->push_back(nn::Linear(in, o.data_dim));  // no output non-linearity: x is unbounded
  net = register_module("net", seq);
}

Tensor Gan2dGeneratorImpl::forward(const Tensor& z) {
  ZG_CHECK(z.dim() == 2 && z.size(1) == options.latent_dim,
           "Gan2dGenerator: expected z [N, {}], got {}", options.latent_dim, shape_str(z.shape()));
  return net(z);
}

Gan2dDiscriminatorImpl::Gan2dDiscriminatorImpl(const Gan2dOptions& o)
    : Module("Gan2dDiscriminator"), options(o) {
  ZG_CHECK(o.hidden > 0 && o.layers > 0 && o.data_dim > 0,
           "Gan2dDiscriminator: hidden, layers and data_dim must be positive, got {}, {}, {}",
           o.hidden, o.layers, o.data_dim);
  nn::Sequential seq;
  int64_t in = o.data_dim;
  for (int64_t i = 0; i < o.layers; ++i) {
    seq->push_back(nn::Linear(in, o.hidden));
    // Leaky: a dead ReLU region of D passes no gradient on to G there.
    seq->push_back(nn::LeakyReLU(0.2));
    in = o.hidden;
  }
  seq->push_back(nn::Linear(in, 1));
  net = register_module("net", seq);
}

Tensor Gan2dDiscriminatorImpl::forward(const Tensor& x) {
  ZG_CHECK(x.dim() == 2 && x.size(1) == options.data_dim,
           "Gan2dDiscriminator: expected x [N, {}], got {}", options.data_dim,
           shape_str(x.shape()));
  return net(x);
}

GanLoss parse_gan_loss(const std::string& name) {
  if (name == "non-saturating") return GanLoss::NonSaturating;
  if (name == "saturating") return GanLoss::Saturating;
  throw Error(fmt::format("gan loss: unknown '{}' (expected non-saturating or saturating)", name));
}

std::string gan_loss_name(GanLoss loss) {
  return loss == GanLoss::NonSaturating ? "non-saturating" : "saturating";
}

Tensor discriminator_loss(const Tensor& real_logits, const Tensor& fake_logits) {
  return (-real_logits).softplus().mean() + fake_logits.softplus().mean();
}

Tensor generator_loss(const Tensor& fake_logits, GanLoss loss) {
  if (loss == GanLoss::Saturating) return -fake_logits.softplus().mean();
  return (-fake_logits).softplus().mean();
}

Gan2dStepLosses gan2d_train_step(Gan2dGeneratorImpl& G, Gan2dDiscriminatorImpl& D,
                                 optim::Optimizer& opt_g, optim::Optimizer& opt_d,
                                 const data::Toy2D& data, int64_t batch_size, GanLoss loss,
                                 Generator& gen, double r1) {
  const Device device = G.parameters().at(0).device();  // the data follows the models
  Tensor real = data.sample(batch_size, gen).to(device);
  Tensor z = randn({batch_size, G.options.latent_dim}, gen, device);
  Tensor fake = G.forward(z);

  // D ascends log D(x) + log(1 − D(G(z))); detach() keeps this step from reaching G.
  if (r1 > 0) real.requires_grad_();
  Tensor real_logits = D.forward(real);
  Tensor d_loss = discriminator_loss(real_logits, D.forward(fake.detach()));
  Tensor d_total = d_loss;
  if (r1 > 0) {
    // ∇_x l(x) with create_graph, so the penalty's own gradient reaches D's weights.
    Tensor g = autograd::grad({real_logits.sum()}, {real}, {.create_graph = true})[0];
    d_total = d_loss + (0.5 * r1) * g.square().sum({1}).mean();
  }
  opt_d.zero_grad();
  d_total.backward();
  opt_d.step();

  // G descends its loss through the updated D. The backward also fills D's gradients; D's
  // next zero_grad() discards them.
  Tensor g_loss = generator_loss(D.forward(fake), loss);
  opt_g.zero_grad();
  g_loss.backward();
  opt_g.step();
  return {d_loss.item<double>(), g_loss.item<double>()};
}

Tensor gan2d_sample(Gan2dGeneratorImpl& G, int64_t n, Generator& gen) {
  NoGradGuard no_grad;
  return G.forward(randn({n, G.options.latent_dim}, gen, G.parameters().at(0).device()));
}

}  // namespace zg::models
