#include "nn/attention.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "nn/dropout.h"
#include "nn/functional.h"
#include "nn/init.h"
#include "tensor/error.h"
#include "tensor/raw.h"

namespace zg::nn {

namespace functional {

std::pair<Tensor, Tensor> scaled_dot_product_attention_with_weights(
    const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, double dropout_p,
    Generator* gen) {
  ZG_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2,
           "scaled_dot_product_attention: q, k, v need [..., L, d] shapes, got {}, {}, {}",
           shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  ZG_CHECK(q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2),
           "scaled_dot_product_attention: q {} and k {} must share d, k and v {} the length S",
           shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  // Scale q (L·d values) rather than the scores (L·S).
  Tensor scores = (q * (1.0 / std::sqrt(static_cast<double>(q.size(-1))))).matmul(k.mT());
  if (attn_mask.defined()) scores = scores + attn_mask;
  Tensor w = scores.softmax(-1);
  if (dropout_p > 0.0) w = dropout(w, dropout_p, true, gen);
  return {w.matmul(v), w};
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask, double dropout_p, Generator* gen) {
  return scaled_dot_product_attention_with_weights(q, k, v, attn_mask, dropout_p, gen).first;
}

}  // namespace functional

// ---- MultiheadAttention -----------------------------------------------------------------

MultiheadAttentionImpl::MultiheadAttentionImpl(const MultiheadAttentionOptions& opts)
    : Module("MultiheadAttention"), options(opts) {
  const int64_t E = opts.embed_dim, H = opts.num_heads;
  ZG_CHECK(E > 0 && H > 0 && E % H == 0,
           "MultiheadAttention: embed_dim {} must be positive and divisible by num_heads {}", E, H);
  ZG_CHECK(opts.dropout_ >= 0.0 && opts.dropout_ < 1.0,
           "MultiheadAttention: dropout must be in [0, 1), got {}", opts.dropout_);
  if (options.kdim_ == 0) options.kdim_ = E;
  if (options.vdim_ == 0) options.vdim_ = E;
  // Registration order is torch's, so named_parameters() lists the same sequence.
  if (options.kdim_ == E && options.vdim_ == E) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * E, E}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({E, E}));
    k_proj_weight = register_parameter("k_proj_weight", empty({E, options.kdim_}));
    v_proj_weight = register_parameter("v_proj_weight", empty({E, options.vdim_}));
  }
  if (opts.bias_) in_proj_bias = register_parameter("in_proj_bias", empty({3 * E}));
  out_proj = register_module("out_proj", Linear(LinearOptions(E, E).bias(opts.bias_)));
  reset_parameters();
}

void MultiheadAttentionImpl::reset_parameters() {
  // torch's _reset_parameters: out_proj.weight keeps Linear's own default init.
  if (in_proj_weight.defined()) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) {
    init::zeros_(in_proj_bias);
    init::zeros_(out_proj->bias);
  }
}

