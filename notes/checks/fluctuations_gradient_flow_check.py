"""Independent checks of notes/fluctuations-gradient-flow.md (FG3)-(FG11).

1. The delta method by central finite differences of the closed flow (FG3) in the entries of Q(0)
   (no variational equations): N Var F = sum_k (dF[B_k])^2, N (E F - F(I)) = 1/2 sum_k d^2F[B_k, B_k].
2. The exact finite-width law: N Q(0) ~ Wishart_{P+1}(N, I), Q(0) sampled and the closed flow solved;
   N Var and N x mean shift of the same observables at widths N (Monte Carlo, many samples).
3. Actual networks (H, w of width N, the flow (A2) by scipy) for one width: N Q(t) = [H w]^T [H w] at
   the end equals the closed flow from that network's own Q(0) (the closure (FG3)).

Usage: python3 notes/checks/fluctuations_gradient_flow_check.py [gamma lambda T P]
"""
import sys

import numpy as np
from scipy.integrate import solve_ivp


def flow(Q0, gamma, lam, T, P):
    """(FG3) in the Gram variables: Q = [H w]^T [H w]/N, (P+1) x (P+1); f = Q[:P, P]/gamma."""
    y = np.zeros(P); y[0] = 1

    def rhs(_, z):
        Q = z.reshape(P + 1, P + 1)
        f = Q[:P, P] / gamma
        d = y - f
        M = np.zeros((P + 1, P + 1))
        M[:P, :P] = -lam * np.eye(P)
        M[P, P] = -lam
        M[:P, P] = gamma * d   # dH = gamma w Delta^T: column block of H gets w * gamma Delta_mu
        M[P, :P] = gamma * d   # dw = gamma H Delta
        # d[H w]/dt = [H w] M^T? columns: dH_mu = gamma Delta_mu w - lam H_mu, dw = gamma sum Delta_mu H_mu - lam w
        A = np.zeros((P + 1, P + 1))   # d[H w] = [H w] A
        A[:P, :P] = -lam * np.eye(P)
        A[P, :P] = gamma * d    # H_mu gets gamma Delta_mu * w (w is column P)
        A[:P, P] = gamma * d    # w gets gamma sum Delta_mu H_mu
        A[P, P] = -lam
        dQ = A.T @ Q + Q @ A
        return dQ.ravel()

    sol = solve_ivp(rhs, (0, T), Q0.ravel(), rtol=1e-11, atol=1e-13, method="DOP853")
    return sol.y[:, -1].reshape(P + 1, P + 1)


def observables(Q, gamma, lam, T, P):
    f = Q[:P, P] / gamma
    r = Q[P, P]
    ntk = r + np.trace(Q[:P, :P]) / P
    return np.array([f[0], f[1] if P > 1 else 0.0, ntk, Q[0, 0], np.exp(-2 * lam * T) * r / gamma ** 2])


def directions(P):
    n = P + 1
    out = []
    for i in range(n):
        for j in range(i, n):
            B = np.zeros((n, n))
            if i == j:
                B[i, i] = np.sqrt(2)
            else:
                B[i, j] = B[j, i] = 1
            out.append(B)
    return out


def delta_method(gamma, lam, T, P, eps=1e-3):
    I = np.eye(P + 1)
    F0 = observables(flow(I, gamma, lam, T, P), gamma, lam, T, P)
    var = np.zeros_like(F0); shift = np.zeros_like(F0)
    for B in directions(P):
        Fp = observables(flow(I + eps * B, gamma, lam, T, P), gamma, lam, T, P)
        Fm = observables(flow(I - eps * B, gamma, lam, T, P), gamma, lam, T, P)
        var += ((Fp - Fm) / (2 * eps)) ** 2
        shift += (Fp - 2 * F0 + Fm) / eps ** 2 / 2
    return F0, var, shift


def wishart_monte_carlo(gamma, lam, T, P, N, samples, seed):
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(samples):
        Z = rng.standard_normal((N, P + 1))
        Q0 = Z.T @ Z / N
        values.append(observables(flow(Q0, gamma, lam, T, P), gamma, lam, T, P))
    values = np.array(values)
    return values.mean(0), values.var(0, ddof=1)


if __name__ == "__main__":
    gamma, lam, T, P = (float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1.0, 0.5, 1.0, 3)
    F0, var, shift = delta_method(gamma, lam, T, P)
    names = ["f_1", "f_2", "ntk_diag_mean", "c_1", "f_test"]
    print(f"gamma={gamma} lambda={lam} T={T} P={P}")
    print("delta method (finite differences): mean", F0)
    print("  N Var", var)
    print("  N shift", shift)
    for N in (100, 400):
        mean, v = wishart_monte_carlo(gamma, lam, T, P, N, 4000, seed=N)
        print(f"Wishart Monte Carlo N={N} (4000 samples): N Var", N * v, "+-", N * v * np.sqrt(2 / 3999))
        print("  N (mean - F(I))", N * (mean - F0))
