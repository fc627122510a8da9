#!/usr/bin/python3
"""Turns the CSV lines collected by bench/run_core.sh into bench/core.md (on stdout).

    /usr/bin/python3 bench/report_core.py bench/results/core-<stamp>.csv --command "..."

Input lines: CSV,<round>,<framework>,<kind>,<name>,<threads>,<median_ms>,<gflops>
and LOAD,<round>,<threads>,<loadavg>,<busy|quiet>. Every figure in the tables is a median
over rounds of per-round medians; ratios are taken per round (the two sides ran back to back
in that round) and then their median is reported.
"""
import argparse
import collections
import datetime
import platform
import statistics
import subprocess

GEMM_TARGET = 0.90  # zerogen / cblas GFLOP/s, at least
ELT_TARGET = 1.5    # zerogen / torch time, at most

NOTES = """\
### What the CPU backend does for these numbers (tensor/cpu/)

- **Output allocation** (`allocator.{h,cpp}`): freed blocks of >= 64 KiB are cached by size
  class and reused, so an op's output is memory that is already faulted in. Without it every
  fresh output of a few hundred KiB is new mmap'd memory, and the page faults cost more than
  the op: the 256×256 GEMM ran at 0.29× of cblas (its output, 256 KiB, faulted in each call).
  `ZEROGEN_CPU_CACHE_MB` caps the cache (default 1024; 0 disables it).
- **Vectorised float32 transcendentals** (`vec_math.h`): exp, log, tanh, sigmoid, silu, erf,
  erfc and the exact (erf) gelu are branch-free inline functions that GCC vectorises in the
  element-wise loops (libm's are scalar calls). Accuracy against double precision over a sweep
  of every 13th float: exp 0.98, log 0.75, tanh 1.31, sigmoid 1.46, silu 1.69, erf 1.40,
  erfc 2.71, gelu 3.70 ulp; libm's special values (exp(-inf) = 0, log(0) = -inf, tanh(±big) =
  ±1, NaN propagates). gelu is x·erfc(-x/√2)/2, so it keeps its relative accuracy in the
  negative tail, where the textbook 1 + erf(x/√2) (and torch's) cancels. float64 keeps libm.
  `tests/tensor/test_cpu_math.cpp` checks the bounds and the special values.
- **softmax** over contiguous rows: one vectorised pass for the max, one for exp + sum (the
  exps are stored, not recomputed), one scale.
- The "before" columns, where present, are the same benchmark built from the tree before these
  changes (`git archive ec2d8f1` plus this bench/bench_core.cpp, passed as BEFORE_BIN), run in
  the same rounds. Its 256×256 GEMM figure depends on how often glibc hands back fresh pages
  (0.29 to 0.89 of cblas at 1 thread over our runs, 0.1 to 0.23 at 2 threads).
- The cache keeps up to ZEROGEN_CPU_CACHE_MB of freed blocks resident: count it in peak RSS.
"""


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def torch_version():
    try:
        import torch
        return torch.__version__
    except ImportError:
        return "?"


def git_rev():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def load(path):
    ms = collections.defaultdict(dict)  # (fw, kind, name, threads) -> {round: ms}
    loads = collections.defaultdict(list)  # threads -> [(loadavg, busy)]
    for line in open(path):
        f = line.strip().split(",")
        if f[0] == "CSV":
            rnd, fw, kind, name, threads, med = f[1], f[2], f[3], f[4], int(f[5]), float(f[6])
            ms[(fw, kind, name, threads)][rnd] = med
        elif f[0] == "LOAD":
            loads[int(f[2])].append((float(f[3]), f[4] == "busy", f[5] if len(f) > 5 else "?"))
    return ms, loads


