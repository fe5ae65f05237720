import Foundation
import Numerics
import Simulation
import Studies
import Core

/// `verify minmax-step`: wall time of single min-max iterations on the benchmark problem
/// (P points, deterministic inputs shared with bench/minmax_step.py).
enum MinMaxStepBenchmark {
    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["points", "depth", "samples", "activation", "repeat", "solver", "seed"], switches: [])
        let p = try options.integer("points", default: 100, in: 1...2000)
        let depth = try options.integer("depth", default: 2, in: 1...64)
        let samples = try options.integer("samples", default: 100_000, in: 2...10_000_000)
        let repeats = try options.integer("repeat", default: 5, in: 1...1000)
        let seed = UInt64(try options.integer("seed", default: 1, in: 0...Int.max))
        let activation = try options.activation(default: .tanh)
        let problem = try BenchmarkData.problem(points: p, depth: depth, activation: activation)
        let data: Bool
        switch options.value("solver") ?? "verifier" {
        case "verifier": data = false
        case "data": data = true
        case let other: throw UsageError("--solver must be verifier or data (got '\(other)')")
        }
        // As in `verify bayes`: single-threaded BLAS calls, run in parallel over the solver's fixed
        // sample chunks (no nested BLAS threads inside the chunk threads).
        return try LinearAlgebra.withThreadCount(1) {
            data ? try measureData(problem: problem, p: p, depth: depth, samples: samples, repeats: repeats, activation: activation, seed: seed)
                 : try measure(problem: problem, p: p, depth: depth, samples: samples, repeats: repeats, activation: activation, seed: seed)
        }
    }

    /// The data solver's iteration (what `anbk` runs; bench/anbk_step.py): the population sampler
    /// (notes/anbk-data.md (NB12)-(NB13)), the CG Fisher-Newton inner step (NB2)-(NB5b) and the outer step
    /// with (NB17b)-(NB17c), from the lazy start (V42) with the full gamma (no continuation). Two untimed
    /// iterations (the first draws the walkers from the prior).
    static func measureData(problem: BayesProblem, p: Int, depth: Int, samples: Int, repeats: Int, activation: Activation, seed: UInt64) throws -> String {
        var settings = MinMaxSettings()
        settings.samples = samples
        settings.seed = seed
        settings.gammaRamp = 0
        settings.sampler = .smc
        // The NumPy and JAX ports implement the slice move around the prior (NB13), not the fitted one (NB31).
        settings.sliceReference = .prior
        let solver = MinMaxSolver(problem: problem, settings: settings)
        var state = solver.initialState(lazy: true)
        let workspace = MinMaxSolver.Workspace(samples: samples, width: p)
        var times: [Double] = []
        for t in 0..<(repeats + 2) {
            let start = DispatchTime.now().uptimeNanoseconds
            try solver.step(&state, iteration: t, workspace: workspace)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if t > 1 { times.append(seconds) }
        }
        let overlap = (0..<p).reduce(0.0) { s, i in s + (0..<p).reduce(0.0) { $0 + problem.labels[i] * state.kernels[depth][i * p + $1] * problem.labels[$1] } }
        return String(format: "minmax-step data solver P=%d L=%d n=%d %@: best %.4f s, median %.4f s per iteration (y^T Phi^L y = %.6f)\n",
                      p, depth, samples, activation.rawValue, times.min()!, times.sorted()[times.count / 2], overlap)
    }

    static func measure(problem: BayesProblem, p: Int, depth: Int, samples: Int, repeats: Int, activation: Activation, seed: UInt64) throws -> String {
        var settings = MinMaxSettings()
        settings.samples = samples
        settings.seed = seed
        // As the NumPy peer: start at Phi^l = C, no gamma^2 continuation (the cost of a step depends on neither).
        settings.gammaRamp = 0
        // As the peers: the Gaussian-preconditioned inner step (notes/verify-bayes.md (V10)), not the
        // matrix-free Fisher-Newton step that data runs above 12 points use (notes/anbk-data.md (NB2)-(NB4)).
        settings.conjugateGradientSteps = 0
        let solver = MinMaxSolver(problem: problem, settings: settings)
        var state = solver.initialState(lazy: false)
        let workspace = MinMaxSolver.Workspace(samples: samples, width: p)
        var times: [Double] = []
        for t in 0...repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try solver.step(&state, iteration: t, workspace: workspace)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if t > 0 { times.append(seconds) } // the first iteration warms caches and thread pools
        }
        let trace = (0..<p).reduce(0.0) { $0 + state.kernels[depth][$1 * p + $1] } / Double(p)
        return String(format: "minmax-step P=%d L=%d n=%d %@: best %.4f s, median %.4f s per iteration (tr Phi^L / P = %.6f)\n",
                      p, depth, samples, activation.rawValue, times.min()!, times.sorted()[times.count / 2], trace)
    }
}

