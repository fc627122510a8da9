#!/usr/bin/python3
"""The PyTorch side of bench/bench_layers.cpp (same cases, same protocol).

    /usr/bin/python3 bench/torch_layers.py [--threads N] [--reps R] [--warmup W]
"""
import argparse
import sys
import time

import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--reps", type=int, default=50)
ap.add_argument("--warmup", type=int, default=5)
a = ap.parse_args()
torch.set_num_threads(a.threads)


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm, self.qkv, self.proj = nn.GroupNorm(8, c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3 * c, h * w).chunk(3, dim=1)
        wts = torch.softmax(torch.bmm(q.permute(0, 2, 1), k) * c ** -0.5, dim=2)
        return x + self.proj(torch.bmm(v, wts.permute(0, 2, 1)).reshape(b, c, h, w))


def median_ms(f):
    for _ in range(a.warmup):
        f()
    t = []
    for _ in range(a.reps):
        s = time.perf_counter()
        f()
        t.append((time.perf_counter() - s) * 1e3)
    t.sort()
    return t[len(t) // 2]


def run_case(name, m, shape):
    torch.manual_seed(0)
    x = torch.randn(*shape, requires_grad=True)
    with torch.no_grad():
        g = torch.randn(m(x).shape)
    m.train()

    def fwd():
        with torch.no_grad():
            m(x)

    def fb():
        x.grad = None
        m.zero_grad(set_to_none=True)
        m(x).backward(g)

    f, b = median_ms(fwd), median_ms(fb)
    print(f"CSV,torch,{name},fwd,{a.threads},{f:.4f}\nCSV,torch,{name},fwdbwd,{a.threads},{b:.4f}")
    print(f"{name:22s} fwd {f:8.3f} ms   fwd+bwd {b:8.3f} ms", file=sys.stderr)


run_case("bn2d_64x128x7x7", nn.BatchNorm2d(128), (64, 128, 7, 7))
run_case("bn2d_64x64x14x14", nn.BatchNorm2d(64), (64, 64, 14, 14))
run_case("gn8_64x64x14x14", nn.GroupNorm(8, 64), (64, 64, 14, 14))
run_case("gn8_64x32x28x28", nn.GroupNorm(8, 32), (64, 32, 28, 28))
run_case("gn8_64x64x7x7", nn.GroupNorm(8, 64), (64, 64, 7, 7))
run_case("attn2d_64x64x7x7", AttnBlock(64), (64, 64, 7, 7))
# The UNet's 3x3 convolutions (W4): a level's own, and the up path's on concatenated skips.
run_case("conv3_1to32_28x28", nn.Conv2d(1, 32, 3, padding=1), (64, 1, 28, 28))
run_case("conv3_32to1_28x28", nn.Conv2d(32, 1, 3, padding=1), (64, 32, 28, 28))
run_case("conv3_32to32_28x28", nn.Conv2d(32, 32, 3, padding=1), (64, 32, 28, 28))
run_case("conv3_64to32_28x28", nn.Conv2d(64, 32, 3, padding=1), (64, 64, 28, 28))
run_case("conv3_64to64_14x14", nn.Conv2d(64, 64, 3, padding=1), (64, 64, 14, 14))
run_case("conv3_128to64_7x7", nn.Conv2d(128, 64, 3, padding=1), (64, 128, 7, 7))
