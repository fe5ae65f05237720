import Foundation
import Core
import Numerics

/// Interval enclosures of E(u) (eq. W4), E'(u) (eq. W9) and s^L = (1 + u)^L for u >= 0, computed in
/// `DirectedFloatWorkspace`s (notes/numerics-intervals.md, eq. K1) instead of allocating dyadic
/// intervals: the hot path of the whitened solver. Each function splits into increasing terms of
/// nonnegative quantities, E = A − B with A = u (b + s^L)^2 and B = g s^L, and
/// E' = P − N with P = (b + s^L)^2 + 2 L u s^(L−1) (b + s^L) and N = g L s^(L−1), so
/// [A(lo) − B(hi), A(hi) − B(lo)] encloses E over u in [lo, hi] (notes/whitened-overlaps.md, "Fast
/// evaluation"); the generic `Interval` forms in `WhitenedEquations` compute the same extensions.
///
/// Holds mutable workspaces (one per mantissa size): one evaluator per solve, never shared.
final class WhitenedKernelEvaluator {
    private(set) var depth: Int
    let gammaSquared: BigRational
    let ridge: BigRational
    /// Workspaces by limb count (index limbs − 1), made on first use.
    private var workspaces: [DirectedFloatWorkspace?] = []
    /// s^L at the ends of the last certified bracket: lower bound at its left end, upper bound at
    /// its right end (both from the certifying sign evaluations), reused by `overlap`.
    private var certifiedOverlap: CertifiedOverlap?
    /// A struct, not a tuple: a tuple type's metadata is built at run time on first use.
    private struct CertifiedOverlap {
        let lower: Dyadic, upper: Dyadic, overlapLower: Dyadic, overlapUpper: Dyadic
    }
    /// Enclosures of g and b at `cachedPrecision` bits; workspaces up to that size round them.
    private let cachedG: Interval
    private let cachedB: Interval
    private let cachedPrecision: Int

    // Registers. Constants, loaded once per workspace:
    private let gLow = 0, gHigh = 1, bLow = 2, bHigh = 3, one = 4, depthConstant = 5, twiceDepth = 6
    // Working registers:
    private let uLow = 7, uHigh = 8, sLow = 9, sHigh = 10, powerLow = 11, powerHigh = 12
    private let t = 13, square = 14, y = 15, positiveLow = 16, positiveHigh = 17, negativeLow = 18, negativeHigh = 19
    private let value = 20, slope = 21, step = 22
    // Action registers:
    private let two = 23, ratio = 24, ratioSquared = 25, denominator = 26, evenPart = 27
    private let ratioPower = 28, term = 29, oddSum = 30, entropic = 31, energetic = 32, overlapBound = 33
    private let actionLow = 34, actionHigh = 35
    // Reduced action (eq. W8''): v_i, the reduction sum, a block sum and the powers y^1 ... y^m.
    private let reduced = 36, reductionSum = 37, blockSum = 38, tailBound = 39, evenTerm = 40, root = 41
    private let powerRegisters = 42
    private static let maximumBlock = 24
    private let registerCount = 42 + WhitenedKernelEvaluator.maximumBlock

    /// The registers of one rounding side: every quantity of that side rounded the same way.
    private struct Side {
        let direction: RoundingDirection
        let s: Int, power: Int, argument: Int, positive: Int, negative: Int, g: Int, b: Int
    }
    private var lowSide: Side { Side(direction: .down, s: sLow, power: powerLow, argument: uLow, positive: positiveLow, negative: negativeLow, g: gLow, b: bLow) }
    private var highSide: Side { Side(direction: .up, s: sHigh, power: powerHigh, argument: uHigh, positive: positiveHigh, negative: negativeHigh, g: gHigh, b: bHigh) }

    init(depth: Int, gammaSquared: BigRational, ridge: BigRational, cachedG: Interval, cachedB: Interval, cachedPrecision: Int) {
        self.depth = depth
        self.gammaSquared = gammaSquared
        self.ridge = ridge
        self.cachedG = cachedG
        self.cachedB = cachedB
        self.cachedPrecision = cachedPrecision
    }

    /// Switches to another depth (same g and b): reloads the depth constants of every workspace.
    func prepare(depth: Int) {
        self.depth = depth
        certifiedOverlap = nil
        for case let w? in workspaces {
            w.set(depthConstant, depth)
            w.set(twiceDepth, 2 * depth)
        }
    }

