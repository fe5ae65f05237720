import Foundation

/// Certified principal Lambert W (w e^w = x, x > 0) (notes/numerics-intervals.md, "Lambert W").
extension Interval {
    /// An enclosure of W0(x) for a positive interval x. W0 is increasing, so the result is
    /// [lower bound of W(x.lower), upper bound of W(x.upper)]. Each endpoint is the root of the
    /// increasing function f(w) = w + ln w − ln x on w > 0, bracketed by certified signs and refined
    /// by `CertifiedRootFinder`, so the enclosure is rigorous. x may be far outside Double's range.
    public static func lambertW(_ x: Interval) throws -> Interval {
        precondition(x.lower.signum > 0, "lambertW takes a positive interval")
        let bits = x.precision
        let low = try lambertWBracket(of: x.lower, precision: bits)
        if x.isPoint { return Interval(lower: low.lower, upper: low.upper, precision: bits) }
        let high = try lambertWBracket(of: x.upper, precision: bits)
        return Interval(lower: low.lower, upper: high.upper, precision: bits)
    }

    static func lambertWBracket(of x: Dyadic, precision: Int) throws -> SignBracket {
        let f = IntervalFunction(
            value: { w in w + Interval.log(w) - Interval.log(Interval(x, precision: w.precision)) },
            derivative: { w in Interval(1, precision: w.precision) + Interval(1, precision: w.precision) / w })
        let t = x.log2Magnitude * M_LN2
        let hint = Dyadic(exponentialOf: approximateLogLambertW(ofExp: t))
        let finder = CertifiedRootFinder()
        // f < 0 below the root; the root lies in (0, max(1, t)] since w + ln w = t.
        let ceiling = Dyadic(exponentialOf: Foundation.log(Swift.max(1, t)) + 1)
        guard let bracket = finder.bracket(around: hint, of: f.value, signBelow: -1,
                                           within: (lower: Dyadic.powerOfTwo(hint.topBit - 64), upper: ceiling),
                                           precision: precision + 32) else {
            throw RootFindingError.undecidable("Lambert W bracket around \(hint.doubleApproximation)")
        }
        return try finder.refine(f, bracket: bracket, start: hint, targetBits: precision)
    }

    /// ln W0(e^t) in Double: Newton on e^v + v = t (convex and increasing in v, so Newton
    /// converges monotonically after the first step from any start).
    static func approximateLogLambertW(ofExp t: Double) -> Double {
        var v = t < 1 ? t - 1 : Foundation.log(t)
        for _ in 0..<100 {
            let step = (Foundation.exp(v) + v - t) / (Foundation.exp(v) + 1)
            v -= step
            if Swift.abs(step) <= 1e-15 * max(1, Swift.abs(v)) { break }
        }
        return v
    }
}
