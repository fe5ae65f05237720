import Foundation

/// Direction of a rounding: toward −∞ or toward +∞ (the two that interval arithmetic needs).
public enum RoundingDirection: Sendable {
    case down
    case up

    public var opposite: RoundingDirection { self == .down ? .up : .down }
}

/// A dyadic rational mantissa · 2^exponent with an arbitrary-precision integer mantissa.
/// Every dyadic is exactly representable; rounding happens only where a method says so,
/// always in a stated direction. This is the endpoint type of `Interval`.
public struct Dyadic: Sendable {
    public let mantissa: BigInt
    public let exponent: Int

    public init(_ mantissa: BigInt, exponent: Int = 0) {
        self.mantissa = mantissa
        self.exponent = mantissa.isZero ? 0 : exponent
    }

    public init(_ value: Int) { self.init(BigInt(value)) }

    /// The exact value of a finite Double (every finite Double is dyadic).
    public init(exactly value: Double) {
        precondition(value.isFinite, "non-finite Double")
        if value == 0 { self.init(BigInt.zero); return }
        let exponent = value.exponent            // value = significand · 2^exponent, significand in [1, 2)
        let scaled = value.significand * 4503599627370496.0 // · 2^52, an exact integer
        self.init(BigInt(Int(scaled)) * (value.sign == .minus ? -1 : 1), exponent: Int(exponent) - 52)
    }

    /// 2^power.
    public static func powerOfTwo(_ power: Int) -> Dyadic { Dyadic(.one, exponent: power) }

    public static let zero = Dyadic(BigInt.zero)
    public static let one = Dyadic(BigInt.one)

    public var signum: Int { mantissa.signum }
    public var isZero: Bool { mantissa.isZero }

    /// The smallest t with |self| < 2^t (for nonzero self): floor(log2|self|) + 1.
    public var topBit: Int { mantissa.bitWidth + exponent }

    public var negated: Dyadic { Dyadic(-mantissa, exponent: exponent) }
    public var magnitude: Dyadic { Dyadic(mantissa.magnitude, exponent: exponent) }

    /// self rounded to at most `bits` significant bits in `direction`.
    public func rounded(toBits bits: Int, _ direction: RoundingDirection) -> Dyadic {
        precondition(bits >= 2)
        let width = mantissa.bitWidth
        guard width > bits else { return self }
        let shift = width - bits
        let reduced = direction == .down ? mantissa.floorShiftedRight(shift) : mantissa.ceilShiftedRight(shift)
        return Dyadic(reduced, exponent: exponent + shift)
    }

    /// a + b exactly.
    public static func exactSum(_ a: Dyadic, _ b: Dyadic) -> Dyadic {
        if a.isZero { return b }
        if b.isZero { return a }
        let low = min(a.exponent, b.exponent)
        return Dyadic(BigInt.shiftedSum(a.mantissa, a.exponent - low, b.mantissa, b.exponent - low), exponent: low)
    }

    /// a + b rounded to `bits` bits in `direction`. A term far below the other's last bit is
    /// replaced by 0 or by a power of two that bounds it on the safe side, so mantissas stay small.
    public static func sum(_ a: Dyadic, _ b: Dyadic, bits: Int, _ direction: RoundingDirection) -> Dyadic {
        if a.isZero { return b.rounded(toBits: bits, direction) }
        if b.isZero { return a.rounded(toBits: bits, direction) }
        var (big, small) = a.topBit >= b.topBit ? (a, b) : (b, a)
        let floorBit = big.topBit - bits - 3
        if small.topBit <= floorBit {
            // |small| < 2^floorBit: its only effect is on the rounding, bounded here on the safe side.
            let pushesOutward = (direction == .down) == (small.signum < 0)
            small = pushesOutward ? Dyadic(BigInt(small.signum), exponent: floorBit) : .zero
            if big.mantissa.bitWidth > bits + 8 { big = big.rounded(toBits: bits + 8, direction) }
        }
        return exactSum(big, small).rounded(toBits: bits, direction)
    }