    private func workspace(bits: Int) -> DirectedFloatWorkspace {
        let limbs = max(1, (bits + 63) / 64)
        if limbs <= workspaces.count, let existing = workspaces[limbs - 1] { return existing }
        let w = DirectedFloatWorkspace(limbs: limbs, registers: registerCount)
        let p = w.precision
        let g = p <= cachedPrecision ? cachedG : Interval(gammaSquared, precision: p)
        let b = p <= cachedPrecision ? cachedB : Interval(ridge, precision: p)
        w.set(gLow, g.lower, .down)
        w.set(gHigh, g.upper, .up)
        w.set(bLow, b.lower, .down)
        w.set(bHigh, b.upper, .up)
        w.set(one, 1)
        w.set(depthConstant, depth)
        w.set(twiceDepth, 2 * depth)
        w.set(two, 2)
        if workspaces.count < limbs { workspaces += Array(repeating: nil, count: limbs - workspaces.count) }
        workspaces[limbs - 1] = w
        return w
    }

    /// Loads u's endpoints and s = 1 + u rounded outward.
    private func loadArgument(_ u: Interval, _ w: DirectedFloatWorkspace) {
        w.set(uLow, u.lower, .down)
        w.set(uHigh, u.upper, .up)
        w.add(sLow, uLow, one, .down)
        w.add(sHigh, uHigh, one, .up)
    }

    /// Loads the point u = x (both ends) and s = 1 + u rounded outward, as `loadArgument` does for
    /// [x, x]: x is rounded once and copied when it fits in the registers (then both roundings are x).
    private func loadPoint(_ x: Dyadic, _ w: DirectedFloatWorkspace) {
        w.set(uLow, x, .down)
        if x.mantissa.bitWidth <= w.precision { w.copy(uHigh, uLow) } else { w.set(uHigh, x, .up) }
        w.add(sLow, uLow, one, .down)
        w.add(sHigh, uHigh, one, .up)
    }

    /// [lower − upper', upper − lower'] for the difference of two enclosed positive quantities.
    private func difference(_ w: DirectedFloatWorkspace, positive: (Int, Int), negative: (Int, Int), precision: Int) -> Interval {
        let lower = Dyadic.sum(w.dyadic(positive.0), w.dyadic(negative.1).negated, bits: precision, .down)
        let upper = Dyadic.sum(w.dyadic(positive.1), w.dyadic(negative.0).negated, bits: precision, .up)
        return Interval(lower: lower, upper: upper, precision: precision)
    }

    /// Both sides of E = A − B: A and B rounded down into the low side's registers, up into the
    /// high side's, for the argument loaded by `loadArgument`.
    private func evaluateRootFunctionSides(_ w: DirectedFloatWorkspace) {
        evaluatePowers(w)
        for side in [lowSide, highSide] {
            evaluatePositivePart(side, w)
            evaluateNegativePart(side, w)
        }
    }

    /// s^L rounded down into `powerLow` and up into `powerHigh`, for the argument loaded by `loadArgument`.
    private func evaluatePowers(_ w: DirectedFloatWorkspace) {
        if w.compare(sLow, sHigh) == 0 {
            // s = 1 + u is exact (a point u with few bits): one power rounded down, its upper
            // bound from eq. K2.
            let errorExponent = w.power(powerLow, sLow, depth, .down)
            w.upperBound(powerHigh, fromLowerBound: powerLow, errorExponent: errorExponent, using: t)
        } else {
            w.power(powerLow, sLow, depth, .down)
            w.power(powerHigh, sHigh, depth, .up)
        }
    }

    /// A = u (b + s^L)^2 rounded in the side's direction into its `positive` register.
    private func evaluatePositivePart(_ side: Side, _ w: DirectedFloatWorkspace) {
        w.add(t, side.b, side.power, side.direction)
        w.multiply(t, t, t, side.direction)
        w.multiply(side.positive, side.argument, t, side.direction)
    }

    /// B = g s^L rounded in the side's direction into its `negative` register.
    private func evaluateNegativePart(_ side: Side, _ w: DirectedFloatWorkspace) {
        w.multiply(side.negative, side.g, side.power, side.direction)
    }

