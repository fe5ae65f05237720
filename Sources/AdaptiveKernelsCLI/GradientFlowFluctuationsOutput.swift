import Foundation
import Core
import Theory
import Numerics

/// `fluctuations --setting gradient-flow`: parsing and rendering of `GradientFlowFluctuations`
/// (notes/fluctuations-gradient-flow.md): per output time, approximate values with RK4 + Richardson residuals.
enum GradientFlowFluctuationsOutput {
    static func run(_ options: ParsedArguments, activation: Activation) throws -> String {
        if options.value("beta") != nil { throw UsageError("--beta belongs to --setting bayes") }
        let depthText = try options.required("depth")
        guard let depth = Int(depthText), depth >= 1 else { throw UsageError("--depth must be a positive integer (got '\(depthText)')") }
        guard depth == 1 || activation == .identity else {
            throw UsageError("--setting gradient-flow with --activation \(activation.rawValue) needs --depth 1 (deeper networks: identity only)")
        }
        guard depth <= DeepLinearGradientFlowOutput.maximumDepth else {
            throw UsageError("--setting gradient-flow: --depth must be at most \(DeepLinearGradientFlowOutput.maximumDepth) (got \(depth))")
        }
        let gamma = try parseRational(options, "gamma")
        let lambda: BigRational = options.value("lambda") == nil ? BigRational(0) : try parseRational(options, "lambda")
        let time = try parseRational(options, "time")
        guard gamma.signum > 0 else {
            throw UsageError("--gamma must be > 0 for --setting gradient-flow (the prediction variances grow as 1/gamma^2; the lazy limit is notes/fluctuations-gradient-flow.md (FG11))")
        }
        guard lambda.signum >= 0 else { throw UsageError("--lambda must be >= 0") }
        guard time.signum > 0 else { throw UsageError("--time must be > 0") }
        let points = try options.integer("points", default: 10, in: 1...1000)
        let g = gamma.doubleApproximation, l = lambda.doubleApproximation, t = time.doubleApproximation
        guard g <= 64, l <= 64, t <= 1000, t * (1 + g + l) <= 20_000 else {
            throw UsageError("--setting gradient-flow needs gamma <= 64, lambda <= 64, T <= 1000 and T (1 + gamma + lambda) <= 20000 (the RK4 step is 0.01/(1 + gamma + lambda))")
        }
        let dataFiles = ["train", "labels", "test", "test-labels"].contains(where: { options.value($0) != nil })
        if options.value("digits") != nil && (depth > 1 || activation != .identity || dataFiles) {
            throw UsageError("--digits (setting gradient-flow) needs --depth 1, --activation identity and whitened data")
        }
        if options.value("levels") != nil && depth == 1 { throw UsageError("--levels belongs to --depth L >= 2 (the deep linear Richardson table)") }
        if depth > 1 {
            return try DeepLinearGradientFlowOutput.run(options, depth: depth, gamma: gamma, lambda: lambda, time: time, points: points)
        }
        if activation != .identity || dataFiles {
            let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
            return try GradientFlowDataFluctuationsOutput.run(options, activation: activation, gamma: gamma, lambda: lambda, time: time,
                                                              points: points, format: format)
        }
        for name in ["sites", "replicas", "seed"] where options.value(name) != nil {
            throw UsageError("--\(name) belongs to the sampled solver of nonlinear activations (the linear network's theory is deterministic)")
        }
        let size = try options.integer("whitened-points", default: 3, in: 1...GradientFlowFluctuations.maximumPoints)
        // Cost: RK4 steps ~ 300 T (1 + gamma + lambda) on an augmented system of ~ (P + 1)^4 entries (about 6 s at 1.1e6).
        let work = t * (1 + g + l) * pow(Double(size + 1), 4)
        guard work <= 1e7 else {
            throw UsageError("--setting gradient-flow: T (1 + gamma + lambda) (P + 1)^4 = \(String(format: "%.3g", work)) is above 1e7 (about a minute of work); use fewer points P or a shorter time")
        }
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        if options.value("digits") != nil {
            let digits = try options.integer("digits", default: 20, in: 1...HighPrecisionGradientFlowFluctuations.maximumDigits)
            guard size <= HighPrecisionGradientFlowFluctuations.maximumPoints else {
                throw UsageError("--digits needs --whitened-points at most \(HighPrecisionGradientFlowFluctuations.maximumPoints) (got \(size))")
            }
            // Cost: about T (1 + gamma + lambda) D^2 (P + 1)^4 multiprecision products of ~D digits (FG41), (FG42); measured
            // (release) about 4e-8 s per unit of this work estimate.
            let taylorWork = t * (1 + g + l) * Double(digits * digits * (digits + 20)) * pow(Double(size + 1), 4)
            guard taylorWork <= 1.5e9 else {
                throw UsageError("--digits: T (1 + gamma + lambda) D^2 (D + 20) (P + 1)^4 = \(String(format: "%.3g", taylorWork)) is above 1.5e9 (about a minute of work); use fewer digits, fewer points P or a shorter time")
            }
            return try HighPrecisionGradientFlowOutput.run(gamma: gamma, lambda: lambda, time: time, points: points, size: size,
                                                           digits: digits, format: format)
        }
        let value = try solve { try GradientFlowFluctuations(gamma: g, lambda: l, time: t, intervals: points, points: size) }
        let parameters = Parameters(gamma: gamma, lambda: lambda, time: time, points: points)
        switch format {
        case .json: return json(value, parameters)
        case .csv: return csv(value)
        case .table: return table(value, parameters)
        }
    }

