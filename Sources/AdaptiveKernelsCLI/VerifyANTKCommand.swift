import Foundation
import Verify

/// `adaptive-kernels verify antk [--quick] [--seed S] [--format table|json] [--digits DIR]`:
/// infinite-width gradient flow with weight decay (DMFT), finite networks (1/N extrapolated) and the
/// exact deep-linear fixed points, case by case (issue 7; notes/verify-antk.md).
enum VerifyANTKCommand {
    static let usage = """
    usage: adaptive-kernels verify antk [--quick] [--seed S] [--format table|json] [--digits DIR]
      Cross-checks gradient flow with weight decay (aNTK): the deep linear DMFT and finite-width
      gradient descent (widths 256..2048, extrapolated in 1/N; --quick: 64..256) against every exact
      branch of notes/antk-deep-linear.md, the kernel-predictor identity f = K (K + lambda (L+1) I)^-1 y
      (and its failure at lambda = 0), THEORY 2b (one point, ReLU) and ReLU DMFT vs finite width on the
      digits data in DIR (default Tests/Fixtures/digits when present, otherwise synthetic data).
      A case passes when every estimate lies within 3 estimated errors of the exact value (or, for the
      lambda = 0 case, differs by more). Progress goes to stderr. Exit status 3 if any case fails.
    """

    static func settings(_ arguments: [String]) throws -> (ANTKVerifySettings, OutputFormat) {
        let options = try ParsedArguments(arguments, valued: ["seed", "format", "digits"], switches: ["quick"])
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
        return (settings, format)
    }

    static func run(_ arguments: [String]) throws -> String {
        let (settings, format) = try settings(arguments)
        let cases: [ANTKVerificationCase]
        do {
            cases = try ANTKVerifier(settings: settings).run { message in
                FileHandle.standardError.write(Data("verify antk: \(message)\n".utf8))
            }
        } catch let error as ANTKVerifyInputError { throw UsageError(error.description) }
        let report = format == .json ? json(cases).serialized() + "\n" : table(cases)
        let failed = cases.filter { !$0.passed }.count
        if failed > 0 { throw CommandFailure(message: "verify antk: \(failed) of \(cases.count) cases failed", standardOutput: report) }
        return report
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

/// `verify <bayes|antk|all>` until the Bayesian verifier (issue 6) lands: antk runs, bayes is not available.
enum VerifyDispatch {
    static let subcommand = Subcommand(name: "verify", summary: "cross-check the exact theory against DMFT and finite networks (antk)",
                                       usage: "usage: adaptive-kernels verify <antk|bayes|all> [options]\n\n" + VerifyANTKCommand.usage, run: run)

    static func run(_ arguments: [String]) throws -> String {
        switch arguments.first {
        case "antk"?: return try VerifyANTKCommand.run(Array(arguments.dropFirst()))
        case "bayes"?, "all"?: throw UsageError("verify \(arguments[0]): the Bayesian verifier (issue 6) is not available in this build; 'verify antk' is")
        case let other?: throw UsageError("verify: unknown target '\(other)' (antk, bayes or all)")
        case nil: throw UsageError("verify: name a target (antk, bayes or all)")
        }
    }
}
