"""mpmath references for Tests/CLITests/RobustnessTests.swift (notes/exactness-audit.md).
Every value is computed from the defining equations, independently of the Swift code."""
import mpmath as mp
mp.mp.dps = 120

def bisect(f, lo, hi, iters=700):
    flo = f(lo)
    for _ in range(iters):
        mid = (lo + hi) / 2
        fm = f(mid)
        if (fm > 0) == (flo > 0): lo, flo = mid, fm
        else: hi = mid
    return (lo + hi) / 2

def antk_upper(g, l, L):
    """Largest root alpha of alpha^(2L) - g alpha^(L-1) + l; u = A/(A+l), a = A/l, A = alpha^(2L)."""
    f = lambda t: mp.log(mp.exp(2 * L * t) + l) - mp.log(g) - (L - 1) * t
    tc = (mp.log(L - 1) + mp.log(g) - mp.log(2 * L)) / (L + 1) if L > 1 else mp.mpf(-300)
    t = bisect(f, tc, mp.log(g) + 5) if L > 1 else mp.log(mp.sqrt(g - l))
    A = mp.exp(2 * L * t)
    return A / (A + l), A / l

def whitened_roots(g, b, L):
    h = lambda v: v + 2 * mp.log(b + mp.exp(L * mp.log1p(mp.exp(v)))) - mp.log(g) - L * mp.log1p(mp.exp(v))
    Q = lambda v: mp.exp(L * mp.log1p(mp.exp(v))) * (1 + (L + 1) * mp.exp(v)) + b * (1 - (L - 1) * mp.exp(v))
    grid = [mp.mpf(-30) + k * mp.mpf(60) / 3000 for k in range(3001)]
    crit = [bisect(Q, grid[k], grid[k + 1]) for k in range(3000) if (Q(grid[k]) > 0) != (Q(grid[k + 1]) > 0)]
    pts = [mp.mpf(-1000)] + crit + [mp.mpf(1000)]
    return [mp.exp(bisect(h, a, c)) for a, c in zip(pts, pts[1:]) if (h(a) > 0) != (h(c) > 0)]

print("antk 1000 1 100 upper u, a:", *[mp.nstr(x, 35) for x in antk_upper(mp.mpf(1000), mp.mpf(1), 100)])
print("antk 2 1 20000 upper u:", mp.nstr(antk_upper(mp.mpf(2), mp.mpf(1), 20000)[0], 35))
g = mp.mpf(100000000000000000001) / 100000000000000000000
print("antk 1+1e-20 1 1 upper u:", mp.nstr((g - 1) / g, 35))
print("kernels --exact C=I y=(1,0) gamma=1e200 beta=1 L=2 u:", mp.nstr(whitened_roots(mp.mpf(10) ** 400, mp.mpf(1), 2)[0], 35))
# P = 1: C = (2), y = (1): E(u) = u - g t 2/(2t+1)^2, t = (1+u)^2, g = 4, b = 1
E = lambda u: u - 4 * (1 + u) ** 2 * 2 / (2 * (1 + u) ** 2 + 1) ** 2
print("kernels --exact P=1 C=2 y=1 gamma=2 beta=1 L=2 u:", mp.nstr(bisect(E, mp.mpf('0.01'), mp.mpf(2)), 35))
gamma = mp.mpf(772531541740654344171300337597704597698605967029858963663819219033116868414118198583) / 5000000000000000000000000000000000000000000000000000000000000000000000000000000000
print("near-double gamma L=16 b=1000 roots u:", *[mp.nstr(u, 35) for u in whitened_roots(gamma ** 2, mp.mpf(1000), 16)])
# Rank-one C = ((1,1),(1,1)), y = (1,2): eigenvalue 2 with weight 9/2, so E(u) = u - g t 9/(2t + b)^2.
g, b, L = mp.mpf(189) ** 2, mp.mpf(1) / 649, 851
E = lambda u: u - g * (1 + u) ** L * 9 / (2 * (1 + u) ** L + b) ** 2
print("kernels --exact rank-one C gamma=189 beta=649 L=851 u:", mp.nstr(bisect(E, mp.mpf('0.001'), mp.mpf('0.0269898')), 35))
