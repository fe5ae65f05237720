import Foundation
import Core
import Numerics
import Studies

/// `adaptive-kernels verify dynamics [--quick] [--seed S] [--perturb-exact R] [--case exact|finite_width|nonlinear] [--format table|json]`:
/// the infinite-width trajectories against exact results and finite-width gradient descent
/// (notes/dynamics-deep-linear.md, section "Checks"), reported like every verify plan.
enum VerifyDynamicsCommand {
    static let usage = """
           adaptive-kernels verify dynamics [--quick] [--seed S] [--perturb-exact R] [--case exact|finite_width|nonlinear] [--format table|json]
      dynamics: the deep linear DMFT trajectories (Richardson-extrapolated) and the sampled two-layer DMFT
        with phi(h) = h against the exact two-layer flow and the exact aNTK fixed point (exact); finite-width
        gradient descent (1/N fits over 20 seeds per width) against the DMFT on the same Euler grid, deep
        linear (finite_width) and two-layer relu, tanh, erf against the sampled DMFT (nonlinear; quick: relu)
        (notes/dynamics-deep-linear.md, notes/dynamics-nonlinear.md). --quick: widths up to 2048 (L = 1) and
        512 (L = 2), about 6 CPU-seconds; full: up to 4096 and 2048, about 90. --case: one group.
    """

    static func report(_ arguments: [String]) throws -> VerificationReport {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["case"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: false)
        guard common.shard == nil else { throw UsageError("--shard: verify dynamics is not split into steps yet; it runs as one job") }
        var groups: Set<String>? = nil
        if let group = options.value("case") {
            guard DynamicsVerification.groups.contains(group) else {
                throw UsageError("--case must be one of \(DynamicsVerification.groups.joined(separator: ", ")) (got '\(group)')")
            }
            groups = [group]
        }
        let plan = DynamicsVerification(quick: options.has("quick"), seed: common.seed)
        let progress = Progress(label: "verify dynamics")
        defer { progress.finish() }
        let cases = try DynamicsCommand.dynamicsErrors { try plan.run(groups: groups) { progress.detail($0) } }
        let verification = cases.map { c in
            VerificationCase.against(exact: c.exact, name: c.name, group: c.group,
                                     measured: .init(name: c.estimator, estimate: Estimate(value: c.estimate.value, standardError: c.estimate.standardError,
                                                                                           systematic: c.estimate.systematic,
                                                                                           degreesOfFreedom: c.degreesOfFreedom ?? 1)),
                                     failure: nil, note: c.note, perturbationNote: c.perturbationNote)
        }
        return VerificationReport(plan: options.has("quick") ? "dynamics --quick" : "dynamics --full", seed: common.seed, cases: verification,
                                  perturbExact: common.perturbation, perturbExactText: common.perturbationText)
    }

    static func run(_ arguments: [String]) throws -> String {
        let report = try report(arguments)
        let json = (try? ParsedArguments(arguments, valued: VerifyOptions.valued.union(["case"]), switches: ["quick"]).value("format")) == "json"
        return try VerificationRendering.finish(report, command: "verify dynamics", json: json,
                                                title: "DMFT trajectories (notes/dynamics-deep-linear.md, notes/dynamics-nonlinear.md)")
    }
}
