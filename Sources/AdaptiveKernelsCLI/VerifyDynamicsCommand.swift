import Foundation
import Core
import Numerics
import Studies

/// `adaptive-kernels verify dynamics [--quick] [--seed S] [--perturb-exact R] [--case TEXT] [--format table|json]`:
/// the infinite-width trajectories against exact results and finite-width gradient descent
/// (notes/dynamics-deep-linear.md, section "Checks"). Report by rule 7 of the output contract.
enum VerifyDynamicsCommand {
    static let usage = """
           adaptive-kernels verify dynamics [--quick] [--seed S] [--perturb-exact R] [--case TEXT] [--format table|json]
      dynamics: the deep linear DMFT trajectories (Richardson-extrapolated) against the exact two-layer flow
        and the exact aNTK fixed point, and finite-width gradient descent (1/N fits over 20 seeds per width)
        against the DMFT on the same Euler grid (notes/dynamics-deep-linear.md). --quick: widths up to 2048
        (L = 1) and 512 (L = 2), about 1 CPU-minute; full: up to 4096 and 2048. --perturb-exact R multiplies
        every exact value by 1 + R (power study). --case TEXT: the group exact or finite_width, or the cases
        whose name contains TEXT. Family-wise false-alarm rate 0.01 (Bonferroni over the cases,
        Student t with seeds - 1 degrees of freedom). Exit status 0 all pass, 3 any fails.
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["seed", "format", "perturb-exact", "case"], switches: ["quick"])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let seed = UInt64(try options.integer("seed", default: 1, in: 0...Int(Int32.max)))
        var perturbation = BigRational(0)
        if let text = options.value("perturb-exact") {
            do { perturbation = try BigRational(parsing: text) } catch let error as RationalParseError { throw UsageError("--perturb-exact: \(error)") }
        }
        let rate = DynamicsVerification.defaultFalseAlarmRate
        var cases = try DynamicsCommand.dynamicsErrors {
            try DynamicsVerification(quick: options.has("quick"), seed: seed)
                .run(groups: options.value("case").flatMap { DynamicsVerification.groups.contains($0) ? [$0] : nil }, progress: progressLine)
        }
        if let text = options.value("case") {
            cases = cases.filter { $0.name.lowercased().contains(text.lowercased()) || $0.group == text }
            guard !cases.isEmpty else { throw UsageError("--case: no case name or group contains '\(text)'") }
        }
        let family = cases.count, r = perturbation.doubleApproximation
        let verdicts = cases.map { $0.passes(cases: family, falseAlarmRate: rate, perturbation: r) ? "pass" : "fail" }
        let failures = verdicts.filter { $0 == "fail" }.count
        let report: String
        if format == .json {
            report = OutputContract.render(command: "verify dynamics", [
                ("seed", .integer(Int(seed))), ("perturb_exact", OutputContract.exact(perturbation)),
                ("false_alarm_rate", .string(OutputContract.decimal17(rate))),
                ("verdict", .string(failures > 0 ? "fail" : "pass")),
                ("summary", .object([("pass", .integer(family - failures)), ("fail", .integer(failures)), ("inconclusive", .integer(0))])),
                ("cases", .array(zip(cases, verdicts).map { c, v in
                    .object([("name", .string(c.name)), ("group", .string(c.group)), ("verdict", .string(v)),
                             ("exact", .string(OutputContract.decimal17(c.exact * (1 + r)))),
                             ("estimates", .object([(c.estimator, OutputContract.estimated(c.estimate))])),
                             ("tolerance", .string(OutputContract.decimal17(c.tolerance(cases: family, falseAlarmRate: rate)))),
                             ("note", .string(c.note))])
                })),
            ])
        } else {
            var lines = ["verify dynamics\(options.has("quick") ? " --quick" : ""): seed \(seed), perturb-exact \(OutputContract.exactText(perturbation)), family-wise false-alarm rate \(rate)",
                         "verdict  group         exact               estimate            +- se      systematic  tolerance  case"]
            for (c, v) in zip(cases, verdicts) {
                lines.append(String(format: "%-7@  %-12@  %-18.12g  %-18.12g  %-9.2g  %-10.2g  %-9.2g  %@", v, c.group, c.exact * (1 + r), c.estimate.value,
                                    c.estimate.standardError, c.estimate.systematic, c.tolerance(cases: family, falseAlarmRate: rate), c.name))
            }
            lines.append("\(family - failures) pass, \(failures) fail, 0 inconclusive")
            report = lines.joined(separator: "\n") + "\n"
        }
        if failures > 0 { throw CommandFailure(message: "verify dynamics: \(failures) of \(family) cases fail", standardOutput: report) }
        return report
    }

    static func progressLine(_ message: String) {
        guard isatty(STDERR_FILENO) != 0 else { return }
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
