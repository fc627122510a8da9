// Every layer and loss against a PyTorch 1.13 run of the same configuration
// (tests/fixtures/make_layer_fixtures.py → tests/fixtures/nn/*.safetensors): output, input
// and parameter gradients for a fixed upstream gradient, BatchNorm's running statistics
// after the step. Parameters are loaded by torch's state-dict names, so this also checks
// that state dicts interchange.
//
// Tolerance, float32 against float32: |ours − torch| ≤ 1e-5·|torch| + 1e-6·max(1, max|torch|).
// Both sides round every op to float32 but sum in different orders (blocked lanes here,
// torch's own kernels there); a sum of n terms then differs by ~√n·2⁻²⁴ relative to the
// magnitudes summed, and the norm layers divide by σ. Over all fixtures the worst element
// sits at 16% of this bound (a GroupNorm-in-attention weight gradient), so the bound has
// ~6× headroom while a wrong formula (an off-by-one count, a biased/unbiased mix-up: ≥ 1e-2
// relative at these sizes) fails it by orders of magnitude.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <sstream>

#include "io/safetensors.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {
namespace F = nn::functional;

struct Fixture {
  std::string name;
  TensorDict t;
  std::map<std::string, std::string> meta;
  const Tensor& at(const std::string& k) const {
    auto it = t.find(k);
    REQUIRE_MESSAGE(it != t.end(), name << ": no tensor " << k);
    return it->second;
  }
  bool has(const std::string& k) const { return t.count(k) > 0; }
  double num(const std::string& k) const { return std::stod(meta.at(k)); }
  std::vector<std::string> input_names() const {
    std::vector<std::string> out;
    std::stringstream ss(meta.at("inputs"));
    for (std::string s; std::getline(ss, s, ',');) out.push_back(s);
    return out;
  }
  std::string input_key(const std::string& n) const {
    return input_names().size() == 1 ? "input" : "input." + n;
  }
  std::string grad_key(const std::string& n) const {
    return input_names().size() == 1 ? "grad_input" : "grad_input." + n;
  }
};

Fixture load(const std::string& name) {
  io::Safetensors s =
      io::load_safetensors(std::string(ZEROGEN_FIXTURES) + "/nn/" + name + ".safetensors");
  return {name, s.tensors, s.metadata};
}

void check_close(const Tensor& ours, const Tensor& torch, const std::string& what) {
  test::check_close_to_ref(ours, torch, what, 1e-5, 1e-6);
}

// Runs f on the fixture's inputs (fresh float leaves), backward with its grad_output, and
// compares output, gradients of inputs and of the module's parameters, and buffers.
void check_run(const Fixture& fx, nn::Module* module,
               const std::function<Tensor(const std::vector<Tensor>&)>& f) {
  INFO("fixture " << fx.name);
  if (module) {
    TensorDict sd = module->state_dict();
    for (auto& [k, v] : sd) {
      if (fx.has("param." + k))
        v = fx.at("param." + k);
      else if (!fx.meta.count("train") || fx.meta.at("train") == "0")
        if (fx.has("after." + k)) v = fx.at("after." + k);  // eval: the stats it ran with
    }
    module->load_state_dict(sd);
    module->train(fx.meta.at("train") == "1");
    module->zero_grad();
  }
  std::vector<Tensor> in;
  for (const std::string& n : fx.input_names()) {
    Tensor v = fx.at(fx.input_key(n)).clone();
    if (v.is_floating_point() && fx.has(fx.grad_key(n))) v.requires_grad_();
    in.push_back(v);
  }
  Tensor out = f(in);
  check_close(out, fx.at("output"), "output");
  out.backward(fx.at("grad_output"));
  auto names = fx.input_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (fx.has(fx.grad_key(names[i])))
      check_close(in[i].grad(), fx.at(fx.grad_key(names[i])), "grad of " + names[i]);
  if (!module) return;
  for (auto& [k, p] : module->named_parameters())
    if (fx.has("grad.param." + k)) check_close(p.grad(), fx.at("grad.param." + k), "grad of " + k);
  for (auto& [k, b] : module->named_buffers())
    if (fx.has("after." + k))
      check_close(b, fx.at("after." + k), "buffer " + k + " after the step");
}

std::vector<std::string> fixtures_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(std::string(ZEROGEN_FIXTURES) + "/nn")) {
    std::string stem = e.path().stem().string();
    if (stem.rfind(prefix, 0) == 0) out.push_back(stem);
  }
  std::sort(out.begin(), out.end());
  REQUIRE_MESSAGE(!out.empty(), "no fixtures named " << prefix << "*");
  return out;
}

