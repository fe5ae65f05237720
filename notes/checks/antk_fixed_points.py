#!/usr/bin/env python3
"""antk_fixed_points.py -- deep linear aNTK (gradient flow + weight decay) fixed points.

Companion of notes/antk-deep-linear.md (equation IDs (A..) refer to it).

  whitened (C = I, |y| = 1), u = f.y:      (A14)  gamma^{2L} u^{L-1} (1-u)^{L+1} = lambda^{L+1}
  general C (secular equation in a):        (A11)  gamma^{2L} a^{L-1} s(a)^L = lambda^{L+1},
                                                   s(a) = sum_i c_i p_i^2 / (1 + a c_i)^2
  stability of a nontrivial root:           (A24)  stable  <=>  d ln H / d ln a < 0
  whitened saddle node:                     (A17)  u_c = (L-1)/(2L),
                        gamma_c^{2L} / lambda^{L+1} = (2L)^{2L} / ((L-1)^{L-1} (L+1)^{L+1})

Part 4 also checks, with numpy at small width N, that the explicit rank-one weights (A9)
are exact stationary points of U = gamma^2 N/2 |f - y|^2 + lambda/2 |theta|^2 at finite N
for a general (non-whitened) C, and counts negative Hessian eigenvalues (A21-A26).

Run:  nice -n 19 python3 notes/checks/antk_fixed_points.py
"""
from fractions import Fraction as Fr
from math import comb
import numpy as np
import mpmath as mp

mp.mp.dps = 50
DIG = 34  # printed significant digits


def s_(x):
    return mp.nstr(x, DIG)


# ---------------------------------------------------------------- whitened
def int_poly_u(L, gam, lam):
    """Integer coefficients (highest degree first) of (A15):
    p^{2L} t^{L+1} u^{L-1} (1-u)^{L+1} - r^{L+1} q^{2L} = 0, gam = p/q, lam = r/t."""
    gam, lam = Fr(gam), Fr(lam)
    p, q, r, t = gam.numerator, gam.denominator, lam.numerator, lam.denominator
    A = p ** (2 * L) * t ** (L + 1)
    B = r ** (L + 1) * q ** (2 * L)
    deg = 2 * L
    c = [0] * (deg + 1)  # c[j] = coefficient of u^j
    for j in range(L + 2):  # (1-u)^{L+1} = sum_j C(L+1,j)(-u)^j
        c[L - 1 + j] += A * comb(L + 1, j) * (-1) ** j
    c[0] -= B
    return c[::-1]


def whitened_roots(L, gam, lam):
    """all physical roots u in (0,1) of (A14); returns list sorted ascending"""
    coeffs = [mp.mpf(x) for x in int_poly_u(L, gam, lam)]
    rts = mp.polyroots(coeffs, maxsteps=400, extraprec=400)
    out = []
    for z in rts:
        z = mp.mpc(z)
        if abs(z.imag) < mp.mpf(10) ** (-30) and 0 < z.real < 1:
            out.append(z.real)
    g, l = mp.mpf(Fr(gam).numerator) / Fr(gam).denominator, mp.mpf(Fr(lam).numerator) / Fr(lam).denominator
    F = lambda u: g ** (2 * L) * u ** (L - 1) * (1 - u) ** (L + 1) - l ** (L + 1)
    pol = []
    for u in out:
        pol.append(mp.findroot(F, u))  # polish
    return sorted(pol)


