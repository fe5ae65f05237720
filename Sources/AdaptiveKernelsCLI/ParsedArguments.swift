import Core

/// A usage mistake on the command line: reported as one line on stderr with exit code 2.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `--name value`, `--name=value` and bare `--flag` options after a subcommand, checked against
/// the options the subcommand declares. Small on purpose: the package takes no dependencies.
public struct ParsedArguments: Equatable {
    public private(set) var values: [String: String] = [:]
    public private(set) var flags: Set<String> = []

    /// - Parameters:
    ///   - valued: option names (without "--") that take a value
    ///   - switches: option names that take none
    public init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw UsageError("unexpected argument '\(argument)' (options start with --)")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String? = nil
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if switches.contains(name) {
                guard inlineValue == nil else { throw UsageError("option --\(name) takes no value") }
                flags.insert(name)
            } else if valued.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    index += 1
                    guard index < arguments.count else { throw UsageError("option --\(name) needs a value") }
                    value = arguments[index]
                }
                guard values[name] == nil else { throw UsageError("option --\(name) given twice") }
                guard !value.isEmpty else { throw UsageError("option --\(name) has an empty value") }
                values[name] = value
            } else {
                let known = (valued.union(switches)).sorted().map { "--" + $0 }.joined(separator: ", ")
                throw UsageError("unknown option --\(name) (known: \(known))")
            }
            index += 1
        }
    }

    public func value(_ name: String) -> String? { values[name] }

    public func required(_ name: String) throws -> String {
        guard let value = values[name] else { throw UsageError("missing required option --\(name)") }
        return value
    }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// `--seed S` (a non-negative integer), or the default when absent.
    public func seed(default fallback: UInt64 = 1) throws -> UInt64 {
        guard let text = values["seed"] else { return fallback }
        guard let value = UInt64(text) else { throw UsageError("--seed must be a non-negative integer (got '\(text)')") }
        return value
    }

    /// `--activation A` (identity, relu, tanh, erf), or `fallback` when absent; required when there is no fallback.
    public func activation(default fallback: Activation? = nil) throws -> Activation {
        guard let name = values["activation"] else {
            if let fallback { return fallback }
            throw UsageError("missing required option --activation")
        }
        do { return try Activation(name: name) } catch let error as InputError { throw UsageError("--activation: \(error.description)") }
    }

    /// A positive finite number option (decimal), or the default when absent.
    public func positiveNumber(_ name: String, default fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text), value > 0, value.isFinite else { throw UsageError("--\(name) must be a positive number (got '\(text)')") }
        return value
    }

    /// An integer option within bounds, or the default when absent.
    public func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound) (got '\(text)')")
        }
        return value
    }
}
