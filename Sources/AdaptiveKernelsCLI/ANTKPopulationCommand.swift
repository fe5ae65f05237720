import Foundation
import Core
import Numerics
import Simulation
import Studies

/// `antk --activation A` (A not identity) or `antk --solver dmft` on data: the aNTK by the population
/// DMFT, two-layer (notes/antk-nonlinear-data.md (AN1)) or deep (AN9)-(AN11). Parses, calls
/// `ANTKPopulationStudy`, renders.
enum ANTKPopulationCommand {
    static let options: Set<String> = Set(["activation", "solver", "population", "seeds", "seed", "time", "tolerance", "stepper", "drift-tolerance", "max-steps"]).union(ArchitectureOptions.names)

    static let usage = """
           adaptive-kernels antk --activation A [--solver dmft] --gamma G --lambda LAM --depth L --train X.npy --labels y.npy
                                 [--test Xt.npy --test-labels yt.npy] [--population M] [--seeds K] [--seed S]
                                 [--time T] [--tolerance E] [--stepper euler|implicit] [--drift-tolerance D] [--max-steps S]
                                 [--format table|json] [--out-dir DIR]
                                 [--architecture mlp|cnn --image-shape HxWxC --patch K [--stride S]]
      Any activation (identity, relu, tanh, erf), any depth L >= 1: the aNTK fixed point by the population
      DMFT (the paper's Algorithm 2; notes/antk-nonlinear-data.md (AN1)-(AN5)): K independent populations
      (default 4) of M neurons (default 4096 for L = 1, 256 per layer for L >= 2) run by the mean-field
      gradient flow with weight decay (L >= 2: the layered relaxation (AN9)-(AN11), whose stationary points
      are the deep DMFT fixed points) until the RMS velocity is below E (default 1e-8) or the time budget
      T (default 400; 200 for L >= 2). Every aNTK
      value is estimated (mean over the populations, standard error); the lazy NNGP and NTK baselines
      (ridgeless kernel regression, AN3) are approximate. For --activation identity the exact deep-linear
      path above stays the default; --solver dmft forces the population.
      --stepper implicit relaxes by pseudo-transient continuation (backward-Euler steps solved by
      Newton-Krylov, AN14) instead of forward Euler (euler, the default): the same stationary points,
      steps far beyond forward Euler's stability bound where the adapted NTK is large (deep ReLU).
      Layered runs (L >= 2, or --stepper implicit) also stop as settled when the predictor and every kernel,
      averaged over windows of three weight-decay times 3/LAM, drift by at most D (default 5e-2) between
      consecutive windows, twice in a row (ReLU sites chatter at the kink and never meet E; AN16, AN17), and
      after S steps per population (default 4000). If a population neither met E nor settled, the report
      is printed and the command exits 3. The populations at a fixed point are also compared (AN18): when
      their training predictions split into groups more than 0.1 |y| apart (e.g. some collapsed to f = 0,
      others not) the report names the branches (JSON `branches`) and the command exits 3, since their
      mean is not one answer. Deep ReLU settles only in a window of LAM at given G (AN15): on the digits
      at L = 3, P = 100, G = 1 populations collapse to f = 0 (or settle at a poor fit) at LAM = 3, settle
      at LAM = 2 and do not settle at LAM <= 1 (exit 3).
      --out-dir DIR writes phi_1.npy ... phi_L.npy and ntk.npy (mean adapted kernels over all points,
      training first) and summary.json.
      --architecture cnn (L = 1; any activation, identity included): the two-layer CNN's population DMFT
      (notes/cnn-two-layer.md (CN6)): each site is one filter with its fields over points and patch
      positions; Phi and the NTK are pooled over positions; the baselines are the lazy CNN NNGP and NTK (CN5).
    """ + "\n" + ArchitectureOptions.usage

    /// Whether the arguments ask for the population path.
    static func wanted(_ options: ParsedArguments) throws -> Bool {
        if options.value("architecture") == "cnn" { return true }
        if let solver = options.value("solver") {
            guard ["exact", "dmft"].contains(solver) else { throw UsageError("--solver must be exact or dmft (got '\(solver)')") }
            if solver == "dmft" { return true }
        }
        guard options.value("activation") != nil else { return false }
        let activation = try options.activation()
        if activation != .identity && options.value("solver") == "exact" {
            throw UsageError("--solver exact is the deep linear solver: it needs --activation identity")
        }
        return activation != .identity
    }

