// The UNet of workloads W4 (DDPM step), W4s (DDPM sampling) and W5 (NCSN step), as pinned
// in WORKLOADS.md ("Pinning the architectures"): ε (or score) prediction with the input's
// shape, conditioned on a scalar t per example through a sinusoidal embedding and an MLP.
//
//   time:   sinusoidal(t, base) → Linear(base, T) → SiLU → Linear(T, T); every ResBlock
//           adds Linear(SiLU(temb)) per channel
//   input:  Conv3×3 in → base
//   down:   per level l (base·mults[l] channels): num_res_blocks Blocks, then (not at the last
//           level) a stride-2 Conv3×3; the input conv's, every Block's and every downsample's
//           output is kept as a skip
//   middle: Block with attention, Block without
//   up:     per level, last first: num_res_blocks + 1 Blocks, each on cat(h, skip) along the
//           channels, then (not at level 0) nearest ×2 upsample → Conv3×3
//   output: GroupNorm → SiLU → Conv3×3 → in channels
// A Block is a ResBlock, followed by single-head self-attention (nn::SelfAttention2d) at the
// levels whose resolution is listed in attention_resolutions. The defaults are W4's: 1,623,169
// parameters, the count of the PyTorch twin in bench/torch_models.py (the same state-dict
// names; tests/models/test_unet.cpp checks outputs and gradients against it).
//
// Initialisation is each layer's PyTorch default (DDPM's zero-initialised output layers are
// not used). H and W may be any multiples of 2^(levels − 1); attention is placed by level,
// so an input of another size keeps it at the same levels.
#pragma once
#include <vector>

#include "nn/nn.h"

namespace zg::models {

struct UNetOptions {
  int64_t in_channels = 1;
  int64_t base_channels = 32;                      // also the width of the sinusoidal time features
  std::vector<int64_t> channel_mults = {1, 2, 2};  // level l: base·mults[l] channels
  int64_t num_res_blocks = 2;                      // per level down; one more per level up
  // Resolutions (of an image_size input) with attention after every Block; level l has
  // resolution image_size / 2^l.
  std::vector<int64_t> attention_resolutions = {7};
  int64_t image_size = 28;
  double dropout = 0.0;  // before each ResBlock's second conv, in training
  int64_t time_embed_dim = 128;
  int64_t num_groups = 8;  // of every GroupNorm
};

// GroupNorm → SiLU → Conv3×3, + Linear(SiLU(temb)) per channel, → GroupNorm → SiLU →
// Dropout → Conv3×3, plus the input through a 1×1 conv when the channel count changes.
class UNetResBlockImpl : public nn::Module {
 public:
  UNetResBlockImpl(int64_t in_channels, int64_t out_channels, const UNetOptions& options);
  using nn::Module::forward;
  // x [B, in, H, W]; temb_act = SiLU(time embedding) [B, time_embed_dim].
  Tensor forward(const Tensor& x, const Tensor& temb_act);
  nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear temb{nullptr};
  nn::Dropout dropout{nullptr};
  nn::Conv1x1 skip{nullptr};  // empty when in_channels == out_channels
};
ZG_MODULE(UNetResBlock);

// A ResBlock, then (when `attention`) self-attention.
class UNetBlockImpl : public nn::Module {
 public:
  UNetBlockImpl(int64_t in_channels, int64_t out_channels, bool attention,
                const UNetOptions& options);
  using nn::Module::forward;
  Tensor forward(const Tensor& x, const Tensor& temb_act);
  UNetResBlock res{nullptr};
  nn::SelfAttention2d attn{nullptr};  // empty without attention
};
ZG_MODULE(UNetBlock);

class UNetImpl : public nn::Module {
 public:
  explicit UNetImpl(const UNetOptions& options = {});
  using nn::Module::forward;
  // x [B, in_channels, H, W] with H and W multiples of size_multiple(); t [B], any numeric
  // dtype (converted to x's) → [B, in_channels, H, W].
  Tensor forward(const Tensor& x, const Tensor& t);
  int64_t size_multiple() const { return int64_t{1} << (options.channel_mults.size() - 1); }

  UNetOptions options;
  nn::Sequential time_embed{nullptr};  // SinusoidalTimeEmbedding, Linear, SiLU, Linear
  nn::Conv2d input_conv{nullptr};
  nn::Sequential out{nullptr};  // GroupNorm, SiLU, Conv3×3
  // The state-dict names are those of torch ModuleLists: "down.<i>", "mid.<i>", "up.<i>",
  // i counting Blocks and resampling layers together in the order they run.
  std::vector<UNetBlock> down_blocks, mid_blocks, up_blocks;
  std::vector<nn::Conv2d> downsamples;    // one per level but the last
  std::vector<nn::Sequential> upsamples;  // Upsample ×2, Conv3×3; one per level but level 0
};
ZG_MODULE(UNet);

// NCSN-style conditioning on a noise level (W5): the UNet's t is 1000·log σ, elementwise.
Tensor noise_level_to_time(const Tensor& sigma);

}  // namespace zg::models
