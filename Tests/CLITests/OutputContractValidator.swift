import Foundation
import Numerics
@testable import AdaptiveKernelsCLI

/// Checks a JSON document against the output contract "adaptive-kernels/2" (docs/output.md): the
/// envelope, the general rules (snake_case keys, no floats outside quantity objects, quantity
/// objects well formed, enclosures containing their values) and the per-command keys and types of
/// docs/output-schema.json. Returns every violation as "path: what".
struct OutputContractValidator {
    let schema: JSONValue

    static let decimalPattern = try! NSRegularExpression(pattern: "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$")
    static let rationalPattern = try! NSRegularExpression(pattern: "^-?[0-9]+/[1-9][0-9]*$")
    static let keyPattern = try! NSRegularExpression(pattern: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

    static func matches(_ pattern: NSRegularExpression, _ text: String) -> Bool {
        pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func isDecimal(_ text: String) -> Bool { matches(decimalPattern, text) }
    static func isExact(_ text: String) -> Bool { text == "inf" || isDecimal(text) || matches(rationalPattern, text) }

    /// The schema of docs/output-schema.json in this checkout.
    static func load() throws -> OutputContractValidator {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/output-schema.json")
        return OutputContractValidator(schema: try JSONValue.parse(String(contentsOf: url, encoding: .utf8)))
    }

    /// Violations of `text` as the JSON output of `command` ("overlaps", "kernels --exact", ...).
    func violations(_ text: String, command: String) -> [String] {
        let document: JSONValue
        do { document = try JSONValue.parse(text) } catch { return ["not JSON: \(error)"] }
        var problems: [String] = []
        guard case .object(let members) = document else { return ["the document is not an object"] }
        let envelope = members.prefix(3).map(\.0)
        if envelope != ["schema", "version", "command"] { problems.append("first keys are \(envelope), not schema, version, command") }
        if document["schema"] != .string(OutputContract.schema) { problems.append("schema is not \(OutputContract.schema)") }
        if document["version"] != .string(AdaptiveKernelsCommandLine.version) { problems.append("version is not \(AdaptiveKernelsCommandLine.version)") }
        if document["command"] != .string(command) { problems.append("command is \(document["command"].map { $0.serialized(indent: 0) } ?? "missing"), expected \(command)") }
        general(document, path: "$", key: nil, into: &problems)
        if let spec = schema["commands"]?[command] {
            check(document, against: spec, path: "$", into: &problems)
        } else {
            problems.append("no schema for command '\(command)'")
        }
        return problems
    }

    // MARK: general rules

    func general(_ value: JSONValue, path: String, key: String?, into problems: inout [String]) {
        switch value {
        case .number:
            if key != "float" && key != "floats" { problems.append("\(path): a JSON float outside a quantity object (reals are decimal strings)") }
        case .array(let items):
            for (i, item) in items.enumerated() { general(item, path: "\(path)[\(i)]", key: key, into: &problems) }
        case .object(let members):
            for (k, v) in members {
                if !Self.matches(Self.keyPattern, k) { problems.append("\(path): key '\(k)' is not snake_case ASCII") }
                general(v, path: "\(path).\(k)", key: k, into: &problems)
            }
            quantity(value, path: path, into: &problems)
            enclosures(members, path: path, into: &problems)
        default: break
        }
    }

    /// {"value", "float", "kind", ...} and {"kind", "values", "floats"}.
    func quantity(_ object: JSONValue, path: String, into problems: inout [String]) {
        if let float = object["float"] {
            guard case .string(let text)? = object["value"], Self.isDecimal(text) else { problems.append("\(path): float without a decimal-string value"); return }
            guard case .number(let x) = float, let parsed = Double(text) else { problems.append("\(path).float: not a number"); return }
            if abs(parsed - x) > 1e-15 * max(abs(x), abs(parsed)) { problems.append("\(path): value \(text) and float \(x) differ") }
            switch object["kind"] {
            case .string("approximate")?:
                if let residual = object["residual"], !isDecimalString(residual) { problems.append("\(path).residual: not a decimal string") }
            case .string("estimated")?:
                for k in ["standard_error", "systematic"] where !(object[k].map(isDecimalString) ?? false) {
                    problems.append("\(path).\(k): an estimated value needs it as a decimal string")
                }
            default: problems.append("\(path).kind: must be approximate or estimated")
            }
        }
        if let floats = object["floats"] {
            guard case .array(let xs) = floats, case .array(let texts)? = object["values"], xs.count == texts.count else {
                problems.append("\(path): floats without values of the same length"); return
            }
            for (i, (f, t)) in zip(xs, texts).enumerated() {
                switch (f, t) {
                case (.number(let x), .string(let s)):
                    if !Self.isDecimal(s) || abs((Double(s) ?? .nan) - x) > 1e-15 * abs(x) { problems.append("\(path).values[\(i)]: \(s) vs \(x)") }
                case (.integer, _): problems.append("\(path).floats[\(i)]: an integer where a float is expected")
                case (.null, .null): break
                default: problems.append("\(path)[\(i)]: value/float mismatch")
                }
            }
            if object["kind"] != .string("approximate") && object["kind"] != .string("estimated") { problems.append("\(path).kind: must be approximate or estimated") }
        }
    }

    func isDecimalString(_ value: JSONValue) -> Bool {
        if case .string(let s) = value { return Self.isDecimal(s) }
        return false
    }

    /// Half a unit in the last digit of a decimal string ("1.25" -> 0.005, "3e-7" -> 5e-8,
    /// "1200" -> 0.5 unless trailing zeros: then half of 10^zeros).
    static func halfUnit(_ text: String) -> BigRational {
        var mantissa = text.hasPrefix("-") ? String(text.dropFirst()) : text
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(mantissa[mantissa.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
            mantissa = String(mantissa[..<e])
        }
        if let dot = mantissa.firstIndex(of: ".") {
            exponent -= mantissa.distance(from: dot, to: mantissa.endIndex) - 1
        } else if mantissa != "0" {
            exponent += mantissa.reversed().prefix { $0 == "0" }.count
        }
        let unit = exponent >= 0 ? BigRational(BigInt.power(base: 10, exponent: exponent)) : BigRational(BigInt.one, BigInt.power(base: 10, exponent: -exponent))
        return unit * BigRational(1, 2)
    }

    /// Every `x_lower`/`x_upper` pair: decimal strings with lower <= upper; when `x` is present, it
    /// is the correctly rounded value of every point of the enclosure:
    /// x - u/2 <= lower <= upper <= x + u/2, u the unit of x's last digit (exact arithmetic).
    /// Arrays entry by entry; null entries skipped.
    func enclosures(_ members: [(String, JSONValue)], path: String, into problems: inout [String]) {
        let table = Dictionary(members, uniquingKeysWith: { first, _ in first })
        for (k, lower) in members where k.hasSuffix("_lower") {
            let base = String(k.dropLast("_lower".count))
            guard let upper = table[base + "_upper"] else { problems.append("\(path).\(k): no \(base)_upper"); continue }
            func triples() -> [(JSONValue?, JSONValue, JSONValue)] {
                switch (table[base], lower, upper) {
                case (.array(let vs)?, .array(let ls), .array(let us)) where vs.count == ls.count && ls.count == us.count:
                    return (0..<ls.count).map { (vs[$0], ls[$0], us[$0]) }
                case (nil, .array(let ls), .array(let us)) where ls.count == us.count:
                    return (0..<ls.count).map { (nil, ls[$0], us[$0]) }
                case (let v, .string, .string): return [(v, lower, upper)]
                default: problems.append("\(path).\(base): value and enclosure shapes differ"); return []
                }
            }
            for (i, (value, l, u)) in triples().enumerated() {
                guard case .string(let ls) = l, case .string(let us) = u, Self.isDecimal(ls), Self.isDecimal(us),
                      let lo = try? BigRational(parsing: ls), let hi = try? BigRational(parsing: us) else {
                    problems.append("\(path).\(base)[\(i)]: bounds are not decimal strings"); continue
                }
                if hi < lo { problems.append("\(path).\(base)[\(i)]: lower \(ls) > upper \(us)") }
                if case .string(let vs)? = value {
                    guard Self.isDecimal(vs), let v = try? BigRational(parsing: vs) else { problems.append("\(path).\(base)[\(i)]: '\(vs)' is not a decimal string"); continue }
                    let h = Self.halfUnit(vs)
                    if lo < v - h || v + h < hi { problems.append("\(path).\(base)[\(i)]: \(vs) is not the correctly rounded value of [\(ls), \(us)]") }
                }
            }
        }
    }

    // MARK: per-command keys and types

    func resolve(_ spec: JSONValue) -> JSONValue {
        if case .string(let name) = spec, name.hasPrefix("#"), let defined = schema["types"]?[String(name.dropFirst())] { return resolve(defined) }
        return spec
    }

    func check(_ value: JSONValue, against rawSpec: JSONValue, path: String, into problems: inout [String]) {
        // "#a|#b": either named type (the first that matches without problems).
        if case .string(let name) = rawSpec, name.hasPrefix("#"), name.contains("|") {
            for alternative in name.split(separator: "|").map(String.init) {
                var trial: [String] = []
                check(value, against: .string(alternative), path: path, into: &trial)
                if trial.isEmpty { return }
            }
            problems.append("\(path): matches none of \(name)")
            return
        }
        // "#type?": a named type that may be null.
        if case .string(let name) = rawSpec, name.hasPrefix("#"), name.hasSuffix("?") {
            if value == .null { return }
            return check(value, against: .string(String(name.dropLast())), path: path, into: &problems)
        }
        let spec = resolve(rawSpec)
        switch spec {
        case .string(var type):
            if type.hasSuffix("?") {
                if value == .null { return }
                type.removeLast()
            }
            if type.hasPrefix("enum:") {
                let allowed = type.dropFirst(5).split(separator: "|").map(String.init)
                guard case .string(let s) = value, allowed.contains(s) else { problems.append("\(path): not one of \(allowed)"); return }
                return
            }
            let alternatives = type.split(separator: "|").map(String.init)
            if !alternatives.contains(where: { conforms(value, to: $0) }) {
                problems.append("\(path): expected \(type), got \(value.serialized(indent: 0).prefix(80))")
            }
        case .array(let items):
            guard case .array(let values) = value else { problems.append("\(path): expected an array"); return }
            if let item = items.first { for (i, v) in values.enumerated() { check(v, against: item, path: "\(path)[\(i)]", into: &problems) } }
        case .object(let keys):
            guard case .object(let members) = value else { problems.append("\(path): expected an object"); return }
            if keys.count == 1, keys[0].0 == "*" {
                for (k, v) in members { check(v, against: keys[0].1, path: "\(path).\(k)", into: &problems) }
                return
            }
            for (key, s) in keys {
                // "key?": an optional key, checked when present.
                let optional = key.hasSuffix("?"), k = optional ? String(key.dropLast()) : key
                guard let v = value[k] else { if !optional { problems.append("\(path): missing key '\(k)'") }; continue }
                check(v, against: s, path: "\(path).\(k)", into: &problems)
                // A certified value carries its enclosure (checked to contain it by `enclosures`).
                if case .string(let t) = resolve(s), t.split(separator: "|").contains(where: { $0.hasPrefix("certified") }),
                   conforms(v, to: "certified") || conforms(v, to: "certified_array"),
                   value[k + "_lower"] == nil || value[k + "_upper"] == nil {
                    problems.append("\(path).\(k): certified without \(k)_lower and \(k)_upper")
                }
            }
        default: problems.append("\(path): bad schema entry")
        }
    }

    /// Types whose enclosure siblings are checked by `enclosures` (certified, certified_array) only
    /// check their own shape here.
    func conforms(_ value: JSONValue, to type: String) -> Bool {
        switch (type, value) {
        case ("any", _): return true
        case ("string", .string): return true
        case ("integer", .integer): return true
        case ("boolean", .bool): return true
        case ("decimal", .string(let s)), ("certified", .string(let s)): return Self.isDecimal(s)
        case ("exact", .string(let s)): return Self.isExact(s)
        case ("certified_array", .array(let items)): return items.allSatisfy(isDecimalString)
        case ("approximate", .object), ("estimated", .object):
            return value["kind"] == .string(type) && value["float"] != nil
        case ("approximate_array", .object): return value["kind"] == .string("approximate") && value["floats"] != nil
        default: return false
        }
    }
}
