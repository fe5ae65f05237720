import Foundation
import Core
import Numerics
import Simulation
import Studies

/// `adaptive-kernels dynamics`: the training trajectory of a network at infinite width: the deep linear
/// DMFT (notes/dynamics-deep-linear.md) or the sampled two-layer DMFT for relu, tanh, erf
/// (notes/dynamics-nonlinear.md); the self-consistent DMFT or one of its approximations, with the
/// self-consistent solution beside an approximation, optionally finite-width networks.
enum DynamicsCommand {
    static let usage = """
    usage: adaptive-kernels dynamics --depth L --gamma G [--lambda W] --time T [--points K]
             [--activation identity|relu|tanh|erf [--samples M] [--replicas R] [--target-error E]] [--train X.npy --labels y.npy [--test Xt.npy --test-labels yt.npy] | --whitened-points P]
             [--approximation self-consistent|static-ntk|gradient-independence|perturbative]
             [--widths LIST [--seeds S] [--seed S]] [--format table|csv|json] [--out-dir DIR]
      Training dynamics at infinite width (gradient flow, muP, weight decay W >= 0, default 0): the deep
      linear DMFT on the data's input kernel C = X X^T / D (DY1-DY10), solved on Euler grids of m, 2m and
      4m steps (8m more for whitened data) and Richardson-extrapolated (DY12); every value is approximate with its residual. Without
      data: whitened single-direction data, P points (default 4), C = I, y = e_1, by the scalar reduction
      (DY14, DY15). Output at K+1 times (default K = 10) from 0 to T: train loss (1/(2P)) |y - f|^2, test
      loss, f.y/|y|^2, per-layer overlaps y^T Phi^l y/|y|^2 and the NTK's alignment with y y^T (DY13).
      --approximation: static-ntk (gamma -> 0, DY17), gradient-independence (responses dropped, DY18;
      for L >= 2 its lazy kernel is 2C, not (L+1)C), perturbative (leading order in gamma^2, DY19); the
      self-consistent trajectory is printed beside it with the first time their f.y differ by > 0.01.
      --widths LIST: also train networks of these widths (--seeds S each, default 8) with the finest
      grid's step and report the 1/N-extrapolated observables (estimated, standard errors; DY20).
      --activation relu|tanh|erf --depth 1: the two-layer DMFT by sampling (DN1-DN6): R independent
      replicas (default 8) of M single-site neurons each (default 4096, antithetic pairs), each marched to
      self-consistency on the same three Euler grids and Richardson-extrapolated; values are estimated:
      mean over replicas, standard error sd/sqrt(R), systematic = the Richardson residual. --target-error E:
      M is raised by (pilot standard error / E)^2 (at most 16x), so that the largest standard error of the
      self-consistent f.y is about E (approximations built from it, e.g. perturbative, carry more).
      Whitened data is solved point by point (no scalar reduction). static-ntk uses the exact lazy kernels
      (DN9, DN20) and needs --lambda 0 for tanh and erf; gradient-independence equals self-consistent at L = 1.
      --activation tanh|erf|relu --depth L >= 2: the deep DMFT by sampling with pathwise response functions
      (DN17-DN21; default M = 1024 sites, coarse step 0.1); memory grows as M (points x steps)^2 and is capped
      at 1 GiB (exit 2 beyond: fewer --points or --samples); gradient-independence drops the responses.
      relu at L >= 2: the kink's point mass is reached through softplus smoothing, marched at beta = 16, 32, 64
      on the same sites and Richardson-extrapolated in 1/beta (DN22-DN24, 3x the cost); the extrapolation's
      residual is added to the systematic error. static-ntk accepts --lambda > 0 for relu (DN25).
      --out-dir DIR: trajectory.csv and summary.json. G, W, T: exact numbers (1, 0.5, 2.5e-3, 3/2).
    """
    static let subcommand = Subcommand(name: "dynamics", summary: "training trajectories at infinite width: deep linear DMFT on data, against its approximations and finite networks",
                                       usage: usage, run: run)

    static let breakdownThreshold = 0.01

