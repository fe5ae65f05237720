import Theory
import Numerics

/// What one invocation printed and its exit status. Output is assembled completely before it is
/// returned, so a failing command prints its one error line and nothing half-written.
public struct CommandResult: Equatable {
    public var standardOutput: String
    public var standardError: String
    public var exitCode: Int32
}

/// One subcommand: its name, a one-line summary for the overview, its usage text and its body,
/// which returns the complete standard output or throws.
struct Subcommand {
    let name: String
    let summary: String
    let usage: String
    let run: ([String]) throws -> String
}

/// Exit status 2: bad input or usage. Exit status 3: the solver could not certify an answer
/// (or a verification case failed).
public enum AdaptiveKernelsCommandLine {
    public static let version = "0.1.0"

    /// Every subcommand, in the order the overview lists them. Add new commands here.
    static let subcommands: [Subcommand] = [
        OverlapsCommand.subcommand,
        SweepCommand.subcommand,
        ANTKCommand.subcommand,
        ANTKPhaseCommand.subcommand,
        ANTKBlowUpCommand.subcommand,
        VerifyCommand.subcommand,
        KernelsCommand.subcommand,
        AsymptoticsCommand.subcommand,
        PlotCommand.subcommand,
    ]

    static var overview: String {
        let entries = subcommands.map { ($0.name, $0.summary) } + [("help", "this text; 'adaptive-kernels help SUBCOMMAND' for its options")]
        let width = (entries.map(\.0.count).max() ?? 0) + 2
        let list = entries.map { "  " + $0.0 + String(repeating: " ", count: width - $0.0.count) + $0.1 }
        return """
        adaptive-kernels \(version): exact overlaps of infinitely wide deep linear networks in the
        feature-learning (rich, muP / mean-field) regime (Lauditi, Bordelon & Pehlevan 2025).

        subcommands:
        \(list.joined(separator: "\n"))
        With no arguments: the overlap table for gamma = 4, beta = 10, L = 16.
        """
    }

    static let defaultArguments = ["--gamma", "4", "--beta", "10", "--depth", "16"]

    public static func run(_ arguments: [String]) -> CommandResult {
        do {
            let output: String
            switch arguments.first {
            case nil:
                output = try OverlapsCommand.run(defaultArguments)
                    + "\n(default gamma = 4, beta = 10, L = 16; 'adaptive-kernels help' lists the subcommands and their options)\n"
            case "help"?, "--help"?, "-h"?:
                let topic = arguments.dropFirst().first
                return help(subcommands.first(where: { $0.name == topic })?.usage ?? overview)
            case "--version"?:
                output = "adaptive-kernels \(version)\n"
            case let name?:
                guard let command = subcommands.first(where: { $0.name == name }) else {
                    throw UsageError("unknown subcommand '\(name)' (try 'adaptive-kernels help')")
                }
                let rest = Array(arguments.dropFirst())
                if rest.contains("--help") || rest.contains("-h") { return help(command.usage) }
                output = try command.run(rest)
            }
            return CommandResult(standardOutput: output, standardError: "", exitCode: 0)
        } catch let error as UsageError {
            return failure(error.message, code: 2)
        } catch let error as TheoryInputError {
            return failure(error.description, code: 2)
        } catch let error as SolverError {
            return failure(error.description, code: 3)
        } catch let error as CommandFailure {
            return CommandResult(standardOutput: error.standardOutput, standardError: "adaptive-kernels: error: \(error.message)\n", exitCode: error.exitCode)
        } catch {
            return failure("\(error)", code: 3)
        }
    }

    static func help(_ text: String) -> CommandResult {
        CommandResult(standardOutput: text + "\n", standardError: "", exitCode: 0)
    }

    static func failure(_ message: String, code: Int32) -> CommandResult {
        CommandResult(standardOutput: "", standardError: "adaptive-kernels: error: \(message)\n", exitCode: code)
    }
}

/// A command that produced a complete report but must exit non-zero (e.g. a failed verification
/// case): the report is printed, then the one-line error.
struct CommandFailure: Error {
    let message: String
    let standardOutput: String
    /// 3 by default; `verify` uses 4 for an inconclusive report without a failure.
    var exitCode: Int32 = 3
}
