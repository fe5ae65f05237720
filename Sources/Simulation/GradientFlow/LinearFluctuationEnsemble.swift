import Foundation
import Core
import Numerics

/// Ensembles of finite-width linear networks (`ANTKNetwork`, depth L >= 1 hidden layers, phi(h) = h, all weights
/// N(0, 1)) trained by the forward-Euler flow (A2) on whitened data, recording N x Var over seeds of the
/// predictions, of the NTK's diagonal mean and of the overlap c_1 = H^L_11, and N x the mean shift of c_1
/// (notes/fluctuations-gradient-flow.md (FG12)); the independent check of `GradientFlowFluctuations`. At depth
/// L >= 2 (notes/fluctuations-gradient-flow.md (FG28), (FG31)) the NTK's diagonal mean is sum_{l=0}^{L} G^{l+1} tr H^l/P
/// (H^0 = I, G^{L+1} = 1; notes/dynamics-deep-linear.md (DY13)), and every layer's overlap H^l_11 is recorded too
/// (N x Var and its mean, both extrapolated in 1/N); c_1^inf is then the deep linear DMFT on the same Euler grid
/// (`DeepLinearDMFT` with one input, C = 1: the whitened reduction notes/dynamics-deep-linear.md (DY14)).
///
/// Data: P training inputs x_mu = sqrt(D) e_mu and one test input x* = sqrt(D) e_{P+1} in D = P + 1
/// dimensions (X X^T/D = I, x* orthogonal to every training input, |x*|^2/D = 1), labels y = e_1 (the
/// whitened single-direction data of `dynamics`, notes/dynamics-deep-linear.md (DY14)).
///
/// Statistics per width N from n independent seeds: the sample variance s^2 (n - 1 denominator) gives
/// N Var = N s^2; the relative variance of s^2 is (m_4/s^4 - (n - 3)/(n - 1))/n, m_4 the sample fourth central
/// moment (the moment formula for the variance of s^2; no bootstrap), and the standard error at every width is the
/// mean over the widths of N s^2 times the square root of the mean relative variance (pooled, so that the weights of
/// the 1/N fit do not follow the estimates themselves), n - 1 degrees of freedom. The mean
/// shift of c_1 is N (mean c_1 - c_1^inf) with standard error N s/sqrt(n), where c_1^inf is the
/// infinite-width value of the same Euler flow: the Gram matrix Q = [H w]^T [H w]/N obeys the closed map
/// Q_{k+1} = (I + dt M_k)^T Q_k (I + dt M_k) from Q_0 = I (FG12). Over the widths, `InverseWidthFit`
/// extrapolates N x (quantity) = a + b/N; the estimate is a.
public struct LinearFluctuationEnsemble: Sendable {
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    public let points: Int
    public let time: Double
    public let intervals: Int
    public let widths: [Int]
    public let seedsPerWidth: Int
    public let seed: UInt64
    public let timeStep: Double
    public let stepsPerFrame: Int

    public init(gamma: Double, lambda: Double, points: Int, time: Double, intervals: Int, widths: [Int], seedsPerWidth: Int,
                seed: UInt64, targetTimeStep: Double = 0.01, depth: Int = 1) throws {
        guard depth >= 1 else { throw InputError("the ensemble needs depth L >= 1") }
        guard gamma > 0, gamma.isFinite, lambda >= 0, lambda.isFinite else { throw InputError("the ensemble needs gamma > 0 and lambda >= 0") }
        guard points >= 1, time > 0, time.isFinite, intervals >= 1 else { throw InputError("the ensemble needs P >= 1, T > 0 and K >= 1") }
        guard widths.count >= 2, widths.allSatisfy({ $0 >= 2 }) else { throw InputError("at least two widths >= 2 are needed for the 1/N fit") }
        guard seedsPerWidth >= 4 else { throw InputError("at least four seeds per width are needed for a variance's standard error") }
        self.depth = depth
        self.gamma = gamma; self.lambda = lambda; self.points = points; self.time = time; self.intervals = intervals
        self.widths = widths; self.seedsPerWidth = seedsPerWidth; self.seed = seed
        let interval = time / Double(intervals)
        stepsPerFrame = max(1, Int((interval / targetTimeStep).rounded(.up)))
        timeStep = interval / Double(stepsPerFrame)
    }

    /// The data set: P training points, one orthogonal test point, D = P + 1.
    public var data: LabelledData {
        let p = points, d = p + 1, scale = Double(d).squareRoot()
        var x = [Double](repeating: 0, count: p * d)
        for mu in 0..<p { x[mu * d + mu] = scale }
        var test = [Double](repeating: 0, count: d)
        test[p] = scale
        return try! LabelledData(name: "whitened P = \(p) with an orthogonal test point", train: x,
                                 labels: (0..<p).map { $0 == 0 ? 1 : 0 }, test: test, testLabels: [0], dimension: d)
    }

