#!/usr/bin/env python3
"""Checks for notes/asymptotics-lazy.md (gamma -> 0, L and b fixed).

Run:  nice -n 19 python3 notes/checks/asymptotics_lazy.py

Equation numbers (Z1)...(Z14) refer to the note.
  * exact rational coefficients by the truncated-series Lagrange algorithm (Z6)-(Z8)
    and by the closed double sum (Z9)-(Z10); both checked against the defining
    polynomial identity (Z2) in exact arithmetic;
  * measured log-log slopes of the truncation error vs predicted K'+1;
  * radius of convergence: critical values (Z12) + continuation of the principal
    branch, compared with a root test on 100 exact coefficients;
  * 40-digit reference values.
"""
from fractions import Fraction as Fr
from math import comb, log, exp
import mpmath as mp

from asymptotics_common import critical_roots, fit_slope, mpq, polymul

mp.mp.dps = 60


# ----------------------------------------------------------------------------
# exact coefficients
# ----------------------------------------------------------------------------
def lagrange_series(L, b, K, layers=()):
    """Algorithm of (Z8): returns (a, e) with a[k] = [g^k] u (k = 1..K) and
    e[l][k] = [g^k] c_l for l in layers.  Exact Fractions, O(K^3)."""
    b = Fr(b)
    N = K                                    # coefficients w^0 .. w^{K-1}
    T = [Fr(comb(L, j)) for j in range(N)]   # (1+w)^L, comb(L, j) = 0 for j > L
    D = T[:]
    D[0] += b                                # b + (1+w)^L
    D2 = [sum(D[i] * D[n - i] for i in range(n + 1)) for n in range(N)]
    phi = [Fr(0)] * N                        # phi = T / D2
    for n in range(N):
        phi[n] = (T[n] - sum(D2[i] * phi[n - i] for i in range(1, n + 1))) / D2[0]
    a = {}
    e = {l: {0: Fr(1)} for l in layers}
    P = [Fr(1)] + [Fr(0)] * (N - 1)          # phi^0
    for k in range(1, K + 1):
        P = [sum(P[i] * phi[n - i] for i in range(n + 1)) for n in range(N)]
        a[k] = P[k - 1] / k                                   # (Z6)
        for l in layers:                                      # (Z7)
            e[l][k] = Fr(l, k) * sum(comb(l - 1, j) * P[k - 1 - j]
                                     for j in range(0, min(l - 1, k - 1) + 1))
    return a, e


def closed_form(k, l, L, b):
    """(Z10): [g^k] c_l as a double sum (l = 0 is not used; for u use (Z9))."""
    b = Fr(b)
    s = Fr(0)
    for m in range(k):
        inner = sum(comb(m, i) * (-1) ** (m - i) * comb(L * (k + i) + l - 1, k - 1)
                    for i in range(m + 1))
        s += (-1) ** m * comb(2 * k + m - 1, m) * (1 + b) ** (-2 * k - m) * inner
    return Fr(l, k) * s


def closed_form_u(k, L, b):
    """(Z9)."""
    b = Fr(b)
    s = Fr(0)
    for m in range(k):
        inner = sum(comb(m, i) * (-1) ** (m - i) * comb(L * (k + i), k - 1)
                    for i in range(m + 1))
        s += (-1) ** m * comb(2 * k + m - 1, m) * (1 + b) ** (-2 * k - m) * inner
    return s / k


def identity_residual(L, b, a, K):
    """[g^k] of u (b+(1+u)^L)^2 - g (1+u)^L for k = 1..K with u = sum a_k g^k.
    Must vanish identically (checks (Z2) independently of the algorithm)."""
    N = K + 1
    u = [Fr(0)] + [a[k] for k in range(1, K + 1)]
    s = [Fr(1) + u[0]] + u[1:]
    sL = [Fr(1)] + [Fr(0)] * K
    for _ in range(L):
        sL = polymul(sL, s, N)
    D = sL[:]
    D[0] += Fr(b)
    lhs = polymul(u, polymul(D, D, N), N)
    rhs = [Fr(0)] + sL[:K]
    return [lhs[k] - rhs[k] for k in range(1, K + 1)]


# ----------------------------------------------------------------------------
# exact roots (principal/lazy branch), mpmath
# ----------------------------------------------------------------------------
def lazy_root(L, b, g):
    """smallest positive root u of u(b+(1+u)^L)^2 = g(1+u)^L, bracketed in
    [0, 2g/(1+b)^2] (valid for g well inside the disc of convergence),
    anderson then Newton polish; returns u."""
    L = int(L); b = mpq(b) if not isinstance(b, mp.mpf) else b; g = mp.mpf(g)
    F = lambda u: u * (b + (1 + u) ** L) ** 2 - g * (1 + u) ** L
    dF = lambda u: ((b + (1 + u) ** L) ** 2 + 2 * u * (b + (1 + u) ** L) * L * (1 + u) ** (L - 1)
                    - g * L * (1 + u) ** (L - 1))
    lo, hi = mp.mpf(0), 2 * g / (1 + b) ** 2
    assert F(lo) < 0 < F(hi)
    u = mp.findroot(F, (lo, hi), solver='anderson')
    u = newton_polish(F, dF, u)
    assert lo < u < hi and abs(F(u)) < mp.mpf(10) ** (-mp.mp.dps + 8) * g
    return u


