#!/usr/bin/env python3
"""Checks for notes/asymptotics-deep.md (L -> infinity).

Run:  nice -n 19 python3 notes/checks/asymptotics_deep.py

Equation numbers (D1)...(D31) refer to the note.
  A. fixed gamma: exact roots for L = 1e2 .. 1e8 (log space, Newton polished),
     the power-law hierarchy c^{[n]} (D9)-(D12) with measured vs predicted
     local log-log slopes; the order-by-order delta_j solver vs (D10);
     the iteration (D14).
  B. logarithmic hierarchy K/ln K, K/(ln K - ln ln K), ... (D16)-(D19).
  C. joint limit kappa = L g fixed: c_inf, the 1/L corrections (D22)-(D24),
     measured slopes -1, -2, -3; roots and the cusp (D26)-(D29), b_c(L);
     lazy coefficients of the joint limit (D30).
  D. reference values (40 digits).
"""
import mpmath as mp

from asymptotics_common import fL, newton_polish

mp.mp.dps = 60


# ----------------------------------------------------------------------------
# exact roots
# ----------------------------------------------------------------------------
def bisect_newton(F, dF, lo, hi, bits=40):
    """bisection on a sign-changing bracket to ~2^-bits relative, then Newton polish."""
    flo = F(lo)
    assert flo * F(hi) < 0
    for _ in range(bits + int(mp.log(abs(hi - lo) + 1, 2)) + 2):
        mid = (lo + hi) / 2
        fm = F(mid)
        if fm == 0:
            return mid
        if (fm < 0) == (flo < 0):
            lo, flo = mid, fm
        else:
            hi = mid
    x = newton_polish(F, dF, (lo + hi) / 2)
    return x


def root_near(f, df, y0, w=mp.mpf('0.5')):
    """bracket [y0-w, y0+w] (widened if needed), anderson, then Newton polish.
    NB: anderson alone stops at ~1e-20 relative here; the polish is essential."""
    while not (f(y0 - w) * f(y0 + w) < 0):
        w *= 2
        assert w < 50, "no bracket"
    y = mp.findroot(f, (y0 - w, y0 + w), solver='anderson')
    y = newton_polish(f, df, y)
    assert y0 - w < y < y0 + w and abs(f(y)) < mp.mpf(10) ** (-mp.mp.dps + 10) * max(1, abs(y))
    return y


def exact_cL(L, g, b):
    """large root of c = (1 + g c/(b+c)^2)^L (the deep branch)."""
    L = mp.mpf(L); g = mp.mpf(g); b = mp.mpf(b)
    f, df = fL(L, g, b)
    K = L * g
    y = root_near(f, df, mp.log(K / mp.lambertw(K).real))
    assert df(y) > 0
    return mp.exp(y)


# ----------------------------------------------------------------------------
# power-law hierarchy
# ----------------------------------------------------------------------------
def r_coef(j, g, b):
    """(D3): r_j = [z^j] R(z), R(z) = ln(1 + g z/(1+bz)^2)/(g z)"""
    return (-1) ** j * sum(g ** (k - 1) / mp.mpf(k) * mp.binomial(j + k, j + 1 - k) * b ** (j + 1 - k)
                           for k in range(1, j + 2))


def smul(p, q, N):
    r = [mp.mpf(0)] * N
    for i in range(min(N, len(p))):
        if p[i] != 0:
            for j in range(min(N - i, len(q))):
                r[i + j] += p[i] * q[j]
    return r


