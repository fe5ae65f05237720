import Foundation
import Numerics

/// The whitened two-layer linear gradient-flow fluctuations of `GradientFlowFluctuations` (the closed Gram flow (FG3) and
/// its variational equations (FG7)) to any number of digits: a Taylor-series integrator in multiprecision dyadic arithmetic
/// (notes/fluctuations-gradient-flow.md (FG40)-(FG43)).
///
/// The right-hand sides are quadratic polynomials, so the Taylor coefficients of the solution at a point follow from the
/// recurrence z_{n+1} = F_n/(n + 1) with F_n the n-th coefficient of F(z), products by Cauchy convolution (FG41). The order
/// K and the step h = rho/e^2 (rho the radius estimated from the last two coefficients) aim at a local error 10^{-D'}
/// (FG42). The whole integration runs twice, (K, b bits) and (K + dK, b + 32 bits); reported are the second run's values
/// with residual |second - first| per value, accepted when every residual is at most 10^{-D} |value|, else retried with a
/// larger D' (FG43). The values are approximate in the output contract's sense (no rigorous tail bound).
/// The observables (`WhitenedGradientFlowObservables`, the same as the double-precision result's) are read as members.
@dynamicMemberLookup
public struct HighPrecisionGradientFlowFluctuations: Sendable {
    public typealias Failure = GradientFlowFluctuations.Failure

    public static let maximumPoints = 6
    public static let maximumDigits = 200
    public static let maximumSteps = 200_000

    public let gamma: BigRational
    public let lambda: BigRational
    public let points: Int
    public let digits: Int
    /// K + 1 output times 0, T/K, ..., T (exact).
    public let times: [BigRational]
    /// The accepted pair of runs: Taylor order, working bits and the number of steps of the second (reported) run.
    public let order: Int, bits: Int, steps: Int

    public typealias Series = GradientFlowSeries<Dyadic>
    public typealias PredictionVariance = GradientFlowPredictionVariance<Dyadic>

    /// The values and |second run - first run| per time (FG43) of the observables (FG2), (FG6), (FG8), (FG9).
    public let observables: WhitenedGradientFlowObservables<Dyadic>

    public subscript<Value>(dynamicMember path: KeyPath<WhitenedGradientFlowObservables<Dyadic>, Value>) -> Value { observables[keyPath: path] }