    /// E(u) = u (b + s^L)^2 − g s^L (eq. W4), u.lower >= 0.
    func rootFunction(_ u: Interval) -> Interval {
        precondition(u.lower.signum >= 0)
        let w = workspace(bits: u.precision)
        loadArgument(u, w)
        evaluateRootFunctionSides(w)
        return difference(w, positive: (positiveLow, positiveHigh), negative: (negativeLow, negativeHigh), precision: u.precision)
    }

    /// The certified sign of E at a point x >= 0 with `bits`-bit kernels: +1 when A's lower bound
    /// exceeds B's upper bound, −1 when A's upper bound lies below B's lower bound, nil when the
    /// enclosures overlap. The two cases exclude each other, so the bounds that can certify
    /// `expected` (when given) are computed first and the other two only when they do not: the
    /// same answer, about half the products when the sign is the expected one. Both ends of s^L
    /// (`powerLow`, `powerHigh`) are left in the workspace either way.
    func certifiedSign(at x: Dyadic, bits: Int, expected: Int? = nil) -> Int? {
        let w = workspace(bits: bits)
        loadPoint(x, w)
        evaluatePowers(w)
        // +1 rests on A rounded down and B rounded up, −1 on A rounded up and B rounded down.
        func positive() -> Bool {
            evaluatePositivePart(lowSide, w)
            evaluateNegativePart(highSide, w)
            return w.compare(positiveLow, negativeHigh) > 0
        }
        func negative() -> Bool {
            evaluatePositivePart(highSide, w)
            evaluateNegativePart(lowSide, w)
            return w.compare(positiveHigh, negativeLow) < 0
        }
        if expected == -1 {
            if negative() { return -1 }
            return positive() ? 1 : nil
        }
        if positive() { return 1 }
        return negative() ? -1 : nil
    }

    /// E'(u) = (b + s^L)^2 + 2 L u s^(L−1) (b + s^L) − g L s^(L−1) (eq. W9), u.lower >= 0.
    func rootFunctionDerivative(_ u: Interval) -> Interval {
        precondition(u.lower.signum >= 0)
        let w = workspace(bits: u.precision)
        loadArgument(u, w)
        for side in [lowSide, highSide] {
            let direction = side.direction
            w.power(side.power, side.s, depth - 1, direction)           // s^(L−1)
            w.multiply(t, side.power, side.s, direction)                // s^L
            w.add(t, side.b, t, direction)                              // b + s^L
            w.multiply(square, t, t, direction)                              // (b + s^L)^2
            w.multiply(y, side.argument, side.power, direction)         // u s^(L−1)
            w.multiply(y, y, t, direction)
            w.multiply(y, y, twiceDepth, direction)                     // 2 L u s^(L−1) (b + s^L)
            w.add(side.positive, square, y, direction)
            w.multiply(side.negative, side.g, side.power, direction)
            w.multiply(side.negative, side.negative, depthConstant, direction) // g L s^(L−1)
        }
        return difference(w, positive: (positiveLow, positiveHigh), negative: (negativeLow, negativeHigh), precision: u.precision)
    }

    /// (1 + u)^L (eq. W3 with l = L), u.lower >= 0.
    func overlap(_ u: Interval) -> Interval {
        precondition(u.lower.signum >= 0)
        if let cached = certifiedOverlap, cached.lower == u.lower, cached.upper == u.upper {
            // The certification already bounded s^L at both ends of this bracket.
            return Interval(lower: cached.overlapLower.rounded(toBits: u.precision, .down),
                            upper: cached.overlapUpper.rounded(toBits: u.precision, .up), precision: u.precision)
        }
        let w = workspace(bits: u.precision)
        loadArgument(u, w)
        w.power(powerLow, sLow, depth, .down)
        w.power(powerHigh, sHigh, depth, .up)
        return Interval(lower: w.dyadic(powerLow).rounded(toBits: u.precision, .down),
                        upper: w.dyadic(powerHigh).rounded(toBits: u.precision, .up), precision: u.precision)
    }

    // MARK: fast refinement (notes/whitened-overlaps.md, "Fast refinement")

