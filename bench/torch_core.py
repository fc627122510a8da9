#!/usr/bin/python3
"""PyTorch side of bench_core: the same W1 GEMM shapes and element-wise ops.

    /usr/bin/python3 bench/torch_core.py [--threads N] [--reps R] [--warmup W] [--only gemm|eltwise]

Same protocol as bench/bench_core.cpp: warm-up calls, then one call per timed rep, median.
Human-readable lines go to stderr, CSV lines to stdout:
    CSV,torch,<kind>,<name>,<threads>,<median_ms>,<gflops or empty>
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

GEMM_SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
               (128, 512, 784), (128, 784, 512)]


def time_ms(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def csv(kind, name, threads, ms, gflops=None):
    g = f"{gflops:.3f}" if gflops is not None else ""
    print(f"CSV,torch,{kind},{name},{threads},{ms:.6f},{g}", flush=True)


def bench_gemm(args):
    print(f"{'gemm MxNxK':<16} {'torch GF/s':>12}", file=sys.stderr)
    for m, n, k in GEMM_SHAPES:
        gen = torch.Generator().manual_seed(42)
        a = torch.randn(m, k, generator=gen)
        b = torch.randn(k, n, generator=gen)
        def run():
            return torch.mm(a, b)
        for _ in range(args.warmup):
            run()
        med = statistics.median(time_ms(run) for _ in range(args.reps))
        gf = 2.0 * m * n * k / (med * 1e6)
        name = f"{m}x{n}x{k}"
        print(f"{name:<16} {gf:12.1f}", file=sys.stderr)
        csv("gemm", name, args.threads, med, gf)


def bench_eltwise(args):
    n = 1000000
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(n, generator=gen)
    y = torch.randn(n, generator=gen)
    pos = torch.rand(n, generator=gen) * 2.0 + 0.01
    x2 = torch.randn(1000, 1000, generator=gen)
    ops = [
        ("add", lambda: x + y),
        ("mul", lambda: x * y),
        ("add_scalar", lambda: x + 1.5),
        ("exp", lambda: x.exp()),
        ("log", lambda: pos.log()),
        ("tanh", lambda: x.tanh()),
        ("sigmoid", lambda: x.sigmoid()),
        ("relu", lambda: x.relu()),
        ("gelu", lambda: F.gelu(x)),  # exact (erf) form, as zerogen's gelu
        ("silu", lambda: F.silu(x)),
        ("sum", lambda: x.sum()),
        ("softmax", lambda: torch.softmax(x2, 1)),
    ]
    print(f"{'eltwise op':<16} {'median ms':>12}", file=sys.stderr)
    for name, fn in ops:
        for _ in range(args.warmup):
            fn()
        med = statistics.median(time_ms(fn) for _ in range(args.reps))
        print(f"{name:<16} {med:12.4f}", file=sys.stderr)
        csv("eltwise", name, args.threads, med)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--only", choices=["gemm", "eltwise"])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    print(f"torch_core: torch {torch.__version__} threads={torch.get_num_threads()} "
          f"reps={args.reps} warmup={args.warmup}", file=sys.stderr)
    if args.only in (None, "gemm"):
        bench_gemm(args)
    if args.only in (None, "eltwise"):
        bench_eltwise(args)


if __name__ == "__main__":
    main()
