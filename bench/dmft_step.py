#!/usr/bin/env python3
"""Benchmark: one two-layer mean-field DMFT population step, ours vs JAX (jit) and NumPy, in one run.

The step is the population update of notes/verify-antk.md (GV1)-(GV3) (the paper's Algorithm 2),
exactly as ANTKPopulation.run does it per step:

    Delta = y - f (training points),  b[i, mu] = z_i phi'(h_i,mu) Delta_mu
    h <- (1 - lambda dt) h + dt gamma b C_rows        (GV1; C = X X^T / D, rows = training points)
    z <- (1 - lambda dt) z + dt gamma phi(h_old) Delta (GV2)
    f  = <z phi(h)> / gamma on all P + Q points        (GV3)

Ours computes it in the regrouped form (GV23) of the same note (one fused pass over h; Delta folded
into C_rows; when D (P + n) < P n the rank-D form ((g diag(Delta) X_t) X^T) / D). Peers:
  jax      the step as written above, jax.jit of the whole step, float64, block_until_ready;
  jax-same the step regrouped as ours (GV23b/c), jax.jit, float64 (the like-for-like algorithm);
  numpy    the step as written above.
Every side starts from the same deterministic state (Sources/Simulation/GradientFlow/ANTKStepBenchmark.swift):
X[mu, d] = sin(0.7 (mu+1)(d+1)), y[mu] = cos(1.3 mu), h[i, mu] = sin(0.1 i + 0.37 mu) + 0.5 cos(0.013 i mu),
z[i] = cos(0.29 i); gamma = 1, lambda = 1/2, dt = 0.05. Per-step time: median of S timed steps after
2 warm-up steps (jit compilation excluded), best of R runs. After all steps the predictions of every
side must agree with ours to 1e-9 relative (the script exits 1 otherwise).

Rows: one core (taskset -c 0; OPENBLAS_NUM_THREADS=1; XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1) and two cores (defaults), like for like.

Usage: python3 bench/dmft_step.py [--neurons 4096] [--points 100] [--test-points 0] [--dimension 64]
       [--activation relu] [--steps 20] [--repeats 3]    (our binary: .build/release/adaptive-kernels or $AK_BIN)
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels"))
GAMMA, LAM, DT = 1.0, 0.5, 0.05
ONE_CORE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}


def ensure_peers():
    try:
        import jax  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "jax", "jaxlib"], check=True)


def state(np, m, p, q, d):
    n = p + q
    mu = np.arange(n)
    x = np.sin(0.7 * np.outer(mu + 1, np.arange(1, d + 1)))
    y = np.cos(1.3 * mu[:p])
    i = np.arange(m)
    h = np.sin(0.1 * i[:, None] + 0.37 * mu[None, :]) + 0.5 * np.cos(0.013 * np.outer(i, mu))
    z = np.cos(0.29 * i)
    return x, y, h, z


def activation(xp, name, special=None):
    if name == "relu":
        return (lambda h: xp.maximum(h, 0.0)), (lambda h: (h > 0).astype(h.dtype))
    if name == "tanh":
        return xp.tanh, (lambda h: 1 - xp.tanh(h) ** 2)
    if name == "erf":
        return special.erf, (lambda h: 2 / xp.sqrt(xp.pi) * xp.exp(-h * h))
    if name == "identity":
        return (lambda h: h), (lambda h: xp.ones_like(h))
    raise SystemExit(f"unknown activation {name}")


def peer(kind, a):
    """One side's run in this process: JSON with median and min step seconds and the final predictions."""
    m, p, q, d = a.neurons, a.points, a.test_points, a.dimension
    if kind == "numpy":
        import numpy as np
        import scipy.special as special
        x, y, h, z = state(np, m, p, q, d)
        c_rows = x[:p] @ x.T / d
        phi, dphi = activation(np, a.activation, special)

        def step(h, z, f):
            delta = y - f[:p]
            b = z[:, None] * dphi(h[:, :p]) * delta[None, :]
            dz = phi(h[:, :p]) @ delta
            h = (1 - LAM * DT) * h + (DT * GAMMA) * (b @ c_rows)
            z = (1 - LAM * DT) * z + (DT * GAMMA) * dz
            return h, z, (phi(h) * z[:, None]).sum(axis=0) / (GAMMA * m)
        f = (phi(h) * z[:, None]).sum(axis=0) / (GAMMA * m)
        block = lambda r: r  # noqa: E731
        version = f"numpy {np.__version__}"
    else:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import jax.scipy.special as jspecial
        import numpy as np
        x, y, h, z = state(np, m, p, q, d)
        phi, dphi = activation(jnp, a.activation, jspecial)
        x, y, h, z = (jnp.asarray(v) for v in (x, y, h, z))
        c_rows = x[:p] @ x.T / d
        xt, xall = x[:p], x.T / d
        rank = d * (p + p + q) < p * (p + q)

        def step_as_written(h, z, f):
            delta = y - f[:p]
            b = z[:, None] * dphi(h[:, :p]) * delta[None, :]
            dz = phi(h[:, :p]) @ delta
            h = (1 - LAM * DT) * h + (DT * GAMMA) * (b @ c_rows)
            z = (1 - LAM * DT) * z + (DT * GAMMA) * dz
            return h, z, (phi(h) * z[:, None]).sum(axis=0) / (GAMMA * m)

        def step_regrouped(h, z, f):
            # (GV23b/c): b C_rows = g (diag(Delta) C_rows), or ((g diag(Delta) X_t) X^T) / D.
            delta = y - f[:p]
            g = z[:, None] * dphi(h[:, :p])
            dz = phi(h[:, :p]) @ delta
            product = (g @ (delta[:, None] * xt)) @ xall if rank else g @ (delta[:, None] * c_rows)
            h = (1 - LAM * DT) * h + (DT * GAMMA) * product
            z = (1 - LAM * DT) * z + (DT * GAMMA) * dz
            return h, z, (phi(h) * z[:, None]).sum(axis=0) / (GAMMA * m)
        step = jax.jit(step_regrouped if kind == "jax-same" else step_as_written)
        f = jax.jit(lambda h, z: (phi(h) * z[:, None]).sum(axis=0) / (GAMMA * m))(h, z)
        block = lambda r: jax.block_until_ready(r)  # noqa: E731
        version = f"jax {jax.__version__}"
    times = []
    for s in range(2 + a.steps):
        start = time.perf_counter()
        h, z, f = block(step(h, z, f))
        if s >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    return {"median_seconds": times[len(times) // 2], "minimum_seconds": times[0],
            "predictions": [float(v) for v in f], "version": version}


def run_side(kind, a, cores):
    env = dict(os.environ)
    prefix = []
    if cores == 1:
        env.update(ONE_CORE_ENV)
        prefix = ["taskset", "-c", "0"]
    if kind == "ours":
        cmd = [BINARY, "verify", "antk", "--bench", "--neurons", str(a.neurons), "--points", str(a.points),
               "--test-points", str(a.test_points), "--dimension", str(a.dimension), "--activation", a.activation,
               "--steps", str(a.steps)]
    else:
        cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "dmft_step.py"), "--peer", kind] + [
            f"--{k.replace('_', '-')}={v}" for k, v in vars(a).items() if k not in ("peer", "repeats", "cores")]
    out = subprocess.run(prefix + cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main(defaults=None, title="two-layer population DMFT step (GV1)-(GV3)"):
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurons", type=int, default=4096)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--test-points", type=int, default=0)
    ap.add_argument("--dimension", type=int, default=64)
    ap.add_argument("--activation", default="relu")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="whole runs per side, interleaved; the best median is kept")
    ap.add_argument("--cores", default="1,2")
    ap.add_argument("--peer", default=None, help=argparse.SUPPRESS)
    if defaults:
        ap.set_defaults(**defaults)
    a = ap.parse_args()
    if a.peer:
        print(json.dumps(peer(a.peer, a)))
        return
    ensure_peers()
    if not os.path.exists(BINARY):
        raise SystemExit(f"release binary not found at {BINARY} (build with swift build -c release, or set AK_BIN)")
    sides = ["ours", "jax", "jax-same", "numpy"]
    load_before = os.getloadavg()[0]
    results = {}
    for cores in [int(c) for c in a.cores.split(",")]:
        for _ in range(a.repeats):
            for side in sides:
                results.setdefault((cores, side), []).append(run_side(side, a, cores))
    load_after = os.getloadavg()[0]
    print(f"{title}: M = {a.neurons} neurons, P = {a.points} trained + Q = {a.test_points} test points, "
          f"D = {a.dimension}, {a.activation}; median of {a.steps} steps, best of {a.repeats} interleaved runs")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
          f"{load_before:.2f} before, {load_after:.2f} after")
    versions = sorted({r[0]["version"] for k, r in results.items() if k[1] != "ours"})
    print("peers: " + ", ".join(versions) + f"; python {platform.python_version()}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"{'cores':>5} {'side':<10} {'median ms':>10} {'min ms':>9} {'peer/ours':>10} {'max rel diff':>13}")
    worst = 0.0
    for cores in sorted({k[0] for k in results}):
        best = {side: min(results[(cores, side)], key=lambda r: r["median_seconds"]) for side in sides}
        ours = best["ours"]
        reference = ours["predictions"]
        scale = max(abs(v) for v in reference)
        for side in sides:
            r = best[side]
            diff = max(abs(u - v) for u, v in zip(r["predictions"], reference)) / max(scale, 1e-300)
            worst = max(worst, diff)
            ratio = r["median_seconds"] / ours["median_seconds"]
            print(f"{cores:>5} {side:<10} {r['median_seconds'] * 1e3:>10.3f} {r['minimum_seconds'] * 1e3:>9.3f} "
                  f"{ratio:>9.2f}x {diff:>13.1e}")
    if not worst < 1e-9:
        raise SystemExit(f"predictions differ by {worst:.1e} relative: the sides do not compute the same update")


if __name__ == "__main__":
    main()