    /// One Newton step x − E(x)/E'(x) with every quantity rounded down at `bits` bits (an
    /// approximation; nothing certified rests on it). Also returns the step's size in bits below
    /// x and log2 of the condition A / (x |E'|), the bits of x the rounding of A and B can spoil.
    /// nil when E' vanishes, has a sign other than `slopeSign`, or the step leaves u > 0.
    private func newtonStep(at x: Dyadic, bits: Int, slopeSign: Int) -> (next: Dyadic, stepBits: Int, conditionBits: Int)? {
        let w = workspace(bits: bits)
        w.set(uLow, x, .down)
        w.add(sLow, uLow, one, .down)
        w.power(powerLow, sLow, depth - 1, .down)            // s^(L−1)
        w.multiply(t, powerLow, sLow, .down)                 // s^L
        w.multiply(negativeLow, gLow, t, .down)              // B = g s^L
        w.add(t, bLow, t, .down)                             // b + s^L
        w.multiply(square, t, t, .down)                           // (b + s^L)^2
        w.multiply(positiveLow, uLow, square, .down)              // A = u (b + s^L)^2
        let valueSign = w.subtract(value, positiveLow, negativeLow, .down)            // |E|, eq. W4
        w.multiply(y, uLow, powerLow, .down)
        w.multiply(y, y, t, .down)
        w.multiply(y, y, twiceDepth, .down)
        w.add(y, square, y, .down)                                // P
        w.multiply(negativeHigh, gLow, powerLow, .down)
        w.multiply(negativeHigh, negativeHigh, depthConstant, .down)                  // N
        let slopeSignFound = w.subtract(slope, y, negativeHigh, .down)               // |E'|, eq. W9
        guard slopeSignFound == slopeSign else { return nil }
        let conditionBits = w.topBit(positiveLow) - w.topBit(uLow) - w.topBit(slope) + 2
        if valueSign == 0 { return (x, Int.max / 4, conditionBits) }
        w.divide(step, value, slope, .down)
        let stepBits = w.topBit(uLow) - w.topBit(step)
        if valueSign == slopeSign {
            guard w.subtract(t, uLow, step, .down) > 0 else { return nil }
        } else {
            w.add(t, uLow, step, .down)
        }
        return (w.dyadic(t), stepBits, conditionBits)
    }

    /// The root of E in `bracket` (exactly one, E' of sign −signAtLower there) refined to relative
    /// width 2^-targetBits: Newton's iteration from `start` with the precision matched to the bits
    /// already correct, then certified signs of E at x ± 2^(top(x) − targetBits − 4). The bracket
    /// returned rests only on those two certified signs; nil when an iterate leaves the bracket or
    /// the signs are not certified (the caller then uses the generic `CertifiedRootFinder`).
    func refine(_ bracket: SignBracket, start: Dyadic?, targetBits: Int, guardBits: Int) -> SignBracket? {
        let low = bracket.lower, high = bracket.upper
        guard let start, start.signum > 0, low < start, start < high else { return nil }
        let finalPrecision = targetBits + guardBits
        let slopeSign = -bracket.signAtLower
        // Bits of A and B lost to rounding: the power's error exponent is at most about 2L (eq. K2).
        let operationBits = (Int.bitWidth - depth.leadingZeroBitCount) + 4
        var x = start
        var correctBits = 44                                 // assumed for the Double hint (~48 bits)
        var conditionBits = 0
        var certificationTries = 0
        for _ in 0..<60 {
            // Enough bits that rounding noise stays below the accuracy this step can reach.
            let precision = min(finalPrecision, max(128, 2 * correctBits + operationBits + conditionBits + 16))
            guard let newton = newtonStep(at: x, bits: precision, slopeSign: slopeSign),
                  low < newton.next, newton.next < high else { return nil }
            x = newton.next
            conditionBits = max(0, newton.conditionBits)
            let noiseFloor = 64 * ((precision + 63) / 64) - conditionBits - operationBits - 4
            correctBits = max(1, min(2 * newton.stepBits - 8, noiseFloor))
            // Certification is about as cheap as a step: try it once the estimate is close.
            guard correctBits >= targetBits - 24 || (precision == finalPrecision && noiseFloor < targetBits + 6) else { continue }
            if let certified = certify(x, bracket: bracket, targetBits: targetBits, precision: finalPrecision) {
                return certified
            }
            certificationTries += 1
            if certificationTries >= 3 { return nil }
        }
        return nil
    }

