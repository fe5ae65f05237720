import Foundation
import Core

/// The O(1/N) initialization fluctuations of the two-layer linear network (phi(h) = h, depth 1)
/// trained by gradient flow with weight decay on whitened data (notes/fluctuations-gradient-flow.md).
///
/// With P whitened training points (X X^T/D = I) and labels y = e_1, the Gram matrix
/// Q = [H w]^T [H w]/N of the preactivations H = W X^T/sqrt(D) and the readout w obeys a closed,
/// width-independent ODE (FG3); all randomness is in Q(0), N Q(0) ~ Wishart_{P+1}(N, I) (FG4). Every
/// training-set observable is a function F(Q(0)), and by the delta method (FG6)
/// N Var F -> grad F^T Sigma grad F and N (E F - F(I)) -> tr(Hess F Sigma)/2, with the gradient and
/// Hessian from the first and second variational equations along the infinite-width trajectory Q(0) = I
/// (FG7). A test point orthogonal to the training inputs has N Var f* = e^{-2 lambda t} r(t)/gamma^2 (FG9).
///
/// Precision: classical RK4 in Double on the augmented system (trajectory, one tangent and one
/// second-order tangent per direction of Sigma), with step h and h/2; reported is the Richardson value
/// (16 y_{h/2} - y_h)/15 with residual |y_{h/2} - y_h|/15, the size of the last correction (FG10).
/// The values are approximate in the output contract's sense.
///
/// Prediction variances diverge as 1/gamma^2 (the initial output f(0) = w.h/(gamma N) has N Var 1/gamma^2):
/// they are reported as `initial/gamma^2 + kernel`, the part propagated from the initial predictions and
/// the part from the initial kernels (FG8); at gamma = 0 only the two parts are finite (the lazy limit (FG11)).
/// The observables (`WhitenedGradientFlowObservables`) are read as members of the result.
@dynamicMemberLookup
public struct GradientFlowFluctuations: Sendable {
    /// The failures of the gradient-flow fluctuation solvers: bad input, an overflow, or no convergence (with its reason).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case notFinite
        case notConverged(String)

