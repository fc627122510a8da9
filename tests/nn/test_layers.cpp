// Dropout, Embedding, the timestep embedding and attention: values against direct
// formulas, float64 gradcheck/gradgradcheck, train/eval behaviour, init statistics, errors.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/autograd/grad_test_util.h"
#include "tests/check_error.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {
using namespace test;
namespace F = nn::functional;

TEST_CASE("Dropout: train drops with rate p and rescales; eval is the identity") {
  Generator gen(7);
  nn::Dropout drop(nn::DropoutOptions(0.3).generator(&gen));
  Tensor x = ones({200, 100});
  Tensor y = drop(x);
  auto v = y.to_vector<double>();
  int64_t zeros_n = 0, wrong = 0;
  for (double e : v) {
    if (e == 0.0)
      ++zeros_n;
    else if (std::abs(e - 1.0 / 0.7) > 1e-6)
      ++wrong;  // survivors are scaled by 1/(1 − p)
  }
  CHECK(wrong == 0);
  // 20000 Bernoulli(0.3) draws: mean 6000, sd ≈ 65; 5 sd either way.
  CHECK(std::abs(double(zeros_n) - 6000.0) < 325.0);
  // The gradient is the same mask, scaled.
  Tensor xl = ones({50, 40}, kFloat64).requires_grad_();
  Generator g2(3);
  Tensor yl = F::dropout(xl, 0.5, true, &g2);
  yl.sum().backward();
  CHECK(max_abs_diff(xl.grad(), yl.detach()) == 0.0);
  // The same generator state gives the same mask; the default generator is used otherwise.
  Generator a(11), b(11);
  CHECK(max_abs_diff(F::dropout(x, 0.5, true, &a), F::dropout(x, 0.5, true, &b)) == 0.0);
  manual_seed(5);
  Tensor d1 = F::dropout(x, 0.5);
  manual_seed(5);
  CHECK(max_abs_diff(d1, F::dropout(x, 0.5)) == 0.0);
  drop->eval();
  CHECK(drop(x).is_same(x));
  CHECK(F::dropout(x, 1.0, true).sum().item<double>() == 0.0);
  CHECK(F::dropout(x, 0.0, true).is_same(x));
  CHECK(drop->extra_repr() == "p=0.3, inplace=False");
  CHECK_ZG_ERROR(F::dropout(x, 1.5), "dropout: p must be in [0, 1], got 1.5");
  CHECK_ZG_ERROR(nn::Dropout(-0.1), "Dropout: p must be in [0, 1]");
}

TEST_CASE("Embedding: lookup of any index shape, scatter-add gradient, N(0,1) init, errors") {
  manual_seed(0);
  nn::Embedding emb(10, 4);
  Tensor idx = from_vector<int64_t>({3, 0, 3, 9, 1, 3}, {2, 3});
  Tensor y = emb(idx);
  CHECK(y.shape() == Shape{2, 3, 4});
  CHECK(max_abs_diff(y.select(0, 1).select(0, 0), emb->weight.select(0, 9)) == 0.0);
  y.sum().backward();
  Tensor g = emb->weight.grad();
  CHECK(g.select(0, 3).to_vector<double>() == std::vector<double>(4, 3.0));  // used 3 times
  CHECK(g.select(0, 2).to_vector<double>() == std::vector<double>(4, 0.0));
  CHECK(g.select(0, 9).to_vector<double>() == std::vector<double>(4, 1.0));
  Generator gen(1);
  CHECK(gradcheck([&](const Inputs& in) { return F::embedding(idx, in[0]); }, {rnd({10, 3}, gen)}));
  CHECK(gradgradcheck([&](const Inputs& in) { return F::embedding(idx, in[0]).square(); },
                      {rnd({10, 3}, gen)}));
  CHECK(F::embedding(from_vector<int64_t>({2}, {}).reshape({}), emb->weight).shape() == Shape{4});
  // Init: N(0, 1) — mean and variance of 100k draws.
  nn::Embedding big(1000, 100);
  double m = big->weight.mean().item<double>(), var = big->weight.var().item<double>();
  CHECK(std::abs(m) < 0.02);          // sd of the mean: 1/√1e5 ≈ 0.003
  CHECK(std::abs(var - 1.0) < 0.03);  // sd of the variance: √(2/1e5) ≈ 0.0045
  CHECK_ZG_ERROR(emb(from_vector<int64_t>({1, 12, 3})),
                 "index 12 is out of range for a table of 10");
  CHECK_ZG_ERROR(emb(from_vector<int64_t>({1, -2})), "index -2 is out of range for a table of 10");
  CHECK_ZG_ERROR(emb(zeros({3})), "indices must be int64");
  CHECK(emb->extra_repr() == "10, 4");
}

