"""Independent reference values for the whitened overlap equation (notes/theory-overview.md (T10)), with mpmath.

Works in t = ln c, F(t) = t - L ln(1 + g e^t / (b + e^t)^2): scans a grid for sign changes and
polishes each with a bracketing solver at high precision. Shares nothing with the Swift solver
(which works in u = -chi with interval arithmetic). Usage: python3 whitened_reference.py [digits]
"""
import sys
from fractions import Fraction
import mpmath as mp

def roots(gamma, beta, L, dps):
    mp.mp.dps = dps + 20
    g = mp.mpf(Fraction(gamma).numerator) / Fraction(gamma).denominator
    g = g * g
    b = mp.mpf(0) if beta == "inf" else 1 / (mp.mpf(Fraction(beta).numerator) / Fraction(beta).denominator)
    F = lambda t: t - L * mp.log1p(g * mp.exp(t) / (b + mp.exp(t)) ** 2)
    # c >= 1 so t >= 0; c <= (1 + g/(4b))^L or, for b = 0, c <= max(1, ...) -- scan generously in t.
    tmax = float(L * mp.log1p(g / (4 * b)) if b > 0 else L * mp.log1p(g)) + 5
    n = 20000
    grid = [tmax * k / n for k in range(n + 1)]
    values = [F(t) for t in grid]
    found = []
    for (t0, f0), (t1, f1) in zip(zip(grid, values), zip(grid[1:], values[1:])):
        if f0 == 0:
            found.append(mp.mpf(t0))
        elif f0 * f1 < 0:
            found.append(mp.findroot(F, (t0, t1), solver="anderson"))
    out = []
    for t in found:
        c = mp.exp(t)
        chi = -g * c / (b + c) ** 2
        # -L chi/2 - (L/2) ln(1 - chi) = (L/2)(u - ln(1 + u)), u = -chi, cancels like u^2/2 against
        # u: extra digits for small u (without them gamma = 1e-30 loses every digit of S).
        extra = int(-2 * mp.log10(abs(chi))) + 10 if 0 < abs(chi) < 1 else 10
        with mp.workdps(mp.mp.dps + extra):
            S = -L * chi / 2 - (L / 2) * mp.log1p(-chi) + g / (2 * ((1 - chi) ** L + b))
        out.append((c, chi, S))
    return out

if __name__ == "__main__":
    digits = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    cases = [("1", "10", 1), ("1", "10", 4), ("4", "10", 16), ("1", "100", 1000),
             ("316", "1/10000", 10), ("7/3", "0.37", 23), ("0.05", "inf", 7), ("12", "3/2", 100),
             ("2.5e-3", "1000", 5), ("9", "1/3", 6), ("31/10", "inf", 250)]
    for gamma, beta, L in cases:
        for i, (c, chi, S) in enumerate(roots(Fraction(gamma) if "/" in gamma else Fraction(gamma), beta if beta == "inf" else Fraction(beta), L, digits)):
            print(f"gamma={gamma} beta={beta} L={L} root{i+1}: c={mp.nstr(c, digits)} chi={mp.nstr(chi, digits)} S={mp.nstr(S, digits)}")
