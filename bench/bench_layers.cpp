// Normalisation and attention layers, zerogen side by side with bench/torch_layers.py:
// forward (no grad) and forward + backward (train mode, fixed upstream gradient, gradients
// reset to none before each rep, as both sides do) on the shapes of W3 (DCGAN BatchNorm)
// and W4 (UNet GroupNorm(8), 7×7 self-attention), batch 64.
//
//   bench_layers [--threads N] [--reps R] [--warmup W]
//
// CSV lines on stdout: CSV,zerogen,<case>,<fwd|fwdbwd>,<threads>,<median_ms>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "zerogen.h"

using namespace zg;

namespace {

double median_ms(const std::function<void()>& f, int reps, int warmup) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void run_case(const std::string& name, nn::Module& m, const Shape& shape, int threads, int reps,
              int warmup) {
  manual_seed(0);
  Tensor x = randn(shape).requires_grad_();
  Tensor g = [&] {
    NoGradGuard ng;
    return randn(m.forward(x).shape());
  }();
  m.train();
  double fwd = median_ms(
      [&] {
        NoGradGuard ng;
        m.forward(x);
      },
      reps, warmup);
  double fb = median_ms(
      [&] {
        x.set_grad({});
        m.zero_grad();
        m.forward(x).backward(g);
      },
      reps, warmup);
  std::printf("CSV,zerogen,%s,fwd,%d,%.4f\nCSV,zerogen,%s,fwdbwd,%d,%.4f\n", name.c_str(), threads,
              fwd, name.c_str(), threads, fb);
  std::fprintf(stderr, "%-22s fwd %8.3f ms   fwd+bwd %8.3f ms\n", name.c_str(), fwd, fb);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 50, warmup = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps"))
      reps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--warmup"))
      warmup = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--reps R] [--warmup W]\n", argv[0]);
      return 2;
    }
  }
  set_num_threads(threads);
  nn::BatchNorm2d bn128(128), bn64(64);
  nn::GroupNorm gn64(8, 64), gn32(8, 32);
  nn::SelfAttention2d attn(nn::SelfAttention2dOptions(64));
  run_case("bn2d_64x128x7x7", *bn128, {64, 128, 7, 7}, threads, reps, warmup);
  run_case("bn2d_64x64x14x14", *bn64, {64, 64, 14, 14}, threads, reps, warmup);
  run_case("gn8_64x64x14x14", *gn64, {64, 64, 14, 14}, threads, reps, warmup);
  run_case("gn8_64x32x28x28", *gn32, {64, 32, 28, 28}, threads, reps, warmup);
  run_case("gn8_64x64x7x7", *gn64, {64, 64, 7, 7}, threads, reps, warmup);
  run_case("attn2d_64x64x7x7", *attn, {64, 64, 7, 7}, threads, reps, warmup);
  // The UNet's 3x3 convolutions (W4): a level's own, and the up path's on concatenated skips.
  auto conv3 = [](int64_t in, int64_t out) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1));
  };
  nn::Conv2d c32(conv3(32, 32)), c64to32(conv3(64, 32)), c64(conv3(64, 64)), c128(conv3(128, 64));
  nn::Conv2d c1to32(conv3(1, 32)), c32to1(conv3(32, 1));  // the UNet's first and last
  run_case("conv3_1to32_28x28", *c1to32, {64, 1, 28, 28}, threads, reps, warmup);
  run_case("conv3_32to1_28x28", *c32to1, {64, 32, 28, 28}, threads, reps, warmup);
  run_case("conv3_32to32_28x28", *c32, {64, 32, 28, 28}, threads, reps, warmup);
  run_case("conv3_64to32_28x28", *c64to32, {64, 64, 28, 28}, threads, reps, warmup);
  run_case("conv3_64to64_14x14", *c64, {64, 64, 14, 14}, threads, reps, warmup);
  run_case("conv3_128to64_7x7", *c128, {64, 128, 7, 7}, threads, reps, warmup);
}
