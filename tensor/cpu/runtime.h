/// \file
/// The process environment the CPU backend runs best under. These settings are read by
/// OpenBLAS and libgomp when they load — before main() — so a program that wants them calls
/// tune_cpu_environment(argv) first thing in main(); it re-executes the program once with:
/// \code{.unparsed}
///   OPENBLAS_CORETYPE=SkylakeX  on CPUs with AVX-512 that this OpenBLAS (Debian 12's 0.3.21)
///                               does not know, e.g. AMD Zen 4/5: it falls back to its AVX2
///                               "Haswell" kernels, and sgemm runs 1.65× slower (93 vs 155
///                               GFLOP/s measured on the development machine).
///   OMP_WAIT_POLICY=passive     OpenMP workers sleep instead of spinning between kernels; with
///                               OpenBLAS's own pthreads also busy, spinning workers starved them
///                               and made 2-thread convolutions 10–20× slower than 1 thread.
///   OPENBLAS_THREAD_TIMEOUT=4   OpenBLAS's idle workers spin for 2^4 cycles, not 2^28, before
///                               sleeping: between a step's many small GEMMs they yielded the
///                               CPU ~500k times per 150 classifier steps; the 2-thread UNet
///                               step got 21% faster (45 → 55 images/s).
/// \endcode
/// A variable the user has set (to anything) is left alone, and ZEROGEN_NO_REEXEC=1 turns
/// the whole thing off. Returns normally when nothing needs changing.
#pragma once

namespace zg::cpu {

void tune_cpu_environment(char** argv);
/// What OpenBLAS reports about itself ("Haswell", "SkylakeX", ...).
const char* blas_core_name();

}  // namespace zg::cpu