std::pair<Tensor, Tensor> MultiheadAttentionImpl::attend(const Tensor& query, const Tensor& key,
                                                         const Tensor& value,
                                                         const Tensor& key_padding_mask,
                                                         const Tensor& attn_mask,
                                                         bool need_weights) {
  const int64_t E = options.embed_dim, H = options.num_heads, hd = E / H;
  const bool batched = query.dim() == 3;
  ZG_CHECK(
      (query.dim() == 3 || query.dim() == 2) && key.dim() == query.dim() &&
          value.dim() == query.dim(),
      "MultiheadAttention: query, key, value must all be [B, L, E] or all [L, E], got {}, {}, {}",
      shape_str(query.shape()), shape_str(key.shape()), shape_str(value.shape()));
  Tensor qin = batched ? query : query.unsqueeze(0);
  Tensor kin = batched ? key : key.unsqueeze(0);
  Tensor vin = batched ? value : value.unsqueeze(0);
  const int64_t B = qin.size(0), L = qin.size(1), S = kin.size(1);
  ZG_CHECK(qin.size(2) == E && kin.size(2) == options.kdim_ && vin.size(2) == options.vdim_,
           "MultiheadAttention: expected query/key/value feature sizes {}/{}/{}, got {}, {}, {}", E,
           options.kdim_, options.vdim_, shape_str(query.shape()), shape_str(key.shape()),
           shape_str(value.shape()));
  ZG_CHECK(
      kin.size(0) == B && vin.size(0) == B && vin.size(1) == S,
      "MultiheadAttention: key {} and value {} must match the batch of query {} and each other",
      shape_str(key.shape()), shape_str(value.shape()), shape_str(query.shape()));

  auto bias_part = [&](int64_t i) {
    return in_proj_bias.defined() ? in_proj_bias.narrow(0, i * E, E) : Tensor();
  };
  Tensor q, k, v;
  if (in_proj_weight.defined() && query.is_same(key) && key.is_same(value)) {
    // Self-attention: one [B, L, E] x [E, 3E] GEMM, then the three chunks as views.
    auto qkv = functional::linear(qin, in_proj_weight, in_proj_bias).chunk(3, -1);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else {
    auto w = [&](int64_t i, const Tensor& separate) {
      return in_proj_weight.defined() ? in_proj_weight.narrow(0, i * E, E) : separate;
    };
    q = functional::linear(qin, w(0, q_proj_weight), bias_part(0));
    k = functional::linear(kin, w(1, k_proj_weight), bias_part(1));
    v = functional::linear(vin, w(2, v_proj_weight), bias_part(2));
  }
  // [B, T, E] → [B, H, T, hd]: views; matmul takes the strided batches as they are.
  auto heads = [&](const Tensor& t, int64_t T) { return t.reshape({B, T, H, hd}).transpose(1, 2); };
  Tensor mask;
  if (attn_mask.defined()) {
    raw::check_floating(attn_mask, "MultiheadAttention: attn_mask");
    if (attn_mask.dim() == 2) {
      ZG_CHECK(attn_mask.size(0) == L && attn_mask.size(1) == S,
               "MultiheadAttention: attn_mask {} must be [L, S] = [{}, {}]",
               shape_str(attn_mask.shape()), L, S);
      mask = attn_mask;
    } else {
      ZG_CHECK(attn_mask.dim() == 3 && attn_mask.size(0) == B * H && attn_mask.size(1) == L &&
                   attn_mask.size(2) == S,
               "MultiheadAttention: attn_mask {} must be [L, S] or [B·H, L, S] = [{}, {}, {}]",
               shape_str(attn_mask.shape()), B * H, L, S);
      mask = attn_mask.reshape({B, H, L, S});
    }
  }
  if (key_padding_mask.defined()) {
    Tensor kpm = batched ? key_padding_mask : key_padding_mask.unsqueeze(0);
    ZG_CHECK(kpm.dim() == 2 && kpm.size(0) == B && kpm.size(1) == S,
             "MultiheadAttention: key_padding_mask {} must be [B, S] = [{}, {}]",
             shape_str(key_padding_mask.shape()), B, S);
    Tensor hide =
        zeros({B, 1, 1, S}, q.options())
            .masked_fill(kpm.reshape({B, 1, 1, S}), -std::numeric_limits<double>::infinity());
    mask = mask.defined() ? mask + hide : hide;
  }
  const double p = is_training() ? options.dropout_ : 0.0;
  auto [o, w] = functional::scaled_dot_product_attention_with_weights(
      heads(q, L), heads(k, S), heads(v, S), mask, p, options.generator_);
  Tensor out = out_proj(o.transpose(1, 2).reshape({B, L, E}));
  Tensor weights = need_weights ? w.mean({1}) : Tensor();
  if (!batched) {
    out = out.squeeze(0);
    if (weights.defined()) weights = weights.squeeze(0);
  }
  return {out, weights};
}

Tensor MultiheadAttentionImpl::forward(const Tensor& x) {
  return attend(x, x, x, {}, {}, false).first;
}

Tensor MultiheadAttentionImpl::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                       const Tensor& key_padding_mask, const Tensor& attn_mask) {
  return attend(query, key, value, key_padding_mask, attn_mask, false).first;
}

std::pair<Tensor, Tensor> MultiheadAttentionImpl::forward_with_weights(
    const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& key_padding_mask,
    const Tensor& attn_mask) {
  return attend(query, key, value, key_padding_mask, attn_mask, true);
}

std::string MultiheadAttentionImpl::extra_repr() const {
  return fmt::format("embed_dim={}, num_heads={}, bias={}, kdim={}, vdim={}, dropout={}",
                     options.embed_dim, options.num_heads, options.bias_, options.kdim_,
                     options.vdim_, options.dropout_);
}

// ---- Conv1x1 ------------------------------------------------------------------------------

