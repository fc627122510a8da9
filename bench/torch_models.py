#!/usr/bin/python3
"""PyTorch side of bench_models: W2 (MLP-VAE step) and W3 (DCGAN step) of WORKLOADS.md.

    /usr/bin/python3 bench/torch_models.py --workload w2|w3 [--threads N] [--reps R] [--warmup W]

Same protocol as bench/bench_models.cpp: a step is forward + backward + optimiser step on
synthetic data of the right shape; warm-up steps, then timed steps, median. Prints
    CSV,torch,<workload>,<threads>,<median_ms>,<params>,<peak_rss_mib>
"""
import argparse
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MlpVAE(nn.Module):  # W2: 1,091,920 parameters
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
        self.mu = nn.Linear(256, 32)
        self.logvar = nn.Linear(256, 32)
        self.dec = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                                 nn.Linear(512, 784))

    def loss(self, x, eps):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + (0.5 * logvar).exp() * eps
        logits = self.dec(z)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum()
        return (rec + kl) / x.shape[0]


class Generator(nn.Module):  # W3 G: 766,017 parameters
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(100, 128 * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 128, 7, 7))


class Discriminator(nn.Module):  # W3 D: 138,817 parameters
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x):
        return self.net(x)


def make_w2():
    model = MlpVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(128, 784)
    def step():
        eps = torch.randn(128, 32)
        loss = model.loss(x, eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, sum(p.numel() for p in model.parameters())


def make_w3():
    g, d = Generator(), Discriminator()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(64, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)
    def step():
        # D: real → 1, fake → 0 (the fake is detached: no gradient into G).
        fake = g(torch.randn(64, 100))
        loss_d = (F.binary_cross_entropy_with_logits(d(real), ones) +
                  F.binary_cross_entropy_with_logits(d(fake.detach()), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # G: non-saturating, −log D(G(z)).
        loss_g = F.binary_cross_entropy_with_logits(d(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    n = sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters())
    return step, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True, choices=["w2", "w3"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    step, params = make_w2() if args.workload == "w2" else make_w3()
    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch {args.workload}: {med:.3f} ms/step, {params:,} params, peak RSS {rss:.0f} MiB",
          file=sys.stderr)
    print(f"CSV,torch,{args.workload},{args.threads},{med:.6f},{params},{rss:.1f}", flush=True)


if __name__ == "__main__":
    main()
