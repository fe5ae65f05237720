#!/usr/bin/env python3
"""antk_simulate.py -- finite-width gradient descent with weight decay of a deep linear net
(mean-field / muP parameterization), whitened data, compared with notes/antk-deep-linear.md.

  h^1 = W^0 x/sqrt(D), h^{l+1} = W^l h^l/sqrt(N), f = w.h^L/(gamma N), all weights N(0,1) at t=0
  d theta/dt = gamma^2 N sum_mu Delta_mu df_mu/dtheta - lambda theta          (Euler, step dt)

Part A: P = D = 4, X = 2 Q (Q orthogonal) so C = X X^T/D = I exactly, |y| = 1.
        Compare the end value of u = f.y with the stable branch of (A14) and check f is parallel
        to y, per-layer |W^l|^2/N -> E (A8), rank-one kernels (A6).
Part B: the exact time-change reduction (A28)-(A30) for P = 1 (or Delta || y):
        theta(t) = e^{-lambda t} thetahat(tau(t)), d thetahat/d tau = N grad F(thetahat),
        d tau/dt = gamma Delta(t) e^{-lambda (L-1) t}.  Psi_L(tau) = F(thetahat(tau)) is
        tabulated once (lambda-free, gamma-free) and tau*_L (its blow-up) estimated; then the
        end point for any (gamma, lambda) follows from a 1-D ODE. Checked against Part A runs.

Run:  nice -n 19 python3 notes/checks/antk_simulate.py          (~2-3 min on 1 core)
"""
import time
import numpy as np

SQ = np.sqrt


def init(rng, L, N, D):
    return [rng.standard_normal((N, D))] + [rng.standard_normal((N, N)) for _ in range(L - 1)] \
        + [rng.standard_normal(N)]


def forward(th, X, L, N, gam):
    D = X.shape[1]
    H = [th[0] @ X.T / SQ(D)]
    for l in range(1, L):
        H.append(th[l] @ H[-1] / SQ(N))
    f = th[L] @ H[-1] / (gam * N)
    return H, f


def gd(X, y, L, N, gam, lam, T, dt, seed=0, report=()):
    """Euler gradient descent with weight decay; returns final (u, f, theta, H) and a trace"""
    rng = np.random.default_rng(seed)
    P, D = X.shape
    th = init(rng, L, N, D)
    nsteps = int(round(T / dt))
    trace = []
    rep = {int(round(t / dt)) for t in report}
    for it in range(nsteps + 1):
        H, f = forward(th, X, L, N, gam)
        if it in rep:
            trace.append((it * dt, f @ y))
        if it == nsteps:
            break
        Dl = y - f
        g = [th[L]]
        for l in range(L - 1, 0, -1):
            g.insert(0, th[l].T @ g[0] / SQ(N))
        new = [th[0] + dt * (gam * np.outer(g[0], X.T @ Dl) / SQ(D) - lam * th[0])]
        for l in range(1, L):
            new.append(th[l] + dt * (gam * np.outer(g[l], H[l - 1] @ Dl) / SQ(N) - lam * th[l]))
        new.append(th[L] + dt * (gam * H[L - 1] @ Dl - lam * th[L]))
        th = new
    return f @ y, f, th, H, trace


def whitened_branches(L, gam, lam):
    """physical roots of (A14) gam^{2L} u^{L-1}(1-u)^{L+1} = lam^{L+1}, u in (0,1), ascending"""
    c = np.zeros(2 * L + 1)  # ascending powers
    from math import comb
    for j in range(L + 2):
        c[L - 1 + j] += gam ** (2 * L) * comb(L + 1, j) * (-1) ** j
    c[0] -= lam ** (L + 1)
    r = np.roots(c[::-1])
    r = np.sort(r[(abs(r.imag) < 1e-9) & (r.real > 0) & (r.real < 1)].real)
    return list(r)


def ode_L1(gam, lam, T, dt=1e-4):
    """(A27) exact infinite-width L = 1 dynamics: dQ/dt = 1 - f, f = e^{-2 lam t} sinh(2 gam Q)/gam"""
    Q, out = 0.0, {}
    for i in range(int(round(T / dt)) + 1):
        t = i * dt
        f = np.exp(-2 * lam * t) * np.sinh(2 * gam * Q) / gam
        out[round(t, 6)] = f
        # RK2
        k1 = 1 - f
        f2 = np.exp(-2 * lam * (t + dt)) * np.sinh(2 * gam * (Q + dt * k1)) / gam
        Q += dt * 0.5 * (k1 + 1 - f2)
    return out


