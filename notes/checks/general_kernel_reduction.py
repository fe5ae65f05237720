"""Numerical check of notes/general-kernel-reduction.md (eqs. G1-G9) against the raw matrix
stationarity equations of notes/theory-overview.md (T7), and of the action formula G8 against the full action.
Run: python3 notes/checks/general_kernel_reduction.py  (numpy only)."""
import numpy as np

rng = np.random.default_rng(4)
P, D, L, g, b = 7, 3, 5, 2.3, 0.4          # singular C (rank 3 < P), b > 0
X = rng.standard_normal((P, D)); C = X @ X.T / D
y = rng.standard_normal(P) * 1.7            # not normalized

lam, U = np.linalg.eigh(C); lam = np.clip(lam, 0, None); w = (U.T @ y) ** 2

def E(u):                                   # G5: u - g t Q(t), t = (1+u)^L
    t = (1 + u) ** L
    return u - g * t * np.sum(lam * w / (t * lam + b) ** 2)

def action_reduced(u):                      # G8
    t = (1 + u) ** L
    return L / 2 * (u - np.log1p(u)) + g / 2 * np.sum(w / (t * lam + b))

grid = np.geomspace(1e-8, 1e4, 200001); vals = np.array([E(u) for u in grid])
roots = []
for i in np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]:
    lo, hi = grid[i], grid[i + 1]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.sign(E(mid)) == np.sign(E(lo)): lo = mid
        else: hi = mid
    roots.append(0.5 * (lo + hi))
print("roots u:", roots)
u = roots[0]; s = 1 + u; t = s ** L
v = np.linalg.solve(t * C + b * np.eye(P), y)                       # G4
q = v @ C @ v
Phi = [C] + [C + (s ** l - 1) / q * np.outer(C @ v, C @ v) for l in range(1, L + 1)]   # G6
hat = [None] + [-g * s ** (L - l) * np.outer(v, v) for l in range(1, L + 1)]           # G7
# raw stationarity (notes/theory-overview.md (T7), inverse-free forms)
r = [np.linalg.norm((np.eye(P) + Phi[l - 1] @ hat[l]) @ Phi[l] - Phi[l - 1]) for l in range(1, L + 1)]
r += [np.linalg.norm(hat[l] @ (np.eye(P) + Phi[l] @ hat[l + 1]) - hat[l + 1]) for l in range(1, L)]
vv = np.linalg.solve(Phi[L] + b * np.eye(P), y)
r += [np.linalg.norm(hat[L] + g * np.outer(vv, vv))]
print("max stationarity residual:", max(r))
# full action (notes/theory-overview.md (T5)) vs G8
S = sum(-0.5 * np.trace(Phi[l] @ hat[l]) + 0.5 * np.linalg.slogdet(np.eye(P) + Phi[l - 1] @ hat[l])[1] for l in range(1, L + 1))
S += g / 2 * y @ np.linalg.solve(Phi[L] + b * np.eye(P), y)
print("action full vs reduced:", S, action_reduced(u))
# direct damped iteration of the matrix equations from the lazy point
Ph = [C.copy() for _ in range(L + 1)]
for it in range(2000):
    vv = np.linalg.solve(Ph[L] + b * np.eye(P), y)
    H = [None] * (L + 2); H[L] = -g * np.outer(vv, vv)
    for l in range(L - 1, 0, -1):
        H[l] = H[l + 1] @ np.linalg.inv(np.eye(P) + Ph[l] @ H[l + 1])
    new = [C]
    for l in range(1, L + 1):
        new.append(np.linalg.solve(np.eye(P) + new[l - 1] @ H[l], new[l - 1]))
    Ph = [0.5 * a + 0.5 * n for a, n in zip(Ph, new)]
print("direct vs reduced Phi^L:", np.abs(Ph[L] - Phi[L]).max())
# whitened special case: C = I, |y| = 1 -> c = (1 + g c/(b+c)^2)^L
lam1, w1 = np.ones(4), np.array([1.0, 0, 0, 0])
c = 1.0
for _ in range(10000): c = (1 + g * c / (b + c) ** 2) ** L
tq = lambda u: (1 + u) ** L
u1 = g * c / (b + c) ** 2
print("whitened: c =", c, " (1+u)^L =", tq(u1), " E(u) =", u1 - g * tq(u1) * np.sum(lam1 * w1 / (tq(u1) * lam1 + b) ** 2))
# test predictor: t c*^T v equals Phi^L(x*,X)(Phi^L+bI)^{-1}y with the block recursion
Xs = rng.standard_normal((3, D)); Cs = Xs @ X.T / D                  # Q x P
K = Cs.copy()
for l in range(1, L + 1):
    K = K @ (np.eye(P) - Phi[l] @ hat[l]).T                           # cross^l = (I - M) cross^{l-1}
print("predictor:", K @ np.linalg.solve(Phi[L] + b * np.eye(P), y), t * Cs @ v)
# G1': |R_l|_F of (G1a) from a = C v (spectral), c = C v (dense, here perturbed) in O(P), against the dense matrix
a_ = rng.standard_normal(P); c_ = a_ * (1 + 1e-3) + 1e-3 * rng.standard_normal(P); v_ = rng.standard_normal(P)
sig, Cd = a_ @ v_, rng.standard_normal((P, P)); Cd = Cd + Cd.T
kap, eta = [0.0, 0.7, 1.9], [0.0, 1.3, 0.4]
for l in (1, 2):
    w0, w1 = c_ + kap[l - 1] * sig * a_, c_ + kap[l] * sig * a_
    dense = np.linalg.norm((Cd + kap[l] * np.outer(a_, a_)) - (Cd + kap[l - 1] * np.outer(a_, a_)) - eta[l] * np.outer(w0, w1))
    beta = a_ @ (c_ - a_) / (a_ @ a_); d_ = c_ - a_ - beta * a_
    g0, g1 = 1 + kap[l - 1] * sig + beta, 1 + kap[l] * sig + beta
    e_ = kap[l] - kap[l - 1] - eta[l] * g0 * g1
    A2, D2 = a_ @ a_, d_ @ d_
    print("G1' residual, dense vs O(P):", dense, np.sqrt(e_ ** 2 * A2 ** 2 + eta[l] ** 2 * (g0 ** 2 + g1 ** 2) * A2 * D2 + eta[l] ** 2 * D2 ** 2))
