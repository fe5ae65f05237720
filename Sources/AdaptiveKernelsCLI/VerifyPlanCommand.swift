import Core
import Studies

/// A verify subcommand that runs one `VerificationPlan` (`verify bayes|ndk|fluctuations|cnn`): it parses its plan; the
/// report (by `VerifyPlanRunner`, the progress labelled with the command) and its rendering are the same for every plan.
protocol VerifyPlanCommand {
    associatedtype Plan: VerificationPlan
    /// `verify <name>`: the command named in the output and the progress label.
    static var command: String { get }
    /// The report's title.
    static var title: String { get }
    /// The plan selected by `arguments`, parsed once, with the shared options and the plan's name in the report.
    static func plan(_ arguments: [String]) throws -> (plan: Plan, common: VerifyOptions, name: String)
    /// The report of a parsed plan.
    static func report(_ plan: Plan, _ common: VerifyOptions, name: String) throws -> VerificationReport
    /// The command's output for `arguments`.
    static func run(_ arguments: [String]) throws -> String
}

extension VerifyPlanCommand {
    static func report(_ plan: Plan, _ common: VerifyOptions, name: String) throws -> VerificationReport {
        try VerifyPlanRunner.report(plan, common, name: name, label: command)
    }

    /// The report of the plan selected by `arguments` (no rendering); `verify all` concatenates it.
    static func report(_ arguments: [String]) throws -> VerificationReport {
        let (plan, common, name) = try plan(arguments)
        return try report(plan, common, name: name)
    }

    /// The rendered report of the plan selected by `arguments`.
    static func render(_ arguments: [String]) throws -> String {
        let (plan, common, name) = try plan(arguments)
        let report = try report(plan, common, name: name)
        return try VerifyPlanRunner.render(report, of: plan, common, command: command, title: title)
    }

    static func run(_ arguments: [String]) throws -> String { try render(arguments) }
}
