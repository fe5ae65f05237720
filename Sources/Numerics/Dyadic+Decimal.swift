/// How a value is rounded to a decimal string.
public enum DecimalRounding: Sendable {
    case down      // toward −∞ (a certified lower bound)
    case up        // toward +∞ (a certified upper bound)
    case nearest   // to nearest, ties to even
}

/// A decimal number digits · 10^exponent10 with exactly `significantDigits` digits in `digits`.
public struct DecimalDigits: Sendable, Equatable {
    public let negative: Bool
    public let digits: String
    public let exponent10: Int   // the power of ten of the leading digit

    /// Plain positional notation for moderate exponents, otherwise d.ddd…e±k. All digits are kept:
    /// trailing zeros are significant.
    public var text: String {
        let sign = negative ? "-" : ""
        let count = digits.count
        if exponent10 >= -6 && exponent10 < max(count, 21) {
            if exponent10 >= count - 1 {
                // integer with no fractional part needed
                return sign + digits + String(repeating: "0", count: exponent10 - count + 1)
            }
            if exponent10 >= 0 {
                let head = digits.prefix(exponent10 + 1)
                let tail = digits.dropFirst(exponent10 + 1)
                return sign + head + "." + tail
            }
            return sign + "0." + String(repeating: "0", count: -exponent10 - 1) + digits
        }
        let head = digits.prefix(1)
        let tail = digits.dropFirst()
        let mantissa = tail.isEmpty ? String(head) : head + "." + tail
        return sign + mantissa + "e" + (exponent10 >= 0 ? "+" : "-") + String(Swift.abs(exponent10))
    }
}

/// A value rounded to D significant digits as an integer: digits · 10^(exponent10 − D + 1), with
/// 10^(D−1) <= digits < 10^D (digits = 0 for zero).
struct DecimalRounded: Equatable {
    let negative: Bool
    let digits: BigInt
    let exponent10: Int
}

/// The powers 10^(D−1) and 10^D that bound a D-digit integer, and the last power of five used
/// to scale a value: one per run of conversions at the same D (both ends of an interval, every
/// layer of a table), so those powers are computed once. Mutable: never shared between threads.
final class DecimalDecade {
    let lowest: BigInt
    let highest: BigInt
    private var fiveShift = -1
    private var fivePower = BigInt.one

    init(significantDigits: Int) {
        lowest = BigInt.power(base: 10, exponent: significantDigits - 1)
        highest = lowest * 10
    }

    /// 5^shift, shift >= 0.
    func powerOfFive(_ shift: Int) -> BigInt {
        if shift != fiveShift {
            fivePower = BigInt.power(base: 5, exponent: shift)
            fiveShift = shift
        }
        return fivePower
    }
}

/// Certified decimal printing of many intervals at one number of digits (the solvers' tables):
/// `Interval.certifiedDecimal` with the powers of ten and five shared between calls.
public final class DecimalPrinter {
    public let significantDigits: Int
    let decade: DecimalDecade

    public init(significantDigits: Int) {
        precondition(significantDigits >= 1)
        self.significantDigits = significantDigits
        decade = DecimalDecade(significantDigits: significantDigits)
    }

    /// The correctly rounded decimal of the enclosed value when both ends round to it, else nil.
    public func certified(_ x: Interval) -> DecimalDigits? {
        let low = x.lower.decimalRounded(significantDigits: significantDigits, .nearest, decade: decade)
        guard low == x.upper.decimalRounded(significantDigits: significantDigits, .nearest, decade: decade) else { return nil }
        let text = low.digits.isZero ? String(repeating: "0", count: significantDigits) : low.digits.decimalString
        return DecimalDigits(negative: low.negative, digits: text, exponent10: low.exponent10)
    }
}

extension Dyadic {
    /// The value rounded to `significantDigits` decimal digits in the given mode.
    public func decimalDigits(significantDigits: Int, _ mode: DecimalRounding) -> DecimalDigits {
        precondition(significantDigits >= 1)
        let rounded = decimalRounded(significantDigits: significantDigits, mode, decade: DecimalDecade(significantDigits: significantDigits))
        let text = rounded.digits.isZero ? String(repeating: "0", count: significantDigits) : rounded.digits.decimalString
        return DecimalDigits(negative: rounded.negative, digits: text, exponent10: rounded.exponent10)
    }

