// The three convolution maps of a stride-1, padding-1 3×3 convolution by Winograd's minimal
// filtering F(2×2, 3×3) (Lavin & Gray 2016), used by tensor/raw_conv.cpp where it applies.
//
// In one dimension, two outputs of a 3-tap correlation, y_r = Σ_j d_{r+j} w_j, come from four
// inputs with four multiplications instead of six:  y = Aᵀ [(G w) ⊙ (Bᵀ d)],
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//     Aᵀ = [1 1 1 0; 0 1 −1 −1].
// Nested over rows and columns, a 2×2 output tile of channel o is
//     Y_o = Aᵀ [ Σ_c U_oc ⊙ V_c ] A,  U_oc = G w_oc Gᵀ,  V_c = Bᵀ d_c B   (4×4 each),
// and for each of the 16 positions ξ of the 4×4 the sum over c is a matrix product:
//     M[ξ] = U[ξ] · V[ξ],  U[ξ]: [O, C],  V[ξ]: [C, tiles].
// So a conv is: transform the input tiles (Backend::winograd_input), 16 GEMMs, transform
// back (winograd_output). That is 16·O·C multiply-adds per 4 outputs against im2col's
// 9·O·C per output: 2.25× fewer, and the transformed input is 4× the image, not 9×.
//
// The other two maps are the same pieces run backwards:
//  - backward-input: the gradient of a pad-1 3×3 correlation is the pad-1 correlation of g
//    with the weight flipped in space and transposed in channels, so it is a forward pass
//    with U'[ξ] = (U of the flipped weight)[ξ]ᵀ;
//  - backward-weight: M ↦ Aᵀ M A is linear, so dL/dM[ξ] = A g_t Aᵀ (winograd_output_adjoint),
//    dL/dU[ξ] = Σ_tiles dL/dM[ξ] · V[ξ]ᵀ, and dL/dw = Gᵀ (dL/dU) G.
// The weight transforms w ↦ G w Gᵀ and dU ↦ Gᵀ dU G are one small GEMM each with the 16×9
// matrix K[(a,b), (i,j)] = G[a,i]·G[b,j] (w as [9, O·C]: U = K w, dw = dUᵀ K).
#include <array>
#include <atomic>
#include <cstdlib>
#include <string>

#include "tensor/conv_chunks.h"
#include "tensor/winograd.h"

namespace zg {

static std::atomic<bool> winograd_on{[] {
  const char* env = std::getenv("ZEROGEN_CONV_WINOGRAD");
  return !(env && std::string(env) == "0");
}()};
static std::atomic<int64_t> winograd_min_channels{8};
void set_conv_winograd(bool on) { winograd_on = on; }
bool conv_winograd() { return winograd_on; }
void set_conv_winograd_min_channels(int64_t channels) { winograd_min_channels = channels; }
int64_t conv_winograd_min_channels() { return winograd_min_channels; }

}  // namespace zg

