import Foundation
import Core

/// `adaptive-kernels merge SHARD...`: joins the shard files of one sharded run (`--shard I/N` of
/// `sweep` or a verify plan) into exactly the output of the unsharded run (byte for byte), in any
/// order of the files. Refuses (exit 2) shards of different runs, a missing or repeated shard, or a
/// file that is not a shard. A verify merge exits as the plan does (0 pass, 3 fail, 4 inconclusive).
enum MergeCommand {
    static let subcommand = Subcommand(name: "merge", summary: "join the shard files of a sweep or verify run made with --shard I/N",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels merge SHARD_FILE... [--out FILE]
      Joins the N files written by 'sweep ... --shard I/N' (csv or json) or 'verify PLAN ... --shard I/N'
      for I = 1..N into the output the same command writes without --shard, byte for byte (the files
      may come in any order). Verify shards hold their cases; the merge puts them back into the plan's
      one Bonferroni family, renders the report as the shards' --format asked, and exits with the
      plan's status (0 all pass, 3 any fail, 4 inconclusive without fail).
      Recipes: a Slurm job array (#SBATCH --array=1-64) runs
        adaptive-kernels sweep ... --shard ${SLURM_ARRAY_TASK_ID}/64 --out part-${SLURM_ARRAY_TASK_ID}.csv
      and GNU parallel runs
        parallel adaptive-kernels sweep ... --shard {}/64 --out part-{}.csv ::: $(seq 64)
      then: adaptive-kernels merge part-*.csv --out sweep.csv
    """

    static func run(_ arguments: [String]) throws -> String {
        guard !arguments.isEmpty else { throw UsageError("merge needs the shard files") }
        if let option = arguments.first(where: { $0.hasPrefix("--") }) { throw UsageError("merge: unknown option \(option)") }
        var texts: [(String, String)] = []
        for path in arguments {
            guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("merge: cannot read '\(path)'") }
            texts.append((path, String(decoding: data, as: UTF8.self)))
        }
        if texts.allSatisfy({ $0.1.hasPrefix("# adaptive-kernels shard ") }) { return try csv(texts) }
        guard texts.allSatisfy({ $0.1.hasPrefix("{") }) else {
            throw UsageError("merge: the files must all be csv shards (first line '# adaptive-kernels shard I/N ...') or all json shards")
        }
        var documents: [(path: String, value: JSONValue, shard: Shard, total: Int, arguments: String)] = []
        for (path, text) in texts {
            let value: JSONValue
            do { value = try JSONValue.parse(text) } catch { throw UsageError("merge: '\(path)' is not JSON (\(error))") }
            guard case .object(let members)? = value["shard"],
                  case .integer(let index)? = value["shard"]?["index"], case .integer(let count)? = value["shard"]?["count"],
                  let shard = Shard(index: index, count: count), members.count == 4, case .integer(let total) = members[2].1,
                  case .string(let canonical)? = value["shard"]?["arguments"] else {
                throw UsageError("merge: '\(path)' is not a shard document (no valid \"shard\" member)")
            }
            documents.append((path, value, shard, total, canonical))
        }
        try checkComplete(documents.map { ($0.path, $0.shard, "\($0.value["command"].map { $0.serialized() } ?? "") \($0.value["version"].map { $0.serialized() } ?? "") \($0.total) \($0.arguments)") })
        let ordered = documents.sorted { $0.shard.index < $1.shard.index }
        guard case .string(let command)? = ordered[0].value["command"] else { throw UsageError("merge: '\(ordered[0].path)' has no command") }
        if command.hasPrefix("verify ") { return try verify(ordered.map { ($0.path, $0.value) }, command: command) }
        guard command == "sweep" else { throw UsageError("merge: cannot merge shards of '\(command)'") }
        // Sweep JSON: every member but "shard" and "results" must agree; results are concatenated.
        var results: [JSONValue] = []
        for document in ordered {
            guard case .object(let members) = document.value, case .array(let rows)? = document.value["results"] else {
                throw UsageError("merge: '\(document.path)' has no results")
            }
            let rest = members.filter { $0.0 != "shard" && $0.0 != "results" }
            guard case .object(let firstMembers) = ordered[0].value,
                  JSONValue.object(rest) == JSONValue.object(firstMembers.filter { $0.0 != "shard" && $0.0 != "results" }) else {
                throw UsageError("merge: '\(document.path)' does not belong to the run of '\(ordered[0].path)'")
            }
            results += rows
        }
        guard case .object(let members) = ordered[0].value else { throw UsageError("merge: not an object") }
        let merged = members.filter { $0.0 != "shard" }.map { $0.0 == "results" ? ($0.0, JSONValue.array(results)) : $0 }
        return JSONValue.object(merged).serialized() + "\n"
    }

    /// Every index 1..N exactly once, all with the same N and the same run key.
    static func checkComplete(_ shards: [(path: String, shard: Shard, key: String)]) throws {
        let first = shards[0]
        for s in shards {
            guard s.shard.count == first.shard.count, s.key == first.key else {
                throw UsageError("merge: '\(s.path)' (shard \(s.shard.description)) does not belong to the run of '\(first.path)' (shard \(first.shard.description))")
            }
        }
        let indices = shards.map(\.shard.index).sorted()
        if let repeated = zip(indices, indices.dropFirst()).first(where: { $0 == $1 })?.0 { throw UsageError("merge: shard \(repeated)/\(first.shard.count) is given twice") }
        let missing = Set(1...first.shard.count).subtracting(indices).sorted()
        guard missing.isEmpty else {
            throw UsageError("merge: shard\(missing.count > 1 ? "s" : "") \(missing.prefix(8).map { "\($0)/\(first.shard.count)" }.joined(separator: ", "))\(missing.count > 8 ? ", ..." : "") missing")
        }
    }

    /// CSV sweep shards: the marker line names the shard and the run; the header must agree.
    static func csv(_ texts: [(String, String)]) throws -> String {
        var parts: [(path: String, shard: Shard, key: String, body: Substring)] = []
        for (path, text) in texts {
            guard let newline = text.firstIndex(of: "\n") else { throw UsageError("merge: '\(path)' has only a marker line") }
            let marker = text[..<newline].dropFirst("# adaptive-kernels shard ".count)
            guard let space = marker.firstIndex(of: " "), let shard = Shard(parsing: String(marker[..<space])) else {
                throw UsageError("merge: '\(path)': the first line does not name a shard I/N")
            }
            parts.append((path, shard, String(marker[space...]), text[text.index(after: newline)...]))
        }
        try checkComplete(parts.map { ($0.path, $0.shard, $0.key) })
        let ordered = parts.sorted { $0.shard.index < $1.shard.index }
        let header = ordered[0].body.prefix { $0 != "\n" }
        var out = String(header) + "\n"
        for part in ordered {
            guard part.body.prefix(while: { $0 != "\n" }) == header else { throw UsageError("merge: '\(part.path)' has another header") }
            out += part.body.dropFirst(header.count + 1)
        }
        return out
    }

    /// Verify shards: the plan's cases back in one family, rendered as the shards asked.
    static func verify(_ documents: [(path: String, value: JSONValue)], command: String) throws -> String {
        var reports: [VerificationReport] = []
        for document in documents {
            guard let encoded = document.value["report"] else { throw UsageError("merge: '\(document.path)' has no report") }
            do { reports.append(try ShardedOutput.decodeReport(encoded)) } catch {
                throw UsageError("merge: '\(document.path)': the report cannot be read (\(error))")
            }
        }
        let first = reports[0]
        for (document, report) in zip(documents, reports) where report.plans != first.plans || report.seed != first.seed
            || report.perturbExactText != first.perturbExactText || report.falseAlarmRate != first.falseAlarmRate {
            throw UsageError("merge: '\(document.path)' comes from another plan, seed or perturbation than '\(documents[0].path)'")
        }
        guard case .string(let format)? = documents[0].value["format"], case .string(let title)? = documents[0].value["title"] else {
            throw UsageError("merge: '\(documents[0].path)' lacks the format or title of the report")
        }
        return try VerificationRendering.finish(VerificationReport.merged(shards: reports), command: command, json: format == "json", title: title)
    }
}
