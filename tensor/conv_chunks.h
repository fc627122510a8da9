/// \file
/// How the convolution maps (tensor/raw_conv.cpp, tensor/raw_winograd.cpp) walk a batch: a
/// few samples at a time, so that a chunk's unfolded columns or Winograd tiles stay in
/// cache between the transform that writes them and the GEMM that reads them, and the
/// chunks run as tasks (Backend::run_tasks), each worker with scratch buffers of its own.
#pragma once
#include <algorithm>
#include <vector>

#include "tensor/backend.h"
#include "tensor/raw.h"

namespace zg::raw {

/// `chunks` chunks of at most nb samples, run on `workers` workers. With several workers
/// every one gets the same number of chunks, so none waits at the end.
struct ChunkPlan {
  int64_t nb, chunks;
  int workers;
  int64_t first(int64_t chunk) const { return chunk * nb; }
  int64_t size(int64_t chunk, int64_t n) const { return std::min(nb, n - chunk * nb); }
};

/// Chunks of about be.chunk_bytes() of scratch, `per_sample` elements of it per sample.
inline ChunkPlan plan_chunks(const Backend& be, int64_t n, int64_t per_sample, DType dtype) {
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  const int64_t sample_bytes = std::max<int64_t>(1, per_sample * element_size(dtype));
  int64_t nb = std::clamp<int64_t>(be.chunk_bytes() / sample_bytes, 1, std::max<int64_t>(n, 1));
  int64_t chunks = ceil_div(n, nb);
  const int64_t w = std::min<int64_t>(be.workers(), n);
  if (w > 1) {
    chunks = ceil_div(std::max(chunks, w), w) * w;
    nb = ceil_div(n, chunks);
    chunks = ceil_div(n, nb);
  }
  return {nb, chunks, static_cast<int>(std::max<int64_t>(1, std::min(w, chunks)))};
}

/// One scratch tensor per worker.
inline std::vector<Tensor> per_worker(int workers, const Shape& shape, const Tensor& like) {
  std::vector<Tensor> out;
  for (int i = 0; i < workers; ++i) out.push_back(make(shape, like.dtype(), like.device()));
  return out;
}

/// Samples [n0, n0 + m) of t (any strides), without recording a graph as narrow() would.
inline Tensor batch_slice(const Tensor& t, int64_t n0, int64_t m) {
  Shape s = t.shape();
  s[0] = m;
  return as_strided(t, s, t.strides(), t.storage_offset() + n0 * t.stride(0));
}

}  // namespace zg::raw