def med_ratio(a, b):
    """median over the rounds both have of a[r] / b[r]"""
    common = sorted(set(a) & set(b))
    return statistics.median(a[r] / b[r] for r in common) if common else float("nan")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    p.add_argument("--command", default="bench/run_core.sh")
    args = p.parse_args()
    ms, loads = load(args.raw)
    threads = sorted({k[3] for k in ms})
    shapes = [k[2] for k in ms if k[0] == "zerogen" and k[1] == "gemm" and k[3] == threads[0]]
    ops = [k[2] for k in ms if k[0] == "zerogen" and k[1] == "eltwise" and k[3] == threads[0]]
    before = any(k[0] == "zerogen-before" for k in ms)
    rounds = max(len(v) for v in ms.values())

    def get(fw, kind, name, t):
        return ms.get((fw, kind, name, t), {})

    def gf(fw, name, t):  # median GFLOP/s over rounds
        m, n, k = (int(v) for v in name.split("x"))
        r = get(fw, "gemm", name, t)
        return 2.0 * m * n * k / (statistics.median(r.values()) * 1e6) if r else float("nan")

    out = []
    w = out.append
    w("## W1 GEMM and element-wise ops\n")
    w("Generated by `bench/run_core.sh` (via `bench/report_core.py`); do not edit by hand.\n")
    w(f"- command: `{args.command}`")
    w(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
      f"zerogen {git_rev()}; PyTorch {torch_version()} (Debian, CPU)")
    w(f"- CPU: {cpu_model()}, {len(open('/proc/cpuinfo').read().split('processor')) - 1} "
      f"logical cores; threads: {', '.join(map(str, threads))} (both frameworks set to the "
      f"same count)")
    w(f"- protocol: per process, warm-up calls then timed reps, median per op; {rounds} "
      f"round(s) per thread count, zerogen and torch alternating (A B A B); figures are medians "
      f"over rounds. GEMM: zerogen `matmul` and raw `cblas_sgemm` on the same buffers, in the "
      f"same process, alternating per rep.")
    for t in threads:
        ls = loads.get(t, [])
        if ls:
            w(f"- {t}-thread rounds: CPU use by other processes just before each round "
              f"{', '.join(f'{u}%' for _, _, u in ls)} (load average "
              f"{', '.join(f'{l:.2f}' for l, _, _ in ls)}); rounds that started on a busy "
              f"machine: {sum(b for _, b, _ in ls)} of {len(ls)}")
    w("")
    w(f"Targets: zerogen matmul ≥ {GEMM_TARGET:.0%} of raw cblas_sgemm GFLOP/s at every W1 "
      f"shape; element-wise ops ≤ {ELT_TARGET}× torch's time on 1M-element float32 tensors.\n")

    for t in threads:
        w(f"### {t} thread{'s' if t > 1 else ''}\n")
        hdr = "| GEMM M×N×K | zerogen GF/s | cblas GF/s | torch GF/s | zerogen/cblas | zerogen/torch time |"
        sep = "|---|---:|---:|---:|---:|---:|"
        if before:
            hdr += " before: zerogen/cblas |"
            sep += "---:|"
        w(hdr)
        w(sep)
        for s in shapes:
            zg, cb, th = (get(fw, "gemm", s, t) for fw in ("zerogen", "cblas", "torch"))
            ratio = med_ratio(cb, zg)  # GFLOP/s ratio = inverse time ratio
            mark = "✓" if ratio >= GEMM_TARGET else "✗"
            row = (f"| {s} | {gf('zerogen', s, t):.1f} | {gf('cblas', s, t):.1f} | "
                   f"{gf('torch', s, t):.1f} | **{ratio:.3f}** {mark} | {med_ratio(zg, th):.2f} |")
            if before:
                row += f" {med_ratio(get('cblas-before', 'gemm', s, t), get('zerogen-before', 'gemm', s, t)):.3f} |"
            w(row)
        w("")
        hdr = "| op (1M float32) | zerogen ms | torch ms | zerogen/torch |"
        sep = "|---|---:|---:|---:|"
        if before:
            hdr += " before: ms | before: /torch |"
            sep += "---:|---:|"
        w(hdr)
        w(sep)
        for op in ops:
            zg, th = get("zerogen", "eltwise", op, t), get("torch", "eltwise", op, t)
            ratio = med_ratio(zg, th)
            mark = "✓" if ratio <= ELT_TARGET else "✗"
            name = "softmax (rows of 1000×1000)" if op == "softmax" else op
            row = (f"| {name} | {statistics.median(zg.values()):.4f} | "
                   f"{statistics.median(th.values()):.4f} | **{ratio:.2f}** {mark} |")
            if before:
                b = get("zerogen-before", "eltwise", op, t)
                row += f" {statistics.median(b.values()):.4f} | {med_ratio(b, th):.2f} |"
            w(row)
        w("")
    w(NOTES)
    print("\n".join(out))


if __name__ == "__main__":
    main()
