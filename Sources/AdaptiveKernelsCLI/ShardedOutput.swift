import Foundation
import Core

/// `--shard I/N` (sweep and every verify plan): run block I of N of the work (Core.Shard) and
/// write a shard document that `adaptive-kernels merge` joins into the unsharded output, byte for
/// byte. Sweep shards are the sweep's own CSV or JSON with the shard marked (a first comment line
/// `# adaptive-kernels shard I/N ...`, or a `"shard"` member); verify shards carry the plan's
/// report for the cases of their steps (verdicts are final only after the merge, which puts all
/// cases back into one Bonferroni family).
enum ShardedOutput {
    /// The parsed `--shard`, nil when absent.
    static func parse(_ options: ParsedArguments) throws -> Shard? {
        guard let text = options.value("shard") else { return nil }
        guard let shard = Shard(parsing: text) else {
            throw UsageError("--shard must be I/N with 1 <= I <= N (got '\(text)')")
        }
        return shard
    }

    /// The options that define the work, in a canonical order (the shard and output options left
    /// out): shards of one run agree on it, and `merge` checks that they do.
    static func canonicalArguments(_ options: ParsedArguments, excluding: Set<String> = ["shard", "out"]) -> String {
        let valued = options.values.filter { !excluding.contains($0.key) }.sorted { $0.key < $1.key }.map { "--\($0.key) \($0.value)" }
        return (valued + options.flags.sorted().map { "--\($0)" }).joined(separator: " ")
    }

    /// The `"shard"` member of a shard document.
    static func member(_ shard: Shard, of total: Int, unit: String, arguments: String) -> (String, JSONValue) {
        ("shard", .object([("index", .integer(shard.index)), ("count", .integer(shard.count)),
                           (unit, .integer(total)), ("arguments", .string(arguments))]))
    }

    /// First line of a CSV shard.
    static func csvMarker(command: String, shard: Shard, total: Int, arguments: String) -> String {
        "# adaptive-kernels shard \(shard.index)/\(shard.count) of \(command): \(total) points; \(arguments)"
    }

    /// The document a verify shard writes: its cases (the plan's `VerificationReport`, Codable) and
    /// how the merged report is rendered.
    static func verifyDocument(_ report: VerificationReport, command: String, shard: Shard, steps: Int,
                               arguments: String, json: Bool, title: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let encoded = try JSONValue.parse(String(decoding: try encoder.encode(report), as: UTF8.self))
        return OutputContract.render(command: command, [
            member(shard, of: steps, unit: "steps", arguments: arguments),
            ("format", .string(json ? "json" : "table")),
            ("title", .string(title)),
            ("report", encoded),
        ])
    }

    static func decodeReport(_ value: JSONValue) throws -> VerificationReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(VerificationReport.self, from: Data(value.serialized(indent: 0).utf8))
    }
}
