import Foundation
import Core
import Numerics

/// Ensembles of finite-width networks (`ANTKNetwork`: depth 1 with any activation, or depth L >= 2 linear; all weights
/// N(0, 1)) trained by the forward-Euler flow (A2) on a data set (training and test inputs), recording N x Var over seeds of
/// every prediction, of the NTK's diagonal mean on the training points and of the overlap c = y^T Phi y/|y|^2, and
/// for the linear network N x the mean shift of c (notes/fluctuations-gradient-flow.md (FG12), (FG17)); the
/// independent check of the data and nonlinear fluctuation theories. The whitened linear ensemble
/// `LinearFluctuationEnsemble` is the special case of orthonormal inputs; the statistics are the same (FG12): N s^2
/// per width with the moment formula for the variance of s^2, pooled over the widths, and the 1/N intercept of
/// `InverseWidthFit`. With `depth` L >= 2 (linear networks only) the networks have L hidden layers: the NTK's diagonal is
/// K_mumu = G^1 C_mumu + sum_{l=1}^{L-1} G^{l+1} Phi^l_mumu + Phi^L_mumu (notes/fluctuations-gradient-flow.md (FG36)), c is
/// the last layer's overlap, every layer's c_l = y^T Phi^l y/|y|^2 is recorded too, and the mean shift is not (nil): the
/// independent check of `DeepLinearGradientFlowFluctuations` on data (FG37).
public struct DataFluctuationEnsemble: Sendable {
    public let data: LabelledData
    public let depth: Int
    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    public let time: Double
    public let intervals: Int
    public let widths: [Int]
    public let seedsPerWidth: Int
    public let seed: UInt64
    public let timeStep: Double
    public let stepsPerFrame: Int

    public init(data: LabelledData, activation: Activation, gamma: Double, lambda: Double, time: Double, intervals: Int, widths: [Int],
                seedsPerWidth: Int, seed: UInt64, targetTimeStep: Double = 0.01, depth: Int = 1) throws {
        guard depth >= 1, depth == 1 || activation == .identity else { throw InputError("the ensemble needs depth 1, or depth L >= 2 with the identity") }
        guard gamma > 0, gamma.isFinite, lambda >= 0, lambda.isFinite else { throw InputError("the ensemble needs gamma > 0 and lambda >= 0") }
        guard time > 0, time.isFinite, intervals >= 1 else { throw InputError("the ensemble needs T > 0 and K >= 1") }
        guard widths.count >= 2, widths.allSatisfy({ $0 >= 2 }) else { throw InputError("at least two widths >= 2 are needed for the 1/N fit") }
        guard seedsPerWidth >= 4 else { throw InputError("at least four seeds per width are needed for a variance's standard error") }
        self.data = data; self.depth = depth; self.activation = activation; self.gamma = gamma; self.lambda = lambda; self.time = time
        self.intervals = intervals; self.widths = widths; self.seedsPerWidth = seedsPerWidth; self.seed = seed
        let interval = time / Double(intervals)
        stepsPerFrame = max(1, Int((interval / targetTimeStep).rounded(.up)))
        timeStep = interval / Double(stepsPerFrame)
    }

    public struct Result: Sendable {
        public let times: [Double]
        /// [point][time]: the 1/N intercept of N Var f(x_point) (training points first).
        public let predictionVariance: [[Estimate]]
        /// [time]: N Var(tr K/P), N Var(c) and (linear network only) N (E c - c^inf).
        public let ntkVariance: [Estimate]
        public let overlapVariance: [Estimate]
        public let overlapMeanShift: [Estimate]?
        /// [layer - 1][time]: N Var(c_l), l = 1...L (the 1/N intercept; the last layer's is `overlapVariance`).
        public let layerOverlapVariance: [[Estimate]]
        /// [width][time] per-width values of N Var(tr K/P) and N Var(c), for reports.
        public let ntkPerWidth: [[Estimate]]
        public let overlapPerWidth: [[Estimate]]
        public let widths: [Int]
        public let seedsPerWidth: Int
        public let timeStep: Double
    }