    public enum Quantity: Int, CaseIterable, Sendable {
        /// N Var(f_1) (the label direction), N Var(f_2) (orthogonal training direction, P >= 2), N Var(f(x*)),
        /// N Var(tr K/P), N Var(c_1), N (E c_1 - c_1^inf).
        case labelVariance, orthogonalVariance, testVariance, ntkVariance, overlapVariance, overlapMeanShift
    }

    public struct Result: Sendable {
        public let times: [Double]
        /// [quantity][time]: the 1/N intercept.
        public let extrapolated: [[Estimate]]
        /// [quantity][width][time]: N x (quantity) at each width.
        public let perWidth: [[[Estimate]]]
        /// [layer - 1][time]: N Var(H^l_11), l = 1...L, the 1/N intercept (at depth 1 the same as `.overlapVariance`).
        public let layerOverlapVariance: [[Estimate]]
        /// [layer - 1][time]: the mean of H^l_11 over the seeds, extrapolated in 1/N (standard error sd/sqrt(n) per width).
        public let layerOverlapMean: [[Estimate]]
        public let widths: [Int]
        public let seedsPerWidth: Int
        public let timeStep: Double
        public func value(_ q: Quantity, time index: Int) -> Estimate { extrapolated[q.rawValue][index] }
    }

    /// c_1 at infinite width on the Euler grid, at the K + 1 output times (FG12); at depth L >= 2 the deep linear DMFT of
    /// the same Euler flow with one input, C = 1, label 1 (notes/dynamics-deep-linear.md (DY14)), H^L(t, t).
    public func infiniteWidthOverlap() -> [Double] {
        if depth > 1 {
            let s = DeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, kernel: [1], labels: [1], pointCount: 1,
                                   timeStep: timeStep, steps: intervals * stepsPerFrame).solve()
            return (0...intervals).map { s.featureKernels[$0 * stepsPerFrame][depth - 1][0] }
        }
        let p = points, n = p + 1, dt = timeStep
        var q = [Double](repeating: 0, count: n * n)
        for i in 0..<n { q[i * n + i] = 1 }
        var out = [q[0]]
        for _ in 0..<intervals {
            for _ in 0..<stepsPerFrame {
                // A = I + dt M: d[H w] = [H w] M, M = [[-lambda I, gamma Delta], [gamma Delta^T, -lambda]] (columns H_1..H_P, w).
                var a = [Double](repeating: 0, count: n * n)
                for i in 0..<n { a[i * n + i] = 1 - dt * lambda }
                for mu in 0..<p {
                    let delta = (mu == 0 ? 1 : 0) - q[mu * n + p] / gamma
                    a[mu * n + p] = dt * gamma * delta
                    a[p * n + mu] = dt * gamma * delta
                }
                var t = [Double](repeating: 0, count: n * n)
                for i in 0..<n { for j in 0..<n { var s = 0.0; for k in 0..<n { s += q[i * n + k] * a[k * n + j] }; t[i * n + j] = s } }
                for i in 0..<n { for j in 0..<n { var s = 0.0; for k in 0..<n { s += a[k * n + i] * t[k * n + j] }; q[i * n + j] = s } }
            }
            out.append(q[0])
        }
        return out
    }

    public func run(progress: ((Double) -> Void)? = nil) -> Result {
        let data = self.data, p = points, n = p + 1
        let times = (0...intervals).map { time * Double($0) / Double(intervals) }
        let limit = infiniteWidthOverlap()
        let quantities = Quantity.allCases.count
        var perWidth = [[[Estimate]]](repeating: [], count: quantities)
        // [layer][width][time]: N s^2 (provisional relative variance in the standard error) and the mean of H^l_11.
        var layerVariance = [[[Estimate]]](repeating: [], count: depth), layerMean = layerVariance
        for (wi, width) in widths.enumerated() {
            // samples[time][observable][seed]: f_1, f_2, f*, tr K/P, c_1, then H^l_11 for l = 1...L.
            var samples = [[[Double]]](repeating: [[Double]](repeating: [], count: 5 + depth), count: times.count)
            for s in 0..<seedsPerWidth {
                var network = ANTKNetwork(depth: depth, width: width, inputDimension: p + 1, gamma: gamma, lambda: lambda,
                                          activation: .identity, seed: NormalSampler.derive(seed, UInt64(wi), UInt64(s)))
                let frames = network.trajectory(data, timeStep: timeStep, stepsPerFrame: stepsPerFrame, frames: intervals)
                for (t, frame) in frames.enumerated() {
                    // (DY13) K_mumu = sum_{l=0}^{L} G^{l+1} H^l_mumu with H^0_mumu = 1 and G^{L+1} = 1.
                    func trace(_ l: Int) -> Double {
                        let phi = frame.featureKernels[l - 1]
                        var s = 0.0
                        for mu in 0..<p { s += phi[mu * n + mu] }
                        return s
                    }
                    var ntk = frame.gradientKernels[0]
                    if depth > 1 { for l in 1..<depth { ntk += frame.gradientKernels[l] * trace(l) / Double(p) } }
                    ntk += trace(depth) / Double(p)
                    let values = [frame.predictions[0], p >= 2 ? frame.predictions[1] : 0, frame.predictions[p],
                                  ntk, frame.featureKernels[depth - 1][0]] + (1...depth).map { frame.featureKernels[$0 - 1][0] }
                    for (o, v) in values.enumerated() { samples[t][o].append(v) }
                }
                progress?((Double(wi) + Double(s + 1) / Double(seedsPerWidth)) / Double(widths.count))
            }
            let scale = Double(width), count = Double(seedsPerWidth)
            // (FG12) N s^2 and the relative variance of s^2, (m_4/s^4 - (n - 3)/(n - 1))/n, floored at half the Gaussian
            // value 2/(n - 1) (the standard errors are pooled over the widths below).
            func variance(_ xs: [Double]) -> (value: Double, relative: Double) {
                let mean = xs.reduce(0, +) / count
                let s2 = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
                let m4 = xs.reduce(0) { $0 + pow($1 - mean, 4) } / count
                let relative = s2 > 0 ? max((m4 / (s2 * s2) - (count - 3) / (count - 1)) / count, 1 / (count - 1)) : 0
                return (scale * s2, relative)
            }
            var rows = [[Estimate]](repeating: [], count: quantities)
            for t in times.indices {
                for (o, q) in [Quantity.labelVariance, .orthogonalVariance, .testVariance, .ntkVariance, .overlapVariance].enumerated() {
                    let v = variance(samples[t][o])
                    // Provisional: the relative variance is kept in `standardError` until the pooling below.
                    rows[q.rawValue].append(Estimate(value: v.value, standardError: v.relative, degreesOfFreedom: seedsPerWidth - 1))
                }
                let c = samples[t][4], mean = c.reduce(0, +) / count
                let sd = (c.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)).squareRoot()
                rows[Quantity.overlapMeanShift.rawValue].append(Estimate(value: scale * (mean - limit[t]), standardError: scale * sd / count.squareRoot(),
                                                                         degreesOfFreedom: seedsPerWidth - 1))
            }
            for q in 0..<quantities { perWidth[q].append(rows[q]) }
            for l in 0..<depth {
                let xs = times.indices.map { samples[$0][5 + l] }
                layerVariance[l].append(xs.map { let v = variance($0); return Estimate(value: v.value, standardError: v.relative, degreesOfFreedom: seedsPerWidth - 1) })
                layerMean[l].append(xs.map { c in
                    let mean = c.reduce(0, +) / count
                    let sd = (c.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)).squareRoot()
                    return Estimate(value: mean, standardError: sd / count.squareRoot(), degreesOfFreedom: seedsPerWidth - 1)
                })
            }
        }
        // (FG12) Pooled standard errors of the variances: N Var differs between widths only at O(1/N), so every width gets
        // se = (mean over widths of N s^2) x sqrt(mean over widths of the relative variance of s^2). A per-width se
        // proportional to its own s^2 would give low estimates small errors and bias the weighted 1/N fit downwards.
        func pool(_ rows: inout [[Estimate]], _ t: Int) {
            let values = rows.map { $0[t].value }, relatives = rows.map { $0[t].standardError }
            let pooled = values.reduce(0, +) / Double(values.count) * (relatives.reduce(0, +) / Double(relatives.count)).squareRoot()
            for w in rows.indices { rows[w][t].standardError = pooled }
        }
        for q in Quantity.allCases where q != .overlapMeanShift {
            for t in times.indices { pool(&perWidth[q.rawValue], t) }
        }
        for l in 0..<depth { for t in times.indices { pool(&layerVariance[l], t) } }
        let extrapolated = (0..<quantities).map { q in
            times.indices.map { t in InverseWidthFit(widths: widths, points: perWidth[q].map { $0[t] }).intercept }
        }
        func fit(_ rows: [[Estimate]]) -> [Estimate] { times.indices.map { t in InverseWidthFit(widths: widths, points: rows.map { $0[t] }).intercept } }
        return Result(times: times, extrapolated: extrapolated, perWidth: perWidth, layerOverlapVariance: layerVariance.map(fit),
                      layerOverlapMean: layerMean.map(fit), widths: widths, seedsPerWidth: seedsPerWidth, timeStep: timeStep)
    }
}
