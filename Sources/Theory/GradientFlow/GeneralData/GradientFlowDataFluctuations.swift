import Foundation
import Core
import Numerics

/// The O(1/N) initialization fluctuations of the two-layer linear network (phi(h) = h, depth 1) trained by
/// gradient flow with weight decay on general data: P training inputs with input kernel C = X X^T/D, labels y,
/// and Q test inputs (notes/fluctuations-gradient-flow.md (FG13)-(FG16)).
///
/// The Gram matrix of the preactivations on all P + Q inputs and the readout, G = [H w]^T [H w]/N, obeys a
/// closed, width-independent ODE in which C enters as a constant (FG13); N G(0) ~ Wishart_{P+Q+1}(N, diag(C, 1))
/// (FG14). The delta method (FG6) along the infinite-width trajectory G(0) = diag(C, 1) gives N Var and the
/// N -> infinity mean shift of every observable, with the first and second variational equations (FG7) over the
/// directions A B_k A^T of the initial covariance, A A^T = C (FG15). On whitened data (C = I, y = e_1, test inputs
/// orthogonal to the training inputs) it reproduces `GradientFlowFluctuations` (FG16).
///
/// Precision as in (FG10): RK4 on the augmented system with steps h and h/2, Richardson (16 y_{h/2} - y_h)/15,
/// residual |y_{h/2} - y_h|/15; h <= 0.01/((1 + gamma) max(1, |C|) + lambda), |C| the largest eigenvalue of C.
public struct GradientFlowDataFluctuations: Sendable {
    public typealias Series = GradientFlowSeries<Double>
    public typealias PredictionVariance = GradientFlowPredictionVariance<Double>
    public typealias Failure = GradientFlowFluctuations.Failure

    /// P + Q at most (the augmented system has about (P + Q)^4 entries).
    public static let maximumInputs = 16

    public let gamma: Double
    public let lambda: Double
    public let trainCount: Int
    public let testCount: Int
    public let times: [Double]
    /// Infinite-width predictions on every input (training first), the overlap y^T (H^T H/N) y/|y|^2 and the
    /// NTK's diagonal mean on the training points (FG13).
    public let meanPredictions: [Series]
    public let meanOverlap: Series
    public let meanNTKDiagonal: Series
    /// N Var of every prediction (training inputs first, then test inputs): initial/gamma^2 + kernel (FG8).
    public let predictions: [PredictionVariance]
    /// N Var of tr K/P = (tr(H^T H/N) + (|w|^2/N) tr C)/P on the training points.
    public let ntkVariance: Series
    /// N Var(c) and N (E c - c) of the overlap c = y^T (H^T H/N) y/|y|^2 (FG15).
    public let overlapVariance: Series
    public let overlapMeanShift: Series

    public init(data: LabelledData, gamma: Double, lambda: Double, time: Double, intervals: Int) throws {
        guard gamma.isFinite, gamma > 0 else { throw Failure.invalid("gamma must be a finite number > 0 (got \(gamma))") }
        guard lambda.isFinite, lambda >= 0 else { throw Failure.invalid("lambda must be a finite number >= 0 (got \(lambda))") }
        guard time.isFinite, time > 0 else { throw Failure.invalid("the time T must be a finite number > 0 (got \(time))") }
        guard (1...GradientFlowFluctuations.maximumIntervals).contains(intervals) else {
            throw Failure.invalid("the number of output intervals K must be in 1...\(GradientFlowFluctuations.maximumIntervals) (got \(intervals))")
        }
        guard data.count <= Self.maximumInputs else {
            throw Failure.invalid("fluctuations on data take at most \(Self.maximumInputs) training and test points together (got \(data.count))")
        }
        guard data.labels.contains(where: { $0 != 0 }) else { throw Failure.invalid("the labels are all zero (the overlap y^T H^T H y/|y|^2 is undefined)") }
        self.gamma = gamma
        self.lambda = lambda
        trainCount = data.trainCount
        testCount = data.testCount
        times = (0...intervals).map { time * Double($0) / Double(intervals) }
        let system = try System(data: data, gamma: gamma, lambda: lambda)
        let interval = time / Double(intervals)
        // (FG10), (FG15): h <= 0.01/((1 + gamma) max(1, |C|) + lambda), a whole number of steps per output interval.
        let rate = (1 + gamma) * max(1, system.kernelNorm) + lambda
        let steps = max(2, Int((interval * rate / 0.01).rounded(.up)))
        let coarse = try system.integrate(interval: interval, intervals: intervals, steps: steps)
        let fine = try system.integrate(interval: interval, intervals: intervals, steps: 2 * steps)
        let series = try Series.richardson(coarse: coarse.map(system.observables), fine: fine.map(system.observables))
        let n = system.inputs
        meanPredictions = (0..<n).map { series[System.Layout.mean(n, $0)] }
        meanOverlap = series[System.Layout.overlap(n)]
        meanNTKDiagonal = series[System.Layout.ntk(n)]
        predictions = (0..<n).map { i in
            PredictionVariance(initial: series[System.Layout.initial(n, i)], kernel: series[System.Layout.kernel(n, i)], gamma: gamma)
        }
        ntkVariance = series[System.Layout.ntkVariance(n)]
        overlapVariance = series[System.Layout.overlapVariance(n)]
        overlapMeanShift = series[System.Layout.overlapShift(n)]
    }

