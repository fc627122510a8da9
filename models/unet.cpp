#include "models/unet.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>

#include "tensor/error.h"

namespace zg::models {

UNetResBlockImpl::UNetResBlockImpl(int64_t in, int64_t out, const UNetOptions& o)
    : Module("UNetResBlock") {
  // Registration order = the torch twin's attribute order, so named_parameters() agree.
  norm1 = register_module("norm1", nn::GroupNorm(o.num_groups, in));
  conv1 = register_module("conv1", nn::Conv2d(in, out, 3, 1, 1));
  temb = register_module("temb", nn::Linear(o.time_embed_dim, out));
  norm2 = register_module("norm2", nn::GroupNorm(o.num_groups, out));
  dropout = register_module("dropout", nn::Dropout(o.dropout));
  conv2 = register_module("conv2", nn::Conv2d(out, out, 3, 1, 1));
  if (in != out) skip = register_module("skip", nn::Conv1x1(in, out));
}

Tensor UNetResBlockImpl::forward(const Tensor& x, const Tensor& temb_act) {
  Tensor h = conv1(norm1(x).silu());
  h = h + temb(temb_act).view({h.size(0), h.size(1), 1, 1});
  h = conv2(dropout(norm2(h).silu()));
  return (skip.is_empty() ? x : skip(x)) + h;
}

UNetBlockImpl::UNetBlockImpl(int64_t in, int64_t out, bool attention, const UNetOptions& o)
    : Module("UNetBlock") {
  res = register_module("res", UNetResBlock(in, out, o));
  if (attention)
    attn = register_module(
        "attn", nn::SelfAttention2d(nn::SelfAttention2dOptions(out).num_groups(o.num_groups)));
}

Tensor UNetBlockImpl::forward(const Tensor& x, const Tensor& temb_act) {
  Tensor h = res(x, temb_act);
  return attn.is_empty() ? h : attn(h);
}

namespace {

// A container named like torch's ModuleList: children "0", "1", ... with no forward.
std::shared_ptr<nn::Module> module_list() { return std::make_shared<nn::Module>("ModuleList"); }

template <class Holder>
Holder append(nn::Module& list, Holder m) {
  return list.register_module(std::to_string(list.named_children().size()), m);
}

}  // namespace

UNetImpl::UNetImpl(const UNetOptions& o) : Module("UNet"), options(o) {
  const auto& mults = o.channel_mults;
  ZG_CHECK(o.in_channels > 0 && o.base_channels > 0 && o.time_embed_dim > 0,
           "UNet: in_channels {}, base_channels {} and time_embed_dim {} must be positive",
           o.in_channels, o.base_channels, o.time_embed_dim);
  ZG_CHECK(!mults.empty() && mults.size() <= 16 &&
               std::all_of(mults.begin(), mults.end(), [](int64_t m) { return m > 0; }),
           "UNet: channel_mults must be 1 to 16 positive factors, got [{}]",
           fmt::join(mults, ", "));
  ZG_CHECK(o.num_res_blocks >= 1, "UNet: num_res_blocks must be at least 1, got {}",
           o.num_res_blocks);
  auto attention_at = [&](int64_t resolution) {
    const auto& a = o.attention_resolutions;
    return std::find(a.begin(), a.end(), resolution) != a.end();
  };
  const int64_t base = o.base_channels, levels = static_cast<int64_t>(mults.size());

  time_embed =
      register_module("time_embed", nn::Sequential(nn::SinusoidalTimeEmbedding(base),
                                                   nn::Linear(base, o.time_embed_dim), nn::SiLU(),
                                                   nn::Linear(o.time_embed_dim, o.time_embed_dim)));
  input_conv = register_module("input_conv", nn::Conv2d(o.in_channels, base, 3, 1, 1));

  // Channel counts of the skips, in the order they are pushed; the up path pops them.
  std::vector<int64_t> skips{base};
  int64_t ch = base, resolution = o.image_size;
  auto down = register_module("down", module_list());
  for (int64_t l = 0; l < levels; ++l) {
    for (int64_t r = 0; r < o.num_res_blocks; ++r) {
      down_blocks.push_back(
          append(*down, UNetBlock(ch, base * mults[l], attention_at(resolution), o)));
      ch = base * mults[l];
      skips.push_back(ch);
    }
    if (l + 1 < levels) {
      downsamples.push_back(
          append(*down, nn::Conv2d(nn::Conv2dOptions(ch, ch, 3).stride(2).padding(1))));
      skips.push_back(ch);
      resolution /= 2;
    }
  }
  auto mid = register_module("mid", module_list());
  mid_blocks.push_back(append(*mid, UNetBlock(ch, ch, true, o)));
  mid_blocks.push_back(append(*mid, UNetBlock(ch, ch, false, o)));
  auto up = register_module("up", module_list());
  for (int64_t l = levels - 1; l >= 0; --l) {
    for (int64_t r = 0; r <= o.num_res_blocks; ++r) {
      up_blocks.push_back(
          append(*up, UNetBlock(ch + skips.back(), base * mults[l], attention_at(resolution), o)));
      skips.pop_back();
      ch = base * mults[l];
    }
    if (l > 0) {
      upsamples.push_back(
          append(*up, nn::Sequential(nn::Upsample(2), nn::Conv2d(ch, ch, 3, 1, 1))));
      resolution *= 2;
    }
  }
  out = register_module("out", nn::Sequential(nn::GroupNorm(o.num_groups, ch), nn::SiLU(),
                                              nn::Conv2d(ch, o.in_channels, 3, 1, 1)));
}

Tensor UNetImpl::forward(const Tensor& x, const Tensor& t) {
  const int64_t m = size_multiple(), levels = static_cast<int64_t>(options.channel_mults.size());
  ZG_CHECK(x.dim() == 4 && x.size(1) == options.in_channels, "UNet: input {} must be [B, {}, H, W]",
           shape_str(x.shape()), options.in_channels);
  ZG_CHECK(x.size(2) % m == 0 && x.size(3) % m == 0,
           "UNet: input {}: H and W must be multiples of {} (2^(levels − 1), {} levels)",
           shape_str(x.shape()), m, levels);
  ZG_CHECK(t.dim() == 1 && t.size(0) == x.size(0), "UNet: t {} must be [B] = [{}] for input {}",
           shape_str(t.shape()), x.size(0), shape_str(x.shape()));
  // SiLU of the embedding once, rather than in each of the ResBlocks that project it.
  Tensor temb_act = time_embed(t.to(x.dtype())).silu();
  Tensor h = input_conv(x);
  std::vector<Tensor> skips{h};
  size_t block = 0;
  for (int64_t l = 0; l < levels; ++l) {
    for (int64_t r = 0; r < options.num_res_blocks; ++r) {
      h = down_blocks[block++](h, temb_act);
      skips.push_back(h);
    }
    if (l + 1 < levels) {
      h = downsamples[l](h);
      skips.push_back(h);
    }
  }
  for (auto& b : mid_blocks) h = b(h, temb_act);
  block = 0;
  for (int64_t l = levels - 1; l >= 0; --l) {
    for (int64_t r = 0; r <= options.num_res_blocks; ++r) {
      h = up_blocks[block++](cat({h, skips.back()}, 1), temb_act);
      skips.pop_back();
    }
    if (l > 0) h = upsamples[levels - 1 - l](h);
  }
  return out(h);
}

Tensor noise_level_to_time(const Tensor& sigma) { return sigma.log() * 1000.0; }

}  // namespace zg::models