# ------------------------------------------------------------ Part B: universal lambda-free flow
def psi_table(L, N, seed=0, Fmax=1e10, dtau0=2e-3):
    """P = 1 (x with |x|^2/D = 1): d thetahat/d tau = N grad F, F = w.h^L/N (gamma = 1).
    Adaptive RK2 in tau; returns arrays tau, F."""
    rng = np.random.default_rng(seed)
    D = 1
    X = np.ones((1, 1))
    th = init(rng, L, N, D)

    def F_and_grad(th):
        H, f = forward(th, X, L, N, 1.0)
        g = [th[L]]
        for l in range(L - 1, 0, -1):
            g.insert(0, th[l].T @ g[0] / SQ(N))
        gr = [np.outer(g[0], X[0]) / SQ(D)]                   # N * dF/dW^0
        for l in range(1, L):
            gr.append(np.outer(g[l], H[l - 1][:, 0]) / SQ(N))  # N * dF/dW^l
        gr.append(H[L - 1][:, 0])                              # N * dF/dw
        return f[0], gr

    taus, Fs, tau = [0.0], [], 0.0
    F, gr = F_and_grad(th)
    Fs.append(F)
    while F < Fmax:
        # near blow-up d ln F/d tau ~ (L+1) F^{(L-1)/(L+1)}: keep the relative step ~ 1%
        dtau = min(dtau0, 0.004 / max(1.0, F) ** ((L - 1) / (L + 1)))
        mid = [a + 0.5 * dtau * b for a, b in zip(th, gr)]
        _, grm = F_and_grad(mid)
        th = [a + dtau * b for a, b in zip(th, grm)]
        tau += dtau
        F, gr = F_and_grad(th)
        taus.append(tau)
        Fs.append(F)
    return np.array(taus), np.array(Fs)


def tau_star(taus, Fs, L):
    """blow-up time: near tau*, balanced rank-one growth gives F^{-(L-1)/(L+1)} linear in tau (A31)"""
    m = (Fs > 1e4)
    z = Fs[m] ** (-(L - 1) / (L + 1))
    A = np.polyfit(taus[m], z, 1)
    return -A[1] / A[0], A


def reduced_endpoint(taus, Fs, L, gam, lam, T, dt=1e-3):
    """integrate (A30): d tau/dt = gam (1 - f) e^{-lam (L-1) t}, f = e^{-lam (L+1) t} Psi(tau)/gam.
    Psi by log-interpolation of the table, extended by the fitted blow-up law beyond it."""
    ts, A = tau_star(taus, Fs, L)
    lnF = np.log(np.maximum(Fs, 1e-300))
    pos = Fs > 0
    tp, lp = taus[pos], lnF[pos]

    def psi(tau):
        if tau <= tp[0]:
            return Fs[0] + (L + 1) * tau
        if tau < tp[-1]:
            return float(np.exp(np.interp(tau, tp, lp)))
        z = A[0] * tau + A[1]
        return np.inf if z <= 0 else z ** (-(L + 1) / (L - 1))

    tau, t = 0.0, 0.0
    f = 0.0
    while t < T:
        f = np.exp(-lam * (L + 1) * t) * psi(tau) / gam
        if not np.isfinite(f) or f > 1:
            f = 1.0
        tau_new = tau + dt * gam * (1 - f) * np.exp(-lam * (L - 1) * t)
        tau = min(tau_new, ts - 1e-15)
        t += dt
    return f, tau, ts


