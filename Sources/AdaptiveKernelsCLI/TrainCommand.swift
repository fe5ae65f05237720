import Foundation
import Core
import Numerics
import Studies

/// `adaptive-kernels train`: actual finite networks on data, the baseline next to every theory
/// number (notes/training-baseline.md). Parses, calls `TrainStudy`, renders.
enum TrainCommand {
    static let subcommand = Subcommand(name: "train", summary: "train actual width-N networks on data (gradient flow with weight decay, or posterior sampling), K seeds with error bars",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels train --activation A --depth L --width N --gamma G (--lambda W | --beta B)
                                  --train X.npy --labels y.npy [--test Xt.npy --test-labels yt.npy]
                                  [--seeds K] [--seed S] [--time T] [--tolerance E] [--burn-in T0]
                                  [--format table|json] [--out-dir DIR]
                                  [--architecture mlp|cnn --image-shape HxWxC --patch K [--stride S]]
      K seeds (default 8) of a width-N network with L hidden layers, activation A (identity, relu,
      tanh, erf), in the muP parameterization of the theory (notes/training-baseline.md (TB1)):
      h^1 = W^0 x/sqrt(D), h^{l+1} = W^l phi(h^l)/sqrt(N), f = w . phi(h^L)/(G N), weights N(0, 1).
      --lambda W: gradient flow with weight decay W > 0 (TB2), forward Euler with the step rule (TB3),
        until the RMS parameter velocity is below E (default 1e-8) or the time budget T (default 200).
      --beta B: the posterior at inverse temperature B (notes/theory-overview.md (T4)) by Langevin
        chains with the weights integrated out exactly (TB4): burn-in T0 (default 100), measured time T
        (default 400) per chain; needs N > P + Q + 1.
      Reported (each a mean over the K seeds with its standard error, K - 1 degrees of freedom, TB5):
      train loss (gradient flow) and test loss (mean squared error), the predictions (test points in
      input order; training points without a test set), overlap_l = y^T Phi^l y/|y|^2 and alignment_l
      = y^T Phi^l y/(|Phi^l|_F |y|^2) per layer on the training block; how many runs met their
      stopping rule and what the others reached (TB6). Error bars are over initialisations at this
      width: compare with the infinite-width theory through several widths.
      --out-dir DIR writes phi_l.npy (mean Phi^l over all points, training first), ntk.npy (gradient
      flow) and summary.json.
      --architecture cnn (L = 1, --lambda only): a two-layer CNN of N filters (notes/cnn-two-layer.md
      (CN3)) trained by the same gradient flow; Phi and the NTK are pooled over the patch positions.
      Exit status 0; 2 bad input; 3 a run diverged (non-finite fields).
    """ + "\n" + ArchitectureOptions.usage

    static let valued: Set<String> = Set(["activation", "depth", "width", "gamma", "lambda", "beta", "train", "labels", "test", "test-labels",
                                          "seeds", "seed", "time", "tolerance", "burn-in", "format", "out-dir"]).union(ArchitectureOptions.names)

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: valued, switches: [])
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let activation = try options.activation()
        let depth = try options.integer("depth", default: -1, in: 1...16)
        guard depth >= 1 else { throw UsageError("--depth is required") }
        let width = try options.integer("width", default: -1, in: 2...TrainStudy.Problem.maximumWidth)
        guard width >= 2 else { throw UsageError("--width is required") }
        func positive(_ name: String, default fallback: String? = nil) throws -> (text: String, value: Double) {
            guard let text = options.value(name) ?? fallback else { throw UsageError("--\(name) is required") }
            guard let rational = try? BigRational(parsing: text), rational.signum > 0 else { throw UsageError("--\(name) must be a positive number (got '\(text)')") }
            let value = rational.doubleApproximation
            guard value.isFinite, value > 0 else { throw UsageError("--\(name) is out of range (got '\(text)')") }
            return (OutputContract.exactText(rational), value)
        }
        let gamma = try positive("gamma")
        let architecture = try ArchitectureOptions.parse(options, depth: depth)
        if architecture?.geometry != nil, options.value("beta") != nil {
            throw UsageError("--architecture cnn is trained by gradient flow (--lambda); posterior sampling (--beta) is not implemented for it")
        }
        let rule: TrainStudy.Rule, ruleMember: (String, JSONValue)
        switch (options.value("lambda"), options.value("beta")) {
        case (_?, nil):
            let lambda = try positive("lambda")
            rule = .gradientFlow(lambda: lambda.value); ruleMember = ("lambda", .string(lambda.text))
        case (nil, _?):
            let beta = try positive("beta")
            rule = .posterior(beta: beta.value); ruleMember = ("beta", .string(beta.text))
        default: throw UsageError("give exactly one of --lambda W (gradient flow with weight decay) and --beta B (posterior)")
        }
        let seeds = try options.integer("seeds", default: 8, in: 2...TrainStudy.Problem.maximumSeeds)
        let seed = try options.seed()
        let isFlow: Bool = { if case .gradientFlow = rule { return true } else { return false } }()
        let time = try positive("time", default: isFlow ? "200" : "400")
        let data = try DataFiles.trainingData(options)
        var problem = TrainStudy.Problem(data: data, activation: activation, depth: depth, width: width, gamma: gamma.value, rule: rule,
                                         seeds: seeds, seed: seed, time: time.value)
        problem.architecture = architecture ?? .mlp
        if options.value("tolerance") != nil { problem.tolerance = try positive("tolerance").value }
        if let text = options.value("burn-in") {
            guard let b = Double(text), b >= 0, b.isFinite else { throw UsageError("--burn-in must be a non-negative number (got '\(text)')") }
            problem.burnIn = b
        }
        let progress = Progress(label: "train")
        defer { progress.finish() }
        let result: TrainStudy.Result
        do { result = try TrainStudy.run(problem, progress: progress.reporter) } catch let error as TrainStudy.SolverFailure {
            throw CommandFailure(message: "train: " + error.description, standardOutput: "")
        }
        let parameters: [(String, JSONValue)] = [("activation", .string(activation.rawValue)), ("depth", .integer(depth)), ("width", .integer(width)),
                                                 ("gamma", .string(gamma.text)), ruleMember, ("seeds", .integer(seeds)), ("seed", .integer(Int(clamping: seed))),
                                                 ("time", .string(time.text))] + (architecture.map { [("architecture", ArchitectureOptions.json($0))] } ?? [])
        let json = TrainReport.json(result, parameters: parameters)
        if let out = options.value("out-dir") {
            let n = result.pointCount
            var files = result.kernels.enumerated().map { ("phi_\($0.offset + 1).npy", NPYArray(shape: [n, n], values: $0.element).serialized()) }
            if let ntk = result.ntk { files.append(("ntk.npy", NPYArray(shape: [n, n], values: ntk).serialized())) }
            files.append(("summary.json", Data((json.serialized() + "\n").utf8)))
            try DataFiles.writeAtomically(files, to: out, option: "out-dir")
        }
        return format == .json ? json.serialized() + "\n" : TrainReport.table(result, parameters: parameters, architecture: architecture ?? .mlp)
    }
}

/// Renderings of a `TrainStudy.Result` (every value estimated over the seeds).
enum TrainReport {
    static func json(_ r: TrainStudy.Result, parameters: [(String, JSONValue)]) -> JSONValue {
        func optional(_ e: Estimate?) -> JSONValue { e.map(OutputContract.estimated) ?? .null }
        return OutputContract.document(command: "train", parameters + [
            ("time_step", .string(OutputContract.decimal17(r.timeStep))),
            ("train_points", .integer(r.trainCount)), ("test_points", .integer(r.pointCount - r.trainCount)),
            ("train_loss", optional(r.trainLoss)), ("test_loss", optional(r.testLoss)),
            ("predictions_of", .string(r.predictionsAreTest ? "test" : "train")),
            ("predictions", .array(r.predictions.map(OutputContract.estimated))),
            ("overlap", .array(r.overlap.map(OutputContract.estimated))),
            ("alignment", .array(r.alignment.map(OutputContract.estimated))),
            ("stationary_runs", .integer(r.stationaryRuns)),
            ("unconverged", r.unconverged.map { .string($0) } ?? .null),
        ])
    }

    static func table(_ r: TrainStudy.Result, parameters: [(String, JSONValue)], architecture: Architecture = .mlp) -> String {
        let echo = parameters.filter { $0.0 != "architecture" }.map { key, value -> String in
            if case .string(let s) = value { return "\(key) = \(s)" }
            if case .integer(let i) = value { return "\(key) = \(i)" }
            return key
        }.joined(separator: "   ")
        var lines = ["Finite networks (notes/training-baseline.md): mean over \(r.seeds) seeds +- standard error", echo,
                     "P = \(r.trainCount) train points, Q = \(r.pointCount - r.trainCount) test points, dt = \(String(format: "%.4g", r.timeStep))"]
        if let line = ArchitectureOptions.line(architecture) { lines.insert(line, at: 2) }
        func text(_ e: Estimate) -> String { String(format: "%.6g ± %.2g", e.value, e.standardError) }
        if let e = r.trainLoss { lines.append("train loss   \(text(e))") }
        if let e = r.testLoss { lines.append("test loss    \(text(e))") }
        for (l, (o, a)) in zip(r.overlap, r.alignment).enumerated() {
            lines.append("layer \(l + 1): overlap y^T Phi y/|y|^2 = \(text(o))   alignment = \(text(a))")
        }
        let shown = r.predictions.prefix(8).map(text).joined(separator: ", ")
        lines.append("\(r.predictionsAreTest ? "test" : "train") predictions: \(shown)\(r.predictions.count > 8 ? ", ..." : "")")
        lines.append("\(r.stationaryRuns) of \(r.seeds) runs met their stopping rule" + (r.unconverged.map { ": \($0)" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }
}
