// The UNet of W4/W4s/W5 (models/unet.h): W4's parameter count, shapes, the size check, parity
// with the PyTorch twin of bench/torch_models.py (tests/fixtures/make_unet_fixture.py), a
// float64 gradcheck and train-mode determinism.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "io/safetensors.h"
#include "models/unet.h"
#include "tests/check_error.h"
#include "tests/test_util.h"
#include "zerogen.h"

using namespace zg;
using namespace zg::models;

namespace {

// 2 levels on a 4×4 input (attention at 2×2), two channels at level 0: 2,927 parameters, so
// that a gradcheck over all of them stays well under a second.
UNetOptions tiny_options() {
  return {.in_channels = 1,
          .base_channels = 2,
          .channel_mults = {1, 2},
          .num_res_blocks = 1,
          .attention_resolutions = {2},
          .image_size = 4,
          .time_embed_dim = 4,
          .num_groups = 1};
}

}  // namespace

TEST_CASE("UNet: W4's 1,623,169 parameters, output shapes, and inputs of other sizes") {
  manual_seed(0);
  UNet w4;
  CHECK(w4->num_parameters() == 1'623'169);  // WORKLOADS.md; bench/ prints torch's count too
  CHECK(w4->size_multiple() == 4);
  // Attention sits at the 7×7 level only: after both down Blocks, all three up Blocks there,
  // and the first middle Block.
  int attention_blocks = 0;
  for (auto& [name, m] : w4->named_modules())
    if (m->name() == "SelfAttention2d") ++attention_blocks;
  CHECK(attention_blocks == 2 + 1 + 3);
  w4->eval();
  NoGradGuard no_grad;
  CHECK(w4(randn({2, 1, 28, 28}), tensor({0.0, 999.0})).shape() == Shape{2, 1, 28, 28});
  // Any multiple of 4, square or not; int64 timesteps are converted.
  CHECK(w4(randn({1, 1, 12, 20}), randint(0, 1000, {1})).shape() == Shape{1, 1, 12, 20});
  // One level takes any size, odd ones included.
  UNet one_level(UNetOptions{.in_channels = 3,
                             .base_channels = 8,
                             .channel_mults = {1},
                             .attention_resolutions = {7},
                             .image_size = 7});
  CHECK(one_level(randn({2, 3, 7, 5}), tensor({1.0, 2.0})).shape() == Shape{2, 3, 7, 5});
}

TEST_CASE("UNet: clear errors for sizes that do not halve evenly and for mismatched t") {
  manual_seed(0);
  UNet tiny(tiny_options());  // 2 levels: H and W must be even
  NoGradGuard no_grad;
  CHECK_ZG_ERROR(tiny(randn({1, 1, 6, 5}), tensor({1.0})), "UNet", "[1, 1, 6, 5]",
                 "multiples of 2");
  UNet w4;
  CHECK_ZG_ERROR(w4(randn({1, 1, 14, 14}), tensor({1.0})), "UNet", "[1, 1, 14, 14]",
                 "multiples of 4");
  CHECK_ZG_ERROR(w4(randn({1, 2, 28, 28}), tensor({1.0})), "UNet", "[B, 1, H, W]");
  CHECK_ZG_ERROR(w4(randn({2, 1, 28, 28}), tensor({1.0})), "UNet", "t [1]", "[2]");
  CHECK_ZG_ERROR(UNet(UNetOptions{.channel_mults = {}}), "UNet", "channel_mults");
}