    /// [x − r, x + r] (x cut to targetBits + 8 bits) with r = 2^(top(x) − targetBits − 4) when E has certified signs at both ends
    /// (signAtLower at the left) inside the isolating bracket; tries two higher precisions.
    private func certify(_ x: Dyadic, bracket: SignBracket, targetBits: Int, precision: Int) -> SignBracket? {
        // x cut to targetBits + 8 bits keeps 1 + probe short enough to be exact in the kernel.
        let center = x.rounded(toBits: targetBits + 8, .down)
        let radius = Dyadic.powerOfTwo(center.topBit - targetBits - 4)
        let probeLow = Dyadic.exactSum(center, radius.negated), probeHigh = Dyadic.exactSum(center, radius)
        guard bracket.lower <= probeLow, probeHigh <= bracket.upper, probeLow.signum > 0 else { return nil }
        for bits in [precision, precision + 64, precision + 192] {
            guard let lowSign = certifiedSign(at: probeLow, bits: bits, expected: bracket.signAtLower) else { continue }
            guard lowSign == bracket.signAtLower else { return nil }
            let overlapLower = workspace(bits: bits).dyadic(powerLow)
            guard let highSign = certifiedSign(at: probeHigh, bits: bits, expected: -bracket.signAtLower) else { continue }
            guard highSign == -bracket.signAtLower else { return nil }
            // Width 2r = 2^(top(center) − targetBits − 3): relative bits as `relativeWidthBits` counts them.
            guard probeLow.topBit - (center.topBit - targetBits - 2) - 1 >= targetBits else { return nil }
            certifiedOverlap = CertifiedOverlap(lower: probeLow, upper: probeHigh, overlapLower: overlapLower,
                                                overlapUpper: workspace(bits: bits).dyadic(powerHigh))
            return SignBracket(lower: probeLow, upper: probeHigh, signAtLower: bracket.signAtLower)
        }
        return nil
    }

    // MARK: action (notes/whitened-overlaps.md eq. W8', notes/numerics-intervals.md eq. K2)

    /// S(u) = (L/2) F(u) + g / (2 (c + b)) (eq. W8) for u in the interval `u` and c = s^L enclosed by
    /// `overlap`. The entropic part F(u) = u − ln(1 + u) is summed once, rounded down, as the
    /// positive series F/2 = u^2/(4 (1 + u)) + z Σ_{j>=1} (2j/(2j+1)) z^(2j), z = u/(2 + u) (eq. W8'),
    /// at the lower end of u: a lower bound. Its upper bound follows from the a-priori bound K2 on
    /// a chain of rounded-down positive operations with error exponent e (result >= exact
    /// (1 − ε)^e, ε = 2^(1 − 64 n)): exact <= result (1 + 2 e ε), plus the series tail after term
    /// J (<= (16/15) z^(2J+3) <= 2 z_d^(2J+2) for z < 1/4) and F(u_hi) − F(u_lo) <= (u_hi − u_lo) u_hi.
    /// `relativeBits` (default: u's precision) sets the kernel's precision (relativeBits + 8) and
    /// where the series stops; the bounds stay rigorous whatever it is, it only sets how tight the
    /// enclosure is. nil when z may reach 1/4 (u >= 2/3): the caller then uses `WhitenedEquations.action`.
    /// `reduction: false` (tests) always sums (W8') directly.
    func action(_ u: Interval, overlap c: Interval, relativeBits requested: Int? = nil, reduction: Bool = true) -> Interval? {
        precondition(u.lower.signum > 0)
        let w = workspace(bits: min(u.precision, (requested ?? u.precision) + 8))
        // The series stops once its tail is 2^-relativeBits of its sum.
        let relativeBits = min(requested ?? w.precision, w.precision) + 4
        let plan = ActionPlan(u: u.lower.doubleApproximation, relativeBits: relativeBits)
        // Up to 512 bits (about 150 digits) the plain series as before: those outputs are unchanged.
        if reduction && relativeBits > ActionPlan.minimumBits && (plan.reductions > 0 || plan.terms > ActionPlan.seriesTerms) {
            // One more limb: the reduction's subtractions cost up to k + log2(8/u) bits (eq. W8'').
            return reducedAction(u, overlap: c, plan: plan, workspace(bits: w.precision + 64))
        }
        w.set(uLow, u.lower, .down)
        w.set(uHigh, u.upper, .up)
        // Error exponents e of each rounded-down quantity (eq. K2): a product or quotient adds its
        // operands' exponents plus 1, a sum takes the larger plus 1; exact inputs have 0.
        w.add(denominator, uLow, two, .up)
        w.divide(ratio, uLow, denominator, .down)                 // z = u/(2+u), e = 2
        guard w.topBit(ratio) <= -2 else { return nil }            // z_d < 1/4, so z < 1/4 (1 + 4 ε)
        w.multiply(ratioSquared, ratio, ratio, .down)              // z^2, e = 5
        w.multiply(square, uLow, uLow, .down)                      // u^2, e = 1
        w.add(t, uLow, one, .up)
        w.scale(t, t, byPowerOfTwo: 2)                             // 4 (1 + u) rounded up, e = 1
        w.divide(evenPart, square, t, .down)                       // u^2/(4 (1 + u)), e = 3
        w.copy(ratioPower, ratioSquared)
        var powerError = 5, sumError = 0
        w.setZero(oddSum)
        var j = 1
        while true {
            w.multiply(term, ratioPower, integer: 2 * j, .down)
            w.divide(term, term, integer: 2 * j + 1, .down)        // (2j/(2j+1)) z^(2j), e = powerError + 2
            sumError = max(sumError, powerError + 2) + 1
            w.add(oddSum, oddSum, term, .down)
            w.multiply(ratioPower, ratioPower, ratioSquared, .down) // z^(2j+2)
            powerError += 5 + 1
            if w.isZero(ratioPower) || w.topBit(ratioPower) < w.topBit(oddSum) - relativeBits { break }
            j += 1
        }
        w.multiply(oddSum, oddSum, ratio, .down)                   // z Σ, e = sumError + 3
        w.add(entropic, evenPart, oddSum, .down)                   // F/2
        let halfError = max(3, sumError + 3) + 1
        w.multiply(entropic, entropic, depthConstant, .down)       // (L/2) F(u_lo), e = halfError + 1
        let entropicError = halfError + 1
        // Upper bound: (L/2) F_d (1 + 2 e ε) + L · 2 z_d^(2J+2) + (L/2)(u_hi − u_lo) u_hi, rounded up.
        return finishAction(u, overlap: c, entropicError: entropicError, tail: ratioPower, tailMultiplier: 2 * depth, w)
    }