    struct Run {
        let problem: DynamicsProblem
        let trajectory: DynamicsTrajectory
        let reference: DynamicsTrajectory?
        let finiteWidth: DynamicsFiniteWidth.Result?
        let gamma: BigRational, lambda: BigRational, time: BigRational
        let seed: UInt64
        var breakdownTime: Double? {
            guard let reference else { return nil }
            return zip(trajectory.values, reference.values).enumerated().first { abs($0.element.0.fDotY - $0.element.1.fDotY) > DynamicsCommand.breakdownThreshold }
                .map { trajectory.times[$0.offset] }
        }
    }

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["depth", "gamma", "lambda", "time", "points", "activation", "train", "labels", "test",
                                                              "test-labels", "whitened-points", "approximation", "widths", "seeds", "seed",
                                                              "format", "out-dir", "samples", "replicas", "target-error"], switches: [])
        var activation = Activation.identity
        if let text = options.value("activation") {
            guard let a = Activation(rawValue: text) else { throw UsageError("--activation must be identity, relu, tanh or erf (got '\(text)')") }
            activation = a
        }
        let deepDefault = activation != .identity && (Int(options.value("depth") ?? "") ?? 1) >= 2
        let samples = try options.integer("samples", default: deepDefault ? 1024 : 4096, in: 2...(1 << 22))
        guard samples % 2 == 0 else { throw UsageError("--samples must be even (antithetic pairs; got \(samples))") }
        let replicas = try options.integer("replicas", default: 8, in: 2...1000)
        var targetError: Double? = nil
        if options.value("target-error") != nil {
            let e = try parseRational(options, "target-error").doubleApproximation
            guard e > 0 else { throw UsageError("--target-error must be positive") }
            targetError = e
        }
        if activation == .identity, options.value("samples") != nil || options.value("replicas") != nil || targetError != nil {
            throw UsageError("--samples, --replicas and --target-error need a nonlinear --activation (the deep linear DMFT is not sampled)")
        }
        let depthText = try options.required("depth")
        guard let depth = Int(depthText), (1...64).contains(depth) else { throw UsageError("--depth must be an integer in 1...64 (got '\(depthText)')") }
        let gamma = try parseRational(options, "gamma")
        let lambda: BigRational = options.value("lambda") == nil ? BigRational(0) : try parseRational(options, "lambda")
        let time = try parseRational(options, "time")
        let points = try options.integer("points", default: 10, in: 1...1000)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let approximation: DynamicsApproximation
        if let text = options.value("approximation") {
            guard let a = DynamicsApproximation(rawValue: text) else {
                throw UsageError("--approximation must be one of \(DynamicsApproximation.allCases.map(\.rawValue).joined(separator: "|")) (got '\(text)')")
            }
            approximation = a
        } else { approximation = .selfConsistent }
        let data: DynamicsData
        if options.value("train") != nil || options.value("labels") != nil {
            guard options.value("whitened-points") == nil else { throw UsageError("--whitened-points and --train exclude each other") }
            let loaded = try DataFiles.trainingData(options)
            data = try dynamicsErrors { try DynamicsData(loaded) }
        } else {
            data = .whitened(size: try options.integer("whitened-points", default: 4, in: 1...100000))
        }
        let problem = try dynamicsErrors {
            try DynamicsProblem(depth: depth, gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation,
                                time: time.doubleApproximation, intervals: points, data: data, activation: activation)
        }
        guard gamma.doubleApproximation > 0, lambda.doubleApproximation >= 0 else { throw UsageError("--gamma must be > 0 and --lambda >= 0") }
        var widths: [Int]? = nil
        if let text = options.value("widths") { widths = try ParameterList.integers(text, option: "widths", in: 2...16384, what: "a width") }
        let seeds = try options.integer("seeds", default: 8, in: 2...1000)
        let seed = UInt64(try options.integer("seed", default: 1, in: 0...Int(Int32.max)))
        var solver = DynamicsSolver(pairs: samples / 2, replicas: replicas, seed: seed)
        if let targetError, solver.sampled(problem) {
            solver = try dynamicsErrors { try sizedSolver(solver, problem, target: targetError) }
        }
        let trajectory = try dynamicsErrors { try solver.solve(problem, approximation: approximation) }
        let reference = approximation == .selfConsistent ? nil : try dynamicsErrors { try solver.solve(problem) }
        var finite: DynamicsFiniteWidth.Result? = nil
        if let widths {
            let fine = (reference ?? trajectory).gridSteps.last!
            finite = try dynamicsErrors {
                try DynamicsFiniteWidth(widths: widths, seedsPerWidth: seeds, seed: seed)
                    .run(problem, timeStep: problem.time / Double(fine), stepsPerFrame: fine / points)
            }
        }
        let result = Run(problem: problem, trajectory: trajectory, reference: reference, finiteWidth: finite,
                         gamma: gamma, lambda: lambda, time: time, seed: seed)
        let json = DynamicsReport.json(result)
        if let out = options.value("out-dir") {
            try DataFiles.writeAtomically([("trajectory.csv", Data(DynamicsReport.csv(result).utf8)),
                                           ("summary.json", Data((json.serialized() + "\n").utf8))], to: out, option: "out-dir")
        }
        switch format {
        case .json: return json.serialized() + "\n"
        case .csv: return DynamicsReport.csv(result)
        default: return DynamicsReport.table(result)
        }
    }

    /// Monte Carlo error control (notes/dynamics-nonlinear.md (DN5)): a pilot run with the given sites, then
    /// M scaled by (largest f.y standard error / target)^2, at most 16x the pilot (the standard error falls as 1/sqrt(M)).
    static func sizedSolver(_ pilot: DynamicsSolver, _ problem: DynamicsProblem, target: Double) throws -> DynamicsSolver {
        let run = try pilot.solve(problem)
        let worst = run.standardErrors!.map(\.fDotY).max() ?? 0
        guard worst > target else { return pilot }
        let factor = min(16, (worst / target) * (worst / target))
        guard factor < 16 else {
            throw InputError("dynamics: --target-error \(target) needs more than 16 x \(2 * pilot.pairs) sites per replica "
                             + "(pilot standard error \(String(format: "%.2g", worst))); raise --samples or --replicas")
        }
        var solver = pilot
        solver.pairs = Int((Double(pilot.pairs) * factor).rounded(.up))
        return solver
    }

    static func dynamicsErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as InputError { throw UsageError(error.description) }
    }
}