    /// The overlap c^inf of the linear network at infinite width on the Euler grid, at the K + 1 output times (FG17):
    /// G = [H w]^T [H w]/N over all inputs obeys G_{k+1} = (I + dt M_k)^T G_k (I + dt M_k) from G_0 = diag(C, 1), with
    /// M_{aa} = -lambda, M_{w a} = gamma (C Delta)_a, M_{mu w} = gamma Delta_mu, Delta = y - G_{., w}/gamma.
    public func infiniteWidthOverlap() -> [Double] {
        let p = data.trainCount, n = data.count, m = n + 1, dt = timeStep, c = data.inputKernel, y = data.labels
        let norm = y.reduce(0) { $0 + $1 * $1 }
        var g = [Double](repeating: 0, count: m * m)
        for i in 0..<n { for j in 0..<n { g[i * m + j] = c[i * n + j] } }
        g[n * m + n] = 1
        func overlap() -> Double {
            var s = 0.0
            for mu in 0..<p { for nu in 0..<p { s += y[mu] * g[mu * m + nu] * y[nu] } }
            return s / norm
        }
        var out = [overlap()]
        for _ in 0..<intervals {
            for _ in 0..<stepsPerFrame {
                let delta = (0..<p).map { y[$0] - g[$0 * m + n] / gamma }
                var a = [Double](repeating: 0, count: m * m)
                for i in 0..<m { a[i * m + i] = 1 - dt * lambda }
                for i in 0..<n {
                    var s = 0.0
                    for mu in 0..<p { s += c[i * n + mu] * delta[mu] }
                    a[n * m + i] += dt * gamma * s
                }
                for mu in 0..<p { a[mu * m + n] += dt * gamma * delta[mu] }
                let t = LinearAlgebra.multiply(g, a, m: m, k: m, n: m)
                var at = [Double](repeating: 0, count: m * m)
                for i in 0..<m { for j in 0..<m { at[i * m + j] = a[j * m + i] } }
                g = LinearAlgebra.multiply(at, t, m: m, k: m, n: m)
            }
            out.append(overlap())
        }
        return out
    }

    /// (FG12) N s^2 and the relative variance of s^2, (m_4/s^4 - (n - 3)/(n - 1))/n, floored at half the Gaussian value.
    static func variance(_ xs: [Double], width: Int) -> (value: Double, relative: Double) {
        let count = Double(xs.count)
        let mean = xs.reduce(0, +) / count
        let s2 = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
        let m4 = xs.reduce(0) { $0 + pow($1 - mean, 4) } / count
        let relative = s2 > 0 ? max((m4 / (s2 * s2) - (count - 3) / (count - 1)) / count, 1 / (count - 1)) : 0
        return (Double(width) * s2, relative)
    }

    /// (FG12) Pooled standard errors: every width gets (mean over widths of N s^2) x sqrt(mean relative variance).
    static func pooled(_ rows: [(value: Double, relative: Double)], degreesOfFreedom: Int) -> [Estimate] {
        let mean = rows.reduce(0) { $0 + $1.value } / Double(rows.count)
        let relative = rows.reduce(0) { $0 + $1.relative } / Double(rows.count)
        return rows.map { Estimate(value: $0.value, standardError: mean * relative.squareRoot(), degreesOfFreedom: degreesOfFreedom) }
    }