        public var description: String {
            switch self {
            case .invalid(let text): return text
            case .notFinite: return "the variational equations overflowed (the trajectory is not finite at this gamma, lambda and time)"
            case .notConverged(let text): return text
            }
        }
    }

    public static let maximumPoints = 12
    public static let maximumIntervals = 10_000

    public let gamma: Double
    public let lambda: Double
    public let points: Int
    /// K + 1 output times 0, T/K, ..., T.
    public let times: [Double]

    public typealias Series = GradientFlowSeries<Double>
    public typealias PredictionVariance = GradientFlowPredictionVariance<Double>

    /// The infinite-width trajectory and the N Var and mean shifts (FG2), (FG6), (FG8), (FG9).
    public let observables: WhitenedGradientFlowObservables<Double>

    public subscript<Value>(dynamicMember path: KeyPath<WhitenedGradientFlowObservables<Double>, Value>) -> Value { observables[keyPath: path] }

    public init(gamma: Double, lambda: Double, time: Double, intervals: Int, points: Int = 3) throws {
        guard gamma.isFinite, gamma >= 0 else { throw Failure.invalid("gamma must be a finite number >= 0 (got \(gamma))") }
        guard lambda.isFinite, lambda >= 0 else { throw Failure.invalid("lambda must be a finite number >= 0 (got \(lambda))") }
        guard time.isFinite, time > 0 else { throw Failure.invalid("the time T must be a finite number > 0 (got \(time))") }
        guard (1...Self.maximumIntervals).contains(intervals) else {
            throw Failure.invalid("the number of output intervals K must be in 1...\(Self.maximumIntervals) (got \(intervals))")
        }
        guard (1...Self.maximumPoints).contains(points) else {
            throw Failure.invalid("the number of whitened points P must be in 1...\(Self.maximumPoints) (got \(points))")
        }
        self.gamma = gamma
        self.lambda = lambda
        self.points = points
        times = (0...intervals).map { time * Double($0) / Double(intervals) }
        // (FG10) RK4 step: h <= 0.01 / (1 + gamma + lambda) (the flow's rates are ~ 2 sqrt(1 + gamma^2 f^2) + 2 lambda),
        // a whole number of steps per output interval; then the same with h/2.
        let interval = time / Double(intervals)
        let steps = max(2, Int((interval * (1 + gamma + lambda) / 0.01).rounded(.up)))
        let system = System(gamma: gamma, lambda: lambda, points: points)
        let coarse = try system.integrate(interval: interval, intervals: intervals, steps: steps)
        let fine = try system.integrate(interval: interval, intervals: intervals, steps: 2 * steps)
        // Observables per time from the two grids, then Richardson.
        // (FG9): the test point's h* decays as e^{-lambda t}, so N Var f* = e^{-2 lambda t} r(t) / gamma^2.
        let grid = times
        let series = try Series.richardson(coarse: coarse.map(system.observables), fine: fine.map(system.observables)) { t, c in
            c == System.Observable.testInitial.rawValue ? exp(-2 * lambda * grid[t]) : 1
        }
        observables = WhitenedGradientFlowObservables(points: points, series: { series[$0.rawValue] }) { i, k in
            PredictionVariance(initial: series[i.rawValue], kernel: series[k.rawValue], gamma: gamma)
        }
    }

    // MARK: closed forms of the lazy limit (FG11)

    /// The lazy limit gamma = 0 in closed form (FG11): parts of N Var of the predictions, the NTK's and the overlap's N Var.
    /// The kernel parts of the training predictions are closed-form at lambda = 0 only (nil otherwise).
    public struct LazyLimit: Sendable {
        public let labelInitial: Double, labelKernel: Double?, orthogonalKernel: Double?
        public let testInitial: Double, ntkVariance: Double, overlapVariance: Double
        /// -2 int_0^t e^{-2 lambda (t - s)} phi(s)^2 ds, closed-form at lambda = 0: -(1 - e^{-4t})/2 (nil otherwise).
        public let overlapMeanShift: Double?
    }

    public static func lazyLimit(lambda: Double, time t: Double, points p: Int) -> LazyLimit {
        // phi(t) = exp(-int_0^t (2 e^{-2 lambda s} + 2 lambda) ds) (FG11).
        let decay = lambda > 0 ? (1 - exp(-2 * lambda * t)) / lambda : 2 * t
        let phi = exp(-decay - 2 * lambda * t)
        let e4 = exp(-4 * lambda * t)
        return LazyLimit(labelInitial: phi * phi,
                         labelKernel: lambda == 0 ? 4 * t * t * exp(-4 * t) : nil,
                         orthogonalKernel: lambda == 0 ? t * t * exp(-4 * t) : nil,
                         testInitial: e4, ntkVariance: e4 * (2 + 2 / Double(p)), overlapVariance: 2 * e4,
                         overlapMeanShift: lambda == 0 ? -(1 - exp(-4 * t)) / 2 : nil)
    }
}

extension GradientFlowFluctuations {
    /// The closed flow (FG3) in the variables x = (Q_HH (P x P, stored full), f = q/gamma (P), r), its first and
    /// second variational equations (FG7) along x(0) = (I, 0, 1), one pair per direction of Sigma (FG5).
    struct System {
        let gamma: Double, lambda: Double, points: Int
        /// m = P^2 + P + 1.
        var size: Int { points * points + points + 1 }
        var fOffset: Int { points * points }
        var rIndex: Int { points * points + points }

        /// A direction B_k of Sigma = sum_k B_k (x) B_k (FG5), as a perturbation of x(0); `initial` marks the
        /// q-directions, whose true size is 1/gamma in the f coordinates (stored with size 1).
        struct Direction { let start: [Double]; let initial: Bool }

        /// The index of the q_1 direction in `directions`.
        var labelDirection: Int { points * (points + 1) / 2 }

        var directions: [Direction] {
            var out = [Direction]()
            let p = points
            for i in 0..<p {
                var v = [Double](repeating: 0, count: size); v[i * p + i] = 2.0.squareRoot()
                out.append(Direction(start: v, initial: false))
                for j in (i + 1)..<max(p, i + 1) {
                    var u = [Double](repeating: 0, count: size); u[i * p + j] = 1; u[j * p + i] = 1
                    out.append(Direction(start: u, initial: false))
                }
            }
            for mu in 0..<p {
                var v = [Double](repeating: 0, count: size); v[fOffset + mu] = 1
                out.append(Direction(start: v, initial: true))
            }
            var v = [Double](repeating: 0, count: size); v[rIndex] = 2.0.squareRoot()
            out.append(Direction(start: v, initial: false))
            return out
        }

