#!/usr/bin/env python3
"""One outer iteration of the data solver of `adaptive-kernels anbk` (notes/anbk-data.md: the
population sampler (NB12)-(NB13), the matrix-free damped Fisher-Newton inner step (NB2)-(NB5b), the
outer step (notes/verify-bayes.md (V11)) with the lag bound (NB17c)): ours (release binary,
`verify minmax-step --solver data`) vs the same iteration in JAX (jax.jit of the whole iteration,
float64, CPU) and in NumPy, at P = 100 and 200, in one run.

    python3 bench/anbk_step.py [--points 100,200] [--samples 8000] [--repeat 3] [--runs 4] [--cores 2]

Per layer and iteration (L = 1 here): the walkers' tilt under the new map, adaptive tempering and
systematic resampling when the ESS would fall below n/2, two elliptical slice sweeps of every walker,
h = G e and phi(h), the tilted moments, up to 8 preconditioned CG iterations of the damped Fisher
equation on the first 2000 samples, the inner step with its trust radius on the whitened spectral
norm (NB17b) and the ESS halvings, the second moments; then the outer step in the inverse chart,
halved while it is not positive definite or carries Phi past the sampled moment by more than the
lag bound (NB17c). Problem (shared with `verify minmax-step`):
x_{mu d} = cos(0.37 mu d + 0.11 mu + 0.05 d), D = 2P, C = X X^T / D + 0.1 I, y_mu = sin(0.5 mu)
normalized, gamma = 1, b = 0.1, phi = ReLU, lazy start (V42: Phi^1 the arc-cosine kernel of C).

Rows: each side in its own process, interleaved, best of --runs runs; per run the best and the median
of --repeat iterations after 2 untimed ones (JAX: after jit compilation). The walkers are random
(each side its own generator), so the sides are compared statistically, with a tolerance derived
from the quantity's own seed-to-seed scatter (notes/anbk-data.md (NB20)): run r of every side uses
seed r (1...--runs), so each side gives --runs independent values of y^T Phi^1 y after the
iterations; the scatter s is pooled over the three sides (3 (runs - 1) degrees of freedom), and a
peer's mean must lie within t s sqrt(2 / runs) of ours, t the two-sided 0.1 % quantile of Student's t
at those degrees of freedom (a false alarm in 1 of 1000 comparisons of the same algorithm). The
script exits 1 otherwise. One value per side (--runs 1) has no scatter: the check is then skipped.
"""
import argparse, json, os, platform, subprocess, sys, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels"))
ONE_CORE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}
GAMMA, RIDGE = 1.0, 0.1
INNER, OUTER, TRUST, DAMPING, CG_STEPS, CG_TOL, FISHER, SWEEPS, LAG = 0.5, 0.5, 0.5, 0.1, 8, 0.1, 2000, 2, 8.0


def problem(P):
    D = 2 * P
    mu = np.arange(P)[:, None]; d = np.arange(D)[None, :]
    X = np.cos(0.37 * mu * d + 0.11 * mu + 0.05 * d)
    C = X @ X.T / D + 0.1 * np.eye(P)
    y = np.sin(0.5 * np.arange(P)); y /= np.linalg.norm(y)
    return C, y


def relu_kernel(K):
    """The lazy ReLU kernel (arc-cosine, notes/verify-bayes.md (V42))."""
    g = np.sqrt(np.diag(K)); n = np.outer(g, g); t = np.arccos(np.clip(K / n, -1, 1))
    return n * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi)


def sym(a): return 0.5 * (a + a.T)


def ess(lw):
    w = np.exp(lw - lw.max()); return w.sum() ** 2 / (w * w).sum()


