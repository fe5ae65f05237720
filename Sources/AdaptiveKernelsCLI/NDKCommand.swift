import Foundation
import Core
import Numerics
import Theory
import Studies

/// `adaptive-kernels ndk`: the neural dynamical kernel's mean predictor under Langevin training
/// (notes/neural-dynamical-kernel.md): parses, calls `NDKStudy`, renders.
enum NDKCommand {
    static let subcommand = Subcommand(name: "ndk", summary: "Langevin learning of wide networks: mean predictor from the NTK to the NNGP (neural dynamical kernel)",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels ndk --activation A --depth L --temperature T --prior-variance S2
                                --init-variance S02 --train X.npy --labels y.npy
                                [--test Xt.npy --test-labels yt.npy] --time TMAX [--points K]
                                [--time-min T0] [--tolerance E] [--drift K2] [--format table|csv|json]
                                [--out-dir DIR]
      Setting (standard parameterization, "Connecting NTK and NNGP", arXiv:2309.04522): a network
      h^1 = W^1 x/sqrt(D), h^{l+1} = W^{l+1} phi(h^l)/sqrt(N), f = a . phi(h^L)/sqrt(N) with L >= 0
      hidden layers of width N -> infinity, activation A (identity|linear, relu, erf; tanh by
      quadrature), cost E = 1/2 sum_mu (f(x_mu) - y_mu)^2 + T/(2 S2) |theta|^2, Langevin dynamics
      d theta = -grad E dt + sqrt(2T) dW, initial weights i.i.d. N(0, S02).
      The mean predictor solves a Volterra equation with the neural dynamical kernel K(t, t')
      (notes/neural-dynamical-kernel.md, NK6-NK8); it is solved on K (default 40) log-spaced times
      from T0 (default min(TMAX/100, 0.1/mu_max of the NTK)) to TMAX by the trapezoid rule with
      step halving until the change is <= E (default 1e-3); that change is reported as the error
      of every value (all values approximate, double precision). Reported: the mean train and test
      predictions along time, train/test loss (mean squared error), the NTK plateau
      theta(x)^T Theta^{-1} y (T -> 0, variance S02) and the NNGP plateau k(x)^T (K + T I)^{-1} y
      (variance S2), the time scales (gradient-driven 1/mu_min(NTK), diffusive S2/T), the optimal
      early-stopping time and its phase, and with --drift K2 the frozen-readout output at K2 times
      after TMAX (representational drift, NK16) with its long-time limit.
      --out-dir DIR writes trajectory.csv (time, train_i, test_j, losses) and summary.json.
      Cost grows as (number of grid steps)^2 x P^2 x L: keep P in the tens and TMAX within a few
      S2/T (the grid needs steps of order 1/((L + 1) T/S2)).
    """

    static let valued: Set<String> = ["activation", "depth", "temperature", "prior-variance", "init-variance", "train", "labels",
                         "test", "test-labels", "time", "points", "time-min", "tolerance", "drift"]

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: valued.union(["format", "out-dir"]), switches: [])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let (result, parameters) = try study(options)
        let json = NDKReport.json(result, parameters: parameters)
        if let out = options.value("out-dir") {
            try DataFiles.writeAtomically([("trajectory.csv", Data(NDKReport.csv(result).utf8)),
                                           ("summary.json", Data((json.serialized() + "\n").utf8))], to: out, option: "out-dir")
        }
        switch format {
        case .json: return json.serialized() + "\n"
        case .csv: return NDKReport.csv(result)
        case .table: return NDKReport.table(result)
        }
    }

    /// Parses the model, data and grid options and runs the study; also returns the parameters as echoed in JSON.
    static func study(_ options: ParsedArguments) throws -> (NDKStudy.Result, [(String, JSONValue)]) {
        let activation = try options.activation()
        let depth = try options.integer("depth", default: -1, in: 0...NDKSetting.maximumDepth)
        guard depth >= 0 else { throw UsageError("--depth is required") }
        func positive(_ name: String) throws -> (BigRational, Double) {
            let text = try options.required(name)
            guard let value = try? BigRational(parsing: text), value.signum > 0 else { throw UsageError("--\(name) must be a positive number (got '\(text)')") }
            let double = Double(text) ?? value.doubleApproximation   // the correctly rounded double when the text is a decimal
            guard double.isFinite, double > 0 else { throw UsageError("--\(name) is out of range (got '\(text)')") }
            return (value, double)
        }
        let temperature = try positive("temperature"), prior = try positive("prior-variance"), initial = try positive("init-variance")
        let horizon = try positive("time")
        let points = try options.integer("points", default: 40, in: 1...2000)
        let driftPoints = try options.integer("drift", default: 0, in: 0...200)
        let minimum = options.value("time-min") == nil ? nil : try positive("time-min").1
        let tolerance = options.value("tolerance") == nil ? 1e-3 : try positive("tolerance").1
        let data = try DataFiles.trainingData(options)
        let result: NDKStudy.Result = try studyErrors {
            do {
                var problem = NDKStudy.Problem(
                    data: data,
                    setting: try NDKSetting(activation: activation, depth: depth, temperature: temperature.1, priorVariance: prior.1, initVariance: initial.1),
                    maximumTime: horizon.1)
                problem.points = points; problem.minimumTime = minimum; problem.tolerance = tolerance; problem.driftPoints = driftPoints
                return try NDKStudy.run(problem)
            } catch let error as InputError { throw UsageError(error.description) }
        }
        return (result, [("activation", .string(activation.rawValue)), ("depth", .integer(depth)),
                         ("temperature", OutputContract.exact(temperature.0)), ("prior_variance", OutputContract.exact(prior.0)),
                                                       ("init_variance", OutputContract.exact(initial.0)), ("time", OutputContract.exact(horizon.0)),
                                                       ("points", .integer(points))])
    }
}

/// Renderings of an `NDKStudy.Result` (every value approximate, with its step-halving error).
enum NDKReport {
    static func json(_ r: NDKStudy.Result, parameters: [(String, JSONValue)]) -> JSONValue {
        let t = r.trajectory, e = r.equilibria
        func withError(_ x: Double, _ err: Double) -> JSONValue { OutputContract.approximate(x, residual: err) }
        var members = parameters
        members += [
            ("setting", .string("standard parameterization, E = 1/2 sum (f - y)^2 + T/(2 sigma^2) |theta|^2, d theta = -grad E dt + sqrt(2T) dW, theta(0) ~ N(0, sigma_0^2), width -> infinity")),
            ("train_points", .integer(r.inputs.trainCount)), ("test_points", .integer(r.inputs.testCount)),
            ("error_control", .object([
                ("method", .string("trapezoid rule on the Volterra equation, step halving (notes/neural-dynamical-kernel.md (NK17)); residual = |f_2m - f_m|")),
                ("steps_per_interval", .integer(t.stepsPerInterval)), ("tolerance", .string(OutputContract.decimal17(t.tolerance))),
                ("maximum_error", .string(OutputContract.decimal17(t.maximumError))), ("converged", .bool(t.converged)),
            ])),
            ("times", OutputContract.approximateArray(t.times)),
            ("train_mean_prediction", .array(t.train.indices.map { k in
                .object([("kind", .string("approximate")), ("values", .array(t.train[k].map { .string(OutputContract.decimal17($0)) })),
                         ("floats", .array(t.train[k].map { .number($0) })), ("residual", .string(OutputContract.decimal17(t.trainError[k])))]) })),
            ("test_mean_prediction", .array(t.test.indices.map { k in
                .object([("kind", .string("approximate")), ("values", .array(t.test[k].map { .string(OutputContract.decimal17($0)) })),
                         ("floats", .array(t.test[k].map { .number($0) })), ("residual", .string(OutputContract.decimal17(t.testError[k])))]) })),
            ("train_loss", .array(r.trainLoss.indices.map { withError(r.trainLoss[$0], r.trainLossError[$0]) })),
            ("test_loss", .array((r.testLoss ?? []).indices.map { withError(r.testLoss![$0], r.testLossError![$0]) })),
            ("ntk_equilibrium", .object([("train", OutputContract.approximateArray(e.ntkTrain)), ("test", OutputContract.approximateArray(e.ntkTest)),
                                         ("test_loss", r.ntkTestLoss.map { OutputContract.approximate($0) } ?? .null)])),
            ("nngp_equilibrium", .object([("train", OutputContract.approximateArray(e.nngpTrain)), ("test", OutputContract.approximateArray(e.nngpTest)),
                                          ("test_loss", r.nngpTestLoss.map { OutputContract.approximate($0) } ?? .null),
                                          ("solve_residual", .string(OutputContract.decimal17(e.nngpResidual)))])),
            ("time_scales", .object([("gradient_driven", OutputContract.approximate(e.gradientTime)),
                                     ("gradient_driven_fastest", OutputContract.approximate(e.fastestGradientTime)),
                                     ("diffusive", OutputContract.approximate(e.diffusiveTime)),
                                     ("phase_boundary", OutputContract.approximate(e.phaseBoundary))])),
            ("early_stopping", r.earlyStopping.map { s in .object([("time", OutputContract.approximate(s.time)), ("index", .integer(s.index)),
                                                                   ("test_loss", OutputContract.approximate(s.testLoss)), ("phase", .string(s.phase))]) } ?? .null),
        ]
        if let d = r.drift {
            members.append(("drift", .object([
                ("freeze_time", OutputContract.approximate(d.freezeTime)),
                ("times", OutputContract.approximateArray(d.times)),
                ("train_mean_prediction", .array(d.train.map(OutputContract.approximateArray))),
                ("test_mean_prediction", .array(d.test.map(OutputContract.approximateArray))),
                ("long_time_train", OutputContract.approximateArray(e.driftLimitTrain)),
                ("long_time_test", OutputContract.approximateArray(e.driftLimitTest)),
            ])))
        }
        return OutputContract.document(command: "ndk", members)
    }

    static func csv(_ r: NDKStudy.Result) -> String {
        let t = r.trajectory, p = r.inputs.trainCount, q = r.inputs.testCount
        var header = ["time"] + (0..<p).map { "train_\($0)" } + (0..<q).map { "test_\($0)" } + ["train_loss"]
        if r.testLoss != nil { header.append("test_loss") }
        header.append("error")
        var lines = [header.joined(separator: ",")]
        for k in t.times.indices {
            var row = [t.times[k]] + t.train[k] + t.test[k] + [r.trainLoss[k]]
            if let tl = r.testLoss { row.append(tl[k]) }
            row.append(max(t.trainError[k], t.testError[k]))
            lines.append(row.map { OutputContract.decimal17($0) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ r: NDKStudy.Result) -> String {
        let t = r.trajectory, e = r.equilibria, s = r.problem.setting
        func g(_ x: Double) -> String { String(format: "%.6g", x) }
        var lines: [String] = []
        lines.append("Neural dynamical kernel: mean predictor of Langevin training (notes/neural-dynamical-kernel.md)")
        lines.append("activation \(s.activation.rawValue), L = \(s.depth), T = \(g(s.temperature)), sigma^2 = \(g(s.priorVariance)), sigma_0^2 = \(g(s.initVariance)); P = \(r.inputs.trainCount), Q = \(r.inputs.testCount)")
        lines.append("all values approximate; step-halving error <= \(String(format: "%.1e", t.maximumError))\(t.converged ? "" : "  (NOT below the tolerance \(String(format: "%.1e", t.tolerance)))")")
        lines.append("time scales: gradient-driven 1/mu_min = \(g(e.gradientTime)) (fastest \(g(e.fastestGradientTime))), diffusive sigma^2/T = \(g(e.diffusiveTime)), boundary \(g(e.phaseBoundary))")
        lines.append("")
        let showTest = r.inputs.testCount > 0
        lines.append("time          train loss    " + (r.testLoss != nil ? "test loss     " : "") + (showTest ? "test[0]" : "train[0]"))
        for k in t.times.indices {
            var line = g(t.times[k]).padding(toLength: 14, withPad: " ", startingAt: 0) + g(r.trainLoss[k]).padding(toLength: 14, withPad: " ", startingAt: 0)
            if let tl = r.testLoss { line += g(tl[k]).padding(toLength: 14, withPad: " ", startingAt: 0) }
            line += g(showTest ? t.test[k][0] : t.train[k][0])
            lines.append(line)
        }
        lines.append("")
        if showTest {
            lines.append("NTK plateau test[0] = \(g(e.ntkTest[0]))   NNGP plateau test[0] = \(g(e.nngpTest[0]))")
        }
        if let a = r.ntkTestLoss, let b = r.nngpTestLoss { lines.append("test loss: NTK plateau \(g(a)), NNGP plateau \(g(b))") }
        if let s = r.earlyStopping { lines.append("optimal early stopping: t = \(g(s.time)), test loss \(g(s.testLoss)) (\(s.phase) phase)") }
        if let d = r.drift {
            lines.append("drift (readout frozen at t0 = \(g(d.freezeTime))): train[0] " + d.times.indices.map { "t=\(g(d.times[$0])): \(g(d.train[$0][0]))" }.joined(separator: ", "))
            lines.append("  long-time limit train[0] = \(g(e.driftLimitTrain[0])) (nonzero only when E phi(h) != 0, e.g. ReLU: the input norms survive)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `plot ndk`: the mean test predictions and the test loss against time (log axis), with the NTK
/// (dashed) and NNGP (dotted) plateaus of each curve and the two time scales as vertical markers.
enum NDKFigure {
    static func plot(_ r: NDKStudy.Result) -> SVGPlot {
        let t = r.trajectory, e = r.equilibria
        var curves: [(label: String, values: [Double], ntk: Double?, nngp: Double?)] = []
        if r.inputs.testCount > 0 {
            for j in 0..<min(r.inputs.testCount, 5) { curves.append(("test[\(j)]", t.test.map { $0[j] }, e.ntkTest[j], e.nngpTest[j])) }
        } else {
            for j in 0..<min(r.inputs.trainCount, 5) { curves.append(("train[\(j)]", t.train.map { $0[j] }, e.ntkTrain[j], e.nngpTrain[j])) }
        }
        if let loss = r.testLoss { curves.append(("test loss", loss, r.ntkTestLoss, r.nngpTestLoss)) }
        let all = curves.flatMap { $0.values + [$0.ntk, $0.nngp].compactMap { $0 } }
        var low = all.min() ?? 0, high = all.max() ?? 1
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let pad = 0.05 * (high - low)
        let range = (t.times.first ?? 1e-3)...(t.times.last ?? 1)
        var plot = SVGPlot(title: "NDK mean predictor, \(r.problem.setting.activation.rawValue) L = \(r.problem.setting.depth), T = \(String(format: "%g", r.problem.setting.temperature)): dashed NTK plateau, dotted NNGP plateau",
                           x: .init(label: "time", logarithmic: true, range: range.lowerBound...max(range.upperBound, range.lowerBound * 10)),
                           y: .init(label: "mean prediction / test loss", logarithmic: false, range: (low - pad)...(high + pad)))
        for (index, curve) in curves.enumerated() {
            let color = curve.label == "test loss" ? "#000000" : SVGPlot.palette[index % SVGPlot.palette.count]
            plot.series.append(.init(label: curve.label, points: zip(t.times, curve.values).map { ($0, $1) }, color: color, markers: curve.label == "test loss"))
            if let ntk = curve.ntk { plot.series.append(.init(label: nil, points: [(range.lowerBound, ntk), (range.upperBound, ntk)], color: color, stroke: .dashed)) }
            if let nngp = curve.nngp { plot.series.append(.init(label: nil, points: [(range.lowerBound, nngp), (range.upperBound, nngp)], color: color, stroke: .dotted)) }
        }
        for (time, label) in [(e.gradientTime, "1/mu_min"), (e.diffusiveTime, "sigma^2/T")] where range.contains(time) {
            plot.series.append(.init(label: nil, points: [(time, low - pad), (time, high + pad)], color: "#999999", stroke: .dashDot))
            _ = label
        }
        plot.legend = [.init(label: "NTK plateau", color: "#555555", stroke: .dashed), .init(label: "NNGP plateau", color: "#555555", stroke: .dotted),
                       .init(label: "time scales 1/mu_min, sigma^2/T", color: "#999999", stroke: .dashDot)]
        return plot
    }
}
