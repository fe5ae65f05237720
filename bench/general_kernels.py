#!/usr/bin/env python3
"""Benchmark (BENCHMARKS.md, "General-C aNBK"): P = 2000, L = 16, one run.
  1. the exact reduction (release binary, `kernels --no-check`),
  2. the direct matrix solver (`kernels` with the check, minus 1),
  3. a NumPy gradient min-max on the same data (the paper's Algorithm 1 with exact
     Gaussian Z_l for phi(h) = h): inner ascent on hatPhi, outer descent on Phi, time-boxed.
Requires numpy. usage: nice -n 19 python3 bench/general_kernels.py [--p 2000] [--depth 16] [--budget 120]
  [--skip-matrix] [--skip-minmax] [--repeat N] [--binary PATH] [--log FILE]
With --cpu-budget the min-max is bounded in CPU seconds instead (for a shared machine); the CPU
ratio (min-max CPU / exact-reduction CPU, both all threads) is then the load-independent figure.
The min-max stops when its overlap y'Phi^L y/|y|^2 is within --tolerance (relative) of the exact
reduction's (converged: the measured ratio is then a real ratio) or when the wall budget is spent
(not converged: budget / exact time is a lower bound on the ratio). Every outer step is logged.
Build first: swift build -c release."""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--p", type=int, default=2000); ap.add_argument("--d", type=int, default=100)
ap.add_argument("--depth", type=int, default=16); ap.add_argument("--gamma", default="1"); ap.add_argument("--beta", default="10")
ap.add_argument("--budget", type=float, default=120.0, help="seconds given to the gradient min-max")
ap.add_argument("--cpu-budget", type=float, default=None,
                help="CPU seconds (all threads) given to the min-max instead of a wall budget: independent of machine load")
ap.add_argument("--tolerance", type=float, default=1e-3, help="relative overlap error that counts as converged")
ap.add_argument("--skip-matrix", action="store_true", help="do not run the direct matrix solver (kernels with the check)")
ap.add_argument("--skip-minmax", action="store_true")
ap.add_argument("--repeat", type=int, default=1, help="runs of the exact reduction (the best is reported)")
ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "adaptive-kernels"))
ap.add_argument("--log", default=None, help="append one JSON line per min-max outer step to this file")
args = ap.parse_args()
binary = args.binary
if not os.path.exists(binary): sys.exit("build the release binary first: swift build -c release")

rng = np.random.default_rng(0)
P, D, L = args.p, args.d, args.depth
X = rng.standard_normal((P, D)); y = np.sign(X @ rng.standard_normal(D) + 0.3 * rng.standard_normal(P))
folder = tempfile.mkdtemp(); np.save(f"{folder}/X.npy", X); np.save(f"{folder}/y.npy", y)
base = [binary, "kernels", "--train", f"{folder}/X.npy", "--labels", f"{folder}/y.npy",
        "--gamma", args.gamma, "--beta", args.beta, "--depth", str(L), "--format", "json"]

def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN); return usage.ru_utime + usage.ru_stime
cpu_exact = []   # CPU seconds (user + system, all threads) of each exact-reduction run: independent of machine load
def timed(cmd):
    start = time.perf_counter(); cpu0 = children_cpu(); out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0: sys.exit(out.stderr)
    cpu_exact.append(children_cpu() - cpu0)
    return time.perf_counter() - start, json.loads(out.stdout)
help_text = subprocess.run([binary, "kernels", "--help"], capture_output=True, text=True)
timing_flag = ["--timings"] if "--timings" in help_text.stdout + help_text.stderr else []  # stage times, when the binary has them
runs = [timed(base + ["--no-check"] + timing_flag) for _ in range(max(1, args.repeat))]
t_exact, exact = min(runs, key=lambda r: r[0])
cpu_exact_best = min(cpu_exact[:len(runs)])
exact_runs = [round(r[0], 3) for r in runs]
if args.skip_matrix: t_matrix, both = float("nan"), {}
else:
    t_both, both = timed(base)
    t_matrix = t_both - t_exact
overlap_exact = float(exact["overlap"]["anbk"][-1])
def log(record):
    print(json.dumps(record), file=sys.stderr, flush=True)
    if args.log:
        with open(args.log, "a") as f: f.write(json.dumps(record) + "\n")
