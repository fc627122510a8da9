// The three convolution maps of a stride-1, padding-1 3×3 convolution by Winograd's minimal
// filtering F(m×m, 3×3) (Lavin & Gray 2016), m = 2 or 4, used by tensor/raw_conv.cpp where it
// applies.
//
// In one dimension, m outputs of a 3-tap correlation, y_r = Σ_j d_{r+j} w_j, come from
// α = m + 2 inputs with α multiplications instead of 3m:  y = Aᵀ [(G w) ⊙ (Bᵀ d)]. For m = 2,
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//     Aᵀ = [1 1 1 0; 0 1 −1 −1];
// for m = 4 (points 0, ±1, ±2, ∞; tensor/cpu/winograd4.cpp has Bᵀ and Aᵀ),
//     G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1].
// Nested over rows and columns, an m×m output tile of channel o is
//     Y_o = Aᵀ [ Σ_c U_oc ⊙ V_c ] A,  U_oc = G w_oc Gᵀ,  V_c = Bᵀ d_c B   (α×α each),
// and for each of the α² positions ξ of the α×α the sum over c is a matrix product:
//     M[ξ] = U[ξ] · V[ξ],  U[ξ]: [O, C],  V[ξ]: [C, tiles].
// So a conv is: transform the input tiles (Backend::winograd_input), α² GEMMs, transform
// back (winograd_output). Per output that is (α/m)²·O·C multiply-adds against im2col's
// 9·O·C, 4 for m = 2 and 2.25 for m = 4, and the transformed input is (α/m)² times the
// image (4 or 2.25), where im2col's columns are 9 times.
//
// m = 4 does fewer multiplies but rounds worse in float32: its transforms have entries up
// to 5 (Bᵀ) and 8 (Aᵀ) and G has 1/24, so the products carry larger partial sums (see
// tests/nn/test_winograd.cpp for the measured errors). It also wastes more on ragged edges
// (a 6×6 image is 4 tiles of 4×4), so choose_tile weighs both sizes' multiplies per image.
//
// The other two maps are the same pieces run backwards:
//  - backward-input: the gradient of a pad-1 3×3 correlation is the pad-1 correlation of g
//    with the weight flipped in space and transposed in channels, so it is a forward pass
//    with U'[ξ] = (U of the flipped weight)[ξ]ᵀ;
//  - backward-weight: M ↦ Aᵀ M A is linear, so dL/dM[ξ] = A g_t Aᵀ (winograd_output_adjoint),
//    dL/dU[ξ] = Σ_tiles dL/dM[ξ] · V[ξ]ᵀ, and dL/dw = Gᵀ (dL/dU) G.
// The weight transforms w ↦ G w Gᵀ and dU ↦ Gᵀ dU G are one small GEMM each with the α²×9
// matrix K[(a,b), (i,j)] = G[a,i]·G[b,j] (w as [9, O·C]: U = K w, dw = dUᵀ K).
#include <algorithm>
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
static std::atomic<int> winograd_tile{[] {
  const char* env = std::getenv("ZEROGEN_CONV_WINOGRAD_TILE");
  const std::string set = env ? env : "";
  return set == "2" ? 2 : set == "4" ? 4 : 0;
}()};
void set_conv_winograd(bool on) { winograd_on = on; }
bool conv_winograd() { return winograd_on; }
void set_conv_winograd_min_channels(int64_t channels) { winograd_min_channels = channels; }
int64_t conv_winograd_min_channels() { return winograd_min_channels; }
void set_conv_winograd_tile(int tile) {
  ZG_CHECK(tile == 0 || tile == 2 || tile == 4,
           "set_conv_winograd_tile: the tile is 0 (choose), 2 or 4, got {}", tile);
  winograd_tile = tile;
}
int conv_winograd_tile() { return winograd_tile; }

}  // namespace zg

