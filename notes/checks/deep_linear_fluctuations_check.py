"""Check of notes/fluctuations-gradient-flow.md (FG26)-(FG33): gradient-flow fluctuations of deep linear networks.

The finite-width Euler network (notes/antk-deep-linear.md (A1), (A2)) with L hidden layers on whitened data (P points
sqrt(D) e_mu, y = e_1, one orthogonal test point) is written exactly as a function of the Gram matrices Q_l of the
fresh Gaussian vectors that the sequential Gaussian conditioning of its random matrices produces (FG29), (FG30):

  run(Qs, ...)          the network in coefficient space for any Qs (Q_l = Z_l^T Z_l / N with Z_l of i.i.d. N(0, 1)
                        entries gives the exact finite-width law; Qs = I gives the infinite-width discrete DMFT);
  delta_method(...)     N Var of the observables at Q = I by dual numbers over every Wishart direction (FG31);
  network(...)          the plain finite network (weights, Euler steps), for ensembles.

Observables per time: f_1, f_2 (P >= 2), f(x*), tr K/P, H^l_11 (l = 1...L).

Usage:
  python3 notes/checks/deep_linear_fluctuations_check.py compare L gamma lambda P T K seeds N1,N2[,...]
  python3 notes/checks/deep_linear_fluctuations_check.py theory L gamma lambda P T K
  python3 notes/checks/deep_linear_fluctuations_check.py table
"""
import sys
import time

import numpy as np


def run(Qs, L, gamma, lam, P, dt, K, plan=None, tol=1e-7, xp=np):
    npts = P + 1; rho = 1 - lam * dt
    y = [1.0] + [0.0] * (P - 1)
    M = [Q.shape[0] for Q in Qs]
    cnt = [0] * L; rec = [] if plan is None else None; pos = [0]
    def unit(l, i): return np.eye(M[l])[i]
    def ip(l, u, v): return u @ (Qs[l] @ v)
    def newdir(l, s2, ref):
        if plan is None:
            ok = float(s2) > tol * tol * float(ref); rec.append(ok)
        else:
            ok = plan[pos[0]]; pos[0] += 1
        if not ok: return None
        i = cnt[l]; cnt[l] += 1
        return unit(l, i)
    def perp(l, basis, x):
        for _ in range(2):
            for e in basis: x = x - ip(l, e, x) * e
        return x
    u1 = [unit(0, nu) for nu in range(npts)]; cnt[0] = npts
    w0 = unit(L - 1, cnt[L - 1]); cnt[L - 1] += 1
    # coupling c: layer c (right side, e/ehat) and layer c+1 (left side, f/fhat)
    cp = [dict(e=[], eh=[], f=[], fh=[]) for _ in range(L - 1)]
    def carry(c, a, forward):
        # forward: W a / sqrt(N), a in layer c, result in layer c+1 (bases e/ehat); backward: W^T a / sqrt(N), a in layer
        # c+1, result in layer c (bases f/fhat)
        d = cp[c]; l, m = (c, c + 1) if forward else (c + 1, c)
        e, eh, f, fh = ('e', 'eh', 'f', 'fh') if forward else ('f', 'fh', 'e', 'eh')
        x = sum((ip(l, v, a) * vh for v, vh in zip(d[e], d[eh])), 0 * unit(m, 0))
        r = perp(l, d[e], a); s2 = ip(l, r, r)
        z = newdir(m, s2, ip(l, a, a))
        if z is not None:
            s = xp.sqrt(s2); v = r / s
            vh = sum((ip(l, wh, v) * w for w, wh in zip(d[f], d[fh])), 0 * unit(m, 0)) + perp(m, d[f], z)
            d[e].append(v); d[eh].append(vh); x = x + s * vh
        return x
    def right(c, a): return carry(c, a, True)     # W a / sqrt(N)
    def left(c, b): return carry(c, b, False)     # W^T b / sqrt(N)
    h = [[[] for _ in range(npts)] for _ in range(L)]; g = [[] for _ in range(L)]
    D = []; frames = []
    for k in range(K + 1):
        q = [dt * rho ** (k - 1 - j) for j in range(k)]
        gk = rho ** k * w0
        for j in range(k):
            for mu in range(P):
                gk = gk + gamma * q[j] * D[j][mu] * h[L - 1][mu][j]
        g[L - 1].append(gk)
        for l in range(L - 2, -1, -1):
            gk = rho ** k * left(l, g[l + 1][k])
            for j in range(k):
                G = ip(l + 1, g[l + 1][j], g[l + 1][k])
                for mu in range(P):
                    gk = gk + gamma * q[j] * D[j][mu] * G * h[l][mu][j]
            g[l].append(gk)
        for nu in range(npts):
            hk = rho ** k * u1[nu]
            if nu < P:
                for j in range(k): hk = hk + gamma * q[j] * D[j][nu] * g[0][j]
            h[0][nu].append(hk)
        for l in range(L - 1):
            for nu in range(npts):
                hk = rho ** k * right(l, h[l][nu][k])
                for j in range(k):
                    coef = sum(D[j][mu] * ip(l, h[l][mu][j], h[l][nu][k]) for mu in range(P))
                    hk = hk + gamma * q[j] * coef * g[l + 1][j]
                h[l + 1][nu].append(hk)
        f = [ip(L - 1, g[L - 1][k], h[L - 1][nu][k]) / gamma for nu in range(npts)]
        D.append([y[mu] - f[mu] for mu in range(P)])
        G = [ip(l, g[l][k], g[l][k]) for l in range(L)]
        trH = [sum(ip(l, h[l][mu][k], h[l][mu][k]) for mu in range(P)) / P for l in range(L)]
        ntk = G[0] + sum(G[l] * trH[l - 1] for l in range(1, L)) + trH[L - 1]
        ov = [ip(l, h[l][0][k], h[l][0][k]) for l in range(L)]
        obs = [f[0]] + ([f[1]] if P >= 2 else []) + [f[P], ntk] + ov
        frames.append(obs)
    return frames, (rec if plan is None else plan), cnt