    /// The rounding behind `decimalDigits`, as an integer (no strings): scale by a power of ten so
    /// the integer part has `significantDigits` digits, then round by the dropped fraction's class.
    func decimalRounded(significantDigits: Int, _ mode: DecimalRounding, decade: DecimalDecade) -> DecimalRounded {
        if isZero { return DecimalRounded(negative: false, digits: .zero, exponent10: 0) }
        let negative = signum < 0
        // Round the magnitude; directions flip for negative values.
        let magnitudeMode: DecimalRounding
        switch mode {
        case .nearest: magnitudeMode = .nearest
        case .down: magnitudeMode = negative ? .up : .down
        case .up: magnitudeMode = negative ? .down : .up
        }
        let value = negative ? magnitude : self
        var exponent10 = Int((value.log2Magnitude * 0.30102999566398119521).rounded(.down))
        for _ in 0..<8 {
            let shift = significantDigits - 1 - exponent10
            let (truncated, fraction) = value.scaledByPowerOfTen(shift, decade: decade)
            if truncated < decade.lowest { exponent10 -= 1; continue }
            if truncated >= decade.highest { exponent10 += 1; continue }
            let roundsUp: Bool
            switch magnitudeMode {
            case .down: roundsUp = false
            case .up: roundsUp = fraction != .zero
            case .nearest: roundsUp = fraction == .aboveHalf || (fraction == .half && truncated.isOdd)
            }
            guard roundsUp else { return DecimalRounded(negative: negative, digits: truncated, exponent10: exponent10) }
            let next = truncated + .one
            // 99…9 rounded up to the next decade.
            if next == decade.highest { return DecimalRounded(negative: negative, digits: decade.lowest, exponent10: exponent10 + 1) }
            return DecimalRounded(negative: negative, digits: next, exponent10: exponent10)
        }
        preconditionFailure("decimal exponent search did not settle")
    }

    /// Shorthand for `decimalDigits(...).text`.
    public func decimalString(significantDigits: Int, _ mode: DecimalRounding) -> String {
        decimalDigits(significantDigits: significantDigits, mode).text
    }
}

/// Where the dropped fraction of a truncation lies: it decides directed and nearest rounding.
enum TruncatedFraction: Equatable {
    case zero, belowHalf, half, aboveHalf
}

extension Dyadic {
    /// floor(self · 10^shift) for self >= 0, and the class of the dropped fraction. For shift >= 0
    /// the scaled value is (m · 5^shift) · 2^(e + shift): a shift and bit tests, no division.
    func scaledByPowerOfTen(_ shift: Int, decade: DecimalDecade) -> (BigInt, TruncatedFraction) {
        precondition(signum >= 0)
        if shift >= 0 {
            let scaled = shift == 0 ? mantissa : mantissa * decade.powerOfFive(shift)
            let binaryExponent = exponent + shift
            if binaryExponent >= 0 { return (scaled.shiftedLeft(binaryExponent), .zero) }
            let dropped = -binaryExponent
            let truncated = scaled.floorShiftedRight(dropped)
            let lowestSetBit = scaled.trailingZeroBitCount
            if lowestSetBit >= dropped { return (truncated, .zero) }
            if !scaled.bit(dropped - 1) { return (truncated, .belowHalf) }
            return (truncated, lowestSetBit == dropped - 1 ? .half : .aboveHalf)
        }
        // value / 10^(−shift): an integer division (values above 10^digits only).
        let numerator = exponent >= 0 ? mantissa.shiftedLeft(exponent) : mantissa
        var denominator = BigInt.power(base: 10, exponent: -shift)
        if exponent < 0 { denominator = denominator.shiftedLeft(-exponent) }
        let truncated = BigInt.floorDivide(numerator, denominator)
        let remainder = numerator - truncated * denominator
        if remainder.isZero { return (truncated, .zero) }
        let twice = remainder * 2
        if twice < denominator { return (truncated, .belowHalf) }
        return (truncated, twice == denominator ? .half : .aboveHalf)
    }
}

extension Interval {
    /// The value rounded to nearest at `significantDigits` digits when the enclosure decides it
    /// (both endpoints round to the same decimal); nil when the enclosure is too wide to certify it.
    public func certifiedDecimal(significantDigits: Int) -> DecimalDigits? {
        DecimalPrinter(significantDigits: significantDigits).certified(self)
    }

    /// Lower endpoint rounded down and upper endpoint rounded up: a decimal enclosure.
    public func decimalBounds(significantDigits: Int) -> (lower: String, upper: String) {
        (lower.decimalString(significantDigits: significantDigits, .down),
         upper.decimalString(significantDigits: significantDigits, .up))
    }
}