/// Renderings of a dynamics run by the output contract (every trajectory value approximate with its
/// residual; finite-width values estimated).
enum DynamicsReport {
    /// Approximate (deep linear DMFT, static NTK: value with residual) or estimated (sampled DMFT: mean over
    /// replicas, standard error, the Richardson residual as systematic).
    static func quantity(_ t: DynamicsTrajectory, _ i: Int, _ pick: (DynamicsPoint) -> Double) -> JSONValue {
        if let se = t.standardErrors, let sampling = t.sampling {
            return OutputContract.estimated(Estimate(value: pick(t.values[i]), standardError: pick(se[i]), systematic: pick(t.residuals[i]),
                                                     degreesOfFreedom: sampling.replicas - 1))
        }
        return OutputContract.approximate(pick(t.values[i]), residual: pick(t.residuals[i]))
    }

    static func series(_ t: DynamicsTrajectory) -> [(String, JSONValue)] {
        func column(_ pick: (DynamicsPoint) -> Double) -> JSONValue { .array(t.values.indices.map { quantity(t, $0, pick) }) }
        var members: [(String, JSONValue)] = [("train_loss", column(\.trainLoss))]
        if t.values[0].testLoss != nil { members.append(("test_loss", column { $0.testLoss! })) }
        members += [
            ("f_dot_y", column(\.fDotY)),
            ("overlap", .array(t.values.indices.map { i in
                .array(t.values[i].overlaps.indices.map { l in quantity(t, i) { $0.overlaps[l] } }) })),
            ("ntk_alignment", column(\.ntkAlignment)),
        ]
        return members
    }