class Dn:
    __slots__ = ('v', 't')
    def __init__(s, v, t): s.v = v; s.t = t
    def __add__(s, o):
        if isinstance(o, Dn): return Dn(s.v + o.v, s.t + o.t)
        return Dn(s.v + o, s.t)
    __radd__ = __add__
    def __sub__(s, o):
        if isinstance(o, Dn): return Dn(s.v - o.v, s.t - o.t)
        return Dn(s.v - o, s.t)
    def __rsub__(s, o): return Dn(o - s.v, -s.t)
    def __neg__(s): return Dn(-s.v, -s.t)
    def __mul__(s, o):
        if isinstance(o, Dn):
            sv, ov = np.ndim(s.v), np.ndim(o.v)
            if sv == 0 and ov == 0: return Dn(s.v * o.v, s.t * o.v + s.v * o.t)
            if sv == 0: return Dn(s.v * o.v, s.t[:, None] * o.v[None, :] + s.v * o.t)
            if ov == 0: return o * s
            raise ValueError
        return Dn(s.v * o, s.t * o)
    __rmul__ = __mul__
    def inv(s): return Dn(1 / s.v, -s.t / s.v ** 2)
    def __truediv__(s, o):
        if isinstance(o, Dn): return s * o.inv()
        return Dn(s.v / o, s.t / o)
    def sqrt(s): r = np.sqrt(s.v); return Dn(r, s.t / (2 * r))