    public func run(progress: ((Double) -> Void)? = nil) -> Result {
        let p = data.trainCount, n = data.count, c = data.inputKernel, y = data.labels
        let norm = y.reduce(0) { $0 + $1 * $1 }
        let times = (0...intervals).map { time * Double($0) / Double(intervals) }
        // Predictions, tr K/P, c = c_L, then c_1...c_L at depth L >= 2.
        let observables = n + 2 + (depth > 1 ? depth : 0)
        // raw[width][time][observable] = (N s^2, relative); shifts[width][time].
        var raw = [[[(value: Double, relative: Double)]]]()
        var shifts = [[Estimate]]()
        let limit = activation == .identity && depth == 1 ? infiniteWidthOverlap() : nil
        for (wi, width) in widths.enumerated() {
            var samples = [[[Double]]](repeating: [[Double]](repeating: [], count: observables), count: times.count)
            for s in 0..<seedsPerWidth {
                var network = ANTKNetwork(depth: depth, width: width, inputDimension: data.dimension, gamma: gamma, lambda: lambda,
                                          activation: activation, seed: NormalSampler.derive(seed, UInt64(wi), UInt64(s)))
                let frames = network.trajectory(data, timeStep: timeStep, stepsPerFrame: stepsPerFrame, frames: intervals)
                for (t, frame) in frames.enumerated() {
                    let phi = frame.featureKernels[depth - 1]
                    var ntk = 0.0, overlap = 0.0
                    for mu in 0..<p {
                        let g = frame.gradientMatrices.map { $0[0][mu * n + mu] } ?? frame.gradientKernels[0]
                        ntk += phi[mu * n + mu] + g * c[mu * n + mu]
                        // (FG36) the middle layers at depth L >= 2: G^{l+1} Phi^l_mumu (linear: G pattern-independent).
                        if depth > 1 { for l in 1..<depth { ntk += frame.gradientKernels[l] * frame.featureKernels[l - 1][mu * n + mu] } }
                        for nu in 0..<p { overlap += y[mu] * phi[mu * n + nu] * y[nu] }
                    }
                    for i in 0..<n { samples[t][i].append(frame.predictions[i]) }
                    samples[t][n].append(ntk / Double(p))
                    samples[t][n + 1].append(overlap / norm)
                    if depth > 1 {
                        for l in 0..<depth {
                            var s = 0.0
                            for mu in 0..<p { for nu in 0..<p { s += y[mu] * frame.featureKernels[l][mu * n + nu] * y[nu] } }
                            samples[t][n + 2 + l].append(s / norm)
                        }
                    }
                }
                progress?((Double(wi) + Double(s + 1) / Double(seedsPerWidth)) / Double(widths.count))
            }
            raw.append(times.indices.map { t in (0..<observables).map { Self.variance(samples[t][$0], width: width) } })
            if let limit {
                let count = Double(seedsPerWidth)
                shifts.append(times.indices.map { t in
                    let xs = samples[t][n + 1], mean = xs.reduce(0, +) / count
                    let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)).squareRoot()
                    return Estimate(value: Double(width) * (mean - limit[t]), standardError: Double(width) * sd / count.squareRoot(),
                                    degreesOfFreedom: seedsPerWidth - 1)
                })
            }
        }
        // perWidth[observable][time][width]
        let perWidth: [[[Estimate]]] = (0..<observables).map { o in
            times.indices.map { t in Self.pooled(widths.indices.map { raw[$0][t][o] }, degreesOfFreedom: seedsPerWidth - 1) }
        }
        func intercept(_ xs: [Estimate]) -> Estimate { InverseWidthFit(widths: widths, points: xs).intercept }
        let prediction = (0..<n).map { i in times.indices.map { intercept(perWidth[i][$0]) } }
        let shift: [Estimate]? = limit == nil ? nil : times.indices.map { t in intercept(widths.indices.map { shifts[$0][t] }) }
        return Result(times: times, predictionVariance: prediction,
                      ntkVariance: times.indices.map { intercept(perWidth[n][$0]) },
                      overlapVariance: times.indices.map { intercept(perWidth[n + 1][$0]) },
                      overlapMeanShift: shift,
                      layerOverlapVariance: depth > 1 ? (0..<depth).map { l in times.indices.map { intercept(perWidth[n + 2 + l][$0]) } }
                                                      : [times.indices.map { intercept(perWidth[n + 1][$0]) }],
                      ntkPerWidth: widths.indices.map { w in times.indices.map { perWidth[n][$0][w] } },
                      overlapPerWidth: widths.indices.map { w in times.indices.map { perWidth[n + 1][$0][w] } },
                      widths: widths, seedsPerWidth: seedsPerWidth, timeStep: timeStep)
    }
}