TEST_CASE("timestep_embedding: [sin, cos] of t·exp(−ln(max_period)·i/half)") {
  Tensor t = from_vector<int64_t>({0, 1, 500, 999});
  Tensor e = F::timestep_embedding(t, 6);
  CHECK(e.shape() == Shape{4, 6});
  CHECK(e.dtype() == kFloat32);
  auto v = e.to_vector<double>();
  const double ts[] = {0, 1, 500, 999};
  for (int b = 0; b < 4; ++b)
    for (int i = 0; i < 3; ++i) {
      double f = std::exp(-std::log(10000.0) * i / 3.0);
      CHECK(v[b * 6 + i] == doctest::Approx(std::sin(ts[b] * f)).epsilon(1e-5));
      CHECK(v[b * 6 + 3 + i] == doctest::Approx(std::cos(ts[b] * f)).epsilon(1e-5));
    }
  Tensor odd = F::timestep_embedding(from_vector<double>({2.5}), 5, 100.0);
  CHECK(odd.dtype() == kFloat64);
  CHECK(odd.shape() == Shape{1, 5});
  CHECK(odd.select(1, 4).item<double>() == 0.0);
  CHECK(odd.select(1, 1).item<double>() ==
        doctest::Approx(std::sin(2.5 * std::exp(-std::log(100.0) / 2))));
  nn::SinusoidalTimeEmbedding te(32);
  CHECK(te(from_vector<double>({3.0}, {1}).to(kFloat32)).shape() == Shape{1, 32});
  CHECK(te->parameters().empty());
  CHECK_ZG_ERROR(F::timestep_embedding(zeros({2, 1}), 4), "t must be 1-d");
}

TEST_CASE("scaled_dot_product_attention: values, mask, gradcheck and gradgradcheck") {
  Generator gen(2);
  Tensor q = rnd({2, 3, 4}, gen), k = rnd({2, 5, 4}, gen), v = rnd({2, 5, 2}, gen);
  Tensor out = F::scaled_dot_product_attention(q, k, v);
  Tensor w = (q.matmul(k.mT()) / 2.0).softmax(-1);
  CHECK(max_abs_diff(out, w.matmul(v)) < 1e-14);
  // An additive −inf mask removes keys: equal to attending over the kept keys only.
  Tensor mask = zeros({3, 5}, kFloat64);
  mask.slice(1, 3, 5).fill_(-INFINITY);
  Tensor masked = F::scaled_dot_product_attention(q, k, v, mask);
  Tensor kept = F::scaled_dot_product_attention(q, k.slice(1, 0, 3), v.slice(1, 0, 3));
  CHECK(max_abs_diff(masked, kept) < 1e-14);
  auto f = [](const Inputs& in) { return F::scaled_dot_product_attention(in[0], in[1], in[2]); };
  CHECK(gradcheck(f, {q, k, v}));
  CHECK(gradgradcheck(f, {q, k, v}));
  // broadcast batch dims, a non-contiguous q, a finite additive mask
  Tensor mq = rnd({1, 2, 3, 4}, gen), mk = rnd({2, 1, 5, 4}, gen), mv = rnd({5, 3}, gen);
  Tensor addm = rnd({3, 5}, gen);
  auto fm = [](const Inputs& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], in[3]);
  };
  CHECK(gradcheck(fm, {mq, mk, mv, addm}));
  CHECK(gradgradcheck(fm, {mq, mk, mv, addm}));
  Tensor qt = transposed_leaf(randn({4, 3}, gen, kFloat64));
  CHECK(gradcheck(f, {qt, rnd({6, 4}, gen), rnd({6, 3}, gen)}));
  CHECK_ZG_ERROR(F::scaled_dot_product_attention(q, v, v), "must share d");
}