    // MARK: action by argument reduction (notes/whitened-overlaps.md eq. W8'')

    /// How the entropic part is summed: `reductions` square-root steps v -> v/(1 + sqrt(1 + v)),
    /// then the series (W8') at v_k with `terms` = blocks · block terms, by rectangular splitting.
    /// A cost model in units of one full-precision product; it never affects rigour, only time.
    struct ActionPlan {
        /// Up to this many terms the plain series (W8') is summed as before (no reduction).
        static let seriesTerms = 64
        /// Below this many bits the plain series (or the generic logarithm for z >= 1/4) is kept.
        static let minimumBits = 512
        var reductions = 0
        var terms = 0
        var block = 1
        var blocks = 0

        init(u: Double, relativeBits: Int) {
            var v = u
            var best = Double.infinity
            for k in 0...40 {
                let z = v / (2 + v)
                if z < 0.25, z > 0 {
                    let bitsPerTerm: Double = -2 * log2(z)
                    let termCount: Int = max(1, Int((Double(relativeBits) + 2) / bitsPerTerm) + 1)
                    if k == 0 && termCount <= ActionPlan.seriesTerms { terms = termCount; return }
                    let root: Int = Int(Double(termCount).squareRoot().rounded())
                    let m: Int = max(1, min(WhitenedKernelEvaluator.maximumBlock, root))
                    let q: Int = (termCount + m - 1) / m
                    // A reduction step: a square root and a square (about 2.5 products, counted
                    // by callgrind at 1000 digits); a series term: half an integer quotient, an
                    // integer product and a sum (about 0.3).
                    let reductionCost: Double = 2.5 * Double(k)
                    let cost: Double = reductionCost + Double(m + q) + 0.3 * Double(q * m)
                    if cost < best { best = cost; reductions = k; terms = q * m; block = m; blocks = q }
                }
                v = v / (1 + (1 + v).squareRoot())
            }
        }
    }