    /// The predictions reported as `prediction_variance`: the test inputs', or the training inputs' without test data.
    public var reportedPredictions: ArraySlice<PredictionVariance> {
        testCount > 0 ? predictions[trainCount...] : predictions[..<trainCount]
    }
}

extension GradientFlowDataFluctuations {
    /// The closed Gram flow on data (FG13) in x = (Q (n x n, all inputs, stored full), f = q/gamma (n), r), n = P + Q,
    /// with its variational equations (FG7) along x(0) = (C, 0, 1), one pair per direction of the initial covariance (FG15).
    struct System {
        let gamma: Double, lambda: Double
        let inputs: Int, train: Int
        /// C over all inputs (n x n), the training labels y, Cy (n), |y|^2.
        let kernel: [Double], labels: [Double], kernelLabels: [Double], labelNorm: Double
        /// The largest eigenvalue of C.
        let kernelNorm: Double
        let directions: [Direction]

        var size: Int { inputs * inputs + inputs + 1 }
        var fOffset: Int { inputs * inputs }
        var rIndex: Int { inputs * inputs + inputs }

        /// A direction A B_k A^T of the initial covariance (FG15) as a perturbation of x(0); `initial` marks the
        /// readout-input directions, whose true size in f is 1/gamma (stored with size 1).
        struct Direction { let start: [Double]; let initial: Bool }

        init(data: LabelledData, gamma: Double, lambda: Double) throws {
            self.gamma = gamma; self.lambda = lambda
            let n = data.count, p = data.trainCount
            inputs = n; train = p
            kernel = data.inputKernel
            labels = data.labels
            kernelLabels = (0..<n).map { i in (0..<p).reduce(0.0) { $0 + data.inputKernel[i * n + $1] * data.labels[$1] } }
            labelNorm = data.labels.reduce(0) { $0 + $1 * $1 }
            guard let eigen = LinearAlgebra.symmetricEigen(kernel, n: n) else { throw Failure.invalid("the input kernel's eigendecomposition failed") }
            let largest = eigen.values.max() ?? 0
            kernelNorm = largest
            // (FG15) A = V diag(sqrt(e)) (columns with e > 1e-12 |C| only: C may be singular when P + Q > D).
            var columns: [[Double]] = []
            for j in 0..<n where eigen.values[j] > 1e-12 * max(largest, 1e-300) {
                let s = eigen.values[j].squareRoot()
                columns.append((0..<n).map { eigen.vectors[$0 * n + j] * s })
            }
            let m = n * n + n + 1, fo = n * n
            var dirs: [Direction] = []
            for i in columns.indices {
                for j in i..<columns.count {
                    var v = [Double](repeating: 0, count: m)
                    let scale = i == j ? 2.0.squareRoot() : 1
                    for a in 0..<n { for b in 0..<n {
                        v[a * n + b] = i == j ? scale * columns[i][a] * columns[i][b] : columns[i][a] * columns[j][b] + columns[j][a] * columns[i][b]
                    } }
                    dirs.append(Direction(start: v, initial: false))
                }
            }
            for a in columns {
                var v = [Double](repeating: 0, count: m)
                for i in 0..<n { v[fo + i] = a[i] }
                dirs.append(Direction(start: v, initial: true))
            }
            var v = [Double](repeating: 0, count: m); v[n * n + n] = 2.0.squareRoot()
            dirs.append(Direction(start: v, initial: false))
            directions = dirs
        }

