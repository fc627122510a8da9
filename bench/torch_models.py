#!/usr/bin/python3
"""PyTorch side of bench_models: W2 (MLP-VAE step), W3 (DCGAN step), W4 (DDPM UNet step),
W4s (DDPM reverse step, forward only) and W5 (NCSN denoising-score-matching step) of
WORKLOADS.md.

    /usr/bin/python3 bench/torch_models.py --workload w2|w3|w4|w4s|w5 [--threads N] [--reps R]
                                           [--warmup W]

Same protocol as bench/bench_models.cpp: a step is forward + backward + optimiser step on
synthetic data of the right shape; warm-up steps, then timed steps, median. Prints
    CSV,torch,<workload>,<threads>,<median_ms>,<params>,<peak_rss_mib>
"""
import argparse
import math
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


class TimeEmbedding(nn.Module):
    """[sin, cos] of t·exp(−ln(10000)·i/half), i < half: zerogen's timestep_embedding."""

    def __init__(self, dim, max_period=10000.0):
        super().__init__()
        self.dim, self.max_period = dim, max_period

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(self.max_period) * torch.arange(half, dtype=t.dtype, device=t.device) / half)
        args = t[:, None] * freqs[None]
        return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm → SiLU → Conv3×3, + Linear(SiLU(temb)) per channel, → GroupNorm → SiLU →
    (dropout) → Conv3×3, plus the input (through a 1×1 conv when the channels change)."""

    def __init__(self, cin, cout, tdim, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb_act):  # temb_act = SiLU(time embedding), shared by all blocks
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(temb_act)[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (x if self.skip is None else self.skip(x)) + h


class AttnBlock(nn.Module):
    """Single-head self-attention over the H·W positions (the form of make_layer_fixtures.py)."""

    def __init__(self, c, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.proj = nn.Conv2d(c, c, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3 * c, h * w).chunk(3, dim=1)
        wts = torch.softmax(torch.bmm(q.permute(0, 2, 1), k) * c ** -0.5, dim=2)
        return x + self.proj(torch.bmm(v, wts.permute(0, 2, 1)).reshape(b, c, h, w))


class Block(nn.Module):
    """A ResBlock, followed by attention at the attention resolutions."""

    def __init__(self, cin, cout, tdim, groups, dropout, attn):
        super().__init__()
        self.res = ResBlock(cin, cout, tdim, groups, dropout)
        self.attn = AttnBlock(cout, groups) if attn else None

    def forward(self, x, temb_act):
        h = self.res(x, temb_act)
        return h if self.attn is None else self.attn(h)


class UNet(nn.Module):  # W4/W4s/W5: 1,623,169 parameters with the defaults
    """The twin of zerogen's models/unet.h, with the same state-dict names. Down: per level
    num_res Blocks, then (not at the last level) a stride-2 Conv3×3; every block output and
    downsample output (and the input conv's) is kept as a skip. Middle: Block with attention,
    Block without. Up: per level num_res + 1 Blocks, each on cat(h, skip) along channels,
    then (not at level 0) nearest ×2 + Conv3×3."""

    def __init__(self, in_ch=1, base=32, mults=(1, 2, 2), num_res=2, attn_res=(7,),
                 image_size=28, dropout=0.0, tdim=128, groups=8):
        super().__init__()
        self.num_res, self.levels = num_res, len(mults)
        self.time_embed = nn.Sequential(TimeEmbedding(base), nn.Linear(base, tdim), nn.SiLU(),
                                        nn.Linear(tdim, tdim))
        self.input_conv = nn.Conv2d(in_ch, base, 3, padding=1)
        self.down, skips, ch, res = nn.ModuleList(), [base], base, image_size
        for level, m in enumerate(mults):
            for _ in range(num_res):
                self.down.append(Block(ch, base * m, tdim, groups, dropout, res in attn_res))
                ch = base * m
                skips.append(ch)
            if level != len(mults) - 1:
                self.down.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                skips.append(ch)
                res //= 2
        self.mid = nn.ModuleList([Block(ch, ch, tdim, groups, dropout, True),
                                  Block(ch, ch, tdim, groups, dropout, False)])
        self.up = nn.ModuleList()
        for level in reversed(range(len(mults))):
            for _ in range(num_res + 1):
                self.up.append(Block(ch + skips.pop(), base * mults[level], tdim, groups, dropout,
                                     res in attn_res))
                ch = base * mults[level]
            if level != 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                             nn.Conv2d(ch, ch, 3, padding=1)))
                res *= 2
        self.out = nn.Sequential(nn.GroupNorm(groups, ch), nn.SiLU(),
                                 nn.Conv2d(ch, in_ch, 3, padding=1))

    def forward(self, x, t):
        temb_act = F.silu(self.time_embed(t.to(x.dtype)))
        h = self.input_conv(x)
        hs = [h]
        for m in self.down:
            h = m(h, temb_act) if isinstance(m, Block) else m(h)
            hs.append(h)
        for m in self.mid:
            h = m(h, temb_act)
        for m in self.up:
            h = m(torch.cat([h, hs.pop()], dim=1), temb_act) if isinstance(m, Block) else m(h)
        return self.out(h)


def make_w2(dev, B=128):
    model = MlpVAE().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(B, 784, device=dev)
    def step():
        eps = torch.randn(B, 32, device=dev)
        loss = model.loss(x, eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, sum(p.numel() for p in model.parameters())


def make_w3(dev, B=64):
    g, d = Generator().to(dev), Discriminator().to(dev)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(B, 1, 28, 28, device=dev) * 2 - 1
    ones, zeros = torch.ones(B, 1, device=dev), torch.zeros(B, 1, device=dev)
    def step():
        # D: real → 1, fake → 0 (the fake is detached: no gradient into G).
        fake = g(torch.randn(B, 100, device=dev))
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


def ddpm_schedule():
    """models/diffusion_schedule.h's linear schedule (T = 1000, β 1e-4 → 0.02) in float64; entry
    t − 1 of each array is the schedule's t = 1..1000."""
    beta = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    alpha = 1 - beta
    log_alpha_bar = torch.cumsum(torch.log1p(-beta), 0)
    return beta, alpha, log_alpha_bar.exp(), -torch.expm1(log_alpha_bar)


def make_w4(dev, B=64):
    model = UNet().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)
    _, _, alpha_bar, one_minus = ddpm_schedule()
    sqrt_ab, sqrt_1m = alpha_bar.sqrt().float().to(dev), one_minus.sqrt().float().to(dev)
    x0 = torch.rand(B, 1, 28, 28, device=dev) * 2 - 1
    def step():
        t = torch.randint(0, 1000, (B,)).to(dev)
        eps = torch.randn(B, 1, 28, 28, device=dev)
        xt = x0 * sqrt_ab[t].view(B, 1, 1, 1) + eps * sqrt_1m[t].view(B, 1, 1, 1)
        loss = F.mse_loss(model(xt, t), eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, sum(p.numel() for p in model.parameters())


def make_w4s(dev, B=64):
    model = UNet().to(dev).eval()
    beta, alpha, alpha_bar, one_minus = ddpm_schedule()
    state = {"x": torch.randn(B, 1, 28, 28, device=dev), "t": 1000}
    def step():
        with torch.no_grad():
            t = state["t"]  # 1-based, as the schedule's; the UNet gets t − 1
            state["t"] = t - 1 if t > 1 else 1000
            i = t - 1
            x = state["x"]
            eps = model(x, torch.full((B,), float(t - 1), device=dev))
            mean = (x - eps * float(beta[i] / one_minus[i].sqrt())) * float(1 / alpha[i].sqrt())
            if t > 1:
                var = float(one_minus[i - 1] / one_minus[i] * beta[i])
                mean = mean + torch.randn(B, 1, 28, 28, device=dev) * math.sqrt(var)
            state["x"] = mean
    return step, sum(p.numel() for p in model.parameters())


def make_w5(dev, B=64):
    model = UNet().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)
    sigmas = torch.linspace(0.0, math.log(0.01), 10, device=dev).exp()
    x0 = torch.rand(B, 1, 28, 28, device=dev)
    def step():
        sigma = sigmas[torch.randint(0, 10, (B,)).to(dev)]
        z = torch.randn(B, 1, 28, 28, device=dev)
        s4 = sigma.view(B, 1, 1, 1)
        score = model(x0 + s4 * z, 1000 * sigma.log())
        loss = (score * s4 + z).square().sum() * (0.5 / B)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True, choices=["w2", "w3", "w4", "w4s", "w5"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--batch", type=int, default=0, help="batch size (0: the workload's own)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    makers = {"w2": make_w2, "w3": make_w3, "w4": make_w4, "w4s": make_w4s, "w5": make_w5}
    dev = torch.device(args.device)
    make = makers[args.workload]
    step, params = make(dev, args.batch) if args.batch > 0 else make(dev)
    # On a GPU each step ends with a synchronisation, as bench_models.cpp does.
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for _ in range(args.warmup):
        step()
    sync()
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch {args.workload}: {med:.3f} ms/step, {params:,} params, peak RSS {rss:.0f} MiB",
          file=sys.stderr)
    print(f"CSV,torch,{args.workload},{args.threads},{med:.6f},{params},{rss:.1f}", flush=True)


if __name__ == "__main__":
    main()
