import Foundation
import Core
import Numerics
import Theory

/// A JSON value with object keys kept in insertion order, so output is stable and readable.
public indirect enum JSONValue: Equatable {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    /// Compact serialization; `indent` > 0 pretty-prints with that many spaces per level.
    public func serialized(indent: Int = 2) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        let pad = String(repeating: " ", count: indent * (level + 1))
        let closePad = String(repeating: " ", count: indent * level)
        switch self {
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .integer(let i): out += String(i)
        case .number(let d):
            out += d.isFinite ? String(d) : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            // Arrays of scalars stay on one line.
            let scalar = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            if scalar {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(into: &out, indent: indent, level: level + 1)
                }
                out += "]"
                return
            }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent, level: level + 1)
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += closePad + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (i, (key, value)) in members.enumerated() {
                out += pad
                JSONValue.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent, level: level + 1)
                out += (i + 1 < members.count ? "," : "") + newline
            }
            out += closePad + "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

// MARK: - The output contract "adaptive-kernels/2" (docs/output.md)


/// Helpers that build JSON documents by the output contract (docs/output.md): the envelope,
/// exact parameters, certified values with their enclosures, and estimated / approximate quantity
/// objects. Every real number is a decimal string; a value that is not exact also carries a float.
public enum OutputContract {
    public static let schema = "adaptive-kernels/2"

    /// `{"schema", "version", "command", ...members}`.
    public static func document(command: String, _ members: [(String, JSONValue)]) -> JSONValue {
        .object([("schema", .string(schema)), ("version", .string(AdaptiveKernelsCommandLine.version)),
                 ("command", .string(command))] + members)
    }

    /// A rendered document with its trailing newline.
    static func render(command: String, _ members: [(String, JSONValue)]) -> String {
        document(command: command, members).serialized() + "\n"
    }

    /// The exact decimal of a rational when it terminates ("2.5e-3" -> "0.0025"), else "p/q".
    public static func exactText(_ x: BigRational) -> String {
        if x.isInteger { return x.numerator.decimalString }
        // q = 2^a 5^b r: terminating iff r = 1, with max(a, b) digits after the point.
        var q = x.denominator
        let twos = q.trailingZeroBitCount
        q = q.floorShiftedRight(twos)
        var fives = 0
        let five = BigInt(5)
        while true {
            let quotient = BigInt.floorDivide(q, five)
            guard quotient * five == q else { break }
            q = quotient
            fives += 1
        }
        guard q.compare(to: 1) == 0 else { return x.description }
        let places = max(twos, fives)
        let scaled = BigInt.exactDivide(x.numerator * BigInt.power(base: 10, exponent: places), x.denominator)
        let negative = scaled.signum < 0
        var digits = scaled.magnitude.decimalString
        if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -places)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }

    /// An exact parameter echoed as a string.
    public static func exact(_ x: BigRational) -> JSONValue { .string(exactText(x)) }

    /// beta as an exact string, "inf" for the zero-noise limit.
    public static func exactText(_ beta: InverseTemperature) -> String {
        switch beta {
        case .infinite: return "inf"
        case .finite(let value): return exactText(value)
        }
    }

    public static func exact(_ beta: InverseTemperature) -> JSONValue { .string(exactText(beta)) }

    /// A double as a decimal string with 17 significant digits (round-trips; trailing zeros
    /// dropped), "0" for zero: 0.90934027193076938, 1.0000000000000001e-7.
    public static func decimal17(_ x: Double) -> String {
        guard x != 0 else { return "0" }
        var text = String(format: "%.17g", x)
        // Drop the exponent's leading zeros and plus sign: 1.0000000000000001e-07 -> 1.0000000000000001e-7.
        if let e = text.firstIndex(of: "e") {
            let mantissa = text[..<e]
            var exponent = String(text[text.index(after: e)...])
            let negative = exponent.hasPrefix("-")
            exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
            if exponent.isEmpty { text = String(mantissa) } else { text = mantissa + "e" + (negative ? "-" : "") + exponent }
        }
        return text
    }

    /// `{"value", "float", "kind": "approximate", "residual"?}`; null when the value is not finite.
    public static func approximate(_ x: Double, residual: Double? = nil) -> JSONValue {
        guard x.isFinite else { return .null }
        var members: [(String, JSONValue)] = [("value", .string(decimal17(x))), ("float", .number(x)), ("kind", .string("approximate"))]
        if let residual, residual.isFinite { members.append(("residual", .string(decimal17(residual)))) }
        return .object(members)
    }

    /// `{"value", "float", "kind": "estimated", "standard_error", "systematic"}`; null when not finite.
    public static func estimated(_ e: Estimate) -> JSONValue {
        guard e.value.isFinite, e.standardError.isFinite, e.systematic.isFinite else { return .null }
        return .object([("value", .string(decimal17(e.value))), ("float", .number(e.value)), ("kind", .string("estimated")),
                        ("standard_error", .string(decimal17(e.standardError))), ("systematic", .string(decimal17(e.systematic)))])
    }

    /// A long array of approximate numbers: `{"kind": "approximate", "values", "floats"}`.
    public static func approximateArray(_ xs: [Double]) -> JSONValue {
        .object([("kind", .string("approximate")),
                 ("values", .array(xs.map { $0.isFinite ? .string(decimal17($0)) : .null })),
                 ("floats", .array(xs.map { $0.isFinite ? .number($0) : .null }))])
    }

    /// `key`, `key_lower`, `key_upper` for a certified value: the correctly rounded decimal at
    /// `digits` significant digits and the enclosure rounded outward at `digits + 3`.
    /// Throws when the enclosure does not decide `digits` digits (never a silently wrong number).
    public static func certified(_ key: String, _ x: Interval, digits: Int) throws -> [(String, JSONValue)] {
        if x.isPoint && x.lower.isZero { return [(key, .string("0")), (key + "_lower", .string("0")), (key + "_upper", .string("0"))] }
        let bounds = x.decimalBounds(significantDigits: digits + 3)
        return [(key, .string(try certifiedText(x, digits: digits))), (key + "_lower", .string(bounds.lower)), (key + "_upper", .string(bounds.upper))]
    }

    /// The correctly rounded decimal ("0" for the exact zero), or a SolverError.
    public static func certifiedText(_ x: Interval, digits: Int) throws -> String {
        if x.isPoint && x.lower.isZero { return "0" }
        guard let text = x.certifiedDecimal(significantDigits: digits) else {
            throw SolverError.notConverged("an enclosure is too wide for \(digits) certified digits")
        }
        return text.text
    }

    /// Arrays of certified values: `key` (correctly rounded) with `key_lower`, `key_upper`.
    public static func certifiedArray(_ key: String, _ xs: [Interval], digits: Int) throws -> [(String, JSONValue)] {
        let bounds = xs.map { $0.decimalBounds(significantDigits: digits + 3) }
        return [(key, .array(try xs.map { .string(try certifiedText($0, digits: digits)) })),
                (key + "_lower", .array(bounds.map { .string($0.lower) })),
                (key + "_upper", .array(bounds.map { .string($0.upper) }))]
    }
}

