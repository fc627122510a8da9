/// \file
/// Branch-free float32 transcendentals that GCC vectorises inside `#pragma omp simd` loops.
///
/// std::exp/log/tanh/erf are calls into libm (errno, no vector variants without -ffast-math),
/// so a loop over them runs one element at a time. These are inline, use only arithmetic,
/// integer bit tricks and selects. Max error against the exact (double-precision) value, over a
/// sweep of every 13th float (tests/tensor/test_cpu_math.cpp checks a coarser one): exp 0.98,
/// log 0.75, tanh 1.31, sigmoid 1.46, silu 1.69, erf 1.40, erfc 2.71, gelu 3.70 ulp (glibc's
/// erfcf: 2.8). Special values are those of the C library: exp(-inf) = 0, exp(inf) = inf,
/// log(0) = -inf, log(x < 0) = NaN, tanh(±large) = ±1, NaN in -> NaN out. Polynomials are
/// near-minimax fits (Lawson's algorithm, mpmath references), except log's (fdlibm's logf).
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#define ZG_VM_INLINE [[gnu::always_inline]] inline

namespace zg::cpu::vm {

ZG_VM_INLINE float as_float(int32_t i) { return std::bit_cast<float>(i); }
ZG_VM_INLINE int32_t as_int(float f) { return std::bit_cast<int32_t>(f); }
/// Bit-pattern difference without signed overflow (any float may arrive, NaN included).
ZG_VM_INLINE int32_t sub_bits(float f, uint32_t c) {
  return static_cast<int32_t>(std::bit_cast<uint32_t>(f) - c);
}

/// Bitwise select (c ? a : b). A plain ?: between two computed values may be compiled as a
/// branch (GCC will not speculate trapping float ops), and a branch stops vectorisation.
ZG_VM_INLINE float select(bool c, float a, float b) {
  const int32_t m = -static_cast<int32_t>(c);
  return as_float((as_int(a) & m) | (as_int(b) & ~m));
}

/// mul·2^k·e^(x + tail), for a tiny tail (|tail| < 2^-10) and 0 <= k <= 24. x = n·ln2 + r,
/// |r| <= ln2/2, e^r = 1 + r + r²·P(r); mul·e^r is one fma, and the 2^n scaling is done in two
/// halves so results in the subnormal range are rounded once. tail, k and mul let erfc and
/// silu keep their accuracy where an intermediate e^x would be inexact or subnormal.
template <bool kClamp = true>
ZG_VM_INLINE float exp_tail(float x, float tail = 0.0f, int32_t k = 0, float mul = 1.0f) {
  constexpr float kShift = 0x1.8p23f;  // adding it rounds |v| < 2^22 to an integer
  const float lo = std::fma(static_cast<float>(k), -0x1.62e430p-1f, -104.0f);  // 2^k·e^lo ≈ 0
  float xc = x;
  if constexpr (kClamp) {        // callers that pass x in [-104, 89] skip the clamps
    xc = select(x < lo, lo, x);  // NaN passes through both clamps
    xc = select(xc > 89.0f, 89.0f, xc);
  }
  const float t = std::fma(xc, 0x1.715476p+0f, kShift);  // xc·log2(e) + shift
  const float n = t - kShift;
  const int32_t ni = sub_bits(t, 0x4b400000u);  // n as an integer (0x4b400000 = kShift)
  float r = std::fma(n, -0x1.62e4p-1f, xc);     // ln2 split hi + lo (Cody-Waite)
  r = std::fma(n, -0x1.7f7d1cp-20f, r) + tail;
  float p = 0x1.a072bap-13f;
  p = std::fma(p, r, 0x1.6d42cap-10f);
  p = std::fma(p, r, 0x1.11114cp-7f);
  p = std::fma(p, r, 0x1.5554eap-5f);
  p = std::fma(p, r, 0x1.555556p-3f);
  p = std::fma(p, r, 0.5f);
  p = std::fma(mul, std::fma(p, r * r, r), mul);  // mul·e^r
  const int32_t n1 = ni >> 1, n2 = ni - n1 + k;   // n1, n2 in [-75, 88]: both 2^n normal
  const float y = p * as_float((n1 + 127) << 23) * as_float((n2 + 127) << 23);
  if constexpr (!kClamp) return y;
  return select(x < lo, 0.0f, y);  // below the clamp: 0 (after rounding)
}

ZG_VM_INLINE float exp(float x) { return exp_tail(x); }

/// log x: x = 2^k·m, m in [√½, √2), f = m - 1, s = f/(2 + f),
/// log(1 + f) = f - f²/2 + s·(f²/2 + R(s²)) (the fdlibm/FreeBSD logf scheme and coefficients).
ZG_VM_INLINE float log(float x) {
  const bool sub = x < 0x1p-126f;  // subnormal (or <= 0, fixed up below): scale by 2^23
  const float xs = x * select(sub, 0x1p23f, 1.0f);
  const int32_t ix = sub_bits(xs, 0x3f3504f3u);  // 0x3f3504f3 = √½
  const int32_t k = (ix >> 23) - (23 & -static_cast<int32_t>(sub));
  const float f = as_float((ix & 0x007fffff) + 0x3f3504f3) - 1.0f;
  const float s = f / (2.0f + f), z = s * s, w = z * z;
  const float t1 = w * std::fma(w, 0x1.f13c4cp-3f, 0x1.999c26p-2f);  // w·(Lg2 + w·Lg4)
  const float t2 = z * std::fma(w, 0x1.23d3dcp-2f, 0x1.555554p-1f);  // z·(Lg1 + w·Lg3)
  const float hfsq = 0.5f * f * f, dk = static_cast<float>(k);
  float y = std::fma(dk, 0x1.62e4p-1f,
                     -((hfsq - std::fma(s, hfsq + (t1 + t2), dk * 0x1.7f7d1cp-20f)) - f));
  // Outside (0, inf): log(±0) = -inf, log(x < 0) = NaN, log(inf) = inf, log(NaN) = NaN.
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float special =
      select(x == 0.0f, -kInf, select(x < 0.0f, std::numeric_limits<float>::quiet_NaN(), x));
  return select(std::bit_cast<uint32_t>(x) - 1u < 0x7f7fffffu, y, special);
}

/// tanh x: x + x³·P(x²) below 0.625, else sign(x)·(1 - 2/(e^{2|x|} + 1)).
ZG_VM_INLINE float tanh(float x) {
  const float a = std::fabs(x), z = x * x;
  float p = 0x1.2c867ep-9f;
  p = std::fma(p, z, -0x1.116ac2p-7f);
  p = std::fma(p, z, 0x1.64a994p-6f);
  p = std::fma(p, z, -0x1.ba08c6p-5f);
  p = std::fma(p, z, 0x1.1110eap-3f);
  p = std::fma(p, z, -0x1.555556p-2f);
  const float small = std::copysign(std::fma(x * z, p, x), x);  // keeps tanh(-0) = -0
  const float large = std::copysign(1.0f - 2.0f / (exp(2.0f * a) + 1.0f), x);
  return select(a < 0.625f, small, large);
}

/// num/(1 + e) for 0 <= e <= 1, rounded about once: 1 + e is kept as head + exact tail and
/// the quotient gets one Newton correction.
ZG_VM_INLINE float div_one_plus(float num, float num_tail, float e) {
  const float d = 1.0f + e, dt = (1.0f - d) + e;  // 1 + e = d + dt exactly
  const float rd = 1.0f / d, q = num * rd;
  const float res = std::fma(-q, d, num) + std::fma(-q, dt, num_tail);  // num - q(d + dt)
  return std::fma(res, rd, q);
}

/// 1/(1 + e^-x) = num/(1 + e^{-|x|}) with num = 1 (x >= 0) or e^{-|x|}: nothing overflows,
/// and large negative x keep their relative accuracy.
ZG_VM_INLINE float sigmoid(float x) {
  const float e = exp(-std::fabs(x));
  return div_one_plus(select(x >= 0.0f, 1.0f, e), 0.0f, e);
}

/// x·sigmoid(x); for x < 0 the numerator x·e^x is formed from 2^24·e^x, which stays normal
/// where e^x alone would be subnormal and inexact.
ZG_VM_INLINE float silu(float x) {
  const float es = exp_tail(-std::fabs(x), 0.0f, 24), e = es * 0x1p-24f;
  const bool pos = x >= 0.0f;
  const float f = select(pos, 1.0f, es), num = x * f;
  const float y = div_one_plus(num, select(pos, 0.0f, std::fma(x, f, -num)), e);
  return select(x > 20.0f, x, y * select(pos, 1.0f, 0x1p-24f));  // silu(x > 17.4) rounds to x
}

/// erf x for |x| < 0.75: x·(c0 + x²·Q(x²)), with c0 = 2/√π as head + tail.
ZG_VM_INLINE float erf_small(float x) {
  const float z = x * x;
  float p = -0x1.703d04p-11f;
  p = std::fma(p, z, 0x1.5196b2p-8f);
  p = std::fma(p, z, -0x1.b7f016p-6f);
  p = std::fma(p, z, 0x1.ce2e10p-4f);
  p = std::fma(p, z, -0x1.812746p-2f);
  return std::fma(x, 0x1.20dd76p+0f, x * std::fma(z, p, -0x1.f7ac92p-25f));
}

/// erfc(h + l) for a head h and a tiny tail l (|l| <= 2^-20 |h|), so callers can pass an
/// argument that is not representable (gelu's x/√2); scaled by 2^k where h >= 0. For a = |h|:
/// erfc(a) = exp(-a²)·G(r), r = 1/(a + 2), G a degree-11 polynomial (well conditioned in r,
/// where N. Juffa's q = (a-2)/(a+2) = 1 - 4r is not); the roundings of a², of a + 2 and of r
/// go into exp's tail. erfc(-a) = 2 - erfc(a). One division, one exp: gelu's cost.
ZG_VM_INLINE float erfc2(float h, float l, int32_t k = 0) {
  constexpr float kMax = 10.0546875f;  // erfc underflows to 0 beyond (selected at the end)
  const bool neg = h < 0.0f;
  const float a = select(std::fabs(h) > kMax, kMax, std::fabs(h));  // NaN stays NaN
  const float al = select(neg, -l, l);
  // 1/(a + 2) = r·(1 + eps): d - 2 is exact for d in [2, 16), so dl = a + 2 - d is too.
  const float d = a + 2.0f, dl = a - (d - 2.0f), r = 1.0f / d;
  const float eps = std::fma(-r, dl, std::fma(-r, d, 1.0f));
  float g = 0x1.8ac16ap+5f;  // G(r) = e^{a²}·erfc(a), r = 1/(a + 2)
  g = std::fma(g, r, -0x1.e52c58p+6f);
  g = std::fma(g, r, 0x1.747a50p+6f);
  g = std::fma(g, r, 0x1.e9fdd0p+2f);
  g = std::fma(g, r, -0x1.68b7c6p+5f);
  g = std::fma(g, r, 0x1.10c8b4p+4f);
  g = std::fma(g, r, -0x1.cdc460p+0f);
  g = std::fma(g, r, 0x1.c78244p+1f);
  g = std::fma(g, r, 0x1.e558dcp+0f);
  g = std::fma(g, r, 0x1.223852p+0f);
  g = std::fma(g, r, 0x1.20c2d2p-1f);
  g = std::fma(g, r, 0x1.c81126p-19f);
  const float s = a * a;
  // -(a + al)² = -s + t, and G(r(1 + eps)) = G(r)·(1 + L·eps), L = dlnG/dlnr ≈ 1 + 2.5r.
  const float t =
      std::fma(std::fma(2.5f, r, 1.0f), eps, std::fma(-2.0f * a, al, std::fma(a, -a, s)));
  const int32_t kk = k & ~(-static_cast<int32_t>(neg));  // scale only where h >= 0
  float e = exp_tail<false>(-s, t, kk, g);
  e = select(std::fabs(h) > kMax, 0.0f, e);
  return select(neg, 2.0f - e, e);
}

ZG_VM_INLINE float erfc(float x) { return erfc2(x, 0.0f); }

/// erf x: erf_small below 0.75, else ±(1 - erfc|x|).
ZG_VM_INLINE float erf(float x) {
  const float large = std::copysign(1.0f - erfc2(std::fabs(x), 0.0f), x);
  return select(std::fabs(x) < 0.75f, erf_small(x), large);
}

/// Exact gelu x·Φ(x) = ½·x·erfc(-x/√2), with -x/√2 carried as head + tail so Φ keeps its
/// relative accuracy far into the negative tail (where 1 + erf(x/√2) would cancel).
ZG_VM_INLINE float gelu(float x) {
  constexpr float kHi = 0x1.6a09e6p-1f, kLo = 0x1.9fcef4p-27f;  // √½ = kHi + kLo
  const float h = -x * kHi;
  const float l = std::fma(-x, kHi, -h) - x * kLo;
  const bool neg = x < 0.0f;  // Φ(x) = erfc(h)/2 < 1/2, computed as 2^24·Φ (stays normal)
  const float y = (0.5f * x) * erfc2(h, l, 24) * select(neg, 0x1p-24f, 1.0f);
  return select(x < -16.0f, -0.0f, y);  // Φ underflowed; keeps gelu(-inf) = -0, not NaN
}

}  // namespace zg::cpu::vm