namespace zg::raw::winograd {

namespace {

constexpr std::array<std::array<double, 3>, 4> kG = {
    {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}};

// K as a [16, 9] tensor; `flipped` reverses the kernel offsets (k ↦ 8 − k).
Tensor weight_transform(bool flipped, DType dtype, Device device) {
  Tensor k = make({16, 9}, kFloat64, kCPU);
  double* p = k.data_ptr<double>();
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
          p[(4 * a + b) * 9 + (flipped ? 8 - (3 * i + j) : 3 * i + j)] = kG[a][i] * kG[b][j];
  return cast(k, dtype).to(device);
}

// U = K w as [16, O, C] for a contiguous weight [O, C, 3, 3].
Tensor transform_weight(Backend& be, const Tensor& w, bool flipped) {
  const int64_t oc = w.size(0) * w.size(1);
  Tensor u = make({16, w.size(0), w.size(1)}, w.dtype(), w.device());
  be.matmul(as_strided(u, {16, oc}, {oc, 1}, 0), weight_transform(flipped, w.dtype(), w.device()),
            as_strided(w, {9, oc}, {1, 9}, w.storage_offset()));
  return u;
}

int64_t tiles(int64_t h, int64_t w) { return ((h + 1) / 2) * ((w + 1) / 2); }

// A map's walk over the batch: chunks of samples, and per worker the transformed input
// tiles v [16, C, m·T] and the GEMM's side m [16, O, m·T] of its current chunk of m samples.
struct TilePlan {
  int64_t n, c, o, t;
  ChunkPlan plan;
  std::vector<Tensor> v_of, m_of;
  TilePlan(Backend& be, const Tensor& like, int64_t n_, int64_t c_, int64_t o_, int64_t t_)
      : n(n_), c(c_), o(o_), t(t_), plan(plan_chunks(be, n, 16 * (c + o) * t, like.dtype())) {
    v_of = per_worker(plan.workers, {16 * c * plan.nb * t}, like);
    m_of = per_worker(plan.workers, {16 * o * plan.nb * t}, like);
  }
  Tensor v(int worker, int64_t m) const { return view(v_of[worker], c, m * t); }
  Tensor m(int worker, int64_t m) const { return view(m_of[worker], o, m * t); }
  static Tensor view(const Tensor& buf, int64_t rows, int64_t mt) {
    return as_strided(buf, {16, rows, mt}, {rows * mt, mt, 1}, 0);
  }
};

// out = conv(in, U) with U: [16, O, C] (any strides), in [N, C, H, W], out [N, O, H, W].
void correlate(const Tensor& out, const Tensor& in, const Tensor& u, const Tensor& bias) {
  Backend& be = backend_for(in.device());
  const TilePlan tp(be, in, in.size(0), in.size(1), out.size(1), tiles(in.size(2), in.size(3)));
  be.run_tasks(tp.plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = tp.plan.first(chunk), m = tp.plan.size(chunk, tp.n);
    const Tensor v = tp.v(worker, m), mm = tp.m(worker, m);
    be.winograd_input(v, batch_slice(in, n0, m));
    be.matmul(mm, u, v);
    be.winograd_output(batch_slice(out, n0, m), mm, bias);
  });
}

}  // namespace

bool applies(const Window2d& win, int64_t groups, int64_t in_channels) {
  return conv_winograd() && in_channels >= conv_winograd_min_channels() && groups == 1 &&
         win.kh == 3 && win.kw == 3 && win.sh == 1 && win.sw == 1 && win.ph == 1 && win.pw == 1 &&
         win.dh == 1 && win.dw == 1;
}

void forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias) {
  correlate(y, x, transform_weight(backend_for(x.device()), w, false), bias);
}

void backward_input(const Tensor& gx, const Tensor& g, const Tensor& w, const Tensor& bias) {
  // U' = U(flipped w) with O and C swapped: a transposed view, which the GEMM reads as is.
  const Tensor u = transform_weight(backend_for(g.device()), w, true);
  const int64_t o = w.size(0), c = w.size(1);
  correlate(gx, g, as_strided(u, {16, c, o}, {o * c, 1, c}, 0), bias);
}

void backward_weight(const Tensor& gw, const Tensor& x, const Tensor& g) {
  Backend& be = backend_for(x.device());
  const int64_t c = x.size(1), o = g.size(1);
  const TilePlan tp(be, x, x.size(0), c, o, tiles(x.size(2), x.size(3)));
  // dL/dU summed per worker, then across workers.
  const std::vector<Tensor> du_of = per_worker(tp.plan.workers, {16, o, c}, x);
  for (const Tensor& du : du_of) be.fill(du, 0.0);
  be.run_tasks(tp.plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = tp.plan.first(chunk), m = tp.plan.size(chunk, tp.n), mt = m * tp.t;
    const Tensor v = tp.v(worker, m), dm = tp.m(worker, m);
    be.winograd_input(v, batch_slice(x, n0, m));
    be.winograd_output_adjoint(dm, batch_slice(g, n0, m));
    be.matmul(du_of[worker], dm, as_strided(v, {16, mt, c}, {c * mt, 1, mt}, 0), true);
  });
  const Tensor& du = du_of[0];
  for (int i = 1; i < tp.plan.workers; ++i) be.binary(BinaryOp::Add, du, du, du_of[i], 1.0);
  // dw [O·C, 9] = dUᵀ [O·C, 16] · K [16, 9].
  const int64_t oc = o * c;
  be.matmul(as_strided(gw, {oc, 9}, {9, 1}, gw.storage_offset()),
            as_strided(du, {oc, 16}, {1, oc}, 0), weight_transform(false, x.dtype(), x.device()));
}

}  // namespace zg::raw::winograd
