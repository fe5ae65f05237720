#!/usr/bin/env python3
"""Checks of notes/cnn-bayes.md (CB2)-(CB4): the deep linear CNN with circular padding, stride 1 and
global average pooling is, at every width, the deep linear MLP on the pixel mean xbar with the
offset-averaged weights Wbar^l = K^-1 sum_k W^l_k; gradient flow with weight decay keeps the
complement out of f (it decays as exp(-lambda t)); with valid padding at depth 2 the pooled output
depends on the complement, so the reduction fails (CB4). NumPy only; prints the residuals."""
import numpy as np

rng = np.random.default_rng(7)
H = W = 6; C = 2; K = 3; N = 5; L = 2; n = 4
X = rng.normal(size=(n, H, W, C))
y = rng.normal(size=n)
gamma, lam, dt, steps = 1.5, 0.2, 0.01, 400
offsets = [(dr, dc) for dr in range(K) for dc in range(K)]

def conv(h, Wk, circular):
    """h: (n, H', W', c_in); Wk: (K*K, c_out, c_in); fan-in scaling sqrt(K^2 c_in)."""
    _, Hh, Ww, cin = h.shape
    if circular:
        out = np.zeros((h.shape[0], Hh, Ww, Wk.shape[1]))
        for k, (dr, dc) in enumerate(offsets):
            out += np.einsum('nrci,oi->nrco', np.roll(np.roll(h, -dr, axis=1), -dc, axis=2), Wk[k])
    else:
        Ho, Wo = Hh - K + 1, Ww - K + 1
        out = np.zeros((h.shape[0], Ho, Wo, Wk.shape[1]))
        for k, (dr, dc) in enumerate(offsets):
            out += np.einsum('nrci,oi->nrco', h[:, dr:dr + Ho, dc:dc + Wo, :], Wk[k])
    return out / np.sqrt(K * K * cin)

def cnn(params, circular):
    h = X
    for Wk in params[:-1]:
        h = conv(h, Wk, circular)
    return h.mean(axis=(1, 2)) @ params[-1] / (gamma * N)

def mlp(params):
    h = X.mean(axis=(1, 2))            # xbar, (n, C)
    for l, Wb in enumerate(params[:-1]):
        h = h @ Wb.T / np.sqrt(C if l == 0 else N)
    return h @ params[-1] / (gamma * N)

def init():
    return [rng.normal(size=(K * K, N, C))] + [rng.normal(size=(K * K, N, N)) for _ in range(L - 1)] + [rng.normal(size=N)]

def bar(params):
    return [Wk.sum(axis=0) / K for Wk in params[:-1]] + [params[-1]]

def grad(f_of, params, eps=1e-6):
    """Gradient of U = gamma^2 N/2 |f - y|^2 by central differences (exact for this quartic up to rounding)."""
    g = []
    for p in params:
        gp = np.zeros_like(p)
        it = np.nditer(p, flags=['multi_index'])
        for _ in it:
            i = it.multi_index
            old = p[i]
            p[i] = old + eps; up = 0.5 * gamma**2 * N * np.sum((f_of(params) - y) ** 2)
            p[i] = old - eps; dn = 0.5 * gamma**2 * N * np.sum((f_of(params) - y) ** 2)
            p[i] = old
            gp[i] = (up - dn) / (2 * eps)
        g.append(gp)
    return g

def complement(params):
    """Norm of the part of each filter orthogonal to the offset average."""
    return sum(np.linalg.norm(Wk - Wk.mean(axis=0, keepdims=True)) for Wk in params[:-1])

# (CB2) function identity at initialization
params = init()
print("CB2 |f_cnn - f_mlp(Wbar)| at init:", np.max(np.abs(cnn(params, True) - mlp(bar(params)))))

# (CB3) the flows: CNN params vs MLP params started at Wbar
cparams = [p.copy() for p in params]; mparams = [p.copy() for p in bar(params)]
c0 = complement(cparams)
for s in range(steps):
    gc = grad(lambda q: cnn(q, True), cparams); gm = grad(mlp, mparams)
    cparams = [p - dt * (g + lam * p) for p, g in zip(cparams, gc)]
    mparams = [p - dt * (g + lam * p) for p, g in zip(mparams, gm)]
T = dt * steps
print(f"CB3 after T = {T}: |f_cnn - f_mlp| = {np.max(np.abs(cnn(cparams, True) - mlp(mparams))):.2e},",
      f"|Wbar_cnn - W_mlp| = {max(np.max(np.abs(a - b)) for a, b in zip(bar(cparams), mparams)):.2e},",
      f"complement ratio {complement(cparams) / c0:.6f} vs exp(-lambda T) = {np.exp(-lam * T):.6f} (Euler: {(1 - lam * dt) ** steps:.6f})")

# (CB4) valid padding, depth 2: the gradient of f along the complement does not vanish
params = init()
for Wk in params[:-1]:
    Wk -= Wk.mean(axis=0, keepdims=True)   # pure complement: Wbar = 0 in every layer
probe = [p.copy() for p in params]
f_valid = cnn(probe, False); f_circ = cnn(probe, True)
print("CB4 pure-complement filters: |f| circular =", f"{np.max(np.abs(f_circ)):.2e}", " |f| valid =", f"{np.max(np.abs(f_valid)):.3f}")
