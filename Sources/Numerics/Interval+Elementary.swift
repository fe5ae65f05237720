/// Certified elementary functions on intervals (notes/numerics-intervals.md, section "Logarithm").
extension Interval {
    /// An enclosure of ln(x) for a positive interval x. ln is increasing, so the result is
    /// [lower bound of ln(x.lower), upper bound of ln(x.upper)].
    public static func log(_ x: Interval) -> Interval {
        precondition(x.lower.signum > 0, "log of an interval that is not positive")
        let bits = x.precision
        let low = logEnclosure(of: x.lower, precision: bits)
        if x.isPoint { return low }
        if x.log2RelativeWidth < -16 {
            // Narrow: ln(upper) <= ln(lower) + (upper − lower)/lower saves the second series.
            let slopeBound = Dyadic.quotient(x.width, x.lower, bits: 32, .up)
            return Interval(lower: low.lower, upper: Dyadic.sum(low.upper, slopeBound, bits: bits, .up), precision: bits)
        }
        let high = logEnclosure(of: x.upper, precision: bits)
        return Interval(lower: low.lower, upper: high.upper, precision: bits)
    }

    /// ln 2 = 2 atanh(1/3), enclosed at `precision` bits.
    public static func ln2(precision: Int) -> Interval {
        let third = Interval(1, precision: precision + 16) / 3
        return (atanhSeries(third) * 2).withPrecision(precision)
    }

    /// Enclosure of ln(x) for one positive dyadic x, at `precision` bits (+ guard bits inside).
    /// x = f · 2^k with f in [3/4, 3/2); ln x = k ln 2 + 2 atanh((f − 1)/(f + 1)), |z| <= 1/5.
    static func logEnclosure(of x: Dyadic, precision: Int) -> Interval {
        let working = precision + 24
        var k = x.topBit
        var f = Dyadic(x.mantissa, exponent: x.exponent - k)        // in [1/2, 1)
        if f < Dyadic(3, exponent: -2) { f = Dyadic(f.mantissa, exponent: f.exponent + 1); k -= 1 }
        let fMinusOne = Dyadic.exactSum(f, Dyadic(-1))
        var result = Interval(0, precision: working)
        if !fMinusOne.isZero {
            let numerator = Interval(fMinusOne.magnitude, precision: working)
            let denominator = Interval(Dyadic.exactSum(f, .one), precision: working)
            let atanh = atanhSeries(numerator / denominator) * 2
            result = fMinusOne.signum > 0 ? atanh : -atanh
        }
        if k != 0 { result = result + ln2(precision: working) * k }
        return result.withPrecision(precision)
    }

    /// atanh(z) = sum z^(2n+1)/(2n+1) for a nonnegative interval z with z.upper <= 1/2, summed in
    /// fixed point with directed truncation: the lower end from z.lower rounded down, the upper end
    /// from z.upper rounded up plus a bound on the omitted tail.
    static func atanhSeries(_ z: Interval) -> Interval {
        precondition(z.lower.signum >= 0 && z.upper <= Dyadic(1, exponent: -1))
        if z.upper.isZero { return z }
        // Fixed-point scale: the precision below z's leading bit, plus guard bits.
        let scale = z.precision + 16 - min(0, z.upper.topBit)
        func fixedPoint(_ x: Dyadic, _ roundUp: Bool) -> BigInt {
            let shift = scale + x.exponent
            if shift >= 0 { return x.mantissa.shiftedLeft(shift) }
            return roundUp ? x.mantissa.ceilShiftedRight(-shift) : x.mantissa.floorShiftedRight(-shift)
        }
        let low = BigInt.fixedPointAtanh(fixedPoint(z.lower, false), scaleBits: scale, roundUp: false)
        let high = BigInt.fixedPointAtanh(fixedPoint(z.upper, true), scaleBits: scale, roundUp: true)
        let bits = z.precision
        return Interval(lower: Dyadic(low, exponent: -scale).rounded(toBits: bits, .down),
                        upper: Dyadic(high, exponent: -scale).rounded(toBits: bits, .up), precision: bits)
    }
}
