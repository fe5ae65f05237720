#!/usr/bin/env python3
"""Diagnosis of the min-max solver on ReLU / digits (notes/verify-bayes.md, section 6, "ReLU on digits:
diagnosis"), run from the repository root.

A NumPy replica of Algorithm 1 (Sources/Verify/MinMaxSolver.swift, eqs. V6-V12) on the digits subset
(first 8 training and 2 test points, C / mean diagonal, |y| = 1, L = 2, b = 0.1) that records along
the iteration:
  rho_l   the exact ray ratio of layer l's tilt (eq. V40): Z_l is finite iff rho_l < 1;
  ESS     the effective sample size of the importance weights;
  top eigenvalues of Phi^1, Phi^2 and y^T Phi^2 y.

usage: relu_digits_diagnose.py [--gamma G] [--samples N] [--iterations T] [--every K]
         [--start input|nngp] [--inner gaussian|newton] [--ess-guard] [--inner-steps S] [--outer S]
         [--activation relu|tanh] [--average-after T0 [--dump FILE]] [--kernels FILE]
  --start input: Phi^l = C (the old start); nngp: the arc-cosine (lazy) kernels (eq. V42).
  --inner gaussian: the Gaussian-preconditioned inner step (eq. V10); newton: Fisher-Newton (eq. V41).
  --every 0 prints only the mean over iterations >= T0 (10 batch means); --dump writes those mean kernels.
  --kernels FILE: only evaluate rho_2 at the kernels in FILE (the JSON of `verify bayes-kernels`: "layers"[l-1]["phi"], rows as {"floats": [...]}; or {"phi_1", "phi_2"},
  e.g. Langevin means from `adaptive-kernels verify bayes-kernels`).
"""
import argparse, itertools, json
import numpy as np


def digits(train=8, test=2):
    X = np.load('Tests/Fixtures/digits/X_train.npy')[:train]
    Xt = np.load('Tests/Fixtures/digits/X_test.npy')[:test]
    y = np.load('Tests/Fixtures/digits/y_train.npy')[:train].astype(float)
    A = np.vstack([X, Xt]).astype(float)
    C = A @ A.T / A.shape[1]
    C /= np.mean(np.diag(C)[:train])
    return C, y / np.linalg.norm(y)


def relu_kernel(K):
    d = np.sqrt(np.diag(K)); c = np.clip(K / np.outer(d, d), -1, 1); t = np.arccos(c)
    return np.outer(d, d) / (2 * np.pi) * (np.sin(t) + (np.pi - t) * c)


def relu(h):
    return np.maximum(h, 0)


def ray_ratio(dual, prev):
    """rho = max over directions d of -relu(d)^T dual relu(d) / (d^T prev^{-1} d) (eq. V40), exact:
    the maximum of a ratio of two quadratic forms over the cone {sign(d) fixed} is attained at a
    generalized eigenvector of the forms restricted to the support T of d (d_i = 0 off T), so it is
    the largest eigenvalue, over all supports T and sign patterns on T (S = positive part), whose
    eigenvector has exactly those signs."""
    K = np.linalg.inv(prev)
    p = len(K)
    best, arg = -np.inf, None
    for size in range(1, p + 1):
        for T in itertools.combinations(range(p), size):
            T = list(T)
            KT = K[np.ix_(T, T)]
            Lc = np.linalg.cholesky(KT)
            Li = np.linalg.inv(Lc)
            for signs in itertools.product([1, -1], repeat=size):
                S = np.array(signs) > 0
                if not S.any():
                    continue
                N = np.zeros((size, size))
                N[np.ix_(S, S)] = -dual[np.ix_([T[i] for i in range(size) if S[i]], [T[i] for i in range(size) if S[i]])]
                w, U = np.linalg.eigh(Li @ N @ Li.T)
                for k in range(size):
                    if w[k] <= best:
                        continue
                    d = Li.T @ U[:, k]
                    d = d if np.sum(d * np.array(signs)) > 0 else -d
                    if np.all(d * np.array(signs) > 1e-12):
                        best, arg = w[k], (T, signs)
    return best, arg


