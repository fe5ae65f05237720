import Foundation
import Core
import Numerics
import Simulation
import Theory

/// The finite-width baseline (notes/training-baseline.md): K seeds of an actual width-N network in
/// the muP parameterization (TB1), trained by gradient flow with weight decay (TB2) or sampled from
/// its posterior by Langevin dynamics (TB4), on a labelled data set; every reported quantity is a
/// mean over the seeds with its standard error (TB5), and runs that miss their stopping rule are
/// counted and named (TB6).
public enum TrainStudy {
    public enum Rule: Sendable, Equatable {
        /// Gradient flow with weight decay lambda > 0 (TB2).
        case gradientFlow(lambda: Double)
        /// Posterior at inverse temperature beta > 0 (T4), Langevin chains (TB4).
        case posterior(beta: Double)
    }

    public struct Problem: Sendable {
        public var data: LabelledData
        public var activation: Activation
        public var depth: Int
        public var width: Int
        public var gamma: Double
        public var rule: Rule
        public var seeds: Int
        public var seed: UInt64
        /// Gradient flow: time budget and RMS-velocity tolerance (TB2); posterior: measured time per chain.
        public var time: Double
        public var tolerance = 1e-8
        /// Posterior: burn-in time per chain.
        public var burnIn = 100.0
        /// `.cnn`: a two-layer CNN of `width` filters (notes/cnn-two-layer.md (CN3)); depth 1, gradient flow only.
        public var architecture: Architecture = .mlp

        public init(data: LabelledData, activation: Activation, depth: Int, width: Int, gamma: Double, rule: Rule,
                    seeds: Int, seed: UInt64, time: Double) {
            self.data = data; self.activation = activation; self.depth = depth; self.width = width
            self.gamma = gamma; self.rule = rule; self.seeds = seeds; self.seed = seed; self.time = time
        }

        /// Largest width x points accepted (fields are n x N per layer, N x N weights for L >= 2).
        public static let maximumWidth = 8192
        public static let maximumSeeds = 1024

        func validate() throws {
            guard depth >= 1, depth <= 16 else { throw InputError("the depth must be in 1...16 (got \(depth))") }
            guard width >= 2, width <= Problem.maximumWidth else { throw InputError("the width must be in 2...\(Problem.maximumWidth) (got \(width))") }
            guard gamma > 0, gamma.isFinite else { throw InputError("gamma must be positive and finite (got \(gamma))") }
            guard seeds >= 2, seeds <= Problem.maximumSeeds else { throw InputError("the number of seeds must be in 2...\(Problem.maximumSeeds) (an error bar needs two)") }
            guard time > 0, time.isFinite else { throw InputError("the training time must be positive and finite") }
            guard tolerance > 0, burnIn >= 0 else { throw InputError("the tolerance must be positive and the burn-in non-negative") }
            if let g = architecture.geometry {
                guard depth == 1 else { throw InputError("the CNN is two-layer: it needs depth 1 (got \(depth))") }
                guard case .gradientFlow = rule else { throw InputError("the CNN is trained by gradient flow (--lambda); posterior sampling is not implemented for it") }
                try g.validate(data)
                guard width.multipliedReportingOverflow(by: data.count * g.positionCount).partialValue <= 1 << 26 else {
                    throw InputError("width x points x positions must be at most 2^26 (\(width) x \(data.count) x \(g.positionCount))")
                }
            }
            switch rule {
            case .gradientFlow(let lambda):
                guard lambda > 0, lambda.isFinite else { throw InputError("the weight decay lambda must be positive and finite (got \(lambda))") }
            case .posterior(let beta):
                guard beta > 0, beta.isFinite else { throw InputError("beta must be positive and finite (got \(beta))") }
                guard width > data.count + 1 else {
                    throw InputError("posterior sampling needs a width above the number of points + 1 (\(data.count + 1)); got \(width)")
                }
            }
        }
    }