Conv1x1Impl::Conv1x1Impl(int64_t in, int64_t out, bool has_bias)
    : Module("Conv1x1"), in_channels(in), out_channels(out) {
  ZG_CHECK(in > 0 && out > 0, "Conv1x1: channel counts must be positive, got {} and {}", in, out);
  weight = register_parameter("weight", empty({out, in, 1, 1}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters();
}

void Conv1x1Impl::reset_parameters() {
  // Conv2d's default: kaiming_uniform(a = √5) → U(±1/√fan_in), bias U(±1/√fan_in).
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in_channels));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv1x1Impl::forward(const Tensor& x) {
  ZG_CHECK(x.dim() >= 2 && x.size(1) == in_channels, "Conv1x1: input {} must be [B, {}, *]",
           shape_str(x.shape()), in_channels);
  const int64_t B = x.size(0);
  Shape out_shape = x.shape();
  out_shape[1] = out_channels;
  // All pixels of all samples as the columns of one [C, B·P] matrix: one GEMM forward, and
  // backward one GEMM each for the weight (K = B·P) and the input. Multiplying per sample
  // instead ([O, C] @ [B, C, P]) leaves a weight gradient of B outer products to be summed
  // over the batch, several times slower at the W4 sizes.
  Tensor cols = x.reshape({B, in_channels, -1}).transpose(0, 1).reshape({in_channels, -1});
  Tensor y = weight.view({out_channels, in_channels}).matmul(cols);  // [O, B·P]
  if (bias.defined()) y = y + bias.view({out_channels, 1});
  return y.reshape({out_channels, B, -1}).transpose(0, 1).reshape(out_shape);
}

std::string Conv1x1Impl::extra_repr() const {
  return fmt::format("{}, {}, kernel_size=(1, 1), stride=(1, 1), bias={}", in_channels,
                     out_channels, bias.defined());
}

// ---- SelfAttention2d ------------------------------------------------------------------------

SelfAttention2dImpl::SelfAttention2dImpl(const SelfAttention2dOptions& opts)
    : Module("SelfAttention2d"), options(opts) {
  const int64_t C = opts.channels;
  ZG_CHECK(C > 0, "SelfAttention2d: channels must be positive, got {}", C);
  norm = register_module("norm", GroupNorm(GroupNormOptions(opts.num_groups_, C).eps(opts.eps_)));
  qkv = register_module("qkv", Conv1x1(C, 3 * C));
  proj = register_module("proj", Conv1x1(C, C));
}

Tensor SelfAttention2dImpl::forward(const Tensor& x) {
  const int64_t C = options.channels;
  ZG_CHECK(x.dim() == 4 && x.size(1) == C, "SelfAttention2d: input {} must be [B, {}, H, W]",
           shape_str(x.shape()), C);
  const int64_t B = x.size(0), P = x.size(2) * x.size(3);
  // The qkv conv as three GEMMs over all pixels ([C, B·P] columns), each result viewed back
  // as [B, C, P]: the same numbers as qkv(norm(x)) cut in three, without a [B, 3C, P]
  // tensor whose three slices' gradients would each be a zero-padded full copy. 1/√C is
  // folded into q's weight and bias (C² + C values instead of B·P·C).
  Tensor cols = norm(x).reshape({B, C, P}).transpose(0, 1).reshape({C, B * P});
  Tensor W = qkv->weight.view({3 * C, C});
  auto part = [&](int64_t i, double scale) {
    Tensor w = W.narrow(0, i * C, C), b = qkv->bias.narrow(0, i * C, C).view({C, 1});
    if (scale != 1.0) w = w * scale, b = b * scale;
    return (w.matmul(cols) + b).view({C, B, P}).transpose(0, 1);  // [B, C, P]
  };
  Tensor q = part(0, 1.0 / std::sqrt(static_cast<double>(C))), k = part(1, 1.0), v = part(2, 1.0);
  // Positions are the tokens: w[i, j] = softmax_j(q_i·k_j/√C); h[:, i] = Σ_j w[i, j]·v[:, j].
  Tensor w = q.mT().matmul(k).softmax(-1);
  Tensor h = v.matmul(w.mT()).reshape(x.shape());
  return x + proj(h);
}

std::string SelfAttention2dImpl::extra_repr() const {
  return fmt::format("channels={}, num_groups={}", options.channels, options.num_groups_);
}

}  // namespace zg::nn
