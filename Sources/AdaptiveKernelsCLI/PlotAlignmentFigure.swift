import Foundation
import Core
import Numerics
import Studies

/// `plot alignment`: kernel-label alignment per layer against gamma, deep aNTK (layered populations)
/// against trained networks (the paper's Fig. 4a), or with `--stability` the local-stability check of
/// Fig. 4b (notes/antk-nonlinear-data.md (AN12), (AN13)). The SVG goes to --out; --format csv|json puts
/// the plotted numbers on stdout.
enum PlotAlignmentFigure {
    static let valued: Set<String> = ["out", "activation", "depth", "gammas", "gamma", "lambda", "train", "labels", "points", "population",
                                      "populations", "width", "seeds", "seed", "time", "perturbation", "format"]
    static let switches: Set<String> = ["stability"]

    static let usage = """
           adaptive-kernels plot alignment --out FILE.svg --train X.npy --labels y.npy [--activation A] [--depth L]
                                           [--gammas LIST] [--lambda LAM] [--points P] [--population M] [--populations K]
                                           [--width N] [--seeds K] [--seed S] [--time T] [--format svg|csv|json]
           adaptive-kernels plot alignment --stability --out FILE.svg --train X.npy --labels y.npy [--gamma G]
                                           [--perturbation E] <the options above but --gammas>
      alignment: y^T Phi^l y / (|y|^2 |Phi^l|_F) of every layer against gamma (log axis) on the first P training points
               (default relu, L = 3, gammas 0.25,0.5,1,2, lambda 0.1, P = 30): the deep aNTK by the layered
               populations (lines; K populations of M sites, defaults 2 x 512) and trained width-N networks at the same
               gamma and lambda (markers; defaults N = 256, 2 seeds), as the paper's Figure 4(a)
               (notes/antk-nonlinear-data.md (AN13)). --stability: the check of Figure 4(b) at one gamma (default 1):
               the neurons of a trained width-N network, every field multiplied by 1 + E xi (default E = 0.3), relaxed
               by the fixed-point flow (AN10); drawn: the relative distance of each layer's kernel to the network's
               against relaxation time (AN12). --format csv|json writes the plotted numbers to stdout (the figure
               still goes to --out).

    """

