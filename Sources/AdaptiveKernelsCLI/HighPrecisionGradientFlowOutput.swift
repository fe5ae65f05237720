import Foundation
import Core
import Theory
import Numerics

/// `fluctuations --setting gradient-flow --activation identity --depth 1 ... --digits D` (whitened): rendering of
/// `HighPrecisionGradientFlowFluctuations` (notes/fluctuations-gradient-flow.md (FG40)-(FG43)): the same keys as the
/// double-precision output, every value to D significant digits, approximate, with its residual per time.
enum HighPrecisionGradientFlowOutput {
    typealias Parameters = GradientFlowFluctuationsOutput.Parameters
    typealias Series = HighPrecisionGradientFlowFluctuations.Series

    static func run(gamma: BigRational, lambda: BigRational, time: BigRational, points: Int, size: Int, digits: Int,
                    format: OutputFormat) throws -> String {
        let value = try GradientFlowFluctuationsOutput.solve {
            try HighPrecisionGradientFlowFluctuations(gamma: gamma, lambda: lambda, time: time, intervals: points, points: size, digits: digits)
        }
        let parameters = Parameters(gamma: gamma, lambda: lambda, time: time, points: points)
        switch format {
        case .json: return json(value, parameters)
        case .csv: return csv(value)
        case .table: return table(value, parameters)
        }
    }

    static func text(_ x: Dyadic, _ digits: Int) -> String { x.isZero ? "0" : x.decimalString(significantDigits: digits, .nearest) }
    static func residualText(_ x: Dyadic) -> String { x.isZero ? "0" : x.decimalString(significantDigits: 3, .up) }

    /// `{"kind": "approximate", "values", "floats", "residual", "residuals"}`: D-digit values, the largest residual and
    /// the residual per time (FG43).
    static func sequence(_ s: Series?, _ digits: Int) -> JSONValue {
        guard let s else { return .null }
        return .object([("kind", .string("approximate")),
                        ("values", .array(s.values.map { .string(text($0, digits)) })),
                        ("floats", .array(s.values.map { .number($0.doubleApproximation) })),
                        ("residual", .string(residualText(s.residual))),
                        ("residuals", .array(s.residuals.map { .string(residualText($0)) }))])
    }

    static func precision(_ f: HighPrecisionGradientFlowFluctuations) -> String {
        "Taylor series of order K = \(f.order) in \(f.bits)-bit dyadic arithmetic, step rho/e^2 (\(f.steps) steps), against a second run of lower order and precision; residual |difference| per value, every residual <= 10^-\(f.digits) |value| (FG40-FG43)"
    }

    static func json(_ f: HighPrecisionGradientFlowFluctuations, _ p: Parameters) -> String {
        GradientFlowFluctuationsOutput.json(f.observables, p, whitenedPoints: f.points, digits: f.digits, precision: precision(f),
                                            times: f.times.map(\.doubleApproximation)) { sequence($0, f.digits) }
    }

    static func columns(_ f: HighPrecisionGradientFlowFluctuations) -> [(String, Series)] { GradientFlowFluctuationsOutput.columns(f.observables) }

    /// The CSV of the double-precision output (the same columns), values to D digits.
    static func csv(_ f: HighPrecisionGradientFlowFluctuations) -> String {
        let columns = columns(f)
        var lines = [(["time"] + columns.map(\.0) + columns.map { $0.0 + "_residual" }).joined(separator: ",")]
        for i in f.times.indices {
            let cells = [OutputContract.exactText(f.times[i])] + columns.map { text($0.1.values[i], f.digits) }
                + columns.map { residualText($0.1.residuals[i]) }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ f: HighPrecisionGradientFlowFluctuations, _ p: Parameters) -> String {
        let names = ["N Var(y.f)", "N Var(e.f)", "N Var(f*)", "N Var(tr K/P)", "N Var(c_1)", "N (E c_1 - c_1)", "f.y"]
        var lines = ["Finite-width fluctuations along gradient flow, two-layer linear network, whitened data (P = \(f.points), y = e_1)",
                     "gamma = \(OutputContract.exactText(p.gamma)), lambda = \(OutputContract.exactText(p.lambda)), T = \(OutputContract.exactText(p.time)); N x Var and N x mean shift as N -> infinity (FG6-FG9), approximate, \(f.digits) digits (FG40-FG43)"]
        let columns = columns(f)
        for i in f.times.indices {
            lines.append("t = \(OutputContract.exactText(f.times[i]))")
            for (c, column) in columns.enumerated() {
                let name = f.orthogonalPrediction == nil && c >= 1 ? names[c + 1] : names[c]
                lines.append("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(text(column.1.values[i], f.digits))  (residual \(residualText(column.1.residuals[i])))")
            }
        }
        lines.append("e.f: a training point orthogonal to y; f*: a test input orthogonal to the training inputs.")
        lines.append("Taylor order \(f.order), \(f.bits) bits, \(f.steps) steps; residual = |difference from a run of lower order and precision|.")
        return lines.joined(separator: "\n") + "\n"
    }
}
