import Core
import Studies

/// What every verify plan command shares: the run with progress on stderr (when it is a terminal), the
/// report, and its rendering as a shard document (`--shard I/N`, for 'adaptive-kernels merge') or as
/// the finished table or JSON report with its exit status.
enum VerifyPlanRunner {
    static func report<Plan: VerificationPlan>(_ plan: Plan, _ common: VerifyOptions, name: String, label: String) throws -> VerificationReport {
        let progress = Progress(label: label)
        defer { progress.finish() }
        let cases = try plan.run(shard: common.shard, progress: progress.reporter)
        return VerificationReport(plan: name, seed: common.seed, cases: cases, perturbExact: common.perturbation, perturbExactText: common.perturbationText)
    }

    static func render<Plan: VerificationPlan>(_ report: VerificationReport, of plan: Plan, _ common: VerifyOptions,
                                               command: String, title: String) throws -> String {
        if let shard = common.shard {
            return try ShardedOutput.verifyDocument(report, command: command, shard: shard, steps: try plan.steps(detail: { _ in }).count,
                                                    arguments: common.canonical, json: common.json, title: title)
        }
        return try VerificationRendering.finish(report, command: command, json: common.json, title: title)
    }
}
