"""Reference values for notes/fluctuations-bayes.md (FB8)-(FB11), independent of the Swift code's
tridiagonal algebra (FB9): dense mpmath Hessians of A_y (FB5) and of the w-block form (FB7) by
numerical differentiation, dense inverses, and grad F by mpmath's numerical derivative.
Usage: python3 notes/checks/fluctuations_bayes_reference.py"""
import mpmath as mp
mp.mp.dps = 60

def root(g, b, L):
    # u > 0 with u (b + s^L)^2 = g s^L (notes/whitened-overlaps.md (W4)); unique for these cases.
    f = lambda u: u * (b + (1 + u) ** L) ** 2 - g * (1 + u) ** L
    lo, hi = mp.mpf(0), mp.mpf(1)
    while f(hi) < 0: hi *= 2
    for _ in range(260):  # bisection: f(0) = -g < 0 < f(hi)
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2

def A_y(c, g, b):
    L = len(c); cc = [mp.mpf(1)] + list(c)
    return mp.log(c[-1]) / 2 - sum(cc[l + 1] / cc[l] for l in range(L)) / 2 - g / (2 * (c[-1] + b))

def A_w(c, w, g, b):
    # (FB1) restricted to Phi^l = [[c_l, w_l], [w_l, 1]] on (y, e): exact in w.
    L = len(c); cc = [mp.mpf(1)] + list(c); ww = [mp.mpf(0)] + list(w)
    total = mp.log(c[-1] - w[-1] ** 2) / 2
    for l in range(L):
        det_prev = cc[l] - ww[l] ** 2
        total -= (cc[l + 1] - 2 * ww[l] * ww[l + 1] + cc[l]) / det_prev / 2
    total -= g / 2 * (1 + b) / ((c[-1] + b) * (1 + b) - w[-1] ** 2)
    return total

def hessian(f, x):
    n = len(x); H = mp.matrix(n, n)
    for i in range(n):
        for j in range(n):
            def fij(a, b_):
                y = list(x); y[i] += a; y[j] += b_; return f(y)
            H[i, j] = -mp.diff(fij, (0, 0), (1, 1)) if i != j else -mp.diff(lambda a: f([x[k] + (a if k == i else 0) for k in range(n)]), 0, 2)
    return H

def H_of(c, g, b): return hessian(lambda y: A_y(y, g, b), list(c))
def hw_of(c, g, b): return hessian(lambda w: A_w(c, w, g, b), [mp.mpf(0)] * len(c))

def F(c, g, b, P):
    return (-(P + 1) / mp.mpf(2) * sum(mp.log(x) for x in c) - mp.log(c[-1] + b) / 2
            - (P - 1) / mp.mpf(2) * mp.log(mp.det(hw_of(c, g, b))) - mp.log(mp.det(H_of(c, g, b))) / 2)

def fluctuations(g, b, L, P):
    g, b = mp.mpf(g), mp.mpf(b)
    s = 1 + root(g, b, L); c = [s ** l for l in range(1, L + 1)]
    Hi = H_of(c, g, b) ** -1
    grad = mp.matrix([mp.diff(lambda t: F([c[k] + (t if k == j else 0) for k in range(L)], g, b, P), 0) for j in range(L)])
    shift = Hi * grad
    Wi = hw_of(c, g, b) ** -1
    cb = c[-1] + b
    label_mean = (b / cb ** 2) ** 2 * Hi[L - 1, L - 1]
    perp_mean = (b / (cb * (1 + b))) ** 2 * Wi[L - 1, L - 1]
    kernel = (Hi[L - 1, L - 1] + 2 * L * (P - 1)) / mp.mpf(P) ** 2
    return c, [Hi[l, l] for l in range(L)], [shift[l] for l in range(L)], label_mean, perp_mean, kernel

if __name__ == "__main__":
    for case in [(1, mp.mpf(1) / 2, 2, 3), (mp.mpf(9) / 4, mp.mpf(1) / 5, 3, 6), (mp.mpf(1) / 4, 1, 1, 8)]:
        c, var, shift, lm, pm, k = fluctuations(*case)
        print("g, b, L, P =", case)
        for name, xs in [("c", c), ("N Var c", var), ("N shift", shift)]:
            print(" ", name, [mp.nstr(x, 25) for x in xs])
        print("  label mean var", mp.nstr(lm, 25), " orth mean var", mp.nstr(pm, 25), " kernel diag var", mp.nstr(k, 25))
