import LinearTheory
import Numerics

/// What one invocation printed and its exit status. Output is assembled completely before it is
/// returned, so a failing command prints its one error line and nothing half-written.
public struct CommandResult: Equatable {
    public var standardOutput: String
    public var standardError: String
    public var exitCode: Int32
}

/// Exit status 2: bad input or usage. Exit status 3: the solver could not certify an answer.
public enum AdaptiveKernelsCommandLine {
    public static let version = "0.1.0"

    static let overview = """
    adaptive-kernels \(version): exact overlaps of infinitely wide deep linear networks in the
    feature-learning (rich, muP / mean-field) regime (Lauditi, Bordelon & Pehlevan 2025).

    subcommands:
      overlaps   every positive root of the whitened overlap equation, certified (THEORY 1b)
      sweep      the overlap table across gamma, beta and depth, in parallel
      help       this text; 'adaptive-kernels help SUBCOMMAND' for its options
    With no arguments: the overlap table for gamma = 4, beta = 10, L = 16.
    """

    static let defaultArguments = ["--gamma", "4", "--beta", "10", "--depth", "16"]

    public static func run(_ arguments: [String]) -> CommandResult {
        do {
            let output: String
            switch arguments.first {
            case nil:
                output = try OverlapsCommand.run(defaultArguments)
                    + "\n(default gamma = 4, beta = 10, L = 16; see 'adaptive-kernels help' for overlaps, sweep and their options)\n"
            case "overlaps"?:
                if arguments.contains("--help") { return help(OverlapsCommand.usage) }
                output = try OverlapsCommand.run(Array(arguments.dropFirst()))
            case "sweep"?:
                if arguments.contains("--help") { return help(SweepCommand.usage) }
                output = try SweepCommand.run(Array(arguments.dropFirst()))
            case "help"?, "--help"?, "-h"?:
                switch arguments.dropFirst().first {
                case "overlaps"?: return help(OverlapsCommand.usage)
                case "sweep"?: return help(SweepCommand.usage)
                default: return help(overview)
                }
            case "--version"?:
                output = "adaptive-kernels \(version)\n"
            case let other?:
                throw UsageError("unknown subcommand '\(other)' (try 'adaptive-kernels help')")
            }
            return CommandResult(standardOutput: output, standardError: "", exitCode: 0)
        } catch let error as UsageError {
            return failure(error.message, code: 2)
        } catch let error as TheoryInputError {
            return failure(error.description, code: 2)
        } catch let error as SolverError {
            return failure(error.description, code: 3)
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
