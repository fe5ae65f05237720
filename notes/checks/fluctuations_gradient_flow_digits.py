"""Independent high-precision check of notes/fluctuations-gradient-flow.md (FG40)-(FG43).

The whitened two-layer system in the other formulation: the full (P+1) x (P+1) Gram matrix Q of [H w]
(FG3), dQ/dt = A^T Q + Q A with A(Q) = [[-lambda I, gamma Delta], [gamma Delta^T, -lambda]] (columns of H, then w),
Delta = y - Q[:P, P]/gamma; the first and second variational equations of this Q-flow along Q(0) = I, one pair per
direction B_k of (FG5) with its true size (sqrt 2 on the diagonal, the q-directions moving f by 1/gamma, so N Var of a
prediction is the total, no split (FG8)), no weighted sums (FG40): dU_k = A^T U_k + U_k A + A'(U_k)^T Q + Q A'(U_k),
dS_k = A^T S_k + S_k A + A'(S_k)^T Q + Q A'(S_k) + 2 (A'(U_k)^T U_k + U_k A'(U_k)), A' the linear part of A in Q.
Integrated by mpmath's odefun (a Taylor method whose coefficients come from finite differences of Euler steps in very
high precision: a different algorithm from the recurrence (FG41)), at two working precisions.

Usage: python3 notes/checks/fluctuations_gradient_flow_digits.py GAMMA LAMBDA T K P DPS
  (rationals as p/q; prints, per output time T i/K, N Var of f_1, f_2, f*, tr K/P, c_1, N (E c_1 - c_1), f_1, at DPS
  and DPS + 10 digits, and the largest difference between the two)
"""
import sys
from fractions import Fraction

import mpmath as mp


def solve(gamma, lam, T, K, P, dps):
    mp.mp.dps = dps
    g, l = mp.mpf(gamma.numerator) / gamma.denominator, mp.mpf(lam.numerator) / lam.denominator
    n = P + 1
    dirs = []
    for i in range(n):
        for j in range(i, n):
            B = mp.zeros(n, n)
            if i == j:
                B[i, i] = mp.sqrt(2)
            else:
                B[i, j] = B[j, i] = 1
            dirs.append(B)
    k = len(dirs)

    def amat(Q, affine):
        """A(Q) (affine=True) or its linear part A'(Q) (affine=False)."""
        A = mp.zeros(n, n)
        for mu in range(P):
            d = (1 if (affine and mu == 0) else 0) - Q[mu, P] / g
            A[mu, P] = g * d
            A[P, mu] = g * d
            if affine:
                A[mu, mu] = -l
        if affine:
            A[P, P] = -l
        return A

    def unpack(z):
        mats = []
        for b in range(1 + 2 * k):
            M = mp.zeros(n, n)
            for a in range(n):
                for c in range(n):
                    M[a, c] = z[b * n * n + a * n + c]
            mats.append(M)
        return mats

    def pack(mats):
        return [M[a, c] for M in mats for a in range(n) for c in range(n)]

    def rhs(_, z):
        mats = unpack(z)
        Q = mats[0]
        A = amat(Q, True)
        out = [A.T * Q + Q * A]
        for d in range(k):
            U, S = mats[1 + 2 * d], mats[2 + 2 * d]
            AU, AS = amat(U, False), amat(S, False)
            out.append(A.T * U + U * A + AU.T * Q + Q * AU)
            out.append(A.T * S + S * A + AS.T * Q + Q * AS + 2 * (AU.T * U + U * AU))
        return pack(out)

    z0 = pack([mp.eye(n)] + [m for B in dirs for m in (B, mp.zeros(n, n))])
    sol = mp.odefun(rhs, 0, z0)
    rows = []
    for i in range(K + 1):
        t = mp.mpf((T * i / K).numerator) / (T * i / K).denominator
        mats = unpack(sol(t)) if i > 0 else unpack(z0)
        Q = mats[0]
        v = {"f1": 0, "f2": 0, "ntk": 0, "c1": 0, "shift": 0}
        for d in range(k):
            U, S = mats[1 + 2 * d], mats[2 + 2 * d]
            v["f1"] += (U[0, P] / g) ** 2
            v["f2"] += (U[1, P] / g) ** 2 if P > 1 else 0
            v["ntk"] += (U[P, P] + sum(U[mu, mu] for mu in range(P)) / P) ** 2
            v["c1"] += U[0, 0] ** 2
            v["shift"] += S[0, 0] / 2
        fstar = mp.exp(-2 * l * t) * Q[P, P] / g ** 2
        rows.append([v["f1"], v["f2"], fstar, v["ntk"], v["c1"], v["shift"], Q[0, P] / g])
    return rows


def main():
    gamma, lam, T = (Fraction(a) for a in sys.argv[1:4])
    K, P, dps = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    a = solve(gamma, lam, T, K, P, dps)
    b = solve(gamma, lam, T, K, P, dps + 10)
    names = ["N Var f_1", "N Var f_2", "N Var f*", "N Var(tr K/P)", "N Var c_1", "N (E c_1 - c_1)", "f_1"]
    mp.mp.dps = dps + 10
    worst = 0
    for i in range(K + 1):
        print(f"t = {T * i / K}")
        for name, x, y in zip(names, a[i], b[i]):
            worst = max(worst, abs(x - y) / max(abs(y), mp.mpf(10) ** (-dps - 5)))
            print(f"  {name:16s} {mp.nstr(y, dps, min_fixed=-5, max_fixed=5)}")
    print(f"largest relative difference between {dps} and {dps + 10} digits: {mp.nstr(worst, 3)}")


if __name__ == "__main__":
    main()