def newton_polish(F, dF, x, maxit=100):
    """plain Newton to full working precision (anderson alone may stop at
    ~1e-20 relative; see note)"""
    tol = mp.mpf(10) ** (-mp.mp.dps + 3)
    for _ in range(maxit):
        dx = F(x) / dF(x)
        x -= dx
        if abs(dx) <= tol * abs(x):
            break
    return x


def series_value(coef, g, K):
    return sum(mp.mpf(coef[k].numerator) / coef[k].denominator * g ** k for k in range(1, K + 1))


# ----------------------------------------------------------------------------
# radius of convergence
# ----------------------------------------------------------------------------
def critical_points(L, b):
    """the critical points (g*, u*) of (Z12), u* = s* - 1, by |g*|."""
    out = [(g, s - 1) for g, s in critical_roots(L, b)]
    out.sort(key=lambda t: abs(t[0]))
    return out


def continue_principal(L, b, gt, steps=4000):
    """track the branch u(0) = 0 along g = t*gt, t: 0 -> 1 (double precision
    complex Newton; only used to decide which critical point the branch hits)."""
    u = 0j
    b = float(b); gt = complex(gt)
    F = lambda u, g: u * (b + (1 + u) ** L) ** 2 - g * (1 + u) ** L
    dF = lambda u, g: ((b + (1 + u) ** L) ** 2 + 2 * u * (b + (1 + u) ** L) * L * (1 + u) ** (L - 1)
                       - g * L * (1 + u) ** (L - 1))
    for i in range(1, steps):
        t = 1 - (1 - i / steps) ** 2
        for _ in range(40):
            d = F(u, t * gt) / dF(u, t * gt)
            u -= d
            if abs(d) < 1e-14 * max(1, abs(u)):
                break
    return u


def lazy_radius(L, b):
    with mp.workdps(30):
        b = mp.mpf(b)
        for gs, us in critical_points(L, b):
            ue = continue_principal(L, b, gs)
            if abs(ue - complex(us)) < 1e-2 * max(1, abs(us)):
                return gs, us
    return None


def root_test(a, K):
    lg = lambda x: log(abs(x.numerator)) - log(x.denominator)
    M = lambda k: max(lg(a[i]) + 1.5 * log(i) for i in range(k - 6, k + 1) if a[i] != 0)
    return exp(-(M(K) - M(K - 30)) / 30)


def fr(x):
    return str(x)


