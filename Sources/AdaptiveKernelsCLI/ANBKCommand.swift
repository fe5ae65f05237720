import Foundation
import Core
import Numerics
import Studies
import Theory

/// `adaptive-kernels anbk`: the Bayesian adaptive kernels on data for any activation and depth
/// (notes/anbk-data.md). Parses, calls `ANBKStudy`, renders.
enum ANBKCommand {
    static let subcommand = Subcommand(name: "anbk", summary: "Bayesian adaptive kernels (aNBK) on data, any activation and depth: min-max saddle (Algorithm 1) or exact deep linear",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels anbk --activation A --depth L --gamma G --beta B --train X.npy --labels y.npy
                                 [--test Xt.npy --test-labels yt.npy] [--points P] [--test-points Q]
                                 [--solver exact|minmax] [--sampler smc|importance] [--scheme minmax|fixed-point]
                                 [--samples N] [--burn-in T0] [--measured T] [--replicas R] [--seed S] [--moves K]
                                 [--slice-reference fitted|prior] [--trace FILE]
                                 [--format table|json] [--out-dir DIR]
      The adaptive neural Bayesian kernels (aNBK) of a network with L hidden layers and activation A
      (identity, relu, tanh, erf), feature strength G and inverse temperature B (ridge b = 1/B), at the
      saddle of the min-max action (notes/theory-overview.md (T5)), on the data as given (C = X X^T/D,
      labels y; the package's fixtures: Tests/Fixtures/digits/X_train.npy etc.). --points P and
      --test-points Q keep the first P training and the first Q test points (default: all).
      --solver minmax (default unless A = identity): the paper's Algorithm 1 with a sampled inner law,
        N samples per layer and iteration (default 8000), T0 burn-in (default 200) and T measured
        (default 200) iterations, the inner step a damped Fisher-Newton step solved matrix-free by
        conjugate gradients (notes/anbk-data.md (NB1)-(NB6)); runs with N/2 and N samples are
        extrapolated to N = inf; a run that is not stationary is continued once with twice the measured
        iterations (its iterations so far become burn-in).
        Every aNBK number is estimated (value, standard error, systematic, degrees of freedom). Needs a
        finite B.
      --replicas R (default 8, 1...64): R independent replicas of the N/2 - N pair, each with the T0 burn-in
        iterations and T/R (rounded up) measured ones; every standard error is the scatter of the replicas'
        extrapolated values, with R - 1 degrees of freedom (use Student t), and the drift test compares the
        halves of the replicas' measured iterations (notes/anbk-data.md (NB28)-(NB30)). It costs
        (R T0 + T)/(T0 + T) times one pair. --replicas 1: one pair with batch means within each run, which
        underestimate the error when the iterates are correlated over more than a batch (NB28).
      --sampler smc (default): the inner expectation over the tilted single-site law by N walkers carried
        across iterations: reweighted by the change of the law, tempered and resampled when the effective
        sample size would fall below N/2, moved by elliptical slice sampling (notes/anbk-data.md
        (NB12)-(NB16)): the effective sample size entering every inner step is >= N/2 at any P.
        --slice-reference fitted (default): each half of the walkers moves around the Gaussian fitted to the
        other half, the slice likelihood being target / that Gaussian (NB31); prior: around the walkers'
        prior N(0, I) (NB13), which mixes slowly where the tilted law is much wider than the prior.
        --sampler importance: fresh samples from a Gaussian proposal each iteration (the verifier's
        sampler; cheaper at small P); its weights degenerate from about P = 100 on the raw digits.
        With --architecture cnn the sampler is importance (the only one for filters).
      --scheme fixed-point (the default at --depth 1, MLP): the dual moves toward its stationarity
        -gamma^2 v v^T, v = (Phi + b I)^-1 y, within a trust region, and Phi toward the tilted moment by a
        damped Newton step with the Gaussian Jacobian (notes/anbk-data.md (NB23)-(NB25), (NB32)); the same
        saddle, no inner ascent. --scheme minmax (the default at depth >= 2 and with --architecture cnn,
        the only scheme there): Algorithm 1's inner ascent and outer descent.
        A run that is not stationary is continued (both runs) with twice the measured iterations (NB25).
      --trace FILE writes one line of diagnostics per iteration of each run (NB22).
      --moves K: elliptical slice sweeps per walker and iteration of --sampler smc (default 2, 1...64).
      --solver exact (default for A = identity): the exact deep linear saddle (what 'kernels' computes),
        working precision.
      Reported: train and test loss of the aNBK and of the lazy NNGP and NTK (kernel regression with the
      same ridge b), the aNBK predictions (test points in input order, else training points), and per
      layer overlap_l = y^T Phi^l y/|y|^2 and alignment_l = overlap_l/|Phi^l|_F on the training block.
      --out-dir DIR writes phi_l_train.npy (P x P) and phi_l_test.npy (Q x P) for every layer l and
      summary.json (the JSON report).
      With --architecture cnn (two-layer, --depth 1) the network is the CNN below, Bayesian: the min-max
        samples filters, the tilt acts on the pooled features (notes/cnn-bayes.md (CB5)-(CB7)); the lazy
        baselines are the lazy CNN NNGP and NTK; --activation identity (--solver exact) is the exact
        deep linear saddle on the pooled-patch kernel C_pool = |P|^-2 sum_{p,p'} C_pp' (CB1).
      Exit status 0; 2 bad input; 3 the min-max did not converge (report on stdout, reason on stderr).
    """ + ArchitectureOptions.usage

    static let valued: Set<String> = (["activation", "depth", "gamma", "beta", "train", "labels", "test", "test-labels", "solver",
                                      "samples", "burn-in", "measured", "seed", "format", "out-dir", "points", "test-points", "sampler", "scheme", "trace", "moves",
                                      "replicas", "slice-reference"] as Set<String>).union(ArchitectureOptions.names)

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: valued, switches: [])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let activation = try options.activation()
        let depth = try options.integer("depth", default: -1, in: 1...16)
        guard depth >= 1 else { throw UsageError("--depth is required") }
        let gamma = try parseGamma(options.required("gamma"))
        guard gamma.signum >= 0 else { throw UsageError("--gamma must be >= 0 (got '\(OutputContract.exactText(gamma))')") }
        let beta = try parseBeta(options.required("beta"))
        if case .finite(let b) = beta, b.signum <= 0 { throw UsageError("--beta must be positive or inf") }
        let solver: ANBKStudy.Solver
        switch options.value("solver") {
        case nil: solver = activation == .identity ? .exact : .minmax
        case "exact":
            guard activation == .identity else { throw UsageError("--solver exact is the deep linear solver: it needs --activation identity") }
            solver = .exact
        case "minmax": solver = .minmax
        case let other?: throw UsageError("--solver must be exact or minmax (got '\(other)')")
        }
        if solver == .minmax, case .infinite = beta { throw UsageError("--beta inf: the min-max solver needs a finite beta (the ridge b = 1/beta)") }
        if solver == .exact, gamma.signum == 0 { throw UsageError("--gamma 0 is the lazy NNGP; the exact deep linear solver needs gamma > 0") }
        if solver == .exact, ["samples", "burn-in", "measured", "sampler", "scheme", "trace", "moves", "replicas", "slice-reference"].contains(where: { options.value($0) != nil }) {
            throw UsageError("--samples, --burn-in, --measured, --replicas, --sampler, --scheme, --moves, --slice-reference and --trace belong to the min-max solver (--solver minmax)")
        }
        var sampler = ANBKStudy.Sampler.smc
        if let name = options.value("sampler") {
            guard let chosen = ANBKStudy.Sampler(rawValue: name) else { throw UsageError("--sampler must be smc or importance (got '\(name)')") }
            sampler = chosen
        }
        var data = try DataFiles.trainingData(options)
        if options.value("points") != nil || options.value("test-points") != nil {
            let p = try options.integer("points", default: data.trainCount, in: 2...data.trainCount)
            if options.value("test-points") != nil, !data.hasTest { throw UsageError("--test-points needs --test and --test-labels") }
            let q = try options.integer("test-points", default: data.testCount, in: 1...max(1, data.testCount))
            data = try studyErrors { try data.first(train: p, test: q) }
        }
        let architecture = try ArchitectureOptions.parse(options, depth: depth)
        var problem = ANBKStudy.Problem(data: data, activation: activation, depth: depth, gamma: gamma, beta: beta, solver: solver)
        if let architecture { problem.architecture = architecture }
        problem.samples = try options.integer("samples", default: problem.samples, in: 200...(1 << 20))
        problem.burnIn = try options.integer("burn-in", default: problem.burnIn, in: 10...1_000_000)
        problem.measured = try options.integer("measured", default: problem.measured, in: 20...1_000_000)
        problem.seed = try options.seed()
        problem.populationMoves = try options.integer("moves", default: problem.populationMoves, in: 1...64)
        problem.replicas = try options.integer("replicas", default: problem.replicas, in: 1...ANBKStudy.Problem.maximumReplicas)
        if problem.replicas > 1, problem.measuredPerReplica < 2 {
            throw UsageError("--replicas \(problem.replicas) needs --measured of at least \(problem.replicas + 1) (2 measured iterations per replica)")
        }
        if let name = options.value("slice-reference") {
            guard let reference = ANBKStudy.SliceReference(rawValue: name) else { throw UsageError("--slice-reference must be fitted or prior (got '\(name)')") }
            problem.sliceReference = reference
        }
        if architecture?.geometry != nil {
            // The pooled CNN site samples filter coordinates by importance sampling (notes/cnn-bayes.md (CB7)).
            if options.value("sampler") == "smc" { throw UsageError("--sampler smc: the Bayesian CNN's min-max samples filters by importance sampling only (--sampler importance)") }
            sampler = .importance
        }
        problem.sampler = sampler
        if let name = options.value("scheme") {
            guard let scheme: ANBKStudy.Scheme = name == "minmax" ? .minmax : name == "fixed-point" ? .fixedPoint : nil else { throw UsageError("--scheme must be minmax or fixed-point (got '\(name)')") }
            if scheme == .fixedPoint, depth != 1 || architecture?.geometry != nil {
                throw UsageError("--scheme fixed-point is for depth 1 networks (MLP); use --scheme minmax")
            }
            problem.scheme = scheme
        }
        if let out = options.value("out-dir") { try checkOutFolder(out) }
        if let path = options.value("trace") {
            let file = try TraceFile(path: path)
            problem.trace = { file.write($0) }
        }
        let progress = Progress(label: "anbk")
        let result: ANBKStudy.Result
        do {
            defer { progress.finish() }
            result = try studyErrors { try ANBKStudy.run(problem, progress: progress.reporter) }
        } catch let error as TrainStudy.SolverFailure {
            throw CommandFailure(message: "anbk: " + error.description, standardOutput: "")
        }
        var parameters: [(String, JSONValue)] = [("activation", .string(activation.rawValue)), ("depth", .integer(depth)),
                                                 ("gamma", OutputContract.exact(gamma)), ("beta", OutputContract.exact(beta))]
        if solver == .minmax {
            parameters += [("sampler", .string(sampler.rawValue)), ("scheme", .string(problem.resolvedScheme == .fixedPoint ? "fixed-point" : "minmax")),
                           ("samples", .integer(problem.samples)), ("burn_in", .integer(problem.burnIn)),
                           ("measured", .integer(problem.measured)), ("replicas", .integer(problem.replicas)), ("seed", .integer(Int(clamping: problem.seed)))]
        }
        if let architecture { parameters.append(("architecture", ArchitectureOptions.json(architecture))) }
        let document = json(result, parameters: parameters)
        if let out = options.value("out-dir") {
            let n = result.pointCount, p = result.trainCount, q = n - p
            var files: [(String, Data)] = []
            for (index, k) in result.kernels.enumerated() {
                let train = (0..<p).flatMap { i in (0..<p).map { k[i * n + $0] } }
                files.append(("phi_\(index + 1)_train.npy", NPYArray(shape: [p, p], values: train).serialized()))
                if q > 0 {
                    let cross = (p..<n).flatMap { i in (0..<p).map { k[i * n + $0] } }
                    files.append(("phi_\(index + 1)_test.npy", NPYArray(shape: [q, p], values: cross).serialized()))
                }
            }
            files.append(("summary.json", Data((document.serialized() + "\n").utf8)))
            try DataFiles.writeAtomically(files, to: out, option: "out-dir")
        }
        let text = format == .json ? document.serialized() + "\n" : table(result, activation: activation, depth: depth, gamma: gamma, beta: beta,
                                                                          architecture: architecture)
        if let failure = result.failure {
            throw CommandFailure(message: "anbk: the min-max did not converge: \(failure)", standardOutput: text)
        }
        return text
    }

    /// --out-dir must name an absent or empty folder (checked before the run, so a long run cannot end in a usage error).
    static func checkOutFolder(_ out: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder) {
            guard isFolder.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty == true else {
                throw UsageError("--out-dir '\(out)' exists and is not an empty folder")
            }
        }
    }

    /// An estimated number carries the degrees of freedom of its standard error (notes/anbk-data.md (NB28b)).
    static func quantity(_ e: Estimate, estimated: Bool) -> JSONValue {
        guard estimated else { return OutputContract.approximate(e.value) }
        guard case .object(let members) = OutputContract.estimated(e) else { return .null }
        return .object(members + [("degrees_of_freedom", .integer(e.degreesOfFreedom))])
    }

    static func json(_ r: ANBKStudy.Result, parameters: [(String, JSONValue)]) -> JSONValue {
        let estimated = r.solver == .minmax
        func losses(_ losses: [String: Estimate]) -> JSONValue {
            .object(["anbk", "nngp", "ntk"].map { name in (name, quantity(losses[name]!, estimated: estimated && name == "anbk")) })
        }
        var members = parameters + [
            ("solver", .string(r.solver == .minmax ? "min-max saddle (Algorithm 1)" : "exact deep linear")),
            ("train_points", .integer(r.trainCount)), ("test_points", .integer(r.pointCount - r.trainCount)),
            ("train_loss", losses(r.trainLoss)), ("test_loss", r.testLoss.map(losses) ?? .null),
            ("predictions_of", .string(r.predictionsAreTest ? "test" : "train")),
            ("predictions", .array(r.predictions.map { quantity($0, estimated: estimated) })),
            ("overlap", .array(r.overlaps.map { quantity($0, estimated: estimated) })),
            ("alignment", .array(r.alignments.map { quantity($0, estimated: estimated) })),
            ("lazy_overlap", .array(r.lazyOverlaps.map { OutputContract.approximate($0) })),
            ("lazy_alignment", .array(r.lazyAlignments.map { OutputContract.approximate($0) })),
            ("converged", .bool(r.failure == nil)), ("failure", r.failure.map { .string($0) } ?? .null),
        ]
        if let d = r.diagnostics {
            members.append(("diagnostics", .object([
                ("samples", .integer(d.samples)), ("burn_in", .integer(d.burnIn)), ("measured", .integer(d.measured)), ("runs", .integer(d.attempts)),
                ("replicas", .integer(d.replicas)), ("drift_limit", .string(OutputContract.decimal17(d.driftLimit))),
                ("minimum_effective_samples", .string(OutputContract.decimal17(d.minimumESS.isFinite ? d.minimumESS : 0))),
                ("drift", .string(OutputContract.decimal17(d.drift.isFinite ? d.drift : -1))),
                ("final_gradient_norm", .string(OutputContract.decimal17(d.gradientNorm.isFinite ? d.gradientNorm : -1))),
                ("retreats", .integer(d.retreats)), ("measured_retreats", .integer(d.measuredRetreats)),
                ("seconds", .string(OutputContract.decimal17(d.seconds))),
                ("resamplings", .integer(d.population.resamplings)), ("tempering_steps", .integer(d.population.temperingSteps)),
                ("slice_evaluations_per_move", .string(OutputContract.decimal17(d.population.evaluationsPerMove))),
            ])))
        }
        return OutputContract.document(command: "anbk", members)
    }

    static func table(_ r: ANBKStudy.Result, activation: Activation, depth: Int, gamma: BigRational, beta: InverseTemperature,
                      architecture: Architecture? = nil) -> String {
        func text(_ e: Estimate) -> String { e.standardError > 0 || e.systematic > 0 ? String(format: "%.6g ± %.2g", e.value, e.standardError + e.systematic) : String(format: "%.6g", e.value) }
        var lines = ["aNBK (notes/anbk-data.md): \(activation.rawValue), L = \(depth), gamma = \(OutputContract.exactText(gamma)), beta = \(OutputContract.exactText(beta)); "
                     + (r.solver == .minmax ? "min-max saddle (Algorithm 1), estimated" : "exact deep linear saddle, working precision"),
                     "P = \(r.trainCount), Q = \(r.pointCount - r.trainCount)"]
        if let line = architecture.flatMap(ArchitectureOptions.line) { lines.append(line) }
        lines += ["predictor   train loss" + (r.testLoss == nil ? "" : "            test loss")]
        for name in ["anbk", "nngp", "ntk"] {
            lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0) + text(r.trainLoss[name]!).padding(toLength: 22, withPad: " ", startingAt: 0)
                         + (r.testLoss.map { text($0[name]!) } ?? ""))
        }
        for l in r.overlaps.indices {
            lines.append("layer \(l + 1): overlap \(text(r.overlaps[l])) (lazy \(String(format: "%.6g", r.lazyOverlaps[l])))   alignment \(text(r.alignments[l])) (lazy \(String(format: "%.6g", r.lazyAlignments[l])))")
        }
        if let d = r.diagnostics {
            lines.append(String(format: "min-max: n = %d, burn-in %d, measured %d, %d run(s), min ESS %.0f, drift z %.2f (limit %.2f), %d retreats (%d measured), %.1f s",
                                d.samples, d.burnIn, d.measured, d.attempts, d.minimumESS, d.drift, d.driftLimit, d.retreats, d.measuredRetreats, d.seconds))
            lines.append(d.replicas > 1
                ? "errors (± standard error + systematic): between \(d.replicas) independent replicas, \(d.replicas - 1) degrees of freedom (Student t)"
                : "errors (± standard error + systematic): batch means within each run, \(BatchMeans.defaultBatches - 1) degrees of freedom; may be too small when the iterates are correlated over more than a batch")
            if d.sampler == .smc {
                lines.append(String(format: "population sampler: %d resamplings, %d tempering steps, %.2f slice evaluations per move",
                                    d.population.resamplings, d.population.temperingSteps, d.population.evaluationsPerMove))
            }
        }
        lines.append(r.failure.map { "NOT CONVERGED: \($0)" } ?? "converged")
        return lines.joined(separator: "\n") + "\n"
    }
}