def whitened_report(L, gam, lam):
    g = mp.mpf(Fr(gam).numerator) / Fr(gam).denominator
    l = mp.mpf(Fr(lam).numerator) / Fr(lam).denominator
    kappa = l ** (L + 1) / g ** (2 * L)
    print(f"\n== whitened  L={L}  gamma={gam}  lambda={lam}   kappa=lambda^(L+1)/gamma^(2L)={s_(kappa)}")
    print("   integer polynomial in u (A15), highest degree first:", int_poly_u(L, gam, lam))
    rows = []
    for u in whitened_roots(L, gam, lam):
        a = u / (1 - u)
        E = g ** 2 / l * u * (1 - u)                    # (A8)/(A16) per-layer |W|^2/N
        mu_bal = l * ((L - 1) - 2 * L * u) / (1 - u)    # (A21)
        mu_perp = -l / (1 - u)                          # (A22)
        stable = mu_bal < 0
        # consistency with the brief's form (A12): a = (s/lam)(k^{-L} s^{1-2L})^{1/(L-1)}
        s = (1 - u) ** 2
        k = (g / l) ** 2
        if L >= 2:
            a_brief = (s / l) * (k ** (-L) * s ** (1 - 2 * L)) ** (mp.mpf(1) / (L - 1))
            chk = abs(a_brief - a) / a
        else:
            chk = abs(k * s - 1)
        rows.append(u)
        alpha = mp.sqrt(E)                                # (A14a) trinomial root
        tri = alpha ** (2 * L) - g * alpha ** (L - 1) + l
        mu_tri = -alpha * (2 * L * alpha ** (2 * L - 1) - (L - 1) * g * alpha ** (L - 2)) if L >= 2 else -alpha * 2 * alpha
        print(f"   u=f.y = {s_(u)}   a = {s_(a)}")
        print(f"          alpha = sqrt(E) = {s_(alpha)}   trinomial residual {mp.nstr(tri, 3)}"
              f"   u - alpha^(L+1)/gamma = {mp.nstr(u - alpha ** (L + 1) / g, 3)}   -alpha p'(alpha) - mu_bal = {mp.nstr(mu_tri - mu_bal, 3)}")
        print(f"          E = {s_(E)}   mu_bal = {mp.nstr(mu_bal, 12)}   mu_perp = {mp.nstr(mu_perp, 12)}"
              f"   {'STABLE' if stable else 'unstable'}   (brief-form residual {mp.nstr(chk, 3)})")
    tri_c = [mp.mpf(1)] + [mp.mpf(0)] * (L) + [-g] + [mp.mpf(0)] * (L - 2) + [l] if L >= 2 else [mp.mpf(1), 0, l - g]
    tr = [z for z in mp.polyroots(tri_c, maxsteps=300, extraprec=300) if abs(mp.im(z)) < 1e-30 and mp.re(z) > 0]
    print(f"   trinomial alpha^(2L) - gamma alpha^(L-1) + lambda: positive roots {[mp.nstr(mp.re(z), 20) for z in tr]}")
    print("   collapse u = 0: always a fixed point;",
          "stable (Hessian = lambda I)" if L >= 2 else
          ("stable" if g < l else "unstable (lambda - gamma < 0)"))
    return rows


def whitened_critical(L, lam=1):
    """(A17): saddle node, u_c = (L-1)/(2L)"""
    l = mp.mpf(lam)
    if L == 1:
        return l, mp.mpf(0)
    cL = (2 * L) / (mp.mpf(L - 1) ** (mp.mpf(L - 1) / (2 * L)) * mp.mpf(L + 1) ** (mp.mpf(L + 1) / (2 * L)))
    return cL * l ** (mp.mpf(L + 1) / (2 * L)), mp.mpf(L - 1) / (2 * L)


# ---------------------------------------------------------------- general C
def secular_H(a, L, gam, lam, c, p2):
    """(A11)/(A23): H(a) = gamma^{2L} a^{L-1} s(a)^L / lambda^{L+1}; fixed points at H = 1"""
    s = mp.fsum(ci * pi / (1 + a * ci) ** 2 for ci, pi in zip(c, p2))
    return mp.mpf(gam) ** (2 * L) * a ** (L - 1) * s ** L / mp.mpf(lam) ** (L + 1)


def dlogH_dloga(a, L, c, p2):
    """(A24): (L-1) + L d ln s / d ln a"""
    s = mp.fsum(ci * pi / (1 + a * ci) ** 2 for ci, pi in zip(c, p2))
    ds = mp.fsum(-2 * ci ** 2 * pi / (1 + a * ci) ** 3 for ci, pi in zip(c, p2))
    return (L - 1) + L * a * ds / s


def general_roots(L, gam, lam, c, p2, amin=1e-12, amax=1e14, n=6000):
    c = [mp.mpf(x) for x in c]
    p2 = [mp.mpf(x) for x in p2]
    f = lambda la: mp.log(secular_H(mp.e ** la, L, gam, lam, c, p2))
    grid = [mp.log(amin) + (mp.log(amax) - mp.log(amin)) * i / n for i in range(n + 1)]
    vals = [f(x) for x in grid]
    roots = []
    for i in range(n):
        if vals[i] == 0 or vals[i] * vals[i + 1] < 0:
            roots.append(mp.e ** mp.findroot(f, (grid[i], grid[i + 1]), solver="anderson"))
    return roots


