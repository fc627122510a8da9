// Which backend serves a device, and what CUDA this build and this machine offer.
#include "tensor/backend.h"

#ifdef ZEROGEN_WITH_CUDA
#include "tensor/cuda/cuda_backend.h"
#endif

namespace zg {

Device parse_device(const std::string& text) {
  for (Device d : {kCPU, kCPU1, kCUDA})
    if (text == device_name(d)) return d;
  if (text == "cuda:0") return kCUDA;
  throw Error(fmt::format("device: unknown device \"{}\" (expected cpu, cuda or cpu:1)", text));
}

Backend& backend_for(Device device) {
  if (device.type == DeviceType::CPU) {
    ZG_CHECK(device.index <= 1, "cpu: no device cpu:{} (cpu and cpu:1 exist)", device.index);
    return cpu_backend();
  }
  ZG_CHECK(device.index == 0, "cuda: only device 0 is supported, got cuda:{}", device.index);
#ifdef ZEROGEN_WITH_CUDA
  return cuda::backend();  // throws with the reason when no GPU is usable
#else
  throw Error(
      "cuda: this zerogen was built without the CUDA backend (configure with "
      "-DZEROGEN_CUDA=ON on a machine with the CUDA toolkit)");
#endif
}

bool cuda_is_available() {
#ifdef ZEROGEN_WITH_CUDA
  return cuda::unavailable_reason().empty();
#else
  return false;
#endif
}

std::string cuda_status() {
#ifdef ZEROGEN_WITH_CUDA
  if (cuda_is_available()) return "cuda: " + cuda::device_description();
  return "cuda: unavailable, " + cuda::unavailable_reason();
#else
  return "cuda: unavailable, this zerogen was built without the CUDA backend";
#endif
}

void cuda_synchronize() {
#ifdef ZEROGEN_WITH_CUDA
  if (cuda_is_available()) cuda::synchronize();
#endif
}

}  // namespace zg
