import Foundation
import Theory
import Simulation
import Studies
import Core

/// `adaptive-kernels antk-blowup [--depth L | --depth A...B] [--steps N0] [--levels K] [--format table|json]`:
/// the blow-up time tau*_L of the universal flow Psi_L (notes/antk-deep-linear.md (A29), (A31)) at
/// N = infinity, from the deep linear DMFT with lambda = 0, gamma = 1, Delta = 1
/// (notes/verify-antk.md (GV15), (GV16)), with its error bar; compared with the table the end-point
/// rule (A32) uses (ANTKEndPoint.blowUpTimes).
enum ANTKBlowUpCommand {
    static let usage = """
    usage: adaptive-kernels antk-blowup [--depth LIST] [--steps N0] [--levels K] [--format table|json]
      Blow-up time tau*_L of the lambda-free flow Psi_L (A29, A31) at N = infinity: the deep linear
      DMFT with lambda = 0, gamma = 1 and Delta held at 1 on Euler grids of N0, 2 N0, ..., 2^(K-1) N0
      steps, Richardson-extrapolated, read through est(tau) = tau + Psi^(-(L-1)/(L+1))/(L-1).
      Defaults: --depth 2...8, --steps 100, --levels 4 (the values in ANTKEndPoint; 2 shared cores:
      about 30 s for L = 2, several minutes for 2...8; cost grows as L N0^3 8^(K-1)).
    """
    static let subcommand = Subcommand(name: "antk-blowup", summary: "blow-up time tau*_L of the universal flow Psi_L (A31) at N = infinity, from the DMFT",
                                       usage: usage, run: run)

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["depth", "steps", "levels", "format"], switches: [])
        let depthText = options.value("depth") ?? "2...8"
        let depths = try ParameterList.integers(depthText, option: "depth", in: 2...64, what: "a depth")
        let stepsText = options.value("steps") ?? "100", levelsText = options.value("levels") ?? "4"
        guard let n0 = Int(stepsText), (10...2000).contains(n0) else { throw UsageError("--steps must be an integer in 10...2000 (got '\(stepsText)')") }
        guard let levels = Int(levelsText), (2...6).contains(levels) else { throw UsageError("--levels must be an integer in 2...6 (got '\(levelsText)')") }
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let estimates = depths.map { ANTKBlowUpTime(depth: $0).estimate(coarseSteps: n0, levels: levels) }
        if format == .json {
            // tau*_L is estimated: its error bar (Richardson step error + convergence error) is a
            // systematic bound, not a standard error.
            func estimated(_ value: Double, _ bound: Double) -> JSONValue {
                OutputContract.estimated(Estimate(value: value, standardError: 0, systematic: bound))
            }
            return OutputContract.render(command: "antk-blowup", [
                ("steps", .integer(n0)), ("levels", .integer(levels)),
                ("depths", .array(estimates.map { e in
                    .object([("depth", .integer(e.depth)), ("tau_star", estimated(e.value, e.error)),
                             ("step_error", .string(OutputContract.decimal17(e.stepError))),
                             ("convergence_error", .string(OutputContract.decimal17(e.convergenceError))),
                             ("read_at", OutputContract.approximate(e.readAt)), ("horizon", .string(OutputContract.decimal17(e.horizon))),
                             ("step_counts", .array(e.steps.map { .integer($0) })),
                             ("initial_slope", OutputContract.approximate(e.initialSlope)), ("exponent", OutputContract.approximate(e.exponent)),
                             ("table", ANTKEndPoint.blowUpTimes[e.depth].map { estimated($0.value, $0.error) } ?? .null)])
                })),
            ])
        }
        var lines = ["tau*_L of Psi_L at N = infinity (DMFT, lambda = 0, gamma = 1, Delta = 1; Richardson over \(estimates[0].steps) steps)",
                     " L    tau*_L       error     (L-1) tau*   Psi'(0) [L+1]   exponent [-(L+1)/(L-1)]   read at tau   table (ANTKEndPoint)"]
        for e in estimates {
            let table = ANTKEndPoint.blowUpTimes[e.depth].map { String(format: "%.5f +- %.1e", $0.value, $0.error) } ?? "-"
            lines.append(String(format: "%2d  %.7f  %.1e  %.6f     %.4f [%d]     %.4f [%.4f]          %.4f        %@",
                                e.depth, e.value, e.error, Double(e.depth - 1) * e.value, e.initialSlope, e.depth + 1,
                                e.exponent, -Double(e.depth + 1) / Double(e.depth - 1), e.readAt, table))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