    static func run(_ options: ParsedArguments, gamma: BigRational, lambda: BigRational, depth: Int, format: OutputFormat) throws -> String {
        guard (1...16).contains(depth) else { throw UsageError("--depth must be in 1...16 for the population DMFT (got \(depth))") }
        guard options.value("train") != nil else { throw UsageError("the population DMFT needs data: --train X --labels y") }
        guard options.value("beta") == nil, !options.has("all-layers") else {
            throw UsageError("--beta and --all-layers belong to the deep linear path (--activation identity)")
        }
        let activation = try options.activation(default: .identity)
        let architecture = try ArchitectureOptions.parse(options, depth: depth)
        var problem = ANTKPopulationStudy.Problem(data: try DataFiles.trainingData(options), activation: activation,
                                                  gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation)
        problem.depth = depth
        problem.architecture = architecture ?? .mlp
        problem.population = try options.integer("population", default: depth == 1 ? 4096 : 256, in: 16...ANTKPopulationStudy.Problem.maximumPopulation)
        problem.seeds = try options.integer("seeds", default: 4, in: 2...256)
        problem.seed = try options.seed()
        problem.time = try options.positiveNumber("time", default: depth == 1 ? problem.time : 200)
        problem.tolerance = try options.positiveNumber("tolerance", default: problem.tolerance)
        if let stepper = options.value("stepper") {
            guard let value = ANTKDeepStepper(rawValue: stepper) else { throw UsageError("--stepper must be euler or implicit (got '\(stepper)')") }
            guard value == .euler || architecture?.geometry == nil else { throw UsageError("--stepper implicit is for the MLP populations, not --architecture cnn") }
            problem.stepper = value
        }
        // The layered populations (AN16): settling test and step bound; at L = 1 with Euler they do not apply.
        let layered = depth >= 2 || problem.stepper == .implicit
        guard layered || (options.value("drift-tolerance") == nil && options.value("max-steps") == nil) else {
            throw UsageError("--drift-tolerance and --max-steps belong to the layered populations (--depth 2 or more, or --stepper implicit)")
        }
        if layered {
            problem.driftTolerance = try options.positiveNumber("drift-tolerance", default: defaultDriftTolerance)
            problem.maximumSteps = try options.integer("max-steps", default: defaultMaximumSteps, in: 1...100_000_000)
        }
        let progress = Progress(label: "antk dmft")
        defer { progress.finish() }
        let result: ANTKPopulationStudy.Result
        do { result = try ANTKPopulationStudy.run(problem, progress: progress.reporter) } catch let error as TrainStudy.SolverFailure {
            throw CommandFailure(message: "antk: " + error.description, standardOutput: "")
        }
        let json = json(result, parameters: [("activation", .string(activation.rawValue)), ("gamma", OutputContract.exact(gamma)),
                                             ("lambda", OutputContract.exact(lambda)), ("depth", .integer(depth)),
                                             ("population", .integer(problem.population)), ("seeds", .integer(problem.seeds)),
                                             ("seed", .integer(Int(clamping: problem.seed))), ("stepper", .string(problem.stepper.rawValue))] + (architecture.map { [("architecture", ArchitectureOptions.json($0))] } ?? []),
                        cnn: architecture?.geometry != nil)
        if let out = options.value("out-dir") {
            let n = result.pointCount
            let layers = result.feature.enumerated().map { ("phi_\($0.offset + 1).npy", NPYArray(shape: [n, n], values: $0.element).serialized()) }
            try DataFiles.writeAtomically(layers + [("ntk.npy", NPYArray(shape: [n, n], values: result.ntk).serialized()),
                                                    ("summary.json", Data((json.serialized() + "\n").utf8))], to: out, option: "out-dir")
        }
        let report = format == .json ? json.serialized() + "\n" : table(result, activation: activation, gamma: gamma, lambda: lambda, depth: depth, architecture: architecture ?? .mlp)
        // (AN16): a layered run that neither met the velocity tolerance nor settled has no fixed point to report;
        // (AN18): populations on different fixed points have no one answer to report.
        if layered {
            var reasons: [String] = []
            if let reason = result.unconverged { reasons.append("no stationary point reached: " + reason) }
            if let split = result.branches, split.mixed {
                reasons.append("the populations at a fixed point are on different branches, their mean is not one answer (AN18): " + split.summary
                               + String(format: "; closest populations of different branches %.3g apart, threshold %.3g relative to |y|", split.smallestBetween ?? .nan, split.threshold))
            }
            if !reasons.isEmpty { throw CommandFailure(message: "antk: " + reasons.joined(separator: "; "), standardOutput: report) }
        }
        return report
    }

    /// Defaults of the layered populations (notes/antk-nonlinear-data.md (AN16), (AN17)).
    static let defaultDriftTolerance = ANTKDriftWindow.defaultTolerance
    static let defaultMaximumSteps = 4000

    static func losses(_ losses: [String: Estimate]) -> JSONValue {
        .object(["antk", "nngp", "ntk"].compactMap { name in
            losses[name].map { (name, name == "antk" ? OutputContract.estimated($0) : OutputContract.approximate($0.value)) }
        })
    }

