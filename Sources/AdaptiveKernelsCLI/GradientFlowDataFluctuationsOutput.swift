import Foundation
import Core
import Theory
import Numerics

/// `fluctuations --setting gradient-flow` on data files (identity: `GradientFlowDataFluctuations`, approximate) and for
/// nonlinear two-layer networks (relu, tanh, erf, on whitened data or data files: `TwoLayerInfluenceFluctuations`,
/// estimated) (notes/fluctuations-gradient-flow.md (FG13)-(FG23)).
enum GradientFlowDataFluctuationsOutput {
    struct Parameters {
        let activation: Activation
        let gamma: BigRational, lambda: BigRational, time: BigRational, points: Int
        let data: LabelledData
        /// Whitened P points with one orthogonal test input (no data files).
        let whitened: Bool
    }

    static func run(_ options: ParsedArguments, activation: Activation, gamma: BigRational, lambda: BigRational, time: BigRational,
                    points: Int, format: OutputFormat) throws -> String {
        let hasData = options.value("train") != nil || options.value("labels") != nil
        let data: LabelledData
        if hasData {
            guard options.value("whitened-points") == nil else { throw UsageError("--whitened-points and --train exclude each other") }
            data = try DataFiles.trainingData(options)
        } else {
            data = try LabelledData.whitenedWithOrthogonalTest(points: try options.integer("whitened-points", default: 3, in: 1...GradientFlowFluctuations.maximumPoints))
        }
        guard data.count <= GradientFlowDataFluctuations.maximumInputs else {
            throw UsageError("fluctuations on data take at most \(GradientFlowDataFluctuations.maximumInputs) training and test points together (got \(data.count)); use fewer points")
        }
        guard data.labels.contains(where: { $0 != 0 }) else { throw UsageError("--labels are all zero (the overlap y^T Phi y/|y|^2 is undefined)") }
        let parameters = Parameters(activation: activation, gamma: gamma, lambda: lambda, time: time, points: points, data: data, whitened: !hasData)
        let g = gamma.doubleApproximation, l = lambda.doubleApproximation, t = time.doubleApproximation
        if activation == .identity {
            for name in ["sites", "replicas", "seed"] where options.value(name) != nil {
                throw UsageError("--\(name) belongs to the sampled solver of nonlinear activations (the linear network's theory is deterministic)")
            }
            let work = t * (1 + g + l) * pow(Double(data.count + 1), 4)
            guard work <= 1e7 else {
                throw UsageError("--setting gradient-flow: T (1 + gamma + lambda) (P + Q + 1)^4 = \(String(format: "%.3g", work)) is above 1e7 (about a minute of work); use fewer points or a shorter time")
            }
            let value = try GradientFlowFluctuationsOutput.solve {
                try GradientFlowDataFluctuations(data: data, gamma: g, lambda: l, time: t, intervals: points)
            }
            switch format {
            case .json: return linearJSON(value, parameters)
            case .csv: return linearCSV(value)
            default: return linearTable(value, parameters)
            }
        }
        let sites = try options.integer("sites", default: 1024, in: 16...1_000_000)
        guard sites % 2 == 0 else { throw UsageError("--sites must be even (antithetic pairs)") }
        let replicas = try options.integer("replicas", default: 16, in: 2...1000)
        let seed = UInt64(try options.integer("seed", default: 1, in: 0...Int(Int32.max)))
        // (FG22) Euler steps dt = 0.1/(1 + gamma + lambda) and dt/2; cost ~ sites replicas (T/dt)^2 (P + Q + 1)^2 P.
        let step = 0.1 / (1 + g + l)
        let work = Double(sites * replicas) * pow(t / step, 2) * pow(Double(data.count + 1), 2) * Double(data.trainCount)
        guard work <= 2e11 else {
            throw UsageError("--setting gradient-flow --activation \(activation.rawValue): sites x replicas x (T/dt)^2 x (P + Q + 1)^2 x P = \(String(format: "%.3g", work)) is above 2e11 (minutes of work; dt = 0.1/(1 + gamma + lambda)); use fewer sites, a shorter time or fewer points")
        }
        let value = try GradientFlowFluctuationsOutput.solve {
            try TwoLayerInfluenceFluctuations(data: data, activation: activation, gamma: g, lambda: l, time: t, intervals: points,
                                              settings: .init(sites: sites, replicas: replicas, timeStep: step, seed: seed))
        }
        switch format {
        case .json: return sampledJSON(value, parameters)
        case .csv: return sampledCSV(value)
        default: return sampledTable(value, parameters)
        }
    }