TEST_CASE("UNet: forward and gradients match PyTorch for the same weights") {
  io::Safetensors fx =
      io::load_safetensors(std::string(ZEROGEN_FIXTURES) + "/models/unet_small.safetensors");
  auto at = [&](const std::string& k) {
    REQUIRE_MESSAGE(fx.tensors.count(k), "no tensor " << k);
    return fx.tensors.at(k);
  };
  UNetOptions o{.in_channels = 2,
                .base_channels = 4,
                .channel_mults = {1, 2, 2},
                .num_res_blocks = 1,
                .attention_resolutions = {2},
                .image_size = 8,
                .time_embed_dim = 16,
                .num_groups = 2};
  CHECK(fx.metadata.at("mults") == "1,2,2");  // the file was made for these options
  CHECK(fx.metadata.at("groups") == "2");
  UNet model(o);
  CHECK(model->num_parameters() == 18'326);  // the torch twin's count for this configuration
  TensorDict sd = model->state_dict();
  for (auto& [k, v] : sd) v = at("param." + k);
  model->load_state_dict(sd);  // strict: every name of the torch twin, and only those

  // Torch ran in float64 and stored its results rounded to float32: a relative 2⁻²⁴ ≈ 6e-8 per
  // element, so float64 here must agree to 1e-7 (the worst element measured: 59% of the
  // bound). Two float64 computations differ by ~1e-16 of the magnitudes summed, hence the
  // 1e-12 of the largest element for results that cancel to near zero.
  // float32 here: the layer fixtures' bound (tests/nn/test_layers_vs_torch.cpp) with 1e-5
  // instead of 1e-6 of the largest element, as the rounding of ~30 layers adds up: at 1e-6
  // the worst element (a weight gradient) is 1.5× over, at 1e-5 it sits at 31% with the
  // 3x3 convolutions by F(2x2, 3x3). The default, F(4x4, 3x3) on these 8x8 and 4x4 images,
  // rounds several times worse (6-9× float32 im2col's error in tests/nn/test_winograd.cpp),
  // and its worst element here (a conv bias gradient) is 1.2× over 1e-5, so that pass has
  // twice the bound, where it sits at 60%.
  struct Pass {
    DType dtype;
    int tile;  // Winograd's output tile (0: the default choice)
    double rtol, atol;
  };
  for (const Pass& pass : {Pass{kFloat64, 0, 1e-7, 1e-12}, Pass{kFloat32, 2, 1e-5, 1e-5},
                           Pass{kFloat32, 4, 2e-5, 2e-5}}) {
    const DType dt = pass.dtype;
    INFO("dtype " << (dt == kFloat64 ? "float64" : "float32") << ", Winograd tile " << pass.tile);
    const test::WinogradTileSetting tile(pass.tile);
    model->to(dt);
    model->zero_grad();
    // A fresh leaf per pass: to() returns the fixture itself where the dtype matches, and
    // its gradient would add up over the two float32 passes.
    Tensor x = at("input").to(dt).clone().requires_grad_();
    Tensor y = model(x, at("t"));
    const double rtol = pass.rtol, atol = pass.atol;
    test::check_close_to_ref(y, at("output"), "output", rtol, atol);
    y.backward(at("grad_output").to(dt));
    test::check_close_to_ref(x.grad(), at("grad_input"), "grad of the input", rtol, atol);
    for (auto& [k, p] : model->named_parameters())
      test::check_close_to_ref(p.grad(), at("grad.param." + k), "grad of " + k, rtol, atol);
  }
}

TEST_CASE("UNet: float64 gradcheck of the input, every bias and every norm scale (tiny)") {
  manual_seed(3);
  UNet tiny(tiny_options());
  CHECK(tiny->num_parameters() == 2'927);
  tiny->to(kFloat64);
  Tensor x = randn({1, 1, 4, 4}, kFloat64).requires_grad_();
  Tensor t = tensor({250.0}, kFloat64);
  // Every layer's 1-D parameters (335 values) put each layer's output gradient to the test;
  // all 2,927 would take ~10 s, and the weights' gradients are compared with torch's above.
  std::vector<Tensor> inputs{x};
  int64_t checked = 0;
  for (const Tensor& p : tiny->parameters())
    if (p.dim() == 1) inputs.push_back(p), checked += p.numel();
  CHECK(checked == 335);
  // The parameters are nudged in place, so the forward reads them from the module.
  CHECK(autograd::gradcheck([&](const std::vector<Tensor>& in) { return tiny(in[0], t); }, inputs));
}

TEST_CASE("UNet: train mode is deterministic for a seed (dropout), eval ignores the seed") {
  UNetOptions o = tiny_options();
  o.dropout = 0.3;
  manual_seed(11);
  UNet model(o);
  Tensor x = randn({2, 1, 4, 4}), t = tensor({5.0, 700.0});
  auto run = [&](uint64_t seed) {
    manual_seed(seed);
    model->zero_grad();
    Tensor y = model(x, t);
    y.square().sum().backward();
    return std::pair{y.detach(), model->parameters()[0].grad().clone()};
  };
  auto [y1, g1] = run(5);
  auto [y2, g2] = run(5);
  CHECK(test::max_abs_diff(y1, y2) == 0.0);
  CHECK(test::max_abs_diff(g1, g2) == 0.0);
  auto [y3, g3] = run(6);
  CHECK(test::max_abs_diff(y1, y3) > 1e-4);  // another dropout mask
  model->eval();
  auto [e1, h1] = run(5);
  auto [e2, h2] = run(6);
  CHECK(test::max_abs_diff(e1, e2) == 0.0);
  CHECK(test::max_abs_diff(e1, y1) > 1e-4);
}

TEST_CASE("UNet: NCSN conditioning feeds t = 1000·log σ") {
  Tensor t = noise_level_to_time(tensor({1.0, 0.1, 0.01}));
  auto v = t.to_vector<double>();
  CHECK(v[0] == doctest::Approx(0.0));
  CHECK(v[1] == doctest::Approx(1000.0 * std::log(0.1)).epsilon(1e-6));
  CHECK(v[2] == doctest::Approx(1000.0 * std::log(0.01)).epsilon(1e-6));
}
