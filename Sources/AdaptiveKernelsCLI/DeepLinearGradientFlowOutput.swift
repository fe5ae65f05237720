import Foundation
import Core
import Theory
import Numerics

/// `fluctuations --setting gradient-flow --activation identity --depth L` with L >= 2: parsing and rendering of
/// `DeepLinearGradientFlowFluctuations` (notes/fluctuations-gradient-flow.md (FG26)-(FG32), (FG38), (FG39)): whitened data,
/// the delta method of the exact conditioning representation of the RK4 network, RK4 grids dt and dt/2, Richardson; on data files
/// with the input kernel C ((FG35)-(FG37)), rendered with the keys of the depth-1 data output.
enum DeepLinearGradientFlowOutput {
    static let maximumDepth = 8

    /// The time scheme of the command: classical RK4 (FG38), (FG39).
    static let scheme = DeepLinearGradientFlowFluctuations.TimeScheme.rk4

    /// (FG39) The coarse RK4 step dt <= 0.25/((1 + gamma) s + lambda), a whole number of steps per output interval; s =
    /// max(1, |C|), the NTK's scale on data (FG36) (s = 1 on whitened data).
    static func stepsPerInterval(time: Double, points: Int, gamma: Double, lambda: Double, kernelScale: Double = 1) -> Int {
        max(1, Int((time / Double(points) / (0.25 / ((1 + gamma) * kernelScale + lambda)) - 1e-9).rounded(.up)))
    }

    /// The command's RK4 grid (at most 100 steps, (FG39)) and the solve `make(stepsPerInterval)`, the library's failures as a
    /// usage error (bad or too large input) or non-convergence.
    static func solve(depth: Int, time: Double, points: Int, gamma: Double, lambda: Double, kernelScale: Double, levels: Int = 2,
                      _ make: (Int) throws -> DeepLinearGradientFlowFluctuations) throws -> DeepLinearGradientFlowFluctuations {
        let perInterval = stepsPerInterval(time: time, points: points, gamma: gamma, lambda: lambda, kernelScale: kernelScale)
        // (FG44) With R grids the finest has 2^(R-1) times the coarse steps: the coarse grid takes at most 100 / 2^(R-2).
        let limit = 100 >> (levels - 2)
        guard perInterval * points <= limit else {
            throw UsageError("--setting gradient-flow --depth \(depth): \(perInterval * points) RK4 steps (dt <= 0.25/((1 + gamma) max(1, |C|) + lambda)) are more than \(limit)\(levels > 2 ? " (with --levels \(levels))" : ""); use a shorter time or smaller gamma")
        }
        return try GradientFlowFluctuationsOutput.solve { try make(perInterval) }
    }

    static func precision(_ f: DeepLinearGradientFlowFluctuations, data: Bool) -> String {
        if f.levels > 2 {
            return "exact conditioning representation of the network along the RK4 flow\(data ? " with the input kernel C" : ""), delta method by dual numbers (FG29)-(FG31)\(data ? ", (FG35)" : ""), (FG38); RK4 steps dt = \(OutputContract.decimal17(f.timeStep)) ... dt/\(1 << (f.levels - 1)), Richardson table eliminating the orders 4...\(f.levels + 2), residual its last correction (FG44)"
        }
        return "exact conditioning representation of the network along the RK4 flow\(data ? " with the input kernel C" : ""), delta method by dual numbers (FG29)-(FG31)\(data ? ", (FG35)" : ""), (FG38); RK4 steps dt = \(OutputContract.decimal17(f.timeStep)) and dt/2, Richardson y_{dt/2} + (y_{dt/2} - y_dt)/15, residual |y_{dt/2} - y_dt|/15 (FG39)"
    }

