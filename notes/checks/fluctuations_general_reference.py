"""Reference values for notes/fluctuations-bayes.md (FB15)-(FB21): the O(1/N) fluctuations of the
Bayesian deep linear network on general data, by brute force and independent of the Swift code's
algebra. Works in the layer kernels Phi^l themselves over the P training and Q test points (the
augmented Wishart chain with Phi^0 = C, C positive definite), not in the whitened variables Psi^l of
the Swift code: the log density (FB1) in the upper-triangle coordinates, its Hessian and the gradient
of -1/2 ln det(-Hessian) by automatic differentiation (jax, float64), dense inverses, then the
observables of (FB19)-(FB21) by their gradients. The saddle is found by Newton's method on the
gradient of A from the lazy kernels (not from the closed form (G6)).

Usage: python3 notes/checks/fluctuations_general_reference.py [--json]
Prints, per case: overlaps c_l = y^T Phi^l y/|y|^2, N Var(c_l), N (E c_l - c_l), N Var(f) at every
point (test points, or the training points without a test set), N Var(tr Phi^L_xx / P).
"""
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


def tri_indices(n):
    return [(i, j) for i in range(n) for j in range(i, n)]


def unpack(x, n, L):
    idx = tri_indices(n)
    m = len(idx)
    rows = jnp.array([i for i, _ in idx]); cols = jnp.array([j for _, j in idx])
    mats = []
    for l in range(L):
        a = jnp.zeros((n, n)).at[rows, cols].set(x[l * m:(l + 1) * m])
        mats.append(a + a.T - jnp.diag(jnp.diag(a)))
    return mats


def pack(mats):
    n = mats[0].shape[0]
    return jnp.concatenate([jnp.array([m[i, j] for i, j in tri_indices(n)]) for m in mats])


def make(C, y, P, g, b, L):
    n = C.shape[0]
    Ci = jnp.linalg.inv(C)

    def A(x):
        Phi = unpack(x, n, L)
        total = 0.5 * jnp.linalg.slogdet(Phi[-1])[1]
        prev_inv = Ci
        for l in range(L):
            total -= 0.5 * jnp.trace(prev_inv @ Phi[l])
            prev_inv = jnp.linalg.inv(Phi[l])
        K = Phi[-1][:P, :P] + b * jnp.eye(P)
        return total - 0.5 * g * y @ jnp.linalg.solve(K, y)

    def B(x):
        Phi = unpack(x, n, L)
        total = -(n + 1) / 2 * sum(jnp.linalg.slogdet(p)[1] for p in Phi)
        return total - 0.5 * jnp.linalg.slogdet(Phi[-1][:P, :P] + b * jnp.eye(P))[1]

    return A, B