    static func json(_ r: DynamicsCommand.Run) -> JSONValue {
        let p = r.problem, t = r.trajectory
        var members: [(String, JSONValue)] = [
            ("activation", .string(p.activation.rawValue)), ("depth", .integer(p.depth)),
            ("gamma", OutputContract.exact(r.gamma)), ("lambda", OutputContract.exact(r.lambda)), ("time", OutputContract.exact(r.time)),
            ("points", .integer(p.intervals)),
            ("data", .string(p.data.whitenedSize.map { "whitened: P = \($0) points, C = I, y = e_1" + (p.activation == .identity ? " (scalar reduction)" : "") }
                             ?? "C = X X^T / D: P = \(p.data.trainCount), D = \(p.data.dimension), test Q = \(p.data.testCount)")),
            ("train_points", .integer(p.data.trainCount)), ("test_points", .integer(p.data.testCount)),
            ("approximation", .string(t.approximation.rawValue)),
            ("grid_steps", .array(t.gridSteps.map { .integer($0) })),
            ("error_control", .string(t.sampling == nil
                ? "Euler grids of m, 2m, 4m (8m: whitened) steps, Richardson eliminations of dt, dt^2 (dt^3); residual = size of the last elimination (DY12)"
                : "sampled DMFT (DN5\(p.depth >= 2 ? ", with pathwise response functions DN17-DN21" : "")): replicas of independent single-site samples, "
                  + "each on Euler grids of \(t.gridSteps.map(String.init).joined(separator: ", ")) steps with Richardson (DY12); "
                  + "value = mean over replicas, standard_error = sd/sqrt(replicas), systematic = mean Richardson residual")),
        ]
        if let sampling = t.sampling {
            members.append(("sampling", .object([("replicas", .integer(sampling.replicas)), ("sites_per_replica", .integer(sampling.sites))])))
        }
        members += [
            ("times", .array(t.times.map { .string(OutputContract.decimal17($0)) })),
        ] + series(t)
        if let reference = r.reference {
            members.append(("self_consistent", .object(series(reference))))
            members.append(("f_dot_y_difference", .array(zip(t.values, reference.values).map { .string(OutputContract.decimal17($0.fDotY - $1.fDotY)) })))
            members.append(("breakdown_threshold", .string(OutputContract.decimal17(DynamicsCommand.breakdownThreshold))))
            members.append(("breakdown_time", r.breakdownTime.map { .string(OutputContract.decimal17($0)) } ?? .null))
        }
        if let f = r.finiteWidth {
            func column(_ pick: (DynamicsPoint) -> Double) -> JSONValue {
                .array(zip(f.values, f.standardErrors).map {
                    OutputContract.estimated(Estimate(value: pick($0), standardError: pick($1), systematic: 0, degreesOfFreedom: f.seedsPerWidth - 1))
                })
            }
            var fw: [(String, JSONValue)] = [("widths", .array(f.widths.map { .integer($0) })), ("seeds", .integer(f.seedsPerWidth)),
                                              ("seed", .integer(Int(r.seed))), ("time_step", .string(OutputContract.decimal17(f.timeStep))),
                                              ("extrapolation", .string("mean over seeds per width, weighted least squares a + b/N; the intercept's standard error")),
                                              ("train_loss", column(\.trainLoss))]
            if f.values[0].testLoss != nil { fw.append(("test_loss", column { $0.testLoss! })) }
            fw += [("f_dot_y", column(\.fDotY)),
                   ("overlap", .array(zip(f.values, f.standardErrors).map { v, e in
                       .array(zip(v.overlaps, e.overlaps).map { OutputContract.estimated(Estimate(value: $0, standardError: $1, systematic: 0, degreesOfFreedom: f.seedsPerWidth - 1)) }) })),
                   ("ntk_alignment", column(\.ntkAlignment))]
            members.append(("finite_width", .object(fw)))
        }
        return OutputContract.document(command: "dynamics", members)
    }

