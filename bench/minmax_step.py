#!/usr/bin/env python3
"""One iteration of the min-max aNBK solver (notes/verify-bayes.md, Algorithm 1 as implemented in
Sources/Simulation/Bayesian/MinMaxSolver.swift): ours (release binary, `verify minmax-step`) vs a JAX
port (jax.jit of the whole iteration, float64) and a NumPy port, same problem, same run.

    python3 bench/minmax_step.py [--points 100] [--depth 2] [--samples 100000] [--repeat 5] [--runs 2] [--cores 1,2]

Rows: one core (taskset -c 0, one BLAS thread, XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1) and two cores (defaults), each side in its own process, interleaved,
best of --runs runs. Time per iteration: best and median of --repeat iterations after one untimed
iteration (JAX: after jit compilation). The samples are random (each side its own generator), so the
sides are compared statistically: tr Phi^L / P after the iterations must agree to 2e-3 relative
(the script exits 1 otherwise; seed-to-seed spread at n = 1e5 is about 1e-4).

Problem (shared with `adaptive-kernels verify minmax-step`): x_{mu d} = cos(0.37 mu d + 0.11 mu + 0.05 d),
D = 2P, C = X X^T / D + 0.1 I, y_mu = sin(0.5 mu) normalized, gamma = 1, b = 0.1, phi = tanh.
Per layer and iteration: n x P Gaussian samples from the proposal, phi, importance weights, tilted
moments, inner (dual) trust-region Newton step, reweighting, second moments; then the outer step.
"""
import argparse, json, os, platform, subprocess, sys, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels"))
ONE_CORE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}

def problem(P):
    D = 2 * P
    mu = np.arange(P)[:, None]; d = np.arange(D)[None, :]
    X = np.cos(0.37 * mu * d + 0.11 * mu + 0.05 * d)
    C = X @ X.T / D + 0.1 * np.eye(P)
    y = np.sin(0.5 * np.arange(P)); y /= np.linalg.norm(y)
    return C, y

def sym(a): return 0.5 * (a + a.T)

class MinMax:
    def __init__(self, C, y, gamma, b, L, n, seed, inner=0.5, outer=0.5, trust=0.5, inflation=1.1):
        self.C, self.y, self.g2, self.b, self.L, self.n = C, y, gamma * gamma, b, L, n
        self.rng = np.random.default_rng(seed)
        P = len(y)
        self.Phi = [C.copy() for _ in range(L + 1)]
        self.H = [np.zeros((P, P)) for _ in range(L + 1)]
        self.prop = [C.copy() for _ in range(L + 1)]
        self.inner, self.outer, self.trust, self.inflation = inner, outer, trust, inflation

    def step(self):
        L, n, P = self.L, self.n, len(self.y)
        hh = [None] * (L + 1)
        for l in range(1, L + 1):
            inp, prop = self.Phi[l - 1], self.prop[l]
            try:
                lower = np.linalg.cholesky(prop); plain = False
            except np.linalg.LinAlgError:
                lower = np.linalg.cholesky(inp); plain = True
            plain = plain or np.array_equal(prop, inp)
            h = self.rng.standard_normal((n, P)) @ lower.T
            f = np.tanh(h)
            base = 0.0 if plain else -0.5 * np.einsum('ij,ij->i', h @ (np.linalg.inv(inp) - np.linalg.inv(prop)), h)
            def tilt(H, second):
                lw = base - 0.5 * np.einsum('ij,ij->i', f @ H, f)
                w = np.exp(lw - lw.max()); w /= w.sum()
                s = np.sqrt(w)[:, None]
                fw = f * s; A = fw.T @ fw
                hw = h * s if second else None
                return A, (hw.T @ hw if second else None), 1 / np.sum(w * w)
            A, _, _ = tilt(self.H[l], False)
            phi = self.Phi[l]; inv = np.linalg.inv(phi); r = A - phi
            li = np.linalg.inv(np.linalg.cholesky(phi)); wr = np.linalg.norm(li @ r @ li.T)
            size = self.inner * min(1, self.trust / max(self.inner * wr, 1e-300))
            self.H[l] = sym(self.H[l] + size * inv @ r @ inv)
            A, hh[l], _ = tilt(self.H[l], True)
            self.prop[l] = self.inflation * hh[l]
        targets = [None] * (L + 1)
        for l in range(1, L):
            inv = np.linalg.inv(self.Phi[l]); targets[l] = -inv @ (hh[l + 1] - self.Phi[l]) @ inv
        v = np.linalg.solve(self.Phi[L] + self.b * np.eye(P), self.y); targets[L] = -self.g2 * np.outer(v, v)
        for l in range(1, L + 1):
            G = sym(0.5 * (targets[l] - self.H[l]))
            lower = np.linalg.cholesky(self.Phi[l]); norm = np.linalg.norm(lower.T @ G @ lower)
            size = self.outer * min(1, self.trust / max(self.outer * norm, 1e-300))
            inv = np.linalg.inv(self.Phi[l])
            for _ in range(20):
                cand = inv + size * G
                try:
                    np.linalg.cholesky(cand); break
                except np.linalg.LinAlgError:
                    size *= 0.5
            self.Phi[l] = sym(np.linalg.inv(cand))


