import Foundation
import Theory
import Core
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
/// (or a check disagrees, or a verification case failed). Exit status 4: a verification was
/// inconclusive without a failure.
public enum AdaptiveKernelsCommandLine {
    public static let version = "0.2.0"

    /// `--version`: the package version and the git commit the binary was built from.
    static var versionLine: String { "adaptive-kernels \(version) (\(BuildInfo.commit))" }

    /// Every subcommand, in the order the overview lists them. Add new commands here.
    static let subcommands: [Subcommand] = [
        OverlapsCommand.subcommand,
        SweepCommand.subcommand,
        ANTKCommand.subcommand,
        ANBKCommand.subcommand,
        ANTKPhaseCommand.subcommand,
        ANTKBlowUpCommand.subcommand,
        DynamicsCommand.subcommand,
        VerifyCommand.subcommand,
        KernelsCommand.subcommand,
        NDKCommand.subcommand,
        FluctuationsCommand.subcommand,
        TrainCommand.subcommand,
        LearningCurveCommand.subcommand,
        AsymptoticsCommand.subcommand,
        PlotCommand.subcommand,
        MergeCommand.subcommand,
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

        Every command: --format table|csv|json where offered (JSON by the contract
        "\(OutputContract.schema)", docs/output.md); --out FILE writes the report to FILE (atomically,
        nothing on stdout; --out - is stdout); a folder of several files is --out-dir DIR. Lists:
        1,2,4 and inclusive ranges 1...8 or 1...8:2 (1..8 is the same range).
        --version prints the version and the git commit of the build.
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
                let topics = Array(arguments.dropFirst())
                guard let topic = topics.first else { return help(overview) }
                // A second word only for commands with their own subcommands ('help verify antk').
                guard let command = subcommands.first(where: { $0.name == topic }),
                      topics.count == 1 || (topics.count == 2 && ["verify", "plot"].contains(topic)) else {
                    throw UsageError("no help topic '\(topics.joined(separator: " "))' (subcommands: \(subcommands.map(\.name).joined(separator: ", ")))")
                }
                return help(command.usage)
            case "--version"?:
                guard arguments.count == 1 else { throw UsageError("--version takes no arguments") }
                output = versionLine + "\n"
            case let name?:
                guard let command = subcommands.first(where: { $0.name == name }) else {
                    throw UsageError("unknown subcommand '\(name)' (try 'adaptive-kernels help')")
                }
                var rest = Array(arguments.dropFirst())
                if rest.contains("--help") || rest.contains("-h") { return help(command.usage) }
                // --out FILE (every command but plot and learning-curve, which draw into it): the report goes to FILE.
                var destination: String? = nil
                if command.name != "plot" && command.name != "learning-curve" { (rest, destination) = try extractOut(rest) }
                do {
                    let report = try command.run(rest)
                    output = try deliver(report, to: destination)
                } catch let failure as CommandFailure {
                    throw try relay(failure, to: destination)
                }
            }
            return CommandResult(standardOutput: output, standardError: "", exitCode: 0)
        } catch let error as UsageError {
            return failure(error.message, code: 2)
        } catch let error as TheoryInputError {
            return failure(commandLineWording(error), code: 2)
        } catch let error as InputError {
            return failure(error.description, code: 2)
        } catch let error as SolverError {
            return failure(error.description, code: 3)
        } catch let error as CommandFailure {
            return CommandResult(standardOutput: error.standardOutput, standardError: "adaptive-kernels: error: \(error.message)\n", exitCode: error.exitCode)
        } catch {
            return failure("\(error)", code: 3)
        }
    }

    /// A library error with the command-line option that fixes it.
    static func commandLineWording(_ error: TheoryInputError) -> String {
        switch error {
        case .tooManyLayers: return error.description + "; choose layers with --layers LIST"
        default: return error.description
        }
    }

    /// Removes `--out FILE` / `--out=FILE` from the arguments; nil when absent.
    static func extractOut(_ arguments: [String]) throws -> ([String], String?) {
        var rest: [String] = [], destination: String? = nil
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var value: String? = nil
            if argument == "--out" {
                index += 1
                guard index < arguments.count else { throw UsageError("option --out needs a value (a file, or - for stdout)") }
                value = arguments[index]
            } else if argument.hasPrefix("--out=") {
                value = String(argument.dropFirst("--out=".count))
            }
            if let value {
                guard destination == nil else { throw UsageError("option --out given twice") }
                guard !value.isEmpty else { throw UsageError("option --out has an empty value") }
                var isFolder: ObjCBool = false
                if value != "-", FileManager.default.fileExists(atPath: value, isDirectory: &isFolder), isFolder.boolValue {
                    throw UsageError("--out '\(value)' is a folder; --out names a file (a folder of files is --out-dir)")
                }
                destination = value
            } else {
                rest.append(argument)
            }
            index += 1
        }
        return (rest, destination)
    }

    /// The report on stdout, or written whole to the --out file (then nothing on stdout).
    static func deliver(_ report: String, to destination: String?) throws -> String {
        guard let destination, destination != "-" else { return report }
        try DataFiles.writeFileAtomically(Data(report.utf8), to: destination)
        return ""
    }

    /// A report that must exit non-zero, delivered to --out like any report: the failure to rethrow
    /// keeps its exit status (3 fail, 4 inconclusive) and prints the report on stdout only when it
    /// went there.
    static func relay(_ failure: CommandFailure, to destination: String?) throws -> CommandFailure {
        _ = try deliver(failure.standardOutput, to: destination)
        return CommandFailure(message: failure.message, standardOutput: destination == nil || destination == "-" ? failure.standardOutput : "",
                              exitCode: failure.exitCode)
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
