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

extension Dyadic {
    /// The value rounded to `significantDigits` decimal digits in the given mode.
    public func decimalDigits(significantDigits: Int, _ mode: DecimalRounding) -> DecimalDigits {
        precondition(significantDigits >= 1)
        if isZero {
            return DecimalDigits(negative: false, digits: String(repeating: "0", count: significantDigits), exponent10: 0)
        }
        let negative = signum < 0
        // Round the magnitude; directions flip for negative values.
        let magnitudeMode: DecimalRounding
        switch mode {
        case .nearest: magnitudeMode = .nearest
        case .down: magnitudeMode = negative ? .up : .down
        case .up: magnitudeMode = negative ? .down : .up
        }
        let value = magnitude
        // value = numerator / denominator exactly.
        let numerator = value.exponent >= 0 ? value.mantissa.shiftedLeft(value.exponent) : value.mantissa
        let denominator = value.exponent >= 0 ? BigInt.one : BigInt.one.shiftedLeft(-value.exponent)
        var exponent10 = Int((value.log2Magnitude * 0.30102999566398119521).rounded(.down))
        let lowest = BigInt.power(base: 10, exponent: significantDigits - 1)
        let highest = lowest * 10
        for _ in 0..<8 {
            let shift = significantDigits - 1 - exponent10
            var scaledNumerator = numerator
            var scaledDenominator = denominator
            if shift >= 0 {
                scaledNumerator = numerator * BigInt.power(base: 10, exponent: shift)
            } else {
                scaledDenominator = denominator * BigInt.power(base: 10, exponent: -shift)
            }
            // Decide the decade on the truncated value, then round.
            let truncated = BigInt.floorDivide(scaledNumerator, scaledDenominator)
            if truncated < lowest { exponent10 -= 1; continue }
            if truncated >= highest { exponent10 += 1; continue }
            var rounded = truncated
            let remainder = scaledNumerator - truncated * scaledDenominator
            switch magnitudeMode {
            case .down: break
            case .up: if !remainder.isZero { rounded = truncated + .one }
            case .nearest:
                let twice = remainder * 2
                if twice > scaledDenominator || (twice == scaledDenominator && truncated.isOdd) {
                    rounded = truncated + .one
                }
            }
            if rounded == highest {
                // 99…9 rounded up to the next decade.
                return DecimalDigits(negative: negative, digits: "1" + String(repeating: "0", count: significantDigits - 1),
                                     exponent10: exponent10 + 1)
            }
            return DecimalDigits(negative: negative, digits: rounded.decimalString, exponent10: exponent10)
        }
        preconditionFailure("decimal exponent search did not settle")
    }

    /// Shorthand for `decimalDigits(...).text`.
    public func decimalString(significantDigits: Int, _ mode: DecimalRounding) -> String {
        decimalDigits(significantDigits: significantDigits, mode).text
    }
}

extension Interval {
    /// The value rounded to nearest at `significantDigits` digits when the enclosure decides it
    /// (both endpoints round to the same decimal); nil when the enclosure is too wide to certify it.
    public func certifiedDecimal(significantDigits: Int) -> DecimalDigits? {
        let low = lower.decimalDigits(significantDigits: significantDigits, .nearest)
        let high = upper.decimalDigits(significantDigits: significantDigits, .nearest)
        return low == high ? low : nil
    }

    /// Lower endpoint rounded down and upper endpoint rounded up: a decimal enclosure.
    public func decimalBounds(significantDigits: Int) -> (lower: String, upper: String) {
        (lower.decimalString(significantDigits: significantDigits, .down),
         upper.decimalString(significantDigits: significantDigits, .up))
    }
}
