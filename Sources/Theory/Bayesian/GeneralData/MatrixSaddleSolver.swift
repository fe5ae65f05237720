import Foundation
import Core
import Numerics

/// The independent check: the stationarity equations of notes/theory-overview.md (T7) solved on dense P x P kernels,
/// without the conservation law, the eigenbasis or the secular equation
/// (notes/general-kernel-reduction.md, eq. G14). Unknown: Phi^L. From it, v = (Phi^L + bI)^{-1} y
/// (LAPACKE_dposv), hatPhi^L = −g v v^T, and a downward sweep
///   Phi^{l−1}   = Phi^l (I − hatPhi^l Phi^l)^{-1},  hatPhi^{l−1} = hatPhi^l (I + Phi^{l−1} hatPhi^l)^{-1}
/// ends at Phi^0[Phi^L]; the residual C − Phi^0[Phi^L] is driven to zero by Anderson-accelerated
/// (damped, type II) fixed-point iteration. `dense` forms every inverse with LAPACKE_dgesv;
/// otherwise hatPhi^l is kept in the rank-one form −eta v v^T that these equations produce and the
/// inverses are applied by the Sherman–Morrison identity (O(P^2) per layer).
public struct MatrixSaddleSolver: Sendable {
    public var dense = false
    public var tolerance = 1e-11
    public var maximumIterations = 500
    public var history = 6
    /// Wall-clock budget in seconds (nil: none); past it the solve throws `SolverError.notConverged`.
    public var timeLimit: Double? = nil

    public init() {}

    public struct Result: Sendable {
        public let kernelL: [Double]
        public let iterations: Int
        /// |C − Phi^0[Phi^L]|_F / |C|_F at the answer.
        public let residual: Double
        /// y^T Phi^L y / |y|^2.
        public let overlap: Double
    }

    /// Phi^0 reached from Phi^L by the downward sweep, or nil when Phi^L + bI is not positive definite.
    func sweepDown(_ kernelL: [Double], labels y: [Double], g: Double, b: Double, depth: Int) -> [Double]? {
        let p = y.count
        var shifted = kernelL
        for i in 0..<p { shifted[i * p + i] += b }
        guard let v = LinearAlgebra.solvePositiveDefinite(shifted, y, n: p, rightHandSides: 1) else { return nil }
        var phi = kernelL
        if dense {
            var hat = [Double](repeating: 0, count: p * p)
            LinearAlgebra.addOuterProduct(&hat, -g, v, v, m: p, n: p)
            let identity = (0..<(p * p)).map { $0 % (p + 1) == 0 ? 1.0 : 0.0 }
            for l in stride(from: depth, through: 1, by: -1) {
                // Phi^{l-1} = Phi^l A^{-1}, A = I − hat Phi^l  <=>  A^T Phi^{l-1}^T = Phi^l^T
                let hp = LinearAlgebra.multiply(hat, phi, m: p, k: p, n: p)
                let a = (0..<(p * p)).map { identity[$0] - hp[$0] }
                guard let next = LinearAlgebra.solveGeneral(transpose(a, p), transpose(phi, p), n: p, rightHandSides: p) else { return nil }
                phi = transpose(next, p)
                if l > 1 {
                    // hat^{l-1} = hat^l B^{-1}, B = I + Phi^{l-1} hat^l
                    let ph = LinearAlgebra.multiply(phi, hat, m: p, k: p, n: p)
                    let bm = (0..<(p * p)).map { identity[$0] + ph[$0] }
                    guard let nh = LinearAlgebra.solveGeneral(transpose(bm, p), transpose(hat, p), n: p, rightHandSides: p) else { return nil }
                    hat = transpose(nh, p)
                }
            }
            return phi
        }
        var eta = g
        for l in stride(from: depth, through: 1, by: -1) {
            // Phi^{l-1} = Phi^l − eta/(1 + eta p_l) (Phi^l v)(Phi^l v)^T   (Sherman–Morrison)
            let z = LinearAlgebra.multiply(phi, vector: v, m: p, n: p)
            let pl = LinearAlgebra.dot(v, z)
            LinearAlgebra.addOuterProduct(&phi, -eta / (1 + eta * pl), z, z, m: p, n: p)
            if l > 1 {
                // eta_{l-1} = eta_l / (1 − eta_l p_{l-1})
                let pPrevious = LinearAlgebra.dot(v, LinearAlgebra.multiply(phi, vector: v, m: p, n: p))
                let denominator = 1 - eta * pPrevious
                guard denominator > 0 else { return nil }
                eta /= denominator
            }
        }
        return phi
    }

