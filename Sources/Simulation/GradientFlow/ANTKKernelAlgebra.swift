import Core
import Numerics

/// Kernels as averages over neurons (notes/theory-overview.md (T2)): Phi^l = phi(h^l).phi(h^l)/N,
/// G^l = g^l.g^l/N, and the adapted NTK K = sum_{l=0}^{L} G^{l+1} (.) Phi^l with Phi^0 = C,
/// G^{L+1} = 1 (notes/antk-deep-linear.md (A7)).
public enum ANTKKernelAlgebra {
    /// A A^T / columns for a point-major field matrix A (rows x columns).
    public static func gram(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        var c = [Double](repeating: 0, count: rows * rows)
        LinearAlgebra.flowProduct(a, transposeA: false, a, transposeB: true, m: rows, k: columns, n: rows,
                                  alpha: 1 / Double(columns), into: &c)
        return c
    }

    /// K = G^1 (.) C + sum_{l=1}^{L-1} G^{l+1} (.) Phi^l + Phi^L.
    public static func ntk(input: [Double], feature: [[Double]], gradient: [[Double]], count n: Int) -> [Double] {
        let depth = feature.count
        var k = feature[depth - 1]
        for j in 0..<(n * n) {
            k[j] += gradient[0][j] * input[j]
            for l in 1..<depth { k[j] += gradient[l][j] * feature[l - 1][j] }
        }
        return k
    }

    /// The kernel predictor on every point, K(., X) (K_XX + ridge I)^{-1} y (notes/theory-overview.md (T15) with
    /// ridge = lambda (L+1)); ridge = 0 is the ridgeless (pseudo-inverse) predictor. nil if K_XX is
    /// numerically singular.
    public static func predictor(ntk k: [Double], count n: Int, trainCount p: Int, labels: [Double], ridge: Double) -> [Double]? {
        var block = [Double](repeating: 0, count: p * p)
        for mu in 0..<p { for nu in 0..<p { block[mu * p + nu] = k[mu * n + nu] + (mu == nu ? ridge : 0) } }
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(block, n: p) else { return nil }
        let top = values.map(abs).max() ?? 0
        // alpha = V diag(1/values) V^T y, dropping directions below the rounding floor.
        var alpha = [Double](repeating: 0, count: p)
        for j in 0..<p where abs(values[j]) > top * 1e-12 * Double(p) {
            var c = 0.0
            for mu in 0..<p { c += vectors[mu * p + j] * labels[mu] }
            c /= values[j]
            for mu in 0..<p { alpha[mu] += vectors[mu * p + j] * c }
        }
        return (0..<n).map { nu in (0..<p).reduce(0) { $0 + k[nu * n + $1] * alpha[$1] } }
    }
}