// MARK: - Reading JSON back (tests, and front ends that combine reports)

/// A malformed JSON text: where and why.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// Parses a JSON text, keeping object key order and the difference between integers (no
    /// fraction, no exponent: `.integer`) and other numbers (`.number`). Rejects NaN/Infinity.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONTextParser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("trailing characters") }
        return value
    }

    /// The member named `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }
}

private struct JSONTextParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ literal: String) throws {
        let expected = Array(literal.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw error("expected '\(literal)'")
        }
        index += expected.count
    }

    mutating func value() throws -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw error("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try string()
                skipSpace()
                try expect(":")
                members.append((key, try value()))
                skipSpace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONValue] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                items.append(try value())
                skipSpace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try number()
        }
    }

    mutating func number() throws -> JSONValue {
        let start = index
        var integral = true
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        guard index > digitsStart else { throw error("expected a value") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            let fraction = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > fraction else { throw error("digits expected after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponent = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > exponent else { throw error("digits expected in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let value = Int(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw error("number out of range '\(text)'") }
        return .number(value)
    }

    mutating func string() throws -> String {
        index += 1   // opening quote
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars); run.removeAll() }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { index += 1; flush(); return String(scalars) }
            if byte < 0x20 { throw error("control character in a string") }
            if byte != UInt8(ascii: "\\") { run.append(byte); index += 1; continue }
            flush()
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
                    throw error("bad \\u escape")
                }
                index += 4
                var scalar = code
                if (0xD800...0xDBFF).contains(code), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                   let low = UInt32(String(decoding: bytes[(index + 2)..<(index + 6)], as: UTF8.self), radix: 16), (0xDC00...0xDFFF).contains(low) {
                    index += 6
                    scalar = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("bad \\u escape") }
                scalars.append(unicode)
            default: throw error("bad escape")
            }
        }
        throw error("unterminated string")
    }
}