    /// a · b rounded to `bits` bits in `direction`.
    public static func product(_ a: Dyadic, _ b: Dyadic, bits: Int, _ direction: RoundingDirection) -> Dyadic {
        let (mantissa, dropped) = BigInt.roundedProduct(a.mantissa, b.mantissa, bits: bits, roundUp: direction == .up)
        return Dyadic(mantissa, exponent: a.exponent + b.exponent + dropped)
    }

    /// a / b (b ≠ 0) rounded to `bits` bits in `direction`.
    public static func quotient(_ a: Dyadic, _ b: Dyadic, bits: Int, _ direction: RoundingDirection) -> Dyadic {
        precondition(!b.isZero, "division by zero")
        if a.isZero { return .zero }
        let shift = max(0, bits + b.mantissa.bitWidth - a.mantissa.bitWidth + 2)
        let numerator = a.mantissa.shiftedLeft(shift)
        let q = direction == .down ? BigInt.floorDivide(numerator, b.mantissa) : BigInt.ceilDivide(numerator, b.mantissa)
        return Dyadic(q, exponent: a.exponent - b.exponent - shift).rounded(toBits: bits, direction)
    }

    /// A rational number rounded to `bits` bits in `direction`.
    public init(_ value: BigRational, bits: Int, _ direction: RoundingDirection) {
        self = Dyadic.quotient(Dyadic(value.numerator), Dyadic(value.denominator), bits: bits, direction)
    }

    /// The exact rational value.
    public var rational: BigRational {
        exponent >= 0 ? BigRational(mantissa.shiftedLeft(exponent)) : BigRational(mantissa, BigInt.one.shiftedLeft(-exponent))
    }

    /// Nearest-ish Double (0 or ±inf outside Double's range); for hints and display only.
    public var doubleApproximation: Double {
        if isZero { return 0 }
        let (m, e) = mantissa.doubleAndExponent
        let total = e + exponent
        if total > 1100 { return m > 0 ? .infinity : -.infinity }
        if total < -1100 { return 0 }
        return scalbn(m, total)
    }

    /// log2|self| as a Double, valid far outside Double's exponent range (self ≠ 0).
    public var log2Magnitude: Double {
        let (m, e) = mantissa.doubleAndExponent
        return log2(Swift.abs(m)) + Double(e + exponent)
    }

    /// exp(logValue) as a dyadic with 53 significant bits, for logValue far outside Double's range.
    public init(exponentialOf logValue: Double) {
        precondition(logValue.isFinite)
        let log2Value = logValue / M_LN2
        let whole = log2Value.rounded(.down)
        let fraction = exp2(log2Value - whole) // in [1, 2)
        let d = Dyadic(exactly: fraction)
        self = Dyadic(d.mantissa, exponent: d.exponent + Int(whole))
    }
}

extension Dyadic: Comparable, Equatable {
    public static func == (a: Dyadic, b: Dyadic) -> Bool { compare(a, b) == 0 }
    public static func < (a: Dyadic, b: Dyadic) -> Bool { compare(a, b) < 0 }

    /// Exact three-way comparison.
    public static func compare(_ a: Dyadic, _ b: Dyadic) -> Int {
        if a.signum != b.signum { return a.signum < b.signum ? -1 : 1 }
        if a.signum == 0 { return 0 }
        if a.topBit != b.topBit {
            let largerMagnitude = a.topBit > b.topBit ? 1 : -1
            return a.signum > 0 ? largerMagnitude : -largerMagnitude
        }
        let low = min(a.exponent, b.exponent)
        return BigInt.compareShifted(a.mantissa, a.exponent - low, b.mantissa, b.exponent - low)
    }
}

extension Dyadic: CustomStringConvertible {
    public var description: String { "\(mantissa)·2^\(exponent)" }
}
