#!/usr/bin/env python3
"""python-flint (FLINT 3 arb balls) peer for the whitened overlaps: the same computation as
`adaptive-kernels sweep`, done the way an arb user would do it.

For u = -chi > 0, s = 1 + u, c = s^L, b = 1/beta, g = gamma^2 (notes/whitened-overlaps.md):
  E(u) = u (b + s^L)^2 - g s^L                        (W4)
  E'(u) = (b + s^L)^2 + 2 L u s^(L-1) (b + s^L) - g L s^(L-1)   (W9)
  S = (L/2) (u - log1p(u)) + g / (2 (c + b))         (W8), arb's log1p.
Per root: a Double hint (Newton-bisection on the log-space form of (W4)), then interval Newton
N(X) = m - E(m)/E'(X) in arb balls with the precision doubled each step until X's relative
radius is below 2^-(T + depth bits + 16), T the bits of D + 3 digits; existence and uniqueness
certified by N(X) inside X. Then c, chi and S in arb and their correctly rounded D-digit
decimals (both ends of each ball must round alike, else the precision doubles: Ziv's loop).
Only the single-root regime (every case the benchmark runs: gamma = 1, beta = 10) is covered.

Usage (whole-process timing): python3 bench/overlaps_flint.py GAMMA BETA LMIN LMAX DIGITS
prints one line per depth: L,c,chi,S (correctly rounded decimals), and the in-process solve time
(the first call: cold) on stderr.
"""
import math
import sys
from fractions import Fraction

sys.set_int_max_str_digits(0)

from flint import arb, ctx, fmpq


def digit_bits(digits):
    return int((digits + 3) * 3.3219280948873623)


def softplus(t):
    return t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))


def hint(g, b, L):
    """Double root of h(tau) = tau + 2 ln(b + s^L) - ln g - L ln s, tau = ln u (eq. W5), by
    Newton's method with dh/dtau = 1 + L sigma(tau) (2 w - 1), w = s^L/(b + s^L), safeguarded by
    bisection (h is increasing in the single-root regime the benchmark runs)."""
    lg, lb = math.log(g), (math.log(b) if b > 0 else -math.inf)

    def h_and_slope(t):
        ls = L * softplus(t)
        if lb > -math.inf:
            m = max(lb, ls)
            lae = m + math.log1p(math.exp(-abs(lb - ls)))
            w = 1 / (1 + math.exp(lb - ls))
        else:
            lae, w = ls, 1.0
        sigma = 1 / (1 + math.exp(-t))
        return t + 2 * lae - lg - ls, 1 + L * sigma * (2 * w - 1)

    lo, hi = 0.5 * lg - 1.0, 0.5 * lg + 1.0
    step = 1.0
    while h_and_slope(hi)[0] <= 0:
        hi += step; step *= 2
    step = 1.0
    while h_and_slope(lo)[0] > 0:
        lo -= step; step *= 2
    t = 0.5 * (lo + hi)
    for _ in range(100):
        value, slope = h_and_slope(t)
        if value > 0:
            hi = t
        else:
            lo = t
        nxt = t - value / slope
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi)
        if abs(nxt - t) <= 1e-15 * max(1.0, abs(t)):
            return math.exp(nxt)
        t = nxt
    return math.exp(t)


def rounded(x, digits):
    """The correctly rounded D-digit decimal of the ball x as (integer digits, power of ten of the
    last digit), or None when the ends of x round differently (exact integer arithmetic)."""
    lo, hi = x.lower(), x.upper()
    if lo <= 0 <= hi:
        return None
    k = math.floor(math.log10(abs(float(x.mid()))))
    low_digits, high_digits = 10 ** (digits - 1), 10 ** digits
    out = []
    for end in (lo, hi):
        m, e = end.mid().man_exp()
        m, e = int(m), int(e)
        kk = k
        while True:
            scale = digits - 1 - kk
            num = m * 10 ** scale if scale >= 0 else m
            den = 1 if scale >= 0 else 10 ** (-scale)
            if e >= 0:
                num <<= e
            else:
                den <<= -e
            n = (2 * num + den) // (2 * den) if num >= 0 else -((-2 * num + den) // (2 * den))
            if abs(n) >= high_digits:
                kk += 1; continue
            if abs(n) < low_digits:
                kk -= 1; continue
            out.append((n, -scale))
            break
    return out[0] if out[0] == out[1] else None


def as_text(value):
    n, e = value
    return f"{n}e{e}"


def solve(gamma, beta, L, digits):
    """(c, chi, S) as (digits, exponent) pairs for the root at depth L."""
    gq = fmpq(*gamma) ** 2
    bq = fmpq(beta[1], beta[0]) if beta is not None else fmpq(0)
    g, b = float(gq.p) / float(gq.q), float(bq.p) / float(bq.q)
    depth_bits = L.bit_length()
    target = digit_bits(digits) + depth_bits + 16
    u0 = hint(g, b, L)
    old = ctx.prec
    try:
        prec = 64
        ctx.prec = prec
        X = arb(u0, u0 * 2.0 ** -36)
        certified = False
        while True:
            ctx.prec = prec
            G, B = arb(gq), arb(bq)
            m = arb(X.mid())
            s = 1 + m
            sL = s ** L
            f = m * (B + sL) ** 2 - G * sL
            S = 1 + X
            SL1 = S ** (L - 1)
            BS = B + SL1 * S
            fp = BS ** 2 + (2 * L) * X * SL1 * BS - G * L * SL1
            N = m - f / fp
            if not certified:
                if not X.contains_interior(N):   # the hint ball did not trap the root: widen it
                    X = arb(X.mid(), X.rad() * 4)
                    if prec > 4 * target:
                        raise RuntimeError("interval Newton did not certify the root")
                    continue
                certified = True
            X = N
            if X.rad() < X.mid() * arb(2) ** -target:
                # Derived quantities and their decimals at this precision; Ziv: double if undecided.
                U = X
                c = (1 + U) ** L
                chi = -U
                action = arb(L) / 2 * (U - U.log1p()) + G / (2 * (c + B))
                values = [rounded(c, digits), rounded(chi, digits), rounded(action, digits)]
                if all(v is not None for v in values):
                    return values
                target *= 2
            prec = min(2 * prec, target + 64) if prec < target + 64 else prec + 64
    finally:
        ctx.prec = old


def parse_rational(text):
    f = Fraction(text)
    return (f.numerator, f.denominator)


def run(gamma_text, beta_text, depths, digits):
    gamma = parse_rational(gamma_text)
    beta = None if beta_text == "inf" else parse_rational(beta_text)
    return {L: solve(gamma, beta, L, digits) for L in depths}


if __name__ == "__main__":
    gamma_text, beta_text, lmin, lmax, digits = sys.argv[1:6]
    # An optional 6th argument repeats the solve (instruction counts per solve: callgrind on
    # 0, 1 and n repeats; 0 = start-up and imports only).
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    import time
    start = time.perf_counter()
    results = {}
    for _ in range(repeats):
        results = run(gamma_text, beta_text, range(int(lmin), int(lmax) + 1), int(digits))
    sys.stderr.write(f"solve {time.perf_counter() - start:.6f}\n")     # the first, cold solve in process
    sys.stdout.write("".join(f"{L},{as_text(c)},{as_text(x)},{as_text(s)}\n" for L, (c, x, s) in results.items()))
