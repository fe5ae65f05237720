import Foundation
import Core
import Numerics

/// Langevin dynamics of the explicit width-N network of notes/theory-overview.md (T4) (every weight a variable):
/// potential U = beta N gamma^2 / 2 |f - y|^2 + |theta|^2 / 2, gradients by backpropagation,
/// Leimkuhler-Matthews steps. Slow (O(L N^2 P) per step): used only to check at small N that the
/// pre-activation sampler `LangevinNetwork` (weights integrated out, eqs. V21-V22) samples the same
/// posterior (notes/verify-bayes.md, eq. V26).
public struct WeightSpaceLangevin: Sendable {
    public let inputs: [Double]      // P x D, row-major (training points only)
    public let dimension: Int
    public let problem: BayesProblem // its input kernel must be X X^T / D
    public let settings: LangevinSettings

    public init(inputs: [Double], dimension: Int, problem: BayesProblem, settings: LangevinSettings) throws {
        guard problem.testCount == 0, inputs.count == problem.trainCount * dimension else {
            throw InputError("weight-space Langevin takes P x D training inputs and no test points")
        }
        self.inputs = inputs
        self.dimension = dimension
        self.problem = problem
        self.settings = settings
    }

    /// Series of y^T Phi^L y / y^T y after burn-in, one value per `recordEvery` steps.
    public func overlapSeries() -> [Double] {
        let p = problem.trainCount, d = dimension, n = settings.width, L = problem.depth
        let act = problem.activation
        let gamma = problem.gamma, beta = 1 / problem.ridge
        // weights[0]: N x D, weights[1..L-1]: N x N, weights[L]: N (readout)
        var shapes = [n * d] + Array(repeating: n * n, count: L - 1) + [n]
        var weights = shapes.enumerated().map { (index, count) -> [Double] in
            var w = [Double](repeating: 0, count: count)
            w.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(settings.seed, 0x3E16, UInt64(index))) }
            return w
        }
        var previousNoise = shapes.enumerated().map { (index, count) -> [Double] in
            var w = [Double](repeating: 0, count: count)
            w.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(settings.seed, 0x9015e, UInt64(index))) }
            return w
        }
        shapes = []
        let dt = settings.timeStep, noiseScale = (dt / 2).squareRoot()
        let burn = Int(settings.burnInTime / dt), total = burn + Int(settings.measuredTime / dt)
        let norm = problem.labels.reduce(0) { $0 + $1 * $1 }
        var series: [Double] = []
        for step in 0..<total {
            // Forward: pre-activations H_l (P x N) and activations A_l.
            var pre: [[Double]] = [], post: [[Double]] = []
            var h = LinearAlgebra.multiply(inputs, transpose(weights[0], rows: n, columns: d), m: p, k: d, n: n).map { $0 / Double(d).squareRoot() }
            for l in 1...L {
                pre.append(h)
                post.append(h.map(act.value))
                if l < L {
                    h = LinearAlgebra.multiply(post[l - 1], transpose(weights[l], rows: n, columns: n), m: p, k: n, n: n).map { $0 / Double(n).squareRoot() }
                }
            }
            let top = post[L - 1]
            let f = (0..<p).map { mu in (0..<n).reduce(0.0) { $0 + top[mu * n + $1] * weights[L][$1] } / (gamma * Double(n)) }
            if step >= burn && (step - burn) % settings.recordEvery == 0 {
                var s = 0.0
                for a in 0..<p { for b in 0..<p {
                    let k = (0..<n).reduce(0.0) { $0 + top[a * n + $1] * top[b * n + $1] } / Double(n)
                    s += problem.labels[a] * k * problem.labels[b]
                } }
                series.append(s / norm)
            }
            // Backward.
            let g = (0..<p).map { beta * Double(n) * gamma * gamma * (f[$0] - problem.labels[$0]) }
            var gradients = weights // the prior's gradient, theta
            for i in 0..<n { gradients[L][i] += (0..<p).reduce(0.0) { $0 + top[$1 * n + i] * g[$1] } / (gamma * Double(n)) }
            var upstream = (0..<(p * n)).map { g[$0 / n] * weights[L][$0 % n] / (gamma * Double(n)) } // dE/dA_L
            for l in stride(from: L, through: 1, by: -1) {
                let dh = (0..<(p * n)).map { upstream[$0] * act.derivative(pre[l - 1][$0]) } // dE/dH_l
                if l == 1 {
                    let gw = LinearAlgebra.multiply(transpose(dh, rows: p, columns: n), inputs, m: n, k: p, n: d)
                    for i in 0..<(n * d) { gradients[0][i] += gw[i] / Double(d).squareRoot() }
                } else {
                    let gw = LinearAlgebra.multiply(transpose(dh, rows: p, columns: n), post[l - 2], m: n, k: p, n: n)
                    for i in 0..<(n * n) { gradients[l - 1][i] += gw[i] / Double(n).squareRoot() }
                    upstream = LinearAlgebra.multiply(dh, weights[l - 1], m: p, k: n, n: n).map { $0 / Double(n).squareRoot() }
                }
            }
            for index in weights.indices {
                var noise = [Double](repeating: 0, count: weights[index].count)
                noise.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(settings.seed, UInt64(step), UInt64(index))) }
                for i in noise.indices {
                    weights[index][i] += -dt * gradients[index][i] + noiseScale * (noise[i] + previousNoise[index][i])
                }
                previousNoise[index] = noise
            }
        }
        return series
    }

    func transpose(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: a.count)
        for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = a[i * columns + j] } }
        return t
    }
}