def general_poly_roots(L, gam, lam, c, p2):
    """same roots from the polynomial form (A13):
    gam^{2L} a^{L-1} Num(a)^L - lam^{L+1} prod_i (1 + a c_i)^{2L} = 0"""
    c = [mp.mpf(x) for x in c]
    p2 = [mp.mpf(x) for x in p2]
    P = lambda coeffs_a, coeffs_b: np.polymul(coeffs_a, coeffs_b)
    one = [mp.mpf(1)]
    # polynomials as python lists, highest degree first, mp entries (np.polymul works on objects)
    num = [mp.mpf(0)]
    for i in range(len(c)):
        term = [c[i] * p2[i]]
        for j in range(len(c)):
            if j != i:
                term = list(P(term, P([c[j], 1], [c[j], 1])))
        num = list(np.polyadd(num, term))
    lhs = [mp.mpf(gam) ** (2 * L)] + [mp.mpf(0)] * (L - 1)
    for _ in range(L):
        lhs = list(P(lhs, num))
    rhs = [mp.mpf(lam) ** (L + 1)]
    for ci in c:
        for _ in range(2 * L):
            rhs = list(P(rhs, [ci, 1]))
    poly = list(np.polysub(lhs, rhs))
    rts = mp.polyroots(poly, maxsteps=500, extraprec=600)
    return sorted(mp.re(z) for z in rts if abs(mp.im(z)) < 1e-25 and mp.re(z) > 0), len(poly) - 1


def general_saddle_nodes(L, c, p2, lam=1, amin=1e-12, amax=1e14, n=6000):
    """(A25): d ln H/d ln a = 0 -> a_c; kappa_c = a_c^{L-1} s(a_c)^L, gamma_c = (lam^{L+1}/kappa_c)^{1/(2L)}"""
    c = [mp.mpf(x) for x in c]
    p2 = [mp.mpf(x) for x in p2]
    g = lambda la: dlogH_dloga(mp.e ** la, L, c, p2)
    grid = [mp.log(amin) + (mp.log(amax) - mp.log(amin)) * i / n for i in range(n + 1)]
    vals = [g(x) for x in grid]
    out = []
    for i in range(n):
        if vals[i] * vals[i + 1] < 0:
            ac = mp.e ** mp.findroot(g, (grid[i], grid[i + 1]), solver="anderson")
            s = mp.fsum(ci * pi / (1 + ac * ci) ** 2 for ci, pi in zip(c, p2))
            kap = ac ** (L - 1) * s ** L
            out.append((ac, kap, (mp.mpf(lam) ** (L + 1) / kap) ** (mp.mpf(1) / (2 * L)),
                        "max" if vals[i] > 0 else "min"))
    return out


# ---------------------------------------------------------------- finite-N exactness (numpy)
def unpack(theta, L, N, D):
    W0 = theta[:N * D].reshape(N, D)
    Ws, o = [], N * D
    for _ in range(L - 1):
        Ws.append(theta[o:o + N * N].reshape(N, N))
        o += N * N
    return W0, Ws, theta[o:o + N]


def grad_U(theta, X, y, L, N, gam, lam):
    """gradient of U = gam^2 N/2 |f-y|^2 + lam/2 |theta|^2 (flow is d theta/dt = -grad U)"""
    P, D = X.shape
    W0, Ws, w = unpack(theta, L, N, D)
    H = [W0 @ X.T / np.sqrt(D)]
    for W in Ws:
        H.append(W @ H[-1] / np.sqrt(N))
    f = w @ H[-1] / (gam * N)
    Dl = y - f
    g = [w]
    for W in reversed(Ws):
        g.insert(0, W.T @ g[0] / np.sqrt(N))
    gW0 = -gam * np.outer(g[0], X.T @ Dl) / np.sqrt(D) + lam * W0
    gWs = [-gam * np.outer(g[l + 1], H[l] @ Dl) / np.sqrt(N) + lam * Ws[l] for l in range(L - 1)]
    gw = -gam * H[-1] @ Dl + lam * w
    return np.concatenate([gW0.ravel()] + [x.ravel() for x in gWs] + [gw]), f


