// gather / scatter_add along a dim, and the counter-based random fills.
#include <cmath>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"
#include "tensor/generator.h"
#include "tensor/raw.h"

namespace zg {
using namespace cpu;

void CpuBackend::gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  // Walk index's shape; `in` is viewed with stride 0 along dim and offset by index·stride.
  Shape s = in.strides();
  s[dim] = 0;
  Tensor in0 = raw::as_strided(in, index.shape(), s, in.storage_offset());
  const int64_t step = in.strides()[dim];
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for_each(make_geometry<3>(index.shape(), {&out, &in0, &index}),
             [step](const std::array<char*, 3>& p, const std::array<int64_t, 3>& st, int64_t n) {
               for (int64_t i = 0; i < n; ++i)
                 at<T>(p[0], i * st[0]) =
                     reinterpret_cast<T*>(p[1] + i * st[1])[at<int64_t>(p[2], i * st[2]) * step];
             });
  });
}

void CpuBackend::scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                             const Tensor& src) {
  Shape s = out.strides();
  s[dim] = 0;
  Tensor out0 = raw::as_strided(out, index.shape(), s, out.storage_offset());
  Tensor src0 = raw::as_strided(src, index.shape(), src.strides(), src.storage_offset());
  const int64_t step = out.strides()[dim];
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Serial: two source elements may land on the same output.
    for_each(
        make_geometry<3>(index.shape(), {&out0, &src0, &index}),
        [step](const std::array<char*, 3>& p, const std::array<int64_t, 3>& st, int64_t n) {
          for (int64_t i = 0; i < n; ++i)
            reinterpret_cast<T*>(p[0] + i * st[0])[at<int64_t>(p[2], i * st[2]) * step] +=
                at<T>(p[1], i * st[1]);
        },
        /*parallel=*/false);
  });
}

template <class F>
static void random_fill(const Tensor& out, F draw) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = data<T>(out);
    parallel_for(0, out.numel(), kGrain / 8, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = static_cast<T>(draw(i));
    });
  });
}

void CpuBackend::uniform(const Tensor& out, uint64_t seed, uint64_t offset, double lo, double hi) {
  // The largest value below hi in out's dtype: a draw within 2^-25 of hi would otherwise
  // round up to hi when stored as float32.
  const double top = !(hi > lo)                ? hi
                     : out.dtype() == kFloat32 ? std::nextafter(float(hi), -INFINITY)
                                               : std::nextafter(hi, -INFINITY);
  random_fill(out, [=](int64_t i) {
    auto r = philox4x32(offset + i, seed);
    return std::min(lo + (hi - lo) * (1.0 - uniform_from_bits(r[0], r[1])), top);  // [lo, hi)
  });
}

void CpuBackend::normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean,
                        double std) {
  random_fill(out, [=](int64_t i) {  // Box–Muller on two 53-bit uniforms
    auto r = philox4x32(offset + i, seed);
    double u1 = uniform_from_bits(r[0], r[1]), u2 = uniform_from_bits(r[2], r[3]);
    return mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  });
}

}  // namespace zg
