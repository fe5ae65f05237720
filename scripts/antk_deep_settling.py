#!/usr/bin/env python3
"""NumPy replica of the layered population relaxation (notes/antk-nonlinear-data.md (AN10)) on the digits'
training points, forward Euler with the step control of (AN10), reporting what (AN15)(iii) and (AN16) use:
train loss, lambda_max(K), the readout balance <a^2> against gamma^2 Delta.f / lambda (AN15)(ii), the Phi
traces, the identity residual (GV13), and per weight-decay window 1/lambda the drift of the window means of f,
Phi^l and G^l (AN16). Run from the repository root.

usage: antk_deep_settling.py [--P 100] [--depth 3] [--M 256] [--gamma 1] [--lam 2] [--T 12] [--seed 1]
                             [--step-factor 1]     (multiplies the stiffness bound of the step)
"""
import argparse
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('--P', type=int, default=100); ap.add_argument('--depth', type=int, default=3)
ap.add_argument('--M', type=int, default=256); ap.add_argument('--gamma', type=float, default=1.0)
ap.add_argument('--lam', type=float, default=2.0); ap.add_argument('--T', type=float, default=12.0)
ap.add_argument('--seed', type=int, default=1); ap.add_argument('--step-factor', type=float, default=1.0)
a = ap.parse_args()
P, L, M, gam, lam = a.P, a.depth, a.M, a.gamma, a.lam
rng = np.random.default_rng(a.seed)
X = np.load('Tests/Fixtures/digits/X_train.npy')[:P]; y = np.load('Tests/Fixtures/digits/y_train.npy')[:P]
C = X @ X.T / X.shape[1]
relu = lambda h: np.maximum(h, 0); drelu = lambda h: (h > 0) * 1.0

def sample(K, size):
    w, V = np.linalg.eigh(K); return rng.standard_normal((size, len(K))) @ (V * np.sqrt(np.clip(w, 0, None))).T

h = []; K = C
for l in range(L):
    h.append(sample(K, M)); K = relu(h[l]).T @ relu(h[l]) / M
z = [None] * L; z[L - 1] = np.repeat(rng.standard_normal(M)[:, None], P, 1)
for l in range(L - 2, -1, -1):
    g = drelu(h[l + 1]) * z[l + 1]; z[l] = sample(g.T @ g / M, M)
x = np.concatenate([np.stack(h), np.stack(z)])

def vel(x):
    post = [relu(x[l]) for l in range(L)]; grad = [drelu(x[l]) * x[L + l] for l in range(L)]
    Phi = [C] + [p.T @ p / M for p in post]; G = [q.T @ q / M for q in grad]
    f = (x[2 * L - 1] * post[L - 1]).mean(0) / gam; d = y - f; v = np.empty_like(x)
    for l in range(L):
        v[l] = gam * (grad[l] * d) @ Phi[l] - lam * x[l]
        v[L + l] = (gam * (post[l] * d).sum(1)[:, None] if l == L - 1 else gam * (post[l] * d) @ G[l + 1]) - lam * x[L + l]
    return v, f, Phi, G

rms = lambda u: np.sqrt((u ** 2).mean())
t, s = 0.0, 0; v, f, Phi, G = vel(x); window, nxt, acc, cnt, prev = 1 / lam, 0.0, None, 0, None
print(f"# P={P} L={L} M={M} gamma={gam} lambda={lam} seed={a.seed} kappa_L={gam ** (2 * L) / lam ** (L + 1):.4g}")
while t < a.T:
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