def fluctuations(C, y, P, g, b, L):
    C = jnp.array(C, dtype=jnp.float64); y = jnp.array(y, dtype=jnp.float64)
    n = C.shape[0]
    A, B = make(C, y, P, g, b, L)
    grad, hess = jax.jit(jax.grad(A)), jax.jit(jax.hessian(A))
    x = pack([C] * L)
    for _ in range(100):  # Newton on grad A = 0 from the lazy kernels, with step halving on |grad|
        gr = grad(x)
        step = jnp.linalg.solve(hess(x), gr)
        t = 1.0
        while t > 1e-6:
            trial = x - t * step
            if all(jnp.linalg.eigvalsh(p)[0] > 0 for p in unpack(trial, n, L)) and jnp.linalg.norm(grad(trial)) < jnp.linalg.norm(gr):
                break
            t /= 2
        x = trial
        if jnp.linalg.norm(grad(x)) < 1e-13:
            break
    H = -hess(x)
    Hi = jnp.linalg.inv(H)
    F = lambda z: B(z) - 0.5 * jnp.linalg.slogdet(-hess(z))[1]
    shift = Hi @ jax.jit(jax.grad(F))(x)   # (FB3): H^{-1} (grad B + 1/2 T : H^{-1})
    m = n * (n + 1) // 2
    yy = jnp.zeros((n, n)).at[:P, :P].set(jnp.outer(y, y)) / (y @ y)

    def linear(layer, K):   # coordinate gradient of tr(K Phi^layer) (K symmetric)
        v = jnp.zeros(L * m)
        return v.at[layer * m:(layer + 1) * m].set(jnp.array([K[i, j] * (1 if i == j else 2) for i, j in tri_indices(n)]))

    Phi = unpack(x, n, L)
    overlaps = [float(jnp.sum(yy * p)) for p in Phi]
    var_c = [float(linear(l, yy) @ Hi @ linear(l, yy)) for l in range(L)]
    shift_c = [float(linear(l, yy) @ shift) for l in range(L)]
    points = list(range(P, n)) if n > P else list(range(P))

    def mean_prediction(z, mu):
        K = unpack(z, n, L)[-1]
        return K[mu, :P] @ jnp.linalg.solve(K[:P, :P] + b * jnp.eye(P), y)

    pred = []
    for mu in points:
        gm = jax.grad(mean_prediction)(x, mu)
        K = Phi[-1]
        noise = (K[mu, mu] - K[mu, :P] @ jnp.linalg.solve(K[:P, :P] + b * jnp.eye(P), K[:P, mu])) / g
        pred.append((float(gm @ Hi @ gm), float(gm @ Hi @ gm + noise)))
    T = jnp.zeros((n, n)).at[:P, :P].set(jnp.eye(P) / P)
    kernel = float(linear(L - 1, T) @ Hi @ linear(L - 1, T))
    return dict(overlaps=overlaps, overlap_variance=var_c, overlap_mean_shift=shift_c,
                prediction_variance_from_kernels=[p[0] for p in pred], prediction_variance=[p[1] for p in pred],
                kernel_variance=kernel, gradient_norm=float(jnp.linalg.norm(grad(x))))


def cases():
    out = []
    # (i) whitened: must reproduce the certified values of (FB8) (notes/fluctuations-bayes.md section 4).
    out.append(("whitened g=1 b=1/2 L=2 P=3", np.eye(3), np.array([1.0, 0, 0]), 3, 1.0, 0.5, 2))
    # (ii) general C = X X^T / D, training points only (the Swift test uses the same X and y).
    X = np.array([[1, 0, 2, -1], [0, 1, 1, 1], [2, -1, 0, 1], [1, 1, -1, 0]], dtype=float)
    out.append(("general g=1.44 b=0.5 L=2 P=4", X @ X.T / 4, np.array([1.0, -0.5, 0.25, 2.0]), 4, 1.44, 0.5, 2))
    # (iii) general C with two test points (P = 3, Q = 2, D = 5).
    X = np.array([[1, 0, 2, -1, 0], [0, 1, 1, 1, 2], [2, -1, 0, 1, 1], [1, 1, -1, 0, 1], [0, 2, 1, -1, 1]], dtype=float)
    out.append(("general+test g=2.25 b=0.2 L=3 P=3 Q=2", X @ X.T / 5, np.array([1.0, -1.0, 0.5]), 3, 2.25, 0.2, 3))
    # (iv) beta = inf with a test point (P = 2, Q = 1, D = 3).
    X = np.array([[1, 2, 0], [0, 1, -1], [1, 0, 1]], dtype=float)
    out.append(("general+test g=0.25 b=0 L=2 P=2 Q=1", X @ X.T / 3, np.array([1.0, 0.5]), 2, 0.25, 0.0, 2))
    return out


if __name__ == "__main__":
    results = []
    for name, C, y, P, g, b, L in cases():
        r = fluctuations(C, y, P, g, b, L)
        r["name"] = name
        r["C"] = np.asarray(C).tolist(); r["y"] = np.asarray(y).tolist(); r["P"] = P; r["g"] = g; r["b"] = b; r["L"] = L
        results.append(r)
    if "--json" in sys.argv:
        print(json.dumps(results))
    else:
        for r in results:
            print(r["name"])
            for key in ["overlaps", "overlap_variance", "overlap_mean_shift", "prediction_variance_from_kernels",
                        "prediction_variance", "kernel_variance", "gradient_norm"]:
                print(f"  {key}: {r[key]}")
