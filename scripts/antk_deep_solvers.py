#!/usr/bin/env python3
"""NumPy replica of the layered population relaxation (notes/antk-nonlinear-data.md (AN10)) and of the
three ways to its stationary points compared in (AN14): forward Euler with the step control of (AN10),
Anderson acceleration of the damped map x + tau v(x), and pseudo-transient continuation (backward-Euler
steps, one Newton-Krylov solve each); `settle` runs Euler and reports what (AN15)(iii) and (AN16) use: per
weight-decay window 1/lambda the train loss, lambda_max(K), the readout balance <a^2> against
gamma^2 Delta.f / lambda, the Phi traces, the identity residual (GV13) and the drift of the window means of f,
Phi^l and G^l. Run from the repository root; digits fixture, training points only.

usage: antk_deep_solvers.py [--P 100] [--depth 3] [--M 256] [--gamma 1] [--lam 0.1] [--seed 1]
         euler --T 3 | ptc --T 20 [--limit 0.03] | anderson --T0 3 [--memory 10] [--iters 400] | jacobian --T0 3
         | settle --T 12 [--step-factor 1] [--window-factor 1]   (step-factor multiplies the stiffness bound of
           the Euler step; window-factor the window length 1/lambda)
"""
import argparse, time
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('--P', type=int, default=100); ap.add_argument('--depth', type=int, default=3)
ap.add_argument('--M', type=int, default=256); ap.add_argument('--gamma', type=float, default=1.0)
ap.add_argument('--lam', type=float, default=0.1); ap.add_argument('--seed', type=int, default=1)
ap.add_argument('mode', choices=['euler', 'ptc', 'anderson', 'jacobian', 'settle'])
ap.add_argument('--T', type=float, default=3.0); ap.add_argument('--T0', type=float, default=3.0)
ap.add_argument('--limit', type=float, default=0.03); ap.add_argument('--memory', type=int, default=10)
ap.add_argument('--iters', type=int, default=400); ap.add_argument('--step-factor', type=float, default=1.0); ap.add_argument('--window-factor', type=float, default=1.0)
a = ap.parse_args()
P, L, M, gam, lam = a.P, a.depth, a.M, a.gamma, a.lam
rng = np.random.default_rng(a.seed)
X = np.load('Tests/Fixtures/digits/X_train.npy')[:P]; y = np.load('Tests/Fixtures/digits/y_train.npy')[:P]
C = X @ X.T / X.shape[1]
relu = lambda h: np.maximum(h, 0); drelu = lambda h: (h > 0) * 1.0

def sample(K, size):
    w, V = np.linalg.eigh(K); return rng.standard_normal((size, len(K))) @ (V * np.sqrt(np.clip(w, 0, None))).T

# (AN10) start: h^1 ~ N(0, C), h^{l+1} ~ N(0, Phi^l), z^L = a on every point, z^l ~ N(0, G^{l+1}).
h = []; K = C
for l in range(L):
    h.append(sample(K, M)); K = relu(h[l]).T @ relu(h[l]) / M
z = [None] * L; z[L - 1] = np.repeat(rng.standard_normal(M)[:, None], P, 1)
for l in range(L - 2, -1, -1):
    g = drelu(h[l + 1]) * z[l + 1]; z[l] = sample(g.T @ g / M, M)
x0 = np.concatenate([np.stack(h), np.stack(z)])

def vel(x):
    """(AN10): dh^l = gamma Phi^{l-1}(Delta g^l) - lam h^l, dz^l = gamma G^{l+1}(Delta phi(h^l)) - lam z^l."""
    post = [relu(x[l]) for l in range(L)]; grad = [drelu(x[l]) * x[L + l] for l in range(L)]
    Phi = [C] + [p.T @ p / M for p in post]; G = [q.T @ q / M for q in grad]
    f = (x[2 * L - 1] * post[L - 1]).mean(0) / gam; d = y - f; v = np.empty_like(x)
    for l in range(L):
        v[l] = gam * (grad[l] * d) @ Phi[l] - lam * x[l]
        v[L + l] = (gam * (post[l] * d).sum(1)[:, None] if l == L - 1 else gam * (post[l] * d) @ G[l + 1]) - lam * x[L + l]
    return v, f, Phi, G