    static func head(_ p: Parameters, depth: Int = 1) -> [(String, JSONValue)] {
        [("setting", .string("gradient-flow")), ("activation", .string(p.activation.rawValue)), ("depth", .integer(depth)),
         ("gamma", OutputContract.exact(p.gamma)), ("lambda", OutputContract.exact(p.lambda)), ("time", OutputContract.exact(p.time)),
         ("points", .integer(p.points)), ("whitened_points", p.whitened ? .integer(p.data.trainCount) : .null),
         ("train_points", .integer(p.data.trainCount)), ("test_points", .integer(p.data.testCount)),
         ("data", .string(p.whitened ? p.data.name : "data files: P = \(p.data.trainCount) training, Q = \(p.data.testCount) test points, D = \(p.data.dimension)"))]
    }

    // MARK: the linear network on data (approximate)

    static func linearJSON(_ f: GradientFlowDataFluctuations, _ p: Parameters) -> String {
        let sequence = GradientFlowFluctuationsOutput.sequence
        let reported = Array(f.reportedPredictions)
        return OutputContract.render(command: "fluctuations --setting gradient-flow", head(p) + [
            ("precision", .string("RK4 with steps h and h/2 (h <= 0.01/((1 + gamma) max(1, |C|) + lambda)), Richardson (16 y_{h/2} - y_h)/15; residual |y_{h/2} - y_h|/15 (FG10), (FG15)")),
            ("times", .array(f.times.map { .string(OutputContract.decimal17($0)) })),
            ("prediction_variance", .object([
                ("predictions_of", .string(f.testCount > 0 ? "test" : "train")),
                ("points", .array(reported.map { sequence($0.total) })),
                ("points_from_kernels", .array(reported.map { sequence($0.kernel) })),
            ])),
            ("ntk_variance", sequence(f.ntkVariance)),
            ("overlap_variance", sequence(f.overlapVariance)),
            ("overlap_mean_shift", sequence(f.overlapMeanShift)),
            ("infinite_width", .object([
                ("predictions", .array((f.testCount > 0 ? Array(f.meanPredictions[f.trainCount...]) : Array(f.meanPredictions[..<f.trainCount])).map { sequence($0) })),
                ("overlap", sequence(f.meanOverlap)), ("ntk_diagonal", sequence(f.meanNTKDiagonal)),
            ])),
        ])
    }

    static func linearCSV(_ f: GradientFlowDataFluctuations) -> String {
        let reported = Array(f.reportedPredictions), prefix = f.testCount > 0 ? "test" : "train"
        var columns: [(String, GradientFlowFluctuations.Series)] = reported.enumerated().map { ("\(prefix)_\($0.offset)_variance", $0.element.total!) }
        columns += [("ntk_variance", f.ntkVariance), ("overlap_variance", f.overlapVariance), ("overlap_mean_shift", f.overlapMeanShift)]
        return GradientFlowFluctuationsOutput.csv(times: f.times, columns: columns)
    }

