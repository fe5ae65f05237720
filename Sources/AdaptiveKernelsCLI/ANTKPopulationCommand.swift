import Foundation
import Core
import Numerics
import Studies

/// `antk --activation A` (A not identity) or `antk --solver dmft` on data: the two-layer aNTK by the
/// population DMFT (notes/antk-nonlinear-data.md). Parses, calls `ANTKPopulationStudy`, renders.
enum ANTKPopulationCommand {
    static let options: Set<String> = ["activation", "solver", "population", "seeds", "seed", "time", "tolerance"]

    static let usage = """
           adaptive-kernels antk --activation A [--solver dmft] --gamma G --lambda LAM --depth 1 --train X.npy --labels y.npy
                                 [--test Xt.npy --test-labels yt.npy] [--population M] [--seeds K] [--seed S]
                                 [--time T] [--tolerance E] [--format table|json] [--out-dir DIR]
      Any activation (identity, relu, tanh, erf), two-layer network (--depth 1): the aNTK fixed point by
      the population DMFT (the paper's Algorithm 2; notes/antk-nonlinear-data.md (AN1)-(AN5)): K independent
      populations (default 4) of M neurons (default 4096) run by the mean-field gradient flow with weight
      decay until the RMS velocity is below E (default 1e-8) or the time budget T (default 400). Every aNTK
      value is estimated (mean over the populations, standard error); the lazy NNGP and NTK baselines
      (ridgeless kernel regression, AN3) are approximate. For --activation identity the exact deep-linear
      path above stays the default; --solver dmft forces the population. Deep nonlinear networks (L >= 2)
      are not available here: train them with 'adaptive-kernels train'.
      --out-dir DIR writes phi_1.npy and ntk.npy (mean adapted kernels over all points, training first)
      and summary.json.

    """

    /// Whether the arguments ask for the population path.
    static func wanted(_ options: ParsedArguments) throws -> Bool {
        if let solver = options.value("solver") {
            guard ["exact", "dmft"].contains(solver) else { throw UsageError("--solver must be exact or dmft (got '\(solver)')") }
            if solver == "dmft" { return true }
        }
        guard let name = options.value("activation") else { return false }
        let activation: Activation
        do { activation = try Activation(name: name) } catch let error as InputError { throw UsageError("--activation: \(error.description)") }
        if activation != .identity && options.value("solver") == "exact" {
            throw UsageError("--solver exact is the deep linear solver: it needs --activation identity")
        }
        return activation != .identity
    }

    static func run(_ options: ParsedArguments, gamma: BigRational, lambda: BigRational, depth: Int, format: OutputFormat) throws -> String {
        guard depth == 1 else {
            throw UsageError("--depth \(depth): the population DMFT is the two-layer network (--depth 1); deep nonlinear networks: 'adaptive-kernels train'")
        }
        guard options.value("train") != nil else { throw UsageError("the population DMFT needs data: --train X --labels y") }
        guard options.value("beta") == nil, !options.has("all-layers") else {
            throw UsageError("--beta and --all-layers belong to the deep linear path (--activation identity)")
        }
        let activation = try Activation(name: options.value("activation") ?? "identity")
        var problem = ANTKPopulationStudy.Problem(data: try DataFiles.trainingData(options), activation: activation,
                                                  gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation)
        problem.population = try options.integer("population", default: 4096, in: 16...ANTKPopulationStudy.Problem.maximumPopulation)
        problem.seeds = try options.integer("seeds", default: 4, in: 2...256)
        problem.seed = try options.seed()
        problem.time = try options.positiveNumber("time", default: problem.time)
        problem.tolerance = try options.positiveNumber("tolerance", default: problem.tolerance)
        let progress = Progress(label: "antk dmft")
        defer { progress.finish() }
        let result: ANTKPopulationStudy.Result
        do { result = try ANTKPopulationStudy.run(problem, progress: progress.reporter) } catch let error as TrainStudy.SolverFailure {
            throw CommandFailure(message: "antk: " + error.description, standardOutput: "")
        }
        let json = json(result, parameters: [("activation", .string(activation.rawValue)), ("gamma", OutputContract.exact(gamma)),
                                             ("lambda", OutputContract.exact(lambda)), ("depth", .integer(1)),
                                             ("population", .integer(problem.population)), ("seeds", .integer(problem.seeds)),
                                             ("seed", .integer(Int(clamping: problem.seed)))])
        if let out = options.value("out-dir") {
            let n = result.pointCount
            try DataFiles.writeAtomically([("phi_1.npy", NPYArray(shape: [n, n], values: result.feature).serialized()),
                                           ("ntk.npy", NPYArray(shape: [n, n], values: result.ntk).serialized()),
                                           ("summary.json", Data((json.serialized() + "\n").utf8))], to: out, option: "out-dir")
        }
        return format == .json ? json.serialized() + "\n" : table(result, activation: activation, gamma: gamma, lambda: lambda)
    }