    static func render(_ options: ParsedArguments) throws -> (svg: String, numbers: String?) {
        let format = try OutputFormat.parse(options.value("format"), allowed: [.csv, .json], default: .table)
        let activation = try options.activation(default: .relu)
        let depth = try options.integer("depth", default: 3, in: 1...8)
        let lambdaText = options.value("lambda") ?? "0.1"
        let lambda: BigRational
        do { lambda = try BigRational(parsing: lambdaText) } catch { throw UsageError("--lambda: \(error)") }
        guard lambda.signum > 0 else { throw UsageError("--lambda must be positive") }
        let stability = options.has("stability")
        let gammaTexts: [String]
        if stability {
            guard options.value("gammas") == nil else { throw UsageError("--stability runs at one --gamma (not --gammas)") }
            gammaTexts = [options.value("gamma") ?? "1"]
        } else {
            guard options.value("gamma") == nil, options.value("perturbation") == nil else {
                throw UsageError("--gamma and --perturbation belong to --stability; the figure takes --gammas LIST")
            }
            gammaTexts = try ParameterList.rationals(options.value("gammas") ?? "0.25,0.5,1,2", option: "gammas")
        }
        let gammas: [BigRational] = try gammaTexts.map { text in
            do { let g = try BigRational(parsing: text); guard g.signum > 0 else { throw UsageError("gamma must be positive (got \(text))") }; return g } catch let e as UsageError { throw e } catch { throw UsageError("--gammas: \(error)") }
        }
        guard gammas.count <= 16 else { throw UsageError("--gammas: at most 16 values") }
        let data = try DataFiles.trainingData(options)
        var problem = AlignmentFigureStudy.Problem(data: data, activation: activation, depth: depth, gammas: gammas.map(\.doubleApproximation),
                                                   lambda: lambda.doubleApproximation,
                                                   points: try options.integer("points", default: min(30, data.trainCount), in: 2...data.trainCount))
        problem.population = try options.integer("population", default: 512, in: 16...ANTKPopulationStudy.Problem.maximumPopulation)
        problem.populations = try options.integer("populations", default: 2, in: 2...64)
        problem.width = try options.integer("width", default: 256, in: 2...TrainStudy.Problem.maximumWidth)
        problem.networks = try options.integer("seeds", default: 2, in: 2...256)
        problem.seed = try options.seed()
        problem.time = try options.positiveNumber("time", default: 100)
        if stability {
            let e = try options.positiveNumber("perturbation", default: 0.3)
            guard e < 1 else { throw UsageError("--perturbation must be in (0, 1) (got \(e))") }
            problem.perturbation = e
        }
        let progress = Progress(label: "plot alignment")
        let result: AlignmentFigureStudy.Result
        do {
            defer { progress.finish() }
            result = try studyErrors { try AlignmentFigureStudy.run(problem, progress: progress.reporter) }
        } catch let error as TrainStudy.SolverFailure { throw CommandFailure(message: "plot alignment: " + error.description, standardOutput: "") }
        let parameters: [(String, JSONValue)] = [("activation", .string(activation.rawValue)), ("depth", .integer(depth)),
                                                 ("lambda", OutputContract.exact(lambda)), ("points", .integer(problem.points)),
                                                 ("population", .integer(problem.population)), ("populations", .integer(problem.populations)),
                                                 ("width", .integer(problem.width)), ("seeds", .integer(problem.networks)),
                                                 ("seed", .integer(Int(clamping: problem.seed)))]
        if let s = result.stability {
            let svg = stabilityFigure(s, activation: activation, depth: depth, gamma: OutputContract.exactText(gammas[0]), width: problem.width).render()
            switch format {
            case .json:
                return (svg, OutputContract.render(command: "plot alignment --stability", parameters + [
                    ("gamma", OutputContract.exact(gammas[0])), ("perturbation", .string(OutputContract.decimal17(s.epsilon))),
                    ("times", OutputContract.approximateArray(s.times)),
                    ("relative_distance", .array((0..<depth).map { l in OutputContract.approximateArray(s.distances.map { $0[l] }) })),
                    ("network_drift", OutputContract.approximateArray(s.networkDrift)),
                    ("network_alignment", OutputContract.approximateArray(s.networkAlignment)),
                    ("perturbed_alignment", OutputContract.approximateArray(s.perturbedAlignment)),
                    ("relaxed_alignment", OutputContract.approximateArray(s.relaxedAlignment)),
                    ("network_residual", OutputContract.approximate(s.networkResidual)), ("relaxed_residual", OutputContract.approximate(s.relaxedResidual)),
                ]))
            case .csv:
                var lines = ["time,layer,relative_distance"]
                for (t, row) in zip(s.times, s.distances) { for (l, d) in row.enumerated() { lines.append("\(OutputContract.decimal17(t)),\(l + 1),\(OutputContract.decimal17(d))") } }
                return (svg, lines.joined(separator: "\n") + "\n")
            default: return (svg, nil)
            }
        }
        let svg = alignmentFigure(result.rows, activation: activation, depth: depth, lambda: lambdaText, points: problem.points, width: problem.width).render()
        switch format {
        case .json:
            return (svg, OutputContract.render(command: "plot alignment", parameters + [
                ("rows", .array(zip(result.rows, gammas).map { row, g in
                    .object([("gamma", OutputContract.exact(g)),
                             ("antk", .array(row.theory.map(OutputContract.estimated))), ("network", .array(row.network.map(OutputContract.estimated))),
                             ("stationary_populations", .integer(row.stationaryPopulations)), ("stationary_networks", .integer(row.stationaryNetworks))])
                })),
            ]))
        case .csv:
            var lines = ["gamma,layer,antk_alignment,antk_standard_error,network_alignment,network_standard_error"]
            for row in result.rows {
                for l in 0..<depth {
                    lines.append([row.gamma, Double(l + 1), row.theory[l].value, row.theory[l].standardError, row.network[l].value, row.network[l].standardError]
                        .enumerated().map { $0.offset == 1 ? String(l + 1) : OutputContract.decimal17($0.element) }.joined(separator: ","))
                }
            }
            return (svg, lines.joined(separator: "\n") + "\n")
        default: return (svg, nil)
        }
    }

