/// A real function of one variable known through interval enclosures of its value and derivative.
public struct IntervalFunction {
    public let value: (Interval) -> Interval
    public let derivative: (Interval) -> Interval

    public init(value: @escaping (Interval) -> Interval, derivative: @escaping (Interval) -> Interval) {
        self.value = value
        self.derivative = derivative
    }
}

/// [lower, upper] with certified signs of f at both ends: f(lower) has `signAtLower` (±1) and
/// f(upper) the opposite sign. When f is known to be monotone on it (or to have one sign change),
/// it encloses exactly one root; lower == upper means the root is that exact dyadic.
public struct SignBracket: Sendable {
    public let lower: Dyadic
    public let upper: Dyadic
    public let signAtLower: Int

    public init(lower: Dyadic, upper: Dyadic, signAtLower: Int) {
        precondition(lower <= upper && (signAtLower == 1 || signAtLower == -1))
        self.lower = lower
        self.upper = upper
        self.signAtLower = signAtLower
    }

    /// The bracket as an interval operated on at `precision` bits.
    public func interval(precision: Int) -> Interval { Interval(lower: lower, upper: upper, precision: precision) }
}

public enum RootFindingError: Error, CustomStringConvertible, Equatable {
    case notConverged(String)
    case undecidable(String)

    public var description: String {
        switch self {
        case .notConverged(let what): return "root refinement did not converge: \(what)"
        case .undecidable(let what): return "sign could not be certified: \(what)"
        }
    }
}

/// Refines a sign bracket to a requested relative width by safeguarded Newton iteration with
/// precision doubling; every bracket update rests on a certified (interval) sign, so the returned
/// bracket is rigorous whatever the Newton iterates do (notes/numerics-intervals.md, "Root refinement").
public struct CertifiedRootFinder: Sendable {
    /// Bits carried beyond the target to absorb rounding in the function evaluation.
    public var guardBits: Int
    /// Working precision beyond which a sign is declared undecidable.
    public var maximumPrecision: Int

    public init(guardBits: Int = 48, maximumPrecision: Int = 1 << 17) {
        self.guardBits = guardBits
        self.maximumPrecision = maximumPrecision
    }

    /// The certified sign of f(x), raising the precision from `precision` as needed; nil if still
    /// undecided at 4× the precision (or at `maximumPrecision`).
    public func sign(of f: (Interval) -> Interval, at x: Dyadic, precision: Int) -> Int? {
        var bits = precision
        while bits <= min(4 * precision, maximumPrecision) {
            if let s = f(Interval(x, precision: bits)).definiteSign { return s }
            bits += max(64, bits / 2)
        }
        return nil
    }

    /// A certified bracket around an approximate root `hint` inside (`within.lower`, `within.upper`),
    /// trying relative radii from tight to wide; nil when none brackets a sign change.
    public func bracket(around hint: Dyadic, of f: (Interval) -> Interval, signBelow: Int,
                        within: (lower: Dyadic, upper: Dyadic), precision: Int) -> SignBracket? {
        guard hint.signum > 0 else { return nil }
        for radiusBits in [40, 24, 12, 5, 2] {
            let radius = Dyadic(hint.mantissa, exponent: hint.exponent - radiusBits)
            let low = max(Dyadic.exactSum(hint, radius.negated), within.lower)
            let high = min(Dyadic.exactSum(hint, radius), within.upper)
            guard low < high else { continue }
            if sign(of: f, at: low, precision: precision) == signBelow,
               sign(of: f, at: high, precision: precision) == -signBelow {
                return SignBracket(lower: low, upper: high, signAtLower: signBelow)
            }
        }
        return nil
    }

