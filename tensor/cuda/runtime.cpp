// Device discovery, memory, host transfers and launch checks for the CUDA backend.
#include "tensor/cuda/runtime.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "tensor/block_cache.h"
#include "tensor/cuda/cuda_backend.h"
#include "tensor/cuda/kernels.h"
#include "tensor/error.h"

namespace zg::cuda {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // reset the last error, so the next check does not report it again
  throw Error(fmt::format("cuda: {} failed: {} ({})", what, cudaGetErrorString(err),
                          cudaGetErrorName(err)));
}

static bool sync_each_launch() {
  static const bool on = [] {
    const char* env = std::getenv("ZEROGEN_CUDA_SYNC");
    return env && std::strcmp(env, "0") != 0;
  }();
  return on;
}

void check_launch(const char* what) {
  check(cudaGetLastError(), what);
  if (sync_each_launch()) check(cudaDeviceSynchronize(), what);
}

std::string unavailable_reason() {
  static const std::string reason = [] {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      cudaGetLastError();
      return fmt::format("no usable CUDA driver or device (cudaGetDeviceCount: {})",
                         cudaGetErrorString(err));
    }
    if (count == 0) return std::string("no CUDA device on this machine");
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess && prop.major < 9)
      return fmt::format("device 0 ({}) is sm_{}{}; this build has code for sm_90 and its PTX",
                         prop.name, prop.major, prop.minor);
    return std::string();
  }();
  return reason;
}

std::string device_description() {
  cudaDeviceProp prop{};
  ZG_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return fmt::format("{}, sm_{}{}, {:.1f} GiB", prop.name, prop.major, prop.minor,
                     static_cast<double>(prop.totalGlobalMem) / (1 << 30));
}

Backend& backend() {
  const std::string& reason = unavailable_reason();
  if (!reason.empty()) throw Error("cuda: " + reason);
  static CudaBackend* be = new CudaBackend;  // leaked: storages may die after static teardown
  return *be;
}

void synchronize() { ZG_CUDA_CHECK(cudaDeviceSynchronize()); }

// Every size is cached (cudaMalloc and cudaFree synchronise the device, whatever the size),
// rounded to 512 bytes, so blocks are aligned for any vector load. One stream makes reuse
// safe: a kernel that writes a reused block is queued after every kernel that read it.
static BlockCache& cache() {
  static BlockCache* c = [] {
    const char* env = std::getenv("ZEROGEN_CUDA_CACHE_MB");
    size_t limit = env ? std::strtoull(env, nullptr, 10) << 20 : SIZE_MAX;
    return new BlockCache(
        [](size_t n) -> void* {
          void* p = nullptr;
          if (cudaMalloc(&p, n) == cudaSuccess) return p;
          cudaGetLastError();  // out of memory: the cache is emptied and the call retried
          return nullptr;
        },
        [](void* p) { cudaFree(p); }, 1, 512, limit);
  }();
  return *c;
}

void empty_cache() { cache().empty(); }

static std::atomic<bool>& poison() {
  static std::atomic<bool> on = [] {
    const char* env = std::getenv("ZEROGEN_CUDA_POISON");
    return env && std::strcmp(env, "0") != 0;
  }();
  return on;
}
void set_poison(bool on) { poison() = on; }

}  // namespace zg::cuda

namespace zg {

void* CudaBackend::allocate(size_t nbytes) {
  void* p = cuda::cache().alloc(nbytes);
  if (!p) {
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw Error(fmt::format("cuda: out of memory allocating {} bytes ({:.1f} of {:.1f} GiB free)",
                            nbytes, free_b / double(1 << 30), total_b / double(1 << 30)));
  }
  if (cuda::poison()) ZG_CUDA_CHECK(cudaMemset(p, 0xFF, nbytes));
  return p;
}

void CudaBackend::release(void* p, size_t nbytes) { cuda::cache().release(p, nbytes); }

void CudaBackend::copy_from_host(void* dst, const void* src, size_t n) {
  ZG_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice));
}

// Waits for the kernels that wrote src (the default stream orders them before the copy).
void CudaBackend::copy_to_host(void* dst, const void* src, size_t n) {
  ZG_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost));
}

}  // namespace zg
