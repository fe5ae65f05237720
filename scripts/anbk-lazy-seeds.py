#!/usr/bin/env python3
"""Seed study of the aNBK lazy limit (notes/anbk-data.md (NB10) (ii), (NB18)): `adaptive-kernels anbk`
at a small gamma against the NNGP over many seeds, with a z-score table.

    python3 scripts/anbk-lazy-seeds.py [--seeds 1-8] [--depth 2] [--gamma 0.01] [--samples 3000]
                                       [--burn-in 40] [--measured 80] [--sampler smc] [--replicas R]
                                       [--perturb 0.03] [--jobs J] [--binary PATH]

ReLU, beta = 10, the digits fixture's first 10 training and 4 test points (Tests/Fixtures/digits).
For every seed and layer: the overlap's deviation from the NNGP's, d = value - lazy, its z-scores
d / standard_error and d / (standard_error + systematic). Then per layer: the mean deviation with
its error over the seeds (a bias test: mean z of the mean), and the standard deviation of the
per-seed z-scores (1 when the reported standard errors are right; larger when they underestimate the
seed-to-seed scatter) with the 95 % chi-square interval of that standard deviation for this many
seeds. The reported degrees of freedom nu (the JSON's "degrees_of_freedom"; 19 when absent) set the
expected spread: z is Student t with nu degrees of freedom for correct errors, of standard deviation
sqrt(nu / (nu - 2)), and |z| exceeds the two-sided 5 % quantile t_nu in 5 % of the seeds (notes/anbk-data.md
(NB30)). The lazy-limit test of the package (`testLazyLimitAtDepthTwoWithReplicas`) rejects when
|d| > k se + systematic + 1e-3 NNGP, k = t_nu at the family rate 0.01 over the L + 1 comparisons (every
layer's overlap and the test loss); its rejections are counted per seed (false alarms against the NNGP,
power with --perturb R1,R2,..., which multiplies the NNGP reference by 1 + R for one more summary each;
the runs are the same).
--replicas R passes `--replicas R` to `anbk` (absent: the binary's default); --jobs J runs J seeds at once.
Standard library only.
"""
import argparse, concurrent.futures, json, math, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seeds(text):
    if "-" in text:
        a, b = text.split("-"); return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def chi2_quantile(p, k):
    """Wilson-Hilferty approximation of the chi-square quantile (enough for an interval on a spread)."""
    z = {0.025: -1.959964, 0.975: 1.959964}[p]
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def t_quantile(p, nu):
    """Two-sided Student t quantile P(|T| > t) = p by bisection on the t distribution function."""
    def cdf_upper(t):  # P(T > t) through the regularized incomplete beta function (continued fraction)
        x = nu / (nu + t * t)
        return 0.5 * betainc(nu / 2, 0.5, x)
    lo, hi = 0.0, 1e4
    for _ in range(200):
        mid = (lo + hi) / 2
        if 2 * cdf_upper(mid) > p: lo = mid
        else: hi = mid
    return (lo + hi) / 2


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b) (Numerical Recipes' continued fraction, Lentz)."""
    if x <= 0: return 0.0
    if x >= 1: return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x > (a + 1) / (a + b + 2): return 1 - betainc(b, a, 1 - x)
    f, c, d = 1.0, 1.0, 0.0
    for i in range(400):
        m = i // 2
        if i == 0: num = 1.0
        elif i % 2 == 0: num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else: num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + num * d; d = 1 / d if abs(d) > 1e-300 else 1e300
        c = 1 + num / c if abs(c) > 1e-300 else 1e300
        f *= c * d
        if abs(c * d - 1) < 1e-15: break
    return front * (f - 1) / a


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-8"); ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--gamma", default="0.01"); ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--burn-in", type=int, default=40); ap.add_argument("--measured", type=int, default=80)
    ap.add_argument("--sampler", default="smc")
    ap.add_argument("--replicas", type=int, default=None); ap.add_argument("--perturb", default="0")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--binary", default=os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels")))
    a = ap.parse_args()
    fx = os.path.join(ROOT, "Tests", "Fixtures", "digits")
    def run(seed):
        cmd = [a.binary, "anbk", "--activation", "relu", "--depth", str(a.depth), "--gamma", a.gamma, "--beta", "10",
               "--train", f"{fx}/X_train.npy", "--labels", f"{fx}/y_train.npy", "--test", f"{fx}/X_test.npy",
               "--test-labels", f"{fx}/y_test.npy", "--points", "10", "--test-points", "4", "--samples", str(a.samples),
               "--burn-in", str(a.burn_in), "--measured", str(a.measured), "--sampler", a.sampler, "--seed", str(seed),
               "--format", "json"] + (["--replicas", str(a.replicas)] if a.replicas else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 3) or not proc.stdout:
            sys.exit(f"seed {seed}: exit {proc.returncode}: {proc.stderr.strip()}")
        return proc.returncode, json.loads(proc.stdout)

    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for s, (code, report) in zip(seeds(a.seeds), pool.map(run, seeds(a.seeds))):
            row = []
            for o, lz in zip(report["overlap"], report["lazy_overlap"]):
                v, se, sy = float(o["value"]), float(o["standard_error"]), float(o["systematic"])
                row.append((v, se, sy, float(lz["value"]), int(o.get("degrees_of_freedom", 19))))
            t = report["test_loss"]
            v, se, sy = float(t["anbk"]["value"]), float(t["anbk"]["standard_error"]), float(t["anbk"]["systematic"])
            loss = (v, se, sy, float(t["nngp"]["value"]), int(t["anbk"].get("degrees_of_freedom", 19)))
            rows.append((s, code, row, loss))
            print(f"seed {s} (exit {code}): " + "; ".join(f"layer {i + 1} {v:.6f} +- {se:.6f} (sys {sy:.6f}) vs NNGP {lazy:.6f}, "
                                             f"{100 * (v / lazy - 1):+.2f} %, z = {(v - lazy) / se:+.2f}"
                                             for i, (v, se, sy, lazy, _) in enumerate(row))
                  + f"; test loss {loss[0]:.6f} +- {loss[1]:.6f} vs NNGP {loss[3]:.6f}, z = {(loss[0] - loss[3]) / loss[1]:+.2f}", flush=True)
    for perturbation in [float(x) for x in a.perturb.split(",")]:
        scale = 1 + perturbation
        summary([(sd, code, [(v, se, sy, scale * lz, nu) for v, se, sy, lz, nu in row], (loss[0], loss[1], loss[2], scale * loss[3], loss[4]))
                 for sd, code, row, loss in rows], a, scale)