def lmax(Phi, G):
    K = Phi[L] + sum(G[l] * Phi[l] for l in range(L)); return np.linalg.eigvalsh(K).max()

rms = lambda v: np.sqrt((v ** 2).mean())

def summary(x, label):
    v, f, Phi, G = vel(x)
    al = [float(y @ Ph @ y / (np.linalg.norm(Ph) * (y @ y))) for Ph in Phi[1:]]
    print(f"{label}: rms velocity {rms(v):.3e}, train loss {((y - f) ** 2).mean():.5e}, alignment {np.round(al, 4).tolist()}, lambda_max(K) {lmax(Phi, G):.1f}")

def euler(x, T):
    t = 0.0; s = 0; v, f, Phi, G = vel(x)
    while t < T:
        if s % 25 == 0:   # (AN10) step: 1% relative limit per layer and field, 0.5/(lambda_max(K) + lam (L+1))
            dt = min([0.1] + [0.01 * np.linalg.norm(x[l]) / np.linalg.norm(v[l]) for l in range(2 * L) if np.linalg.norm(v[l]) > 0])
            dt = min(dt, 0.5 / (lmax(Phi, G) + lam * (L + 1)))
        x = x + dt * v; t += dt; s += 1; v, f, Phi, G = vel(x)
    return x, s

def gmres(op, b, tol, maxit):
    beta = np.linalg.norm(b); V = [b / beta]; H = np.zeros((maxit + 1, maxit))
    for j in range(maxit):
        w = op(V[j])
        for i in range(j + 1): H[i, j] = w @ V[i]; w = w - H[i, j] * V[i]
        H[j + 1, j] = np.linalg.norm(w); e = np.zeros(j + 2); e[0] = beta
        c, *_ = np.linalg.lstsq(H[:j + 2, :j + 1], e, rcond=None)
        if np.linalg.norm(H[:j + 2, :j + 1] @ c - e) <= tol * beta or H[j + 1, j] < 1e-14 * beta: break
        V.append(w / H[j + 1, j])
    return np.array(V[:j + 1]).T @ c, j + 1

def ptc(x, T, limit, dt=0.01):
    """(AN14): (I - dt J) delta = dt v, J u by finite differences, GMRES to 1e-2 in <= 20 products."""
    t = 0.0; nev = 1; v = vel(x)[0]
    while t < T:
        h = min(dt, T - t); xs = x.ravel(); vs = v.ravel(); xn = np.linalg.norm(xs)
        def op(u):
            s = 1e-7 * max(xn, 1) / max(np.linalg.norm(u), 1e-300)
            return u - h * (vel((xs + s * u).reshape(x.shape))[0].ravel() - vs) / s
        d, its = gmres(op, h * vs, 1e-2, 20); nev += its + 1
        xt = (xs + d).reshape(x.shape); vt = vel(xt)[0]; change = np.linalg.norm(d) / xn
        if change > limit or not np.isfinite(rms(vt)) or rms(vt) > 2 * rms(v): dt = h / 4; continue
        x, v, t = xt, vt, t + h
        if change < limit / 2: dt = 1.5 * h
    return x, nev

def anderson(x, memory, iters):
    v, f, Phi, G = vel(x); tau = 0.5 / (lmax(Phi, G) + lam * (L + 1)); Xs = []; Rs = []
    for k in range(iters):
        r = tau * vel(x)[0].ravel(); Xs.append(x.ravel().copy()); Rs.append(r)
        if len(Xs) > memory + 1: Xs.pop(0); Rs.pop(0)
        if len(Xs) > 1:
            dX = np.diff(np.array(Xs), axis=0).T; dR = np.diff(np.array(Rs), axis=0).T
            c, *_ = np.linalg.lstsq(dR, r, rcond=None); xn = x.ravel() + r - (dX + dR) @ c
        else: xn = x.ravel() + r
        x = xn.reshape(x.shape)
    return x