    struct Parameters { let gamma: BigRational, lambda: BigRational, time: BigRational, points: Int }

    /// The solve `make()`, the library's failures as a usage error (bad input) or non-convergence.
    static func solve<Value>(_ make: () throws -> Value) throws -> Value {
        do {
            return try make()
        } catch let failure as GradientFlowFluctuations.Failure {
            if case .invalid(let text) = failure { throw UsageError(text) }
            throw SolverError.notConverged(failure.description)
        }
    }

    /// `{"kind": "approximate", "values", "floats", "residual"}` (the largest residual over the times).
    static func sequence(_ s: GradientFlowFluctuations.Series?) -> JSONValue {
        guard let s else { return .null }
        return .object([("kind", .string("approximate")),
                        ("values", .array(s.values.map { .string(OutputContract.decimal17($0)) })),
                        ("floats", .array(s.values.map { .number($0) })),
                        ("residual", .string(OutputContract.decimal17(s.residual)))])
    }

    static func json(_ f: GradientFlowFluctuations, _ p: Parameters) -> String {
        json(f.observables, p, whitenedPoints: f.points, digits: nil,
             precision: "RK4 with steps h and h/2 (h <= 0.01/(1 + gamma + lambda)), Richardson (16 y_{h/2} - y_h)/15; residual |y_{h/2} - y_h|/15 (FG10)",
             times: f.times, sequence: sequence)
    }

    /// The JSON of the whitened observables in either kind of number, each series rendered by `sequence`; `digits` for the
    /// D-digit values only.
    static func json<Scalar>(_ f: WhitenedGradientFlowObservables<Scalar>, _ p: Parameters, whitenedPoints: Int, digits: Int?,
                             precision: String, times: [Double], sequence: (GradientFlowSeries<Scalar>?) -> JSONValue) -> String {
        OutputContract.render(command: "fluctuations --setting gradient-flow", [
            ("setting", .string("gradient-flow")), ("activation", .string("identity")), ("depth", .integer(1)),
            ("gamma", OutputContract.exact(p.gamma)), ("lambda", OutputContract.exact(p.lambda)), ("time", OutputContract.exact(p.time)),
            ("points", .integer(p.points)), ("whitened_points", .integer(whitenedPoints))] + (digits.map { [("digits", .integer($0))] } ?? []) + [
            ("data", .string("whitened: P = \(whitenedPoints) points, X X^T/D = I, y = e_1; test input orthogonal to the training inputs, |x*|^2/D = 1")),
            ("precision", .string(precision)),
            ("times", .array(times.map { .string(OutputContract.decimal17($0)) })),
            ("prediction_variance", .object([
                ("label_direction", sequence(f.labelPrediction.total)),
                ("orthogonal_direction", sequence(f.orthogonalPrediction?.total)),
                ("orthogonal_test_point", sequence(f.testPrediction.total)),
                ("label_direction_from_kernels", sequence(f.labelPrediction.kernel)),
                ("orthogonal_direction_from_kernels", sequence(f.orthogonalPrediction?.kernel)),
            ])),
            ("ntk_variance", sequence(f.ntkVariance)),
            ("overlap_variance", sequence(f.overlapVariance)),
            ("overlap_mean_shift", sequence(f.overlapMeanShift)),
            ("infinite_width", .object([
                ("f_dot_y", sequence(f.meanPrediction)), ("overlap", sequence(f.meanOverlap)),
                ("ntk_diagonal", sequence(f.meanNTKDiagonal)),
            ])),
        ])
    }