    static func linearTable(_ f: GradientFlowDataFluctuations, _ p: Parameters) -> String {
        func text(_ x: Double) -> String { String(format: "%.8g", x) }
        let reported = Array(f.reportedPredictions), of = f.testCount > 0 ? "test" : "train"
        var lines = ["Finite-width fluctuations along gradient flow, two-layer linear network, \(p.data.trainCount) training and \(p.data.testCount) test points (input kernel C)",
                     "gamma = \(OutputContract.exactText(p.gamma)), lambda = \(OutputContract.exactText(p.lambda)), T = \(OutputContract.exactText(p.time)); N x Var and N x mean shift as N -> infinity (FG13-FG15), approximate",
                     "t  " + reported.indices.map { "N Var f(\(of) \($0))" }.joined(separator: "  ") + "  N Var(tr K/P)  N Var(c)  N (E c - c)"]
        for i in f.times.indices {
            lines.append(([text(f.times[i])] + reported.map { text($0.total!.values[i]) } +
                          [text(f.ntkVariance.values[i]), text(f.overlapVariance.values[i]), text(f.overlapMeanShift.values[i])]).joined(separator: "  "))
        }
        let residual = ([f.ntkVariance.residual, f.overlapVariance.residual, f.overlapMeanShift.residual] + reported.map { $0.total!.residual }).max() ?? 0
        lines.append("c = y^T (H^T H/N) y/|y|^2. Largest residual \(text(residual)).")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: nonlinear two-layer networks (estimated)

    static func estimates(_ xs: [Estimate]) -> JSONValue { .array(xs.map { OutputContract.estimated($0) }) }

    static func sampledJSON(_ f: TwoLayerInfluenceFluctuations, _ p: Parameters) -> String {
        let reported = Array(f.reportedPredictions)
        let predictions: JSONValue
        if p.whitened {
            predictions = .object([
                ("label_direction", estimates(f.predictionVariance[0])),
                ("orthogonal_direction", f.trainCount >= 2 ? estimates(f.predictionVariance[1]) : .null),
                ("orthogonal_test_point", estimates(f.predictionVariance[f.trainCount])),
                ("label_direction_from_kernels", .null), ("orthogonal_direction_from_kernels", .null),
            ])
        } else {
            predictions = .object([("predictions_of", .string(f.testCount > 0 ? "test" : "train")),
                                   ("points", .array(reported.map(estimates)))])
        }
        let meanPredictions = f.testCount > 0 ? Array(f.meanPredictions[f.trainCount...]) : Array(f.meanPredictions[..<f.trainCount])
        return OutputContract.render(command: "fluctuations --setting gradient-flow", head(p) + [
            ("sites", .integer(f.settings.sites)), ("replicas", .integer(f.settings.replicas)), ("seed", .integer(Int(f.settings.seed))),
            ("precision", .string("influence function of one neuron (FG19), population of \(f.settings.sites) sites in \(f.settings.replicas) replicas: mean over replicas, standard error over replicas (\(f.settings.replicas - 1) degrees of freedom); Euler steps dt = \(OutputContract.decimal17(f.settings.timeStep)) and dt/2 on the same sites, Richardson 2 y_{dt/2} - y_dt, systematic = |y_{dt/2} - y_dt| (FG22)")),
            ("times", .array(f.times.map { .string(OutputContract.decimal17($0)) })),
            ("prediction_variance", predictions),
            ("ntk_variance", estimates(f.ntkVariance)),
            ("overlap_variance", estimates(f.overlapVariance)),
            ("overlap_mean_shift", .null),
            ("infinite_width", .object([
                ("predictions", .array(meanPredictions.map(estimates))),
                ("overlap", estimates(f.meanOverlap)), ("ntk_diagonal", estimates(f.meanNTKDiagonal)),
            ])),
        ])
    }

    static func sampledCSV(_ f: TwoLayerInfluenceFluctuations) -> String {
        let reported = Array(f.reportedPredictions), prefix = f.testCount > 0 ? "test" : "train"
        var columns: [(String, [Estimate])] = reported.enumerated().map { ("\(prefix)_\($0.offset)_variance", $0.element) }
        columns += [("ntk_variance", f.ntkVariance), ("overlap_variance", f.overlapVariance)]
        var header = ["time"]
        for (name, _) in columns { header += [name, name + "_standard_error", name + "_systematic"] }
        var lines = [header.joined(separator: ",")]
        for i in f.times.indices {
            var cells = [f.times[i]]
            for (_, series) in columns { cells += [series[i].value, series[i].standardError, series[i].systematic] }
            lines.append(cells.map(OutputContract.decimal17).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func sampledTable(_ f: TwoLayerInfluenceFluctuations, _ p: Parameters) -> String {
        func text(_ e: Estimate) -> String { String(format: "%.5g +- %.2g", e.value, e.standardError + e.systematic) }
        let reported = Array(f.reportedPredictions), of = f.testCount > 0 ? "test" : "train"
        var lines = ["Finite-width fluctuations along gradient flow, two-layer \(p.activation.rawValue) network, \(p.data.trainCount) training and \(p.data.testCount) test points",
                     "gamma = \(OutputContract.exactText(p.gamma)), lambda = \(OutputContract.exactText(p.lambda)), T = \(OutputContract.exactText(p.time)); N x Var as N -> infinity (FG19-FG22), estimated: \(f.settings.sites) sites x \(f.settings.replicas) replicas, seed \(f.settings.seed)",
                     "t  " + reported.indices.map { "N Var f(\(of) \($0))" }.joined(separator: "  ") + "  N Var(tr K/P)  N Var(c)"]
        for i in f.times.indices {
            lines.append(([String(format: "%.6g", f.times[i])] + reported.map { text($0[i]) } + [text(f.ntkVariance[i]), text(f.overlapVariance[i])]).joined(separator: "  "))
        }
        lines.append("c = y^T Phi y/|y|^2; +- standard error plus time-step systematic.")
        return lines.joined(separator: "\n") + "\n"
    }
}