    public init(gamma: BigRational, lambda: BigRational, time: BigRational, intervals: Int, points: Int = 3, digits: Int) throws {
        guard gamma.signum >= 0 else { throw Failure.invalid("gamma must be >= 0") }
        guard lambda.signum >= 0 else { throw Failure.invalid("lambda must be >= 0") }
        guard time.signum > 0 else { throw Failure.invalid("the time T must be > 0") }
        guard (1...GradientFlowFluctuations.maximumIntervals).contains(intervals) else {
            throw Failure.invalid("the number of output intervals K must be in 1...\(GradientFlowFluctuations.maximumIntervals) (got \(intervals))")
        }
        guard (1...Self.maximumPoints).contains(points) else {
            throw Failure.invalid("the number of whitened points P must be in 1...\(Self.maximumPoints) for --digits (got \(points))")
        }
        guard (1...Self.maximumDigits).contains(digits) else {
            throw Failure.invalid("the number of digits D must be in 1...\(Self.maximumDigits) (got \(digits))")
        }
        self.gamma = gamma
        self.lambda = lambda
        self.points = points
        self.digits = digits
        times = (0...intervals).map { time * BigRational($0, intervals) }
        // (FG43): runs (K, b) and (K + dK, b + 32) aimed at D' = D + 2 digits; retried with a larger D' when a residual
        // exceeds 10^{-D} |value|.
        var target = digits + 2
        var worst = 0.0
        for _ in 0..<4 {
            let orderA = Self.order(digits: target), bitsA = Self.bits(digits: target)
            let orderB = orderA + max(6, orderA / 4), bitsB = bitsA + 32
            let first = try TaylorSystem(gamma: gamma, lambda: lambda, points: points, bits: bitsA).run(times: times, order: orderA)
            let second = try TaylorSystem(gamma: gamma, lambda: lambda, points: points, bits: bitsB).run(times: times, order: orderB)
            let a = Self.observables(first.states, gamma: gamma, points: points, bits: bitsA)
            let b = Self.observables(second.states, gamma: gamma, points: points, bits: bitsB)
            var residuals = b.map { $0.map { _ in Dyadic.zero } }
            worst = -Double.infinity
            for c in b.indices {
                for t in b[c].indices {
                    let r = Dyadic.sum(b[c][t], a[c][t].negated, bits: 64, .up).magnitude
                    residuals[c][t] = r
                    guard !r.isZero else { continue }
                    // log10 of residual / |value| (the value exactly 0 with a nonzero residual counts as not converged).
                    let relative = b[c][t].isZero ? Double.infinity : (r.log2Magnitude - b[c][t].log2Magnitude) * log10(2.0)
                    worst = max(worst, relative)
                }
            }
            if worst <= -Double(digits) {
                order = orderB
                bits = bitsB
                steps = second.steps
                func series(_ c: Int) -> Series { Series(values: b[c], residuals: residuals[c]) }
                observables = WhitenedGradientFlowObservables(points: points, series: { series($0.rawValue) }) { i, k in
                    PredictionVariance(initial: series(i.rawValue), kernel: series(k.rawValue),
                                       total: gamma.signum > 0 ? series(Self.total(of: i)) : nil)
                }
                return
            }
            target += max(10, target / 2)
        }
        throw Failure.notConverged("the Taylor integrator did not reach \(digits) digits (largest relative residual 10^\(String(format: "%.1f", worst)) after raising the working precision three times)")
    }

    /// (FG42) Taylor order for a local error e^{-2K} <= 10^{-D'}: K = ceil(D' ln 10 / 2) + 1.
    static func order(digits: Int) -> Int { Int((Double(digits) * log(10.0) / 2).rounded(.up)) + 1 }
    /// (FG42) Working bits: D' decimal digits and 32 guard bits.
    static func bits(digits: Int) -> Int { Int((Double(digits) * log2(10.0)).rounded(.up)) + 32 }

    typealias Observable = WhitenedGradientFlowObservables<Dyadic>.Observable
    /// The observables' vector: the quantities of `Observable`, then the totals initial/gamma^2 + kernel of the label,
    /// orthogonal and test predictions (FG8), computed per run so that their residuals are differences of runs (FG43).
    static let observableCount = Observable.allCases.count + 3
    /// The index of the total of the prediction whose initial part is `initial`.
    static func total(of initial: Observable) -> Int {
        switch initial {
        case .labelInitial: return Observable.allCases.count
        case .orthogonalInitial: return Observable.allCases.count + 1
        default: return Observable.allCases.count + 2
        }
    }