    /// The CSV columns of the whitened observables: the total prediction variances, the NTK's and the overlap's, f.y.
    static func columns<Scalar>(_ f: WhitenedGradientFlowObservables<Scalar>) -> [(String, GradientFlowSeries<Scalar>)] {
        var columns: [(String, GradientFlowSeries<Scalar>)] = [("label_variance", f.labelPrediction.total!)]
        if let o = f.orthogonalPrediction { columns.append(("orthogonal_variance", o.total!)) }
        return columns + [("test_variance", f.testPrediction.total!), ("ntk_variance", f.ntkVariance), ("overlap_variance", f.overlapVariance),
                          ("overlap_mean_shift", f.overlapMeanShift), ("f_dot_y", f.meanPrediction)]
    }

    static func csv(_ f: GradientFlowFluctuations) -> String { csv(times: f.times, columns: columns(f.observables)) }

    /// The CSV of approximate series: a `time` column, each series' values, then each series' residuals.
    static func csv(times: [Double], columns: [(String, GradientFlowFluctuations.Series)]) -> String {
        var lines = [(["time"] + columns.map(\.0) + columns.map { $0.0 + "_residual" }).joined(separator: ",")]
        for i in times.indices {
            let cells = [times[i]] + columns.map { $0.1.values[i] } + columns.map { $0.1.residuals[i] }
            lines.append(cells.map(OutputContract.decimal17).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ f: GradientFlowFluctuations, _ p: Parameters) -> String {
        func text(_ x: Double) -> String { String(format: "%.8g", x) }
        var lines = ["Finite-width fluctuations along gradient flow, two-layer linear network, whitened data (P = \(f.points), y = e_1)",
                     "gamma = \(OutputContract.exactText(p.gamma)), lambda = \(OutputContract.exactText(p.lambda)), T = \(OutputContract.exactText(p.time)); N x Var and N x mean shift as N -> infinity (FG6-FG9), approximate",
                     "t  f.y  N Var(y.f)  N Var(e.f)  N Var(f*)  N Var(tr K/P)  N Var(c_1)  N (E c_1 - c_1)"]
        for i in f.times.indices {
            var row = [text(f.times[i]), text(f.meanPrediction.values[i]), text(f.labelPrediction.total!.values[i])]
            row.append(f.orthogonalPrediction.map { text($0.total!.values[i]) } ?? "-")
            row += [text(f.testPrediction.total!.values[i]), text(f.ntkVariance.values[i]), text(f.overlapVariance.values[i]),
                    text(f.overlapMeanShift.values[i])]
            lines.append(row.joined(separator: "  "))
        }
        let residual = [f.labelPrediction.total!.residual, f.ntkVariance.residual, f.overlapVariance.residual, f.overlapMeanShift.residual].max() ?? 0
        lines.append("e.f: a training point orthogonal to y; f*: a test input orthogonal to the training inputs. Largest residual \(text(residual)).")
        lines.append("Part of N Var(y.f) from the initial kernels at T: \(text(f.labelPrediction.kernel.values.last!)) (the rest is the initial output's 1/gamma^2).")
        return lines.joined(separator: "\n") + "\n"
    }
}
