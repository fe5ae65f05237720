#!/usr/bin/env python3
"""Benchmark: one step of the two-layer CNN's population DMFT, ours vs JAX (jit) and NumPy, time and
memory against the number of training points P and of patch positions |P|, in one run.

The step is one iteration of CNNPopulation.run (notes/cnn-two-layer.md (CN6)): M sites with fields h on
the n |P| (point, position) pseudo-points and readouts z,

    psi[i, nu] = |P|^-1 sum_p phi(h[i, (nu, p)]),   f = z psi / (gamma M),   Delta = y - f
    b[i, (mu, p)] = z_i phi'(h[i, (mu, p)]) Delta_mu / |P|,   dz_i = sum_mu psi[i, mu] Delta_mu
    h <- (1 - lambda dt) h + dt gamma b C,   z <- (1 - lambda dt) z + dt gamma dz,   then psi, f again

with the patch tensor C = A A^T ((n |P|)^2 entries; A the scaled patch matrix, n |P| x K^2). Sides:
  ours        b C applied through the factor, (b A) A^T ((CN6)(i)): memory O(M n |P|), no tensor;
  jax-factor  the same regrouping, jax.jit, float64 (the like-for-like algorithm);
  jax-tensor  the update as written, with C formed once (the tensor kernel whose size grows with
              positions squared), jax.jit, float64; skipped where C would exceed --tensor-limit-gb;
  numpy       the factor form in NumPy.
Every side starts from the same deterministic state (Sources/Simulation/GradientFlow/CNNStepBenchmark.swift):
H x H x 1 images X[mu, j] = sin(0.7 (mu+1)(j+1)), y[mu] = cos(1.3 mu), h[i, r] = sin(0.1 i + 0.37 r) +
0.5 cos(0.013 i r), z[i] = cos(0.29 i); ReLU, gamma = 1, lambda = 1/2, dt = 0.05; 3 x 3 patches at
stride 1, so |P| = (H - 2)^2 (H = 5, 8, 14: 9, 36, 144 positions). Per-step time: median of S timed steps
after 2 warm-up steps (jit compilation excluded), best of R interleaved runs, one core (taskset -c 0,
single-threaded BLAS and XLA). Memory: the peak resident set of each side's process (ru_maxrss; the
JAX and NumPy processes include their interpreter and libraries: see the "idle" rows). After all
steps every side's predictions must agree with ours to 1e-9 relative (exit status 1 otherwise).

Usage: python3 bench/cnn_step.py [--sites 256] [--points 50,200] [--image-sizes 5,8,14] [--steps 5] [--repeats 2]
       (our binary: .build/release/adaptive-kernels or $AK_BIN)
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels"))
GAMMA, LAM, DT, K = 1.0, 0.5, 0.05, 3
ONE_CORE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}


def ensure_peers():
    try:
        import jax  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "jax", "jaxlib"], check=True)


def state(np, m, p, size):
    """Patch matrix A (n |P| x K^2, point-major, scaled by 1/K), labels, fields and readouts."""
    d = size * size
    x = np.sin(0.7 * np.outer(np.arange(1, p + 1), np.arange(1, d + 1))).reshape(p, size, size)
    rows = size - K + 1
    a = np.zeros((p, rows, rows, K * K))
    for dr in range(K):
        for dc in range(K):
            a[:, :, :, dr * K + dc] = x[:, dr:dr + rows, dc:dc + rows]
    a = a.reshape(p * rows * rows, K * K) / K
    y = np.cos(1.3 * np.arange(p))
    i = np.arange(m)
    r = np.arange(p * rows * rows)
    h = np.sin(0.1 * i[:, None] + 0.37 * r[None, :]) + 0.5 * np.cos(0.013 * np.outer(i, r))
    z = np.cos(0.29 * i)
    return a, y, h, z, rows * rows


def peer(kind, args):
    m, p, size = args.sites, args.points[0], args.image_sizes[0]
    if kind == "idle-jax":
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        jax.block_until_ready(jnp.ones(4) * 2)
        return {"version": f"jax {jax.__version__}"}
    if kind == "idle-numpy":
        import numpy as np
        return {"version": f"numpy {np.__version__}"}
    if kind == "numpy":
        import numpy as xp
        block = lambda r: r  # noqa: E731
        version = f"numpy {xp.__version__}"
    else:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as xp
        block = jax.block_until_ready
        version = f"jax {jax.__version__}"
    import numpy as np
    a, y, h, z, q = state(np, m, p, size)
    a, y, h, z = (xp.asarray(v) for v in (a, y, h, z))
    tensor = a @ a.T if kind == "jax-tensor" else None

    def features(h, z):
        psi = xp.maximum(h, 0.0).reshape(m, p, q).mean(axis=2)
        return psi, (z @ psi) / (GAMMA * m)

    def step(h, z, f):
        psi = xp.maximum(h, 0.0).reshape(m, p, q).mean(axis=2)
        delta = y - f
        b = (z[:, None, None] * (h > 0).astype(h.dtype).reshape(m, p, q) * (delta / q)[None, :, None]).reshape(m, p * q)
        dz = psi @ delta
        product = b @ tensor if tensor is not None else (b @ a) @ a.T
        h = (1 - LAM * DT) * h + (DT * GAMMA) * product
        z = (1 - LAM * DT) * z + (DT * GAMMA) * dz
        return h, z, features(h, z)[1]
    if kind != "numpy":
        step = jax.jit(step)
    f = features(h, z)[1]
    times = []
    for s in range(2 + args.steps):
        start = time.perf_counter()
        h, z, f = block(step(h, z, f))
        if s >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    return {"median_seconds": times[len(times) // 2], "minimum_seconds": times[0],
            "predictions": [float(v) for v in f], "version": version}


def run_measured(kind, m, p, size, steps):
    """Runs one side in a fresh child and returns its result with the child's own peak RSS (wait4)."""
    env = dict(os.environ)
    env.update(ONE_CORE_ENV)
    if kind == "ours":
        cmd = [BINARY, "verify", "cnn", "--bench", "--sites", str(m), "--points", str(p), "--image-size", str(size),
               "--patch", str(K), "--stride", "1", "--steps", str(steps)]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--peer", kind, "--sites", str(m), "--points", str(p),
               "--image-sizes", str(size), "--steps", str(steps)]
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.dup2(out_w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.environ.update(env)
        os.execvp("taskset", ["taskset", "-c", "0"] + cmd)
    os.close(out_w)
    chunks = []
    while True:
        chunk = os.read(out_r, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(out_r)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{kind} (P = {p}, image {size}) failed with status {os.waitstatus_to_exitcode(status)}")
    result = json.loads(b"".join(chunks).decode())
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=256)
    ap.add_argument("--points", default="50,200")
    ap.add_argument("--image-sizes", default="5,8,14")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--tensor-limit-gb", type=float, default=1.5)
    ap.add_argument("--peer", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.points = [int(v) for v in str(a.points).split(",")]
    a.image_sizes = [int(v) for v in str(a.image_sizes).split(",")]
    if a.peer:
        print(json.dumps(peer(a.peer, a)))
        return
    ensure_peers()
    if not os.path.exists(BINARY):
        raise SystemExit(f"release binary not found at {BINARY} (build with swift build -c release, or set AK_BIN)")
    load_before = os.getloadavg()
    idle = {k: run_measured(k, 1, 1, 3, 1) for k in ("idle-jax", "idle-numpy")}
    print(f"CNN population DMFT step (notes/cnn-two-layer.md (CN6)): M = {a.sites} sites, 3x3 patches at stride 1, ReLU; "
          f"median of {a.steps} steps, best of {a.repeats} interleaved runs, one core (taskset -c 0)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average before "
          + " ".join(f"{x:.2f}" for x in load_before))
    print(f"peers: {idle['idle-jax']['version']}, {idle['idle-numpy']['version']}; python {platform.python_version()}; "
          f"idle process peak RSS: jax {idle['idle-jax']['rss_mb']:.0f} MB, numpy {idle['idle-numpy']['rss_mb']:.0f} MB")
    print(f"{'P':>5} {'|P|':>5} {'n|P|':>7} {'fields MB':>9} {'tensor MB':>9}  {'side':<11} {'median ms':>10} {'peer/ours':>9} "
          f"{'peak RSS MB':>11} {'max rel diff':>12}")
    worst = 0.0
    for p in a.points:
        for size in a.image_sizes:
            q = (size - K + 1) ** 2
            tensor_gb = (p * q) ** 2 * 8 / 1e9
            sides = ["ours", "jax-factor", "numpy"] + (["jax-tensor"] if tensor_gb <= a.tensor_limit_gb else [])
            runs = {}
            for _ in range(a.repeats):
                for side in sides:
                    runs.setdefault(side, []).append(run_measured(side, a.sites, p, size, a.steps))
            best = {side: min(runs[side], key=lambda r: r["median_seconds"]) for side in sides}
            reference = best["ours"]["predictions"]
            scale = max(abs(v) for v in reference)
            for side in sides + ([] if "jax-tensor" in sides else ["jax-tensor"]):
                head = f"{p:>5} {q:>5} {p * q:>7} {a.sites * p * q * 8 / 1e6:>9.1f} {tensor_gb * 1e3:>9.1f}  {side:<11}"
                if side not in best:
                    print(head + f" {'skipped: the tensor alone would need ' + format(tensor_gb, '.1f') + ' GB':>40}")
                    continue
                r = best[side]
                diff = max(abs(u - v) for u, v in zip(r["predictions"], reference)) / max(scale, 1e-300)
                worst = max(worst, diff)
                ratio = r["median_seconds"] / best["ours"]["median_seconds"]
                print(head + f" {r['median_seconds'] * 1e3:>10.2f} {ratio:>8.2f}x {max(r['rss_mb'] for r in runs[side]):>11.0f} {diff:>12.1e}")
    print("load average after " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if not worst < 1e-9:
        raise SystemExit(f"predictions differ by {worst:.1e} relative: the sides do not compute the same update")


if __name__ == "__main__":
    main()