def explicit_fixed_point(a, X, y, L, N, lam, rng):
    """(A9): W0 = sqrt(E/s) sqrt(N) n1 (X^T Delta)^T / sqrt(D), W^l = sqrt(E N) n_{l+1} n_l^T,
    w^L = sqrt(E N) n_L, with E = (lam a)^{1/L}, Delta = (I + aC)^{-1} y"""
    P, D = X.shape
    C = X @ X.T / D
    Dl = np.linalg.solve(np.eye(P) + a * C, y)
    s = Dl @ C @ Dl
    E = (lam * a) ** (1.0 / L)
    n = np.linalg.qr(rng.standard_normal((N, L)))[0].T  # orthonormal n_1..n_L (any unit vectors work)
    W0 = np.sqrt(E / s * N) * np.outer(n[0], X.T @ Dl) / np.sqrt(D)
    Ws = [np.sqrt(E * N) * np.outer(n[l + 1], n[l]) for l in range(L - 1)]
    w = np.sqrt(E * N) * n[L - 1]
    return np.concatenate([W0.ravel()] + [x.ravel() for x in Ws] + [w]), Dl, C


def hessian_count(theta, X, y, L, N, gam, lam, h=1e-6):
    n = theta.size
    Hs = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n); e[i] = h
        Hs[:, i] = (grad_U(theta + e, X, y, L, N, gam, lam)[0] - grad_U(theta - e, X, y, L, N, gam, lam)[0]) / (2 * h)
    Hs = 0.5 * (Hs + Hs.T)
    ev = np.linalg.eigvalsh(Hs)
    return ev