def delta_method(L, gamma, lam, P, dt, K, outs, tol=1e-7):
    npts = P + 1
    big = [npts + (K + 1) * (P + 2) + 1] * L
    _, plan, cnt = run([np.eye(m) for m in big], L, gamma, lam, P, dt, K, tol=tol, xp=np)
    M = cnt
    iu = [np.triu_indices(m) for m in M]
    nd_l = [len(i[0]) for i in iu]
    off = np.concatenate([[0], np.cumsum(nd_l)]); nd = int(off[-1])
    weight = np.concatenate([np.where(i[0] == i[1], 2.0, 1.0) for i in iu])
    rho = 1 - lam * dt; y = [1.0] + [0.0] * (P - 1)
    cntr = [0] * L; pos = [0]
    def zero(l): return Dn(np.zeros(M[l]), np.zeros((nd, M[l])))
    def unit(l, i): z = zero(l); z.v[i] = 1.0; return z
    def ip(l, u, v):
        t = u.t @ v.v + v.t @ u.v
        o = np.outer(u.v, v.v); sym = o + o.T
        a, b = iu[l]
        t[off[l]:off[l + 1]] += np.where(a == b, o[a, b], sym[a, b])
        return Dn(float(u.v @ v.v), t)
    def newdir(l):
        ok = plan[pos[0]]; pos[0] += 1
        if not ok: return None
        i = cntr[l]; cntr[l] += 1
        return unit(l, i)
    def perp(l, basis, x):
        for _ in range(2):
            for e in basis: x = x - ip(l, e, x) * e
        return x
    def lin(l, pairs):
        x = zero(l)
        for c, v in pairs: x = x + c * v
        return x
    u1 = [unit(0, nu) for nu in range(npts)]; cntr[0] = npts
    w0 = unit(L - 1, cntr[L - 1]); cntr[L - 1] += 1
    cp = [dict(e=[], eh=[], f=[], fh=[]) for _ in range(L - 1)]
    def carry(c, a, forward):
        # The product of layer c's conditioned matrix with a (forward: a in layer c, the result in c + 1, bases e/eh;
        # backward: the transpose, a in c + 1, the result in c, bases f/fh): the known part on the revealed basis, the
        # rest along a fresh direction, which joins the basis.
        d = cp[c]; l, m = (c, c + 1) if forward else (c + 1, c)
        e, eh, f, fh = ('e', 'eh', 'f', 'fh') if forward else ('f', 'fh', 'e', 'eh')
        x = lin(m, [(ip(l, v, a), vh) for v, vh in zip(d[e], d[eh])])
        r = perp(l, d[e], a); s2 = ip(l, r, r)
        z = newdir(m)
        if z is not None:
            s = s2.sqrt(); v = r / s
            vh = lin(m, [(ip(l, wh, v), w) for w, wh in zip(d[f], d[fh])]) + perp(m, d[f], z)
            d[e].append(v); d[eh].append(vh); x = x + s * vh
        return x
    def right(c, a): return carry(c, a, True)
    def left(c, b): return carry(c, b, False)
    h = [[[] for _ in range(npts)] for _ in range(L)]; g = [[] for _ in range(L)]
    D = []; res = {}
    for k in range(K + 1):
        q = [dt * rho ** (k - 1 - j) for j in range(k)]
        gk = rho ** k * w0
        for j in range(k):
            for mu in range(P):
                gk = gk + (gamma * q[j]) * D[j][mu] * h[L - 1][mu][j]
        g[L - 1].append(gk)
        for l in range(L - 2, -1, -1):
            gk = rho ** k * left(l, g[l + 1][k])
            for j in range(k):
                G = ip(l + 1, g[l + 1][j], g[l + 1][k])
                for mu in range(P):
                    gk = gk + (gamma * q[j]) * (D[j][mu] * G) * h[l][mu][j]
            g[l].append(gk)
        for nu in range(npts):
            hk = rho ** k * u1[nu]
            if nu < P:
                for j in range(k): hk = hk + (gamma * q[j]) * D[j][nu] * g[0][j]
            h[0][nu].append(hk)
        for l in range(L - 1):
            for nu in range(npts):
                hk = rho ** k * right(l, h[l][nu][k])
                for j in range(k):
                    coef = None
                    for mu in range(P):
                        term = D[j][mu] * ip(l, h[l][mu][j], h[l][nu][k])
                        coef = term if coef is None else coef + term
                    hk = hk + (gamma * q[j]) * coef * g[l + 1][j]
                h[l + 1][nu].append(hk)
        f = [ip(L - 1, g[L - 1][k], h[L - 1][nu][k]) / gamma for nu in range(npts)]
        D.append([y[mu] - f[mu] for mu in range(P)])
        if k in outs:
            G = [ip(l, g[l][k], g[l][k]) for l in range(L)]
            trH = [None] * L
            for l in range(L):
                acc = ip(l, h[l][0][k], h[l][0][k])
                for mu in range(1, P): acc = acc + ip(l, h[l][mu][k], h[l][mu][k])
                trH[l] = acc / P
            ntk = G[0]
            for l in range(1, L): ntk = ntk + G[l] * trH[l - 1]
            ntk = ntk + trH[L - 1]
            ov = [ip(l, h[l][0][k], h[l][0][k]) for l in range(L)]
            obs = [f[0]] + ([f[1]] if P >= 2 else []) + [f[P], ntk] + ov
            res[k] = (np.array([o.v for o in obs]), np.array([np.sum(weight * o.t ** 2) for o in obs]))
    return res, M


