import Foundation
import Core
import Numerics
import Studies

/// `adaptive-kernels learning-curve`: test loss against P (the paper's Fig. 3a). Parses, calls
/// `LearningCurveStudy`, renders the table/CSV/JSON and draws the SVG.
enum LearningCurveCommand {
    static let subcommand = Subcommand(name: "learning-curve", summary: "test loss against the number of training points: lazy NNGP/NTK, aNTK (DMFT) and trained networks (Fig. 3a)",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels learning-curve --activation A --depth 1 --gamma G --lambda LAM --sizes LIST
                                           --train X.npy --labels y.npy --test Xt.npy --test-labels yt.npy
                                           [--population M] [--populations K] [--width N] [--networks K]
                                           [--beta B [--anbk-samples N]] [--seed S] [--time T] [--out FILE.svg]
                                           [--format table|csv|json]
           adaptive-kernels learning-curve --compare mlp,cnn --image-shape HxWxC --patch K [--stride S] --activation A ...
      For each P in --sizes (first P training points, all test points): the test loss of the lazy NNGP
      and NTK (ridgeless kernel regression), of the two-layer aNTK by the population DMFT (K populations
      of M neurons, default 2 x 2048) and of trained width-N networks (gradient flow with the same
      weight decay LAM, K seeds, default 3 x 256), each with its error bar
      (notes/antk-nonlinear-data.md (AN6), notes/training-baseline.md). --out FILE.svg draws the
      curves (log-log; lines: theory, markers: networks); the report goes to stdout.
      --beta B adds the Bayesian aNBK of the same two-layer network at inverse temperature B by the
      min-max saddle (notes/anbk-data.md (NB11); N importance samples, default 4000): the five curves
      of the paper's Fig. 3a. Exit status 3 (report on stdout) if an aNBK point did not converge.
      Depth: 1 (two-layer networks; the population DMFT is two-layer).
      --compare mlp,cnn: for each P the lazy NTK, the aNTK (population DMFT) and trained width-N networks
      (--width, --networks as above) of the two-layer MLP and of the two-layer CNN with average pooling on
      the K x K patches at stride S of the H x W x C images (notes/cnn-two-layer.md; the analogue of the
      paper's Fig. 5); no aNBK. Columns mlp_ntk, mlp_antk, mlp_network, cnn_ntk, cnn_antk, cnn_network;
      the JSON command is "learning-curve --compare".
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["activation", "depth", "gamma", "lambda", "sizes", "train", "labels", "test", "test-labels",
                                                              "population", "populations", "width", "networks", "seed", "time", "out", "format",
                                                              "beta", "anbk-samples", "compare", "image-shape", "patch", "stride"], switches: [])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        if let out = options.value("out") {
            let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
            guard ext == "svg" else { throw UsageError("learning-curve draws SVG only: --out must end in .svg (got '\(out)')") }
        }
        let activation = try options.activation()
        guard try options.integer("depth", default: 1, in: 1...64) == 1 else {
            throw UsageError("--depth: the learning curve's aNTK is the two-layer population DMFT (--depth 1)")
        }
        let gamma = try parseRational(options, "gamma"), lambda = try parseRational(options, "lambda")
        guard gamma.signum > 0, lambda.signum > 0 else { throw UsageError("--gamma and --lambda must be positive") }
        let sizes = try ParameterList.integers(options.required("sizes"), option: "sizes", in: 2...1_000_000, what: "a size")
        var problem = LearningCurveStudy.Problem(data: try DataFiles.trainingData(options), activation: activation,
                                                 gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation, sizes: sizes)
        problem.population = try options.integer("population", default: 2048, in: 16...ANTKPopulationStudy.Problem.maximumPopulation)
        problem.populations = try options.integer("populations", default: 2, in: 2...256)
        problem.width = try options.integer("width", default: 256, in: 2...TrainStudy.Problem.maximumWidth)
        problem.networks = try options.integer("networks", default: 3, in: 2...1024)
        problem.seed = try options.seed()
        problem.time = try options.positiveNumber("time", default: problem.time)
        if options.value("beta") != nil {
            let beta = try parseRational(options, "beta")
            guard beta.signum > 0 else { throw UsageError("--beta must be positive and finite for the aNBK min-max") }
            var settings = LearningCurveStudy.ANBKSettings(gamma: gamma, beta: beta)
            settings.samples = try options.integer("anbk-samples", default: settings.samples, in: 200...(1 << 20))
            problem.anbk = settings
        } else if options.value("anbk-samples") != nil {
            throw UsageError("--anbk-samples needs --beta (the aNBK column)")
        }
        var compared: [Architecture]? = nil
        if let list = options.value("compare") {
            guard problem.anbk == nil else { throw UsageError("--compare has no aNBK column: drop --beta") }
            let names = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !names.isEmpty, names.allSatisfy({ ["mlp", "cnn"].contains($0) }), Set(names).count == names.count else {
                throw UsageError("--compare must list distinct architectures among mlp, cnn (got '\(list)')")
            }
            let geometry = names.contains("cnn") ? try ArchitectureOptions.geometry(options, for: "--compare cnn") : nil
            if geometry == nil, let extra = ["image-shape", "patch", "stride"].first(where: { options.value($0) != nil }) {
                throw UsageError("--\(extra) belongs to --compare with cnn")
            }
            if let g = geometry, g.featureCount != problem.data.dimension {
                throw UsageError("--compare cnn: the image shape \(g.shapeText) has \(g.featureCount) features but the data have D = \(problem.data.dimension)")
            }
            compared = names.map { $0 == "mlp" ? Architecture.mlp : .cnn(geometry!) }
            problem.compare = compared
        } else if let extra = ["image-shape", "patch", "stride"].first(where: { options.value($0) != nil }) {
            throw UsageError("--\(extra) belongs to --compare mlp,cnn")
        }
        let predictors = compared.map { LearningCurveStudy.predictors(comparing: $0) }
            ?? (problem.anbk == nil ? LearningCurveStudy.predictors : LearningCurveStudy.predictorsWithANBK)
        let progress = Progress(label: "learning-curve")
        let points: [LearningCurveStudy.Point]
        do {
            defer { progress.finish() }
            points = try studyErrors { try LearningCurveStudy.run(problem, progress: progress.reporter) }
        } catch let error as TrainStudy.SolverFailure { throw CommandFailure(message: "learning-curve: " + error.description, standardOutput: "") }
        if let out = options.value("out") {
            try DataFiles.writeFileAtomically(Data(figure(points, predictors: predictors, activation: activation, gamma: OutputContract.exactText(gamma),
                                                          lambda: OutputContract.exactText(lambda), width: problem.width, compared: compared).render().utf8), to: out)
        }
        let text: String
        switch format {
        case .json where compared != nil:
            text = OutputContract.render(command: "learning-curve --compare", [
                ("activation", .string(activation.rawValue)), ("depth", .integer(1)), ("gamma", OutputContract.exact(gamma)),
                ("lambda", OutputContract.exact(lambda)), ("compare", .array(compared!.map { .string($0.kind) })),
                ("architecture", compared!.first(where: { $0.geometry != nil }).map(ArchitectureOptions.json) ?? .null),
                ("population", .integer(problem.population)), ("populations", .integer(problem.populations)),
                ("width", .integer(problem.width)), ("networks", .integer(problem.networks)),
                ("points", .array(points.map { point in
                    .object([("size", .integer(point.size))] + predictors.map { name in
                        let e = point.testLoss[name]!
                        return (name, name.hasSuffix("_ntk") ? OutputContract.approximate(e.value) : OutputContract.estimated(e))
                    } + [("stationary_populations", .integer(point.stationaryPopulations)), ("stationary_networks", .integer(point.stationaryNetworks))])
                })),
            ])
        case .json:
            text = OutputContract.render(command: "learning-curve", [
                ("activation", .string(activation.rawValue)), ("depth", .integer(1)), ("gamma", OutputContract.exact(gamma)),
                ("lambda", OutputContract.exact(lambda)), ("width", .integer(problem.width)),
                ("beta", problem.anbk.map { OutputContract.exact($0.beta) } ?? .null),
                ("points", .array(points.map { point in
                    .object([("size", .integer(point.size))] + LearningCurveStudy.predictorsWithANBK.map { name in
                        guard let e = point.testLoss[name] else { return (name, .null) }
                        return (name, e.standardError > 0 || ["anbk", "antk", "network"].contains(name) ? OutputContract.estimated(e) : OutputContract.approximate(e.value))
                    } + [("stationary_populations", .integer(point.stationaryPopulations)), ("stationary_networks", .integer(point.stationaryNetworks)),
                         ("anbk_failure", point.anbkFailure.map { .string($0) } ?? .null)])
                })),
            ])
        case .csv:
            var lines = ["size," + predictors.flatMap { ["\($0)_test_loss", "\($0)_standard_error"] }.joined(separator: ",")]
            for point in points {
                lines.append("\(point.size)," + predictors.map { name in
                    let e = point.testLoss[name]!
                    return "\(OutputContract.decimal17(e.value)),\(OutputContract.decimal17(e.standardError))"
                }.joined(separator: ","))
            }
            text = lines.joined(separator: "\n") + "\n"
        case .table:
            var lines = ["test loss against P (\(activation.rawValue), L = 1, gamma = \(OutputContract.exactText(gamma)), lambda = \(OutputContract.exactText(lambda)), "
                         + (compared == nil ? "networks N = \(problem.width))" : "architectures \(compared!.map(\.kind).joined(separator: ", ")))"),
                         "P      " + predictors.map { $0.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined()]
            for point in points {
                lines.append(String(point.size).padding(toLength: 7, withPad: " ", startingAt: 0) + predictors.map { name in
                    let e = point.testLoss[name]!
                    let cell = (e.standardError > 0 ? String(format: "%.4g ± %.1g", e.value, e.standardError) : String(format: "%.4g", e.value))
                        + (name == "anbk" && point.anbkFailure != nil ? " (!)" : "")
                    return cell.padding(toLength: 22, withPad: " ", startingAt: 0)
                }.joined())
            }
            for point in points { if let f = point.anbkFailure { lines.append("(!) aNBK at P = \(point.size) did not converge: \(f)") } }
            text = lines.joined(separator: "\n") + "\n"
        }
        if let bad = points.first(where: { $0.anbkFailure != nil }) {
            throw CommandFailure(message: "learning-curve: the aNBK min-max did not converge at P = \(bad.size): \(bad.anbkFailure!)", standardOutput: text)
        }
        return text
    }

    static func figure(_ points: [LearningCurveStudy.Point], predictors: [String] = LearningCurveStudy.predictors, activation: Activation,
                       gamma: String, lambda: String, width: Int, compared: [Architecture]? = nil) -> SVGPlot {
        let values = points.flatMap { p in predictors.compactMap { p.testLoss[$0]?.value } }.filter { $0 > 0 }
        // Headroom above the curves for the legend (top left).
        let lo = (values.min() ?? 1e-3) / 1.5, hi = (values.max() ?? 1) * 6
        let sizes = points.map { Double($0.size) }
        var plot = SVGPlot(title: "test loss against P: \(activation.rawValue), two-layer, gamma = \(gamma), lambda = \(lambda) " + (compared == nil ? "(cf. Fig. 3a)" : "MLP vs CNN (cf. Fig. 5)"),
                           x: .init(label: "training points P", logarithmic: true, range: (sizes.min()! / 1.2)...(sizes.max()! * 1.2)),
                           y: .init(label: "test loss (mean squared error)", logarithmic: true, range: lo...hi))
        let styles: [(String, String, SVGPlot.Stroke, Bool)] = [("nngp", "lazy NNGP", .dashed, false), ("ntk", "lazy NTK", .dotted, false),
                                                                ("antk", "aNTK (population DMFT)", .solid, false),
                                                                ("network", "trained networks, N = \(width)", .solid, true),
                                                                ("anbk", "aNBK (min-max)", .solid, false),
                                                                ("mlp_ntk", "MLP lazy NTK", .dotted, false), ("mlp_antk", "MLP aNTK", .solid, false),
                                                                ("cnn_ntk", "CNN lazy NTK", .dashed, false), ("cnn_antk", "CNN aNTK", .solid, false),
                                                                ("mlp_network", "MLP networks, N = \(width)", .solid, true),
                                                                ("cnn_network", "CNN networks, N = \(width)", .solid, true)]
        for (index, (key, label, stroke, markers)) in styles.enumerated() where predictors.contains(key) {
            var series = SVGPlot.Series(label: label, points: points.map { (Double($0.size), $0.testLoss[key]!.value) },
                                        color: SVGPlot.palette[(key.hasPrefix("mlp_") ? 0 : key.hasPrefix("cnn_") ? 2 : index) % SVGPlot.palette.count],
                                        stroke: stroke, markers: markers)
            if markers { series.stroke = .dotted }
            plot.series.append(series)
        }
        plot.legendCorner = .topLeft
        return plot
    }
}
