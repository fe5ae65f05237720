#!/usr/bin/env python3
"""Checks for notes/asymptotics-rich.md (gamma -> infinity, L and b fixed).

Run:  nice -n 19 python3 notes/checks/asymptotics_rich.py

Equation numbers (R1)...(R16) refer to the note.
  * coefficients d^{(l)}_n: closed form (R9) vs order-by-order exact solution
    of (R4), explicit low-order formulas (R11)-(R13);
  * exact large roots (log-space bracket + Newton, precision raised with gamma
    so that the truncation error stays resolved) for gamma = 1e10 .. 1e50;
    measured log-log slopes of the relative error vs predicted -2(K'+1)/(L+1);
  * radius of convergence in eps (R15) by continuation + root test;
  * 40-digit reference values.
"""
from fractions import Fraction as Fr
from math import log, exp
import mpmath as mp

from asymptotics_common import critical_roots, fL, fit_slope, mpq, newton_polish, polymul

mp.mp.dps = 60


# ----------------------------------------------------------------------------
# coefficients
# ----------------------------------------------------------------------------
def gbinom(x, k):
    """generalised binomial binom(x, k), x a Fraction, k >= 0 an int."""
    r = Fr(1)
    for i in range(k):
        r = r * (x - i) / (i + 1)
    return r