    /// The observables (FG2), (FG6), (FG8), (FG9) per output time from the states of (FG40), as [observable][time].
    static func observables(_ states: [[Dyadic]], gamma: BigRational, points p: Int, bits: Int) -> [[Dyadic]] {
        let layout = TaylorSystem.Layout(points: p)
        func add(_ a: Dyadic, _ b: Dyadic) -> Dyadic { Dyadic.sum(a, b, bits: bits, .down) }
        func mul(_ a: Dyadic, _ b: Dyadic) -> Dyadic { Dyadic.product(a, b, bits: bits, .down) }
        func div(_ a: Dyadic, _ b: Dyadic) -> Dyadic { Dyadic.quotient(a, b, bits: bits, .down) }
        let g = Dyadic(gamma, bits: bits, .down), g2 = mul(g, g)
        let pd = Dyadic(p)
        var out = [[Dyadic]](repeating: [], count: observableCount)
        for z in states {
            func ntk(_ o: Int) -> Dyadic {
                var trace = Dyadic.zero
                for mu in 0..<p { trace = add(trace, z[o + mu * p + mu]) }
                return add(z[o + layout.rIndex], div(trace, pd))
            }
            var v = [Dyadic](repeating: .zero, count: observableCount)
            v[Observable.meanPrediction.rawValue] = z[layout.fOffset]
            v[Observable.meanOverlap.rawValue] = z[0]
            v[Observable.meanNTK.rawValue] = ntk(0)
            v[Observable.meanReadout.rawValue] = z[layout.rIndex]
            // (FG40): directions of unit size, weight 2 for the diagonal and r directions (the sqrt 2 of (FG5) squared).
            var kernelNTK = Dyadic.zero, kernelOverlap = Dyadic.zero, initialNTK = Dyadic.zero, initialOverlap = Dyadic.zero
            for d in layout.directions.indices {
                let o = layout.direction(d), w = layout.directions[d].weightShift
                func weighted(_ x: Dyadic) -> Dyadic { let s = mul(x, x); return Dyadic(s.mantissa, exponent: s.exponent + w) }
                let f1 = weighted(z[o + layout.fOffset]), f2 = p >= 2 ? weighted(z[o + layout.fOffset + 1]) : .zero
                let k = weighted(ntk(o)), c = weighted(z[o])
                if layout.directions[d].initial {
                    v[Observable.labelInitial.rawValue] = add(v[Observable.labelInitial.rawValue], f1)
                    v[Observable.orthogonalInitial.rawValue] = add(v[Observable.orthogonalInitial.rawValue], f2)
                    initialNTK = add(initialNTK, k)
                    initialOverlap = add(initialOverlap, c)
                } else {
                    v[Observable.labelKernel.rawValue] = add(v[Observable.labelKernel.rawValue], f1)
                    v[Observable.orthogonalKernel.rawValue] = add(v[Observable.orthogonalKernel.rawValue], f2)
                    kernelNTK = add(kernelNTK, k)
                    kernelOverlap = add(kernelOverlap, c)
                }
            }
            // (FG8): the q-directions have size 1/gamma in f; kernel observables feel them as (u/gamma)^2 (0 at gamma = 0).
            let kernelShift = Dyadic(z[layout.sumKernel].mantissa, exponent: z[layout.sumKernel].exponent - 1)
            if gamma.signum > 0 {
                v[Observable.ntkVariance.rawValue] = add(kernelNTK, div(initialNTK, g2))
                v[Observable.overlapVariance.rawValue] = add(kernelOverlap, div(initialOverlap, g2))
                let s = z[layout.sumInitial]
                v[Observable.overlapShift.rawValue] = add(kernelShift, div(Dyadic(s.mantissa, exponent: s.exponent - 1), g2))
            } else {
                // (FG11): at gamma = 0 the q-directions' second-order overlap response is -4 J, its half -2 J.
                let j = z[layout.jIndex]
                v[Observable.ntkVariance.rawValue] = kernelNTK
                v[Observable.overlapVariance.rawValue] = kernelOverlap
                v[Observable.overlapShift.rawValue] = add(kernelShift, Dyadic(-j.mantissa, exponent: j.exponent + 1))
            }
            // (FG9): N Var f* = e^{-2 lambda t} r(t)/gamma^2, all of it propagated initial output; E = e^{-2 lambda t} (FG40).
            v[Observable.testInitial.rawValue] = mul(z[layout.eIndex], z[layout.rIndex])
            v[Observable.testKernel.rawValue] = .zero
            if gamma.signum > 0 {
                for (initial, kernel) in [(Observable.labelInitial, Observable.labelKernel), (.orthogonalInitial, .orthogonalKernel),
                                          (.testInitial, .testKernel)] {
                    v[total(of: initial)] = add(div(v[initial.rawValue], g2), v[kernel.rawValue])
                }
            }
            for c in v.indices { out[c].append(v[c]) }
        }
        return out
    }
}