def delta_series(W, g, b, N):
    """(D8): order-by-order solution of
         (1+d)(1 + ln(1+d)/W) = R(h/(1+d)),   d = sum_{j>=1} delta_j h^j,
    truncated power series in h with numeric coefficients; returns [0, delta_1..delta_N]."""
    r = [r_coef(j, g, b) for j in range(N + 1)]
    om = 1 + 1 / W
    d = [mp.mpf(0)] * (N + 1)
    for j in range(1, N + 1):
        M = j + 1
        dd = d[:M]
        # ln(1+d) = sum_k (-1)^{k+1} d^k / k
        ln1 = [mp.mpf(0)] * M
        pw = [mp.mpf(1)] + [mp.mpf(0)] * (M - 1)
        for k in range(1, M):
            pw = smul(pw, dd, M)
            for i in range(M):
                ln1[i] += (-1) ** (k + 1) * pw[i] / k
        opd = [mp.mpf(1)] + dd[1:]
        A = smul(opd, [mp.mpf(1) + ln1[0] / W] + [x / W for x in ln1[1:]], M)
        # R(h/(1+d)) = sum_m r_m h^m (1+d)^{-m}
        Rv = [mp.mpf(0)] * M
        for m in range(M):
            # (1+d)^{-m} = sum_k binom(-m, k) d^k
            inv = [mp.mpf(0)] * M
            pw = [mp.mpf(1)] + [mp.mpf(0)] * (M - 1)
            for k in range(M):
                if k > 0:
                    pw = smul(pw, dd, M)
                for i in range(M):
                    inv[i] += mp.binomial(-m, k) * pw[i]
            for i in range(M - m):
                Rv[i + m] += r[m] * inv[i]
        E = [A[i] - Rv[i] for i in range(M)]
        d[j] = -E[j] / om
    return d


def delta_explicit(W, g, b):
    """(D10)"""
    r1, r2, r3 = [r_coef(j, g, b) for j in (1, 2, 3)]
    om = 1 + 1 / W
    d1 = r1 / om
    d2 = (r2 - r1 * d1 - d1 ** 2 / (2 * W)) / om
    d3 = (r3 - 2 * r2 * d1 + r1 * (d1 ** 2 - d2) - d1 * d2 / W + d1 ** 3 / (6 * W)) / om
    return [mp.mpf(0), d1, d2, d3]


def deep_series(L, g, b, n, d=None):
    """(D11): c^{[n]} = (K/W)(1 + sum_{j<=n} delta_j h^j)"""
    L = mp.mpf(L); g = mp.mpf(g); b = mp.mpf(b)
    K = L * g; W = mp.lambertw(K).real; h = W / K
    if d is None:
        d = delta_series(W, g, b, max(n, 1) + 1)
    return (K / W) * (1 + sum(d[j] * h ** j for j in range(1, n + 1))), d, h, W


def deep_iterate(L, g, b, n):
    """(D14): c_{k+1} = K' / W(K'), K' = K R(1/c_k), starting from c_0 = K/W(K)"""
    L = mp.mpf(L); g = mp.mpf(g); b = mp.mpf(b)
    K = L * g
    c = K / mp.lambertw(K).real
    for _ in range(n):
        z = 1 / c
        Kp = K * mp.log1p(g * z / (1 + b * z) ** 2) / (g * z)
        c = Kp / mp.lambertw(Kp).real
    return c


# ----------------------------------------------------------------------------
# logarithmic hierarchy (de Bruijn expansion of W)
# ----------------------------------------------------------------------------
def W_level(K, p):
    """W^{[p]}: p = -1 -> ln K (paper form); p = 0 -> l1 - l2; p >= 1 adds T_1..T_p (D17)"""
    l1 = mp.log(K); l2 = mp.log(l1)
    if p == -1:
        return l1
    w = l1 - l2
    for q in range(1, p + 1):
        w += T_term(q, l1, l2)
    return w


def T_term(q, l1, l2):
    """(D17): T_q = sum_{m=1}^{q} (-1)^{q-m} [q, q-m+1] l2^m / (m! l1^q),
    [n, k] = unsigned Stirling numbers of the first kind"""
    s = mp.mpf(0)
    for m in range(1, q + 1):
        k = q - m
        s += (-1) ** k * stirling1u(k + m, k + 1) * l2 ** m / mp.factorial(m)
    return s / l1 ** q


def stirling1u(n, k):
    # unsigned Stirling numbers of the first kind by recurrence
    S = [[0] * (n + 1) for _ in range(n + 1)]
    S[0][0] = 1
    for i in range(1, n + 1):
        for j in range(1, i + 1):
            S[i][j] = S[i - 1][j - 1] + (i - 1) * S[i - 1][j]
    return S[n][k]