def d_closed(n, l, L, b):
    """(R9): [eps^n] of c_l / g^{l/(L+1)}, exact."""
    b = Fr(b)
    L1 = L + 1
    val = Fr(l, n * L + l) * gbinom(Fr(n * L + l, L1), n)
    mu = Fr(n - l, L1)
    for q in range(1, n // L + 1):
        val -= Fr(2 * l, L1) * b ** q / q * (-1) ** (n - L * q) * gbinom(2 * mu - 1, q - 1) * gbinom(mu, n - L * q)
    return val


def d_num(n, l, L, b):
    """(R9) in floating point (mpmath), for long partial sums and root tests."""
    L1 = L + 1
    b = mpq(b)
    val = mp.mpf(l) / (n * L + l) * mp.binomial(mp.mpf(n * L + l) / L1, n)
    mu = mp.mpf(n - l) / L1
    for q in range(1, n // L + 1):
        val -= mp.mpf(2 * l) / L1 * b ** q / q * (-1) ** (n - L * q) * mp.binomial(2 * mu - 1, q - 1) * mp.binomial(mu, n - L * q)
    return val


def power(p, k, N):
    r = [Fr(1)] + [Fr(0)] * (N - 1)
    for _ in range(k):
        r = polymul(r, p, N)
    return r


def sigma_order_by_order(L, b, N):
    """(R7): solve (sigma - eps)(sigma^L + b eps^L)^2 - sigma^L = 0 order by order,
    sigma = sum_{j<N} e_j eps^j, e_0 = 1; the linear coefficient is L+1."""
    b = Fr(b)
    e = [Fr(1)] + [Fr(0)] * (N - 1)
    for j in range(1, N):
        sig = e[:]                         # e_j currently 0
        sL = power(sig, L, j + 1)
        A = sL[:]
        if L <= j:
            A[L] += b                      # + b eps^L
        A2 = polymul(A, A, j + 1)
        sme = sig[:j + 1]
        sme[1] -= 1                        # sigma - eps
        Fser = polymul(sme, A2, j + 1)
        res = Fser[j] - sL[j]
        e[j] = -res / (L + 1)
    return e


# ----------------------------------------------------------------------------
# exact large root
# ----------------------------------------------------------------------------
def rich_root(L, b, g):
    """largest positive root c of c = (1 + g c/(b+c)^2)^L, in log space
    y = ln c:  f(y) = y - L log1p(g e^y/(b+e^y)^2).  Bracket around the
    leading form y0 = L/(L+1) ln g, anderson then Newton polish."""
    f, df = fL(L, g, b)
    y0 = mp.mpf(L) / (L + 1) * mp.log(g)
    w = mp.mpf(1)
    while not (f(y0 - w) < 0 < f(y0 + w)):
        w *= 2
        assert w < 100
    y = mp.findroot(f, (y0 - w, y0 + w), solver='anderson')
    y = newton_polish(f, df, y)
    assert y0 - w < y < y0 + w
    assert abs(f(y)) < mp.mpf(10) ** (-mp.mp.dps + 8) * max(1, abs(y))
    # on this root the action's second derivative sign: it must be the largest
    # root, f increasing through it (f -> +inf as y -> inf)
    assert df(y) > 0
    return mp.exp(y)


def rich_series(dcoef, L, g, K):
    """c^{[K]} = g^{L/(L+1)} sum_{n<=K} d_n eps^n, eps = g^{-1/(L+1)}   (R10)"""
    eps = g ** (-mp.mpf(1) / (L + 1))
    return g ** (mp.mpf(L) / (L + 1)) * sum((mpq(dcoef[n]) if isinstance(dcoef[n], Fr) else dcoef[n]) * eps ** n
                                            for n in range(K + 1))


# ----------------------------------------------------------------------------
# radius of convergence in eps (critical points (g*, s*): asymptotics_common.critical_roots)
# ----------------------------------------------------------------------------
def track_eps(L, b, et, steps=4000):
    """continue sigma(eps) from sigma(0) = 1 along eps = t*et, t: 0 -> 1 (double
    precision complex Newton; only used to decide which critical point is hit)."""
    sig = 1 + 0j
    b = float(b); et = complex(et)
    F = lambda s, e: (s - e) * (s ** L + b * e ** L) ** 2 - s ** L
    dF = lambda s, e: ((s ** L + b * e ** L) ** 2 + (s - e) * 2 * (s ** L + b * e ** L) * L * s ** (L - 1)
                       - L * s ** (L - 1))
    for i in range(1, steps):
        e = (1 - (1 - i / steps) ** 2) * et
        for _ in range(40):
            d = F(sig, e) / dF(sig, e)
            sig -= d
            if abs(d) < 1e-14 * abs(sig):
                break
    return sig


def rich_radius(L, b):
    with mp.workdps(30):
        b = mp.mpf(b)
        cands = []
        for gs, s in critical_roots(L, b):
            for k in range(L + 1):
                e = gs ** (-mp.mpf(1) / (L + 1)) * mp.expjpi(2 * mp.mpf(k) / (L + 1))
                cands.append((abs(e), e, e * s, gs))
        cands.sort(key=lambda t: t[0])
        for ae, e, sig, gs in cands:
            if abs(track_eps(L, b, e) - complex(sig)) < 1e-2 * max(1, abs(sig)):
                return ae, e, gs
    return None


def main():
    print("=" * 78)
    print("1. Coefficients: closed form (R9) vs order-by-order solution (R7) of (R4)")
    print("=" * 78)
    N = 13
    for (L, b) in [(1, Fr(0)), (1, Fr(1, 10)), (2, Fr(1)), (3, Fr(1, 10)), (4, Fr(0)), (4, Fr(3, 7)),
                   (5, Fr(2)), (10, Fr(10000))]:
        e = sigma_order_by_order(L, b, N)
        ok = True
        for l in sorted(set([1, max(1, L // 2), L])):
            sl = power(e, l, N)
            ok = ok and all(sl[n] == d_closed(n, l, L, b) for n in range(N))
        print(f"L={L} b={b}: d^(l)_n (n<{N}, l in {{1,{max(1, L // 2)},{L}}}) closed form == order-by-order: {ok}")
        assert ok
    # explicit low-order formulas (R11)-(R13), all L = 1..9, b symbolic via two values
    ok = True
    for L in range(1, 10):
        for b in (Fr(0), Fr(2, 3), Fr(5)):
            d = lambda n: d_closed(n, L, L, b)
            L1 = L + 1
            if L > 1: ok &= d(1) == Fr(L, L1)
            if L > 2: ok &= d(2) == Fr(L * (2 * L - 1), 2 * L1 ** 2)
            if L > 3: ok &= d(3) == Fr(L * (3 * L - 1) * (L - 1), 3 * L1 ** 3)
            if L > 4: ok &= d(4) == Fr(L * (4 * L - 1) * (3 * L - 2) * (2 * L - 3), 24 * L1 ** 4)
            ok &= d(L) == (1 - 2 * b * L) / L1
            if L >= 2: ok &= d(L + 1) == d_closed(L + 1, L, L, 0) + 2 * L * b / L1 ** 2
            if L >= 3: ok &= d(L + 2) == d_closed(L + 2, L, L, 0) + 2 * L * (L - 1) * b / L1 ** 3
            ok &= d_closed(1, 1, L, b) == (Fr(1, L1) if L > 1 else (1 - 2 * b) / 2)
    print(f"explicit formulas (R11)-(R13) for L = 1..9: {ok}")
    assert ok
    print()
    print("Reference coefficients d_n = [eps^n] c_L/g^{L/(L+1)} (exact), n = 0..6:")
    for (L, b) in [(1, Fr(1, 10)), (2, Fr(1)), (3, Fr(1, 10)), (4, Fr(0))]:
        print(f"  L={L} b={b}: " + ", ".join(str(d_closed(n, L, L, b)) for n in range(7)))
    print("  L=3 b=1/10, c_1 = g^{1/4}(...): " + ", ".join(str(d_closed(n, 1, 3, Fr(1, 10))) for n in range(7)))

    print()
    print("=" * 78)
    print("2. Convergence order vs exact large root, gamma = 1e10 ... 1e50")
    print("   relative error of c^{[K]} ~ |d_{K'+1}| eps^{K'+1}: predicted log-log slope")
    print("   in gamma = -2(K'+1)/(L+1)  (K' = K unless d_{K+1} = 0)")
    print("=" * 78)
    Kmax = 5
    for (L, b) in [(1, Fr(1, 10)), (3, Fr(1, 10)), (4, Fr(0)), (1, Fr(0)), (2, Fr(1)), (10, Fr(10000))]:
        d = [d_closed(n, L, L, b) for n in range(Kmax + 6)]
        exps = list(range(10, 51, 5))
        rel = {K: [] for K in range(Kmax + 1)}
        for E in exps:
            digits = int((Kmax + 3) * 2.0 / (L + 1) * E) + 60
            with mp.workdps(digits):
                gam = mp.mpf(10) ** E
                g = gam ** 2
                c = rich_root(L, mpq(b), g)
                for K in range(Kmax + 1):
                    rel[K].append(mp.log(abs(rich_series(d, L, g, K) / c - 1)))
        xs = [E * mp.log(10) for E in exps]
        print(f"L={L} b={b}:  d_1..d_6 nonzero pattern {[int(x != 0) for x in d[1:7]]}")
        for K in range(Kmax + 1):
            Kp = K
            while d[Kp + 1] == 0:
                Kp += 1
            pred = -2.0 * (Kp + 1) / (L + 1)
            s_all = fit_slope(xs, rel[K])
            s_last = (rel[K][-1] - rel[K][-2]) / (xs[-1] - xs[-2])
            okk = abs(s_all / pred - 1) < 0.05 and abs(s_last / pred - 1) < 0.05
            print(f"   K={K}: slope fit(1e10..1e50) = {mp.nstr(s_all, 7):>10}, local(1e45..1e50) = "
                  f"{mp.nstr(s_last, 7):>10}, predicted {pred:.6f}  {'OK' if okk else 'FAIL'}")
            assert okk
        # pre-asymptotic local slope at moderate gamma
        lo = 3 if L == 10 else 2
        with mp.workdps(60):
            vals = []
            for E in (lo, lo + 1):
                g = mp.mpf(10) ** (2 * E)
                c = rich_root(L, mpq(b), g)
                vals.append([mp.log(abs(rich_series(d, L, g, K) / c - 1)) for K in range(Kmax + 1)])
            print(f"   (moderate gamma 1e{lo}..1e{lo + 1}: local slopes "
                  + ", ".join(mp.nstr((vals[1][K] - vals[0][K]) / mp.log(10), 4) for K in range(Kmax + 1)) + ")")

    print()
    print("=" * 78)
    print("3. Radius of convergence in eps (R15): rich series converges for |g| > R_rich")
    print("=" * 78)
    for (L, b) in [(1, 0), (3, 0), (1, Fr(1, 10)), (4, Fr(1, 10)), (3, Fr(1, 10)), (2, Fr(1)), (10, Fr(10000)),
                   (16, Fr(1, 10))]:
        ae, e, gs = rich_radius(L, mpq(b))
        note = ""
        if b == 0:
            note = f"  (b=0: (L+1)/L^(L/(L+1)) = {mp.nstr((L + 1) / mp.mpf(L) ** (mp.mpf(L) / (L + 1)), 10)})"
        # root test on exact coefficients
        dd = [d_num(n, L, L, b) for n in range(121)]
        M = lambda k: max(mp.log(abs(dd[i])) + 1.5 * log(i) for i in range(k - 2 * (L + 1), k + 1) if dd[i] != 0)
        rt = mp.exp((M(120) - M(80)) / 40) ** -1
        print(f"L={L} b={b}: eps radius = {mp.nstr(ae, 10)} (root test {mp.nstr(rt, 5)}),  R_rich = |g*| = "
              f"{mp.nstr(abs(gs), 10)}, g* = {mp.nstr(gs, 8)}{note}")

    print()
    print("=" * 78)
    print("4. The rich series at moderate gamma (reference cases), partial sums")
    print("=" * 78)
    for (gam, beta, L, ref) in [(1, 10, 1, "1.564642107233421532008679983955752283364"),
                                (1, 10, 4, "2.981240152385322362238573573411464724975"),
                                (4, 10, 16, "55.790734915273130345303922069964589464")]:
        b = Fr(1, beta)
        g = mp.mpf(gam) ** 2
        c = rich_root(L, mpq(b), g)
        d = [d_num(n, L, L, b) for n in range(161)]
        parts = {K: rich_series(d, L, g, K) for K in (0, 1, 2, 5, 10, 20, 40, 80, 160)}
        print(f"gamma={gam} b=1/{beta} L={L}: exact c_L = {mp.nstr(c, 40)} (reference: {ref}, "
              f"diff {mp.nstr(c - mp.mpf(ref), 3)})")
        print("    |c^[K]/c - 1| for K = " + ", ".join(f"{K}: {mp.nstr(abs(v / c - 1), 3)}" for K, v in parts.items()))

    print()
    print("=" * 78)
    print("5. Reference values (40 digits)")
    print("=" * 78)
    for (L, b, gam) in [(3, Fr(1, 10), 10), (3, Fr(1, 10), 100), (1, Fr(1, 10), 100), (4, Fr(0), 1000),
                        (2, Fr(1), 10 ** 10)]:
        g = mp.mpf(gam) ** 2
        c = rich_root(L, mpq(b), g)
        d = [d_closed(n, L, L, b) for n in range(6)]
        print(f"L={L} b={b} gamma={gam}: exact c_L = {mp.nstr(c, 40)}")
        print("      " + ";  ".join(f"c^[{K}] = {mp.nstr(rich_series(d, L, g, K), 40)}" for K in (0, 2, 5)))


if __name__ == "__main__":
    main()
