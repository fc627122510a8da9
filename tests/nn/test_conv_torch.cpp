// The convolution layers against PyTorch 1.13: forward values and the gradients of input,
// weight and bias for a fixed upstream gradient, read from tests/fixtures/nn/*.safetensors
// (written by tests/fixtures/make_conv_fixtures.py). Also torch's default initialisation
// bounds and the layers' printed form.
#include <cmath>
#include <functional>
#include <string>

#include "io/safetensors.h"
#include "tests/test_util.h"

using namespace zg;
using nn::Size2;

namespace {

// max |a − b| / max |b|: the error relative to the reference's scale.
double rel_err(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  double scale = b.abs().max().to(kFloat64).item<double>();
  return test::max_abs_diff(a.to(kFloat64), b.to(kFloat64)) / std::max(scale, 1e-30);
}

struct Config {
  std::string name;
  std::function<std::shared_ptr<nn::Module>()> make;
};

const std::vector<Config>& configs() {
  static const std::vector<Config> c = {
      {"conv_3x3_p1", [] { return nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1)).ptr(); }},
      {"conv_4x4_s2_p1", [] { return nn::Conv2d(2, 5, 4, 2, 1).ptr(); }},
      {"conv_3x3_s2_p2_d2_g2",
       [] {
         return nn::Conv2d(nn::Conv2dOptions(4, 6, 3).stride(2).padding(2).dilation(2).groups(2))
             .ptr();
       }},
      {"conv_mixed_nobias",
       [] {
         return nn::Conv2d(nn::Conv2dOptions(2, 3, {3, 2})
                               .stride({1, 2})
                               .padding({1, 0})
                               .dilation({2, 1})
                               .bias(false))
             .ptr();
       }},
      {"conv_1x1", [] { return nn::Conv2d(4, 2, 1).ptr(); }},
      {"conv_3x3_p1_wide", [] { return nn::Conv2d(2, 3, 3, 1, 1).ptr(); }},
      {"conv_3x3_s2_p1_wide", [] { return nn::Conv2d(2, 2, 3, 2, 1).ptr(); }},
      {"convt_4x4_s2_p1", [] { return nn::ConvTranspose2d(4, 3, 4, 2, 1).ptr(); }},
      {"convt_3x3_s2_p1_op1_g2",
       [] {
         return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 6, 3)
                                        .stride(2)
                                        .padding(1)
                                        .output_padding(1)
                                        .groups(2))
             .ptr();
       }},
      {"convt_3x3_s2_d2_op10_nobias",
       [] {
         return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(3, 2, 3)
                                        .stride(2)
                                        .padding(1)
                                        .output_padding({1, 0})
                                        .dilation(2)
                                        .bias(false))
             .ptr();
       }},
      {"convt_mixed",
       [] {
         return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2, 2, {2, 3})
                                        .stride({3, 1})
                                        .padding({0, 1})
                                        .output_padding({2, 0}))
             .ptr();
       }},
      {"maxpool_2", [] { return nn::MaxPool2d(2).ptr(); }},
      {"maxpool_3_s2_p1", [] { return nn::MaxPool2d(3, 2, 1).ptr(); }},
      {"maxpool_2_s1_p1_d2", [] { return nn::MaxPool2d(2, 1, 1, 2).ptr(); }},
      {"maxpool_ties_3_s1_p1", [] { return nn::MaxPool2d(3, 1, 1).ptr(); }},
      {"avgpool_2", [] { return nn::AvgPool2d(2).ptr(); }},
      {"avgpool_3_s2_p1", [] { return nn::AvgPool2d(3, 2, 1).ptr(); }},
      {"avgpool_3_s2_p1_exclude_pad", [] { return nn::AvgPool2d(3, 2, 1, false).ptr(); }},
      {"upsample_2", [] { return nn::Upsample(2).ptr(); }},
      {"upsample_3", [] { return nn::Upsample(3).ptr(); }},
  };
  return c;
}