def settle(x, T):
    """Euler as in euler(), the step's stiffness bound times --step-factor; a line per window 1/lambda (AN16)."""
    t, s = 0.0, 0; v, f, Phi, G = vel(x); window, nxt, acc, cnt, prev = a.window_factor / lam, 0.0, None, 0, None
    print(f"# P={P} L={L} M={M} gamma={gam} lambda={lam} seed={a.seed} kappa_L={gam ** (2 * L) / lam ** (L + 1):.4g}")
    while t < T:
        if s % 25 == 0:
            Kn = Phi[L] + sum(G[l] * Phi[l] for l in range(L)); lm = np.linalg.eigvalsh(Kn).max()
            dt = min([0.1] + [0.01 * np.linalg.norm(x[l]) / np.linalg.norm(v[l]) for l in range(2 * L) if np.linalg.norm(v[l]) > 0])
            dt = min(dt, a.step_factor * 0.5 / (lm + lam * (L + 1)))
        cur = np.concatenate([f] + [p.ravel() for p in Phi[1:]] + [q.ravel() for q in G])
        acc = cur if acc is None else acc + cur; cnt += 1
        if t >= nxt:
            mean = acc / cnt; cuts = np.cumsum([P] + [P * P] * (2 * L - 1))
            if prev is not None:
                ds = [np.linalg.norm(u - w) / np.linalg.norm(u) for u, w in zip(np.split(mean, cuts), np.split(prev, cuts))]
                d = y - f; ident = np.abs(f - Kn @ np.linalg.solve(Kn + lam * (L + 1) * np.eye(P), y)).max()
                print(f"t={t:7.3f} steps={s:6d} rms_v={rms(v):.2e} loss={(d ** 2).mean():.4e} lmax={lm:7.1f} "
                      f"a2={(x[2 * L - 1][:, 0] ** 2).mean():.3f} balance={gam ** 2 * (d @ f) / lam:.3f} "
                      f"traces={[round(float(np.trace(p)) / P, 3) for p in Phi[1:]]} identity={ident:.1e} "
                      f"drift f={ds[0]:.1e} Phi={max(ds[1:L + 1]):.1e} G={max(ds[L + 1:]):.1e}", flush=True)
            prev, acc, cnt, nxt = mean, None, 0, t + window
        x = x + dt * v; t += dt; s += 1; v, f, Phi, G = vel(x)

t0 = time.time()
if a.mode == 'settle':
    settle(x0.copy(), a.T)
elif a.mode == 'euler':
    x, s = euler(x0.copy(), a.T); summary(x, f"euler t = {a.T}: {s} steps ({time.time() - t0:.1f} s)")
elif a.mode == 'ptc':
    x, nev = ptc(x0.copy(), a.T, a.limit); summary(x, f"ptc t = {a.T}: {nev} velocity evaluations ({time.time() - t0:.1f} s)")
elif a.mode == 'anderson':
    x, _ = euler(x0.copy(), a.T0); summary(x, f"euler t = {a.T0}")
    x = anderson(x, a.memory, a.iters); summary(x, f"anderson({a.memory}) after {a.iters} iterations ({time.time() - t0:.1f} s)")
else:
    from scipy.sparse.linalg import LinearOperator, eigs
    x, _ = euler(x0.copy(), a.T0); v0 = vel(x)[0]
    def jv(u):
        u = u.reshape(x.shape); s = 1e-6 * np.linalg.norm(x) / max(np.linalg.norm(u), 1e-300)
        return ((vel(x + s * u)[0] - vel(x - s * u)[0]) / (2 * s)).ravel()
    A = LinearOperator((x.size, x.size), matvec=jv, dtype=float)
    for which in ['LM', 'LR']:
        print(which, np.sort_complex(eigs(A, k=4, which=which, return_eigenvectors=False, maxiter=3000, tol=1e-4)))