def main():
    print("=" * 78)
    print("1. Exact coefficients: Lagrange/truncated series (Z8) vs closed sums (Z9),(Z10)")
    print("   vs the defining identity (Z2)")
    print("=" * 78)
    cases = [(1, Fr(1, 10)), (4, Fr(1, 10)), (3, Fr(0)), (2, Fr(1)), (10, Fr(10000))]
    K = 6
    for (L, b) in cases:
        layers = sorted(set([1, L] + ([2] if L >= 2 else [])))
        a, e = lagrange_series(L, b, K, layers)
        ok1 = all(a[k] == closed_form_u(k, L, b) for k in range(1, K + 1))
        ok2 = all(e[l][k] == closed_form(k, l, L, b) for l in layers for k in range(1, K + 1))
        ok3 = all(r == 0 for r in identity_residual(L, b, a, K))
        ok4 = all(e[1][k] == a[k] for k in range(1, K + 1))
        lead = e[L][1] == Fr(L) / (1 + b) ** 2                       # (Z11)
        a2 = a[2] == Fr(L) * (b - 1) / (1 + b) ** 5
        a3 = a[3] == (Fr(L * (L - 1), 2) * (b * b - 1) + L * L * (b * b - 4 * b + 2)) / (1 + b) ** 8
        c2 = e[L][2] == Fr(L) * ((3 * L - 1) * b - (L + 1)) / (2 * (1 + b) ** 5)
        print(f"L={L} b={b}: closed(u)={ok1} closed(c_l)={ok2} identity(Z2)={ok3} "
              f"c_1=1+u:{ok4} lead(Z11)={lead} a2,a3,[g^2]c_L formulas={a2 and a3 and c2}")
        assert ok1 and ok2 and ok3 and ok4 and lead and a2 and a3 and c2
    print()
    print("Reference coefficients (exact), k = 1..6:")
    for (L, b) in [(1, Fr(1, 10)), (4, Fr(1, 10)), (3, Fr(0))]:
        a, e = lagrange_series(L, b, 6, sorted(set([1, 2, L])))
        print(f"  L={L}, b={b}")
        print("    u   = -chi : " + ", ".join(fr(a[k]) for k in range(1, 7)))
        print("    c_L        : " + ", ".join(fr(e[L][k]) for k in range(1, 7)))
        if L >= 3:
            print("    c_2        : " + ", ".join(fr(e[2][k]) for k in range(1, 7)))

    print()
    print("=" * 78)
    print("2. Convergence order: |c_L - c_L^{[K]}| ~ |[g^{K'+1}] c_L| g^{K'+1}")
    print("   predicted slope in g: K'+1 (K' = K unless the next coefficient vanishes);")
    print("   in gamma: 2(K'+1)")
    print("=" * 78)
    conv_cases = [(1, Fr(1, 10), 1), (4, Fr(1, 10), 1), (3, Fr(0), 1), (1, Fr(1), 1), (10, Fr(10000), 10 ** 5)]
    for (L, b, gscale) in conv_cases:
        Kmax = 6
        a, e = lagrange_series(L, b, Kmax + 3, [L])
        cL = e[L]
        gs = [mp.mpf(gscale) * mp.mpf(10) ** (-3 - mp.mpf(j) / 2) for j in range(7)]   # 1e-3 .. 1e-6
        exact = []
        for g in gs:
            u = lazy_root(L, b, g)
            exact.append((1 + u) ** L)
        print(f"L={L} b={b}  g in [{mp.nstr(gs[-1], 3)}, {mp.nstr(gs[0], 3)}]")
        for Kt in range(0, Kmax):
            errs = [abs(c - 1 - series_value(cL, g, Kt)) for c, g in zip(exact, gs)]
            slope = fit_slope([mp.log(g) for g in gs], [mp.log(x) for x in errs])
            Kp = Kt
            while cL[Kp + 1] == 0:
                Kp += 1
            pred = Kp + 1
            rel = abs(slope / pred - 1)
            flag = "OK" if rel < 0.05 else "FAIL"
            print(f"   K={Kt}: measured slope(g) = {mp.nstr(slope, 6):>8}  predicted {pred}"
                  f"  [slope(gamma) {mp.nstr(2 * slope, 6)} vs {2 * pred}]  {flag}")
            assert rel < 0.05
        # per-layer check c_l = (1+u)^l from (Z7) for a middle layer
        if L >= 3:
            _, e2 = lagrange_series(L, b, 7, [2])
            g = gs[3]; u = lazy_root(L, b, g)
            err = abs((1 + u) ** 2 - 1 - series_value(e2[2], g, 6))
            nxt = abs(mpq(e2[2][7])) * g ** 7
            print(f"   c_2 = (1+u)^2 vs its own series (Z7), K=6, at g={mp.nstr(g, 3)}: error {mp.nstr(err, 4)};"
                  f" first omitted term |[g^7]c_2| g^7 = {mp.nstr(nxt, 4)}")

    print()
    print("=" * 78)
    print("3. Radius of convergence rho (Z12)-(Z14): nearest critical value ON the")
    print("   principal branch, vs root test on 100 exact coefficients")
    print("=" * 78)
    for (L, b) in [(1, Fr(0)), (3, Fr(0)), (1, Fr(1, 10)), (4, Fr(1, 10)), (2, Fr(1)), (10, Fr(10000))]:
        gs, us = lazy_radius(L, mpq(b))
        a, _ = lagrange_series(L, b, 100)
        rt = root_test(a, 100)
        near = critical_points(L, mpq(b))[0][0]
        extra = f"  (b=0 formula L^L/(L+1)^(L+1) = {mp.nstr(mp.mpf(L) ** L / (L + 1) ** (L + 1), 10)})" if b == 0 else ""
        print(f"L={L} b={b}: rho = |g*| = {mp.nstr(abs(gs), 10)}, g* = {mp.nstr(gs, 10)}, u* = {mp.nstr(us, 8)};"
              f" root test {rt:.6g}; nearest critical value overall |g*| = {mp.nstr(abs(near), 8)}{extra}")

    print()
    print("=" * 78)
    print("4. Reference values (40 digits)")
    print("=" * 78)
    for (L, b, g) in [(1, Fr(1, 10), Fr(1, 100)), (4, Fr(1, 10), Fr(1, 100)), (3, Fr(0), Fr(1, 100)),
                      (4, Fr(1, 10), Fr(1, 1000))]:
        gm = mp.mpf(g.numerator) / g.denominator
        u = lazy_root(L, b, gm)
        a, e = lagrange_series(L, b, 5, [L])
        c = (1 + u) ** L
        print(f"L={L} b={b} g={g}: u = {mp.nstr(u, 40)}")
        print(f"      c_L exact       = {mp.nstr(c, 40)}")
        for Kt in (1, 3, 5):
            print(f"      c_L series K={Kt} = {mp.nstr(1 + series_value(e[L], gm, Kt), 40)}")


if __name__ == "__main__":
    main()
