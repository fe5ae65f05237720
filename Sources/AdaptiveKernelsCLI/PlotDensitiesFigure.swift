import Foundation
import Core
import Numerics
import Studies

/// `plot densities`: normalised first-layer preactivations at the aNTK fixed point (population
/// DMFT), in trained width-N networks, and the lazy standard normal (notes/antk-nonlinear-data.md
/// (AN8); the paper's Fig. 3b for the two-layer network).
enum PlotDensitiesFigure {
    static let valued: Set<String> = ["out", "activation", "gamma", "lambda", "train", "labels", "population", "width", "seeds", "seed", "time"]

    static func render(_ options: ParsedArguments) throws -> String {
        let activation = try options.activation()
        let gamma = try parseRational(options, "gamma"), lambda = try parseRational(options, "lambda")
        guard gamma.signum > 0, lambda.signum > 0 else { throw UsageError("--gamma and --lambda must be positive") }
        let data = try DataFiles.trainingData(options)
        var population = ANTKPopulationStudy.Problem(data: data, activation: activation, gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation)
        population.population = try options.integer("population", default: 2048, in: 16...ANTKPopulationStudy.Problem.maximumPopulation)
        population.seeds = 2
        let width = try options.integer("width", default: 512, in: 2...TrainStudy.Problem.maximumWidth)
        let seeds = try options.integer("seeds", default: 2, in: 2...256)
        let seed = try options.seed()
        population.seed = seed
        let time = try options.positiveNumber("time", default: 200)
        population.time = time
        let progress = Progress(label: "plot densities")
        let theory: ANTKPopulationStudy.Result, networks: TrainStudy.Result
        do {
            defer { progress.finish() }
            theory = try studyErrors { try ANTKPopulationStudy.run(population, progress: progress.reporter) }
            networks = try studyErrors {
                try TrainStudy.run(TrainStudy.Problem(data: data, activation: activation, depth: 1, width: width, gamma: gamma.doubleApproximation,
                                                      rule: .gradientFlow(lambda: lambda.doubleApproximation), seeds: seeds,
                                                      seed: NormalSampler.derive(seed, 99), time: time), progress: progress.reporter)
            }
        } catch let error as TrainStudy.SolverFailure { throw CommandFailure(message: "plot densities: " + error.description, standardOutput: "") }
        let a = PreactivationDensity(theory.preactivations), b = PreactivationDensity(networks.preactivations)
        let top = max(a.density.max() ?? 0.5, b.density.max() ?? 0.5, 0.4) * 1.15
        var plot = SVGPlot(title: String(format: "h/sqrt(C), %@, gamma = %@, lambda = %@: excess kurtosis aNTK %.2f, networks %.2f",
                                         activation.rawValue, OutputContract.exactText(gamma), OutputContract.exactText(lambda), a.excessKurtosis, b.excessKurtosis),
                           x: .init(label: "normalised first-layer preactivation h / sqrt(C_xx)", logarithmic: false, range: -4...4),
                           y: .init(label: "density", logarithmic: false, range: 0...top))
        plot.series = [
            .init(label: "lazy: standard normal", points: stride(from: -4.0, through: 4.0, by: 0.05).map { ($0, PreactivationDensity.standardNormal($0)) },
                  color: SVGPlot.palette[0], stroke: .dashed),
            .init(label: "aNTK (population DMFT, M = \(population.population))", points: zip(a.centres, a.density).map { ($0, $1) },
                  color: SVGPlot.palette[2], stroke: .solid),
            .init(label: "trained networks, N = \(width), \(seeds) seeds", points: zip(b.centres, b.density).map { ($0, $1) },
                  color: SVGPlot.palette[1], stroke: .none, markers: true),
        ]
        return plot.render()
    }
}
