/// A closed interval [lower, upper] of dyadic endpoints that is guaranteed to contain the value it
/// stands for. Every operation rounds its lower endpoint down and its upper endpoint up to
/// `precision` bits (the larger of the operands'), so enclosures survive any chain of operations.
public struct Interval: Sendable {
    public let lower: Dyadic
    public let upper: Dyadic
    /// Significant bits kept at each endpoint by operations on this interval.
    public let precision: Int

    public init(lower: Dyadic, upper: Dyadic, precision: Int) {
        precondition(lower <= upper, "empty interval")
        precondition(precision >= 8)
        self.init(unchecked: lower, upper, precision)
    }

    /// For operations whose endpoints are ordered by construction (outward-rounded bounds).
    @usableFromInline init(unchecked lower: Dyadic, _ upper: Dyadic, _ precision: Int) {
        assert(lower <= upper, "empty interval")
        self.lower = lower
        self.upper = upper
        self.precision = precision
    }

    /// The point interval [value, value] (exact).
    public init(_ value: Dyadic, precision: Int) {
        self.init(lower: value, upper: value, precision: precision)
    }

    public init(_ value: Int, precision: Int) { self.init(Dyadic(value), precision: precision) }

    /// The tightest `precision`-bit enclosure of a rational.
    public init(_ value: BigRational, precision: Int) {
        if value.isInteger && value.numerator.bitWidth <= precision {
            self.init(Dyadic(value.numerator), precision: precision)
        } else {
            self.init(lower: Dyadic(value, bits: precision, .down),
                      upper: Dyadic(value, bits: precision, .up), precision: precision)
        }
    }

    /// The same enclosure, operated on at another precision from now on.
    public func withPrecision(_ bits: Int) -> Interval { Interval(lower: lower, upper: upper, precision: bits) }

    /// +1 or −1 when every point of the interval has that sign, 0 for [0, 0], nil when it straddles 0.
    public var definiteSign: Int? {
        if lower.signum > 0 { return 1 }
        if upper.signum < 0 { return -1 }
        if lower.isZero && upper.isZero { return 0 }
        return nil
    }

    public var isPoint: Bool { lower == upper }

    public func contains(_ value: Dyadic) -> Bool { lower <= value && value <= upper }

    /// Midpoint (exact dyadic).
    public var midpoint: Dyadic {
        let sum = Dyadic.exactSum(lower, upper)
        return Dyadic(sum.mantissa, exponent: sum.exponent - 1)
    }

    /// upper − lower, rounded up.
    public var width: Dyadic { Dyadic.sum(upper, lower.negated, bits: precision, .up) }

    /// log2 of the relative width (upper − lower)/min|endpoint|, as a Double; −inf for a point.
    public var log2RelativeWidth: Double {
        if isPoint { return -.infinity }
        let smallest = lower.magnitude < upper.magnitude ? lower.magnitude : upper.magnitude
        if smallest.isZero { return .infinity }
        return width.log2Magnitude - smallest.log2Magnitude
    }

    public static prefix func - (x: Interval) -> Interval {
        Interval(unchecked: x.upper.negated, x.lower.negated, x.precision)
    }

    public static func + (a: Interval, b: Interval) -> Interval {
        let bits = max(a.precision, b.precision)
        return Interval(unchecked: .sum(a.lower, b.lower, bits: bits, .down),
                        .sum(a.upper, b.upper, bits: bits, .up), bits)
    }

    public static func - (a: Interval, b: Interval) -> Interval { a + (-b) }

    public static func * (a: Interval, b: Interval) -> Interval {
        let bits = max(a.precision, b.precision)
        if a.lower.signum >= 0 && b.lower.signum >= 0 {
            return Interval(unchecked: .product(a.lower, b.lower, bits: bits, .down),
                            .product(a.upper, b.upper, bits: bits, .up), bits)
        }
        let pairs = [(a.lower, b.lower), (a.lower, b.upper), (a.upper, b.lower), (a.upper, b.upper)]
        let lows = pairs.map { Dyadic.product($0.0, $0.1, bits: bits, .down) }
        let highs = pairs.map { Dyadic.product($0.0, $0.1, bits: bits, .up) }
        return Interval(unchecked: lows.min()!, highs.max()!, bits)
    }

    /// a / b for b not containing 0.
    public static func / (a: Interval, b: Interval) -> Interval {
        precondition(b.definiteSign != nil && b.definiteSign != 0, "interval division by an interval containing 0")
        let bits = max(a.precision, b.precision)
        if a.lower.signum >= 0 && b.lower.signum > 0 {
            return Interval(unchecked: .quotient(a.lower, b.upper, bits: bits, .down),
                            .quotient(a.upper, b.lower, bits: bits, .up), bits)
        }
        let pairs = [(a.lower, b.lower), (a.lower, b.upper), (a.upper, b.lower), (a.upper, b.upper)]
        let lows = pairs.map { Dyadic.quotient($0.0, $0.1, bits: bits, .down) }
        let highs = pairs.map { Dyadic.quotient($0.0, $0.1, bits: bits, .up) }
        return Interval(unchecked: lows.min()!, highs.max()!, bits)
    }

    public static func + (a: Interval, b: Int) -> Interval { a + Interval(b, precision: a.precision) }
    public static func - (a: Interval, b: Int) -> Interval { a + Interval(-b, precision: a.precision) }
    public static func * (a: Interval, b: Int) -> Interval { a * Interval(b, precision: a.precision) }
    public static func * (a: Int, b: Interval) -> Interval { Interval(a, precision: b.precision) * b }
    public static func / (a: Interval, b: Int) -> Interval {
        if b > 0 && a.lower.signum >= 0 {
            let divisor = Dyadic(b)
            return Interval(unchecked: .quotient(a.lower, divisor, bits: a.precision, .down),
                            .quotient(a.upper, divisor, bits: a.precision, .up), a.precision)
        }
        return a / Interval(b, precision: a.precision)
    }

    /// self^n for n >= 0 and a nonnegative interval (binary powering, endpoints rounded outward).
    public func power(_ n: Int) -> Interval {
        precondition(n >= 0)
        precondition(lower.signum >= 0, "power(_:) takes a nonnegative interval")
        func endpoint(_ x: Dyadic, _ roundUp: Bool) -> Dyadic {
            let (mantissa, dropped) = BigInt.roundedPower(x.mantissa, n, bits: precision, roundUp: roundUp)
            return Dyadic(mantissa, exponent: x.exponent * n + dropped)
        }
        if n == 0 { return Interval(1, precision: precision) }
        return Interval(unchecked: endpoint(lower, false), endpoint(upper, true), precision)
    }

    /// The square of any interval (tight also when it straddles 0).
    public var squared: Interval {
        if lower.signum >= 0 { return self * self }
        if upper.signum <= 0 { return (-self) * (-self) }
        let m = max(lower.magnitude, upper.magnitude)
        return Interval(unchecked: .zero, .product(m, m, bits: precision, .up), precision)
    }

    /// The convex hull of two intervals.
    public static func hull(_ a: Interval, _ b: Interval) -> Interval {
        Interval(lower: min(a.lower, b.lower), upper: max(a.upper, b.upper), precision: max(a.precision, b.precision))
    }
}

extension Interval: CustomStringConvertible {
    public var description: String {
        "[\(lower.decimalString(significantDigits: 20, .down)), \(upper.decimalString(significantDigits: 20, .up))]"
    }
}
