import Foundation
import Core
import Numerics
import Studies

/// `plot features`: the training points in the top-two kernel principal coordinates of the lazy
/// NNGP and of the adapted two-layer kernel Phi (aNTK, population DMFT), coloured by class, with
/// each kernel's class separation (notes/antk-nonlinear-data.md (AN7); the paper's Fig. 3c).
enum PlotFeaturesFigure {
    static let valued: Set<String> = ["out", "activation", "gamma", "lambda", "train", "labels", "population", "seeds", "seed", "time"]

    static func render(_ options: ParsedArguments) throws -> String {
        let activation = try options.activation()
        let gamma = try parseRational(options, "gamma"), lambda = try parseRational(options, "lambda")
        let data = try DataFiles.trainingData(options)
        var problem = ANTKPopulationStudy.Problem(data: data, activation: activation, gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation)
        problem.population = try options.integer("population", default: 2048, in: 16...ANTKPopulationStudy.Problem.maximumPopulation)
        problem.seeds = try options.integer("seeds", default: 2, in: 2...256)
        problem.seed = try options.seed()
        problem.time = try options.positiveNumber("time", default: problem.time)
        let progress = Progress(label: "plot features")
        let result: ANTKPopulationStudy.Result
        do {
            defer { progress.finish() }
            result = try studyErrors { try ANTKPopulationStudy.run(problem, progress: progress.reporter) }
        } catch let error as TrainStudy.SolverFailure { throw CommandFailure(message: "plot features: " + error.description, standardOutput: "") }
        let n = result.pointCount, p = result.trainCount
        func block(_ k: [Double]) -> [Double] { (0..<p).flatMap { i in (0..<p).map { k[i * n + $0] } } }
        let lazy = try studyErrors { try FeatureSpaceStudy.map(kernel: block(ANTKPopulationStudy.lazyKernels(data, activation: activation).nngp), labels: data.labels) }
        let adapted = try studyErrors { try FeatureSpaceStudy.map(kernel: block(result.feature[0]), labels: data.labels) }
        let g = OutputContract.exactText(gamma), l = OutputContract.exactText(lambda)
        return SVGPlot.sideBySide([
            panel(lazy, labels: data.labels, title: String(format: "lazy NNGP (%@): class separation %.2f", activation.rawValue, lazy.separation)),
            panel(adapted, labels: data.labels, title: String(format: "adapted Phi, gamma = %@, lambda = %@: separation %.2f", g, l, adapted.separation)),
        ])
    }

    static func panel(_ map: FeatureSpaceStudy.Map, labels: [Double], title: String) -> SVGPlot {
        let xs = map.coordinates.map { $0[0] }, ys = map.coordinates.map { $0[1] }
        func range(_ v: [Double]) -> ClosedRange<Double> {
            let lo = v.min() ?? -1, hi = v.max() ?? 1, pad = max((hi - lo) * 0.08, 1e-12)
            return (lo - pad)...(hi + pad)
        }
        var plot = SVGPlot(title: title, x: .init(label: "first kernel principal coordinate", logarithmic: false, range: range(xs)),
                           y: .init(label: "second kernel principal coordinate", logarithmic: false, range: range(ys)))
        plot.width = 620
        plot.height = 520
        for (label, positive, color) in [("y > 0", true, SVGPlot.palette[0]), ("y <= 0", false, SVGPlot.palette[1])] {
            plot.series.append(SVGPlot.Series(label: label, points: zip(map.coordinates, labels).filter { ($0.1 > 0) == positive }.map { ($0.0[0], $0.0[1]) },
                                              color: color, stroke: .none, markers: true))
        }
        return plot
    }
}

extension SVGPlot {
    /// Several plots in one SVG document, left to right.
    static func sideBySide(_ plots: [SVGPlot]) -> String {
        let width = plots.reduce(0) { $0 + $1.width }, height = plots.map(\.height).max() ?? 0
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        var left = 0.0
        for (index, plot) in plots.enumerated() {
            // Each panel is a nested <svg> at its offset; clip-path ids are made unique per panel.
            var body = plot.render()
            if let start = body.range(of: "<svg") { body = String(body[start.lowerBound...]) }
            body = body.replacingOccurrences(of: "plot-area", with: "plot-area-\(index)")
            body = body.replacingOccurrences(of: "<svg xmlns=\"http://www.w3.org/2000/svg\"", with: "<svg x=\"\(Int(left))\" y=\"0\"")
            out += body
            left += plot.width
        }
        return out + "</svg>\n"
    }
}