def network(L, gamma, lam, P, dt, K, N, rng, C=None):
    npts = P + 1; D = npts
    X = np.sqrt(D) * np.eye(D)[:npts]  # whitened + orthogonal test
    y = np.zeros(P); y[0] = 1
    W0 = rng.standard_normal((N, D)); Ws = [rng.standard_normal((N, N)) for _ in range(L - 1)]; w = rng.standard_normal(N)
    out = []
    for k in range(K + 1):
        hs = [W0 @ X.T / np.sqrt(D)]
        for l in range(L - 1): hs.append(Ws[l] @ hs[-1] / np.sqrt(N))
        f = w @ hs[-1] / (gamma * N)
        gs = [None] * L; gs[L - 1] = w
        for l in range(L - 2, -1, -1): gs[l] = Ws[l].T @ gs[l + 1] / np.sqrt(N)
        G = [gg @ gg / N for gg in gs]
        trH = [np.trace(hh[:, :P].T @ hh[:, :P]) / N / P for hh in hs]
        ntk = G[0] + sum(G[l] * trH[l - 1] for l in range(1, L)) + trH[L - 1]
        out.append(np.concatenate([f, [ntk], [hh[:, 0] @ hh[:, 0] / N for hh in hs]]))
        Delta = y - f[:P]
        rho = 1 - lam * dt
        W0n = rho * W0 + dt * gamma / np.sqrt(D) * np.outer(gs[0], Delta @ X[:P])
        for l in range(L - 1):
            Ws[l] = rho * Ws[l] + dt * gamma / np.sqrt(N) * np.outer(gs[l + 1], hs[l][:, :P] @ Delta)
        w = rho * w + dt * gamma * hs[-1][:, :P] @ Delta
        W0 = W0n
    return np.array(out)

def observables(L, P):
    return ['f_1'] + (['f_2'] if P >= 2 else []) + ['f_test', 'ntk_mean'] + ['overlap_%d' % l for l in range(1, L + 1)]