TEST_CASE("MultiheadAttention: torch's parameters, names, init; forward = the formula") {
  manual_seed(3);
  nn::MultiheadAttention mha(8, 2);
  std::vector<std::string> names;
  for (auto& [n, p] : mha->named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                          "out_proj.bias"});
  CHECK(mha->in_proj_weight.shape() == Shape{24, 8});
  CHECK(mha->in_proj_bias.to_vector<double>() == std::vector<double>(24, 0.0));
  CHECK(mha->out_proj->bias.to_vector<double>() == std::vector<double>(8, 0.0));
  // xavier_uniform bound √(6 / (8 + 24)) = 0.433
  CHECK(mha->in_proj_weight.abs().max().item<double>() <= std::sqrt(6.0 / 32.0));
  nn::MultiheadAttention cross(nn::MultiheadAttentionOptions(8, 4).kdim(5).vdim(3).bias(false));
  names.clear();
  for (auto& [n, p] : cross->named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight",
                                          "out_proj.weight"});
  CHECK(cross->k_proj_weight.shape() == Shape{8, 5});

  // Forward against the formula, written out per head.
  mha->to(kFloat64);
  Generator gen(4);
  Tensor x = randn({3, 5, 8}, gen, kFloat64);
  auto [y, attw] = mha->forward_with_weights(x, x, x);
  Tensor W = mha->in_proj_weight, b = mha->in_proj_bias;
  Tensor q = x.matmul(W.narrow(0, 0, 8).t()) + b.narrow(0, 0, 8);
  Tensor k = x.matmul(W.narrow(0, 8, 8).t()) + b.narrow(0, 8, 8);
  Tensor v = x.matmul(W.narrow(0, 16, 8).t()) + b.narrow(0, 16, 8);
  std::vector<Tensor> outs, ws;
  for (int h = 0; h < 2; ++h) {
    Tensor qh = q.narrow(2, 4 * h, 4), kh = k.narrow(2, 4 * h, 4), vh = v.narrow(2, 4 * h, 4);
    Tensor wh = (qh.matmul(kh.mT()) / 2.0).softmax(-1);
    ws.push_back(wh);
    outs.push_back(wh.matmul(vh));
  }
  Tensor expect = mha->out_proj(cat(outs, 2));
  CHECK(max_abs_diff(y, expect) < 1e-13);
  CHECK(max_abs_diff(attw, (ws[0] + ws[1]) / 2.0) < 1e-14);
  CHECK(max_abs_diff(mha(x), y) < 1e-14);  // self-attention shortcut = the general path
  Tensor xc = x.clone();                   // different tensors: three projections
  CHECK(max_abs_diff(mha->forward(x, xc, xc.clone()), y) < 1e-13);
  // unbatched [L, E]
  CHECK(max_abs_diff(mha(x.select(0, 1)), y.select(0, 1)) < 1e-13);
  // key_padding_mask hides keys: same as dropping them
  Tensor kpm = zeros({3, 5}, kFloat64);
  kpm.slice(1, 3, 5).fill_(1.0);
  Tensor hidden = mha->forward(x, x, x, kpm);
  Tensor dropped = mha->forward(x, x.slice(1, 0, 3), x.slice(1, 0, 3));
  CHECK(max_abs_diff(hidden, dropped) < 1e-13);
  // cross-attention with kdim/vdim: shapes, and gradcheck through the module
  cross->to(kFloat64);
  Tensor mem = randn({3, 7, 5}, gen, kFloat64), val = randn({3, 7, 3}, gen, kFloat64);
  CHECK(cross->forward(x, mem, val).shape() == Shape{3, 5, 8});
  CHECK(gradcheck([&](const Inputs& in) { return cross->forward(in[0], in[1], in[2]); },
                  {rnd({2, 3, 8}, gen), rnd({2, 4, 5}, gen), rnd({2, 4, 3}, gen)}));
  CHECK_ZG_ERROR(mha->forward(x, mem, val), "feature sizes 8/8/8");
  CHECK_ZG_ERROR(nn::MultiheadAttention(6, 4), "divisible by num_heads 4");
  CHECK_ZG_ERROR(mha->forward(x, x, x, zeros({3, 4}, kFloat64)),
                 "key_padding_mask [3, 4] must be [B, S] = [3, 5]");
}

