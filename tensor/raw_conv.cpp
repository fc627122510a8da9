// Sliding windows without autograd: argument checks, im2col/col2im, and the three
// convolution maps as chunked im2col + GEMM. Stride-1, padding-1 3×3 convolutions with one
// group go to Winograd instead (tensor/raw_winograd.cpp), after the same checks.
//
// Why chunks: the columns of a whole batch are kh·kw times the input (a 3×3 conv over
// 64×96×28×28 floats: 173 MB), so writing them all out and reading them back runs at DRAM
// speed. Instead a few samples at a time are unfolded into a buffer of about
// conv_chunk_bytes() (2 MiB; 1-2 MiB measured best, whole-batch columns made a 3×3 32→32
// conv step on 64×28×28 1.6x slower), laid out [C·kh·kw, m·L] so the m samples' columns sit
// side by side and one GEMM per group covers them (one GEMM per sample would repack the
// weight 64 times, and L = 49 columns is a poor GEMM shape). The buffer stays in cache
// between im2col and the GEMM.
//
// The backward pass unfolds x again, chunk by chunk, instead of keeping the forward's
// columns: re-unfolding a chunk costs about 2 ms per 64 samples (5% of a conv's
// forward + backward), while keeping them would hold kh·kw times each conv's input from
// forward to backward — 27 MB for W3's four convs, but about 1.6 GB for W4's UNet.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <vector>

#include "tensor/conv_chunks.h"
#include "tensor/raw.h"
#include "tensor/winograd.h"