        /// (FG13): with Delta = y - f on the training inputs and (C Delta)_i = sum_mu C_{i mu} Delta_mu,
        ///     dQ_ij = gamma^2 ((C Delta)_i f_j + f_i (C Delta)_j) - 2 lambda Q_ij,
        ///     df_i  = (C Delta)_i r + sum_mu Q_{i mu} Delta_mu - 2 lambda f_i,
        ///     dr    = 2 gamma^2 f . Delta - 2 lambda r   (training inputs in the sums);
        /// V(x) = L x + B(x, x); `out[o...] += c1 L a + c2 B(a, b)` with B symmetric (a at offset ia, b at ib of z).
        func accumulate(_ z: UnsafePointer<Double>, _ ia: Int, _ ib: Int, linear c1: Double, bilinear c2: Double,
                        into out: UnsafeMutablePointer<Double>, _ o: Int, scratch: UnsafeMutablePointer<Double>) {
            let n = inputs, p = train, g2 = gamma * gamma, fo = fOffset, ri = rIndex
            let a = z + ia, b = z + ib, w = out + o
            let ca = scratch, cb = scratch + n
            for i in 0..<n {
                var sa = 0.0, sb = 0.0
                for mu in 0..<p { sa += kernel[i * n + mu] * a[fo + mu]; sb += kernel[i * n + mu] * b[fo + mu] }
                ca[i] = sa; cb[i] = sb
            }
            for i in 0..<n {
                let fai = a[fo + i], fbi = b[fo + i]
                for j in 0..<n {
                    var v = 0.0
                    if c2 != 0 { v += c2 * (-g2 / 2) * (ca[i] * b[fo + j] + fai * cb[j] + cb[i] * a[fo + j] + fbi * ca[j]) }
                    if c1 != 0 { v += c1 * (g2 * (kernelLabels[i] * a[fo + j] + fai * kernelLabels[j]) - 2 * lambda * a[i * n + j]) }
                    w[i * n + j] += v
                }
                var s = 0.0
                if c2 != 0 {
                    var q = ca[i] * b[ri] + cb[i] * a[ri]
                    for mu in 0..<p { q += a[i * n + mu] * b[fo + mu] + b[i * n + mu] * a[fo + mu] }
                    s -= c2 * q / 2
                }
                if c1 != 0 {
                    var q = kernelLabels[i] * a[ri] - 2 * lambda * fai
                    for mu in 0..<p { q += a[i * n + mu] * labels[mu] }
                    s += c1 * q
                }
                w[fo + i] += s
            }
            var ff = 0.0, fy = 0.0
            for mu in 0..<p { ff += a[fo + mu] * b[fo + mu]; fy += a[fo + mu] * labels[mu] }
            w[ri] += c2 * (-2 * g2 * ff) + c1 * (2 * g2 * fy - 2 * lambda * a[ri])
        }

        /// x' = V(x); u_k' = L u_k + 2 B(x, u_k); s_k' = L s_k + 2 B(x, s_k) + 2 B(u_k, u_k) (FG7).
        func augmented(_ zArray: [Double], into outArray: inout [Double], scratch: inout [Double]) {
            let m = size, k = directions.count
            zArray.withUnsafeBufferPointer { zb in
                outArray.withUnsafeMutableBufferPointer { ob in
                    scratch.withUnsafeMutableBufferPointer { sb in
                        let z = zb.baseAddress!, out = ob.baseAddress!, s = sb.baseAddress!
                        for i in 0..<ob.count { out[i] = 0 }
                        accumulate(z, 0, 0, linear: 1, bilinear: 1, into: out, 0, scratch: s)
                        for d in 0..<k {
                            let u = m * (1 + 2 * d), v = u + m
                            accumulate(z, u, 0, linear: 1, bilinear: 2, into: out, u, scratch: s)
                            accumulate(z, v, 0, linear: 1, bilinear: 2, into: out, v, scratch: s)
                            accumulate(z, u, u, linear: 0, bilinear: 2, into: out, v, scratch: s)
                        }
                    }
                }
            }
        }