class DataStep:
    """The iteration of MinMaxSolver.step with sampler .smc and the CG inner step, L = 1, no test points."""

    def __init__(self, C, y, n, seed):
        self.C, self.y, self.n, self.P = C, y, n, len(y)
        self.rng = np.random.default_rng(seed)
        self.Phi = relu_kernel(C); self.H = np.zeros_like(C)
        self.G = np.linalg.cholesky(C)          # layer 1's map: Phi^0 = C is fixed
        self.e = self.rng.standard_normal((n, self.P)); self.lw = np.zeros(n)
        self.ref_H = np.zeros_like(C); self.ref_T = np.zeros(n)

    def tilt(self, e, H):
        f = np.maximum(e @ self.G.T, 0.0)
        return -0.5 * np.einsum('ij,ij->i', f @ H, f)

    def resample(self, caches):
        w = np.exp(self.lw - self.lw.max()); c = np.cumsum(w / w.sum())
        idx = np.minimum(np.searchsorted(c, (np.arange(self.n) + self.rng.random()) / self.n), self.n - 1)
        self.e = self.e[idx]; self.lw = np.zeros(self.n)
        return [x[idx] for x in caches]

    def move(self, terms, caches):
        """Elliptical slice sampling (Murray, Adams, MacKay 2010) for N(0, I) exp(sum_k c_k T_k)."""
        n = self.n
        for _ in range(SWEEPS):
            nu = self.rng.standard_normal(self.e.shape)
            level = sum(c * v for (c, _), v in zip(terms, caches)) + np.log(self.rng.random(n))
            theta = 2 * np.pi * self.rng.random(n); lo, hi = theta - 2 * np.pi, theta.copy()
            active = np.arange(n)
            for _ in range(60):
                if active.size == 0: break
                ct, st = np.cos(theta[active])[:, None], np.sin(theta[active])[:, None]
                prop = ct * self.e[active] + st * nu[active]
                vals = [self.tilt(prop, H) for _, H in terms]
                value = sum(c * v for (c, _), v in zip(terms, vals))
                ok = value > level[active]
                acc = active[ok]
                self.e[acc] = prop[ok]
                for k in range(len(caches)): caches[k][acc] = vals[k][ok]
                rej = active[~ok]; th = theta[rej]
                lo[rej] = np.where(th < 0, th, lo[rej]); hi[rej] = np.where(th < 0, hi[rej], th)
                theta[rej] = lo[rej] + (hi[rej] - lo[rej]) * self.rng.random(rej.size)
                active = rej
        return caches

    def advance(self, H):
        floor = 0.5 * self.n
        caches = [self.ref_T, self.tilt(self.e, H)]
        if ess(self.lw) < floor: caches = self.resample(caches)
        alpha = 0.0
        while alpha < 1:
            delta = caches[1] - caches[0]
            nxt = 1.0
            if ess(self.lw + (1 - alpha) * delta) < floor:
                lo_, hi_ = alpha, 1.0
                for _ in range(50):
                    mid = 0.5 * (lo_ + hi_)
                    if ess(self.lw + (mid - alpha) * delta) >= floor: lo_ = mid
                    else: hi_ = mid
                nxt = lo_
            self.lw = self.lw + (nxt - alpha) * delta; alpha = nxt
            if alpha < 1:
                caches = self.resample(caches)
                caches = self.move([(1 - alpha, self.ref_H), (alpha, H)], caches)
        last = [caches[1]]
        if ess(self.lw) < floor: last = self.resample(last)
        last = self.move([(1.0, H)], last)
        return last[0]

    def moments(self, f, base, H, second, h=None):
        lw = base - 0.5 * np.einsum('ij,ij->i', f @ H, f)
        w = np.exp(lw - lw.max()); w /= w.sum()
        s = np.sqrt(w)[:, None]; fw = f * s
        return fw.T @ fw, ((h * s).T @ (h * s) if second else None), 1 / np.sum(w * w), w

    def cg(self, r, phi, inv, f, w):
        m = min(self.n, max(FISHER, 2 * self.P))
        F = f[:m]; ww = w[:m] / w[:m].sum()
        A = (F * ww[:, None]).T @ F

        def apply(U):
            q = np.einsum('ij,ij->i', F @ U, F) * ww
            return sym((F * q[:, None]).T @ F - q.sum() * A + 2 * DAMPING * phi @ U @ phi)
        pre = lambda X: 0.5 * inv @ X @ inv  # noqa: E731
        x = np.zeros_like(r); res = 2 * r; z = pre(res); d = z; rz = np.sum(res * z); start = rz
        for _ in range(CG_STEPS):
            md = apply(d); curv = np.sum(d * md)
            if not curv > 0: return None
            a = rz / curv; x = x + a * d; res = res - a * md
            z = pre(res); nxt = np.sum(res * z)
            if nxt <= CG_TOL * CG_TOL * start: break
            d = z + nxt / rz * d; rz = nxt
        return sym(x)

    def step(self):
        n, P = self.n, self.P
        T = self.advance(self.H)
        h = self.e @ self.G.T; f = np.maximum(h, 0.0); base = self.lw - T
        A, _, e0, w = self.moments(f, base, self.H, False)
        phi = self.Phi; inv = np.linalg.inv(phi); lower = np.linalg.cholesky(phi); r = A - phi
        D = self.cg(r, phi, inv, f, w)
        if D is None: D = inv @ r @ inv
        ws = np.abs(np.linalg.eigvalsh(sym(lower.T @ D @ lower))).max()      # (NB17b): the spectral norm
        size = INNER * min(1, TRUST / max(INNER * ws, 1e-300))
        prev = self.H
        self.H = sym(prev + size * D)
        A, hh, e1, _ = self.moments(f, base, self.H, True, h)
        k = 0
        while e1 < 0.5 * e0 and k < 10:
            size *= 0.5; k += 1
            self.H = sym(prev + size * D)
            A, hh, e1, _ = self.moments(f, base, self.H, True, h)
        Tn = -0.5 * np.einsum('ij,ij->i', f @ self.H, f)
        self.lw = base + Tn; self.ref_H = self.H; self.ref_T = Tn
        v = np.linalg.solve(phi + RIDGE * np.eye(P), self.y); target = -GAMMA ** 2 * np.outer(v, v)
        Gr = sym(0.5 * (target - self.H))
        norm = np.linalg.norm(lower.T @ Gr @ lower)
        size = OUTER * min(1, TRUST / max(OUTER * norm, 1e-300))
        Fi = np.linalg.inv(np.linalg.cholesky(A))                           # (NB17c): the lag bound
        lag = lambda X: np.linalg.eigvalsh(sym(Fi @ X @ Fi.T)).max()  # noqa: E731
        bound = max(LAG, lag(phi)); new = phi
        for _ in range(20):
            cand = sym(np.linalg.inv(inv + size * Gr))
            if np.all(np.linalg.eigvalsh(cand) > 0) and lag(cand) <= bound: new = cand; break
            size *= 0.5
        self.Phi = new