    static func run(_ options: ParsedArguments, depth: Int, gamma: BigRational, lambda: BigRational, time: BigRational, points: Int) throws -> String {
        for name in ["sites", "replicas", "seed"] where options.value(name) != nil {
            throw UsageError("--\(name) belongs to the sampled solver of nonlinear activations (the linear network's theory is deterministic)")
        }
        if ["train", "labels", "test", "test-labels"].contains(where: { options.value($0) != nil }) {
            return try runOnData(options, depth: depth, gamma: gamma, lambda: lambda, time: time, points: points)
        }
        let size = try options.integer("whitened-points", default: 3, in: 1...GradientFlowFluctuations.maximumPoints)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let g = gamma.doubleApproximation, l = lambda.doubleApproximation, t = time.doubleApproximation
        let levels = try options.integer("levels", default: 2, in: 2...3)
        let value = try solve(depth: depth, time: t, points: points, gamma: g, lambda: l, kernelScale: 1, levels: levels) { perInterval in
            try DeepLinearGradientFlowFluctuations(depth: depth, gamma: g, lambda: l, points: size, time: t, intervals: points,
                                                   stepsPerInterval: perInterval, scheme: scheme, levels: levels)
        }
        switch format {
        case .json: return json(value, gamma: gamma, lambda: lambda, time: time, points: points)
        case .csv: return csv(value)
        case .table: return table(value, gamma: gamma, lambda: lambda, time: time)
        }
    }

    /// Column `o` of the values over the times, as an approximate sequence (the largest residual over the times).
    static func sequence(_ values: [[Double]], _ residuals: [[Double]], _ o: Int) -> JSONValue {
        let v = values.map { $0[o] }, r = residuals.map { $0[o] }.max() ?? 0
        return .object([("kind", .string("approximate")), ("values", .array(v.map { .string(OutputContract.decimal17($0)) })),
                        ("floats", .array(v.map { .number($0) })), ("residual", .string(OutputContract.decimal17(r)))])
    }

    static func json(_ f: DeepLinearGradientFlowFluctuations, gamma: BigRational, lambda: BigRational, time: BigRational, points: Int) -> String {
        let p = f.points, o = p >= 2 ? 1 : 0
        func variance(_ i: Int) -> JSONValue { sequence(f.variances, f.varianceResiduals, i) }
        func mean(_ i: Int) -> JSONValue { sequence(f.means, f.meanResiduals, i) }
        let test = 1 + o, ntk = 2 + o, first = 3 + o
        return OutputContract.render(command: "fluctuations --setting gradient-flow", [
            ("setting", .string("gradient-flow")), ("activation", .string("identity")), ("depth", .integer(f.depth)),
            ("gamma", OutputContract.exact(gamma)), ("lambda", OutputContract.exact(lambda)), ("time", OutputContract.exact(time)),
            ("points", .integer(points)), ("whitened_points", .integer(p)),
            ("data", .string("whitened: P = \(p) points, X X^T/D = I, y = e_1; test input orthogonal to the training inputs, |x*|^2/D = 1")),
            ("precision", .string(precision(f, data: false))),
            ("times", .array(f.times.map { .string(OutputContract.decimal17($0)) })),
            ("prediction_variance", .object([
                ("label_direction", variance(0)), ("orthogonal_direction", p >= 2 ? variance(1) : .null),
                ("orthogonal_test_point", variance(test)),
                ("label_direction_from_kernels", .null), ("orthogonal_direction_from_kernels", .null),
            ])),
            ("ntk_variance", variance(ntk)),
            ("overlap_variance", variance(first + f.depth - 1)),
            ("layer_overlap_variance", .array((0..<f.depth).map { variance(first + $0) })),
            ("overlap_mean_shift", .null),
            ("infinite_width", .object([
                ("f_dot_y", mean(0)), ("layer_overlaps", .array((0..<f.depth).map { mean(first + $0) })),
                ("overlap", mean(first + f.depth - 1)), ("ntk_diagonal", mean(ntk)),
            ])),
        ])
    }

