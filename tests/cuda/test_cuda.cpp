// The CUDA backend against the CPU backend: every primitive (through the ops that reach it)
// and every layer, forward and backward, on fresh random inputs with sizes that are not
// multiples of the block size, strided and broadcast operands included. Outputs are poisoned
// (every fresh GPU block is NaN / −1) so an element a kernel forgets to write fails.
// Without a GPU (no CUDA in this build, or no device) the first case prints why, and every
// other case runs against the second CPU device kCPU1 instead, where the results must be
// exact: that checks this file's own comparisons, transfers and device plumbing on every
// machine, so that on a GPU a failure points at a kernel.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "models/unet.h"
#include "tests/check_error.h"
#include "tests/test_util.h"
#ifdef ZEROGEN_WITH_CUDA
#include "tensor/cuda/cuda_backend.h"
#endif

using namespace zg;

namespace {

// The device under test: the GPU, or the second CPU device without one.
Device target() { return cuda_is_available() ? kCUDA : kCPU1; }

// Poisons fresh GPU memory for a scope.
struct Poison {
#ifdef ZEROGEN_WITH_CUDA
  Poison() { cuda::set_poison(true); }
  ~Poison() { cuda::set_poison(false); }
#endif
};

// ‖gpu − cpu‖₂ / ‖cpu‖₂ (the absolute norm when cpu is all zeros); infinity on any NaN.
double relative_error(const Tensor& gpu, const Tensor& cpu) {
  REQUIRE(gpu.device() == target());
  REQUIRE(cpu.device() == kCPU);
  REQUIRE(gpu.shape() == cpu.shape());
  REQUIRE(gpu.dtype() == cpu.dtype());
  const std::vector<double> g = gpu.to_vector<double>(), c = cpu.to_vector<double>();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(g[i]) != std::isnan(c[i])) return INFINITY;
    if (std::isnan(c[i]) || (std::isinf(c[i]) && g[i] == c[i])) continue;
    diff += (g[i] - c[i]) * (g[i] - c[i]);
    norm += c[i] * c[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

// float32: the bound is "well under 1e-4"; float64 agrees to rounding; int64 exactly.
// On kCPU1 (the CPU backend again) every result must be exact.
double tolerance(DType t) {
  if (target() != kCUDA) return 0.0;
  return t == kFloat32 ? 2e-5 : t == kFloat64 ? 1e-12 : 0.0;
}

void check_same(const Tensor& gpu, const Tensor& cpu, const std::string& what) {
  INFO(what);
  const double err = relative_error(gpu, cpu);
  CHECK(err <= tolerance(cpu.dtype()));
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// f on CPU inputs and on their GPU copies; with `grad`, also the gradients of Σ w·f for a
// random w. Inputs of a float dtype are leaves that require grad when `grad` is set.
void compare(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
             bool grad = true) {
  std::vector<Tensor> on_cpu, on_gpu;
  for (const Tensor& x : inputs) {
    const bool leaf = grad && is_floating(x.dtype());
    on_cpu.push_back(x.detach().clone().requires_grad_(leaf));
    on_gpu.push_back(x.detach().to(target()).requires_grad_(leaf));
  }
  const Tensor y_cpu = f(on_cpu), y_gpu = f(on_gpu);
  check_same(y_gpu, y_cpu, what + " (forward)");
  if (!grad || !is_floating(y_cpu.dtype()) || !y_cpu.requires_grad()) return;
  const Tensor w = randn(y_cpu.shape(), y_cpu.dtype());
  (y_cpu * w).sum().backward();
  (y_gpu * w.to(target())).sum().backward();
  for (size_t i = 0; i < inputs.size(); ++i)
    if (on_cpu[i].grad().defined())
      check_same(on_gpu[i].grad(), on_cpu[i].grad(),
                 what + " (gradient of input " + std::to_string(i) + ")");
}

// The same module built twice from one seed, one copy moved to the GPU: outputs, the input's
// gradient and every parameter's gradient must agree.
template <class Make>
void compare_module(const std::string& what, Make make, const Tensor& x, DType dtype = kFloat32) {
  manual_seed(7);
  auto cpu_module = make();
  manual_seed(7);
  auto gpu_module = make();
  cpu_module->to(dtype);
  gpu_module->to(dtype);
  gpu_module->to(target());
  // Fresh leaves on both sides (x itself may be shared by the caller).
  Tensor xc = x.detach().to(dtype).clone().requires_grad_(),
         xg = x.detach().to(dtype).to(target()).requires_grad_();
  Tensor yc = cpu_module->forward(xc), yg = gpu_module->forward(xg);
  check_same(yg, yc, what + " (forward)");
  Tensor w = randn(yc.shape(), dtype);
  (yc * w).sum().backward();
  (yg * w.to(target())).sum().backward();
  check_same(xg.grad(), xc.grad(), what + " (input gradient)");
  auto pc = cpu_module->named_parameters(), pg = gpu_module->named_parameters();
  REQUIRE(pc.size() == pg.size());
  for (size_t i = 0; i < pc.size(); ++i)
    check_same(pg[i].second.grad(), pc[i].second.grad(),
               what + " (gradient of " + pc[i].first + ")");
}

}  // namespace

TEST_SUITE("cuda") {
  TEST_CASE("cuda: the status names the GPU, or says why there is none") {
    const std::string status = cuda_status();
    MESSAGE(status);
    CHECK(status.rfind("cuda: ", 0) == 0);
    if (!cuda_is_available()) {
      CHECK(status.find("unavailable") != std::string::npos);
      CHECK_THROWS_AS(zeros({2}, kCUDA), Error);
      MESSAGE("no GPU: the other cuda cases run against cpu:1, the second CPU device");
    } else {
      CHECK(status.find("unavailable") == std::string::npos);
    }
  }

  TEST_CASE("cuda: transfers keep values, strides, dtypes; mixing devices is an error") {
    Poison poison;
    for (DType dt : {kFloat32, kFloat64, kInt64}) {
      INFO(dtype_name(dt));
      Tensor x = dt == kInt64 ? randint(-1000, 1000, {37, 53}) : randn({37, 53}, dt);
      Tensor g = x.to(target());
      CHECK(g.device() == target());
      CHECK(test::max_abs_diff(g.to(kCPU), x) == 0);
      CHECK(test::max_abs_diff(g.t().to(kCPU), x.t()) == 0);               // strided source
      CHECK(test::max_abs_diff(x.t().to(target()).to(kCPU), x.t()) == 0);  // strided to the GPU
      CHECK(test::max_abs_diff(g.to(kFloat64).to(kCPU), x.to(kFloat64)) == 0);
    }
    Tensor x = randn({5, 1, 3});
    Tensor into = zeros({5, 4, 3}, target());
    into.slice(1, 1, 3).copy_(x);  // broadcast, from the CPU into a strided GPU view
    CHECK(test::max_abs_diff(into.slice(1, 1, 3).to(kCPU), x.expand({5, 2, 3})) == 0);
    CHECK(into.slice(1, 0, 1).abs().sum().item<double>() == 0);
    Tensor one = full({1}, 2.5).to(target());
    CHECK(one.item<float>() == 2.5f);
    const std::string name = device_name(target());
    CHECK_ZG_ERROR(zeros({2}) + zeros({2}, target()), "different devices", "cpu", name);
    CHECK_ZG_ERROR(zeros({2}, target()).data_ptr<float>(), "data_ptr", name);
  }

  TEST_CASE("cuda: unary, binary and ternary elementwise ops, strided and broadcast") {
    Poison poison;
    for (DType dt : {kFloat32, kFloat64}) {
      INFO(dtype_name(dt));
      const Tensor x = randn({37, 53}, dt), pos = rand({37, 53}, dt) + 0.1;
      // clang-format off
    const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> any = {
        {"neg", [](const Tensor& a) { return -a; }},    {"abs", [](const Tensor& a) { return a.abs(); }},
        {"sign", [](const Tensor& a) { return a.sign(); }}, {"exp", [](const Tensor& a) { return a.exp(); }},
        {"square", [](const Tensor& a) { return a.square(); }}, {"sin", [](const Tensor& a) { return a.sin(); }},
        {"cos", [](const Tensor& a) { return a.cos(); }},  {"tanh", [](const Tensor& a) { return a.tanh(); }},
        {"sigmoid", [](const Tensor& a) { return a.sigmoid(); }}, {"erf", [](const Tensor& a) { return a.erf(); }},
        {"relu", [](const Tensor& a) { return a.relu(); }}, {"silu", [](const Tensor& a) { return a.silu(); }},
        {"gelu", [](const Tensor& a) { return a.gelu(); }}, {"softplus", [](const Tensor& a) { return a.softplus(); }},
        {"leaky_relu", [](const Tensor& a) { return a.leaky_relu(0.1); }},
        {"clamp", [](const Tensor& a) { return a.clamp(-0.5, 0.7); }},
    };
    const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> positive = {
        {"log", [](const Tensor& a) { return a.log(); }},     {"log1p", [](const Tensor& a) { return a.log1p(); }},
        {"sqrt", [](const Tensor& a) { return a.sqrt(); }},   {"rsqrt", [](const Tensor& a) { return a.rsqrt(); }},
        {"pow 2.5", [](const Tensor& a) { return a.pow(2.5); }},
    };
      // clang-format on
      for (auto& [name, op] : any) {
        compare(name, [&](auto& in) { return op(in[0]); }, {x});
        compare(std::string(name) + " of a transposed view",
                [&](auto& in) { return op(in[0].t()); }, {x});
      }
      for (auto& [name, op] : positive) compare(name, [&](auto& in) { return op(in[0]); }, {pos});

      const Tensor col = randn({37, 1}, dt), row = rand({1, 53}, dt) + 0.5;
      compare("add alpha", [](auto& in) { return add(in[0], in[1], -0.3); }, {col, row});
      compare("sub", [](auto& in) { return in[0] - in[1]; }, {x, row});
      compare("mul", [](auto& in) { return in[0].t() * in[1]; }, {x, randn({53, 1}, dt)});
      compare("div", [](auto& in) { return in[0] / in[1]; }, {x, row});
      compare("pow", [](auto& in) { return pow(in[0], in[1]); }, {pos, row});
      compare("maximum", [](auto& in) { return maximum(in[0], in[1]); }, {x, col});
      compare("minimum", [](auto& in) { return minimum(in[0], in[1]); }, {x, col});
      for (auto [name, cmp] :
           std::vector<std::pair<const char*, Tensor (Tensor::*)(const Tensor&) const>>{
               {"eq", &Tensor::eq},
               {"lt", &Tensor::lt},
               {"gt", &Tensor::gt},
               {"le", &Tensor::le},
               {"ge", &Tensor::ge},
               {"ne", &Tensor::ne}})
        compare(
            name, [&](auto& in) { return (in[0].*cmp)(in[1]); },  // small integers: ties
            {randint(-3, 3, {37, 53}).to(dt), randint(-3, 3, {37, 1}).to(dt)}, false);
      compare("where", [](auto& in) { return where(in[0].gt(0.0), in[1], in[2]); }, {x, col, row});
      compare(
          "addcmul_", [](auto& in) { return in[0].detach().clone().addcmul_(in[1], in[2], 0.3); },
          {x, col, row}, false);
      compare("affine (layer norm)",
              [](auto& in) { return nn::functional::layer_norm(in[0], {53}, in[1], in[2]); },
              {x, randn({53}, dt), randn({53}, dt)});
    }
    compare(
        "int64 arithmetic", [](auto& in) { return (in[0] * in[1] - in[0]).abs(); },
        {randint(-50, 50, {37, 53}), randint(-50, 50, {1, 53})}, false);
  }

  TEST_CASE("cuda: reductions, arg-reductions, moments and softmax") {
    Poison poison;
    for (DType dt : {kFloat32, kFloat64}) {
      INFO(dtype_name(dt));
      const Tensor x = randn({7, 37, 53}, dt);
      compare("sum all", [](auto& in) { return in[0].sum(); }, {x});
      compare("sum over 0, 2", [](auto& in) { return in[0].sum({0, 2}); }, {x});
      compare("mean over 1 of a permuted view",
              [](auto& in) {
                return in[0].permute({2, 0, 1}).mean({2}, true);
              },
              {x});
      compare("amax over 1", [](auto& in) { return in[0].amax({1}); }, {x});
      compare("amin over 0, 1", [](auto& in) { return in[0].amin({0, 1}); }, {x});
      compare(
          "argmax over 2", [](auto& in) { return in[0].argmax(2); }, {x}, false);
      compare(
          "argmin over 0", [](auto& in) { return in[0].argmin(0); }, {x}, false);
      compare(
          "argmax with ties",  // the first of equal maxima, as the CPU
          [](auto& in) { return in[0].argmax(1); }, {randint(0, 3, {9, 301}).to(dt)}, false);
      compare("var over 1, 2", [](auto& in) { return in[0].var({1, 2}); }, {x});
      compare("logsumexp over 1", [](auto& in) { return in[0].logsumexp({1}); }, {x});
      for (int64_t d : {0, 1, 2}) {
        compare("softmax over " + std::to_string(d), [d](auto& in) { return in[0].softmax(d); },
                {x});
        compare("log_softmax over " + std::to_string(d),
                [d](auto& in) { return in[0].log_softmax(d); }, {x});
      }
      const Tensor long_row = randn({1, 1 << 20}, dt);  // one output, a long slice
      compare("sum of 2^20", [](auto& in) { return in[0].sum({1}); }, {long_row});
      compare("max of 2^20", [](auto& in) { return in[0].amax({1}); }, {long_row});
      compare("softmax of 2^20", [](auto& in) { return in[0].softmax(1); }, {long_row});
      compare("group_norm (moments)",
              [](auto& in) { return nn::functional::group_norm(in[0], 4, in[1], in[2]); },
              {randn({3, 8, 11, 13}, dt), randn({8}, dt), randn({8}, dt)});
    }
    compare(
        "int64 sum and max", [](auto& in) { return in[0].sum({1}) + in[0].amax({1}); },
        {randint(-100, 100, {37, 53})}, false);
    Tensor nan_row = randn({2, 9});
    nan_row.select(0, 1).select(0, 4).fill_(NAN);
    compare(
        "max and argmax with a NaN", [](auto& in) { return in[0].amax({1}); }, {nan_row}, false);
    compare(
        "argmax with a NaN", [](auto& in) { return in[0].argmax(1); }, {nan_row}, false);
  }

  TEST_CASE("cuda: matmul, batched, broadcast and transposed") {
    Poison poison;
    for (DType dt : {kFloat32, kFloat64}) {
      INFO(dtype_name(dt));
      auto r = [dt](Shape s) { return randn(s, dt); };
      compare("[37, 19] @ [19, 53]", [](auto& in) { return in[0].matmul(in[1]); },
              {r({37, 19}), r({19, 53})});
      compare("transposed operands", [](auto& in) { return in[0].t().matmul(in[1].t()); },
              {r({19, 37}), r({53, 19})});
      compare("transposed output", [](auto& in) { return in[0].matmul(in[1]).t().contiguous(); },
              {r({37, 19}), r({19, 53})});
      compare("batched", [](auto& in) { return in[0].matmul(in[1]); },
              {r({5, 37, 19}), r({5, 19, 53})});
      compare("broadcast batch", [](auto& in) { return in[0].matmul(in[1]); },
              {r({3, 1, 37, 19}), r({4, 19, 53})});
      compare("vector @ matrix", [](auto& in) { return in[0].matmul(in[1]); },
              {r({19}), r({19, 53})});
      compare("matrix @ vector", [](auto& in) { return in[0].matmul(in[1]); },
              {r({37, 19}), r({19})});
      compare("a column slice", [](auto& in) { return in[0].slice(1, 3, 22).matmul(in[1]); },
              {r({37, 40}), r({19, 53})});
      compare(
          "K = 0", [](auto& in) { return in[0].matmul(in[1]); }, {r({4, 0}), r({0, 5})}, false);
    }
  }

  TEST_CASE("cuda: gather, scatter_add, index_select, one_hot, random streams") {
    Poison poison;
    const Tensor x = randn({37, 53});
    const Tensor idx = randint(0, 53, {37, 20});
    compare("gather", [](auto& in) { return in[0].gather(1, in[1]); }, {x, idx});
    compare("index_select", [](auto& in) { return in[0].index_select(0, in[1]); },
            {x, randint(0, 37, {100})});  // repeated rows: scatter_add's atomics in backward
    compare("scatter_add",
            [](auto& in) {
              return zeros({37, 7}, in[1].options()).scatter_add(1, in[0], in[1]);
            },
            {randint(0, 7, {37, 53}), x});
    compare(
        "one_hot", [](auto& in) { return one_hot(in[0], 11); }, {randint(0, 11, {37})}, false);
    for (DType dt : {kFloat32, kFloat64}) {
      INFO(dtype_name(dt));
      Generator a(1234), b(1234);
      Tensor u_cpu = rand({1001}, a, dt),
             u_gpu = rand({1001}, b, TensorOptions(dt).device(target()));
      CHECK(test::max_abs_diff(u_gpu.to(kCPU), u_cpu) == 0);  // exact arithmetic on the same bits
      Tensor n_cpu = randn({1001}, a, dt),
             n_gpu = randn({1001}, b, TensorOptions(dt).device(target()));
      CHECK(relative_error(n_gpu, n_cpu) < 1e-6);  // log and cos may differ in the last bits
    }
  }

  TEST_CASE("cuda: layers forward and backward") {
    Poison poison;
    const Tensor img = randn({3, 16, 13, 11});
    compare_module(
        "Linear", [] { return nn::Linear(53, 29); }, randn({37, 53}));
    for (bool winograd : {true, false}) {
      // F(2x2, 3x3) on both sides: CUDA has no other tile, and F(4x4, 3x3) on the CPU
      // rounds differently (tests/nn/test_winograd.cpp compares the two tiles).
      test::ConvWinogradSetting setting(winograd, 2);
      compare_module(
          winograd ? "Conv2d 3x3 (Winograd)" : "Conv2d 3x3 (im2col)",
          [] { return nn::Conv2d(nn::Conv2dOptions(16, 24, 3).padding(1)); }, img);
      compare_module(
          "Conv2d 3x3 float64", [] { return nn::Conv2d(nn::Conv2dOptions(16, 24, 3).padding(1)); },
          img, kFloat64);
    }
    compare_module(
        "Conv2d 4x4 stride 2",
        [] { return nn::Conv2d(nn::Conv2dOptions(16, 8, 4).stride(2).padding(1)); }, img);
    compare_module(
        "Conv2d 1x1", [] { return nn::Conv2d(nn::Conv2dOptions(16, 8, 1)); }, img);
    compare_module(
        "ConvTranspose2d 4x4 stride 2",
        [] {
          return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1));
        },
        img);
    compare_module(
        "GroupNorm", [] { return nn::GroupNorm(4, 16); }, img);
    compare_module(
        "BatchNorm2d (training)", [] { return nn::BatchNorm2d(16); }, img);
    compare_module(
        "LayerNorm", [] { return nn::LayerNorm(nn::LayerNormOptions({11})); }, img);
    compare_module(
        "SelfAttention2d", [] { return nn::SelfAttention2d(16); }, img);
    compare("max_pool2d", [](auto& in) { return nn::functional::max_pool2d(in[0], 2); }, {img});
    compare("avg_pool2d", [](auto& in) { return nn::functional::avg_pool2d(in[0], 3, 2, 1); },
            {img});
    compare("upsample_nearest2d",
            [](auto& in) { return nn::functional::upsample_nearest2d(in[0], 2); }, {img});
    compare("dropout is the same mask",
            [](auto& in) {
              manual_seed(3);
              return nn::functional::dropout(in[0], 0.3, true);
            },
            {img});
    compare("cross_entropy", [](auto& in) { return nn::functional::cross_entropy(in[0], in[1]); },
            {randn({37, 11}), randint(0, 11, {37})});
    compare("mse_loss", [](auto& in) { return nn::functional::mse_loss(in[0], in[1]); },
            {randn({37, 11}), randn({37, 11})});
  }