namespace zg {

static std::atomic<int64_t> chunk_bytes{[] {
  const char* env = std::getenv("ZEROGEN_CONV_CHUNK_KB");
  return env ? std::max<int64_t>(1, std::atoll(env)) * 1024 : int64_t(2) << 20;
}()};
void set_conv_chunk_bytes(int64_t bytes) { chunk_bytes = std::max<int64_t>(1, bytes); }
int64_t conv_chunk_bytes() { return chunk_bytes; }

std::string Window2d::str() const {
  return fmt::format("kernel=({}, {}), stride=({}, {}), padding=({}, {}), dilation=({}, {})", kh,
                     kw, sh, sw, ph, pw, dh, dw);
}

void Window2d::check(int64_t h, int64_t w, const char* op) const {
  ZG_CHECK(kh > 0 && kw > 0 && sh > 0 && sw > 0 && dh > 0 && dw > 0,
           "{}: kernel size, stride and dilation must be positive, got {}", op, str());
  ZG_CHECK(ph >= 0 && pw >= 0, "{}: padding must be non-negative, got {}", op, str());
  ZG_CHECK(h + 2 * ph >= dh * (kh - 1) + 1 && w + 2 * pw >= dw * (kw - 1) + 1,
           "{}: the window ({}) is larger than the padded input {}x{} (padded {}x{})", op, str(), h,
           w, h + 2 * ph, w + 2 * pw);
}

namespace raw {

namespace {

void check_4d(const Tensor& t, const char* op, const char* what) {
  ZG_CHECK(t.dim() == 4, "{}: {} must be 4-D [N, C, H, W], got {}", op, what, shape_str(t.shape()));
}

// Checks an input of shape xs against a conv weight [O, C/groups, kh, kw] and the window.
void check_conv(const Shape& xs, const Shape& ws, const Window2d& win, int64_t groups,
                const char* op) {
  ZG_CHECK(xs.size() == 4, "{}: input must be 4-D [N, C, H, W], got {}", op, shape_str(xs));
  ZG_CHECK(ws.size() == 4, "{}: weight must be 4-D [out, in/groups, kh, kw], got {}", op,
           shape_str(ws));
  ZG_CHECK(groups > 0, "{}: groups must be positive, got {}", op, groups);
  ZG_CHECK(xs[1] % groups == 0 && ws[0] % groups == 0,
           "{}: input channels {} and output channels {} must both be divisible by groups = {} "
           "(input {}, weight {})",
           op, xs[1], ws[0], groups, shape_str(xs), shape_str(ws));
  ZG_CHECK(ws[1] * groups == xs[1],
           "{}: weight {} expects {} input channels ({} per group x {} groups), input {} has {}",
           op, shape_str(ws), ws[1] * groups, ws[1], groups, shape_str(xs), xs[1]);
  ZG_CHECK(ws[2] == win.kh && ws[3] == win.kw,
           "{}: weight {} does not match the window's kernel ({}, {})", op, shape_str(ws), win.kh,
           win.kw);
  win.check(xs[2], xs[3], op);
}

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  check_same_dtype(a, b, op);
  check_floating(a, op);
}

void check_bias(const Tensor& bias, const Tensor& x, int64_t channels, const char* op) {
  if (!bias.defined()) return;
  ZG_CHECK(bias.dim() == 1 && bias.size(0) == channels,
           "{}: bias must be [{}] (one per output channel), got {}", op, channels,
           shape_str(bias.shape()));
  check_same_dtype(bias, x, op);
}

void check_grad(const Tensor& g, const Shape& expected, const char* op) {
  ZG_CHECK(g.shape() == expected, "{}: gradient {} must have the output's shape {}", op,
           shape_str(g.shape()), shape_str(expected));
}

// The conv's sizes, named once.
struct Dims {
  int64_t n, c, h, w, o, oh, ow, l, g, cg, og, kk, kg;
  Dims(const Shape& x, int64_t o_, const Window2d& win, int64_t groups)
      : n(x[0]),
        c(x[1]),
        h(x[2]),
        w(x[3]),
        o(o_),
        oh(win.out_h(h)),
        ow(win.out_w(w)),
        l(oh * ow),
        g(groups),
        cg(c / groups),
        og(o_ / groups),
        kk(win.kh * win.kw),
        kg(cg * kk) {}
};

// Chunks of about conv_chunk_bytes() of columns.
ChunkPlan plan_column_chunks(const Backend& be, const Dims& d, DType dtype) {
  return plan_chunks(be, d.n, d.c * d.kk * d.l, dtype);
}

// Views of a chunk of m samples: columns [C·kk, m·L] (row-major in `cols`), and the same
// memory seen as im2col's [m, C·kk, L].
Tensor cols_matrix(const Tensor& cols, const Dims& d, int64_t m, int64_t group) {
  return as_strided(cols, {d.kg, m * d.l}, {m * d.l, 1}, group * d.kg * m * d.l);
}
Tensor cols_as_batch(const Tensor& cols, const Dims& d, int64_t m) {
  return as_strided(cols, {m, d.c * d.kk, d.l}, {d.l, m * d.l, 1}, 0);
}
// Rows of group `group` in a contiguous [rows·groups, cols] matrix.
Tensor group_rows(const Tensor& t, int64_t rows, int64_t cols, int64_t group) {
  return as_strided(t, {rows, cols}, {cols, 1}, t.storage_offset() + group * rows * cols);
}
// The transpose of a 2-D view, likewise.
Tensor tr(const Tensor& t) {
  return as_strided(t, {t.size(1), t.size(0)}, {t.stride(1), t.stride(0)}, t.storage_offset());
}
// Samples [n0, n0 + m) of a contiguous [N, O, L] tensor as an [O, m, L] view.
Tensor samples_by_channel(const Tensor& t, int64_t n0, int64_t m, int64_t o, int64_t l) {
  return as_strided(t, {o, m, l}, {l, o * l, 1}, t.storage_offset() + n0 * o * l);
}

}  // namespace

Tensor im2col(const Tensor& x, const Window2d& win) {
  check_4d(x, "im2col", "input");
  check_floating(x, "im2col");
  win.check(x.size(2), x.size(3), "im2col");
  Tensor cols =
      make({x.size(0), x.size(1) * win.kh * win.kw, win.out_h(x.size(2)) * win.out_w(x.size(3))},
           x.dtype(), x.device());
  if (cols.numel() > 0) backend_for(x.device()).im2col(cols, x, win);
  return cols;
}

Tensor col2im(const Tensor& cols_in, int64_t h, int64_t w, const Window2d& win) {
  const int64_t kk = win.kh * win.kw;
  ZG_CHECK(cols_in.dim() == 3, "col2im: columns must be 3-D [N, C*kh*kw, L], got {}",
           shape_str(cols_in.shape()));
  check_floating(cols_in, "col2im");
  win.check(h, w, "col2im");
  ZG_CHECK(cols_in.size(1) % kk == 0 && cols_in.size(2) == win.out_h(h) * win.out_w(w),
           "col2im: columns {} do not fit output {}x{} with {} (expected [N, C*{}, {}])",
           shape_str(cols_in.shape()), h, w, win.str(), kk, win.out_h(h) * win.out_w(w));
  Tensor cols = cols_in.stride(2) == 1 ? cols_in : contiguous_copy(cols_in);
  Tensor out = make({cols.size(0), cols.size(1) / kk, h, w}, cols.dtype(), cols.device());
  if (out.numel() > 0) backend_for(cols.device()).col2im(out, cols, win);
  return out;
}

Tensor conv2d_forward(const Tensor& x, const Tensor& w_in, const Window2d& win, int64_t groups,
                      const Tensor& bias) {
  check_4d(x, "conv2d", "input");
  check_operands(x, w_in, "conv2d");
  check_conv(x.shape(), w_in.shape(), win, groups, "conv2d");
  check_bias(bias, x, w_in.size(0), "conv2d");
  const Dims d(x.shape(), w_in.size(0), win, groups);
  Backend& be = backend_for(x.device());
  Tensor w = contiguous(w_in);
  Tensor y = make({d.n, d.o, d.oh, d.ow}, x.dtype(), x.device());
  if (y.numel() == 0) return y;
  if (winograd::applies(win, groups, d.c)) {
    winograd::forward(y, x, w, bias);
    return y;
  }
  const ChunkPlan plan = plan_column_chunks(be, d, x.dtype());
  const std::vector<Tensor> cols_of = per_worker(plan.workers, {d.c * d.kk, plan.nb * d.l}, x);
  const std::vector<Tensor> ybuf_of =
      plan.nb > 1 ? per_worker(plan.workers, {d.o, plan.nb * d.l}, x) : std::vector<Tensor>();
  be.run_tasks(plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = plan.first(chunk), m = plan.size(chunk, d.n);
    const Tensor& cols = cols_of[worker];
    be.im2col(cols_as_batch(cols, d, m), batch_slice(x, n0, m), win);
    // One sample writes its [O, L] straight into y; several need their [O, m·L] permuted.
    Tensor out = m == 1 ? as_strided(y, {d.o, d.l}, {d.l, 1}, n0 * d.o * d.l)
                        : as_strided(ybuf_of[worker], {d.o, m * d.l}, {m * d.l, 1}, 0);
    for (int64_t gi = 0; gi < d.g; ++gi)
      be.matmul(group_rows(out, d.og, m * d.l, gi), group_rows(w, d.og, d.kg, gi),
                cols_matrix(cols, d, m, gi));
    // Into y, adding the bias on the way: [O, m, L] views of y and of the GEMM's result.
    Tensor dst = samples_by_channel(y, n0, m, d.o, d.l);
    Tensor res = m == 1 ? dst : as_strided(ybuf_of[worker], {d.o, m, d.l}, {m * d.l, d.l, 1}, 0);
    if (bias.defined())
      be.binary(BinaryOp::Add, dst, res,
                as_strided(bias, dst.shape(), {bias.stride(0), 0, 0}, bias.storage_offset()), 1.0);
    else if (m > 1)
      be.copy(dst, res);
  });
  return y;
}