        /// (FG3): dQ = gamma^2 (Delta f^T + f Delta^T) - 2 lambda Q, df = (r I + Q) Delta - 2 lambda f,
        /// dr = 2 gamma^2 f . Delta - 2 lambda r, Delta = y - f, y = e_1: V(x) = L x + B(x, x), no constant term, with
        ///     L x = (gamma^2 (y f^T + f y^T) - 2 lambda Q,  r y + Q y - 2 lambda f,  2 gamma^2 f_1 - 2 lambda r),
        ///     B(a, b) = (-gamma^2 (f_a f_b^T + f_b f_a^T),  -(r_a f_b + r_b f_a + Q_a f_b + Q_b f_a)/2,  -2 gamma^2 f_a . f_b).
        /// `out[o...] += c1 L a + c2 B(a, b)` (a at offset ia, b at ib of z).
        func accumulate(_ z: UnsafePointer<Double>, _ ia: Int, _ ib: Int, linear c1: Double, bilinear c2: Double,
                        into out: UnsafeMutablePointer<Double>, _ o: Int) {
            let p = points, g2 = gamma * gamma, fo = fOffset, ri = rIndex
            let a = z + ia, b = z + ib, w = out + o
            for mu in 0..<p {
                let fa = a[fo + mu], fb = b[fo + mu]
                for nu in 0..<p {
                    var v = c2 * (-g2) * (fa * b[fo + nu] + fb * a[fo + nu]) - c1 * 2 * lambda * a[mu * p + nu]
                    if c1 != 0 {
                        if mu == 0 { v += c1 * g2 * a[fo + nu] }
                        if nu == 0 { v += c1 * g2 * fa }
                    }
                    w[mu * p + nu] += v
                }
                var s = -(a[ri] * fb + b[ri] * fa)
                for nu in 0..<p { s -= a[mu * p + nu] * b[fo + nu] + b[mu * p + nu] * a[fo + nu] }
                w[fo + mu] += c2 * s / 2 + c1 * ((mu == 0 ? a[ri] : 0) + a[mu * p] - 2 * lambda * fa)
            }
            var ff = 0.0
            for mu in 0..<p { ff += a[fo + mu] * b[fo + mu] }
            w[ri] += c2 * (-2 * g2 * ff) + c1 * (2 * g2 * a[fo] - 2 * lambda * a[ri])
        }

        /// The augmented field: x' = V(x) = L x + B(x, x); u_k' = DV(x) u_k = L u_k + 2 B(x, u_k);
        /// s_k' = DV(x) s_k + D^2 V[u_k, u_k] = L s_k + 2 B(x, s_k) + 2 B(u_k, u_k).
        func augmented(_ zArray: [Double], directions k: Int, into outArray: inout [Double]) {
            let m = size
            zArray.withUnsafeBufferPointer { zb in
                outArray.withUnsafeMutableBufferPointer { ob in
                    let z = zb.baseAddress!, out = ob.baseAddress!
                    for i in 0..<ob.count { out[i] = 0 }
                    accumulate(z, 0, 0, linear: 1, bilinear: 1, into: out, 0)
                    for d in 0..<k {
                        let u = m * (1 + 2 * d), s = u + m
                        accumulate(z, u, 0, linear: 1, bilinear: 2, into: out, u)
                        accumulate(z, s, 0, linear: 1, bilinear: 2, into: out, s)
                        accumulate(z, u, u, linear: 0, bilinear: 2, into: out, s)
                    }
                    // (FG11) The lazy limit of the q-directions' second-order overlap response: J' = -2 lambda J + u_{f_1}^2
                    // along the q_1 direction (used at gamma = 0, where s/gamma^2 is 0/0).
                    let q1 = m * (1 + 2 * labelDirection) + fOffset, j = ob.count - 1
                    out[j] = -2 * lambda * z[j] + z[q1] * z[q1]
                }
            }
        }