# ----------------------------------------------------------------------------
# joint limit
# ----------------------------------------------------------------------------
def turning_points(b):
    """zeros y > 1 of (D27) q(y) = b(y-1) - e^y(1+y): 0 or 2 of them (1 at the cusp)."""
    b = mp.mpf(b)
    if b <= 0:
        return []
    q = lambda y: b * (y - 1) - mp.exp(y) * (1 + y)
    dq = lambda t: b - mp.exp(t) * (2 + t)
    # q(y) > 0  <=>  b > m(y) = e^y (1+y)/(y-1); m decreases on (1, sqrt3) and
    # increases on (sqrt3, inf), m(sqrt3) = b_c: one zero in each bracket iff b > b_c
    s3 = mp.sqrt(3)
    if q(s3) <= 0:
        return []
    return [bisect_newton(q, dq, 1 + mp.mpf(10) ** -30, s3), bisect_newton(q, dq, s3, mp.log(b) + 2)]


def joint_roots(kappa, b, tp=None):
    """all positive roots c of c = exp(kappa c/(b+c)^2)  (D21), via y = ln c:
    kappa = k(y) := y e^{-y} (b + e^y)^2;  k is monotone between the zeros of
    (D27) b(y-1) = e^y(1+y)."""
    kappa = mp.mpf(kappa); b = mp.mpf(b)
    k = lambda y: y * mp.exp(-y) * (b + mp.exp(y)) ** 2
    G = lambda y: k(y) - kappa
    if tp is None:
        tp = turning_points(b)
    pts = [mp.mpf(0)] + tp + [mp.log(kappa) + 5 + 2 * abs(mp.log(b + 1))]
    roots = []
    for y1, y2 in zip(pts, pts[1:]):
        if G(y1) * G(y2) < 0:
            dk = lambda y: mp.exp(-y) * (b + mp.exp(y)) * (b * (1 - y) + mp.exp(y) * (1 + y))
            y = bisect_newton(G, dk, y1, y2)
            roots.append(mp.exp(y))
    return roots, [mp.exp(t) for t in tp]


def joint_corrections(c0, kappa, b):
    """(D23),(D24): c_L = c0 + c1/L + c2/L^2 + O(L^-3)"""
    a = lambda c: kappa * c / (b + c) ** 2
    a1 = lambda c: kappa * (b - c) / (b + c) ** 3
    a2 = lambda c: kappa * (2 * c - 4 * b) / (b + c) ** 4
    G1 = 1 / c0 - a1(c0)
    G2 = -1 / c0 ** 2 - a2(c0)
    A0 = a(c0)
    c1 = -A0 ** 2 / (2 * G1)
    c2 = -(G2 * c1 ** 2 / 2 + A0 * a1(c0) * c1 - A0 ** 3 / 3) / G1
    return c1, c2


def finite_L_root_near(L, kappa, b, c_guess):
    L = mp.mpf(L)
    f, df = fL(L, mp.mpf(kappa) / L, mp.mpf(b))
    return mp.exp(root_near(f, df, mp.log(c_guess), w=mp.mpf('0.05')))


def bc_finite(L):
    """(D29): b_c(L) = min_{s > L/(L-1)} s^L((L+1)s - L)/((L-1)s - L), via log-derivative zero"""
    L = mp.mpf(L)
    lg = lambda s: L / s + (L + 1) / ((L + 1) * s - L) - (L - 1) / ((L - 1) * s - L)
    s_lo = L / (L - 1)
    # zero of the log-derivative on (s_lo, inf): scan in t = (s - s_lo)
    a, bb = s_lo * (1 + mp.mpf(10) ** -12), s_lo * 4
    while lg(bb) < 0:
        bb *= 2
    s = bisect_newton(lg, lambda t: mp.diff(lg, t), a, bb)
    return s ** L * ((L + 1) * s - L) / ((L - 1) * s - L), s


def local_slopes(xs, ys):
    return [(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) for i in range(len(xs) - 1)]