/// The benchmark's deterministic data (also written out by bench/minmax_step.py):
/// x_{mu d} = cos(0.37 mu d + 0.11 mu + 0.05 d), D = 2P, C = X X^T / D + 0.1 I, y_mu = sin(0.5 mu) / |.|.
enum BenchmarkData {
    static func problem(points p: Int, depth: Int, activation: Activation) throws -> BayesProblem {
        let d = 2 * p
        var c = [Double](repeating: 0, count: p * p)
        for i in 0..<p { for j in 0..<p {
            var s = 0.0
            for k in 0..<d { s += cos(0.37 * Double(i * k) + 0.11 * Double(i) + 0.05 * Double(k)) * cos(0.37 * Double(j * k) + 0.11 * Double(j) + 0.05 * Double(k)) }
            c[i * p + j] = s / Double(d) + (i == j ? 0.1 : 0)
        } }
        var y = (0..<p).map { sin(0.5 * Double($0)) }
        let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
        y = y.map { $0 / norm }
        return try BayesProblem(inputKernel: c, trainCount: p, labels: y, gamma: 1, ridge: 0.1, depth: depth, activation: activation)
    }
}

/// `verify minmax-trace`: c_l = y^T Phi^l y / y^T y of the top layer at every iteration of one min-max
/// run from the lazy start on the whitened linear problem (P = 3, y = e_1), for measuring the
/// relaxation time that sets the burn-in (notes/verify-bayes.md, section 6).
enum MinMaxTrace {
    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["gamma", "beta", "depth", "samples", "iterations", "every", "seed"], switches: [])
        guard let gamma = Double(options.value("gamma") ?? "1"), gamma > 0 else { throw UsageError("--gamma must be a positive number") }
        guard let beta = Double(options.value("beta") ?? "10"), beta > 0 else { throw UsageError("--beta must be a positive number") }
        let depth = try options.integer("depth", default: 2, in: 1...64)
        let samples = try options.integer("samples", default: 20_000, in: 2...10_000_000)
        let iterations = try options.integer("iterations", default: 1000, in: 1...1_000_000)
        let every = try options.integer("every", default: 10, in: 1...1_000_000)
        let seed = try options.integer("seed", default: 1, in: 0...Int.max)
        let problem = try BayesProblem.whitened(points: 3, gamma: gamma, ridge: 1 / beta, depth: depth)
        var settings = MinMaxSettings()
        settings.samples = samples
        settings.burnIn = 0
        settings.measured = iterations
        settings.seed = UInt64(seed)
        let run = MinMaxSolver(problem: problem, settings: settings).run()
        var lines = ["# iteration c_L (whitened P=3, gamma=\(gamma), beta=\(beta), L=\(depth), n=\(samples))"]
        let pa = problem.pointCount
        for t in stride(from: 0, to: run.kernelSeries[depth - 1][0].count, by: every) {
            let kernel = (0..<(pa * pa)).map { run.kernelSeries[depth - 1][$0][t] }
            lines.append(String(format: "%d %.8f", t + 1, problem.overlap(kernel)))
        }
        if let failure = run.failure { lines.append("# failure: \(failure)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
