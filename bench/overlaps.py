#!/usr/bin/env python3
"""Benchmark: certified whitened overlaps vs mpmath findroot, in one run.

Case A: c_L for every L in 1...1000 at 50 digits, gamma = 1, beta = 10.
Case B: one root at L = 10^6, 50 digits.

Ours: the release binary `adaptive-kernels sweep ... --timings`, once pinned to one core and once
on all cores. Two times each (best of 5): the solve alone, measured inside the process (the
certified roots, enclosures, chi, the action and the decimal digits; what `--timings` calls
"solve"), and the whole process (start-up, parsing, printing). Peer: mpmath findroot at the same
precision (mp.dps = 50 + 10 guard digits) on c = (1 + g c/(b + c)^2)^L, timed inside Python like
our solve (interpreter start-up and import excluded), started from the previous depth's root
(continuation, which favours the peer) and, separately, cold (bracketed Anderson). Every mpmath
root is compared with ours to 48 digits. The ratios compare like with like: peer time / our
in-process solve time; the whole-process ratio is printed too. Requires mpmath.
Usage: python3 bench/overlaps.py
"""
import os
import re
import shutil
import subprocess
import sys
import time

import mpmath as mp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build", "release", "adaptive-kernels")
DIGITS = 50


def ours(depths, cores, repeats=5):
    """(best in-process solve time, best whole-process time, {L: c_L})."""
    cmd = [BINARY, "sweep", "--gamma", "1", "--beta", "10", "--depth", depths, "--digits", str(DIGITS), "--timings"]
    if cores == 1 and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0"] + cmd
    best_solve, best_process, out = None, None, None
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        out = done.stdout
        solve = float(re.search(r"solve ([0-9.]+)", done.stderr).group(1))
        best_solve = solve if best_solve is None else min(best_solve, solve)
        best_process = elapsed if best_process is None else min(best_process, elapsed)
    rows = [line.split(",") for line in out.strip().splitlines()[1:]]
    return best_solve, best_process, {int(r[2]): r[10] for r in rows}


def peer(depths, start_guess, continuation=True):
    """mpmath findroot per depth. continuation: secant from the previous depth's root (the
    strongest set-up: few iterations, correct roots). Cold: bracketed Anderson on [1, 10^6] with
    findroot's residual check off (it rejects most roots at this scale) and 200 steps at most;
    the roots are compared with ours afterwards."""
    mp.mp.dps = DIGITS + 10
    g, b = mp.mpf(1), mp.mpf(1) / 10
    roots, guess = {}, mp.mpf(start_guess)
    start = time.perf_counter()
    for L in depths:
        f = lambda c: c - (1 + g * c / (b + c) ** 2) ** L
        try:
            guess = mp.findroot(f, guess)
            roots[L] = guess
        except ValueError:      # findroot: "Could not find root within given tolerance"
            roots[L] = None
    return time.perf_counter() - start, roots


def agree(a, b):
    return mp.almosteq(mp.mpf(a), b, rel_eps=mp.mpf(10) ** -(DIGITS - 2))


def main():
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, capture_output=True)
    print(f"machine: {os.cpu_count()} cores; digits = {DIGITS}; mpmath {mp.__version__} (backend {mp.libmp.BACKEND})")

    load = os.getloadavg()[0]
    s1, p1, ours_a = ours("1...1000", cores=1)
    sn, pn, _ = ours("1...1000", cores=os.cpu_count())
    tp, peer_a = min((peer(range(1, 1001), 1.5) for _ in range(2)), key=lambda r: r[0])
    tc, peer_c = peer(range(1, 1001), 1.5, continuation=False)
    cold_wrong = [L for L in peer_c if peer_c[L] is None or not agree(ours_a[L], peer_c[L])]
    bad = [L for L in peer_a if peer_a[L] is None or not agree(ours_a[L], peer_a[L])]
    print(f"load average at start: {load:.2f}")
    print(f"A  L = 1..1000   ours, solve in process: 1 core {s1 * 1e3:.1f} ms | all cores {sn * 1e3:.1f} ms"
          f"   (whole process: 1 core {p1 * 1e3:.1f} ms | all cores {pn * 1e3:.1f} ms)")
    print(f"   mpmath findroot, continuation from the previous root: {tp * 1e3:.1f} ms | ratio (1 core) {tp / s1:.1f}x"
          f" | ratio (all cores) {tp / sn:.1f}x | whole-process ratio (1 core) {tp / p1:.1f}x")
    print(f"   mpmath findroot, cold bracketed Anderson on [1, 1e6]:  {tc * 1e3:.1f} ms | ratio (1 core) {tc / s1:.1f}x"
          f" | ratio (all cores) {tc / sn:.1f}x | roots not correct to {DIGITS - 2} digits: {len(cold_wrong)} of 1000")
    print(f"   continuation roots disagreeing with ours beyond {DIGITS - 2} digits: {len(bad)}")

    sb, pb, ours_b = ours("1000000", cores=1)
    # the peer gets the deep-regime estimate L g / W(L g) as its start
    guess = 1e6 / float(mp.lambertw(1e6))
    tq, peer_b = peer([1000000], guess)
    ok = peer_b[1000000] is not None and agree(ours_b[1000000], peer_b[1000000])
    print(f"B  L = 10^6      ours solve {sb * 1e3:.2f} ms (whole process {pb * 1e3:.1f} ms) | mpmath findroot {tq * 1e3:.2f} ms"
          f" | ratio {tq / sb:.1f}x (whole process {tq / pb:.2f}x) | agree: {ok}")
    print(f"   c_(10^6) = {ours_b[1000000]}")
    sys.exit(0 if not bad and ok else 1)


if __name__ == "__main__":
    main()