def newton_dual(f, base, dual, target, steps=1, fraction=1.0, trust=np.inf, armijo=False, ess_guard=False):
    """Newton ascent of the sampled inner objective J(H) = -Tr(Phi H)/2 - ln sum_s exp(base_s - f_s^T H f_s / 2)
    over the P(P+1)/2 entries of H (eq. V41): the Hessian is the weighted covariance of the features f_i f_j
    (the Fisher information of the tilt family); Armijo backtracking keeps J increasing."""
    p = f.shape[1]
    iu = np.triu_indices(p); mult = np.where(iu[0] == iu[1], 1.0, 2.0)
    F = f[:, iu[0]] * f[:, iu[1]]; t = target[iu]; th = dual[iu].copy()
    def J(th):
        lw = base - 0.5 * F @ (mult * th); m = lw.max()
        return -0.5 * np.sum(mult * th * t) - (m + np.log(np.sum(np.exp(lw - m))))
    for _ in range(steps):
        lw = base - 0.5 * F @ (mult * th); w = np.exp(lw - lw.max()); w /= w.sum()
        mean = w @ F; grad = 0.5 * mult * (mean - t)
        cov = (F - mean).T @ ((F - mean) * w[:, None])
        step = np.linalg.solve(0.25 * mult[:, None] * cov * mult[None, :], grad)
        Hs = np.zeros((p, p)); Hs[iu] = step; Hs = Hs + Hs.T - np.diag(np.diag(Hs))
        Lc = np.linalg.cholesky(target)
        s = fraction * min(1, trust / max(fraction * np.linalg.norm(Lc.T @ Hs @ Lc), 1e-300))
        if armijo:
            j0 = J(th)
            while J(th + s * step) < j0 + 0.25 * s * (grad @ step) and s > 1e-6:
                s *= 0.5
        if ess_guard:
            def ess(th):
                lw = base - 0.5 * F @ (mult * th); w = np.exp(lw - lw.max()); w /= w.sum(); return 1 / np.sum(w * w)
            e0 = ess(th)
            for _ in range(10):
                if ess(th + s * step) >= 0.5 * e0:
                    break
                s *= 0.5
        th = th + s * step
    H = np.zeros((p, p)); H[iu] = th; H = H + H.T - np.diag(np.diag(H))
    return H, 1 / np.sum(w * w)


class MinMax:
    """Replica of MinMaxSolver.step (training block only for the dynamics; test rows as eq. V12)."""

    def __init__(self, C, y, p, gamma, b=0.1, L=2, n=12000, seed=1, inner=0.5, outer=0.5, trust=0.5, start='input', inner_steps=1, act='relu', newton=False):
        self.C, self.y, self.p, self.g, self.b, self.L, self.n = C, y, p, gamma, b, L, n
        self.inner, self.outer, self.trust = inner, outer, trust
        self.rng = np.random.default_rng(seed)
        self.K = [C.copy() for _ in range(L + 1)]
        self.H = [np.zeros((p, p)) for _ in range(L + 1)]
        self.prop = [C.copy() for _ in range(L + 1)]
        self.inner_steps = inner_steps
        self.newton = newton
        self.ess_guard = False
        self.act = relu if act == 'relu' else np.tanh
        if start == 'nngp' and act == 'relu':  # arc-cosine kernels of C: the gamma -> 0 saddle (hatPhi = 0)
            for l in range(1, L + 1):
                self.K[l] = relu_kernel(self.K[l - 1])
                self.prop[l] = self.K[l - 1].copy()

    def moments(self, h, f, base, dual):
        p = self.p
        lw = base - 0.5 * np.einsum('si,ij,sj->s', f[:, :p], dual, f[:, :p])
        w = np.exp(lw - lw.max()); w /= w.sum()
        return (f * w[:, None]).T @ f, (h * w[:, None]).T @ h, 1 / np.sum(w * w), w

    def step(self):
        p, L = self.p, self.L
        mom, sec, info = [None], [None], []
        for l in range(1, L + 1):
            prev = self.K[l - 1]
            S = self.prop[l]
            try:
                R = np.linalg.cholesky(S)
            except np.linalg.LinAlgError:
                S = prev; R = np.linalg.cholesky(S)
            h = self.rng.standard_normal((self.n, len(prev))) @ R.T
            f = self.act(h)
            ratio = np.linalg.inv(prev) - np.linalg.inv(S)
            base = -0.5 * np.einsum('si,ij,sj->s', h, ratio, h)
            if self.newton:
                self.H[l], ess0 = newton_dual(f[:, :p], base, self.H[l], self.K[l][:p, :p], self.inner_steps, self.inner, self.trust, ess_guard=self.ess_guard)
            for _ in range(0 if self.newton else self.inner_steps):
                A, _, ess0, _ = self.moments(h, f, base, self.H[l])
                Pt = self.K[l][:p, :p]
                Pi = np.linalg.inv(Pt)
                r = A[:p, :p] - Pt
                Lc = np.linalg.cholesky(Pt); Li = np.linalg.inv(Lc)
                wr = np.linalg.norm(Li @ r @ Li.T)
                s = self.inner * min(1, self.trust / max(self.inner * wr, 1e-300))
                self.H[l] = self.H[l] + s * Pi @ r @ Pi
                self.H[l] = (self.H[l] + self.H[l].T) / 2
            A, hh, ess1, w = self.moments(h, f, base, self.H[l])
            mom.append(A); sec.append(hh[:p, :p])
            self.prop[l] = 1.1 * hh
            info.append((ess0, ess1, w.max()))
        targets = [None]
        for l in range(1, L + 1):
            Pt = self.K[l][:p, :p]
            if l < L:
                Pi = np.linalg.inv(Pt)
                targets.append(-Pi @ (sec[l + 1] - Pt) @ Pi)
            else:
                v = np.linalg.solve(Pt + self.b * np.eye(p), self.y)
                targets.append(-self.g ** 2 * np.outer(v, v))
        for l in range(1, L + 1):
            Pt = self.K[l][:p, :p]
            G = 0.5 * (targets[l] - self.H[l]); G = (G + G.T) / 2
            Lc = np.linalg.cholesky(Pt)
            norm = np.linalg.norm(Lc.T @ G @ Lc)
            s = self.outer * min(1, self.trust / max(self.outer * norm, 1e-300))
            inv = np.linalg.inv(Pt)
            for _ in range(20):
                try:
                    new = np.linalg.inv(inv + s * G); np.linalg.cholesky(new); break
                except np.linalg.LinAlgError:
                    s *= 0.5
            new = (new + new.T) / 2
            A = mom[l]
            Rt = np.linalg.cholesky(new) @ np.linalg.inv(np.linalg.cholesky(A[:p, :p]))
            B = np.eye(len(A)); B[:p, :p] = Rt
            self.K[l] = B @ A @ B.T
            self.K[l] = (self.K[l] + self.K[l].T) / 2
        return info, targets


