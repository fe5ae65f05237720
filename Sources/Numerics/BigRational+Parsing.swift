/// Why a string is not an exact rational number.
public struct RationalParseError: Error, Equatable, CustomStringConvertible {
    public let input: String
    public let reason: String
    public var description: String { "'\(input)' is not a number (\(reason))" }
}

extension BigRational {
    /// Reads a number exactly: integers ("12"), decimals ("0.1" is 1/10), scientific notation
    /// ("2.5e-3" is 1/400) and fractions of those ("3/2", "1e3/7"). Surrounding spaces are ignored.
    /// Binary floating point is never involved, so "0.1" is exactly one tenth.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { throw RationalParseError(input: text, reason: "empty") }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw RationalParseError(input: text, reason: "more than one '/'") }
        let numerator = try BigRational.parseDecimal(parts[0], original: text)
        if parts.count == 1 { self = numerator; return }
        let denominator = try BigRational.parseDecimal(parts[1], original: text)
        guard !denominator.isZero else { throw RationalParseError(input: text, reason: "zero denominator") }
        self = numerator / denominator
    }

    /// Largest decimal exponent accepted, to keep an input from asking for a gigabyte of digits.
    public static let maximumDecimalExponent = 100_000

    private static func parseDecimal(_ raw: Substring, original: String) throws -> BigRational {
        var text = raw.trimmingSpacesSubstring
        func fail(_ reason: String) -> RationalParseError { RationalParseError(input: original, reason: reason) }
        guard !text.isEmpty else { throw fail("missing digits") }
        var negative = false
        if let first = text.first, first == "-" || first == "+" {
            negative = first == "-"
            text = text.dropFirst()
        }
        var exponent = 0
        if let eIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            let exponentText = text[text.index(after: eIndex)...]
            var digits = exponentText
            var exponentNegative = false
            if let first = digits.first, first == "-" || first == "+" {
                exponentNegative = first == "-"
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { throw fail("malformed exponent") }
            guard digits.count <= 7, let value = Int(digits), value <= maximumDecimalExponent else {
                throw fail("exponent too large")
            }
            exponent = exponentNegative ? -value : value
            text = text[..<eIndex]
        }
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw fail("more than one '.'") }
        let integerPart = pieces[0]
        let fractionPart = pieces.count == 2 ? pieces[1] : ""
        guard !(integerPart.isEmpty && fractionPart.isEmpty) else { throw fail("missing digits") }
        guard integerPart.allSatisfy(\.isASCIIDigit), fractionPart.allSatisfy(\.isASCIIDigit) else {
            throw fail("unexpected character")
        }
        let digits = String(integerPart) + String(fractionPart)
        guard let mantissa = BigInt(decimalDigits: digits) else { throw fail("malformed digits") }
        let scale = exponent - fractionPart.count
        var value: BigRational
        if scale >= 0 {
            value = BigRational(mantissa * BigInt.power(base: 10, exponent: scale))
        } else {
            value = BigRational(mantissa, BigInt.power(base: 10, exponent: -scale))
        }
        if negative { value = -value }
        return value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    var trimmingSpaces: String { String(trimmingSpacesSubstring) }
    var trimmingSpacesSubstring: Substring {
        let scalars = Substring(self)
        guard let start = scalars.firstIndex(where: { !$0.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return scalars[start...end]
    }
}
