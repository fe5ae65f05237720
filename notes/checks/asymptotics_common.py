"""Helpers shared by the checks of notes/asymptotics-lazy.md, notes/asymptotics-rich.md and notes/asymptotics-deep.md
(imported by asymptotics_lazy.py, asymptotics_rich.py and asymptotics_deep.py; run those, not this file).
Everything works at the caller's mpmath precision mp.mp.dps."""
from fractions import Fraction as Fr

import mpmath as mp


def mpq(x):
    """exact Fraction/int/str -> mpf at the working precision"""
    x = Fr(x)
    return mp.mpf(x.numerator) / x.denominator


def fL(L, g, b):
    """the root equation of c = (1 + g c/(b + c)^2)^L in log space, y = ln c: f(y) = y - L log1p(g e^y/(b + e^y)^2), and f'"""
    def f(y):
        E = mp.exp(y)
        return y - L * mp.log1p(g * E / (b + E) ** 2)

    def df(y):
        E = mp.exp(y)
        x = g * E / (b + E) ** 2
        return 1 - L * g * E * (b - E) / (b + E) ** 3 / (1 + x)
    return f, df


def newton_polish(F, dF, x, maxit=200):
    """Newton steps from x until the step is below 10^(3 - dps) relative (at most maxit steps)."""
    tol = mp.mpf(10) ** (-mp.mp.dps + 3)
    for _ in range(maxit):
        dx = F(x) / dF(x)
        x -= dx
        if abs(dx) <= tol * max(1, abs(x)):
            break
    return x


def polymul(p, q, N):
    """the first N coefficients of the product of the exact series p and q"""
    r = [Fr(0)] * N
    for i, x in enumerate(p[:N]):
        if x:
            for j, y in enumerate(q[:N - i]):
                r[i + j] += x * y
    return r


def fit_slope(xs, ys):
    """least-squares slope of ys against xs"""
    n = len(xs); mx = sum(xs) / n; my = sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def critical_roots(L, b):
    """the nonzero roots s of (L+1)s^{L+1} - L s^L - (L-1) b s + L b = 0 (notes/asymptotics-lazy.md (Z12)), each with
    g* = (s - 1)(b + s^L)^2/s^L: the critical points of g(u), u = s - 1 (s = 0, b = 0 only, has g* = 0: other sheets)."""
    coeffs = [0] * (L + 2)
    coeffs[0] = L + 1; coeffs[1] = -L
    coeffs[L] += -(L - 1) * b; coeffs[L + 1] += L * b
    out = []
    for s in mp.polyroots(coeffs, maxsteps=400, extraprec=400):
        if abs(s) < mp.mpf(10) ** -20:
            continue
        out.append(((s - 1) * (b + s ** L) ** 2 / s ** L, s))
    return out