    /// Shrinks `bracket` (one sign change of f inside) until (upper − lower) <= 2^-targetBits · lower.
    public func refine(_ f: IntervalFunction, bracket: SignBracket, start: Dyadic?, targetBits: Int) throws -> SignBracket {
        var low = bracket.lower, high = bracket.upper
        let signLow = bracket.signAtLower
        var finalPrecision = targetBits + guardBits
        var precision = min(128, finalPrecision)
        var x = start.flatMap { low < $0 && $0 < high ? $0 : nil } ?? CertifiedRootFinder.split(low, high)
        var slope: Interval? = nil
        var slopePoint: Dyadic? = nil
        // Safeguard (notes/numerics-intervals.md (N6)): Newton from far away on a steep power (x^(2L)
        // with L = 10^5) converges only linearly, with steps shrinking by 1 − 1/L. A Newton step that
        // is not at most half the previous one twice in a row is followed by one split of the
        // bracket, so the bracket at least halves (in width, or in log-range when geometric) every
        // three iterations and the iteration count is bounded by `iterationLimit`.
        var previousStepTop: Int? = nil
        var stalledSteps = 0
        var forceSplit = false
        for _ in 0..<CertifiedRootFinder.iterationLimit(low, high, targetBits: targetBits) {
            if CertifiedRootFinder.relativeWidthBits(low, high) >= targetBits {
                return SignBracket(lower: low, upper: high, signAtLower: signLow)
            }
            let point = Interval(x, precision: precision)
            let value = f.value(point)
            switch value.definiteSign {
            case .some(0): return SignBracket(lower: x, upper: x, signAtLower: signLow)
            case .some(let s) where s == signLow: low = x
            case .some: high = x
            case .none:
                // Undecided at the full working precision: E is below the rounding noise there (near
                // a double root, |E| ~ E'' d (u − u*) with d the roots' distance), so the guard
                // bits did not cover the condition; raise the precision (notes/numerics-intervals.md (N3)).
                if precision == finalPrecision {
                    finalPrecision += max(64, finalPrecision / 4)
                    guard finalPrecision <= maximumPrecision else {
                        throw RootFindingError.undecidable("sign of f near \(x.doubleApproximation) undecided at \(maximumPrecision) bits")
                    }
                }
            }
            // The slope only needs the accuracy of the current step: it is evaluated at <= 192 bits
            // and reused once the working precision is above that, as long as x stays within
            // 2^-64 (relative) of the point it was evaluated at. A slope from a distant point would
            // make the iteration linear (found with a start far from the root).
            let slopeIsStale = slopePoint.map { point in
                let moved = Dyadic.exactSum(x, point.negated)
                return !moved.isZero && (x.isZero || x.topBit - moved.topBit < 64)
            } ?? true
            if slope == nil || precision <= 192 || slopeIsStale {
                slope = f.derivative(precision > 192 ? Interval(x, precision: 192) : point)
                slopePoint = x
            }
            var next: Dyadic? = nil
            if !forceSplit, let slope, let s = slope.definiteSign, s != 0 {
                let step = Dyadic.quotient(value.midpoint, slope.midpoint, bits: precision, .down)
                let candidate = Dyadic.sum(x, step.negated, bits: precision + 8, .down)
                if low < candidate && candidate < high {
                    next = candidate
                    if !step.isZero {
                        if let previous = previousStepTop, step.topBit >= previous { stalledSteps += 1 } else { stalledSteps = 0 }
                        previousStepTop = step.topBit
                    }
                    // Newton's error after this step is about step^2 (relative), kept with 16 bits of
                    // margin; the slope's own error (2^-150 or better) adds step * 2^-150.
                    let stepBits = step.isZero ? Int.max / 4 : x.topBit - step.topBit
                    let predictedBits = min(2 * stepBits - 16, stepBits + 150)
                    if predictedBits >= targetBits + 6 && precision == finalPrecision {
                        // Probe just either side of the new iterate; certified signs give the bracket.
                        let radius = Dyadic.powerOfTwo(candidate.topBit - targetBits - 4)
                        let probeLow = Dyadic.exactSum(candidate, radius.negated)
                        let probeHigh = Dyadic.exactSum(candidate, radius)
                        let signProbeLow = sign(of: f.value, at: probeLow, precision: finalPrecision)
                        let signProbeHigh = sign(of: f.value, at: probeHigh, precision: finalPrecision)
                        if signProbeLow == signLow && probeLow > low { low = probeLow }
                        if signProbeLow == -signLow && probeLow < high { high = probeLow }
                        if signProbeHigh == -signLow && probeHigh < high { high = probeHigh }
                        if signProbeHigh == signLow && probeHigh > low { low = probeHigh }
                        if signProbeLow == nil || signProbeHigh == nil {
                            finalPrecision += 64
                            guard finalPrecision <= maximumPrecision else {
                                throw RootFindingError.undecidable("function too flat near \(x.doubleApproximation) at \(maximumPrecision) bits")
                            }
                        }
                    }
                }
            }
            forceSplit = false
            if stalledSteps >= 2 {
                forceSplit = true
                stalledSteps = 0
                previousStepTop = nil
            }
            if next == nil {
                slope = nil
                previousStepTop = nil
            }
            x = next ?? CertifiedRootFinder.split(low, high)
            precision = min(finalPrecision, 2 * precision)
        }
        throw RootFindingError.notConverged("bracket [\(low.doubleApproximation), \(high.doubleApproximation)] after the iteration limit")
    }

    /// The iteration budget of `refine` (notes/numerics-intervals.md (N6)): a split at least every
    /// third iteration halves the width or the log-range, so log2 of the range's exponent span, the
    /// span itself (geometric splits down to a ratio of 8) and the target bits (bisection after that)
    /// bound the count, times three, plus 400 for the Newton phase.
    public static func iterationLimit(_ low: Dyadic, _ high: Dyadic, targetBits: Int) -> Int {
        guard high.signum > 0 else { return 400 + 3 * targetBits }
        let lowTop = low.signum > 0 ? low.topBit : high.topBit - 4 * 1100
        let span = max(0, high.topBit - lowTop)
        return 400 + 3 * (targetBits + span + 64)
    }

    /// How many leading bits two positive endpoints share, as −log2((high − low)/low); 0 when low <= 0.
    public static func relativeWidthBits(_ low: Dyadic, _ high: Dyadic) -> Int {
        if low == high { return Int.max }
        guard low.signum > 0 else { return 0 }
        let width = Dyadic.exactSum(high, low.negated)
        return low.topBit - width.topBit - 1
    }

    /// A point strictly inside (low, high): the geometric mean when the bracket spans a large ratio
    /// of positive numbers, else the midpoint.
    static func split(_ low: Dyadic, _ high: Dyadic) -> Dyadic {
        if low.signum > 0 && high.topBit - low.topBit > 2 {
            let middle = Dyadic.powerOfTwo(Int(((low.log2Magnitude + high.log2Magnitude) / 2).rounded()))
            if low < middle && middle < high { return middle }
        }
        if low.isZero && high.signum > 0 {
            return Dyadic(high.mantissa, exponent: high.exponent - 4)
        }
        let sum = Dyadic.exactSum(low, high)
        return Dyadic(sum.mantissa, exponent: sum.exponent - 1)
    }
}