    static func alignmentFigure(_ rows: [AlignmentFigureStudy.Row], activation: Activation, depth: Int, lambda: String, points: Int, width: Int) -> SVGPlot {
        let gammas = rows.map(\.gamma)
        let lo = (gammas.min() ?? 1) / 1.5, hi = (gammas.max() ?? 1) * 1.5
        var plot = SVGPlot(title: "kernel-label alignment per layer, \(activation.rawValue), L = \(depth), lambda = \(lambda), P = \(points) (cf. Fig. 4(a))",
                           x: .init(label: "gamma", logarithmic: true, range: lo...hi),
                           y: .init(label: "alignment y^T Phi^l y / (|y|^2 |Phi^l|_F)", logarithmic: false, range: 0...1.1))
        for l in 0..<depth {
            let color = SVGPlot.palette[l % SVGPlot.palette.count]
            plot.series.append(.init(label: "layer \(l + 1)", points: rows.map { ($0.gamma, $0.theory[l].value) }, color: color))
            plot.series.append(.init(label: nil, points: rows.map { ($0.gamma, $0.network[l].value) }, color: color, stroke: .none, markers: true))
        }
        plot.legendCorner = .bottomRight
        plot.legend = [.init(label: "line: deep aNTK (layered populations)", color: "#444", stroke: .solid),
                       .init(label: "markers: trained networks, N = \(width)", color: "#444", stroke: .none, markers: true)]
        return plot
    }

    static func stabilityFigure(_ s: AlignmentFigureStudy.Stability, activation: Activation, depth: Int, gamma: String, width: Int) -> SVGPlot {
        let values = s.distances.flatMap { $0 } + s.networkDrift
        let positive = values.filter { $0 > 0 }
        let lo = pow(10, floor(log10(positive.min() ?? 1e-4))), hi = pow(10, ceil(log10(positive.max() ?? 1) + 0.3))
        let relaxed = s.relaxedAlignment.map { String(format: "%.3f", $0) }.joined(separator: ", ")
        let net = s.networkAlignment.map { String(format: "%.3f", $0) }.joined(separator: ", ")
        var plot = SVGPlot(title: "perturbed kernels relax back (cf. Fig. 4(b)): \(activation.rawValue), L = \(depth), gamma = \(gamma), N = \(width)",
                           x: .init(label: "relaxation time", logarithmic: false, range: 0...(s.times.last ?? 1)),
                           y: .init(label: "|Phi^l - Phi^l_net|_F / |Phi^l_net|_F", logarithmic: true, range: lo...hi))
        for l in 0..<depth {
            let color = SVGPlot.palette[l % SVGPlot.palette.count]
            plot.series.append(.init(label: "layer \(l + 1), start perturbed by \(String(format: "%.2g", s.epsilon))",
                                     points: zip(s.times, s.distances).map { ($0, max($1[l], lo)) }, color: color, markers: true))
            plot.series.append(.init(label: nil, points: [(0, max(s.networkDrift[l], lo)), (s.times.last ?? 1, max(s.networkDrift[l], lo))], color: color, stroke: .dashed))
        }
        plot.legendCorner = .bottomRight
        plot.legend = [.init(label: "dashed: the unperturbed network relaxed as long", color: "#444", stroke: .dashed),
                       .init(label: "alignment per layer: network [\(net)], relaxed [\(relaxed)]", color: "#444", stroke: .none)]
        return plot
    }
}