    static func csv(_ r: DynamicsCommand.Run) -> String {
        let t = r.trajectory, depth = r.problem.depth
        let hasTest = t.values[0].testLoss != nil
        var names = ["train_loss"] + (hasTest ? ["test_loss"] : []) + ["f_dot_y"] + (1...depth).map { "overlap_\($0)" } + ["ntk_alignment"]
        var header = ["time"] + names + names.map { $0 + "_residual" } + (t.standardErrors == nil ? [] : names.map { $0 + "_standard_error" })
        if r.reference != nil { header += names.map { "self_consistent_" + $0 } }
        if r.finiteWidth != nil { header += names.map { "finite_width_" + $0 } + names.map { "finite_width_" + $0 + "_standard_error" } }
        names = []
        var lines = [header.joined(separator: ",")]
        for i in t.times.indices {
            var row = [t.times[i]] + t.values[i].components + t.residuals[i].components + (t.standardErrors?[i].components ?? [])
            if let reference = r.reference { row += reference.values[i].components }
            if let f = r.finiteWidth { row += f.values[i].components + f.standardErrors[i].components }
            lines.append(row.map { OutputContract.decimal17($0) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ r: DynamicsCommand.Run) -> String {
        let p = r.problem, t = r.trajectory
        let network = p.depth == 1 ? "Two-layer \(p.activation.rawValue) network" : "\(p.activation.rawValue) network with \(p.depth) hidden layers"
        let header = t.sampling.map { "\(network) at infinite width: \(t.approximation.rawValue) trajectory, "
            + "sampled DMFT, \($0.replicas) replicas x \($0.sites) sites (notes/dynamics-nonlinear.md)" }
            ?? (p.activation == .identity ? "Deep linear network at infinite width: \(t.approximation.rawValue) trajectory (notes/dynamics-deep-linear.md)"
                : "\(network) at infinite width: \(t.approximation.rawValue) trajectory, exact lazy kernels (notes/dynamics-nonlinear.md)")
        var lines = [header,
                     "L = \(p.depth)   gamma = \(r.gamma)   lambda = \(r.lambda)   T = \(r.time)   "
                     + (p.data.whitenedSize.map { "whitened data, P = \($0)" } ?? "data: P = \(p.data.trainCount), D = \(p.data.dimension), test Q = \(p.data.testCount)"),
                     (t.standardErrors == nil ? "approximate values" : "estimated values (mean over replicas; largest standard error \(String(format: "%.1e", t.standardErrors!.flatMap(\.components).max() ?? 0)))")
                     + " (Euler grids \(t.gridSteps.map(String.init).joined(separator: ", ")) steps, Richardson; max residual \(String(format: "%.1e", t.residuals.flatMap(\.components).max() ?? 0)))",
                     ""]
        let hasTest = t.values[0].testLoss != nil
        var head = "    t       train_loss    " + (hasTest ? "test_loss     " : "") + "f.y/|y|^2     "
        head += (1...p.depth).map { "overlap_\($0)".padding(toLength: 14, withPad: " ", startingAt: 0) }.joined() + "ntk_alignment"
        if t.standardErrors != nil { head += "   s.e.(f.y)" }
        if r.reference != nil { head += "   self-consistent f.y" }
        if r.finiteWidth != nil { head += "   finite width f.y (1/N fit)" }
        lines.append(head)
        for i in t.times.indices {
            let v = t.values[i]
            var line = String(format: "%8.4g  %-12.6g  ", t.times[i], v.trainLoss)
            if let tl = v.testLoss { line += String(format: "%-12.6g  ", tl) }
            line += String(format: "%-12.6g  ", v.fDotY)
            line += v.overlaps.map { String(format: "%-12.6g  ", $0) }.joined()
            line += String(format: "%-12.6g", v.ntkAlignment)
            if let se = t.standardErrors { line += String(format: "   %-9.2g", se[i].fDotY) }
            if let reference = r.reference { line += String(format: "   %-12.6g", reference.values[i].fDotY) }
            if let f = r.finiteWidth { line += String(format: "   %.5g +- %.2g", f.values[i].fDotY, f.standardErrors[i].fDotY) }
            lines.append(line)
        }
        if r.reference != nil {
            lines.append("")
            lines.append(r.breakdownTime.map { "the approximation's f.y leaves the self-consistent one by more than \(DynamicsCommand.breakdownThreshold) at t = \(String(format: "%.4g", $0))" }
                         ?? "the approximation's f.y stays within \(DynamicsCommand.breakdownThreshold) of the self-consistent one up to T")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