    static func csv(_ f: DeepLinearGradientFlowFluctuations) -> String {
        let names = f.observables.map { name -> String in
            switch name {
            case "f_1": return "label_variance"
            case "f_2": return "orthogonal_variance"
            case "f_test": return "test_variance"
            case "ntk_mean": return "ntk_variance"
            default: return name + "_variance"
            }
        }
        var lines = [(["time"] + names + ["f_dot_y"] + names.map { $0 + "_residual" } + ["f_dot_y_residual"]).joined(separator: ",")]
        for i in f.times.indices {
            let cells = [f.times[i]] + f.variances[i] + [f.means[i][0]] + f.varianceResiduals[i] + [f.meanResiduals[i][0]]
            lines.append(cells.map(OutputContract.decimal17).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ f: DeepLinearGradientFlowFluctuations, gamma: BigRational, lambda: BigRational, time: BigRational) -> String {
        func text(_ x: Double) -> String { String(format: "%.6g", x) }
        let o = f.points >= 2 ? 1 : 0
        var lines = ["Finite-width fluctuations along gradient flow, deep linear network with \(f.depth) hidden layers, whitened data (P = \(f.points), y = e_1)",
                     "gamma = \(OutputContract.exactText(gamma)), lambda = \(OutputContract.exactText(lambda)), T = \(OutputContract.exactText(time)); N x Var as N -> infinity (FG29-FG32, FG38-FG39), approximate (RK4 dt = \(text(f.timeStep)) and dt/2, Richardson)",
                     "t  f.y  N Var(y.f)  N Var(e.f)  N Var(f*)  N Var(tr K/P)  " + (1...f.depth).map { "N Var(H^\($0)_11)" }.joined(separator: "  ")]
        for i in f.times.indices {
            var row = [text(f.times[i]), text(f.means[i][0]), text(f.variances[i][0]), o == 1 ? text(f.variances[i][1]) : "-"]
            row += f.variances[i][(1 + o)...].map(text)
            lines.append(row.joined(separator: "  "))
        }
        let residual = f.varianceResiduals.flatMap { $0 }.max() ?? 0
        lines.append("e.f: a training point orthogonal to y; f*: a test input orthogonal to the training inputs; H^l_11 = y^T H^l y, the overlap of layer l. Largest residual \(text(residual)).")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: data files (FG35)-(FG37)

    static func runOnData(_ options: ParsedArguments, depth: Int, gamma: BigRational, lambda: BigRational, time: BigRational, points: Int) throws -> String {
        guard options.value("whitened-points") == nil else { throw UsageError("--whitened-points and --train exclude each other") }
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let data = try DataFiles.trainingData(options)
        guard data.count <= GradientFlowDataFluctuations.maximumInputs else {
            throw UsageError("fluctuations on data take at most \(GradientFlowDataFluctuations.maximumInputs) training and test points together (got \(data.count)); use fewer points")
        }
        guard data.labels.contains(where: { $0 != 0 }) else { throw UsageError("--labels are all zero (the overlap y^T H y/|y|^2 is undefined)") }
        let g = gamma.doubleApproximation, l = lambda.doubleApproximation, t = time.doubleApproximation
        guard let eigen = LinearAlgebra.symmetricEigen(data.inputKernel, n: data.count), let largest = eigen.values.max(), largest > 0 else {
            throw UsageError("--train: the input kernel X X^T/D is zero or its eigendecomposition failed")
        }
        let levels = try options.integer("levels", default: 2, in: 2...3)
        let value = try solve(depth: depth, time: t, points: points, gamma: g, lambda: l, kernelScale: max(1, largest), levels: levels) { perInterval in
            try DeepLinearGradientFlowFluctuations(depth: depth, gamma: g, lambda: l, data: data, time: t, intervals: points,
                                                   stepsPerInterval: perInterval, scheme: scheme, levels: levels)
        }
        let parameters = GradientFlowDataFluctuationsOutput.Parameters(activation: .identity, gamma: gamma, lambda: lambda, time: time,
                                                                         points: points, data: data, whitened: false)
        switch format {
        case .json: return dataJSON(value, parameters)
        case .csv: return dataCSV(value)
        case .table: return dataTable(value, parameters)
        }
    }

    /// The keys of the depth-1 data output (`GradientFlowDataFluctuationsOutput.linearJSON`), with every layer's overlap c_l
    /// added; the kernel parts of the prediction variances (no `points_from_kernels`) and the overlap's mean shift (null) are
    /// not computed.
    static func dataJSON(_ f: DeepLinearGradientFlowFluctuations, _ p: GradientFlowDataFluctuationsOutput.Parameters) -> String {
        func variance(_ i: Int) -> JSONValue { sequence(f.variances, f.varianceResiduals, i) }
        func mean(_ i: Int) -> JSONValue { sequence(f.means, f.meanResiduals, i) }
        let reported = f.observables.count - 1 - f.depth, ntk = reported, first = reported + 1
        return OutputContract.render(command: "fluctuations --setting gradient-flow", GradientFlowDataFluctuationsOutput.head(p, depth: f.depth) + [
            ("precision", .string(precision(f, data: true))),
            ("times", .array(f.times.map { .string(OutputContract.decimal17($0)) })),
            ("prediction_variance", .object([
                ("predictions_of", .string(f.testCount > 0 ? "test" : "train")),
                ("points", .array((0..<reported).map(variance))),
            ])),
            ("ntk_variance", variance(ntk)),
            ("overlap_variance", variance(first + f.depth - 1)),
            ("layer_overlap_variance", .array((0..<f.depth).map { variance(first + $0) })),
            ("overlap_mean_shift", .null),
            ("infinite_width", .object([
                ("predictions", .array((0..<reported).map(mean))),
                ("overlap", mean(first + f.depth - 1)), ("layer_overlaps", .array((0..<f.depth).map { mean(first + $0) })),
                ("ntk_diagonal", mean(ntk)),
            ])),
        ])
    }

    static func dataCSV(_ f: DeepLinearGradientFlowFluctuations) -> String {
        let names = f.observables.map { name -> String in
            if name.hasPrefix("f_") { return String(name.dropFirst(2)) + "_variance" }
            return name == "ntk_mean" ? "ntk_variance" : name + "_variance"
        }
        var lines = [(["time"] + names + names.map { $0 + "_residual" }).joined(separator: ",")]
        for i in f.times.indices {
            lines.append(([f.times[i]] + f.variances[i] + f.varianceResiduals[i]).map(OutputContract.decimal17).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func dataTable(_ f: DeepLinearGradientFlowFluctuations, _ p: GradientFlowDataFluctuationsOutput.Parameters) -> String {
        func text(_ x: Double) -> String { String(format: "%.6g", x) }
        let reported = f.observables.count - 1 - f.depth, of = f.testCount > 0 ? "test" : "train"
        var lines = ["Finite-width fluctuations along gradient flow, deep linear network with \(f.depth) hidden layers, \(p.data.trainCount) training and \(p.data.testCount) test points (input kernel C)",
                     "gamma = \(OutputContract.exactText(p.gamma)), lambda = \(OutputContract.exactText(p.lambda)), T = \(OutputContract.exactText(p.time)); N x Var as N -> infinity (FG29-FG32, FG35-FG39), approximate (RK4 dt = \(text(f.timeStep)) and dt/2, Richardson)",
                     "t  " + (0..<reported).map { "N Var f(\(of) \($0))" }.joined(separator: "  ") + "  N Var(tr K/P)  " + (1...f.depth).map { "N Var(c_\($0))" }.joined(separator: "  ")]
        for i in f.times.indices { lines.append(([text(f.times[i])] + f.variances[i].map(text)).joined(separator: "  ")) }
        let residual = f.varianceResiduals.flatMap { $0 }.max() ?? 0
        lines.append("c_l = y^T H^l y/|y|^2, the overlap of layer l. Largest residual \(text(residual)).")
        return lines.joined(separator: "\n") + "\n"
    }
}