    public struct Result: Sendable, Codable {
        public let seeds: Int
        public let width: Int
        /// dt of the gradient flow (TB3) or of the Langevin chains.
        public let timeStep: Double
        /// Train loss (T25); nil for posterior sampling (the chains record test predictions only).
        public let trainLoss: Estimate?
        public let testLoss: Estimate?
        /// Mean test predictions (input order); the training predictions when there is no test set.
        public let predictions: [Estimate]
        public let predictionsAreTest: Bool
        /// Per layer l = 1..L on the training block (T26).
        public let overlap: [Estimate]
        public let alignment: [Estimate]
        /// Mean kernels over the seeds, all points (n x n, training first): Phi^l, l = 1..L, and the
        /// NTK (gradient flow only).
        public let kernels: [[Double]]
        public let ntk: [Double]?
        public let pointCount: Int
        public let trainCount: Int
        public let stationaryRuns: Int
        /// What the runs that missed their stopping rule reached (TB6); nil when all met it.
        public let unconverged: String?
        /// Gradient flow: normalised first-layer preactivations h_i(x_mu)/sqrt(C_mumu) at the end of
        /// every seed's run, over neurons and training points (notes/antk-nonlinear-data.md (AN8)).
        public var preactivations: [Double] = []
    }

    /// The mean lazy NTK's largest eigenvalue on the training block, for the step rule (TB3).
    static func lazyLargestEigenvalue(_ data: LabelledData, depth: Int, activation: Activation, architecture: Architecture = .mlp) -> Double {
        let c = data.trainKernel(), p = data.trainCount
        let diagonal = (0..<p).map { c[$0 * p + $0] }
        let ntk: [Double]
        if let g = architecture.geometry, let train = try? data.first(train: p, test: 0) {
            ntk = ConvolutionalLazyKernels.kernels(train, geometry: g, activation: activation).ntk
        } else {
            ntk = LazyKernels.kernels(input: c, rows: p, columns: p, rowDiagonal: diagonal, columnDiagonal: diagonal,
                                      depth: depth, activation: activation, symmetric: true).ntk
        }
        // The trace bounds the largest eigenvalue of a PSD matrix: the fallback if the eigensolver fails.
        return LinearAlgebra.symmetricEigen(ntk, n: p)?.values.max() ?? (0..<p).reduce(0.0) { $0 + ntk[$1 * p + $1] }
    }

