import Foundation
import Numerics
import Core

/// Lazy (gamma -> 0) baselines: NNGP and NTK kernels of depth-L networks in closed form
/// (notes/general-kernel-reduction.md, eq. G15), for the train block and a test-train block; the
/// per-layer maps are the activation's (Activation.lazyStep).
public enum LazyKernels {
    /// NNGP Phi^L and NTK sum_{l=0..L} Phi^l ⊙ G^{l+1} entries for kernel entries `k` between two
    /// sets whose diagonals are `rowDiagonal`, `columnDiagonal` (input kernel C, Phi^0 = C).
    /// `symmetric` (a train kernel) halves the work.
    public static func kernels(input k: [Double], rows: Int, columns: Int, rowDiagonal: [Double], columnDiagonal: [Double],
                               depth: Int, activation: Activation, symmetric: Bool = false) -> (nngp: [Double], ntk: [Double]) {
        var nngp = k, ntk = k
        var dRow = rowDiagonal, dColumn = columnDiagonal
        // symmetric: k is a symmetric train kernel (rows = columns, equal diagonals); the upper
        // triangle is computed and mirrored at the end (every map of G15 is entrywise).
        let mirror = symmetric && rows == columns
        for _ in 1...depth {
            for i in 0..<rows { for j in (mirror ? i : 0)..<columns {
                let index = i * columns + j
                let (value, derivative) = activation.lazyStep(nngp[index], dRow[i], dColumn[j])
                // Theta^l = Phi^l + dotPhi^l Theta^{l-1} (the NTK recursion, G^l products folded in)
                ntk[index] = value + derivative * ntk[index]
                nngp[index] = value
            } }
            dRow = dRow.map { activation.lazyStep($0, $0, $0).value }
            dColumn = dColumn.map { activation.lazyStep($0, $0, $0).value }
        }
        if mirror { for i in 0..<rows { for j in 0..<i { nngp[i * columns + j] = nngp[j * columns + i]; ntk[i * columns + j] = ntk[j * columns + i] } } }
        return (nngp, ntk)
    }

    /// Kernel ridge regression f_* = K_* (K + b I)^{-1} y (Cholesky); nil if K + bI is not PD.
    public static func predict(train k: [Double], cross: [Double], rows: Int, labels y: [Double], ridge b: Double) -> [Double]? {
        let p = y.count
        var shifted = k
        for i in 0..<p { shifted[i * p + i] += b }
        guard let alpha = LinearAlgebra.solvePositiveDefinite(shifted, y, n: p, rightHandSides: 1) else { return nil }
        return LinearAlgebra.multiply(cross, vector: alpha, m: rows, n: p)
    }
}