  TEST_CASE("cuda: a UNet training step with Adam matches the CPU") {
    Poison poison;
    const test::ConvWinogradSetting same_tiles(true, 2);  // CUDA's only tile, on both sides
    models::UNetOptions o{.in_channels = 1,
                          .base_channels = 16,
                          .channel_mults = {1, 2},
                          .num_res_blocks = 1,
                          .attention_resolutions = {4},
                          .image_size = 8,
                          .time_embed_dim = 32,
                          .num_groups = 4};
    manual_seed(11);
    models::UNet cpu_net(o);
    manual_seed(11);
    models::UNet gpu_net(o);
    gpu_net->to(target());
    optim::Adam cpu_opt(cpu_net->parameters(), optim::AdamOptions{.lr = 1e-3});
    optim::Adam gpu_opt(gpu_net->parameters(), optim::AdamOptions{.lr = 1e-3});
    const Tensor x = randn({4, 1, 8, 8}), t = randint(0, 1000, {4}), wanted = randn({4, 1, 8, 8});
    for (int step = 0; step < 2; ++step) {
      cpu_opt.zero_grad();
      gpu_opt.zero_grad();
      Tensor lc = nn::functional::mse_loss(cpu_net(x, t), wanted);
      Tensor lg =
          nn::functional::mse_loss(gpu_net(x.to(target()), t.to(target())), wanted.to(target()));
      check_same(lg, lc, "loss at step " + std::to_string(step));
      lc.backward();
      lg.backward();
      cpu_opt.step();
      gpu_opt.step();
    }
    auto pc = cpu_net->named_parameters(), pg = gpu_net->named_parameters();
    for (size_t i = 0; i < pc.size(); ++i) {
      INFO(pc[i].first);
      // Adam divides by √v: where a gradient is tiny, rounding differences are amplified, so
      // the parameters after two steps are compared at 1e-4 rather than a single op's 2e-5.
      CHECK(relative_error(pg[i].second, pc[i].second) < 1e-4);
    }
  }
}  // TEST_SUITE("cuda")