    /// S(u) as in `action`, with F(u) = u − ln(1 + u) by argument reduction (eq. W8''):
    /// s_0 = 1 + u, s_(i+1) = sqrt(s_i), v_i = s_i − 1, and
    /// F(u)/2 = Σ_(i=1..k) 2^(i−2) v_i^2 + 2^k F(v_k)/2, the last by the series (W8') at v_k summed
    /// in blocks (rectangular splitting). Every operation rounded down at the lower end of u gives
    /// a lower bound (eq. K1; divisors rounded up); the upper bound is the a-priori bound K2 with
    /// the error exponents tracked below, plus the series tail and the width term as in `action`.
    /// `w` has one limb more than the action's precision (the subtractions s_i − 1 cost bits).
    private func reducedAction(_ u: Interval, overlap c: Interval, plan: ActionPlan, _ w: DirectedFloatWorkspace) -> Interval? {
        w.set(uLow, u.lower, .down)
        w.set(uHigh, u.upper, .up)
        // Reductions: v_i lower bounds with error exponents vError (v_i >= exact (1 − ε)^vError).
        w.copy(reduced, uLow)
        var vError = 0
        w.setZero(reductionSum)
        var reductionError = 0
        if plan.reductions > 0 {
            w.add(root, uLow, one, .down)                                // s_0 = 1 + u, rounded down
            for i in 1...plan.reductions {
                w.squareRoot(root, root, .down)                          // s_i >= exact (1 − ε)^2 (eq. K3)
                guard w.subtract(reduced, root, one, .down) > 0 else { return nil }   // v_i = s_i − 1, exact
                // v_i − v_i' <= 2 ε s_i: exponent 4 (1 + 1/v_i') <= 4 + 2^(3 − top(v_i')).
                let shift = max(0, 3 - w.topBit(reduced))
                guard shift < 48 else { return nil }                    // beyond the extra limb
                vError = 4 + (1 << shift)
                w.multiply(square, reduced, reduced, .down)             // v_i^2, 2e + 1
                w.scale(square, square, byPowerOfTwo: i - 2)
                w.add(reductionSum, reductionSum, square, .down)
                reductionError = max(reductionError, 2 * vError + 1) + 1
            }
        }
        // The series (W8') at the register value v' <= v_k, taken as exact input: F(v')/2 <= F(v_k)/2
        // and F(v_k) <= F(v') (1 − ε)^(−2 vError) (F(v)/v^2 decreases).
        w.add(denominator, reduced, two, .up)
        w.divide(ratio, reduced, denominator, .down)               // z = v/(2+v), e = 2
        guard w.topBit(ratio) <= -2 else { return nil }             // z < 1/4
        w.multiply(ratioSquared, ratio, ratio, .down)               // y = z^2, e = 5
        w.multiply(square, reduced, reduced, .down)                 // v^2, e = 1
        w.add(t, reduced, one, .up)
        w.scale(t, t, byPowerOfTwo: 2)                              // 4 (1 + v) rounded up
        w.divide(evenPart, square, t, .down)                        // v^2/(4 (1 + v)), e = 3
        // Powers y^r, r = 1 ... m.
        let m = plan.block
        var powerErrors = [Int](repeating: 0, count: m + 1)
        w.copy(powerRegisters, ratioSquared)
        powerErrors[1] = 5
        if m >= 2 {
            for r in 2...m {
                w.multiply(powerRegisters + r - 1, powerRegisters + r - 2, ratioSquared, .down)
                powerErrors[r] = powerErrors[r - 1] + 5 + 1
            }
        }
        // Σ_(j=1..qm) (2j/(2j+1)) y^j = Σ_i Y^i B_i, Y = y^m, B_i = Σ_r (2j/(2j+1)) y^r with j = i m + r.
        var accumulatorError = 0
        for blockIndex in stride(from: plan.blocks - 1, through: 0, by: -1) {
            w.setZero(blockSum)
            var blockError = 0
            // Two terms over one denominator: (2j (2j+3) y^r + (2j+2)(2j+1) y^(r+1)) / ((2j+1)(2j+3)).
            var r = 1
            while r <= m {
                let j = blockIndex * m + r
                if r < m {
                    w.multiply(term, powerRegisters + r - 1, integer: 2 * j * (2 * j + 3), .down)
                    w.multiply(evenTerm, powerRegisters + r, integer: (2 * j + 2) * (2 * j + 1), .down)
                    w.add(term, term, evenTerm, .down)
                    w.divide(term, term, integer: (2 * j + 1) * (2 * j + 3), .down)
                    blockError = max(blockError, max(powerErrors[r], powerErrors[r + 1]) + 3) + 1
                    r += 2
                } else {
                    w.multiply(term, powerRegisters + r - 1, integer: 2 * j, .down)
                    w.divide(term, term, integer: 2 * j + 1, .down)
                    blockError = max(blockError, powerErrors[r] + 2) + 1
                    r += 1
                }
                w.add(blockSum, blockSum, term, .down)
            }
            if blockIndex == plan.blocks - 1 {
                w.copy(oddSum, blockSum)
                accumulatorError = blockError
            } else {
                w.multiply(oddSum, oddSum, powerRegisters + m - 1, .down)
                w.add(oddSum, oddSum, blockSum, .down)
                accumulatorError = max(accumulatorError + powerErrors[m] + 1, blockError) + 1
            }
        }
        w.multiply(oddSum, oddSum, ratio, .down)                   // z Σ, e + 3
        w.add(entropic, evenPart, oddSum, .down)                   // F(v')/2
        let seriesError = max(3, accumulatorError + 3) + 1
        w.scale(entropic, entropic, byPowerOfTwo: plan.reductions)
        w.add(entropic, entropic, reductionSum, .down)             // F/2
        let halfError = max(reductionError, 2 * vError + seriesError) + 1
        w.multiply(entropic, entropic, depthConstant, .down)       // (L/2) F(u_lo), e = halfError + 1
        let entropicError = halfError + 1
        // Tail of the series after J = q m terms, in units of F/2: 2^k · 2 z'^(2J+2) (as in
        // `action`), with z'^(2J+2) = y'^(J+1) bounded above in one limb.
        let small = workspace(bits: 64)
        small.set(reduced, w.dyadic(ratioSquared), .up)
        small.power(tailBound, reduced, plan.terms + 1, .up)
        w.set(tailBound, small.dyadic(tailBound), .up)
        w.scale(tailBound, tailBound, byPowerOfTwo: plan.reductions + 1)
        // Upper bound: (L/2) F_d (1 + 2 e ε) + L · tail + (L/2)(u_hi − u_lo) u_hi, rounded up.
        return finishAction(u, overlap: c, entropicError: entropicError, tail: tailBound, tailMultiplier: depth, w)
    }

