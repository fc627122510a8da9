// W1 (GEMM) and element-wise micro-benchmarks for zerogen's CPU backend.
//
//   bench_core [--threads N] [--reps R] [--warmup W] [--only gemm|eltwise]
//
// GEMM: zerogen `matmul` against raw `cblas_sgemm` on the same input buffers in the same
// process, alternating A B A B per rep; median time -> GFLOP/s. Element-wise: one call per
// rep on 1M-element float32 tensors (softmax on rows of [1000, 1000]); median ms.
// Human-readable lines go to stderr, machine-readable CSV lines to stdout:
//   CSV,<framework>,<kind>,<name>,<threads>,<median_ms>,<gflops or empty>
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "zerogen.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int threads = 1;
  int reps = 20;
  int warmup = 5;
  std::string only;  // "", "gemm" or "eltwise"
};

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--threads N] [--reps R] [--warmup W] [--only gemm|eltwise]\n",
               argv0);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    std::string v = argv[++i];
    if (a == "--threads")
      o.threads = std::atoi(v.c_str());
    else if (a == "--reps")
      o.reps = std::atoi(v.c_str());
    else if (a == "--warmup")
      o.warmup = std::atoi(v.c_str());
    else if (a == "--only")
      o.only = v;
    else
      usage(argv[0]);
  }
  if (o.threads < 1 || o.reps < 1 || o.warmup < 0) usage(argv[0]);
  if (!o.only.empty() && o.only != "gemm" && o.only != "eltwise") usage(argv[0]);
  return o;
}

template <class F>
double time_ms(F&& f) {
  auto t0 = Clock::now();
  f();
  auto t1 = Clock::now();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Keeps a result observable so no call is optimised away.
volatile float g_sink = 0;

void csv(const char* fw, const char* kind, const std::string& name, int threads, double ms,
         double gflops) {
  if (gflops > 0)
    std::printf("CSV,%s,%s,%s,%d,%.6f,%.3f\n", fw, kind, name.c_str(), threads, ms, gflops);
  else
    std::printf("CSV,%s,%s,%s,%d,%.6f,\n", fw, kind, name.c_str(), threads, ms);
  std::fflush(stdout);
}

struct GemmShape {
  int64_t m, n, k;
};

void bench_gemm(const Options& o) {
  const std::vector<GemmShape> shapes = {{256, 256, 256},    {512, 512, 512}, {1024, 1024, 1024},
                                         {2048, 2048, 2048}, {128, 512, 784}, {128, 784, 512}};
  std::fprintf(stderr, "%-16s %12s %12s %8s\n", "gemm MxNxK", "zerogen GF/s", "cblas GF/s",
               "ratio");
  for (const auto& s : shapes) {
    zg::Generator gen(42);
    zg::Tensor a = zg::randn({s.m, s.k}, gen), b = zg::randn({s.k, s.n}, gen);
    std::vector<float> c(static_cast<size_t>(s.m * s.n));
    const float* ap = a.data_ptr<float>();
    const float* bp = b.data_ptr<float>();
    auto run_zg = [&] {
      zg::Tensor out = a.matmul(b);
      g_sink = out.data_ptr<float>()[0];
    };
    auto run_blas = [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f, ap, s.k, bp, s.n,
                  0.0f, c.data(), s.n);
      g_sink = c[0];
    };
    for (int i = 0; i < o.warmup; ++i) {
      run_zg();
      run_blas();
    }
    std::vector<double> tz, tb;
    for (int i = 0; i < o.reps; ++i) {  // A B A B ...
      tz.push_back(time_ms(run_zg));
      tb.push_back(time_ms(run_blas));
    }
    const double flop = 2.0 * double(s.m) * double(s.n) * double(s.k);
    const double mz = median(tz), mb = median(tb);
    const double gz = flop / (mz * 1e6), gb = flop / (mb * 1e6);
    std::string name = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
    std::fprintf(stderr, "%-16s %12.1f %12.1f %8.3f\n", name.c_str(), gz, gb, gz / gb);
    csv("zerogen", "gemm", name, o.threads, mz, gz);
    csv("cblas", "gemm", name, o.threads, mb, gb);
  }
}

struct EltOp {
  const char* name;
  std::function<zg::Tensor()> fn;
};

void bench_eltwise(const Options& o) {
  constexpr int64_t kN = 1000000;
  zg::Generator gen(7);
  zg::Tensor x = zg::randn({kN}, gen), y = zg::randn({kN}, gen);
  zg::Tensor pos = zg::rand({kN}, gen) * 2.0 + 0.01;  // log's domain, U[0.01, 2.01)
  zg::Tensor x2 = zg::randn({1000, 1000}, gen);
  const std::vector<EltOp> ops = {
      {"add", [&] { return x + y; }},           {"mul", [&] { return x * y; }},
      {"add_scalar", [&] { return x + 1.5; }},  {"exp", [&] { return x.exp(); }},
      {"log", [&] { return pos.log(); }},       {"tanh", [&] { return x.tanh(); }},
      {"sigmoid", [&] { return x.sigmoid(); }}, {"relu", [&] { return x.relu(); }},
      {"gelu", [&] { return x.gelu(); }},       {"silu", [&] { return x.silu(); }},
      {"sum", [&] { return x.sum(); }},         {"softmax", [&] { return x2.softmax(1); }},
  };
  std::fprintf(stderr, "%-16s %12s\n", "eltwise op", "median ms");
  for (const auto& op : ops) {
    auto run = [&] {
      zg::Tensor r = op.fn();
      g_sink = r.data_ptr<float>()[0];
    };
    for (int i = 0; i < o.warmup; ++i) run();
    std::vector<double> t;
    for (int i = 0; i < o.reps; ++i) t.push_back(time_ms(run));
    const double m = median(t);
    std::fprintf(stderr, "%-16s %12.4f\n", op.name, m);
    csv("zerogen", "eltwise", op.name, o.threads, m, 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  zg::set_num_threads(o.threads);
  std::fprintf(stderr, "bench_core: threads=%d (omp %d, openblas %d) reps=%d warmup=%d\n",
               o.threads, zg::get_num_threads(), openblas_get_num_threads(), o.reps, o.warmup);
  if (o.only.empty() || o.only == "gemm") bench_gemm(o);
  if (o.only.empty() || o.only == "eltwise") bench_eltwise(o);
  return 0;
}
