import Foundation
import Numerics
import Simulation
import Studies
import Core

/// `adaptive-kernels verify bayes|antk|all ...`: independent numerical verification of the exact theory.
/// Dispatches on the first argument: `bayes`, `antk` (VerifyANTKCommand), `all`.
enum VerifyCommand {
    static let subcommand = Subcommand(name: "verify", summary: "numerical cross-checks of the exact theory (bayes: min-max and Langevin networks; antk: DMFT and gradient flow)",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels verify bayes [--quick | --smoke] [--seed S] [--format table|json] [--digits DIR] [--case TEXT]
           adaptive-kernels verify minmax-step [--points P] [--depth L] [--samples N] [--activation A] [--repeat R]
           adaptive-kernels verify minmax-trace [--gamma G] [--beta B] [--depth L] [--samples N] [--iterations T] [--every K] [--seed S]
           adaptive-kernels verify bayes-kernels [--method langevin|minmax] [--activation A] [--gamma G] [--beta B] [--depth L]
                                                 [--width N] [--time T] [--samples N] [--iterations T] [--seed S] [--digits DIR]
      bayes: min-max aNBK solver (Algorithm 1, importance sampling) and finite-width Langevin networks
        (widths 256..2048, extrapolated in 1/N) against the certified exact overlaps, a direct general-C
        saddle, and each other for ReLU/tanh (notes/verify-bayes.md). Each case passes when the
        difference is within k combined standard errors (Student t, 19 dof, p = 0.002 per case, Bonferroni
        over entries) plus the stated systematic bounds.
        --quick: a reduced plan (about 2 CPU-minutes); --smoke: toy sizes, seconds (pipeline check).
        --digits DIR: the digits subset (X_train.npy, y_train.npy, X_test.npy, y_test.npy; default
        Tests/Fixtures/digits when present) for the ReLU/tanh cases, first 8 training and 2 test points.
        --case TEXT: run only the cases whose name contains TEXT (case-insensitive); seeds are those of
        the whole plan, so a selected case reproduces its full-plan result. No match: exit status 2.
        Exit status 3 if any case fails.
      minmax-step: time one min-max iteration (benchmark; bench/minmax_step.py).
      minmax-trace: c_L at every K-th iteration of one min-max run, whitened linear problem (P = 3), from
        the lazy start (relaxation time for the burn-in).
      bayes-kernels: mean kernels Phi^1..Phi^L (JSON) of one Langevin run (width N, measured time T) or
        one min-max run (n samples, T iterations, the second half averaged) on the digits subset.
           adaptive-kernels verify all [--quick] [--seed S] [--format table|json]
      all: both verifiers with the same seed; one report (JSON: both case lists in "cases");
        exit status 3 if any case of either fails.

    """ + VerifyANTKCommand.usage + VerifyNDKCommand.usage

    static func run(_ arguments: [String]) throws -> String {
        guard let side = arguments.first else { throw UsageError("verify needs a side: bayes, antk, ndk or all") }
        let rest = Array(arguments.dropFirst())
        switch side {
        case "bayes": return try VerifyBayes.run(rest)
        case "minmax-step": return try MinMaxStepBenchmark.run(rest)
        case "minmax-trace": return try MinMaxTrace.run(rest)
        case "bayes-kernels": return try BayesKernels.run(rest)
        case "antk": return try VerifyANTKCommand.run(rest)
        case "ndk": return try VerifyNDKCommand.run(rest)
        case "all": return try VerifyAll.run(rest)
        default: throw UsageError("unknown verify side '\(side)' (known: bayes, antk, ndk, all)")
        }
    }

    /// Progress on stderr, only when it is a terminal: one self-overwriting line.
    static func progressReporter() -> ((String) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        let start = Date()
        return { message in
            let line = String(format: "\r[%5.0fs] %@", Date().timeIntervalSince(start), message).padding(toLength: 100, withPad: " ", startingAt: 0)
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
    }
}

enum VerifyBayes {
    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["seed", "format", "digits", "case"], switches: ["quick", "smoke"])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        var seed: UInt64 = 1
        if let text = options.value("seed") {
            guard let value = UInt64(text) else { throw UsageError("--seed must be a non-negative integer (got '\(text)')") }
            seed = value
        }
        guard !(options.has("quick") && options.has("smoke")) else { throw UsageError("--quick and --smoke exclude each other") }
        var plan = options.has("smoke") ? BayesVerification.Plan.smoke(seed: seed)
            : options.has("quick") ? BayesVerification.Plan.quick(seed: seed) : BayesVerification.Plan.full(seed: seed)
        if let directory = options.value("digits") {
            guard FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("X_train.npy")) else {
                throw UsageError("--digits: no X_train.npy in '\(directory)'")
            }
            plan.digitsDirectory = directory
        } else if !options.has("smoke"), FileManager.default.fileExists(atPath: "Tests/Fixtures/digits/X_train.npy") {
            plan.digitsDirectory = "Tests/Fixtures/digits"
        }
        if let filter = options.value("case") {
            guard !filter.isEmpty else { throw UsageError("--case needs a non-empty text") }
            plan.caseFilter = filter
        }
        let progress = VerifyCommand.progressReporter()
        LinearAlgebra.setThreadCount(1)
        let cases = try BayesVerification(plan: plan).run(progress: progress)
        if cases.isEmpty { throw UsageError("--case '\(plan.caseFilter ?? "")' matches no case of the \(options.has("smoke") ? "smoke" : options.has("quick") ? "quick" : "full") plan") }
        if progress != nil { FileHandle.standardError.write("\r\(String(repeating: " ", count: 100))\r".data(using: .utf8)!) }
        let output = format == .json ? VerificationReport.json(cases).serialized() + "\n" : VerificationReport.table(cases, seed: seed, plan: options.has("smoke") ? "smoke" : options.has("quick") ? "quick" : "full")
        let failed = cases.filter { !$0.pass }
        if !failed.isEmpty {
            throw CommandFailure(message: "\(failed.count) of \(cases.count) verification cases failed: " + failed.map(\.name).joined(separator: "; "),
                                 standardOutput: output)
        }
        return output
    }
}

/// Table and JSON renderings of verification cases.
enum VerificationReport {
    static func number(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "—" }

    static func text(_ e: Estimate?) -> String {
        guard let e else { return "—" }
        guard e.value.isFinite else { return "—" }
        var s = String(format: "%.6g ± %.2g", e.value, e.standardError)
        if e.systematic > 0 { s += String(format: " (+sys %.2g)", e.systematic) }
        return s
    }

    static func table(_ cases: [VerificationCase], seed: UInt64, plan: String) -> String {
        var lines = ["Bayesian verifier (notes/verify-bayes.md): exact theory vs min-max (Algorithm 1) vs Langevin networks (N -> inf)",
                     "seed \(seed), \(plan) plan; errors: 1 standard error (20 batch means) + systematic bounds; tolerance = k se + systematic, k = Student t(19) at p = 0.002 per case (\(String(format: "%.2f", VerificationCase.standardErrors())))",
                     ""]
        let rows = cases.map { c -> [String] in
            let mm = c.estimates.first(where: { $0.name == "minmax" })?.estimate
            let lv = c.estimates.first(where: { $0.name == "langevin" })?.estimate
            return [c.name, c.exact.map(number) ?? "—", text(mm), text(lv), number(c.tolerance), c.pass ? "pass" : "FAIL"]
        }
        let header = ["case", "exact", "min-max ± err", "Langevin(N->inf) ± err", "tolerance", "verdict"]
        let widths = (0..<header.count).map { i in ([header] + rows).map { $0[i].count }.max()! }
        func format(_ row: [String]) -> String {
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        lines.append(format(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map(format)
        lines.append("")
        for c in cases where !c.note.isEmpty { lines.append("- \(c.name): \(c.note)") }
        let failed = cases.filter { !$0.pass }.count
        lines.append("")
        lines.append(failed == 0 ? "all \(cases.count) cases pass" : "\(failed) of \(cases.count) cases FAIL")
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ cases: [VerificationCase]) -> JSONValue {
        .object([("cases", .array(cases.map { c in
            .object([
                ("name", .string(c.name)),
                ("exact", c.exact.map { JSONValue.number($0) } ?? .null),
                ("estimates", .object(c.estimates.map { e in
                    (e.name, .object([("value", .number(e.estimate.value)), ("standard_error", .number(e.estimate.standardError)),
                                      ("systematic", .number(e.estimate.systematic))]))
                })),
                ("tolerance", .number(c.tolerance)),
                ("pass", .bool(c.pass)),
                ("note", .string(c.note)),
            ])
        }))])
    }
}

/// `verify all`: the aNTK and Bayesian verifiers in one run and one report.
enum VerifyAll {
    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["seed", "format"], switches: ["quick"])
        let json = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table) == .json
        var outputs: [String] = []
        var failures: [String] = []
        for (name, side) in [("antk", VerifyANTKCommand.run), ("bayes", VerifyBayes.run)] as [(String, ([String]) throws -> String)] {
            do { outputs.append(try side(arguments)) } catch let failure as CommandFailure {
                outputs.append(failure.standardOutput)
                failures.append("\(name): \(failure.message)")
            }
        }
        let report: String
        if json {
            // Both reports are {"cases": [...]}: concatenate the case lists.
            let lists = try outputs.map { text -> [Any] in
                guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      let cases = object["cases"] as? [Any] else { throw CommandFailure(message: "verify all: malformed report", standardOutput: text) }
                return cases
            }
            let data = try JSONSerialization.data(withJSONObject: ["cases": lists.flatMap { $0 }], options: [.prettyPrinted, .sortedKeys])
            report = String(decoding: data, as: UTF8.self) + "\n"
        } else {
            report = outputs.joined(separator: "\n")
        }
        if !failures.isEmpty { throw CommandFailure(message: failures.joined(separator: "; "), standardOutput: report) }
        return report
    }
}