    static func losses(_ losses: [String: Estimate]) -> JSONValue {
        .object(["antk", "nngp", "ntk"].compactMap { name in
            losses[name].map { (name, name == "antk" ? OutputContract.estimated($0) : OutputContract.approximate($0.value)) }
        })
    }

    static func json(_ r: ANTKPopulationStudy.Result, parameters: [(String, JSONValue)]) -> JSONValue {
        OutputContract.document(command: "antk --activation", parameters + [
            ("solver", .string("population DMFT (two-layer)")), ("time_step", .string(OutputContract.decimal17(r.timeStep))),
            ("train_points", .integer(r.trainCount)), ("test_points", .integer(r.pointCount - r.trainCount)),
            ("train_loss", losses(r.trainLoss)), ("test_loss", r.testLoss.map(losses) ?? .null),
            ("predictions_of", .string(r.predictionsAreTest ? "test" : "train")),
            ("predictions", .array(r.predictions.map(OutputContract.estimated))),
            ("overlap", .array([OutputContract.estimated(r.overlap)])), ("alignment", .array([OutputContract.estimated(r.alignment)])),
            ("predictor_identity_residual", .string(OutputContract.decimal17(r.predictorIdentityResidual.isFinite ? r.predictorIdentityResidual : -1))),
            ("stationary_runs", .integer(r.stationaryRuns)), ("unconverged", r.unconverged.map { .string($0) } ?? .null),
        ])
    }

    static func table(_ r: ANTKPopulationStudy.Result, activation: Activation, gamma: BigRational, lambda: BigRational) -> String {
        func text(_ e: Estimate) -> String { e.standardError > 0 ? String(format: "%.6g ± %.2g", e.value, e.standardError) : String(format: "%.6g", e.value) }
        var lines = ["aNTK by the population DMFT (notes/antk-nonlinear-data.md): \(activation.rawValue), L = 1, gamma = \(OutputContract.exactText(gamma)), lambda = \(OutputContract.exactText(lambda))",
                     "\(r.seeds) populations of M = \(r.population), dt = \(String(format: "%.4g", r.timeStep)); P = \(r.trainCount), Q = \(r.pointCount - r.trainCount)",
                     "predictor   train loss" + (r.testLoss == nil ? "" : "   test loss")]
        for name in ["antk", "nngp", "ntk"] {
            lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0) + text(r.trainLoss[name]!) + (r.testLoss.map { "   " + text($0[name]!) } ?? ""))
        }
        lines.append("layer 1: overlap \(text(r.overlap))   alignment \(text(r.alignment))")
        lines.append(String(format: "predictor identity (GV13) residual %.2e", r.predictorIdentityResidual))
        lines.append("\(r.stationaryRuns) of \(r.seeds) populations met the tolerance" + (r.unconverged.map { ": \($0)" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }
}
