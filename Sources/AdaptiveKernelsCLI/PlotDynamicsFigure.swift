import Foundation
import Core
import Numerics
import Studies

/// `plot dynamics`: train loss or NTK alignment against time for several gamma on whitened data
/// (notes/dynamics-deep-linear.md (DY13)-(DY15); nonlinear two-layer networks: notes/dynamics-nonlinear.md): the
/// infinite-width DMFT trajectory as lines, the 1/N-extrapolated finite-width networks (DY20) as markers.
enum PlotDynamicsFigure {
    static let usage = """
           adaptive-kernels plot dynamics --out FILE.svg [--quantity loss|alignment] [--activation A] [--depth L] [--lambda W] [--time T]
                                          [--gammas LIST] [--whitened-points P] [--widths LIST] [--seeds S] [--seed S]
      dynamics: train loss (or the NTK's alignment with y y^T) against time for each gamma (default 1/2, 1, 2;
        L = 2, lambda = 0, T = 3, P = 4 whitened points): DMFT lines (Richardson-extrapolated), finite-width
        markers (widths 64,128,256, 4 seeds each, extrapolated in 1/N) on the same times. --activation
        relu|tanh|erf: the sampled two-layer DMFT (L = 1, the default then; 8 replicas x 4096 sites), widths
        256,512,1024 with 16 seeds each by default; tanh|erf|relu with --depth L >= 2: the sampled deep DMFT with
        pathwise responses (8 replicas x 512 sites, 6 output intervals; about a minute per gamma, relu three
        times that: softplus smoothing extrapolated in the sharpness, notes/dynamics-nonlinear.md (DN22)-(DN24)).
    """
    static let valued: Set<String> = ["out", "quantity", "activation", "depth", "lambda", "time", "gammas", "whitened-points", "widths", "seeds", "seed"]

    static func figure(_ options: ParsedArguments) throws -> SVGPlot {
        let quantity = options.value("quantity") ?? "loss"
        guard quantity == "loss" || quantity == "alignment" else { throw UsageError("--quantity must be loss or alignment (got '\(quantity)')") }
        var activation = Activation.identity
        if let text = options.value("activation") {
            guard let a = Activation(rawValue: text) else { throw UsageError("--activation must be identity, relu, tanh or erf (got '\(text)')") }
            activation = a
        }
        let depth = try options.integer("depth", default: activation == .identity ? 2 : 1, in: 1...16)
        let lambda = options.value("lambda") == nil ? BigRational(0) : try parseRational(options, "lambda")
        let time = options.value("time") == nil ? BigRational(3) : try parseRational(options, "time")
        let gammaTexts = try ParameterList.rationals(options.value("gammas") ?? "1/2,1,2", option: "gammas")
        let gammas = try gammaTexts.map { text -> (String, Double) in
            do { return (text, try BigRational(parsing: text).doubleApproximation) } catch { throw UsageError("--gammas: '\(text)' is not a number") }
        }
        guard gammas.count <= SVGPlot.palette.count else { throw UsageError("--gammas: at most \(SVGPlot.palette.count) values") }
        let size = try options.integer("whitened-points", default: 4, in: 1...64)
        // Nonlinear networks: f(0) ~ 1/(gamma sqrt N) per seed, so wider networks and more seeds by default.
        let widths = try ParameterList.integers(options.value("widths") ?? (activation == .identity ? "64,128,256" : "256,512,1024"),
                                                option: "widths", in: 2...8192, what: "a width")
        let seeds = try options.integer("seeds", default: activation == .identity ? 4 : 16, in: 2...100)
        let seed = UInt64(try options.integer("seed", default: 1, in: 0...Int(Int32.max)))
        let intervals = activation != .identity && depth >= 2 ? 6 : 12
        var series: [SVGPlot.Series] = []
        var highest = 0.0
        for (index, (text, gamma)) in gammas.enumerated() {
            let problem = try DynamicsCommand.dynamicsErrors {
                try DynamicsProblem(depth: depth, gamma: gamma, lambda: lambda.doubleApproximation, time: time.doubleApproximation,
                                    intervals: intervals, data: .whitened(size: size), activation: activation)
            }
            // Deep tanh/erf (notes/dynamics-nonlinear.md (DN19)): the tangent memory grows as M (points x steps)^2, so fewer sites.
            let deep = activation != .identity && depth >= 2
            let solver = DynamicsSolver(coarseStep: deep ? nil : 0.05, pairs: deep ? 256 : 2048, seed: NormalSampler.derive(seed, UInt64(index), 0xD3))
            let trajectory = try DynamicsCommand.dynamicsErrors { try solver.solve(problem) }
            let fine = trajectory.gridSteps.last!
            let networks = try DynamicsCommand.dynamicsErrors {
                try DynamicsFiniteWidth(widths: widths, seedsPerWidth: seeds, seed: NormalSampler.derive(seed, UInt64(index)))
                    .run(problem, timeStep: problem.time / Double(fine), stepsPerFrame: fine / intervals)
            }
            func pick(_ p: DynamicsPoint) -> Double { quantity == "loss" ? p.trainLoss : p.ntkAlignment }
            let color = SVGPlot.palette[index]
            let line: [(x: Double, y: Double)] = zip(trajectory.times, trajectory.values).map { (x: $0.0, y: pick($0.1)) }
            let dots: [(x: Double, y: Double)] = zip(networks.times, networks.values).map { (x: $0.0, y: pick($0.1)) }
            highest = max(highest, (line + dots).map { $0.y }.max() ?? 0)
            series.append(.init(label: "gamma = \(text)", points: line, color: color))
            series.append(.init(label: nil, points: dots, color: color, stroke: .dotted, markers: true))
        }
        var plot = SVGPlot(title: "\(quantity == "loss" ? "train loss" : "NTK alignment"), \(activation == .identity ? "linear" : activation.rawValue), L = \(depth), lambda = \(lambda), P = \(size): DMFT (lines), widths \(widths.map(String.init).joined(separator: ",")) 1/N fit (markers)",
                           x: .init(label: "time t", logarithmic: false, range: 0...time.doubleApproximation),
                           y: .init(label: quantity == "loss" ? "train loss (1/2P)|y - f|^2" : "y^T K y / (|y|^2 |K|_F)", logarithmic: false,
                                    range: 0...max(1e-12, highest * 1.05)))
        plot.series = series
        plot.legend = [SVGPlot.LegendEntry(label: activation == .identity ? "N = infinity (DMFT)" : "N = infinity (sampled DMFT)", color: "#000000", stroke: .solid),
                       SVGPlot.LegendEntry(label: "finite width, 1/N fit", color: "#000000", stroke: .dotted, markers: true)]
        plot.legendCorner = quantity == "loss" ? .topLeft : .bottomRight
        return plot
    }
}
