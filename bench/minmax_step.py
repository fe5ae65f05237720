#!/usr/bin/env python3
"""One iteration of the min-max aNBK solver (notes/verify-bayes.md, Algorithm 1 as implemented in
Sources/Verify/MinMaxSolver.swift): NumPy peer vs the release binary, same problem, same run.

    python3 bench/minmax_step.py [--points 100] [--depth 2] [--samples 100000] [--repeat 5]

Problem (shared with `adaptive-kernels verify minmax-step`): x_{mu d} = cos(0.37 mu d + 0.11 mu + 0.05 d),
D = 2P, C = X X^T / D + 0.1 I, y_mu = sin(0.5 mu) normalized, gamma = 1, b = 0.1, phi = tanh.
Per layer and iteration: n x P Gaussian samples from the proposal, phi, importance weights, tilted
moments, inner (dual) trust-region Newton step, reweighting, second moments; then the outer step.
"""
import argparse, subprocess, sys, time
import numpy as np

def problem(P):
    D = 2 * P
    mu = np.arange(P)[:, None]; d = np.arange(D)[None, :]
    X = np.cos(0.37 * mu * d + 0.11 * mu + 0.05 * d)
    C = X @ X.T / D + 0.1 * np.eye(P)
    y = np.sin(0.5 * np.arange(P)); y /= np.linalg.norm(y)
    return C, y

def sym(a): return 0.5 * (a + a.T)

class MinMax:
    def __init__(self, C, y, gamma, b, L, n, seed, inner=0.5, outer=0.5, trust=0.5, inflation=1.1):
        self.C, self.y, self.g2, self.b, self.L, self.n = C, y, gamma * gamma, b, L, n
        self.rng = np.random.default_rng(seed)
        P = len(y)
        self.Phi = [C.copy() for _ in range(L + 1)]
        self.H = [np.zeros((P, P)) for _ in range(L + 1)]
        self.prop = [C.copy() for _ in range(L + 1)]
        self.inner, self.outer, self.trust, self.inflation = inner, outer, trust, inflation

    def step(self):
        L, n, P = self.L, self.n, len(self.y)
        hh = [None] * (L + 1)
        for l in range(1, L + 1):
            inp, prop = self.Phi[l - 1], self.prop[l]
            try:
                lower = np.linalg.cholesky(prop); plain = False
            except np.linalg.LinAlgError:
                lower = np.linalg.cholesky(inp); plain = True
            plain = plain or np.array_equal(prop, inp)
            h = self.rng.standard_normal((n, P)) @ lower.T
            f = np.tanh(h)
            base = 0.0 if plain else -0.5 * np.einsum('ij,ij->i', h @ (np.linalg.inv(inp) - np.linalg.inv(prop)), h)
            def tilt(H, second):
                lw = base - 0.5 * np.einsum('ij,ij->i', f @ H, f)
                w = np.exp(lw - lw.max()); w /= w.sum()
                s = np.sqrt(w)[:, None]
                fw = f * s; A = fw.T @ fw
                hw = h * s if second else None
                return A, (hw.T @ hw if second else None), 1 / np.sum(w * w)
            A, _, _ = tilt(self.H[l], False)
            phi = self.Phi[l]; inv = np.linalg.inv(phi); r = A - phi
            li = np.linalg.inv(np.linalg.cholesky(phi)); wr = np.linalg.norm(li @ r @ li.T)
            size = self.inner * min(1, self.trust / max(self.inner * wr, 1e-300))
            self.H[l] = sym(self.H[l] + size * inv @ r @ inv)
            A, hh[l], _ = tilt(self.H[l], True)
            self.prop[l] = self.inflation * hh[l]
        targets = [None] * (L + 1)
        for l in range(1, L):
            inv = np.linalg.inv(self.Phi[l]); targets[l] = -inv @ (hh[l + 1] - self.Phi[l]) @ inv
        v = np.linalg.solve(self.Phi[L] + self.b * np.eye(P), self.y); targets[L] = -self.g2 * np.outer(v, v)
        for l in range(1, L + 1):
            G = sym(0.5 * (targets[l] - self.H[l]))
            lower = np.linalg.cholesky(self.Phi[l]); norm = np.linalg.norm(lower.T @ G @ lower)
            size = self.outer * min(1, self.trust / max(self.outer * norm, 1e-300))
            inv = np.linalg.inv(self.Phi[l])
            for _ in range(20):
                cand = inv + size * G
                try:
                    np.linalg.cholesky(cand); break
                except np.linalg.LinAlgError:
                    size *= 0.5
            self.Phi[l] = sym(np.linalg.inv(cand))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--points', type=int, default=100); ap.add_argument('--depth', type=int, default=2)
    ap.add_argument('--samples', type=int, default=100000); ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--binary', default='.build/release/adaptive-kernels')
    a = ap.parse_args()
    C, y = problem(a.points)
    mm = MinMax(C, y, 1.0, 0.1, a.depth, a.samples, seed=1)
    times = []
    for t in range(a.repeat + 1):
        t0 = time.perf_counter(); mm.step(); dt = time.perf_counter() - t0
        if t > 0: times.append(dt)
    trace = np.trace(mm.Phi[a.depth]) / a.points
    print(f"numpy {np.__version__}: best {min(times):.4f} s, median {sorted(times)[len(times)//2]:.4f} s per iteration (tr Phi^L / P = {trace:.6f})")
    out = subprocess.run([a.binary, 'verify', 'minmax-step', '--points', str(a.points), '--depth', str(a.depth),
                          '--samples', str(a.samples), '--activation', 'tanh', '--repeat', str(a.repeat)],
                         capture_output=True, text=True, check=True).stdout.strip()
    print("ours:", out)
    best = float(out.split('best ')[1].split(' s')[0]); median = float(out.split('median ')[1].split(' s')[0])
    print(f"ratio numpy/ours: best {min(times) / best:.2f}x, median {sorted(times)[len(times)//2] / median:.2f}x")

if __name__ == '__main__':
    main()