extension HighPrecisionGradientFlowFluctuations {
    /// The augmented system of (FG40) and its Taylor integrator (FG41), (FG42) at one working precision.
    struct TaylorSystem {
        /// Offsets in the state z = (x, u_1 ... u_k, S_kernel, S_initial, E, J), blocks of m = P^2 + P + 1.
        struct Layout {
            let points: Int
            struct Direction { let start: [(Int, Int)]; let initial: Bool; let weightShift: Int }
            let directions: [Direction]
            init(points p: Int) {
                points = p
                var out = [Direction]()
                let m = p * p + p + 1
                for i in 0..<p {
                    out.append(Direction(start: [(i * p + i, 1)], initial: false, weightShift: 1))
                    for j in (i + 1)..<max(p, i + 1) { out.append(Direction(start: [(i * p + j, 1), (j * p + i, 1)], initial: false, weightShift: 0)) }
                }
                for mu in 0..<p { out.append(Direction(start: [(p * p + mu, 1)], initial: true, weightShift: 0)) }
                out.append(Direction(start: [(m - 1, 1)], initial: false, weightShift: 1))
                directions = out
            }
            var m: Int { points * points + points + 1 }
            var fOffset: Int { points * points }
            var rIndex: Int { points * points + points }
            func direction(_ d: Int) -> Int { m * (1 + d) }
            var sumKernel: Int { m * (1 + directions.count) }
            var sumInitial: Int { m * (2 + directions.count) }
            var eIndex: Int { m * (3 + directions.count) }
            var jIndex: Int { eIndex + 1 }
            var count: Int { jIndex + 1 }
            /// The q_1 direction (its f_1 entry drives J).
            var labelDirection: Int { points * (points + 1) / 2 }
        }

        let layout: Layout
        let bits: Int
        let g2: Dyadic, minusTwoG2: Dyadic, minusFourG2: Dyadic, twoG2: Dyadic, minusTwoLambda: Dyadic

        init(gamma: BigRational, lambda: BigRational, points: Int, bits: Int) {
            layout = Layout(points: points)
            self.bits = bits
            let g = Dyadic(gamma, bits: bits, .down)
            g2 = Dyadic.product(g, g, bits: bits, .down)
            twoG2 = Dyadic(g2.mantissa, exponent: g2.exponent + 1)
            minusTwoG2 = twoG2.negated
            minusFourG2 = Dyadic(-g2.mantissa, exponent: g2.exponent + 2)
            let l = Dyadic(lambda, bits: bits, .down)
            minusTwoLambda = Dyadic(-l.mantissa, exponent: l.exponent + 1)
        }

        @inline(__always) func add(_ a: Dyadic, _ b: Dyadic) -> Dyadic { Dyadic.sum(a, b, bits: bits, .down) }
        @inline(__always) func mul(_ a: Dyadic, _ b: Dyadic) -> Dyadic { Dyadic.product(a, b, bits: bits, .down) }

        var initialState: [Dyadic] {
            var z = [Dyadic](repeating: .zero, count: layout.count)
            let p = layout.points
            for i in 0..<p { z[i * p + i] = .one }
            z[layout.rIndex] = .one
            for (d, direction) in layout.directions.enumerated() {
                for (i, value) in direction.start { z[layout.direction(d) + i] = Dyadic(value) }
            }
            z[layout.eIndex] = .one
            return z
        }