    func transpose(_ a: [Double], _ n: Int) -> [Double] {
        var t = a
        for i in 0..<n { for j in 0..<n { t[j * n + i] = a[i * n + j] } }
        return t
    }

    /// Solves from `start` (default: the lazy point Phi^L = C).
    public func solve(_ problem: GeneralKernelProblem, start: [Double]? = nil) throws -> Result {
        let p = problem.count, c = problem.inputKernel, y = problem.labels
        let g = problem.gammaSquared, b = problem.ridge, depth = problem.depth
        let cNorm = max(c.reduce(0) { $0 + $1 * $1 }.squareRoot(), .leastNormalMagnitude)
        var x = start ?? c
        var xs: [[Double]] = [], rs: [[Double]] = []
        let deadline = timeLimit.map { Date().addingTimeInterval($0) }
        for iteration in 0..<maximumIterations {
            if let deadline, Date() > deadline {
                throw SolverError.notConverged("matrix solver: time limit of \(String(format: "%.3g", timeLimit!)) s reached after \(iteration) iterations")
            }
            guard let phi0 = sweepDown(x, labels: y, g: g, b: b, depth: depth) else {
                // Left the region where the sweep is defined: step halfway back and restart the history.
                guard let last = xs.last else { throw SolverError.notConverged("matrix solver: the starting kernel is outside the domain of the sweep") }
                x = zip(x, last).map { 0.5 * ($0 + $1) }
                xs.removeAll(); rs.removeAll()
                continue
            }
            var residual = [Double](repeating: 0, count: p * p)
            for i in 0..<p { for j in 0..<p { residual[i * p + j] = c[i * p + j] - 0.5 * (phi0[i * p + j] + phi0[j * p + i]) } }
            let norm = residual.reduce(0) { $0 + $1 * $1 }.squareRoot() / cNorm
            if norm <= tolerance {
                let kernelY = LinearAlgebra.multiply(x, vector: y, m: p, n: p)
                return Result(kernelL: x, iterations: iteration, residual: norm,
                              overlap: LinearAlgebra.dot(y, kernelY) / LinearAlgebra.dot(y, y))
            }
            xs.append(x); rs.append(residual)
            if xs.count > history + 1 { xs.removeFirst(); rs.removeFirst() }
            var next = zip(x, residual).map { $0 + $1 }
            let m = xs.count - 1
            if m > 0 {
                // gamma = argmin |r_k − dR gamma|, by the normal equations (m <= history).
                let dR = (0..<m).map { k in zip(rs[k + 1], rs[k]).map { $0 - $1 } }
                let dX = (0..<m).map { k in zip(xs[k + 1], xs[k]).map { $0 - $1 } }
                var gram = [Double](repeating: 0, count: m * m), rhs = [Double](repeating: 0, count: m)
                for i in 0..<m {
                    rhs[i] = LinearAlgebra.dot(dR[i], residual)
                    for j in 0...i { let d = LinearAlgebra.dot(dR[i], dR[j]); gram[i * m + j] = d; gram[j * m + i] = d }
                }
                let trace = (0..<m).reduce(0.0) { $0 + gram[$1 * m + $1] }
                for i in 0..<m { gram[i * m + i] += 1e-14 * trace }
                if let gamma = LinearAlgebra.solvePositiveDefinite(gram, rhs, n: m, rightHandSides: 1) {
                    for k in 0..<m where gamma[k] != 0 {
                        for i in 0..<(p * p) { next[i] -= gamma[k] * (dX[k][i] + dR[k][i]) }
                    }
                }
            }
            for i in 0..<p { for j in (i + 1)..<p { let a = 0.5 * (next[i * p + j] + next[j * p + i]); next[i * p + j] = a; next[j * p + i] = a } }
            x = next
        }
        throw SolverError.notConverged("matrix solver: no convergence in \(maximumIterations) iterations")
    }
}
