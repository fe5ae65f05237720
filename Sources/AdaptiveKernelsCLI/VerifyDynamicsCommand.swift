import Foundation
import Core
import Numerics
import Studies

/// `adaptive-kernels verify dynamics [--quick] [--seed S] [--perturb-exact R] [--case exact|finite_width|nonlinear|deep_nonlinear] [--format table|json]`:
/// the infinite-width trajectories against exact results and finite-width gradient descent
/// (notes/dynamics-deep-linear.md, section "Checks"), reported like every verify plan.
enum VerifyDynamicsCommand {
    static let usage = """
           adaptive-kernels verify dynamics [--quick] [--seed S] [--perturb-exact R] [--case exact|finite_width|nonlinear|deep_nonlinear] [--format table|json]
                                            [--shard I/N]
      dynamics: the deep linear DMFT trajectories (Richardson-extrapolated) and the sampled two-layer DMFT
        with phi(h) = h against the exact two-layer flow and the exact aNTK fixed point (exact); finite-width
        gradient descent (1/N fits over 20 seeds per width) against the DMFT on the same Euler grid, deep
        linear (finite_width) and two-layer relu, tanh, erf against the sampled DMFT (nonlinear; quick: relu);
        the sampled deep DMFT with pathwise responses: identity L = 2 against the deep linear DMFT (exact) and
        tanh, erf, relu L = 2 networks of widths 128-1024 against it (deep_nonlinear; full plan only; relu by
        softplus smoothing extrapolated in the sharpness, its residual in the tolerance)
        (notes/dynamics-deep-linear.md, notes/dynamics-nonlinear.md). --quick: widths up to 2048 (deep linear
        L = 1), 512 (L = 2) and 4096 (ReLU), about 20 CPU-seconds; full: about 4 CPU-minutes. --case: one group.
        --shard I/N: block I of N of the plan's steps, as a shard document for 'adaptive-kernels merge'.
    """

    /// The plan selected by `arguments`, parsed once.
    static func plan(_ arguments: [String]) throws -> (plan: DynamicsVerification, groups: Set<String>?, common: VerifyOptions) {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["case"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: false)
        var groups: Set<String>? = nil
        if let group = options.value("case") {
            guard DynamicsVerification.groups.contains(group) else {
                throw UsageError("--case must be one of \(DynamicsVerification.groups.joined(separator: ", ")) (got '\(group)')")
            }
            groups = [group]
        }
        return (DynamicsVerification(quick: options.has("quick"), seed: common.seed), groups, common)
    }

    static func report(_ plan: DynamicsVerification, groups: Set<String>?, _ common: VerifyOptions) throws -> VerificationReport {
        let progress = Progress(label: "verify dynamics")
        defer { progress.finish() }
        let cases = try DynamicsCommand.dynamicsErrors { try plan.run(groups: groups, shard: common.shard, progress: progress.reporter) }
        return VerificationReport(plan: plan.quick ? "dynamics --quick" : "dynamics --full", seed: common.seed, cases: cases,
                                  perturbExact: common.perturbation, perturbExactText: common.perturbationText)
    }

    /// The report of the plan selected by `arguments` (no rendering); `verify all` concatenates it.
    static func report(_ arguments: [String]) throws -> VerificationReport {
        let (plan, groups, common) = try plan(arguments)
        return try report(plan, groups: groups, common)
    }

    static func run(_ arguments: [String]) throws -> String {
        let (plan, groups, common) = try plan(arguments)
        let report = try report(plan, groups: groups, common)
        let title = "DMFT trajectories (notes/dynamics-deep-linear.md, notes/dynamics-nonlinear.md)"
        if let shard = common.shard {
            return try ShardedOutput.verifyDocument(report, command: "verify dynamics", shard: shard, steps: plan.steps(groups: groups).count,
                                                    arguments: common.canonical, json: common.json, title: title)
        }
        return try VerificationRendering.finish(report, command: "verify dynamics", json: common.json, title: title)
    }
}
