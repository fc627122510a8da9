// The CUDA backend's host-side plumbing: checked runtime calls. Internal to tensor/cuda/
// (it includes the CUDA headers, which a CPU-only user of zerogen does not have).
#pragma once
#include <cuda_runtime.h>

namespace zg::cuda {

/// Throws zg::Error "cuda: <what> failed: <message> (<name>)" unless err is cudaSuccess.
void check(cudaError_t err, const char* what);

}  // namespace zg::cuda

#define ZG_CUDA_CHECK(call) ::zg::cuda::check((call), #call)