    static func json(_ r: ANTKPopulationStudy.Result, parameters: [(String, JSONValue)], cnn: Bool = false) -> JSONValue {
        OutputContract.document(command: "antk --activation", parameters + [
            ("solver", .string(cnn ? "population DMFT (two-layer CNN)" : r.feature.count == 1 ? "population DMFT (two-layer)" : "layered population DMFT fixed point (deep)")), ("time_step", .string(OutputContract.decimal17(r.timeStep))),
            ("train_points", .integer(r.trainCount)), ("test_points", .integer(r.pointCount - r.trainCount)),
            ("train_loss", losses(r.trainLoss)), ("test_loss", r.testLoss.map(losses) ?? .null),
            ("predictions_of", .string(r.predictionsAreTest ? "test" : "train")),
            ("predictions", .array(r.predictions.map(OutputContract.estimated))),
            ("overlap", .array(r.overlap.map(OutputContract.estimated))), ("alignment", .array(r.alignment.map(OutputContract.estimated))),
            ("predictor_identity_residual", .string(OutputContract.decimal17(r.predictorIdentityResidual.isFinite ? r.predictorIdentityResidual : -1))),
            ("stationary_runs", .integer(r.stationaryRuns)), ("unconverged", r.unconverged.map { .string($0) } ?? .null),
        ] + (r.windowDrift.map { [("settled_runs", .integer(r.settledRuns)), ("window_drift", .string(OutputContract.decimal17($0.isFinite ? $0 : -1)))] } ?? [])
          + (r.branches.map { [("branches", branches($0))] } ?? []))
    }

    /// The branch check (AN18): the branches with their populations and mean train loss, the largest distance within
    /// a branch and the smallest between branches (relative to |y| on the training points) and the threshold.
    static func branches(_ b: ANTKBranchCheck) -> JSONValue {
        .object([
            ("mixed", .bool(b.mixed)),
            ("list", .array(b.branches.map { branch in
                .object([("kind", .string(branch.kind)), ("populations", .array(branch.populations.map { .integer($0) })),
                         ("train_loss", OutputContract.approximate(branch.trainLoss))])
            })),
            ("largest_within_distance", .string(OutputContract.decimal17(b.largestWithin))),
            ("smallest_between_distance", b.smallestBetween.map { .string(OutputContract.decimal17($0)) } ?? .null),
            ("threshold", .string(OutputContract.decimal17(b.threshold))),
        ])
    }

    static func table(_ r: ANTKPopulationStudy.Result, activation: Activation, gamma: BigRational, lambda: BigRational, depth: Int,
                      architecture: Architecture = .mlp) -> String {
        func text(_ e: Estimate) -> String { e.standardError > 0 ? String(format: "%.6g ± %.2g", e.value, e.standardError) : String(format: "%.6g", e.value) }
        var lines = ["aNTK by the population DMFT (notes/antk-nonlinear-data.md): \(activation.rawValue), L = \(depth), gamma = \(OutputContract.exactText(gamma)), lambda = \(OutputContract.exactText(lambda))",
                     "\(r.seeds) populations of M = \(r.population), dt = \(String(format: "%.4g", r.timeStep)); P = \(r.trainCount), Q = \(r.pointCount - r.trainCount)",
                     "predictor   train loss" + (r.testLoss == nil ? "" : "   test loss")]
        if let line = ArchitectureOptions.line(architecture) { lines.insert(line, at: 1) }
        for name in ["antk", "nngp", "ntk"] {
            lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0) + text(r.trainLoss[name]!) + (r.testLoss.map { "   " + text($0[name]!) } ?? ""))
        }
        for (l, (o, a)) in zip(r.overlap, r.alignment).enumerated() { lines.append("layer \(l + 1): overlap \(text(o))   alignment \(text(a))") }
        lines.append(String(format: "predictor identity (GV13) residual %.2e", r.predictorIdentityResidual))
        if let drift = r.windowDrift {
            lines.append("\(r.stationaryRuns) of \(r.seeds) populations reached a stationary point (\(r.settledRuns) of them settled, AN16; largest drift between windows "
                         + (drift.isFinite ? String(format: "%.2e", drift) : "not measured") + ")" + (r.unconverged.map { ": \($0)" } ?? ""))
            if let split = r.branches {
                lines.append(split.mixed ? "branches (AN18): " + split.summary + " -- the mean above is not one answer"
                             : split.branches.isEmpty ? "branches (AN18): no population reached a fixed point"
                             : String(format: "one branch (AN18): populations at a fixed point at most %.3g apart relative to |y| (threshold %.3g)", split.largestWithin, split.threshold))
            }
        } else {
            lines.append("\(r.stationaryRuns) of \(r.seeds) populations met the tolerance" + (r.unconverged.map { ": \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