TEST_CASE("MultiheadAttention functional form: gradcheck and gradgradcheck over the weights") {
  // The module's math with every weight an input (what the DDPM/NCSN second-order losses see).
  Generator gen(6);
  nn::MultiheadAttention mha(4, 2);
  mha->to(kFloat64);
  auto attn = [](const Inputs& in) {
    // in: x [B, L, 4], in_proj_weight [12, 4], in_proj_bias [12], out_w [4, 4], out_b [4]
    const Tensor& x = in[0];
    Tensor qkv = F::linear(x, in[1], in[2]);
    auto c = qkv.chunk(3, -1);
    auto heads = [](const Tensor& t) {
      return t.reshape({t.size(0), t.size(1), 2, 2}).transpose(1, 2);
    };
    Tensor o = F::scaled_dot_product_attention(heads(c[0]), heads(c[1]), heads(c[2]));
    return F::linear(o.transpose(1, 2).reshape(x.shape()), in[3], in[4]);
  };
  Inputs in{rnd({2, 3, 4}, gen), rnd({12, 4}, gen), rnd({12}, gen), rnd({4, 4}, gen),
            rnd({4}, gen)};
  CHECK(gradcheck(attn, in));
  CHECK(gradgradcheck(attn, in));
  // The module computes the same function.
  {
    NoGradGuard ng;
    mha->in_proj_weight.copy_(in[1]);
    mha->in_proj_bias.copy_(in[2]);
    mha->out_proj->weight.copy_(in[3]);
    mha->out_proj->bias.copy_(in[4]);
  }
  CHECK(max_abs_diff(mha(in[0]), attn(in)) < 1e-14);
}

TEST_CASE("Conv1x1 and SelfAttention2d: Conv2d-shaped parameters, the W4 block's formula") {
  manual_seed(8);
  nn::Conv1x1 conv(6, 4);
  CHECK(conv->weight.shape() == Shape{4, 6, 1, 1});
  double bound = 1.0 / std::sqrt(6.0);
  CHECK(conv->weight.abs().max().item<double>() <= bound);
  CHECK(conv->bias.abs().max().item<double>() <= bound);
  conv->to(kFloat64);
  Generator gen(9);
  Tensor x = randn({2, 6, 3, 5}, gen, kFloat64);
  Tensor y = conv(x);
  // per pixel: y[b, :, i, j] = W x[b, :, i, j] + bias
  Tensor expect = x.permute({0, 2, 3, 1}).matmul(conv->weight.reshape({4, 6}).t()) + conv->bias;
  CHECK(max_abs_diff(y, expect.permute({0, 3, 1, 2})) < 1e-14);

  nn::SelfAttention2d attn(nn::SelfAttention2dOptions(16));  // GroupNorm(8, 16)
  std::vector<std::string> names;
  for (auto& [n, p] : attn->named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"norm.weight", "norm.bias", "qkv.weight", "qkv.bias",
                                          "proj.weight", "proj.bias"});
  CHECK(attn->num_parameters() == 2 * 16 + 3 * 16 * 16 + 3 * 16 + 16 * 16 + 16);
  attn->to(kFloat64);
  Tensor img = randn({2, 16, 3, 3}, gen, kFloat64);
  Tensor out = attn(img);
  // The DDPM AttnBlock, spelled out.
  Tensor h = nn::functional::group_norm(img, 8, attn->norm->weight, attn->norm->bias);
  Tensor qkv = attn->qkv(h).reshape({2, 48, 9});
  Tensor q = qkv.narrow(1, 0, 16), k = qkv.narrow(1, 16, 16), v = qkv.narrow(1, 32, 16);
  Tensor w = (q.transpose(1, 2).matmul(k) / 4.0).softmax(2);
  Tensor hh = v.matmul(w.transpose(1, 2)).reshape({2, 16, 3, 3});
  CHECK(max_abs_diff(out, img + attn->proj(hh)) < 1e-13);
  CHECK(gradcheck([&](const Inputs& in) { return attn(in[0]); }, {rnd({1, 16, 2, 3}, gen)}));
  CHECK(gradgradcheck([&](const Inputs& in) { return attn(in[0]); }, {rnd({1, 16, 2, 2}, gen)}));
  CHECK_ZG_ERROR(attn(randn({2, 8, 3, 3})),
                 "SelfAttention2d: input [2, 8, 3, 3] must be [B, 16, H, W]");
}

}  // namespace
}  // namespace zg