def main():
    print("#### 1. whitened reference values (P arbitrary, C = I, |y| = 1)")
    for (L, g, l) in [(1, 2, 1), (1, 3, 1), (2, 2, 1), (2, 3, 1), (3, 2, 1), (3, 3, 1),
                      (4, 3, 1), (8, 3, 1), (2, Fr(3, 2), Fr(1, 2)), (2, Fr(9, 5), 1)]:
        whitened_report(L, g, l)

    print("\n#### 2. whitened saddle node (A17), lambda = 1: gamma_c, u_c = (L-1)/(2L), and a double-root check")
    for L in [2, 3, 4, 8]:
        gc, uc = whitened_critical(L)
        Fmax = uc ** (L - 1) * (1 - uc) ** (L + 1)
        print(f"   L={L}: gamma_c = {s_(gc)}   u_c = {mp.nstr(uc, 10)}   "
              f"gamma_c^(2L) = {s_(gc ** (2 * L))}   residual {mp.nstr(gc ** (2 * L) * Fmax - 1, 3)}")
    gc2, _ = whitened_critical(2, lam=mp.mpf(1) / 2)
    print(f"   L=2, lambda=1/2: gamma_c = {s_(gc2)}  (= lambda^(3/4) * gamma_c(lambda=1))")
    # the L=2 gamma/lambda = 2 and 3 cases of the original statement
    print("\n#### 3. Simulated examples of the original statement (whitened P=4, lambda = 1):")
    for (L, g) in [(2, 2), (2, 3), (1, 2)]:
        r = whitened_roots(L, g, 1)
        print(f"   L={L} gamma={g}: roots u = {[mp.nstr(x, 8) for x in r]}")
    # gamma/lambda = 2 is NOT enough for L >= 2: the fixed points depend on gamma^{2L}/lambda^{L+1}
    print("   L=2, gamma/lambda = 2 but lambda = 1/2 (gamma = 1): roots =", whitened_roots(2, 1, Fr(1, 2)),
          " (none: kappa = 1/8 > F_max = 27/256)")
    print("   L=2, gamma/lambda = 2 with lambda = 2 (gamma = 4): roots =",
          [mp.nstr(x, 10) for x in whitened_roots(2, 4, 2)])

    print("\n#### 4. general C: secular equation (A11), two-scale spectrum -> four nontrivial roots")
    L, g, l = 2, 1, 1
    c = [1, mp.mpf("1e-3")]
    p2 = [mp.mpf("0.5"), mp.mpf("0.5")]
    for lam_ in [mp.cbrt(mp.mpf("1e-4")), mp.cbrt(mp.mpf("2.4e-5"))]:  # kappa = lam^3/gamma^4
        rts = general_roots(L, g, lam_, c, p2)
        prts, deg = general_poly_roots(L, g, lam_, c, p2)
        print(f"   C eigenvalues {[mp.nstr(x, 6) for x in c]}, y projections^2 {[mp.nstr(x, 6) for x in p2]}, L={L}, gamma={g}, lambda={mp.nstr(lam_, 12)}"
              f" (kappa = {mp.nstr(lam_ ** 3, 6)})")
        print(f"   polynomial (A13) degree {deg}; its positive real roots: {[mp.nstr(x, 12) for x in prts]}")
        for a in rts:
            d = dlogH_dloga(a, L, c, p2)
            print(f"   a = {s_(a)}   dlnH/dlna = {mp.nstr(d, 8)}  -> {'STABLE' if d < 0 else 'unstable'}")
    print("   saddle nodes (local extrema of a^{L-1} s^L) for this spectrum, lambda = 1:")
    for ac, kap, gc, kind in general_saddle_nodes(L, c, p2):
        print(f"     a_c = {mp.nstr(ac, 15)}  kappa_c = {mp.nstr(kap, 15)}  gamma_c = {mp.nstr(gc, 15)}  ({kind} of H)")
    # whitened limit of the general code reproduces (A17)
    sn = general_saddle_nodes(3, [1], [1])
    print(f"   check: C = I, L = 3 via general code: gamma_c = {s_(sn[0][2])}")
    # L = 1 general-C: unique root iff gamma^2 y^T C y > lambda^2 (A10)
    r1 = general_roots(1, 2, 1, [2, mp.mpf("0.3")], [mp.mpf("0.2"), mp.mpf("0.8")])
    print(f"   L=1 general C (c=(2,0.3), p^2=(0.2,0.8)), gamma=2, lambda=1: roots a = {[mp.nstr(x, 15) for x in r1]}"
          f"  (y^T C y = {0.2 * 2 + 0.8 * 0.3}, gamma^2 y^T C y = {4 * 0.64} > 1)")

    print("\n#### 5. finite-N exactness of (A9) for a general C and Hessian index (numpy, N small)")
    rng = np.random.default_rng(1)
    P, D, N = 4, 6, 5
    X = rng.standard_normal((P, D))
    y = rng.standard_normal(P); y /= np.linalg.norm(y)
    C = X @ X.T / D
    cs, V = np.linalg.eigh(C)
    p2n = (V.T @ y) ** 2
    for (L, gam, lam) in [(1, 2.0, 1.0), (2, 3.0, 1.0), (3, 3.0, 1.0)]:
        rts = general_roots(L, gam, lam, list(cs), list(p2n), n=3000)
        print(f"   L={L} gamma={gam} lambda={lam}: nontrivial roots a = {[mp.nstr(x, 10) for x in rts]}")
        for a in rts:
            th, Dl, _ = explicit_fixed_point(float(a), X, y, L, N, lam, rng)
            gr, f = grad_U(th, X, y, L, N, gam, lam)
            ev = hessian_count(th, X, y, L, N, gam, lam)
            # kernels (A6): Phi^l = (E^l/s) C Delta Delta^T C (l>=1), G^l = E^{L+1-l} 11^T, and (A7)
            W0, Ws, w = unpack(th, L, N, D)
            Hh = [W0 @ X.T / np.sqrt(D)]
            for W in Ws:
                Hh.append(W @ Hh[-1] / np.sqrt(N))
            gg = [w]
            for W in reversed(Ws):
                gg.insert(0, W.T @ gg[0] / np.sqrt(N))
            E = (lam * float(a)) ** (1.0 / L); v = C @ Dl; sv = Dl @ v
            errPhi = max(np.abs(Hh[l].T @ Hh[l] / N - E ** (l + 1) / sv * np.outer(v, v)).max() for l in range(L))
            errG = max(abs(gg[l] @ gg[l] / N - E ** (L - l)) for l in range(L))
            K = (gg[0] @ gg[0] / N) * C + sum((gg[l] @ gg[l] / N if l < L else 1.0) * Hh[l - 1].T @ Hh[l - 1] / N
                                               for l in range(1, L + 1))
            errK = np.abs(f - K @ Dl / (lam * (L + 1))).max()
            print(f"     kernels: max|Phi^l - (E^l/s) v v^T| = {errPhi:.1e}, max|G^l - E^(L+1-l)| = {errG:.1e},"
                  f" max|f - K Delta/(lam(L+1))| = {errK:.1e}, |K - E^L (C + L v v^T/s)| = "
                  f"{np.abs(K - E ** L * (C + L * np.outer(v, v) / sv)).max():.1e}")
            tol = 1e-5 * max(1, np.abs(ev).max())
            neg, zer = int((ev < -tol).sum()), int((np.abs(ev) <= tol).sum())
            print(f"     a={float(a):.10f}: |grad U|/|theta| = {np.linalg.norm(gr) / np.linalg.norm(th):.2e};"
                  f" |f - a C Delta| = {np.linalg.norm(f - float(a) * C @ Dl):.2e};"
                  f" Hessian: {neg} negative, {zer} ~zero of {ev.size};"
                  f" dlnH/dlna = {float(dlogH_dloga(a, L, list(cs), list(p2n))):+.4f}")
        th0 = np.zeros_like(th)
        ev0 = hessian_count(th0, X, y, L, N, gam, lam)
        print(f"     origin: min Hessian eigenvalue = {ev0.min():+.6f}"
              + (f"  (L=1 prediction lambda - gamma sqrt(y^T C y) = {lam - gam * np.sqrt(y @ C @ y):+.6f})" if L == 1
                 else "  (prediction: lambda)"))

    # the four-root two-scale spectrum of section 4 at finite N: Hessian index alternates
    L, gam, lam = 2, 1.0, float(mp.cbrt(mp.mpf("2.4e-5")))
    cc = np.array([1.0, 1e-3]); R = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    X2 = np.sqrt(2.0) * np.diag(np.sqrt(cc)) @ R          # C = X X^T / D = diag(cc)
    y2 = np.sqrt(np.array([0.5, 0.5]))
    rts = general_roots(L, gam, lam, list(cc), [0.5, 0.5], n=3000)
    print(f"   two-scale C = diag(1, 1e-3), L=2, gamma=1, lambda={lam:.6f}: roots a = {[mp.nstr(x, 8) for x in rts]}")
    for a in rts:
        th, Dl, C2 = explicit_fixed_point(float(a), X2, y2, L, 4, lam, rng)
        gr, f = grad_U(th, X2, y2, L, 4, gam, lam)
        ev = hessian_count(th, X2, y2, L, 4, gam, lam, h=1e-7)
        tol = 1e-6 * max(1, np.abs(ev).max())
        print(f"     a={float(a):.6g}: |grad U|/|theta| = {np.linalg.norm(gr) / np.linalg.norm(th):.1e};"
              f" Hessian negative eigenvalues: {int((ev < -tol).sum())} (most negative {ev.min():+.3e})")

    print("\n#### 6. whitened Jacobian spectrum at finite N vs (A20)-(A22)")
    P, D, N = 4, 4, 6
    Q = np.linalg.qr(rng.standard_normal((D, D)))[0]
    X = np.sqrt(D) * Q[:P]
    y = rng.standard_normal(P); y /= np.linalg.norm(y)
    for (L, gam, lam) in [(2, 3.0, 1.0), (3, 2.0, 1.0)]:
        for u in whitened_roots(L, int(gam), int(lam)):
            u = float(u); a = u / (1 - u)
            th, Dl, C = explicit_fixed_point(a, X, y, L, N, lam, rng)
            ev = -hessian_count(th, X, y, L, N, gam, lam)   # Jacobian of the flow = -Hessian(U)
            vals, cnts = np.unique(np.round(ev, 5), return_counts=True)
            print(f"   L={L} gamma={gam} u={u:.6f}: predicted mu_bal={lam * ((L - 1) - 2 * L * u) / (1 - u):+.5f},"
                  f" mu_perp={-lam / (1 - u):+.5f} (x{P - 1}), -2 lam (x{L * N}), 0 (x{L * (N - 1)}),"
                  f" -lam (x{sum(th.shape) - 1 - (P - 1) - L * N - L * (N - 1)})")
            print("      Jacobian eigenvalues (value x multiplicity):",
                  ", ".join(f"{v:+.5f}x{c}" for v, c in zip(vals, cnts)))


if __name__ == "__main__":
    main()