namespace zg::raw::winograd {

namespace {

constexpr std::array<std::array<double, 3>, 4> kG2 = {
    {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}};
constexpr std::array<std::array<double, 3>, 6> kG4 = {{{1.0 / 4, 0, 0},
                                                       {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                                       {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                                       {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                                       {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                                       {0, 0, 1}}};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The tile size m, α = m + 2, and the number of tiles of an h×w image.
struct Tile {
  int m;
  int64_t alpha() const { return m + 2; }
  int64_t area() const { return alpha() * alpha(); }
  int64_t tiles(int64_t h, int64_t w) const { return ceil_div(h, m) * ceil_div(w, m); }
};

// The set tile if the backend has it; else whichever does fewer multiplies on this image
// (α² per tile), m = 2 where the backend has no other.
Tile choose_tile(const Backend& be, int64_t h, int64_t w) {
  const int set = conv_winograd_tile();
  if (set && be.winograd_supports(set)) return {set};
  const Tile f2{2}, f4{4};
  if (!be.winograd_supports(4)) return f2;
  return f4.area() * f4.tiles(h, w) < f2.area() * f2.tiles(h, w) ? f4 : f2;
}

// K as an [α², 9] tensor; `flipped` reverses the kernel offsets (k ↦ 8 − k).
Tensor weight_transform(Tile tile, bool flipped, DType dtype, Device device) {
  const int64_t alpha = tile.alpha();
  auto g = [&](int64_t a, int i) { return tile.m == 2 ? kG2[a][i] : kG4[a][i]; };
  Tensor k = make({tile.area(), 9}, kFloat64, kCPU);
  double* p = k.data_ptr<double>();
  for (int64_t a = 0; a < alpha; ++a)
    for (int64_t b = 0; b < alpha; ++b)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
          p[(alpha * a + b) * 9 + (flipped ? 8 - (3 * i + j) : 3 * i + j)] = g(a, i) * g(b, j);
  return cast(k, dtype).to(device);
}

// U = K w as [α², O, C] for a contiguous weight [O, C, 3, 3].
Tensor transform_weight(Backend& be, Tile tile, const Tensor& w, bool flipped) {
  const int64_t oc = w.size(0) * w.size(1);
  Tensor u = make({tile.area(), w.size(0), w.size(1)}, w.dtype(), w.device());
  be.matmul(as_strided(u, {tile.area(), oc}, {oc, 1}, 0),
            weight_transform(tile, flipped, w.dtype(), w.device()),
            as_strided(w, {9, oc}, {1, 9}, w.storage_offset()));
  return u;
}

// The α² planes of a tile array [α², rows, mt] lie this many elements apart: rows·mt
// rounded up to an odd number of 64-byte lines. The transforms stream through all α² planes
// at once; at a distance that is a multiple of 4 KiB (C·m·T is often a power of two) those
// streams share one set of the L1 cache and evict each other, which made the transforms up
// to ten times slower.
int64_t plane_stride(int64_t rows, int64_t mt, DType dtype) {
  const int64_t line = std::max<int64_t>(1, 64 / element_size(dtype));
  const int64_t lines = ceil_div(rows * mt, line);
  return (lines % 2 ? lines : lines + 1) * line;
}

// A map's walk over the batch: chunks of samples, and per worker the transformed input
// tiles v [α², C, m·T] and the GEMM's side m [α², O, m·T] of its current chunk of m samples.
struct TilePlan {
  Tile tile;
  int64_t n, c, o, t;
  ChunkPlan plan;
  std::vector<Tensor> v_of, m_of;
  TilePlan(Backend& be, const Tensor& image, int64_t c_, int64_t o_)
      : tile(choose_tile(be, image.size(2), image.size(3))),
        n(image.size(0)),
        c(c_),
        o(o_),
        t(tile.tiles(image.size(2), image.size(3))),
        plan(plan_chunks(be, n, tile.area() * (c + o) * t, image.dtype())) {
    const int64_t nt = plan.nb * t;
    v_of = per_worker(plan.workers, {tile.area() * plane_stride(c, nt, image.dtype())}, image);
    m_of = per_worker(plan.workers, {tile.area() * plane_stride(o, nt, image.dtype())}, image);
  }
  Tensor v(int worker, int64_t m) const { return view(v_of[worker], c, m * t); }
  Tensor m(int worker, int64_t m) const { return view(m_of[worker], o, m * t); }
  Tensor view(const Tensor& buf, int64_t rows, int64_t mt) const {
    return as_strided(buf, {tile.area(), rows, mt}, {plane_stride(rows, mt, buf.dtype()), mt, 1},
                      0);
  }
};

// out = conv(in, U) with U: [α², O, C] (any strides) for the plan's tile, in [N, C, H, W],
// out [N, O, H, W].
void correlate(const TilePlan& tp, const Tensor& out, const Tensor& in, const Tensor& u,
               const Tensor& bias) {
  Backend& be = backend_for(in.device());
  be.run_tasks(tp.plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = tp.plan.first(chunk), m = tp.plan.size(chunk, tp.n);
    const Tensor v = tp.v(worker, m), mm = tp.m(worker, m);
    be.winograd_input(v, batch_slice(in, n0, m), tp.tile.m);
    be.matmul(mm, u, v);
    be.winograd_output(batch_slice(out, n0, m), mm, bias, tp.tile.m);
  });
}

}  // namespace

bool applies(const Window2d& win, int64_t groups, int64_t in_channels) {
  return conv_winograd() && in_channels >= conv_winograd_min_channels() && groups == 1 &&
         win.kh == 3 && win.kw == 3 && win.sh == 1 && win.sw == 1 && win.ph == 1 && win.pw == 1 &&
         win.dh == 1 && win.dw == 1;
}

int tile_for(Device device, int64_t h, int64_t w) {
  return choose_tile(backend_for(device), h, w).m;
}

void forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias) {
  Backend& be = backend_for(x.device());
  const TilePlan tp(be, x, x.size(1), y.size(1));
  correlate(tp, y, x, transform_weight(be, tp.tile, w, false), bias);
}

void backward_input(const Tensor& gx, const Tensor& g, const Tensor& w, const Tensor& bias) {
  // U' = U(flipped w) with O and C swapped: a transposed view, which the GEMM reads as is.
  Backend& be = backend_for(g.device());
  const int64_t o = w.size(0), c = w.size(1);
  const TilePlan tp(be, g, o, c);
  const Tensor u = transform_weight(be, tp.tile, w, true);
  correlate(tp, gx, g, as_strided(u, {tp.tile.area(), c, o}, {o * c, 1, c}, 0), bias);
}

void backward_weight(const Tensor& gw, const Tensor& x, const Tensor& g) {
  Backend& be = backend_for(x.device());
  const int64_t c = x.size(1), o = g.size(1);
  const TilePlan tp(be, x, c, o);
  const int64_t area = tp.tile.area();
  // dL/dU summed per worker, then across workers.
  const std::vector<Tensor> du_of = per_worker(tp.plan.workers, {area, o, c}, x);
  for (const Tensor& du : du_of) be.fill(du, 0.0);
  be.run_tasks(tp.plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = tp.plan.first(chunk), m = tp.plan.size(chunk, tp.n), mt = m * tp.t;
    const Tensor v = tp.v(worker, m), dm = tp.m(worker, m);
    be.winograd_input(v, batch_slice(x, n0, m), tp.tile.m);
    be.winograd_output_adjoint(dm, batch_slice(g, n0, m), tp.tile.m);
    be.matmul(du_of[worker], dm, as_strided(v, {area, mt, c}, {v.stride(0), 1, mt}, 0), true);
  });
  const Tensor& du = du_of[0];
  for (int i = 1; i < tp.plan.workers; ++i) be.binary(BinaryOp::Add, du, du, du_of[i], 1.0);
  // dw [O·C, 9] = dUᵀ [O·C, α²] · K [α², 9].
  const int64_t oc = o * c;
  be.matmul(as_strided(gw, {oc, 9}, {9, 1}, gw.storage_offset()),
            as_strided(du, {oc, area}, {1, oc}, 0),
            weight_transform(tp.tile, false, x.dtype(), x.device()));
}

}  // namespace zg::raw::winograd
