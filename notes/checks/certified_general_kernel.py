#!/usr/bin/env python3
"""Reference values for the certified general-C solver (notes/general-kernel-reduction.md, G16-G21),
with mpmath at 60 digits and no eigendecomposition: v = (tC + bI)^{-1} y by mp.lu_solve,
E(u) = u - g t v^T C v (G16), roots bracketed on a fine geometric grid and polished by bisection
(anderson), action S (G8'), overlaps y^T Phi^l y/|y|^2 (G11'). Used by GeneralCertifiedTests.
usage: python3 notes/checks/certified_general_kernel.py"""
import mpmath as mp
mp.mp.dps = 60
F = mp.mpf

def case(name, C, y, gamma, beta, L):
    C = mp.matrix(C); y = mp.matrix(y); n = len(y)
    g = F(gamma) ** 2; b = 1 / F(beta)
    def res(u):
        t = (1 + u) ** L
        M = t * C + b * mp.eye(n)
        v = mp.lu_solve(M, y)
        cv = C * v
        return t, v, cv
    def E(u):
        t, v, cv = res(u)
        return u - g * t * (v.T * cv)[0]
    grid = [mp.mpf(10) ** (k / F(200)) for k in range(-1600, 1201)]
    vals = [E(u) for u in grid]
    roots = []
    for a, c, ea, ec in zip(grid, grid[1:], vals, vals[1:]):
        if ea * ec < 0:
            roots.append((mp.findroot(E, (a, c), solver="anderson"), int(mp.sign(ea))))
    print(f"case {name}: {len(roots)} root(s)")
    norm = (y.T * y)[0]; yCy = (y.T * C * y)[0]
    for u, sign in roots:
        t, v, cv = res(u)
        s = 1 + u
        action = F(L) / 2 * (u - mp.log(s)) + g / 2 * (y.T * v)[0]
        r = (y.T * cv)[0]
        over = [(yCy + g * t * (s ** l - 1) / u * r ** 2) / norm for l in range(1, L + 1)]
        print(f"  u = {mp.nstr(u, 40)}  ({'minimum' if sign < 0 else 'maximum'})")
        print(f"  action = {mp.nstr(action, 40)}")
        for l, o in enumerate(over, 1): print(f"  overlap_{l} = {mp.nstr(o, 40)}")

third = F(1) / 3
case("A", [[1, F(1)/2, 0], [F(1)/2, 1, F(1)/2], [0, F(1)/2, 1]], [1, -F(1)/2, third], 1, 10, 4)
case("B", [[1, F(1)/2, 0], [F(1)/2, 1, F(1)/2], [0, F(1)/2, 1]], [1, 0, 1], 27, F(1)/100, 3)