def main():
    t0 = time.time()
    rng = np.random.default_rng(12345)
    P = D = 4
    Q = np.linalg.qr(rng.standard_normal((D, D)))[0]
    X = SQ(D) * Q[:P]
    y = rng.standard_normal(P)
    y /= np.linalg.norm(y)
    print("C = X X^T/D - I: max abs", np.abs(X @ X.T / D - np.eye(P)).max())

    print("\n#### Part A: finite-width GD + weight decay, whitened P = D = 4, |y| = 1")
    print(f"{'L':>2} {'gamma':>7} {'lam':>5} {'N':>4} {'T':>6} {'dt':>6} | {'u=f.y sim':>12} "
          f"{'|f_perp|':>9} | {'branches u (A14)':>26} | {'E pred':>8} {'|W|^2/N per layer':>28} | {'rank1':>7}")
    runs = [  # (L, gamma, lambda, N, T, dt)
        (1, 2.0, 1.0, 600, 25.0, 0.01),
        (1, 0.8, 1.0, 600, 25.0, 0.01),
        (2, 2.0, 1.0, 600, 25.0, 0.01),
        (2, 3.0, 1.0, 800, 25.0, 0.01),
        (2, 1.7, 1.0, 600, 25.0, 0.01),
        (3, 2.0, 1.0, 400, 25.0, 0.01),
        (2, 16 ** 0.25 * 4 ** 0.75, 4.0, 600, 25.0 / 4, 0.0025),  # same kappa = 1/16 as (2, 2, 1)
        (2, 16.0, 16.0, 600, 25.0 / 16, 0.000625),                # same kappa = 1/16 as (2, 2, 1)
    ]
    results = {}
    for (L, gam, lam, N, T, dt) in runs:
        rep = ()
        u, f, th, H, trace = gd(X, y, L, N, gam, lam, T, dt, seed=L * 100 + int(gam * 10), report=rep)
        br = whitened_branches(L, gam, lam)
        norms = [np.sum(W ** 2) / N for W in th]
        Epred = gam ** 2 / lam * br[-1] * (1 - br[-1]) if br else 0.0
        # rank-one check of Phi^L: second singular value / first
        Phi = H[-1].T @ H[-1] / N
        sv = np.linalg.svd(Phi, compute_uv=False)
        r1 = sv[1] / sv[0] if sv[0] > 0 else np.nan
        fperp = np.linalg.norm(f - (f @ y) * y)
        results[(L, gam, lam)] = u
        print(f"{L:>2} {gam:>7.4f} {lam:>5.1f} {N:>4} {T:>6.3f} {dt:>6.4f} | {u:>12.8f} {fperp:>9.1e} | "
              f"{', '.join(f'{b:.8f}' for b in br) if br else 'none (collapse only)':>26} | {Epred:>8.5f} "
              f"{' '.join(f'{x:.5f}' for x in norms):>28} | {r1:>7.1e}")
    # L = 1 trajectory vs the exact infinite-width ODE (A27); finite-N deviations are O(1/sqrt N)
    ode = ode_L1(2.0, 1.0, 2.0)
    for N in (600, 4000):
        trs = [gd(X, y, 1, N, 2.0, 1.0, 2.0, 0.002, seed=sd, report=(0.25, 0.5, 1.0, 2.0))[4] for sd in (1, 2)]
        print(f"   L=1 gamma=2 lam=1 trajectory u(t), N={N} (seeds 1, 2) vs ODE (A27):  " + "  ".join(
            f"t={t:g}: {a:.4f}/{b:.4f} vs {ode[round(t, 6)]:.4f}" for (t, a), (_, b) in zip(*trs)))
    print(f"   [Part A: {time.time() - t0:.0f} s]")

    print("\n#### Part B: lambda-free universal flow Psi_L(tau) and the 1-D end-point ODE (A30)")
    for L, N in [(2, 1000), (3, 600)]:
        t1 = time.time()
        stars = []
        tabs = []
        for seed in (1, 2):
            taus, Fs = psi_table(L, N, seed=seed)
            ts, _ = tau_star(taus, Fs, L)
            stars.append(ts)
            tabs.append((taus, Fs))
        taus, Fs = tabs[0]
        idx = [np.searchsorted(taus, x) for x in (0.1, 0.2, 0.4)]
        print(f"   L={L}, N={N}: tau*_L = {stars[0]:.4f}, {stars[1]:.4f} (two seeds);  "
              f"Psi(0.1, 0.2, 0.4) = {', '.join(f'{Fs[i]:.4f}' for i in idx)};  "
              f"dPsi/dtau(0) ~ {(Fs[5] - Fs[0]) / (taus[5] - taus[0]):.3f} (pred L+1 = {L + 1});  [{time.time() - t1:.0f} s]")
        cases = [(2.0, 1.0), (3.0, 1.0), (1.7, 1.0), (16 ** 0.25 * 4 ** 0.75, 4.0), (16.0, 16.0)] if L == 2 else [(2.0, 1.0)]
        for gam, lam in cases:
            f_end, tau_end, ts = reduced_endpoint(taus, Fs, L, gam, lam, T=12.0 / lam, dt=2e-4 / lam)
            br = whitened_branches(L, gam, lam)
            simu = results.get((L, gam, lam))
            print(f"      gamma={gam:.4f} lam={lam:g}: 1-D ODE end u = {f_end:.5f} (tau_end/tau* = {tau_end / ts:.6f}),"
                  f" budget gamma/(lam(L-1)) = {gam / (lam * (L - 1)):.3f}; branches {[round(b, 6) for b in br]};"
                  f" Part A GD: {simu if simu is None else round(simu, 6)}")
        if L == 2:
            # dynamic threshold: smallest gamma (at given lambda) whose 1-D ODE run reaches the upper branch,
            # vs the static saddle node gamma_c(lambda) (A17) and the budget estimate (L-1) tau* lambda (A32)
            cL = 4 / 3 ** 0.75
            print("      end-point phase boundary from (A30), L=2:  lambda: gamma_c static (A17) | gamma_dyn (ODE) | (L-1) tau* lambda")
            for lam in (1.0, 4.0, 8.0, 16.0, 64.0):
                lo, hi = cL * lam ** 0.75, max(4 * lam, 4 * cL * lam ** 0.75)
                ok = lambda g: reduced_endpoint(taus, Fs, L, g, lam, T=12.0 / lam, dt=5e-4 / lam)[0] > 0.1
                if ok(lo * 1.0001):
                    gdyn = "= static"
                else:
                    for _ in range(9):
                        mid = 0.5 * (lo + hi)
                        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
                    gdyn = f"{hi:.3f}"
                print(f"        lambda={lam:5g}: {cL * lam ** 0.75:8.3f} | {gdyn:>8} | {stars[0] * lam:8.3f}")
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