TEST_CASE("vs torch: Linear and the activations") {
  for (const std::string& name : fixtures_with_prefix("linear_")) {
    Fixture fx = load(name);
    nn::Linear lin(
        nn::LinearOptions(int64_t(fx.num("in")), int64_t(fx.num("out"))).bias(fx.num("bias") != 0));
    check_run(fx, lin.ptr().get(), [&](const std::vector<Tensor>& in) { return lin(in[0]); });
  }
  std::map<std::string, std::shared_ptr<nn::Module>> acts = {
      {"relu", nn::ReLU().ptr()}, {"leakyrelu", nn::LeakyReLU(0.2).ptr()},
      {"silu", nn::SiLU().ptr()}, {"gelu", nn::GELU().ptr()},
      {"tanh", nn::Tanh().ptr()}, {"sigmoid", nn::Sigmoid().ptr()}};
  for (const std::string& name : fixtures_with_prefix("act_")) {
    Fixture fx = load(name);
    auto m = acts.at(fx.meta.at("act"));
    check_run(fx, m.get(), [&](const std::vector<Tensor>& in) { return m->forward(in[0]); });
  }
}

TEST_CASE("vs torch: BatchNorm1d/2d (train with running statistics, eval), GroupNorm, LayerNorm") {
  for (const std::string& name : fixtures_with_prefix("batchnorm")) {
    Fixture fx = load(name);
    auto opts = nn::BatchNormOptions(int64_t(fx.num("C")))
                    .eps(fx.num("eps"))
                    .momentum(fx.num("momentum"))
                    .affine(fx.num("affine") != 0);
    std::shared_ptr<nn::BatchNormImplBase> bn;
    if (fx.num("dims") == 1)
      bn = std::make_shared<nn::BatchNorm1dImpl>(opts);
    else
      bn = std::make_shared<nn::BatchNorm2dImpl>(opts);
    check_run(fx, bn.get(), [&](const std::vector<Tensor>& in) { return bn->forward(in[0]); });
  }
  for (const std::string& name : fixtures_with_prefix("groupnorm_")) {
    Fixture fx = load(name);
    nn::GroupNorm gn(nn::GroupNormOptions(int64_t(fx.num("groups")), int64_t(fx.num("C")))
                         .eps(fx.num("eps"))
                         .affine(fx.num("affine") != 0));
    check_run(fx, gn.ptr().get(), [&](const std::vector<Tensor>& in) { return gn(in[0]); });
  }
  for (const std::string& name : fixtures_with_prefix("layernorm_")) {
    Fixture fx = load(name);
    Shape ns;
    std::stringstream ss(fx.meta.at("normalized_shape"));
    for (std::string s; std::getline(ss, s, ',');) ns.push_back(std::stoll(s));
    nn::LayerNorm ln(
        nn::LayerNormOptions(ns).eps(fx.num("eps")).elementwise_affine(fx.num("affine") != 0));
    check_run(fx, ln.ptr().get(), [&](const std::vector<Tensor>& in) { return ln(in[0]); });
  }
}

TEST_CASE("vs torch: Embedding and the sinusoidal time embedding") {
  Fixture fx = load("embedding_10x4");
  nn::Embedding emb(10, 4);
  check_run(fx, emb.ptr().get(), [&](const std::vector<Tensor>& in) { return emb(in[0]); });
  for (const std::string& name : fixtures_with_prefix("timeemb_")) {
    Fixture f = load(name);
    nn::SinusoidalTimeEmbedding te(int64_t(f.num("dim")), f.num("max_period"));
    check_run(f, te.ptr().get(), [&](const std::vector<Tensor>& in) { return te(in[0]); });
  }
}

TEST_CASE("vs torch: attention — scaled dot product, MultiheadAttention, the W4 block") {
  for (const std::string& name : fixtures_with_prefix("sdpa_")) {
    Fixture fx = load(name);
    check_run(fx, nullptr, [](const std::vector<Tensor>& in) {
      return F::scaled_dot_product_attention(in[0], in[1], in[2], in.size() > 3 ? in[3] : Tensor());
    });
  }
  for (const std::string& name : fixtures_with_prefix("mha_")) {
    Fixture fx = load(name);
    auto opts = nn::MultiheadAttentionOptions(int64_t(fx.num("E")), int64_t(fx.num("H")))
                    .bias(fx.num("bias") != 0);
    if (fx.meta.count("kdim")) opts.kdim(int64_t(fx.num("kdim"))).vdim(int64_t(fx.num("vdim")));
    nn::MultiheadAttention mha(opts);
    check_run(fx, mha.ptr().get(), [&](const std::vector<Tensor>& in) {
      if (in.size() == 1) return mha(in[0]);
      if (in.size() == 3) return mha->forward(in[0], in[1], in[2]);
      return mha->forward(in[0], in[1], in[2], in[4],
                          in[3]);  // q, k, v, attn_mask, key_padding_mask
    });
  }
  for (const std::string& name : fixtures_with_prefix("selfattn2d_")) {
    Fixture fx = load(name);
    nn::SelfAttention2d blk(nn::SelfAttention2dOptions(int64_t(fx.num("C"))));
    check_run(fx, blk.ptr().get(), [&](const std::vector<Tensor>& in) { return blk(in[0]); });
  }
}