// [m, O, L] gradient rows as a contiguous [O, m·L] matrix (a view when m == 1).
static Tensor gather_grad(Backend& be, const Tensor& g, const Tensor& buf, const Dims& d,
                          int64_t n0, int64_t m) {
  if (m == 1) return as_strided(g, {d.o, d.l}, {d.l, 1}, g.storage_offset() + n0 * d.o * d.l);
  Tensor out = as_strided(buf, {d.o, m * d.l}, {m * d.l, 1}, 0);
  be.copy(as_strided(buf, {d.o, m, d.l}, {m * d.l, d.l, 1}, 0),
          samples_by_channel(g, n0, m, d.o, d.l));
  return out;
}

Tensor conv2d_backward_input(const Tensor& g_in, const Tensor& w_in, int64_t h, int64_t wd,
                             const Window2d& win, int64_t groups, const Tensor& bias) {
  const char* op = "conv2d_backward_input";
  check_4d(g_in, op, "gradient");
  check_operands(g_in, w_in, op);
  ZG_CHECK(w_in.dim() == 4, "{}: weight must be 4-D [out, in/groups, kh, kw], got {}", op,
           shape_str(w_in.shape()));
  // The input this is the gradient for: [N, C, h, wd] with C = w.size(1)·groups.
  const Shape xs = {g_in.size(0), w_in.size(1) * groups, h, wd};
  check_conv(xs, w_in.shape(), win, groups, op);
  check_bias(bias, g_in, xs[1], op);
  const Dims d(xs, w_in.size(0), win, groups);
  check_grad(g_in, {d.n, d.o, d.oh, d.ow}, op);
  Backend& be = backend_for(g_in.device());
  Tensor g = contiguous(g_in), w = contiguous(w_in);
  Tensor gx = make(xs, g.dtype(), g.device());
  if (gx.numel() == 0) return gx;
  if (g.numel() == 0) {
    be.fill(gx, 0.0);
    if (bias.defined())
      be.binary(BinaryOp::Add, gx, gx,
                as_strided(bias, xs, {0, bias.stride(0), 0, 0}, bias.storage_offset()), 1.0);
    return gx;
  }
  if (winograd::applies(win, groups, d.c)) {
    winograd::backward_input(gx, g, w, bias);
    return gx;
  }
  const ChunkPlan plan = plan_column_chunks(be, d, g.dtype());
  const std::vector<Tensor> cols_of = per_worker(plan.workers, {d.c * d.kk, plan.nb * d.l}, g);
  std::vector<Tensor> gbuf_of =
      plan.nb > 1 ? per_worker(plan.workers, {d.o, plan.nb * d.l}, g) : std::vector<Tensor>();
  be.run_tasks(plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = plan.first(chunk), m = plan.size(chunk, d.n);
    const Tensor& cols = cols_of[worker];
    Tensor gm = gather_grad(be, g, plan.nb > 1 ? gbuf_of[worker] : Tensor(), d, n0, m);
    for (int64_t gi = 0; gi < d.g; ++gi)  // columns = Wᵀ · G, group by group
      be.matmul(as_strided(cols, {d.kg, m * d.l}, {m * d.l, 1}, gi * d.kg * m * d.l),
                tr(group_rows(w, d.og, d.kg, gi)), group_rows(gm, d.og, m * d.l, gi));
    Tensor out = batch_slice(gx, n0, m);
    be.col2im(out, cols_as_batch(cols, d, m), win);
    if (bias.defined())  // while the chunk is still in cache
      be.binary(BinaryOp::Add, out, out,
                as_strided(bias, out.shape(), {0, bias.stride(0), 0, 0}, bias.storage_offset()),
                1.0);
  });
  return gx;
}