// Runs the layer on the fixture's input in `dtype` and compares with torch's float64 values.
// Returns the largest relative error over output and gradients.
double run(const Config& c, const io::Safetensors& f, DType dtype) {
  const TensorDict& t = f.tensors;
  auto layer = c.make();
  TensorDict params;
  for (const char* p : {"weight", "bias"})
    if (t.count(p)) params[p] = t.at(p);
  layer->load_state_dict(params);  // strict: the layer has exactly torch's parameters
  layer->to(dtype);
  Tensor x = t.at("input").to(dtype).detach().requires_grad_();
  Tensor y = layer->forward(x);
  y.backward(t.at("grad_output").to(dtype));
  double worst = rel_err(y, t.at("output"));
  CHECK(y.dtype() == dtype);
  worst = std::max(worst, rel_err(x.grad(), t.at("grad_input")));
  for (auto& [name, p] : layer->named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    worst = std::max(worst, rel_err(p.grad(), t.at("grad_" + name)));
  }
  return worst;
}

}  // namespace

TEST_CASE("conv layers vs torch: forward, input and parameter gradients, printed form") {
  for (const Config& c : configs()) {
    INFO(c.name);
    auto f = io::load_safetensors(std::string(ZEROGEN_FIXTURES) + "/nn/" + c.name + ".safetensors");
    // Same arithmetic in float64: only summation order differs from torch.
    CHECK(run(c, f, kFloat64) <= 1e-12);
    // float32: the inputs are float32 values, so the error is zerogen's own rounding. Sums
    // here have at most a few hundred terms; 1e-5 of the largest magnitude is ~100 float32
    // ulps of it — room for a few hundred roundings, no room for a wrong index.
    double e32 = run(c, f, kFloat32);
    INFO("float32 error / max |ref| = " << e32);  // 3e-8 to 2e-7 when written
    CHECK(e32 <= 1e-5);
    // The printed layer, as torch prints it.
    auto layer = c.make();
    CHECK(layer->name() + "(" + layer->extra_repr() + ")" == f.metadata.at("layer"));
  }
}

TEST_CASE("conv layers: torch's default initialisation bounds") {
  manual_seed(3);
  // Conv2d: weight and bias in ±1/√fan_in, fan_in = in/groups·kh·kw; the max over many
  // draws comes within 1% of the bound.
  auto check_bound = [](const Tensor& t, double bound) {
    double m = t.abs().max().item<double>();
    CHECK(m <= bound);
    CHECK(m >= 0.99 * bound);
  };
  nn::Conv2d conv(nn::Conv2dOptions(64, 128, 4).groups(2));
  check_bound(conv->weight, 1.0 / std::sqrt(32.0 * 16));
  CHECK(conv->weight.shape() == Shape{128, 32, 4, 4});
  // ConvTranspose2d: weight [in, out/groups, k, k]; torch's fan_in is weight.size(1)·k·k,
  // i.e. computed from out_channels, not in_channels.
  nn::ConvTranspose2d convt(128, 64, 4, 2, 1);
  CHECK(convt->weight.shape() == Shape{128, 64, 4, 4});
  check_bound(convt->weight, 1.0 / std::sqrt(64.0 * 16));
  nn::ConvTranspose2d wide(4, 600, 3);  // 600 biases: enough draws to reach the bound
  double bb = 1.0 / std::sqrt(600.0 * 9);
  CHECK(wide->bias.abs().max().item<double>() <= bb);
  CHECK(wide->bias.abs().max().item<double>() >= 0.98 * bb);
  CHECK(conv->bias.abs().max().item<double>() <= 1.0 / std::sqrt(32.0 * 16));
  CHECK(conv->num_parameters() == 128 * 32 * 16 + 128);
  CHECK_FALSE(nn::Conv2d(nn::Conv2dOptions(1, 2, 3).bias(false))->bias.defined());
}
