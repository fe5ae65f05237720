import Foundation
import Numerics

/// Parameter lists, the one list syntax of every list option: comma-separated items, each a value
/// or an inclusive range `a...b` (step 1) or `a...b:step`, all read exactly; `a..b` is accepted
/// as the same range.
enum ParameterList {
    /// Most values one list may expand to, so a typo cannot ask for a billion solves.
    static let maximumCount = 100_000

    static func rationals(_ text: String, option: String) throws -> [String] {
        var values: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map({ trimmingWhitespace($0) }) {
            guard !item.isEmpty else { throw UsageError("--\(option): empty item in list '\(text)'") }
            guard let rangeMarker = item.range(of: "...") ?? item.range(of: "..") else { values.append(item); continue }
            let start = String(item[..<rangeMarker.lowerBound])
            var rest = String(item[rangeMarker.upperBound...])
            var stepText = "1"
            if let colon = rest.firstIndex(of: ":") {
                stepText = String(rest[rest.index(after: colon)...])
                rest = String(rest[..<colon])
            }
            let low = try number(start, option: option), high = try number(rest, option: option)
            let step = try number(stepText, option: option)
            guard step.signum > 0 else { throw UsageError("--\(option): range step must be > 0 in '\(item)'") }
            guard low <= high else { throw UsageError("--\(option): empty range '\(item)'") }
            if low.isInteger && high.isInteger && step.isInteger, let first = low.numerator.intValue,
               let last = high.numerator.intValue, let increment = step.numerator.intValue {
                // Integer ranges (depths, layers) in machine integers: the same texts as BigRational's.
                var value = first
                while value <= last {
                    values.append(String(value))
                    guard values.count <= maximumCount else { throw UsageError("--\(option): more than \(maximumCount) values") }
                    let (next, overflow) = value.addingReportingOverflow(increment)
                    if overflow { break }
                    value = next
                }
                continue
            }
            var value = low
            while value <= high {
                values.append(value.description)
                value = value + step
                guard values.count <= maximumCount else { throw UsageError("--\(option): more than \(maximumCount) values") }
            }
        }
        guard values.count <= maximumCount else { throw UsageError("--\(option): more than \(maximumCount) values") }
        return values
    }

    /// A list of integers in `range` (depths, layers), in the order given.
    static func integers(_ text: String, option: String, in range: ClosedRange<Int>, what: String = "an integer") throws -> [Int] {
        try rationals(text, option: option).map { item in
            guard let value = Int(item), range.contains(value) else {
                throw UsageError("--\(option): '\(item)' is not \(what) in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
    }

    /// Beta values: a list of exact rationals and "inf".
    static func betas(_ text: String, option: String = "beta") throws -> [String] {
        try text.split(separator: ",", omittingEmptySubsequences: false).flatMap { item -> [String] in
            let trimmed = trimmingWhitespace(item)
            return trimmed.lowercased() == "inf" ? ["inf"] : try rationals(trimmed, option: option)
        }
    }

    /// `text` without leading and trailing tabs and space separators (Unicode category Zs), the set
    /// Foundation's `CharacterSet.whitespaces` names, trimmed in the standard library: Foundation's
    /// `trimmingCharacters(in:)` goes through NSString and generic code whose first use costs about
    /// 0.7 million instructions of run-time type lookups, 14 % of a one-root `sweep` process.
    static func trimmingWhitespace(_ text: Substring) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || (scalar.value > 0x7F && scalar.properties.generalCategory == .spaceSeparator)
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }

    private static func number(_ text: String, option: String) throws -> BigRational {
        do { return try BigRational(parsing: text) } catch let error as RationalParseError {
            throw UsageError("--\(option): \(error)")
        }
    }
}