        /// States at the K + 1 output times, RK4 with `steps` steps per interval.
        func integrate(interval: Double, intervals: Int, steps: Int) throws -> [[Double]] {
            let m = size, dirs = directions
            var z = [Double](repeating: 0, count: m * (1 + 2 * dirs.count) + 1)
            for i in 0..<points { z[i * points + i] = 1 }
            z[rIndex] = 1
            for (d, direction) in dirs.enumerated() { for i in 0..<m { z[m * (1 + 2 * d) + i] = direction.start[i] } }
            var out = [z]
            let h = interval / Double(steps), k = dirs.count, n = z.count
            var k1 = z, k2 = z, k3 = z, k4 = z, trial = z
            for _ in 0..<intervals {
                for _ in 0..<steps {
                    augmented(z, directions: k, into: &k1)
                    for i in 0..<n { trial[i] = z[i] + h / 2 * k1[i] }
                    augmented(trial, directions: k, into: &k2)
                    for i in 0..<n { trial[i] = z[i] + h / 2 * k2[i] }
                    augmented(trial, directions: k, into: &k3)
                    for i in 0..<n { trial[i] = z[i] + h * k3[i] }
                    augmented(trial, directions: k, into: &k4)
                    for i in 0..<n { z[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
                }
                guard z.allSatisfy(\.isFinite) else { throw Failure.notFinite }
                out.append(z)
            }
            return out
        }

        typealias Observable = WhitenedGradientFlowObservables<Double>.Observable

        /// The observables (FG2), (FG6), (FG8), (FG9) at one time from the augmented state.
        func observables(_ z: [Double]) -> [Double] {
            let m = size, p = points, dirs = directions
            func ntk(_ x: ArraySlice<Double>) -> Double {
                var s = x[x.startIndex + rIndex]
                for mu in 0..<p { s += x[x.startIndex + mu * p + mu] / Double(p) }
                return s
            }
            let x = z[0..<m]
            var out = [Double](repeating: 0, count: Observable.allCases.count)
            out[Observable.meanPrediction.rawValue] = x[fOffset]
            out[Observable.meanOverlap.rawValue] = x[0]
            out[Observable.meanNTK.rawValue] = ntk(x)
            out[Observable.meanReadout.rawValue] = x[rIndex]
            // q-directions: a unit q perturbation is f -> f + 1/gamma. Kernel observables move by O(gamma^2) per unit f,
            // so their contribution (du/gamma)^2 -> 0 as gamma -> 0 (exactly 0 at gamma = 0, where du = 0).
            let inverse = gamma > 0 ? 1 / gamma : 0
            for (d, direction) in dirs.enumerated() {
                let u = z[(m * (1 + 2 * d))..<(m * (2 + 2 * d))], s = z[(m * (2 + 2 * d))..<(m * (3 + 2 * d))]
                let f1 = u[u.startIndex + fOffset], f2 = p >= 2 ? u[u.startIndex + fOffset + 1] : 0
                if direction.initial {
                    out[Observable.labelInitial.rawValue] += f1 * f1
                    out[Observable.orthogonalInitial.rawValue] += f2 * f2
                    let k = ntk(u) * inverse, c = u[u.startIndex] * inverse
                    out[Observable.ntkVariance.rawValue] += k * k
                    out[Observable.overlapVariance.rawValue] += c * c
                    // (FG11): at gamma = 0 the limit of s/gamma^2 for q_1 is -4 J (and 0 for q_mu, mu >= 2).
                    out[Observable.overlapShift.rawValue] += gamma > 0 ? s[s.startIndex] * inverse * inverse / 2
                        : (d == labelDirection ? -2 * z[z.count - 1] : 0)
                } else {
                    out[Observable.labelKernel.rawValue] += f1 * f1
                    out[Observable.orthogonalKernel.rawValue] += f2 * f2
                    let k = ntk(u), c = u[u.startIndex]
                    out[Observable.ntkVariance.rawValue] += k * k
                    out[Observable.overlapVariance.rawValue] += c * c
                    out[Observable.overlapShift.rawValue] += s[s.startIndex] / 2
                }
            }
            // (FG9): N Var f* = e^{-2 lambda t} r(t) / gamma^2, all of it propagated from the initial output.
            // r(t) here; the caller multiplies by e^{-2 lambda t}.
            out[Observable.testInitial.rawValue] = x[rIndex]
            out[Observable.testKernel.rawValue] = 0
            return out
        }
    }
}