log({"exact_reduction_s": exact_runs, "exact_reduction_cpu_s": [round(x, 3) for x in cpu_exact], "overlap_L_exact": overlap_exact, "timings_s": exact.get("timings_s")})
if args.skip_minmax:
    print(json.dumps({"P": P, "L": L, "exact_reduction_s": round(t_exact, 3), "exact_runs_s": exact_runs,
                      "exact_reduction_cpu_s": round(cpu_exact_best, 3),
                      "timings_s": exact.get("timings_s"), "overlap_L_exact": overlap_exact}, indent=2)); sys.exit(0)

# Gradient min-max on the linear action (notes/theory-overview.md (T5)): S = sum_l [-1/2 Tr(Phi^l H^l) + 1/2 ln det(I + Phi^{l-1} H^l)]
# + g/2 y^T (Phi^L + bI)^{-1} y; ascent on H^l, descent on Phi^l.
g = float(eval(args.gamma)) ** 2; b = 1 / float(eval(args.beta)); C = X @ X.T / D; I = np.eye(P)
Phi = [C] + [C.copy() for _ in range(L)]; H = [None] + [np.zeros((P, P)) for _ in range(L)]
lr_in, lr_out, inner = 0.2, 0.2, 3
start = time.perf_counter(); cpu_start = time.process_time(); steps = 0; overlap_mm = float("nan"); converged = False; history = []
def within_budget():
    if args.cpu_budget is not None: return time.process_time() - cpu_start < args.cpu_budget
    return time.perf_counter() - start < args.budget
while within_budget() and not converged:
    for _ in range(inner):
        for l in range(1, L + 1):
            grad = -0.5 * Phi[l] + 0.5 * np.linalg.solve(I + Phi[l - 1] @ H[l], Phi[l - 1])
            H[l] += lr_in * 0.5 * (grad + grad.T)
    v = np.linalg.solve(Phi[L] + b * I, y)
    for l in range(1, L + 1):
        grad = -0.5 * H[l] + (0.5 * H[l + 1] @ np.linalg.inv(I + Phi[l] @ H[l + 1]) if l < L else -0.5 * g * np.outer(v, v))
        Phi[l] -= lr_out * 0.5 * (grad + grad.T)
    steps += 1
    overlap_mm = y @ Phi[L] @ y / (y @ y)
    error = abs(overlap_mm - overlap_exact) / abs(overlap_exact)
    converged = bool(np.isfinite(error) and error <= args.tolerance)
    history.append(round(error, 6))
    log({"step": steps, "elapsed_s": round(time.perf_counter() - start, 1), "cpu_s": round(time.process_time() - cpu_start, 1),
         "overlap_L": overlap_mm, "relative_error": error})
t_mm = time.perf_counter() - start; cpu_mm = time.process_time() - cpu_start
error = abs(overlap_mm - overlap_exact) / abs(overlap_exact)
result = {"P": P, "D": D, "L": L, "gamma": args.gamma, "beta": args.beta,
          "exact_reduction_s": round(t_exact, 3), "matrix_solver_s": round(t_matrix, 3),
          "exact_runs_s": exact_runs, "timings_s": exact.get("timings_s"),
          "exact_reduction_cpu_s": round(cpu_exact_best, 3), "minmax_cpu_s": round(cpu_mm, 1),
          ("cpu_ratio_vs_minmax" if converged else "cpu_ratio_vs_minmax_lower_bound"): round(cpu_mm / cpu_exact_best, 1),
          "minmax_s": round(t_mm, 1), "minmax_outer_steps": steps, "minmax_relative_overlap_error": error,
          "minmax_converged": converged, "minmax_tolerance": args.tolerance, "minmax_error_history": history,
          "overlap_L_exact": overlap_exact, "overlap_L_minmax": overlap_mm,
          "matrix_check": both.get("matrix_check"),
          ("speedup_vs_minmax" if converged else "speedup_vs_minmax_lower_bound"): round(t_mm / t_exact, 1), "speedup_vs_matrix": round(t_matrix / t_exact, 2)}
print(json.dumps(result, indent=2))