def jax_step(C, y, n, seed):
    """The same iteration as DataStep.step as one jax.jit function. JAX has static shapes: the slice
    sampler's shrink loop evaluates every walker (masked) until all have accepted, tempering is a
    lax.while_loop, the CG a lax.fori_loop with a done flag."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax
    P = len(y); C = jnp.asarray(C); y = jnp.asarray(y); eye = jnp.eye(P); G = jnp.linalg.cholesky(C)
    floor = 0.5 * n
    symj = lambda a: 0.5 * (a + a.T)  # noqa: E731

    def essj(lw):
        w = jnp.exp(lw - lw.max()); return w.sum() ** 2 / (w * w).sum()

    def tilt(e, H):
        f = jnp.maximum(e @ G.T, 0.0); return -0.5 * jnp.einsum('ij,ij->i', f @ H, f)

    def resample(key, e, lw, caches):
        w = jnp.exp(lw - lw.max()); c = jnp.cumsum(w / w.sum())
        idx = jnp.minimum(jnp.searchsorted(c, (jnp.arange(n) + jax.random.uniform(key)) / n), n - 1)
        return e[idx], jnp.zeros(n), tuple(x[idx] for x in caches)

    def move(key, e, c0, H0, c1, H1, caches):
        def sweep(carry, k):
            e, caches = carry
            k1, k2, k3, k4 = jax.random.split(k, 4)
            nu = jax.random.normal(k1, e.shape, dtype=jnp.float64)
            level = c0 * caches[0] + c1 * caches[1] + jnp.log(jax.random.uniform(k2, (n,)))
            theta = 2 * jnp.pi * jax.random.uniform(k3, (n,))

            def body(s):
                e, v0, v1, theta, lo, hi, active, i, key = s
                key, sub = jax.random.split(key)
                prop = jnp.cos(theta)[:, None] * e + jnp.sin(theta)[:, None] * nu
                p0 = tilt(prop, H0) if H0 is not None else jnp.zeros(n)
                p1 = tilt(prop, H1)
                ok = active & (c0 * p0 + c1 * p1 > level)
                e = jnp.where(ok[:, None], prop, e); v0 = jnp.where(ok, p0, v0); v1 = jnp.where(ok, p1, v1)
                rej = active & ~ok
                lo = jnp.where(rej & (theta < 0), theta, lo); hi = jnp.where(rej & (theta >= 0), theta, hi)
                theta = jnp.where(rej, lo + (hi - lo) * jax.random.uniform(sub, (n,)), theta)
                return e, v0, v1, theta, lo, hi, rej, i + 1, key
            s = (e, caches[0], caches[1], theta, theta - 2 * jnp.pi, theta, jnp.ones(n, bool), 0, k4)
            s = lax.while_loop(lambda s: jnp.any(s[6]) & (s[7] < 60), body, s)
            return (s[0], (s[1], s[2])), None
        (e, caches), _ = lax.scan(sweep, (e, caches), jax.random.split(key, SWEEPS))
        return e, caches

    def advance(key, e, lw, refH, refT, H):
        caches = (refT, tilt(e, H))
        k0, key = jax.random.split(key)
        e, lw, caches = lax.cond(essj(lw) < floor, lambda a: resample(k0, *a), lambda a: a, (e, lw, caches))

        def body(s):
            e, lw, caches, alpha, key = s
            key, k1, k2 = jax.random.split(key, 3)
            delta = caches[1] - caches[0]

            def bisect(_):
                def b(i, lh):
                    mid = 0.5 * (lh[0] + lh[1]); good = essj(lw + (mid - alpha) * delta) >= floor
                    return jnp.where(good, mid, lh[0]), jnp.where(good, lh[1], mid)
                return lax.fori_loop(0, 50, b, (alpha, 1.0))[0]
            nxt = lax.cond(essj(lw + (1 - alpha) * delta) < floor, bisect, lambda _: 1.0, None)
            lw = lw + (nxt - alpha) * delta

            def temper(a):
                e, lw, caches = a
                e, lw, caches = resample(k1, e, lw, caches)
                e, caches = move(k2, e, 1 - nxt, refH, nxt, H, caches)
                return e, lw, caches
            e, lw, caches = lax.cond(nxt < 1, temper, lambda a: a, (e, lw, caches))
            return e, lw, caches, nxt, key
        e, lw, caches, _, key = lax.while_loop(lambda s: (s[3] < 1), body, (e, lw, caches, 0.0, key))
        k1, k2 = jax.random.split(key)
        last = (caches[1],)
        e, lw, last = lax.cond(essj(lw) < floor, lambda a: resample(k1, *a), lambda a: a, (e, lw, last))
        e, (_, T) = move(k2, e, 0.0, None, 1.0, H, (jnp.zeros(n), last[0]))
        return e, lw, T

    def moments(f, base, H, h=None):
        lw = base - 0.5 * jnp.einsum('ij,ij->i', f @ H, f)
        w = jnp.exp(lw - lw.max()); w = w / w.sum()
        s = jnp.sqrt(w)[:, None]; fw = f * s
        hh = None if h is None else (h * s).T @ (h * s)
        return fw.T @ fw, hh, 1 / jnp.sum(w * w), w

    def cg(r, phi, inv, f, w):
        m = min(n, max(FISHER, 2 * P))
        F = f[:m]; ww = w[:m] / w[:m].sum(); A = (F * ww[:, None]).T @ F

        def apply(U):
            q = jnp.einsum('ij,ij->i', F @ U, F) * ww
            return symj((F * q[:, None]).T @ F - q.sum() * A + 2 * DAMPING * phi @ U @ phi)
        pre = lambda X: 0.5 * inv @ X @ inv  # noqa: E731
        res = 2 * r; z = pre(res); rz = jnp.sum(res * z)

        def body(i, s):
            x, res, d, rz, done, bad = s
            md = apply(d); curv = jnp.sum(d * md)
            go = ~done & (curv > 0)
            a = rz / curv
            x2 = x + a * d; res2 = res - a * md; z = pre(res2); nxt = jnp.sum(res2 * z)
            fin = nxt <= CG_TOL * CG_TOL * rz0
            d2 = z + nxt / rz * d
            x = jnp.where(go, x2, x); res = jnp.where(go, res2, res); d = jnp.where(go & ~fin, d2, d)
            rz = jnp.where(go & ~fin, nxt, rz)
            return x, res, d, rz, done | ~go | fin, bad | (~done & ~(curv > 0))
        rz0 = rz
        x, _, _, _, _, bad = lax.fori_loop(0, CG_STEPS, body, (jnp.zeros_like(r), res, z, rz, False, False))
        return jnp.where(bad, inv @ r @ inv, symj(x))

    def step(state):
        e, lw, refH, refT, Phi, H, key = state
        key, k1 = jax.random.split(key)
        e, lw, T = advance(k1, e, lw, refH, refT, H)
        h = e @ G.T; f = jnp.maximum(h, 0.0); base = lw - T
        A, _, e0, w = moments(f, base, H)
        inv = jnp.linalg.inv(Phi); lower = jnp.linalg.cholesky(Phi); r = A - Phi
        D = cg(r, Phi, inv, f, w)
        ws = jnp.abs(jnp.linalg.eigvalsh(symj(lower.T @ D @ lower))).max()
        size = INNER * jnp.minimum(1.0, TRUST / jnp.maximum(INNER * ws, 1e-300))
        prev = H

        def halve(s):
            size, k = s
            return 0.5 * size, k + 1
        size, _ = lax.while_loop(lambda s: (moments(f, base, symj(prev + s[0] * D))[2] < 0.5 * e0) & (s[1] < 10), halve, (size, 0))
        H = symj(prev + size * D)
        A, hh, _, _ = moments(f, base, H, h)
        Tn = -0.5 * jnp.einsum('ij,ij->i', f @ H, f)
        v = jnp.linalg.solve(Phi + RIDGE * eye, y); target = -GAMMA ** 2 * jnp.outer(v, v)
        Gr = symj(0.5 * (target - H))
        norm = jnp.linalg.norm(lower.T @ Gr @ lower)
        size = OUTER * jnp.minimum(1.0, TRUST / jnp.maximum(OUTER * norm, 1e-300))
        Fi = jnp.linalg.inv(jnp.linalg.cholesky(A))
        lag = lambda X: jnp.linalg.eigvalsh(symj(Fi @ X @ Fi.T)).max()  # noqa: E731
        bound = jnp.maximum(LAG, lag(Phi))

        def bad(s):
            cand = symj(jnp.linalg.inv(inv + s[0] * Gr))
            return (~(jnp.linalg.eigvalsh(cand).min() > 0) | (lag(cand) > bound)) & (s[1] < 20)
        size, k = lax.while_loop(bad, lambda s: (0.5 * s[0], s[1] + 1), (size, 0))
        cand = symj(jnp.linalg.inv(inv + size * Gr))
        ok = (jnp.linalg.eigvalsh(cand).min() > 0) & (lag(cand) <= bound)
        Phi = jnp.where(ok, cand, Phi)
        return e, base + Tn, H, Tn, Phi, H, key

    key = jax.random.PRNGKey(seed); key, k0 = jax.random.split(key)
    state = (jax.random.normal(k0, (n, P), dtype=jnp.float64), jnp.zeros(n), jnp.zeros((P, P)), jnp.zeros(n),
             jnp.asarray(relu_kernel(np.asarray(C))), jnp.zeros((P, P)), key)
    return jax.jit(step), state, jax.__version__


def peer(kind, a, P):
    C, y = problem(P)
    times = []
    if kind == 'numpy':
        s = DataStep(C, y, a.samples, seed=a.seed)
        for t in range(a.repeat + 2):
            t0 = time.perf_counter(); s.step(); dt = time.perf_counter() - t0
            if t > 1: times.append(dt)
        phi, version = s.Phi, f"numpy {np.__version__}"
    else:
        import jax
        step, state, v = jax_step(C, y, a.samples, seed=a.seed)
        for t in range(a.repeat + 2):
            t0 = time.perf_counter(); state = jax.block_until_ready(step(state)); dt = time.perf_counter() - t0
            if t > 1: times.append(dt)
        phi, version = np.asarray(state[4]), f"jax {v}"
    times.sort()
    return {"best": times[0], "median": times[len(times) // 2], "overlap": float(y @ phi @ y), "version": version}


def run_side(kind, a, P, cores, seed):
    env = dict(os.environ); prefix = []
    if cores == 1:
        env.update(ONE_CORE_ENV); prefix = ["taskset", "-c", "0"]
    if kind == "ours":
        out = subprocess.run(prefix + [BINARY, 'verify', 'minmax-step', '--solver', 'data', '--points', str(P), '--depth', '1',
                                       '--samples', str(a.samples), '--activation', 'relu', '--repeat', str(a.repeat),
                                       '--seed', str(seed)],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
        return {"best": float(out.split('best ')[1].split(' s')[0]), "median": float(out.split('median ')[1].split(' s')[0]),
                "overlap": float(out.split('y^T Phi^L y = ')[-1].rstrip(')')), "version": "ours"}
    cmd = [sys.executable, os.path.abspath(__file__), '--peer', kind, '--points', str(P),
           '--samples', str(a.samples), '--repeat', str(a.repeat), '--seed', str(seed)]
    return json.loads(subprocess.run(prefix + cmd, env=env, capture_output=True, text=True, check=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--points', default='100,200'); ap.add_argument('--samples', type=int, default=8000)
    ap.add_argument('--repeat', type=int, default=3); ap.add_argument('--runs', type=int, default=4)
    ap.add_argument('--cores', default='2'); ap.add_argument('--peer', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--seed', type=int, default=1, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        print(json.dumps(peer(a.peer, a, int(a.points)))); return
    try:
        import jax  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', 'jax', 'jaxlib'], check=True)
    if not os.path.exists(BINARY):
        raise SystemExit(f"release binary not found at {BINARY} (swift build -c release, or set AK_BIN)")
    sides = ['ours', 'jax', 'numpy']
    load_before = os.getloadavg()
    results = {}
    sizes = [int(p) for p in a.points.split(',')]
    for P in sizes:
        for cores in [int(c) for c in a.cores.split(',')]:
            for run in range(a.runs):
                for side in sides:
                    results.setdefault((P, cores, side), []).append(run_side(side, a, P, cores, seed=run + 1))
    load_after = os.getloadavg()
    print(f"data-solver min-max iteration (population sampler, CG Fisher-Newton inner step, outer step): L = 1, ReLU, "
          f"n = {a.samples} walkers; best / median of {a.repeat} iterations after 2 untimed, best of {a.runs} interleaved runs")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average (1, 5, 15 min) "
          f"{' '.join(f'{x:.2f}' for x in load_before)} before, {' '.join(f'{x:.2f}' for x in load_after)} after")
    print("peers: " + ", ".join(sorted({r[0]['version'] for k, r in results.items() if k[2] != 'ours'})) + f"; python {platform.python_version()}")
    print(f"{'P':>4} {'cores':>5} {'side':<6} {'best s':>8} {'median s':>9} {'peer/ours best':>15} {'median':>7} "
          f"{'y^T Phi y: mean':>16} {'+- se':>8} {'seeds':>5}")
    failures = []
    for P in sizes:
        for cores in sorted({k[1] for k in results if k[0] == P}):
            best = {side: min(results[(P, cores, side)], key=lambda r: r['best']) for side in sides}
            med = {side: min(r['median'] for r in results[(P, cores, side)]) for side in sides}
            values = {side: np.array([r['overlap'] for r in results[(P, cores, side)]]) for side in sides}
            for side in sides:
                r, v = best[side], values[side]
                se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float('nan')
                print(f"{P:>4} {cores:>5} {side:<6} {r['best']:>8.4f} {med[side]:>9.4f} {r['best'] / best['ours']['best']:>14.2f}x "
                      f"{med[side] / med['ours']:>6.2f}x {v.mean():>16.5f} {se:>8.5f} {len(v):>5}")
            failures += agreement(P, cores, values)
    if failures:
        raise SystemExit("the sides do not run the same algorithm: " + "; ".join(failures))


def agreement(P, cores, values, alpha=1e-3):
    """Each peer's mean of y^T Phi^1 y against ours (notes/anbk-data.md (NB20)): the seed-to-seed variance
    pooled over the sides, the difference of two means of R values each has standard error s sqrt(2 / R),
    and it must lie within the two-sided alpha quantile of Student's t with the pooled degrees of freedom.
    Returns the failures (empty: agreement)."""
    from scipy.stats import t as student
    counts = {side: len(v) for side, v in values.items()}
    dof = sum(n - 1 for n in counts.values())
    if dof < 1:
        print(f"P = {P}, {cores} cores: one run per side, no seed-to-seed scatter: agreement not checked (use --runs >= 2)")
        return []
    pooled = np.sqrt(sum(((v - v.mean()) ** 2).sum() for v in values.values()) / dof)
    quantile = student.ppf(1 - alpha / 2, dof)
    failures = []
    for side in [s for s in values if s != 'ours']:
        d = values[side].mean() - values['ours'].mean()
        se = pooled * np.sqrt(1 / counts[side] + 1 / counts['ours'])
        verdict = "agree" if abs(d) <= quantile * se else "DIFFER"
        # The difference this check detects with probability 0.9 (power): (t quantile + z_0.9) standard errors.
        detectable = (quantile + 1.2816) * se / values['ours'].mean()
        print(f"P = {P}, {cores} cores: {side} - ours = {d:+.5f} ({100 * d / values['ours'].mean():+.2f} %), standard error "
              f"{se:.5f} (seed-to-seed scatter {pooled:.5f} pooled over the sides, {dof} degrees of freedom), "
              f"|t| = {abs(d) / se:.2f} against {quantile:.2f}: {verdict}; a difference of {100 * detectable:.1f} % "
              f"would be detected with probability 0.9")
        if verdict != "agree":
            failures.append(f"P = {P}: {side} - ours = {d:+.5f}, |t| = {abs(d) / se:.2f} > {quantile:.2f}")
    return failures


if __name__ == '__main__':
    main()