    /// Mean squared error (T25).
    static func loss(_ f: ArraySlice<Double>, _ y: [Double]) -> Double {
        zip(f, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(max(y.count, 1))
    }

    /// overlap_l and alignment_l (T26) of a kernel over all n points, on its training block.
    static func overlapAndAlignment(_ kernel: [Double], n: Int, labels y: [Double]) -> (Double, Double) {
        let p = y.count
        var quadratic = 0.0, frobenius = 0.0
        for i in 0..<p { for j in 0..<p {
            let k = kernel[i * n + j]
            quadratic += y[i] * k * y[j]
            frobenius += k * k
        } }
        let norm = y.reduce(0) { $0 + $1 * $1 }
        return (quadratic / norm, quadratic / (frobenius.squareRoot() * norm))
    }

    /// Runs the K seeds; `progress.started(k, K, ...)` before each. Throws `InputError` for bad
    /// input and `SolverFailure` when a run diverges (non-finite fields).
    public static func run(_ problem: Problem, progress: ProgressReporter = .silent) throws -> Result {
        try problem.validate()
        switch problem.rule {
        case .gradientFlow(let lambda): return try gradientFlow(problem, lambda: lambda, progress: progress)
        case .posterior(let beta): return try posterior(problem, beta: beta, progress: progress)
        }
    }

    public struct SolverFailure: Error, CustomStringConvertible {
        public let description: String
    }

    static func gradientFlow(_ problem: Problem, lambda: Double, timeStep: Double? = nil, progress: ProgressReporter) throws -> Result {
        let data = problem.data, n = data.count, p = data.trainCount, depth = problem.depth
        // (TB3): margin 4 below the Euler stability limit of the lazy linearisation; a run whose fields
        // stop being finite is rerun from the same start with dt halved, at most 4 times, and every
        // seed then runs at the final dt.
        var dt = timeStep ?? min(0.1, 0.5 / (lazyLargestEigenvalue(data, depth: depth, activation: problem.activation, architecture: problem.architecture) + lambda * Double(depth + 1)))
        var runs: [ANTKFlowResult] = []
        var halvings = 0
        var preactivations: [Double] = []
        let c = data.inputKernel
        for s in 0..<problem.seeds {
            progress.started(s + 1, problem.seeds, "seed \(s + 1): gradient flow, N = \(problem.width)")
            while true {
                if problem.architecture != .mlp {
                    let flow = try PooledFlow(data: data, architecture: problem.architecture, activation: problem.activation,
                                              gamma: problem.gamma, lambda: lambda)
                    var network = CNNNetwork(width: problem.width, flow: flow, seed: NormalSampler.derive(problem.seed, UInt64(s)))
                    var settings = ANTKFlowSettings(timeStep: dt, maximumTime: problem.time, tolerance: problem.tolerance)
                    settings.relativeStepLimit = ANTKPopulationStudy.relativeStepLimit
                    let r = network.train(settings)
                    if r.predictions.allSatisfy(\.isFinite), r.ntk.allSatisfy(\.isFinite) {
                        // h_(mu,p)/sqrt(C_(mu,p),(mu,p)) on the training points, positions with a nonzero patch.
                        let h = flow.fields(weights: network.first, sites: problem.width), norms = flow.patchNorms, m = flow.width
                        for row in 0..<(p * flow.positions) where norms[row] > 0 {
                            for i in 0..<problem.width { preactivations.append(h[i * m + row] / norms[row].squareRoot()) }
                        }
                        runs.append(r)
                        break
                    }
                } else {
                    var network = ANTKNetwork(depth: depth, width: problem.width, inputDimension: data.dimension, gamma: problem.gamma,
                                              lambda: lambda, activation: problem.activation, seed: NormalSampler.derive(problem.seed, UInt64(s)))
                    var settings = ANTKFlowSettings(timeStep: dt, maximumTime: problem.time, tolerance: problem.tolerance)
                    settings.relativeStepLimit = ANTKPopulationStudy.relativeStepLimit
                    let r = network.train(data, settings)
                    if r.predictions.allSatisfy(\.isFinite), r.ntk.allSatisfy(\.isFinite) {
                        // h = W^0 x / sqrt(D) (TB1) on the training points, normalised by sqrt(C_mumu).
                        let d = data.dimension, w0 = network.weights[0]
                        for mu in 0..<p {
                            let scale = c[mu * n + mu].squareRoot() * Double(d).squareRoot()
                            for i in 0..<problem.width {
                                var h = 0.0
                                for k in 0..<d { h += w0[i * d + k] * data.inputs[mu * d + k] }
                                preactivations.append(h / scale)
                            }
                        }
                        runs.append(r)
                        break
                    }
                }
                guard halvings < 4 else {
                    throw SolverFailure(description: "seed \(s + 1) diverged (non-finite fields) even at dt = \(dt) after 4 halvings of the step rule (TB3)")
                }
                halvings += 1
                dt /= 2
                progress.detail("diverged: dt halved to \(dt)")
                if s > 0 { return try gradientFlow(problem, lambda: lambda, timeStep: dt, progress: progress) }
            }
        }
        func mean(_ values: [Double]) -> Estimate {
            Estimate.mean(ofIndependent: values.map { Estimate(value: $0, standardError: 0) })
        }
        let hasTest = data.hasTest
        let predictions = (0..<(hasTest ? data.testCount : p)).map { j in mean(runs.map { $0.predictions[(hasTest ? p : 0) + j] }) }
        let pairs = (0..<depth).map { l in runs.map { overlapAndAlignment($0.featureKernels[l], n: n, labels: data.labels) } }
        let kernels = (0..<depth).map { l in (0..<(n * n)).map { e in runs.reduce(0.0) { $0 + $1.featureKernels[l][e] } / Double(runs.count) } }
        let ntk = (0..<(n * n)).map { e in runs.reduce(0.0) { $0 + $1.ntk[e] } / Double(runs.count) }
        let stuck = runs.filter { !$0.stationary }
        let unconverged = stuck.isEmpty ? nil : String(format: "%d of %d runs ended above the velocity tolerance %.0e (largest RMS velocity %.2e), at flow times %.4g to %.4g of the budget %.4g (an adaptive run also stops after %d times the fixed-step count of steps)",
                                                       stuck.count, runs.count, problem.tolerance, stuck.map(\.residual).max() ?? .nan, stuck.map(\.time).min() ?? .nan, stuck.map(\.time).max() ?? .nan, problem.time, ANTKFlowSettings.adaptiveStepFactor)
        var result = Result(seeds: runs.count, width: problem.width, timeStep: dt,
                      trainLoss: mean(runs.map { loss($0.predictions[0..<p], data.labels) }),
                      testLoss: hasTest ? mean(runs.map { loss($0.predictions[p...], data.testLabels) }) : nil,
                      predictions: predictions, predictionsAreTest: hasTest,
                      overlap: pairs.map { mean($0.map(\.0)) }, alignment: pairs.map { mean($0.map(\.1)) },
                      kernels: kernels, ntk: ntk, pointCount: n, trainCount: p,
                      stationaryRuns: runs.count - stuck.count, unconverged: unconverged)
        result.preactivations = preactivations
        return result
    }

    static func posterior(_ problem: Problem, beta: Double, progress: ProgressReporter) throws -> Result {
        let data = problem.data, n = data.count, p = data.trainCount, depth = problem.depth
        // The sampler draws h^1 ~ N(0, C) through C^{-1} (notes/verify-bayes.md (V21)): C over all
        // points must be nonsingular, which needs D >= P + Q inputs in general position.
        let c = data.inputKernel
        if let values = LinearAlgebra.symmetricEigen(c, n: n)?.values, let top = values.max(), (values.min() ?? 0) <= 1e-10 * top {
            throw InputError("posterior sampling needs a nonsingular input kernel C over the \(n) training and test points (D = \(data.dimension) features; smallest eigenvalue \(values.min() ?? 0) of largest \(top)): use D >= P + Q points in general position, or gradient flow")
        }
        let bayes = try BayesProblem(inputKernel: c, trainCount: p, labels: data.labels, gamma: problem.gamma,
                                     ridge: 1 / beta, depth: depth, activation: problem.activation)
        var settings = LangevinSettings()
        settings.width = problem.width
        settings.burnInTime = problem.burnIn
        settings.measuredTime = problem.time
        var kernelRuns: [[[Double]]] = [], predictionRuns: [[Double]] = [], drifting = 0
        for s in 0..<problem.seeds {
            progress.started(s + 1, problem.seeds, "seed \(s + 1): Langevin chain, N = \(problem.width)")
            settings.seed = NormalSampler.derive(problem.seed, UInt64(s))
            let run = try LangevinNetwork(problem: bayes, settings: settings).run()
            if let failure = run.failure { throw SolverFailure(description: "seed \(s + 1): \(failure)") }
            // Time averages of this chain; the drift test (V18) on the top layer's overlap and the predictions.
            kernelRuns.append(run.kernelSeries.map { layer in layer.map { $0.reduce(0, +) / Double(max($0.count, 1)) } })
            predictionRuns.append(run.predictionSeries.map { $0.reduce(0, +) / Double(max($0.count, 1)) })
            let top = run.kernelSeries[depth - 1]
            let series = (0..<(top.first?.count ?? 0)).map { t -> Double in
                var q = 0.0
                for i in 0..<p { for j in 0..<p { q += data.labels[i] * top[i * n + j][t] * data.labels[j] } }
                return q
            }
            let limit = BatchMeans.driftLimit(series: 1 + run.predictionSeries.count)
            let drifts = [BatchMeans.estimate(series).drift] + run.predictionSeries.map { BatchMeans.estimate($0).drift }
            if drifts.contains(where: { $0 > limit }) { drifting += 1 }
        }
        func mean(_ values: [Double]) -> Estimate {
            Estimate.mean(ofIndependent: values.map { Estimate(value: $0, standardError: 0) })
        }
        let pairs = (0..<depth).map { l in kernelRuns.map { overlapAndAlignment($0[l], n: n, labels: data.labels) } }
        let kernels = (0..<depth).map { l in (0..<(n * n)).map { e in kernelRuns.reduce(0.0) { $0 + $1[l][e] } / Double(kernelRuns.count) } }
        let predictions = (0..<data.testCount).map { j in mean(predictionRuns.map { $0[j] }) }
        return Result(seeds: problem.seeds, width: problem.width, timeStep: settings.timeStep, trainLoss: nil,
                      testLoss: data.hasTest ? mean(predictionRuns.map { loss($0[0...], data.testLabels) }) : nil,
                      predictions: predictions, predictionsAreTest: true,
                      overlap: pairs.map { mean($0.map(\.0)) }, alignment: pairs.map { mean($0.map(\.1)) },
                      kernels: kernels, ntk: nil, pointCount: n, trainCount: p,
                      stationaryRuns: problem.seeds - drifting,
                      unconverged: drifting == 0 ? nil : "\(drifting) of \(problem.seeds) chains failed the drift test (V18) after burn-in \(problem.burnIn) and measured time \(problem.time)")
    }
}