def summary(rows, a, scale):
    k = len(rows)
    nu = rows[0][2][0][4]
    print(f"\n{k} seeds, ReLU, L = {a.depth}, gamma = {a.gamma}, beta = 10, P = 10, Q = 4, n = {a.samples}, "
          f"{a.burn_in} + {a.measured} iterations, sampler {a.sampler}, replicas {a.replicas or 'default'}, "
          f"{nu} degrees of freedom, reference NNGP x {scale:g}")
    spread = math.sqrt(nu / (nu - 2)) if nu > 2 else float("inf")
    lo, hi = (spread * math.sqrt(chi2_quantile(p, k - 1) / (k - 1)) for p in (0.025, 0.975))
    t05 = t_quantile(0.05, nu)
    kfam = t_quantile(0.01 / (len(rows[0][2]) + 1), nu)
    rejected_runs = 0
    for r in rows:
        checks = list(r[2]) + [r[3]]
        if any(abs(v - ref) > kfam * se + sy + 1e-3 * abs(ref) for v, se, sy, ref, _ in checks): rejected_runs += 1
    for i in range(len(rows[0][2]) + 1):
        pick = (lambda r: r[2][i]) if i < len(rows[0][2]) else (lambda r: r[3])
        name = f"layer {i + 1}" if i < len(rows[0][2]) else "test loss"
        z = [(pick(r)[0] - pick(r)[3]) / pick(r)[1] for r in rows]
        over = sum(1 for x in z if abs(x) > t05)
        d = [pick(r)[0] - pick(r)[3] for r in rows]
        mean_d = sum(d) / k; sd_d = math.sqrt(sum((x - mean_d) ** 2 for x in d) / (k - 1))
        mean_se = math.sqrt(sum(pick(r)[1] ** 2 for r in rows) / k)
        zbar = sum(z) / k; sdz = math.sqrt(sum((x - zbar) ** 2 for x in z) / (k - 1))
        ref = pick(rows[0])[3]
        print(f"{name}: reference {ref:.6f}; mean deviation {mean_d:+.6f} ({100 * mean_d / ref:+.2f} %) +- {sd_d / math.sqrt(k):.6f} "
              f"(z of the mean {mean_d / (sd_d / math.sqrt(k)):+.2f}); seed-to-seed sd {sd_d:.6f} against rms reported se {mean_se:.6f} "
              f"(ratio {sd_d / mean_se:.2f}); sd of z = d/se {sdz:.2f} (expected {spread:.2f}, 95 % range {lo:.2f}-{hi:.2f}); "
              f"|z| > t_{nu}(5 %) = {t05:.3f} in {over} of {k} seeds")
    print(f"lazy-limit test (k = {kfam:.3f} at 0.01 over {len(rows[0][2]) + 1} comparisons, + systematic + 1e-3 relative): "
          f"rejected in {rejected_runs} of {k} seeds")


if __name__ == "__main__":
    main()