namespace zg {
namespace {
using namespace test;
namespace F = nn::functional;

TEST_CASE("gradcheck through module parameters: Conv1x1, MultiheadAttention, SelfAttention2d") {
  // gradcheck nudges the parameter tensors in place; the modules read the same storage.
  Generator gen(12);
  nn::Conv1x1 conv(3, 5);
  conv->to(kFloat64);
  CHECK(gradcheck([&](const Inputs& in) { return conv(in[0]); },
                  {rnd({2, 3, 2, 3}, gen), conv->weight, conv->bias}));
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(4, 2).kdim(3).vdim(5));
  mha->to(kFloat64);
  Inputs in{rnd({2, 3, 4}, gen), rnd({2, 2, 3}, gen), rnd({2, 2, 5}, gen)};
  for (auto& [n, p] : mha->named_parameters()) in.push_back(p);
  CHECK(gradcheck([&](const Inputs& x) { return mha->forward(x[0], x[1], x[2]); }, in));
  CHECK(gradgradcheck([&](const Inputs& x) { return mha->forward(x[0], x[1], x[2]); }, in));
  nn::SelfAttention2d blk(nn::SelfAttention2dOptions(8).num_groups(4));
  blk->to(kFloat64);
  Inputs bi{rnd({2, 8, 2, 2}, gen)};
  for (auto& [n, p] : blk->named_parameters()) {
    NoGradGuard ng;
    p.add_(randn(p.shape(), gen, kFloat64) * 0.3);  // move GroupNorm off its 1/0 init
    bi.push_back(p);
  }
  CHECK(gradcheck([&](const Inputs& x) { return blk(x[0]); }, bi));
}

TEST_CASE("gradcheck: dropout with a fixed mask, the timestep embedding, odd-sized embedding") {
  Generator gen(13);
  // A fresh generator per call: every evaluation sees the same mask.
  CHECK(gradcheck(
      [](const Inputs& in) {
        Generator g(99);
        return F::dropout(in[0], 0.4, true, &g);
      },
      {rnd({3, 5}, gen)}));
  CHECK(gradgradcheck(
      [](const Inputs& in) {
        Generator g(98);
        return F::dropout(in[0], 0.25, true, &g).square();
      },
      {rnd({7}, gen)}));
  CHECK(gradcheck([](const Inputs& in) { return F::timestep_embedding(in[0], 9, 50.0); },
                  {uni({4}, gen, 0, 20)}));
  CHECK(gradgradcheck([](const Inputs& in) { return F::timestep_embedding(in[0], 6); },
                      {uni({3}, gen, 0, 5)}));
  Tensor ids = from_vector<int64_t>({6, 6, 0, 2, 6});
  CHECK(gradcheck(
      [&](const Inputs& in) { return F::embedding(ids, in[0]); },
      {transposed_leaf(randn({5, 7}, gen, kFloat64))}));  // a [7, 5] table, non-contiguous
}

}  // namespace
}  // namespace zg