def main():
    print("=" * 78)
    print("0. Reference case: gamma = 1, b = 0.01, L = 1000")
    print("=" * 78)
    L, g, b = 1000, 1, mp.mpf('0.01')
    c = exact_cL(L, g, b)
    ref = mp.mpf('190.0542833244006104209618692387170285724')
    print(f"exact c_L            = {mp.nstr(c, 40)}   (reference {mp.nstr(ref, 40)}, diff {mp.nstr(c - ref, 3)})")
    K = mp.mpf(L * g)
    print(f"paper  K/ln K        = {mp.nstr(K / mp.log(K), 12)}")
    for n in range(0, 5):
        v, d, h, W = deep_series(L, g, b, n)
        print(f"c^[{n}] (D11)          = {mp.nstr(v, 40)}   rel.err {mp.nstr(v / c - 1, 4)}")
    print(f"iteration (D14), 3 steps = {mp.nstr(deep_iterate(L, g, b, 3), 40)}")
    assert abs(c - ref) < mp.mpf(10) ** -36

    print()
    print("=" * 78)
    print("A1. delta_j: order-by-order solver (D8) vs explicit (D10)")
    print("=" * 78)
    for (g, b, K) in [(1, mp.mpf('0.01'), 1000), (mp.mpf('0.25'), 1, 10 ** 5), (2, 5, 10 ** 8)]:
        W = mp.lambertw(mp.mpf(K)).real
        ds = delta_series(W, mp.mpf(g), b, 5)
        de = delta_explicit(W, mp.mpf(g), b)
        diff = max(abs(ds[j] - de[j]) for j in (1, 2, 3))
        print(f"g={g} b={b} K={K}: W={mp.nstr(W, 12)} delta_1..5 = {[mp.nstr(x, 10) for x in ds[1:]]}  "
              f"|solver - explicit| = {mp.nstr(diff, 3)}")
        assert diff < mp.mpf(10) ** -50
        r1, r2 = r_coef(1, g, b), r_coef(2, g, b)
        assert abs(r1 + 2 * b + mp.mpf(g) / 2) < 1e-50 and abs(r2 - 3 * b ** 2 - 2 * b * g - mp.mpf(g) ** 2 / 3) < 1e-50

    print()
    print("=" * 78)
    print("A2. Fixed gamma, L = 1e2 .. 1e8: relative error of c^{[n]} and local log-log")
    print("    slopes d ln|err| / d ln L: measured vs predicted from |delta_{n+1}| h^{n+1}")
    print("    (asymptotic value -(n+1) W/(1+W) -> -(n+1))")
    print("=" * 78)
    Ls = [mp.mpf(10) ** (2 + mp.mpf(i) / 2) for i in range(13)]
    nmax = 4
    for (g, b) in [(1, mp.mpf('0.01')), (1, 0), (mp.mpf('0.25'), 1), (4, 3)]:
        g = mp.mpf(g); b = mp.mpf(b)
        errs = {n: [] for n in range(nmax + 1)}
        model = {n: [] for n in range(nmax + 1)}
        Wl = []
        for L in Ls:
            c = exact_cL(L, g, b)
            W = mp.lambertw(L * g).real
            d = delta_series(W, g, b, nmax + 1)
            for n in range(nmax + 1):
                v, d, h, W = deep_series(L, g, b, n, d)
                errs[n].append(mp.log(abs(v / c - 1)))
                model[n].append(mp.log(abs(d[n + 1]) * h ** (n + 1)))
            Wl.append(W)
        xs = [mp.log(L) for L in Ls]
        print(f"g={mp.nstr(g, 4)} b={mp.nstr(b, 4)}:")
        for n in range(nmax + 1):
            ms = local_slopes(xs, errs[n]); ps = local_slopes(xs, model[n])
            ratio_end = mp.exp(errs[n][-1] - model[n][-1])
            worst = max(abs(m / p - 1) for m, p in list(zip(ms, ps))[4:])     # L >= 1e4
            asym = -(n + 1) * Wl[-1] / (1 + Wl[-1])
            print(f"   n={n}: err(L=1e2) {mp.nstr(mp.exp(errs[n][0]), 3):>9}, err(L=1e8) {mp.nstr(mp.exp(errs[n][-1]), 3):>9};"
                  f" slope 1e2->: {mp.nstr(ms[0], 4):>7} (pred {mp.nstr(ps[0], 4):>7}),"
                  f" ->1e8: {mp.nstr(ms[-1], 5):>7} (pred {mp.nstr(ps[-1], 5):>7}, -(n+1)W/(1+W) {mp.nstr(asym, 4)});"
                  f" max|meas/pred-1| (L>=1e4) = {mp.nstr(worst, 2)}; err/model(1e8) = {mp.nstr(ratio_end, 6)}"
                  f"  {'OK' if worst < 0.05 else 'FAIL'}")
            assert worst < 0.05
    # iteration (D14) gains the same orders
    L, g, b = mp.mpf(10) ** 6, mp.mpf(1), mp.mpf('0.01')
    c = exact_cL(L, g, b)
    print("   iteration (D14) at g=1 b=0.01 L=1e6: rel. errors after k steps: "
          + ", ".join(f"{k}: {mp.nstr(abs(deep_iterate(L, g, b, k) / c - 1), 3)}" for k in range(5)))

    print()
    print("=" * 78)
    print("B. Logarithmic hierarchy: c_p = K/W^{[p]}, W^{[-1]} = ln K (paper form),")
    print("   W^{[0]} = l1 - l2, W^{[p]} = l1 - l2 + T_1 + ... + T_p  (D16)-(D19)")
    print("   error vs the Lambert form K/W(K), predicted leading term T_{p+1}/l1;")
    print("   slopes are d ln|err| / d ln(ln K)  (log-log slope in L itself -> 0)")
    print("=" * 78)
    g = mp.mpf(1)
    Ls = [mp.mpf(10) ** e for e in (2, 3, 4, 6, 8, 12, 16, 24, 32, 100, 1000, 10000)]
    for p in range(-1, 4):
        e_lam = []; e_mod = []; e_ex = []
        for L in Ls:
            K = L * g; W = mp.lambertw(K).real
            l1 = mp.log(K); l2 = mp.log(l1)
            cp = K / W_level(K, p)
            e_lam.append(cp / (K / W) - 1)
            e_mod.append((-l2 if p == -1 else T_term(p + 1, l1, l2)) / l1)
        xs = [mp.log(mp.log(L * g)) for L in Ls]
        ms = local_slopes(xs, [mp.log(abs(x)) for x in e_lam])
        ps = local_slopes(xs, [mp.log(abs(x)) for x in e_mod])
        asym = -1 if p == -1 else -(p + 2)
        print(f" p={p:>2}: rel.err vs Lambert at L=1e2,1e3,1e8,1e32,1e10000: "
              + ", ".join(mp.nstr(e_lam[i], 3) for i in (0, 1, 4, 8, 11))
              + ";  err/(T_(p+1)/l1) at 1e8, 1e32, 1e100, 1e1000, 1e10000: "
              + ", ".join(mp.nstr(e_lam[i] / e_mod[i], 4) for i in (4, 8, 9, 10, 11)))
        print(f"        local slope d ln|err|/d ln ln K (1e2->1e3, 1e6->1e8, 1e24->1e32, 1e1000->1e10000): "
              f"{mp.nstr(ms[0], 3)}, {mp.nstr(ms[3], 3)}, {mp.nstr(ms[7], 4)}, {mp.nstr(ms[-1], 4)};  model: "
              f"{mp.nstr(ps[0], 3)}, {mp.nstr(ps[3], 3)}, {mp.nstr(ps[7], 4)}, {mp.nstr(ps[-1], 4)};  asymptotic {asym}")
        assert abs(e_lam[11] / e_mod[11] - 1) < 0.05
    L = mp.mpf(10) ** 8; c8 = exact_cL(L, 1, mp.mpf('0.01'))
    print(f" at L=1e8, g=1, b=0.01 vs exact: paper form rel.err {mp.nstr(L / mp.log(L) / c8 - 1, 4)},"
          f" Lambert {mp.nstr(L / mp.lambertw(L).real / c8 - 1, 4)}")

    print()
    print("=" * 78)
    print("C1. Joint limit kappa = L g fixed: c_L -> c_inf (D21) with 1/L corrections")
    print("    predicted slopes d ln|err|/d ln L: -1 (c_inf), -2 (+c1/L), -3 (+c2/L^2)")
    print("=" * 78)
    Ls = [mp.mpf(10) ** e for e in (3, 4, 5, 6, 7)]
    for (kappa, b) in [(mp.mpf('0.5'), 0), (mp.e, 0), (10, mp.mpf('0.01')), (100, 1), (5, 30), (383, 30), (1000, 60)]:
        kappa = mp.mpf(kappa); b = mp.mpf(b)
        roots, _ = joint_roots(kappa, b)
        for c0 in roots:
            c1, c2 = joint_corrections(c0, kappa, b)
            e = [[], [], []]
            for L in Ls:
                cl = finite_L_root_near(L, kappa, b, c0)
                e[0].append(mp.log(abs(cl - c0)))
                e[1].append(mp.log(abs(cl - c0 - c1 / L)))
                e[2].append(mp.log(abs(cl - c0 - c1 / L - c2 / L ** 2)))
            xs = [mp.log(L) for L in Ls]
            sl = [local_slopes(xs, e[i])[-1] for i in range(3)]
            ok = all(abs(sl[i] / (-(i + 1)) - 1) < 0.05 for i in range(3))
            print(f" kappa={mp.nstr(kappa, 5)} b={mp.nstr(b, 3)}: c_inf = {mp.nstr(c0, 15)}, c1 = {mp.nstr(c1, 8)},"
                  f" c2 = {mp.nstr(c2, 8)}; slopes {', '.join(mp.nstr(s, 5) for s in sl)}  {'OK' if ok else 'FAIL'}")
            assert ok
    # b = 0: c_inf = kappa / W(kappa) = e^{W(kappa)}
    for kappa in (mp.mpf('0.5'), mp.e, mp.mpf(1000)):
        r, _ = joint_roots(kappa, 0)
        assert len(r) == 1 and abs(r[0] - kappa / mp.lambertw(kappa).real) < mp.mpf(10) ** -50
    print(" b = 0: c_inf = kappa/W(kappa) confirmed (kappa = 0.5, e, 1000); c_inf(e) = e")

    print()
    print("=" * 78)
    print("C2. Multiple roots in the joint limit (D26)-(D29)")
    print("=" * 78)
    s3 = mp.sqrt(3)
    bc = (2 + s3) * mp.exp(s3)
    kc = (12 * s3 + 18) * mp.exp(s3)
    print(f" cusp: b_c = (2+sqrt3) e^sqrt3 = {mp.nstr(bc, 30)}, kappa_c = (18+12 sqrt3) e^sqrt3 = {mp.nstr(kc, 30)},"
          f" c_c = e^sqrt3 = {mp.nstr(mp.exp(s3), 20)}")
    for b in (20, 22, 30, 60, 100, 1000):
        b = mp.mpf(b)
        tpy = turning_points(b)
        tps = [mp.exp(t) for t in tpy]
        if not tps:
            print(f" b={mp.nstr(b, 5)}: k(y) monotone -> exactly one positive root for every kappa")
            continue
        kf = lambda c: mp.log(c) * (b + c) ** 2 / c
        kap = sorted(kf(t) for t in tps)
        kmid = (kap[0] + kap[1]) / 2
        r, _ = joint_roots(kmid, b, tpy)
        # action L*S -> S_inf(y) = y^2/4 + kappa/(2(b+e^y))   (D25)
        Sinf = lambda c, kk: mp.log(c) ** 2 / 4 + kk / (2 * (b + c))
        # Maxwell point: kappa where S_inf(smallest root) = S_inf(largest root)
        def dS(kk):
            rr, _ = joint_roots(kk, b, tpy)
            return Sinf(rr[0], kk) - Sinf(rr[-1], kk)
        with mp.workdps(30):
            kM = bisect_newton(dS, lambda kk: mp.diff(dS, kk), kap[0] * (1 + mp.mpf(10) ** -8),
                               kap[1] * (1 - mp.mpf(10) ** -8), bits=30)
        print(f" b={mp.nstr(b, 5)}: three roots for kappa in ({mp.nstr(kap[0], 10)}, {mp.nstr(kap[1], 10)});"
              f" at kappa={mp.nstr(kmid, 6)}: c = {', '.join(mp.nstr(x, 8) for x in r)};"
              f" equal-action (Maxwell) kappa_M = {mp.nstr(kM, 10)}")
    print(" finite-L threshold b_c(L) (D29) (unique positive root for b < b_c(L)):")
    rows = []
    for L in (2, 3, 4, 5, 10, 100, 1000, 10 ** 4, 10 ** 6):
        bcl, s = bc_finite(L)
        rows.append(f"L={L}: {mp.nstr(bcl, 12)}")
        if L >= 1000:
            rows[-1] += f" [L(b_c(L)-b_c) = {mp.nstr(L * (bcl - bc), 6)}]"
    print("   " + ";  ".join(rows))

    print()
    print("=" * 78)
    print("C3. Lazy side of the joint limit (D30): [kappa^k] c_inf vs L^k [g^k] c_L (L = 1e4)")
    print("=" * 78)
    from math import comb
    from fractions import Fraction as Fr
    for b in (Fr(0), Fr(1, 10)):
        bm = mp.mpf(b.numerator) / b.denominator
        # [kappa^k] e^y with y = kappa phi_inf(y), phi_inf = e^y/(b+e^y)^2: (1/k)[y^{k-1}] e^y phi_inf^k
        jl = []
        for k in range(1, 6):
            fk = lambda y, k=k: mp.exp(y) * (mp.exp(y) / (bm + mp.exp(y)) ** 2) ** k
            jl.append(mp.taylor(fk, 0, k - 1)[k - 1] / k)
        Lf = 10 ** 4
        fin = []
        for k in range(1, 6):   # (Z10) of the lazy note with l = L
            s = Fr(0)
            for m in range(k):
                inner = sum(comb(m, i) * (-1) ** (m - i) * comb(Lf * (k + i) + Lf - 1, k - 1) for i in range(m + 1))
                s += (-1) ** m * comb(2 * k + m - 1, m) * (1 + b) ** (-2 * k - m) * inner
            v = Fr(Lf, k) * s / Fr(Lf) ** k
            fin.append(mp.mpf(v.numerator) / v.denominator)
        print(f" b={b}: joint-limit lazy coefficients {', '.join(mp.nstr(x, 10) for x in jl)};  "
              f"L=1e4 scaled: {', '.join(mp.nstr(x, 10) for x in fin)}")
        if b == 0:
            ex = [mp.mpf((1 - k) ** (k - 1)) / mp.factorial(k) if k > 1 else mp.mpf(1) for k in range(1, 6)]
            print(f"        b=0 closed form (1-k)^(k-1)/k!: {', '.join(mp.nstr(x, 10) for x in ex)}")

    print()
    print("=" * 78)
    print("D. Reference values (40 digits)")
    print("=" * 78)
    for (L, g, b) in [(1000, 1, '0.01'), (10 ** 8, 1, '0.01'), (10 ** 8, 1, 0), (10 ** 5, '0.25', 1)]:
        g = mp.mpf(g); b = mp.mpf(b); L = mp.mpf(L)
        c = exact_cL(L, g, b)
        print(f"L={mp.nstr(L, 3)} g={mp.nstr(g, 3)} b={mp.nstr(b, 3)}: exact c_L = {mp.nstr(c, 40)}")
        print(f"      Lambert K/W(K) = {mp.nstr(L * g / mp.lambertw(L * g).real, 40)}")
        for n in (1, 2, 3):
            print(f"      c^[{n}]          = {mp.nstr(deep_series(L, g, b, n)[0], 40)}")
    for (kappa, b) in [(mp.mpf(10), mp.mpf('0.01')), (mp.mpf(100), mp.mpf(1)), (mp.mpf(383), mp.mpf(30))]:
        r, _ = joint_roots(kappa, b)
        for c0 in r:
            c1, c2 = joint_corrections(c0, kappa, b)
            print(f"kappa={mp.nstr(kappa, 4)} b={mp.nstr(b, 3)}: c_inf = {mp.nstr(c0, 40)}, c1 = {mp.nstr(c1, 25)},"
                  f" c2 = {mp.nstr(c2, 25)}")
            cl = finite_L_root_near(10 ** 4, kappa, b, c0)
            print(f"      finite L = 1e4, root continued from this c_inf: c_L = {mp.nstr(cl, 40)}")


if __name__ == "__main__":
    main()