def jax_minmax(C, y, gamma, b, L, n, seed, inner=0.5, outer=0.5, trust=0.5, inflation=1.1):
    """The same iteration as MinMax.step, as one jax.jit function (layers unrolled; the Cholesky fallback
    and the outer step's halving by jnp.where / lax.while_loop, since JAX's Cholesky returns NaN on failure)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax
    P = len(y); g2 = gamma * gamma
    C = jnp.asarray(C); y = jnp.asarray(y); eye = jnp.eye(P)
    sym = lambda a: 0.5 * (a + a.T)  # noqa: E731

    def chol(a):
        c = jnp.linalg.cholesky(a)
        return c, jnp.all(jnp.isfinite(c))

    def tilt(h, f, base, H, second):
        lw = base - 0.5 * jnp.einsum('ij,ij->i', f @ H, f)
        w = jnp.exp(lw - lw.max()); w = w / w.sum()
        s = jnp.sqrt(w)[:, None]
        fw = f * s
        if second:
            hw = h * s
            return fw.T @ fw, hw.T @ hw
        return fw.T @ fw, None

    def step(Phi, H, prop, key):
        Phi, H, prop = list(Phi), list(H), list(prop)
        hh = [None] * (L + 1)
        for l in range(1, L + 1):
            key, sub = jax.random.split(key)
            inp, pr = Phi[l - 1], prop[l]
            lp, ok = chol(pr)
            li, _ = chol(inp)
            lower = jnp.where(ok, lp, li)
            plain = jnp.logical_or(~ok, jnp.all(pr == inp))
            h = jax.random.normal(sub, (n, P), dtype=jnp.float64) @ lower.T
            f = jnp.tanh(h)
            base = lax.cond(plain, lambda h: jnp.zeros(n),
                            lambda h: -0.5 * jnp.einsum('ij,ij->i', h @ (jnp.linalg.inv(inp) - jnp.linalg.inv(pr)), h), h)
            A, _ = tilt(h, f, base, H[l], False)
            phi = Phi[l]; inv = jnp.linalg.inv(phi); r = A - phi
            lci = jnp.linalg.inv(jnp.linalg.cholesky(phi)); wr = jnp.linalg.norm(lci @ r @ lci.T)
            size = inner * jnp.minimum(1.0, trust / jnp.maximum(inner * wr, 1e-300))
            H[l] = sym(H[l] + size * inv @ r @ inv)
            A, hh[l] = tilt(h, f, base, H[l], True)
            prop[l] = inflation * hh[l]
        targets = [None] * (L + 1)
        for l in range(1, L):
            inv = jnp.linalg.inv(Phi[l]); targets[l] = -inv @ (hh[l + 1] - Phi[l]) @ inv
        v = jnp.linalg.solve(Phi[L] + b * eye, y); targets[L] = -g2 * jnp.outer(v, v)
        for l in range(1, L + 1):
            G = sym(0.5 * (targets[l] - H[l]))
            lower = jnp.linalg.cholesky(Phi[l]); norm = jnp.linalg.norm(lower.T @ G @ lower)
            size = outer * jnp.minimum(1.0, trust / jnp.maximum(outer * norm, 1e-300))
            inv = jnp.linalg.inv(Phi[l])
            size, _ = lax.while_loop(lambda s: (~chol(inv + s[0] * G)[1]) & (s[1] < 20),
                                     lambda s: (0.5 * s[0], s[1] + 1), (size, 0))
            Phi[l] = sym(jnp.linalg.inv(inv + size * G))
        return tuple(Phi), tuple(H), tuple(prop), key

    state = (tuple(C for _ in range(L + 1)), tuple(jnp.zeros((P, P)) for _ in range(L + 1)),
             tuple(C for _ in range(L + 1)), jax.random.PRNGKey(seed))
    return jax.jit(step), state, jax.__version__


def peer(kind, a):
    C, y = problem(a.points)
    times = []
    if kind == 'numpy':
        mm = MinMax(C, y, 1.0, 0.1, a.depth, a.samples, seed=1)
        for t in range(a.repeat + 1):
            t0 = time.perf_counter(); mm.step(); dt = time.perf_counter() - t0
            if t > 0: times.append(dt)
        phi, version = mm.Phi[a.depth], f"numpy {np.__version__}"
    else:
        import jax
        step, state, v = jax_minmax(C, y, 1.0, 0.1, a.depth, a.samples, seed=1)
        for t in range(a.repeat + 1):
            t0 = time.perf_counter(); state = jax.block_until_ready(step(*state)); dt = time.perf_counter() - t0
            if t > 0: times.append(dt)
        phi, version = np.asarray(state[0][a.depth]), f"jax {v}"
    times.sort()
    return {"best": times[0], "median": times[len(times) // 2], "trace": float(np.trace(phi) / a.points), "version": version}


def run_side(kind, a, cores):
    env = dict(os.environ); prefix = []
    if cores == 1:
        env.update(ONE_CORE_ENV); prefix = ["taskset", "-c", "0"]
    if kind == "ours":
        out = subprocess.run(prefix + [BINARY, 'verify', 'minmax-step', '--points', str(a.points), '--depth', str(a.depth),
                                       '--samples', str(a.samples), '--activation', 'tanh', '--repeat', str(a.repeat)],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
        return {"best": float(out.split('best ')[1].split(' s')[0]), "median": float(out.split('median ')[1].split(' s')[0]),
                "trace": float(out.split('P = ')[-1].rstrip(')')), "version": "ours"}
    cmd = [sys.executable, os.path.abspath(__file__), '--peer', kind, '--points', str(a.points), '--depth', str(a.depth),
           '--samples', str(a.samples), '--repeat', str(a.repeat)]
    return json.loads(subprocess.run(prefix + cmd, env=env, capture_output=True, text=True, check=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--points', type=int, default=100); ap.add_argument('--depth', type=int, default=2)
    ap.add_argument('--samples', type=int, default=100000); ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--runs', type=int, default=2); ap.add_argument('--cores', default='1,2')
    ap.add_argument('--peer', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        print(json.dumps(peer(a.peer, a))); return
    try:
        import jax  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', 'jax', 'jaxlib'], check=True)
    if not os.path.exists(BINARY):
        raise SystemExit(f"release binary not found at {BINARY} (swift build -c release, or set AK_BIN)")
    sides = ['ours', 'jax', 'numpy']
    load_before = os.getloadavg()[0]
    results = {}
    for cores in [int(c) for c in a.cores.split(',')]:
        for _ in range(a.runs):
            for side in sides:
                results.setdefault((cores, side), []).append(run_side(side, a, cores))
    load_after = os.getloadavg()[0]
    print(f"min-max iteration (Algorithm 1): P = {a.points}, L = {a.depth}, tanh, n = {a.samples} samples per layer; "
          f"best / median of {a.repeat} iterations, best of {a.runs} interleaved runs")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average {load_before:.2f} before, {load_after:.2f} after")
    print("peers: " + ", ".join(sorted({r[0]['version'] for k, r in results.items() if k[1] != 'ours'})) + f"; python {platform.python_version()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"{'cores':>5} {'side':<6} {'best s':>8} {'median s':>9} {'peer/ours best':>15} {'median':>7} {'tr Phi^L/P':>11}")
    worst = 0.0
    for cores in sorted({k[0] for k in results}):
        best = {side: min(results[(cores, side)], key=lambda r: r['best']) for side in sides}
        med = {side: min(r['median'] for r in results[(cores, side)]) for side in sides}
        for side in sides:
            r = best[side]
            worst = max(worst, abs(r['trace'] / best['ours']['trace'] - 1))
            print(f"{cores:>5} {side:<6} {r['best']:>8.4f} {med[side]:>9.4f} {r['best'] / best['ours']['best']:>14.2f}x "
                  f"{med[side] / med['ours']:>6.2f}x {r['trace']:>11.6f}")
    if not worst < 2e-3:
        raise SystemExit(f"tr Phi^L / P differs by {worst:.1e} relative: the sides do not run the same algorithm")


if __name__ == '__main__':
    main()