        /// (FG41) raw[..] += 2^shift R(a, b), the bilinear part of (FG3) before its constant factors:
        /// R_Q[mu,nu] = a_f[mu] b_f[nu] + b_f[mu] a_f[nu], R_f[mu] = a_r b_f[mu] + b_r a_f[mu] + sum_nu (a_Q[mu,nu] b_f[nu] +
        /// b_Q[mu,nu] a_f[nu]), R_r = sum_mu a_f[mu] b_f[mu]; 2 B(a, b) = (-2 gamma^2 R_Q, -R_f, -4 gamma^2 R_r).
        func accumulateRaw(_ a: [Dyadic], _ ia: Int, _ b: [Dyadic], _ ib: Int, shift: Int, into raw: inout [Dyadic]) {
            let p = layout.points, fo = layout.fOffset, ri = layout.rIndex
            @inline(__always) func put(_ i: Int, _ x: Dyadic) {
                raw[i] = add(raw[i], shift == 0 ? x : Dyadic(x.mantissa, exponent: x.exponent + shift))
            }
            for mu in 0..<p {
                let afm = a[ia + fo + mu], bfm = b[ib + fo + mu]
                for nu in mu..<p {
                    put(mu * p + nu, add(mul(afm, b[ib + fo + nu]), mul(bfm, a[ia + fo + nu])))
                }
                var s = add(mul(a[ia + ri], bfm), mul(b[ib + ri], afm))
                for nu in 0..<p {
                    s = add(s, add(mul(a[ia + mu * p + nu], b[ib + fo + nu]), mul(b[ib + mu * p + nu], a[ia + fo + nu])))
                }
                put(fo + mu, s)
                put(ri, mul(afm, bfm))
            }
        }

        /// out[o..] += L a + (2 B from raw): L a = (gamma^2 (y f^T + f y^T) - 2 lambda Q, r y + Q y - 2 lambda f,
        /// 2 gamma^2 f_1 - 2 lambda r) (FG3), y = e_1.
        func finish(_ a: [Dyadic], _ ia: Int, raw: [Dyadic], into out: inout [Dyadic], _ o: Int) {
            let p = layout.points, fo = layout.fOffset, ri = layout.rIndex
            for mu in 0..<p {
                for nu in mu..<p {
                    var v = add(mul(minusTwoLambda, a[ia + mu * p + nu]), mul(minusTwoG2, raw[mu * p + nu]))
                    if mu == 0 { v = add(v, mul(g2, a[ia + fo + nu])) }
                    if nu == 0 { v = add(v, mul(g2, a[ia + fo + mu])) }
                    out[o + mu * p + nu] = add(out[o + mu * p + nu], v)
                    if nu != mu { out[o + nu * p + mu] = out[o + mu * p + nu] }
                }
                var v = add(a[ia + mu * p], add(mul(minusTwoLambda, a[ia + fo + mu]), raw[fo + mu].negated))
                if mu == 0 { v = add(v, a[ia + ri]) }
                out[o + fo + mu] = add(out[o + fo + mu], v)
            }
            out[o + ri] = add(out[o + ri], add(add(mul(twoG2, a[ia + fo]), mul(minusTwoLambda, a[ia + ri])), mul(minusFourG2, raw[ri])))
        }

        /// (FG41) The coefficient z_{n+1} from z_0 ... z_n.
        func nextCoefficient(_ c: [[Dyadic]]) -> [Dyadic] {
            let n = c.count - 1, m = layout.m
            var out = [Dyadic](repeating: .zero, count: layout.count)
            var raw = [Dyadic](repeating: .zero, count: m)
            func clear() { for i in 0..<m { raw[i] = .zero } }
            // x' = L x + B(x, x): sum_j B(x_j, x_{n-j}) = raw sum over j < n - j plus half the middle term.
            clear()
            for j in 0...(n / 2) where j < n - j { accumulateRaw(c[j], 0, c[n - j], 0, shift: 0, into: &raw) }
            if n % 2 == 0 { accumulateRaw(c[n / 2], 0, c[n / 2], 0, shift: -1, into: &raw) }
            finish(c[n], 0, raw: raw, into: &out, 0)
            // u_d' = L u_d + 2 B(x, u_d).
            var sumRaw = [[Dyadic]](repeating: [Dyadic](repeating: .zero, count: m), count: 2)
            for d in layout.directions.indices {
                let o = layout.direction(d)
                clear()
                for j in 0...n { accumulateRaw(c[j], 0, c[n - j], o, shift: 0, into: &raw) }
                finish(c[n], o, raw: raw, into: &out, o)
                // The source 2 w_d B(u_d, u_d) of S (FG40): w_d sum_j 2B(u_j, u_{n-j}), symmetric halves.
                let w = layout.directions[d].weightShift, which = layout.directions[d].initial ? 1 : 0
                for j in 0...(n / 2) where j < n - j { accumulateRaw(c[j], o, c[n - j], o, shift: w + 1, into: &sumRaw[which]) }
                if n % 2 == 0 { accumulateRaw(c[n / 2], o, c[n / 2], o, shift: w, into: &sumRaw[which]) }
            }
            // S' = L S + 2 B(x, S) + source.
            for (which, o) in [(0, layout.sumKernel), (1, layout.sumInitial)] {
                var r = sumRaw[which]
                for j in 0...n { accumulateRaw(c[j], 0, c[n - j], o, shift: 0, into: &r) }
                finish(c[n], o, raw: r, into: &out, o)
            }
            // E' = -2 lambda E; J' = -2 lambda J + (u_{q_1})_{f_1}^2 (FG11).
            out[layout.eIndex] = mul(minusTwoLambda, c[n][layout.eIndex])
            let q = layout.direction(layout.labelDirection) + layout.fOffset
            var square = mul(minusTwoLambda, c[n][layout.jIndex])
            for j in 0...n { square = add(square, mul(c[j][q], c[n - j][q])) }
            out[layout.jIndex] = square
            let divisor = Dyadic(n + 1)
            return out.map { $0.isZero ? $0 : Dyadic.quotient($0, divisor, bits: bits, .down) }
        }