        /// States at the K + 1 output times, RK4 with `steps` steps per interval, from x(0) = (C, 0, 1).
        func integrate(interval: Double, intervals: Int, steps: Int) throws -> [[Double]] {
            let m = size, n = inputs
            var z = [Double](repeating: 0, count: m * (1 + 2 * directions.count))
            for i in 0..<(n * n) { z[i] = kernel[i] }
            z[rIndex] = 1
            for (d, direction) in directions.enumerated() { for i in 0..<m { z[m * (1 + 2 * d) + i] = direction.start[i] } }
            var out = [z]
            let h = interval / Double(steps), count = z.count
            var k1 = z, k2 = z, k3 = z, k4 = z, trial = z, scratch = [Double](repeating: 0, count: 2 * n)
            for _ in 0..<intervals {
                for _ in 0..<steps {
                    augmented(z, into: &k1, scratch: &scratch)
                    for i in 0..<count { trial[i] = z[i] + h / 2 * k1[i] }
                    augmented(trial, into: &k2, scratch: &scratch)
                    for i in 0..<count { trial[i] = z[i] + h / 2 * k2[i] }
                    augmented(trial, into: &k3, scratch: &scratch)
                    for i in 0..<count { trial[i] = z[i] + h * k3[i] }
                    augmented(trial, into: &k4, scratch: &scratch)
                    for i in 0..<count { z[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
                }
                guard z.allSatisfy(\.isFinite) else { throw Failure.notFinite }
                out.append(z)
            }
            return out
        }

        /// Positions of the observables in `observables`' output (n inputs).
        enum Layout {
            static func mean(_ n: Int, _ i: Int) -> Int { i }
            static func initial(_ n: Int, _ i: Int) -> Int { n + i }
            static func kernel(_ n: Int, _ i: Int) -> Int { 2 * n + i }
            static func overlap(_ n: Int) -> Int { 3 * n }
            static func ntk(_ n: Int) -> Int { 3 * n + 1 }
            static func ntkVariance(_ n: Int) -> Int { 3 * n + 2 }
            static func overlapVariance(_ n: Int) -> Int { 3 * n + 3 }
            static func overlapShift(_ n: Int) -> Int { 3 * n + 4 }
            static func count(_ n: Int) -> Int { 3 * n + 5 }
        }

        /// (FG6), (FG8), (FG15) at one time from the augmented state.
        func observables(_ z: [Double]) -> [Double] {
            let m = size, n = inputs, p = train
            func ntk(_ x: ArraySlice<Double>) -> Double {
                var s = 0.0
                for mu in 0..<p { s += x[x.startIndex + mu * n + mu] + x[x.startIndex + rIndex] * kernel[mu * n + mu] }
                return s / Double(p)
            }
            func overlap(_ x: ArraySlice<Double>) -> Double {
                var s = 0.0
                for mu in 0..<p { for nu in 0..<p { s += labels[mu] * x[x.startIndex + mu * n + nu] * labels[nu] } }
                return s / labelNorm
            }
            var out = [Double](repeating: 0, count: Layout.count(n))
            let x = z[0..<m]
            for i in 0..<n { out[Layout.mean(n, i)] = x[fOffset + i] }
            out[Layout.overlap(n)] = overlap(x)
            out[Layout.ntk(n)] = ntk(x)
            let inverse = 1 / gamma
            for (d, direction) in directions.enumerated() {
                let u = z[(m * (1 + 2 * d))..<(m * (2 + 2 * d))], s = z[(m * (2 + 2 * d))..<(m * (3 + 2 * d))]
                // (FG8): a readout-input direction moves f by 1/gamma per unit; kernels by O(gamma) per unit (no divergence).
                let scale = direction.initial ? inverse : 1
                for i in 0..<n {
                    let fi = u[u.startIndex + fOffset + i]
                    out[direction.initial ? Layout.initial(n, i) : Layout.kernel(n, i)] += fi * fi
                }
                let k = ntk(u) * scale, c = overlap(u) * scale
                out[Layout.ntkVariance(n)] += k * k
                out[Layout.overlapVariance(n)] += c * c
                out[Layout.overlapShift(n)] += overlap(s) * scale * scale / 2
            }
            return out
        }
    }
}
