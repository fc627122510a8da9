/// \file
/// Attention: scaled dot-product attention, torch.nn.MultiheadAttention (batch_first), and
/// the single-head spatial self-attention block of the DDPM UNet (WORKLOADS.md W4).
#pragma once
#include <utility>

#include "nn/linear.h"
#include "nn/module.h"
#include "nn/normalization.h"
#include "tensor/generator.h"

namespace zg::nn {

namespace functional {

/// softmax(q·kᵀ/√d + attn_mask)·v over the last two dims: q [..., L, d], k [..., S, d],
/// v [..., S, dv] → [..., L, dv]; batch dims broadcast as in matmul. attn_mask (optional,
/// floating) is added to the scores and broadcasts to [..., L, S]: −inf (or a large negative
/// number) removes a key. dropout_p > 0 drops attention weights (inverted scaling).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = {}, double dropout_p = 0.0,
                                    Generator* gen = nullptr);
/// The same, also returning the attention weights [..., L, S] (after dropout).
std::pair<Tensor, Tensor> scaled_dot_product_attention_with_weights(
    const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask = {},
    double dropout_p = 0.0, Generator* gen = nullptr);

}  // namespace functional

struct MultiheadAttentionOptions {
  MultiheadAttentionOptions(int64_t embed_dim, int64_t num_heads)
      : embed_dim(embed_dim), num_heads(num_heads) {}
  MultiheadAttentionOptions& bias(bool v) {
    bias_ = v;
    return *this;
  }
  MultiheadAttentionOptions& kdim(int64_t v) {
    kdim_ = v;
    return *this;
  }  // 0: embed_dim
  MultiheadAttentionOptions& vdim(int64_t v) {
    vdim_ = v;
    return *this;
  }  // 0: embed_dim
  MultiheadAttentionOptions& dropout(double v) {
    dropout_ = v;
    return *this;
  }
  MultiheadAttentionOptions& generator(Generator* g) {
    generator_ = g;
    return *this;
  }
  int64_t embed_dim, num_heads;
  bool bias_ = true;
  int64_t kdim_ = 0, vdim_ = 0;
  double dropout_ = 0.0;  ///< on the attention weights, in training
  Generator* generator_ = nullptr;
};

/// torch.nn.MultiheadAttention(embed_dim, num_heads, bias, kdim=, vdim=, batch_first=True):
/// the same parameters under the same names and default init — in_proj_weight [3E, E]
/// (xavier_uniform) when kdim = vdim = E, else q_proj_weight [E, E], k_proj_weight [E, kdim],
/// v_proj_weight [E, vdim]; in_proj_bias [3E] (zeros); out_proj (Linear(E, E), bias zeroed) —
/// so state dicts interchange. Inputs are [B, L, E] (or unbatched [L, E]). attn_mask is
/// additive, as torch's float masks: [L, S] or [B·H, L, S]. key_padding_mask [B, S] follows
/// torch's boolean convention in zerogen's 0/1 form: a non-zero entry hides that key.
class MultiheadAttentionImpl : public Module {
 public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads)
      : MultiheadAttentionImpl(MultiheadAttentionOptions(embed_dim, num_heads)) {}
  explicit MultiheadAttentionImpl(const MultiheadAttentionOptions& options);
  /// Self-attention: forward(x, x, x).
  Tensor forward(const Tensor& x) override;
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& key_padding_mask = {}, const Tensor& attn_mask = {});
  /// Output and the attention weights averaged over heads ([B, L, S]), as torch's
  /// need_weights=True, average_attn_weights=True.
  std::pair<Tensor, Tensor> forward_with_weights(const Tensor& query, const Tensor& key,
                                                 const Tensor& value,
                                                 const Tensor& key_padding_mask = {},
                                                 const Tensor& attn_mask = {});
  std::string extra_repr() const override;
  void reset_parameters();

  MultiheadAttentionOptions options;
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias;
  Linear out_proj{nullptr};

 private:
  std::pair<Tensor, Tensor> attend(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const Tensor& key_padding_mask, const Tensor& attn_mask,
                                   bool need_weights);
};
ZG_MODULE(MultiheadAttention);

/// A 1×1 convolution as a per-pixel linear map over channels: [B, C, *] → [B, O, *]. The
/// weight is stored as Conv2d's [O, C, 1, 1] (and initialised as Conv2d's default), so its
/// state dict is that of torch.nn.Conv2d(C, O, 1); the forward is one GEMM over all pixels.
class Conv1x1Impl : public Module {
 public:
  Conv1x1Impl(int64_t in_channels, int64_t out_channels, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();
  int64_t in_channels, out_channels;
  Tensor weight, bias;  ///< [O, C, 1, 1], [O]
};
ZG_MODULE(Conv1x1);

struct SelfAttention2dOptions {
  SelfAttention2dOptions(int64_t channels) : channels(channels) {}  // NOLINT
  SelfAttention2dOptions& num_groups(int64_t v) {
    num_groups_ = v;
    return *this;
  }
  SelfAttention2dOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  int64_t channels;
  int64_t num_groups_ = 8;
  double eps_ = 1e-5;
};

/// The DDPM UNet's single-head spatial self-attention (WORKLOADS.md W4): h = GroupNorm(x);
/// q, k, v = the three C-channel chunks (in that order) of a 1×1 conv C → 3C; with the HW
/// positions as tokens, w = softmax(qᵀk/√C) over keys, h = v·wᵀ; out = x + proj(h), proj a
/// 1×1 conv C → C. Submodules: norm (GroupNorm), qkv, proj (Conv2d-shaped 1×1 convs):
/// 2C + 3C² + 3C + C² + C parameters.
class SelfAttention2dImpl : public Module {
 public:
  explicit SelfAttention2dImpl(const SelfAttention2dOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  SelfAttention2dOptions options;
  GroupNorm norm{nullptr};
  Conv1x1 qkv{nullptr}, proj{nullptr};
};
ZG_MODULE(SelfAttention2d);

}  // namespace zg::nn
