#!/usr/bin/env python3
"""Seed study of the aNBK lazy limit (notes/anbk-data.md (NB10) (ii), (NB18)): `adaptive-kernels anbk`
at a small gamma against the NNGP over many seeds, with a z-score table.

    python3 scripts/anbk-lazy-seeds.py [--seeds 1-8] [--depth 2] [--gamma 0.01] [--samples 3000]
                                       [--burn-in 40] [--measured 80] [--sampler smc] [--binary PATH]

ReLU, beta = 10, the digits fixture's first 10 training and 4 test points (Tests/Fixtures/digits).
For every seed and layer: the overlap's deviation from the NNGP's, d = value - lazy, its z-scores
d / standard_error and d / (standard_error + systematic). Then per layer: the mean deviation with
its error over the seeds (a bias test: mean z of the mean), and the standard deviation of the
per-seed z-scores (1 when the reported standard errors are right; larger when they underestimate the
seed-to-seed scatter) with the 95 % chi-square interval of that standard deviation for this many
seeds. Standard library only; runs the seeds one after the other.
"""
import argparse, json, math, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seeds(text):
    if "-" in text:
        a, b = text.split("-"); return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def chi2_quantile(p, k):
    """Wilson-Hilferty approximation of the chi-square quantile (enough for an interval on a spread)."""
    z = {0.025: -1.959964, 0.975: 1.959964}[p]
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-8"); ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--gamma", default="0.01"); ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--burn-in", type=int, default=40); ap.add_argument("--measured", type=int, default=80)
    ap.add_argument("--sampler", default="smc")
    ap.add_argument("--binary", default=os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels")))
    a = ap.parse_args()
    fx = os.path.join(ROOT, "Tests", "Fixtures", "digits")
    rows = []
    for s in seeds(a.seeds):
        cmd = [a.binary, "anbk", "--activation", "relu", "--depth", str(a.depth), "--gamma", a.gamma, "--beta", "10",
               "--train", f"{fx}/X_train.npy", "--labels", f"{fx}/y_train.npy", "--test", f"{fx}/X_test.npy",
               "--test-labels", f"{fx}/y_test.npy", "--points", "10", "--test-points", "4", "--samples", str(a.samples),
               "--burn-in", str(a.burn_in), "--measured", str(a.measured), "--sampler", a.sampler, "--seed", str(s),
               "--format", "json"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 3) or not proc.stdout:
            sys.exit(f"seed {s}: exit {proc.returncode}: {proc.stderr.strip()}")
        report = json.loads(proc.stdout)
        row = []
        for o, lz in zip(report["overlap"], report["lazy_overlap"]):
            v, se, sy = float(o["value"]), float(o["standard_error"]), float(o["systematic"])
            row.append((v, se, sy, float(lz["value"])))
        rows.append((s, proc.returncode, row))
        print(f"seed {s}: " + "; ".join(f"layer {i + 1} {v:.6f} +- {se:.6f} (sys {sy:.6f}) vs NNGP {lazy:.6f}, "
                                         f"{100 * (v / lazy - 1):+.2f} %, z = {(v - lazy) / se:+.2f}"
                                         for i, (v, se, sy, lazy) in enumerate(row)), flush=True)
    k = len(rows)
    print(f"\n{k} seeds, ReLU, L = {a.depth}, gamma = {a.gamma}, beta = 10, P = 10, Q = 4, n = {a.samples}, "
          f"{a.burn_in} + {a.measured} iterations, sampler {a.sampler}")
    lo, hi = math.sqrt(chi2_quantile(0.025, k - 1) / (k - 1)), math.sqrt(chi2_quantile(0.975, k - 1) / (k - 1))
    for i in range(len(rows[0][2])):
        z = [(r[2][i][0] - r[2][i][3]) / r[2][i][1] for r in rows]
        zs = [(r[2][i][0] - r[2][i][3]) / (r[2][i][1] + r[2][i][2]) for r in rows]
        d = [r[2][i][0] - r[2][i][3] for r in rows]
        mean_d = sum(d) / k; sd_d = math.sqrt(sum((x - mean_d) ** 2 for x in d) / (k - 1))
        mean_se = math.sqrt(sum(r[2][i][1] ** 2 for r in rows) / k)
        zbar = sum(z) / k; sdz = math.sqrt(sum((x - zbar) ** 2 for x in z) / (k - 1))
        lazy = rows[0][2][i][3]
        print(f"layer {i + 1}: NNGP {lazy:.6f}; mean deviation {mean_d:+.6f} ({100 * mean_d / lazy:+.2f} %) +- {sd_d / math.sqrt(k):.6f} "
              f"(z of the mean {mean_d / (sd_d / math.sqrt(k)):+.2f}); seed-to-seed sd {sd_d:.6f} against rms reported se {mean_se:.6f} "
              f"(ratio {sd_d / mean_se:.2f}); sd of z = d/se {sdz:.2f} (95 % range for correct errors {lo:.2f}-{hi:.2f}); "
              f"max |d/(se + sys)| {max(abs(x) for x in zs):.2f}")


if __name__ == "__main__":
    main()