def theory(L, gamma, lam, P, T, K, outs=None):
    """Delta-method N Var on the Euler grid dt = T/K, and Richardson with the grid dt/2 (Euler is first order, (FG32))."""
    outs = outs or [0, K // 2, K]
    coarse, _ = delta_method(L, gamma, lam, P, T / K, K, outs)
    fine, _ = delta_method(L, gamma, lam, P, T / (2 * K), 2 * K, [2 * k for k in outs])
    rows = []
    for k in outs:
        mean_c, var_c = coarse[k]; mean_f, var_f = fine[2 * k]
        rows.append((k * T / K, 2 * mean_f - mean_c, 2 * var_f - var_c, np.abs(var_f - var_c), var_f))
    return rows


def ensemble(L, gamma, lam, P, T, K, seeds, widths, seed=5):
    """N Var over seeds per width (moment standard error, (FG12)) and the two-point 1/N intercept."""
    rng = np.random.default_rng(seed)
    per = []
    for N in widths:
        X = np.array([network(L, gamma, lam, P, T / K, K, N, rng)[[0, K // 2, K]] for _ in range(seeds)])
        s2 = X.var(0, ddof=1); m4 = ((X - X.mean(0)) ** 4).mean(0)
        rel = np.maximum((m4 / s2 ** 2 - (seeds - 3) / (seeds - 1)) / seeds, 1 / (seeds - 1))
        per.append((N, N * s2, N * s2 * np.sqrt(rel)))
    w = np.array([1.0 / N for N, _, _ in per])
    # weighted least squares of N Var = a + b/N
    vals = np.array([v for _, v, _ in per]); ses = np.array([s for _, _, s in per])
    Wt = 1 / ses ** 2
    S0 = Wt.sum(0); S1 = (Wt * w[:, None, None]).sum(0); S2 = (Wt * w[:, None, None] ** 2).sum(0)
    Sy = (Wt * vals).sum(0); Sxy = (Wt * w[:, None, None] * vals).sum(0)
    det = S0 * S2 - S1 ** 2
    a = (S2 * Sy - S1 * Sxy) / det
    se = np.sqrt(S2 / det)
    return a, se, per


def main():
    np.set_printoptions(precision=5, suppress=True, linewidth=160)
    mode = sys.argv[1] if len(sys.argv) > 1 else 'compare'
    if mode in ('compare', 'theory'):
        L, gamma, lam, P, T, K = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
        names = observables(L, P)
        t0 = time.time()
        exact, _ = delta_method(L, gamma, lam, P, T / K, K, [0, K // 2, K])
        print('delta method on the Euler grid dt = %g (%.1f s):' % (T / K, time.time() - t0), names)
        for k in sorted(exact):
            print('  t = %-6g mean' % (k * T / K), exact[k][0], '\n             N Var', exact[k][1])
        if mode == 'theory':
            for t, m, v, r, vf in theory(L, gamma, lam, P, T, K):
                print('  continuum (Richardson dt, dt/2) t = %g: N Var' % t, v, '\n      |fine - coarse|', r)
            return
        seeds = int(sys.argv[8]); widths = [int(x) for x in sys.argv[9].split(',')]
        a, se, per = ensemble(L, gamma, lam, P, T, K, seeds, widths)
        worst = 0.0
        for i, k in enumerate([0, K // 2, K]):
            z = (a[i] - exact[k][1]) / se[i]
            worst = max(worst, np.abs(z).max())
            print('  t = %-6g networks (1/N intercept)' % (k * T / K), a[i], '\n                      +-', se[i], '\n                 z =', z)
        print('largest |z| = %.2f over %d comparisons' % (worst, a.size))
    elif mode == 'table':
        # (FG33): per-layer N Var of the overlaps and their signal-to-noise ratio at the end of training.
        lam, P, T, K = 0.0, 1, 3.0, 30
        for L in (1, 2, 3):
            for gamma in (0.25, 1.0, 2.0, 3.0):
                res, _ = delta_method(L, gamma, lam, P, T / K, K, [0, K])
                mean, var = res[K]
                ov, ovv = mean[3:], var[3:]
                print('L=%d gamma=%-4g f_1=%.4f NVar(ntk)=%.4f' % (L, gamma, mean[0], var[2]),
                      ' '.join('H%d: %.4f NVar %.4f SNR %.3f' % (l + 1, ov[l], ovv[l], ov[l] ** 2 / ovv[l]) for l in range(L)),
                      ' SNR(ntk) %.3f' % (mean[2] ** 2 / var[2]), flush=True)


if __name__ == '__main__':
    main()
