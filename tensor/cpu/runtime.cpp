#include "tensor/cpu/runtime.h"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace zg::cpu {

const char* blas_core_name() { return openblas_get_corename(); }

static bool cpu_has_avx512_for_skylakex() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    auto has = [&](const char* f) { return line.find(std::string(" ") + f) != std::string::npos; };
    return has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl") &&
           has("avx512cd");
  }
  return false;
}

void tune_cpu_environment(char** argv) {
  const char* off = std::getenv("ZEROGEN_NO_REEXEC");
  if ((off && std::strcmp(off, "0") != 0) || std::getenv("ZEROGEN_TUNED")) return;
  bool change = false;
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    change = true;
  }
  // See the header: idle OpenBLAS workers spinning between small GEMMs starve the others.
  if (!std::getenv("OPENBLAS_THREAD_TIMEOUT")) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    change = true;
  }
  const char* core = blas_core_name();
  bool avx512_kernels = core && (std::strstr(core, "SkylakeX") || std::strstr(core, "Cooperlake") ||
                                 std::strstr(core, "SapphireRapids"));
  if (!std::getenv("OPENBLAS_CORETYPE") && !avx512_kernels && cpu_has_avx512_for_skylakex()) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    change = true;
  }
  if (!change) return;
  setenv("ZEROGEN_TUNED", "1", 1);  // never loop, whatever happens
  execv("/proc/self/exe", argv);
  // execv returned: keep running with the environment as it was at start-up.
}

}  // namespace zg::cpu
