import Foundation
import Simulation
import Studies
import Core

/// `adaptive-kernels verify antk [--quick] [--seed S] [--format table|json] [--digits DIR] [--case GROUP]`:
/// infinite-width gradient flow with weight decay (DMFT), finite networks (1/N extrapolated) and the
/// exact deep-linear fixed points, case by case (notes/verify-antk.md).
enum VerifyANTKCommand {
    static let usage = """
    usage: adaptive-kernels verify antk [--quick] [--seed S] [--format table|json] [--digits DIR] [--case GROUP]
           adaptive-kernels verify antk --bench [--neurons M] [--points P] [--steps S]
      Cross-checks gradient flow with weight decay (aNTK): the deep linear DMFT and finite-width
      gradient descent (widths 256..4096 for two layers, 256..2048 deep, extrapolated in 1/N; --quick: 64..256) against every exact
      branch of notes/antk-deep-linear.md, the kernel-predictor identity f = K (K + lambda (L+1) I)^-1 y
      (and its failure at lambda = 0), the one-point ReLU fixed point and ReLU DMFT vs finite width on the
      digits data in DIR (default Tests/Fixtures/digits when present, otherwise synthetic data).
      A case passes when every estimate lies within 3 estimated errors of the exact value (or, for the
      lambda = 0 case, differs by more). Progress goes to stderr. Exit status 3 if any case fails.
      --case GROUP runs one group: linear (deep linear branches, unstable branch), identity (ReLU
      predictor identity), theory2b (one point, ReLU) or digits (ReLU DMFT vs finite width).
      Expected duration: --quick about 10 s; the digits group alone (--case digits) 13 min of CPU
      and wall clock on 2 shared cores (measured); the full suite about 20 min CPU, 25 min wall
      (estimated from its stages).
      --bench: times one two-layer ReLU population DMFT step (GV1)-(GV3) (default M = 4096 neurons,
      P = 100 points, 20 timed steps) from the deterministic state of bench/dmft_step.py; prints JSON
      with the median step time and the final predictions (for the comparison with NumPy).
    """

    static func settings(_ arguments: [String]) throws -> (ANTKVerifySettings, OutputFormat) {
        let options = try ParsedArguments(arguments, valued: ["seed", "format", "digits", "case"], switches: ["quick"])
        let seedText = options.value("seed") ?? "1"
        guard let seed = UInt64(seedText) else { throw UsageError("--seed must be a non-negative integer (got '\(seedText)')") }
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        var settings = options.has("quick") ? ANTKVerifySettings.quick(seed: seed) : ANTKVerifySettings.full(seed: seed)
        if let dir = options.value("digits") {
            guard FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("X_train.npy")) else {
                throw UsageError("--digits: no X_train.npy in '\(dir)'")
            }
            settings.digitsDirectory = dir
        } else if FileManager.default.fileExists(atPath: "Tests/Fixtures/digits/X_train.npy") {
            settings.digitsDirectory = "Tests/Fixtures/digits"
        }
        if let group = options.value("case") {
            guard ANTKVerifySettings.caseGroups.contains(group) else {
                throw UsageError("--case must be one of \(ANTKVerifySettings.caseGroups.joined(separator: ", ")) (got '\(group)')")
            }
            settings.caseGroup = group
        }
        return (settings, format)
    }

    static func run(_ arguments: [String]) throws -> String {
        if arguments.contains("--bench") { return try bench(arguments) }
        let (settings, format) = try settings(arguments)
        let cases: [ANTKVerificationCase]
        do {
            let start = Date(), expected = settings.widths.count > 3 ? "full suite, expected about 20 min CPU (25 min wall on 2 busy cores; --case digits alone 13 min)" : "quick suite, expected about 10 s"
            FileHandle.standardError.write(Data("verify antk: \(expected) (wall clock [s] and process CPU time [s] in brackets)\n".utf8))
            cases = try ANTKVerifier(settings: settings).run { message in
                let cpu = Double(clock()) / Double(CLOCKS_PER_SEC)
                let stamp = String(format: "[%.0f s, cpu %.0f s]", Date().timeIntervalSince(start), cpu)
                FileHandle.standardError.write(Data("verify antk \(stamp): \(message)\n".utf8))
            }
        } catch let error as ANTKVerifyInputError { throw UsageError(error.description) }
        let report = format == .json ? json(cases).serialized() + "\n" : table(cases)
        let failed = cases.filter { !$0.passed }.count
        if failed > 0 { throw CommandFailure(message: "verify antk: \(failed) of \(cases.count) cases failed", standardOutput: report) }
        return report
    }

    /// `--bench`: one population DMFT step (ANTKStepBenchmark), JSON on stdout.
    static func bench(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["neurons", "points", "steps"], switches: ["bench"])
        func positive(_ name: String, _ fallback: Int) throws -> Int {
            let text = options.value(name) ?? String(fallback)
            guard let v = Int(text), v > 0, v <= 1 << 20 else { throw UsageError("--\(name) must be a positive integer (got '\(text)')") }
            return v
        }
        let m = try positive("neurons", 4096), p = try positive("points", 100), steps = try positive("steps", 20)
        guard m * p <= 1 << 26 else { throw UsageError("--bench: neurons x points must be at most 2^26") }
        let r = try ANTKStepBenchmark.run(neurons: m, points: p, steps: steps)
        return JSONValue.object([
            ("neurons", .integer(r.neurons)), ("points", .integer(r.points)), ("steps", .integer(r.steps)),
            ("median_seconds", .number(r.medianSeconds)), ("minimum_seconds", .number(r.minimumSeconds)),
            ("predictions", .array(r.predictions.map { .number($0) })),
        ]).serialized() + "\n"
    }

    static func json(_ cases: [ANTKVerificationCase]) -> JSONValue {
        .object([("cases", .array(cases.map(caseJSON)))])
    }

    static func caseJSON(_ c: ANTKVerificationCase) -> JSONValue {
        .object([
            ("name", .string(c.name)),
            ("exact", .number(c.exact)),
            ("estimates", .object(c.estimates.map { ($0.0, .object([("value", .number($0.1.value)), ("error", .number($0.1.error))])) })),
            ("tolerance", .number(c.tolerance)),
            ("pass", .bool(c.passed)),
            ("expect", .string(c.expectDifferent ? "differs" : "agrees")),
            ("stationary", .bool(c.stationary)),
            ("detail", .string(c.detail)),
        ])
    }

    static func cell(_ c: ANTKVerificationCase, _ key: String) -> String {
        guard let e = c.estimates.first(where: { $0.0 == key })?.1 else { return "-" }
        return String(format: "%.10g +- %.2g", e.value, e.error)
    }

    static func table(_ cases: [ANTKVerificationCase]) -> String {
        var lines = ["Gradient flow with weight decay (aNTK): DMFT, finite width (N -> inf) and exact fixed points; pass = within 3 estimated errors", ""]
        for c in cases {
            let verdict = c.passed ? "pass" : (c.stationary ? "FAIL" : "FAIL (not stationary)")
            lines.append(c.name)
            lines.append(String(format: "  exact %.10g | DMFT %@ | finite width %@ | %@", c.exact, cell(c, "dmft"), cell(c, "finite_width"), verdict))
            if !c.detail.isEmpty { lines.append("  " + c.detail) }
        }
        let failed = cases.filter { !$0.passed }.count
        lines.append("")
        lines.append("\(cases.count - failed) of \(cases.count) cases pass")
        return lines.joined(separator: "\n") + "\n"
    }
}