    /// The end both routes of the action share (eqs. W8', W8''), with `entropic` = (L/2) F rounded down
    /// and error exponent `entropicError`: the upper bound (L/2) F_d (1 + 2 e ε) + `tailMultiplier` ·
    /// `tail` (the series' remainder bound) + (L/2)(u_hi − u_lo) u_hi, rounded up; then g / (2 (c + b))
    /// on both sides (the lower bound over the largest denominator and vice versa), rounded to u's precision.
    private func finishAction(_ u: Interval, overlap c: Interval, entropicError: Int, tail: Int, tailMultiplier: Int,
                              _ w: DirectedFloatWorkspace) -> Interval {
        w.multiply(t, entropic, integer: 2 * entropicError, .up)
        w.scale(t, t, byPowerOfTwo: 1 - w.precision)
        w.add(actionHigh, entropic, t, .up)
        w.multiply(t, tail, integer: tailMultiplier, .up)
        w.add(actionHigh, actionHigh, t, .up)
        if w.subtract(t, uHigh, uLow, .up) > 0 {
            w.multiply(t, t, uHigh, .up)
            w.multiply(t, t, depthConstant, .up)
            w.scale(t, t, byPowerOfTwo: -1)
            w.add(actionHigh, actionHigh, t, .up)
        }
        w.set(overlapBound, c.upper, .up)
        w.add(denominator, overlapBound, bHigh, .up)
        w.scale(denominator, denominator, byPowerOfTwo: 1)
        w.divide(energetic, gLow, denominator, .down)
        w.add(actionLow, entropic, energetic, .down)
        w.set(overlapBound, c.lower, .down)
        w.add(denominator, overlapBound, bLow, .down)
        w.scale(denominator, denominator, byPowerOfTwo: 1)
        w.divide(energetic, gHigh, denominator, .up)
        w.add(actionHigh, actionHigh, energetic, .up)
        return Interval(lower: w.dyadic(actionLow).rounded(toBits: u.precision, .down),
                        upper: w.dyadic(actionHigh).rounded(toBits: u.precision, .up), precision: u.precision)
    }
}
