import Foundation

/// Certified exponential (notes/numerics-intervals.md, section "Exponential").
extension Interval {
    /// An enclosure of e^x. exp is increasing, so the result is [lower bound of e^(x.lower),
    /// upper bound of e^(x.upper)]. Arguments far outside Double's range work: the result is a
    /// dyadic with an arbitrary binary exponent; |x| must stay below 2^50.
    public static func exp(_ x: Interval) -> Interval {
        let bits = x.precision
        let low = expEnclosure(of: x.lower, precision: bits)
        if x.isPoint { return low }
        let high = expEnclosure(of: x.upper, precision: bits)
        return Interval(lower: low.lower, upper: high.upper, precision: bits)
    }

    /// e^x for one dyadic x: x = k ln 2 + r with k = round(x / ln 2), |r| <= ~0.35; then
    /// e^r = (e^(r / 2^s))^(2^s) with the Taylor series of e^y, |y| <= 2^-s−1, summed with a
    /// rigorous tail bound |y|^N / N! · 2 (valid for |y| <= 1/2); finally multiply by 2^k exactly.
    static func expEnclosure(of x: Dyadic, precision: Int) -> Interval {
        if x.isZero { return Interval(1, precision: precision) }
        precondition(x.topBit < 50, "exp argument too large")
        let approx = x.doubleApproximation
        let k = Int((approx / M_LN2).rounded())
        let squarings = max(8, Int(Double(precision).squareRoot() / 2))
        // Absolute error of r is amplified by |k| ln 2 bits of ln 2 and by 2^s squarings.
        let kBits = Int.bitWidth - Swift.abs(k).leadingZeroBitCount
        let working = precision + kBits + squarings + 32
        var r = Interval(x, precision: working)
        if k != 0 { r = r - ln2(precision: working + kBits) * k }
        let y = Interval(lower: Dyadic(r.lower.mantissa, exponent: r.lower.exponent - squarings),
                         upper: Dyadic(r.upper.mantissa, exponent: r.upper.exponent - squarings),
                         precision: working)
        var result = taylorExp(y)
        for _ in 0..<squarings { result = result.squared }
        let scaled = Interval(lower: Dyadic(result.lower.mantissa, exponent: result.lower.exponent + k),
                              upper: Dyadic(result.upper.mantissa, exponent: result.upper.exponent + k),
                              precision: working)
        return scaled.rounded(to: precision)
    }

    /// sum_{n < N} y^n / n! plus the tail enclosure [−2|y|^N/N!, +2|y|^N/N!], for |y| <= 1/2.
    static func taylorExp(_ y: Interval) -> Interval {
        let bits = y.precision
        let magnitude = max(y.lower.magnitude, y.upper.magnitude)
        precondition(magnitude <= Dyadic(1, exponent: -1))
        var sum = Interval(1, precision: bits)
        var term = Interval(1, precision: bits)
        var n = 0
        var termBound = Dyadic.one           // upper bound of |y|^n / n!
        let stop = Dyadic.powerOfTwo(-bits - 4)
        while true {
            n += 1
            term = term * y / n
            termBound = Dyadic.quotient(Dyadic.product(termBound, magnitude, bits: 64, .up), Dyadic(n), bits: 64, .up)
            sum = sum + term
            if termBound < stop || magnitude.isZero { break }
        }
        // Tail from n+1 on: |y|^(n+1)/(n+1)! (1 + |y| + |y|^2 + ...) <= 2 |y|^(n+1)/(n+1)!.
        let tail = Dyadic.product(Dyadic.quotient(Dyadic.product(termBound, magnitude, bits: 64, .up),
                                                  Dyadic(n + 1), bits: 64, .up), Dyadic(2), bits: 64, .up)
        return sum + Interval(lower: tail.negated, upper: tail, precision: bits)
    }

    /// The same enclosure with endpoints rounded outward to `bits` bits.
    public func rounded(to bits: Int) -> Interval {
        Interval(lower: lower.rounded(toBits: bits, .down), upper: upper.rounded(toBits: bits, .up), precision: bits)
    }
}