TEST_CASE("vs torch: losses") {
  for (const std::string& name : fixtures_with_prefix("mse_")) {
    Fixture fx = load(name);
    check_run(fx, nullptr, [&](const std::vector<Tensor>& in) {
      return F::mse_loss(in[0], in[1], fx.meta.at("reduction"));
    });
  }
  for (const std::string& name : fixtures_with_prefix("bce_")) {
    Fixture fx = load(name);
    check_run(fx, nullptr, [&](const std::vector<Tensor>& in) {
      return F::binary_cross_entropy_with_logits(in[0], in[1], in.size() > 2 ? in[2] : Tensor(),
                                                 fx.meta.at("reduction"));
    });
  }
  for (const std::string& name : fixtures_with_prefix("ce_")) {
    Fixture fx = load(name);
    nn::CrossEntropyOptions o;
    o.reduction = fx.meta.at("reduction");
    o.label_smoothing = fx.num("label_smoothing");
    o.ignore_index = int64_t(fx.num("ignore_index"));
    check_run(fx, nullptr, [&](const std::vector<Tensor>& in) {
      nn::CrossEntropyOptions oo = o;
      if (in.size() > 2) oo.weight = in[2];
      return F::cross_entropy(in[0], in[1], oo);
    });
  }
  Fixture nll = load("nll_weight");
  check_run(nll, nullptr,
            [](const std::vector<Tensor>& in) { return F::nll_loss(in[0], in[1], in[2]); });
  for (const std::string& name : fixtures_with_prefix("gnll_")) {
    Fixture fx = load(name);
    check_run(fx, nullptr, [&](const std::vector<Tensor>& in) {
      return F::gaussian_nll_loss(in[0], in[1], in[2], fx.num("full") != 0);
    });
  }
  Fixture kl = load("gaussiankl_sum");  // against torch.distributions.kl_divergence
  check_run(kl, nullptr, [](const std::vector<Tensor>& in) {
    return F::gaussian_kl_loss(in[0], in[1], in[2], in[3], "sum");
  });
}

// Default initialisation: the distributions PyTorch's formulas give, checked on large
// layers (bounds exactly; variances within 5 sd of their sampling error).
TEST_CASE("default init statistics match PyTorch's formulas") {
  manual_seed(123);
  auto check_uniform = [](const Tensor& w, double bound, const char* what) {
    INFO(what);
    const double n = double(w.numel());
    CHECK(w.abs().max().item<double>() <= bound);
    CHECK(w.abs().max().item<double>() > 0.99 * bound);
    double var = w.to(kFloat64).var(false).item<double>(), expect = bound * bound / 3;
    // var of U(−b, b) is b²/3; the sample variance's sd is b²·√(4/45/n)
    CHECK(std::abs(var - expect) < 5 * bound * bound * std::sqrt(4.0 / 45.0 / n));
    CHECK(std::abs(w.to(kFloat64).mean().item<double>()) < 5 * bound / std::sqrt(3 * n));
  };
  nn::Linear lin(300, 200);  // kaiming_uniform(a=√5): bound 1/√fan_in; bias the same
  check_uniform(lin->weight, 1 / std::sqrt(300.0), "Linear.weight");
  CHECK(lin->bias.abs().max().item<double>() <= 1 / std::sqrt(300.0));
  nn::MultiheadAttention mha(128, 4);  // xavier_uniform on [3E, E]: √(6 / (E + 3E))
  check_uniform(mha->in_proj_weight, std::sqrt(6.0 / (128 + 384)), "in_proj_weight");
  check_uniform(mha->out_proj->weight, 1 / std::sqrt(128.0), "out_proj.weight (Linear default)");
  nn::Conv1x1 conv(96, 300);  // Conv2d default: 1/√(C·1·1)
  check_uniform(conv->weight, 1 / std::sqrt(96.0), "Conv1x1.weight");
  nn::BatchNorm2d bn(7);
  CHECK(bn->weight.to_vector<double>() == std::vector<double>(7, 1.0));
  CHECK(bn->bias.to_vector<double>() == std::vector<double>(7, 0.0));
}

}  // namespace
}  // namespace zg
