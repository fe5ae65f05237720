#!/usr/bin/env python3
"""Benchmark: one two-layer mean-field DMFT step, Swift vs NumPy, in one run.

The step is the population update of notes/verify-antk.md (GV1)-(GV3) with ReLU (the paper's
Algorithm 2), exactly as ANTKPopulation.run does it per step:

    Delta = y - f,  b[i, mu] = z_i phi'(h_i,mu) Delta_mu
    h <- (1 - lambda dt) h + dt gamma b C          (GV1; C = X X^T / D, all P points trained)
    z <- (1 - lambda dt) z + dt gamma phi(h_old) Delta   (GV2)
    f  = <z phi(h)> / gamma                         (GV3)

Both sides start from the same deterministic state (Sources/Verify/ANTKStepBenchmark.swift):
X[mu, d] = sin(0.7 (mu+1)(d+1)), D = 64; y[mu] = cos(1.3 mu);
h[i, mu] = sin(0.1 i + 0.37 mu) + 0.5 cos(0.013 i mu); z[i] = cos(0.29 i); gamma = 1, lambda = 1/2, dt = 0.05.
After 2 warm-up and S timed steps the predictions of both are compared (must agree to 1e-9 relative).

Ours: `adaptive-kernels verify antk --bench --neurons M --points P --steps S` (release build), the
per-step time measured inside the process (median of S). Peer: the same step in NumPy (float64,
same BLAS library family as NumPy ships), median of S, timed with perf_counter.
Usage: nice -n 19 python3 bench/dmft_step.py [--neurons 4096] [--points 100] [--steps 20]
"""
import argparse
import json
import os
import platform
import subprocess
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build", "release", "adaptive-kernels")
GAMMA, LAM, DT, D = 1.0, 0.5, 0.05, 64


def state(m, p):
    mu = np.arange(p)
    x = np.sin(0.7 * np.outer(mu + 1, np.arange(1, D + 1)))
    c = x @ x.T / D
    y = np.cos(1.3 * mu)
    i = np.arange(m)
    h = np.sin(0.1 * i[:, None] + 0.37 * mu[None, :]) + 0.5 * np.cos(0.013 * np.outer(i, mu))
    z = np.cos(0.29 * i)
    return c, y, h, z


def predictions(h, z, m):
    return (np.maximum(h, 0.0) * z[:, None]).sum(axis=0) / (GAMMA * m)


def step(c, y, h, z, f, m):
    delta = y - f
    b = z[:, None] * (h > 0) * delta[None, :]
    dz = np.maximum(h, 0.0) @ delta
    h = (1 - LAM * DT) * h + (DT * GAMMA) * (b @ c)
    z = (1 - LAM * DT) * z + (DT * GAMMA) * dz
    return h, z, predictions(h, z, m)


def peer(m, p, steps, warmup=2):
    c, y, h, z = state(m, p)
    f = predictions(h, z, m)
    times = []
    for s in range(warmup + steps):
        start = time.perf_counter()
        h, z, f = step(c, y, h, z, f, m)
        if s >= warmup:
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], times[0], f


def ours(m, p, steps):
    out = subprocess.run([BINARY, "verify", "antk", "--bench", "--neurons", str(m), "--points", str(p),
                          "--steps", str(steps)], check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["median_seconds"], r["minimum_seconds"], np.array(r["predictions"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurons", type=int, default=4096)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="whole runs per side; the best median is kept")
    a = ap.parse_args()
    results = {"ours": [], "numpy": []}
    for _ in range(a.repeats):
        results["ours"].append(ours(a.neurons, a.points, a.steps))
        results["numpy"].append(peer(a.neurons, a.points, a.steps))
    o = min(results["ours"], key=lambda r: r[0])
    n = min(results["numpy"], key=lambda r: r[0])
    diff = np.max(np.abs(o[2] - n[2])) / max(1e-300, np.max(np.abs(n[2])))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; numpy {np.__version__}")
    print(f"two-layer ReLU population DMFT step (GV1)-(GV3): M = {a.neurons} neurons, P = {a.points} points, D = {D}, "
          f"{a.steps} timed steps, best of {a.repeats} runs (median step)")
    print(f"  ours (Swift, release): median {o[0] * 1e3:.3f} ms, min {o[1] * 1e3:.3f} ms")
    print(f"  NumPy                : median {n[0] * 1e3:.3f} ms, min {n[1] * 1e3:.3f} ms")
    print(f"  ratio NumPy / ours (median): {n[0] / o[0]:.2f}x")
    print(f"  predictions after {a.steps + 2} steps agree: max relative difference {diff:.2e}")
    if not diff < 1e-9:
        raise SystemExit("predictions differ: the two sides do not compute the same update")


if __name__ == "__main__":
    main()
