#!/usr/bin/python3
"""Turns the CSV lines of bench/run_models.sh into bench/models.md (on stdout).

Input: CSV,<round>,<framework>,<workload>,<threads>,<median_ms>,<params>,<peak_rss_mib>
and LOAD,<round>,<threads>,<loadavg>,<busy|quiet>,<use%>. Ratios are zerogen/torch per
round (the two ran back to back), then the median over rounds.
"""
import argparse
import collections
import os
import statistics
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from report_core import cpu_model, git_rev, torch_version  # noqa: E402

NAMES = {"w2": "W2 MLP-VAE step (batch 128, Adam)",
         "w3": "W3 DCGAN step (batch 64, D then G, Adam)",
         "w4": "W4 DDPM UNet step (batch 64, ε-MSE, Adam)",
         "w4s": "W4s DDPM reverse step (UNet forward, no grad, batch 64)",
         "w5": "W5 NCSN step (batch 64, DSM λ(σ) = σ², Adam)"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    p.add_argument("--command", default="bench/run_models.sh")
    args = p.parse_args()
    ms = collections.defaultdict(dict)      # (fw, w, t) -> {round: ms}
    rss = collections.defaultdict(list)     # (fw, w, t) -> [MiB]
    params = {}
    loads = collections.defaultdict(list)
    for line in open(args.raw):
        f = line.strip().split(",")
        if f[0] == "CSV":
            rnd, fw, w, t = f[1], f[2], f[3], int(f[4])
            ms[(fw, w, t)][rnd] = float(f[5])
            params[(fw, w)] = int(f[6])
            rss[(fw, w, t)].append(float(f[7]))
        elif f[0] == "LOAD":
            loads[int(f[2])].append((float(f[3]), f[4] == "busy", f[5]))
    threads = sorted({k[2] for k in ms})
    works = sorted({k[1] for k in ms})
    import datetime
    out = ["## W2 to W5: model steps\n",
           f"- command: `{args.command}`",
           f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; zerogen "
           f"{git_rev()}; PyTorch {torch_version()} (Debian, CPU); CPU: {cpu_model()}",
           "- protocol: each framework in a fresh process, warm-up steps then timed steps "
           "(forward + backward + optimiser step on synthetic data; for W4s one reverse step: "
           "a UNet forward without gradients and the update), median per process; rounds "
           "alternate zerogen and torch; the ratio is zerogen/torch per round, median over "
           "rounds (< 1: zerogen faster). Peak RSS is the process's maximum resident set "
           "(torch's includes its larger library).",
           f"- environment (same for both): OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}, "
           f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', '(unset)')}, "
           f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"]
    for t in threads:
        ls = loads.get(t, [])
        if ls:
            out.append(f"- {t}-thread rounds: CPU use by others before each round "
                       f"{', '.join(u + '%' for _, _, u in ls)}; busy rounds: "
                       f"{sum(b for _, b, _ in ls)} of {len(ls)}")
    out.append("- parameter counts: " + "; ".join(
        f"{w}: zerogen {params.get(('zerogen', w), 0):,} / torch {params.get(('torch', w), 0):,}"
        for w in works))
    out.append("\nTargets: ratio ≤ 1.0 at 1 and 2 threads; peak RSS ≤ torch's.\n")
    out.append("| workload | threads | zerogen ms | torch ms | zerogen/torch | zerogen RSS MiB | torch RSS MiB |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for w in works:
        for t in threads:
            z, th = ms.get(("zerogen", w, t), {}), ms.get(("torch", w, t), {})
            common = sorted(set(z) & set(th))
            if not common:
                continue
            ratio = statistics.median(z[r] / th[r] for r in common)
            mark = "✓" if ratio <= 1.0 else "✗"
            zr, tr = max(rss[("zerogen", w, t)]), max(rss[("torch", w, t)])
            out.append(f"| {NAMES.get(w, w)} | {t} | {statistics.median(z.values()):.2f} | "
                       f"{statistics.median(th.values()):.2f} | **{ratio:.2f}** {mark} | "
                       f"{zr:.0f} {'✓' if zr <= tr else '✗'} | {tr:.0f} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
