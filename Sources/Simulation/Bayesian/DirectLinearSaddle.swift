import Core
import Numerics

/// The deep-linear saddle for a general input kernel, computed directly from the matrix equations
/// (eq. V3) in double precision by Newton's method: unknowns u = Phi^L v (all points) and
/// v = (Phi^L_tt + b I)^{-1} y, with Phi^l = (I + gamma^2 u v^T)^l C. A test-only reference
/// independent of Theory (whose certified general-C solver is the exact reference).
public struct DirectLinearSaddle: Sendable {
    public let problem: BayesProblem
    /// Phi^1 ... Phi^L over all points.
    public let kernels: [[Double]]
    public let residual: Double

    public init(problem: BayesProblem) throws {
        self.problem = problem
        let pa = problem.pointCount, p = problem.trainCount
        var x = [Double](repeating: 0, count: pa + p)
        var k = SmallMatrix.leadingBlock(problem.inputKernel, pa, p)
        for i in 0..<p { k[i * p + i] += problem.ridge }
        guard let v0 = LinearAlgebra.solveSPD(k, problem.labels, n: p) else { throw InputError("singular input kernel") }
        for i in 0..<p { x[pa + i] = v0[i] }
        // Continuation in gamma^2 from the lazy limit (u = C v there), Newton at each stage.
        for i in 0..<pa { x[i] = (0..<p).reduce(0.0) { $0 + problem.inputKernel[i * pa + $1] * v0[$1] } }
        let stages = 40
        var r: [Double] = []
        for stage in 1...stages {
            let g = problem.gamma * (Double(stage) / Double(stages)).squareRoot()
            let stageProblem = try BayesProblem(inputKernel: problem.inputKernel, trainCount: p, labels: problem.labels, gamma: g,
                                                ridge: problem.ridge, depth: problem.depth, activation: .identity)
            (x, r) = Self.newton(stageProblem, x)
        }
        residual = SmallMatrix.frobeniusNorm(r)
        guard residual < 1e-9 else { throw InputError("direct linear saddle: Newton did not converge (residual \(residual))") }
        kernels = Self.kernels(problem, x).map { SmallMatrix.symmetrized($0, pa) }
    }

    /// Newton's method with a finite-difference Jacobian and backtracking on |residual|.
    static func newton(_ problem: BayesProblem, _ start: [Double]) -> ([Double], [Double]) {
        var x = start
        var r = residuals(problem, x)
        for _ in 0..<100 {
            let norm = SmallMatrix.frobeniusNorm(r)
            if norm < 1e-13 { break }
            let m = x.count
            var jacobian = [Double](repeating: 0, count: m * m)
            for j in 0..<m {
                var y = x
                let h = 1e-7 * max(1, abs(x[j]))
                y[j] += h
                let ry = residuals(problem, y)
                for i in 0..<m { jacobian[i * m + j] = (ry[i] - r[i]) / h }
            }
            guard let delta = LinearAlgebra.solve(jacobian, r, n: m) else { break }
            var scale = 1.0
            while scale > 1e-4 {
                let candidate = zip(x, delta).map { $0 - scale * $1 }
                let rc = residuals(problem, candidate)
                if SmallMatrix.frobeniusNorm(rc) < norm { x = candidate; r = rc; break }
                scale *= 0.5
            }
            if scale <= 1e-4 { break }
        }
        return (x, r)
    }

    static func kernels(_ problem: BayesProblem, _ x: [Double]) -> [[Double]] {
        let pa = problem.pointCount, p = problem.trainCount, g2 = problem.gamma * problem.gamma
        var step = SmallMatrix.identity(pa)
        for i in 0..<pa { for j in 0..<p { step[i * pa + j] += g2 * x[i] * x[pa + j] } }
        var current = problem.inputKernel
        return (0..<problem.depth).map { _ in current = LinearAlgebra.multiply(step, current, m: pa, k: pa, n: pa); return current }
    }

    static func residuals(_ problem: BayesProblem, _ x: [Double]) -> [Double] {
        let pa = problem.pointCount, p = problem.trainCount
        let phi = kernels(problem, x).last!
        var r = [Double](repeating: 0, count: pa + p)
        for i in 0..<pa { r[i] = (0..<p).reduce(0.0) { $0 + phi[i * pa + $1] * x[pa + $1] } - x[i] }
        for i in 0..<p { r[pa + i] = (0..<p).reduce(0.0) { $0 + phi[i * pa + $1] * x[pa + $1] } + problem.ridge * x[pa + i] - problem.labels[i] }
        return r
    }

    public var overlap: Double { problem.overlap(kernels.last!) }
    public var predictions: [Double] { problem.predictions(kernels.last!) ?? [] }
}
