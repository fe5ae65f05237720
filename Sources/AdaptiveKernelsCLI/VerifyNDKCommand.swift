import Foundation
import Core
import Studies
import Numerics

/// `adaptive-kernels verify ndk [--quick] [--seed S] [--perturb-exact X] [--format table|json]`:
/// the NDK mean predictor against finite-width Langevin networks (notes/neural-dynamical-kernel.md).
enum VerifyNDKCommand {
    static let usage = """
           adaptive-kernels verify ndk [--quick] [--depth L] [--seed S] [--perturb-exact X] [--format table|json]
      ndk: the mean test predictor of the neural dynamical kernel theory (Volterra solution) against
        finite-width networks trained by Langevin dynamics (antithetic pairs), identity and ReLU, along
        time (T = 0.5, sigma^2 = 1, sigma_0^2 = 0.25 on a 4-point task, so both phases are crossed;
        notes/neural-dynamical-kernel.md, NK18 and section 9). A case passes when the difference is
        within k pair standard errors (Student t, Bonferroni over the cases) plus 4|f|/N (finite width)
        plus the solver's stated error; inconclusive when the solver's error control did not converge.
        --quick: L = 1, width 512, 32 pairs, 3 times (seconds); the full plan: L = 1, 2, widths 512
        and 1024 extrapolated in 1/N, 64 pairs, 4 times (long: N x N layers for L = 2). --perturb-exact X multiplies the theory by 1 + X (a
        verifier must then fail). --depth L (1..4) runs that depth only (L >= 2 is slow: N x N layers, over 8 minutes for --quick). Exit status 0 all pass, 3 any fail, 4 inconclusive without fail.

    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["seed", "perturb-exact", "format", "depth"], switches: ["quick"])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let seed = try options.integer("seed", default: 1, in: 0...Int(Int32.max))
        var perturbation = 0.0, perturbationText = "0"
        if let text = options.value("perturb-exact") {
            perturbationText = text
            guard let x = Double(text), x.isFinite, abs(x) < 1, (try? BigRational(parsing: text)) != nil else { throw UsageError("--perturb-exact must be a number in (-1, 1) (got '\(text)')") }
            perturbation = x
        }
        var settings = options.has("quick") ? NDKVerification.Settings.quick(seed: UInt64(seed)) : NDKVerification.Settings.full(seed: UInt64(seed))
        settings.perturbation = perturbation
        if options.value("depth") != nil { settings.depths = [try options.integer("depth", default: 1, in: 1...4)] }
        let progress = VerifyCommand.progressReporter()
        let cases = try NDKVerification(settings: settings).run(progress: progress ?? { _ in })
        let failed = cases.filter { $0.verdict == "fail" }.count, inconclusive = cases.filter { $0.verdict == "inconclusive" }.count
        let passed = cases.count - failed - inconclusive
        let verdict = failed > 0 ? "fail" : inconclusive > 0 ? "inconclusive" : "pass"
        let report: String
        switch format {
        case .json:
            let members: [(String, JSONValue)] = [
                ("seed", .integer(seed)), ("perturb_exact", OutputContract.exact(try BigRational(parsing: perturbationText))),
                ("false_alarm_rate", .string(OutputContract.decimal17(VerificationCase.falseFailureProbability))),
                ("verdict", .string(verdict)),
                ("summary", .object([("pass", .integer(passed)), ("fail", .integer(failed)), ("inconclusive", .integer(inconclusive))])),
                ("cases", .array(cases.map { c in
                    .object([("name", .string(c.name)), ("group", .string(c.group)), ("verdict", .string(c.verdict)),
                             ("exact", OutputContract.approximate(c.exact)),
                             ("estimates", .object([("langevin", OutputContract.estimated(c.estimate))])),
                             ("tolerance", .string(OutputContract.decimal17(c.tolerance))), ("note", .string(c.note))]) })),
            ]
            report = OutputContract.document(command: "verify ndk", members).serialized() + "\n"
        default:
            var lines = ["verify ndk (seed \(seed)\(perturbation != 0 ? ", theory x (1 + \(perturbation))" : "")): \(passed) pass, \(failed) fail, \(inconclusive) inconclusive"]
            for c in cases {
                lines.append(String(format: "  %@  %@: theory %.6f  simulated %.6f ± %.6f  |diff| %.2e <= %.2e", c.verdict.padding(toLength: 12, withPad: " ", startingAt: 0),
                                    c.name, c.exact, c.estimate.value, c.estimate.standardError, abs(c.estimate.value - c.exact), c.tolerance))
            }
            report = lines.joined(separator: "\n") + "\n"
        }
        if failed > 0 { throw CommandFailure(message: "\(failed) of \(cases.count) verify ndk cases failed", standardOutput: report, exitCode: 3) }
        if inconclusive > 0 { throw CommandFailure(message: "\(inconclusive) of \(cases.count) verify ndk cases inconclusive", standardOutput: report, exitCode: 4) }
        return report
    }
}