Tensor conv2d_backward_weight(const Tensor& x, const Tensor& g_in, const Window2d& win,
                              int64_t groups) {
  const char* op = "conv2d_backward_weight";
  check_4d(x, op, "input");
  check_4d(g_in, op, "gradient");
  check_operands(x, g_in, op);
  ZG_CHECK(groups > 0 && x.size(1) % groups == 0 && g_in.size(1) % groups == 0,
           "{}: channels of input {} and gradient {} must be divisible by groups = {}", op,
           shape_str(x.shape()), shape_str(g_in.shape()), groups);
  const Shape ws = {g_in.size(1), x.size(1) / groups, win.kh, win.kw};
  check_conv(x.shape(), ws, win, groups, op);
  const Dims d(x.shape(), g_in.size(1), win, groups);
  check_grad(g_in, {d.n, d.o, d.oh, d.ow}, op);
  Backend& be = backend_for(x.device());
  Tensor g = contiguous(g_in);
  Tensor gw = make(ws, x.dtype(), x.device());
  if (gw.numel() == 0) return gw;
  if (g.numel() == 0) {
    be.fill(gw, 0.0);
    return gw;
  }
  if (winograd::applies(win, groups, d.c)) {
    winograd::backward_weight(gw, x, g);
    return gw;
  }
  const ChunkPlan plan = plan_column_chunks(be, d, x.dtype());
  const std::vector<Tensor> cols_of = per_worker(plan.workers, {d.c * d.kk, plan.nb * d.l}, x);
  const std::vector<Tensor> gbuf_of =
      plan.nb > 1 ? per_worker(plan.workers, {d.o, plan.nb * d.l}, x) : std::vector<Tensor>();
  // gW = Σ over chunks of G · colsᵀ. Worker 0 sums into gW, the others into sums of their
  // own, added at the end.
  const Tensor gw2 = as_strided(gw, {d.o, d.kg}, {d.kg, 1}, 0);
  std::vector<Tensor> sum_of = {gw2};
  for (int i = 1; i < plan.workers; ++i) sum_of.push_back(make({d.o, d.kg}, x.dtype(), x.device()));
  for (const Tensor& sum : sum_of) be.fill(sum, 0.0);
  be.run_tasks(plan.chunks, [&](int64_t chunk, int worker) {
    const int64_t n0 = plan.first(chunk), m = plan.size(chunk, d.n);
    const Tensor& cols = cols_of[worker];
    be.im2col(cols_as_batch(cols, d, m), batch_slice(x, n0, m), win);
    Tensor gm = gather_grad(be, g, plan.nb > 1 ? gbuf_of[worker] : Tensor(), d, n0, m);
    for (int64_t gi = 0; gi < d.g; ++gi)
      be.matmul(group_rows(sum_of[worker], d.og, d.kg, gi), group_rows(gm, d.og, m * d.l, gi),
                tr(cols_matrix(cols, d, m, gi)), true);
  });
  for (int i = 1; i < plan.workers; ++i) be.binary(BinaryOp::Add, gw2, gw2, sum_of[i], 1.0);
  return gw;
}

}  // namespace raw
}  // namespace zg