        /// States at the output times and the number of steps: Taylor order `order`, step rho/e^2 (FG42).
        func run(times: [BigRational], order: Int) throws -> (states: [[Dyadic]], steps: Int) {
            var z = initialState
            var states = [z]
            var steps = 0
            var previous = Dyadic.zero
            for i in 1..<times.count {
                // The interval's length between the rounded output times, exact in dyadics: no drift across intervals.
                let end = Dyadic(times[i], bits: bits, .down)
                var remaining = Dyadic.sum(end, previous.negated, bits: bits + 64, .down)
                previous = end
                while remaining.signum > 0 {
                    var c = [z]
                    for _ in 0..<order { c.append(nextCoefficient(c)) }
                    // rho_j = (max(1, |z_0|) / |z_j|)^{1/j} for j = K - 1, K; h = min(rho) / e^2 (FG42).
                    func log2Norm(_ v: [Dyadic]) -> Double { v.reduce(-Double.infinity) { $1.isZero ? $0 : max($0, $1.log2Magnitude) } }
                    let scale = max(0, log2Norm(c[0]))
                    var log2Rho = Double.infinity
                    for j in [order - 1, order] where j >= 1 {
                        let norm = log2Norm(c[j])
                        if norm.isFinite { log2Rho = min(log2Rho, (scale - norm) / Double(j)) }
                    }
                    let log2Step = log2Rho - 2 / log(2.0)
                    var h: Dyadic
                    if log2Step >= remaining.log2Magnitude {
                        h = remaining
                    } else if log2Step + 1 >= remaining.log2Magnitude {
                        h = Dyadic(remaining.mantissa, exponent: remaining.exponent - 1)
                    } else {
                        h = Dyadic(exactly: exp2(log2Step)).rounded(toBits: 24, .down)
                    }
                    // Horner: z(h) = sum_j c_j h^j.
                    var next = c[order]
                    for j in stride(from: order - 1, through: 0, by: -1) {
                        for e in next.indices { next[e] = add(mul(next[e], h), c[j][e]) }
                    }
                    z = next
                    remaining = Dyadic.sum(remaining, h.negated, bits: bits + 64, .down)
                    steps += 1
                    guard steps <= HighPrecisionGradientFlowFluctuations.maximumSteps else {
                        throw Failure.notConverged("the Taylor integrator needed more than \(HighPrecisionGradientFlowFluctuations.maximumSteps) steps (the flow is too fast at this gamma, lambda and time)")
                    }
                    guard z.allSatisfy({ $0.isZero || $0.log2Magnitude < 1e4 }) else {
                        throw Failure.notFinite
                    }
                }
                states.append(z)
            }
            return (states, steps)
        }
    }
}
