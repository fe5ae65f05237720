import Foundation

/// Matrix-free GMRES (Saad and Schultz 1986) for A x = b from x0 = 0: the Krylov basis by modified
/// Gram-Schmidt, the small least-squares problem by Givens rotations, no restart. `apply` is the only
/// access to A (e.g. a finite-difference Jacobian-vector product of a Newton-Krylov step). Working
/// precision; the result carries the relative residual |b - A x| / |b| of the least-squares problem
/// (equal to the true one up to rounding and up to the error of `apply`).
public enum KrylovSolver {
    public struct Solution: Sendable {
        public let x: [Double]
        public let iterations: Int
        /// |b - A x| / |b| as GMRES measures it (the Hessenberg least-squares residual).
        public let relativeResidual: Double
    }

    /// Stops once the relative residual is at most `relativeTolerance`, after `maximumIterations`
    /// products, or on a lucky breakdown (the Krylov space is A-invariant: x is exact).
    public static func gmres(_ b: [Double], relativeTolerance: Double, maximumIterations: Int,
                             apply: ([Double]) -> [Double]) -> Solution {
        let n = b.count
        let beta = norm(b)
        guard beta > 0, beta.isFinite, maximumIterations > 0 else {
            return Solution(x: [Double](repeating: 0, count: n), iterations: 0, relativeResidual: beta > 0 ? 1 : 0)
        }
        let m = maximumIterations
        var basis: [[Double]] = [b.map { $0 / beta }]
        var h = [[Double]](repeating: [Double](repeating: 0, count: m), count: m + 1) // h[i][j]
        var cosines = [Double](), sines = [Double]()
        var g = [Double](repeating: 0, count: m + 1)
        g[0] = beta
        var k = 0
        var residual = beta
        while k < m {
            var w = apply(basis[k])
            for i in 0...k {
                let hij = dot(w, basis[i])
                h[i][k] = hij
                for e in 0..<n { w[e] -= hij * basis[i][e] }
            }
            let next = norm(w)
            h[k + 1][k] = next
            // Apply the previous rotations to the new column, then a new rotation to zero h[k+1][k].
            for i in 0..<k {
                let a = h[i][k], c = h[i + 1][k]
                h[i][k] = cosines[i] * a + sines[i] * c
                h[i + 1][k] = -sines[i] * a + cosines[i] * c
            }
            let r = (h[k][k] * h[k][k] + h[k + 1][k] * h[k + 1][k]).squareRoot()
            let cs = r > 0 ? h[k][k] / r : 1, sn = r > 0 ? h[k + 1][k] / r : 0
            cosines.append(cs); sines.append(sn)
            h[k][k] = r
            h[k + 1][k] = 0
            g[k + 1] = -sn * g[k]
            g[k] = cs * g[k]
            residual = abs(g[k + 1])
            k += 1
            if residual <= relativeTolerance * beta || next <= 1e-14 * beta || !residual.isFinite { break }
            basis.append(w.map { $0 / next })
        }
        // Back substitution on the k x k upper triangle.
        var coefficients = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            var s = g[i]
            for j in (i + 1)..<k { s -= h[i][j] * coefficients[j] }
            coefficients[i] = h[i][i] != 0 ? s / h[i][i] : 0
        }
        var x = [Double](repeating: 0, count: n)
        for j in 0..<k { let c = coefficients[j]; for e in 0..<n { x[e] += c * basis[j][e] } }
        return Solution(x: x, iterations: k, relativeResidual: residual / beta)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
