// The test runner: doctest's, after the same environment tuning as the `zerogen` program
// (OMP_WAIT_POLICY=passive: under load, spinning OpenMP workers made 2-thread test cases
// ~20× slower than 1-thread ones). The re-executed process runs the tests.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tensor/cpu/runtime.h"

int main(int argc, char** argv) {
  zg::cpu::tune_cpu_environment(argv);
  return doctest::Context(argc, argv).run();
}