def stationarity(C, y, P1, P2, g, n=400000, seed=5):
    """At given kernels (Phi^1, Phi^2): solve both inner problems exactly (Newton on the P(P+1)/2 dual
    entries, fixed samples from N(0, Phi^{l-1})), then report the outer stationarity residual of (V8),
    the ray ratios of the solved duals, and the spectrum of the Gaussian-preconditioned inner map
    I + s Pi R at the solution (stable for s = 0.5 iff the eigenvalues of Pi R lie in (-4, 0))."""
    p = len(y); rng = np.random.default_rng(seed)
    K = [C[:p, :p], P1[:p, :p], P2[:p, :p]]
    iu = np.triu_indices(p); mult = np.where(iu[0] == iu[1], 1.0, 2.0)
    H, hhs = [None], [None]
    for l in (1, 2):
        h = rng.standard_normal((n, p)) @ np.linalg.cholesky(K[l - 1]).T
        f = relu(h)
        dual, ess = newton_dual(f, np.zeros(n), np.zeros((p, p)), K[l], steps=30, armijo=True)
        lw = -0.5 * np.einsum('si,ij,sj->s', f, dual, f); w = np.exp(lw - lw.max()); w /= w.sum()
        A = (f * w[:, None]).T @ f
        print(f"layer {l}: inner residual |A - Phi|/|Phi| = {np.linalg.norm(A - K[l]) / np.linalg.norm(K[l]):.1e}, ESS {1 / np.sum(w * w):.0f}")
        F = f[:, iu[0]] * f[:, iu[1]]; mean = w @ F; cov = (F - mean).T @ ((F - mean) * w[:, None])
        R = -0.5 * cov * mult[None, :]
        Pi = np.linalg.inv(K[l]); m = len(mult); Pm = np.zeros((m, m))
        for e in range(m):
            r = np.zeros((p, p)); i, j = iu[0][e], iu[1][e]; r[i, j] = r[j, i] = 1
            Pm[:, e] = (Pi @ r @ Pi)[iu]
        lam = np.linalg.eigvals(Pm @ R).real
        print(f"layer {l}: eigenvalues of Pi R in [{lam.min():.3f}, {lam.max():.3f}]; spectral radius of I + 0.5 Pi R: {np.max(np.abs(1 + 0.5 * lam)):.3f}")
        H.append(dual); hhs.append((h * w[:, None]).T @ h)
    v = np.linalg.solve(K[2] + 0.1 * np.eye(p), y)
    T = [None, -np.linalg.inv(K[1]) @ (hhs[2] - K[1]) @ np.linalg.inv(K[1]), -g * g * np.outer(v, v)]
    for l in (1, 2):
        Lc = np.linalg.cholesky(K[l])
        print(f"layer {l}: whitened |L^T (hatPhi - T) L| = {np.linalg.norm(Lc.T @ (H[l] - T[l]) @ Lc):.3f}, |L^T T L| = {np.linalg.norm(Lc.T @ T[l] @ Lc):.3f}")
    print(f"rho_1(hatPhi^1) = {ray_ratio(H[1], K[0])[0]:.3f}, rho_2(hatPhi^2) = {ray_ratio(H[2], K[1])[0]:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--gamma', type=float, default=1.0)
    ap.add_argument('--samples', type=int, default=12000)
    ap.add_argument('--iterations', type=int, default=100)
    ap.add_argument('--every', type=int, default=5)
    ap.add_argument('--kernels')
    ap.add_argument('--stationarity', action='store_true', help='with --kernels: exact inner solves, residuals of (V8), inner-map spectrum')
    ap.add_argument('--start', default='input', choices=['input', 'nngp'])
    ap.add_argument('--inner-steps', type=int, default=1)
    ap.add_argument('--outer', type=float, default=0.5)
    ap.add_argument('--inner', default='gaussian', choices=['gaussian', 'newton'])
    ap.add_argument('--ess-guard', action='store_true', help='halve the inner step while it more than halves the ESS')
    ap.add_argument('--activation', default='relu', choices=['relu', 'tanh'])
    ap.add_argument('--average-after', type=int, default=None)
    ap.add_argument('--dump', help='write the mean kernels after --average-after to this JSON file')
    a = ap.parse_args()
    C, y = digits()
    p = len(y)
    if a.kernels:
        k = json.load(open(a.kernels))
        P1, P2 = [np.array([row['floats'] if isinstance(row, dict) else row for row in rows])[:p, :p] for rows in ([k['layers'][0]['phi'], k['layers'][1]['phi']] if 'layers' in k else [k['phi_1'], k['phi_2']])]
        v = np.linalg.solve(P2 + 0.1 * np.eye(p), y)
        if a.stationarity:
            stationarity(C, y, P1, P2, a.gamma)
        rho, arg = ray_ratio(-a.gamma ** 2 * np.outer(v, v), P1)
        print(f"at the given kernels, dual -gamma^2 v v^T: rho_2 = {rho:.4f} (support, signs {arg}); y^T Phi2 y = {y @ P2 @ y:.4f}")
        return
    mm = MinMax(C, y, p, a.gamma, n=a.samples, start=a.start, inner_steps=a.inner_steps, outer=a.outer, act=a.activation, newton=a.inner == 'newton')
    mm.ess_guard = a.ess_guard
    series, sums = [], [np.zeros_like(C), np.zeros_like(C)]
    print("# it  yPhi2y  eig1(Phi1)  eig1(Phi2)  rho1  rho2(H2,Phi1)  rho2(T2,Phi1)  ESS(l=1,l=2)  maxw2")
    for t in range(a.iterations):
        try:
            info, targets = mm.step()
        except np.linalg.LinAlgError as e:
            print(f"# failure at {t}: {e}"); break
        series.append(y @ mm.K[2][:p, :p] @ y)
        if a.average_after is not None and t >= a.average_after:
            sums[0] += mm.K[1]; sums[1] += mm.K[2]
        if a.every == 0:
            continue
        if t % a.every == 0 or t == a.iterations - 1:
            r1 = ray_ratio(mm.H[1], C[:p, :p])[0]
            r2 = ray_ratio(mm.H[2], mm.K[1][:p, :p])[0]
            r2t = ray_ratio(targets[2], mm.K[1][:p, :p])[0]
            print(f"{t:4d} {y @ mm.K[2][:p, :p] @ y:9.4f} {np.linalg.eigvalsh(mm.K[1][:p, :p])[-1]:9.3f} "
                  f"{np.linalg.eigvalsh(mm.K[2][:p, :p])[-1]:9.3f} {r1:7.3f} {r2:7.3f} {r2t:7.3f} "
                  f"{info[0][1]:8.0f} {info[1][1]:8.0f} {info[1][2]:.3f}", flush=True)
    if a.average_after is not None:
        s = np.array(series[a.average_after:])
        nb = 10; m = len(s) // nb; bm = s[:nb * m].reshape(nb, m).mean(1)
        if a.dump:
            json.dump({'phi_1': (sums[0] / len(s)).tolist(), 'phi_2': (sums[1] / len(s)).tolist()}, open(a.dump, 'w'))
        print(f"# mean y^T Phi2 y over iterations {a.average_after}..{len(series)}: {s.mean():.4f} +- {bm.std(ddof=1) / np.sqrt(nb):.4f} (10 batch means)")


if __name__ == '__main__':
    main()
