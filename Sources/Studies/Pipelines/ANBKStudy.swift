import Foundation
import Core
import Numerics
import Simulation
import Theory

/// The Bayesian adaptive kernels (aNBK) of a depth-L network with any activation on data
/// (notes/anbk-data.md): the min-max saddle of notes/theory-overview.md (T5) by the paper's
/// Algorithm 1 (`MinMaxEstimate`, with the matrix-free Fisher-Newton inner step (NB2)-(NB4)), or for
/// phi(h) = h the exact deep-linear saddle (`KernelsStudy`, what `kernels` computes), with the lazy
/// NNGP and NTK baselines at the same ridge b = 1/beta (NB7).
public enum ANBKStudy {
    public enum Solver: String, Sendable { case exact, minmax }
    /// The min-max's inner sampler (notes/anbk-data.md (NB16)).
    public typealias Sampler = InnerSampler
    /// How the min-max moves the top layer (notes/anbk-data.md (NB22)-(NB24)).
    public typealias Scheme = SaddleScheme
    /// The Gaussian of the population's slice moves (notes/anbk-data.md (NB31)).
    public typealias SliceReference = Simulation.SliceReference

    public struct Problem: Sendable {
        public var data: LabelledData
        public var activation: Activation
        public var depth: Int
        public var gamma: BigRational
        public var beta: InverseTemperature
        public var solver: Solver
        public var seed: UInt64 = 1
        /// Min-max budget (notes/anbk-data.md (NB5)): samples per layer and iteration (the n of the
        /// n/2 - n extrapolation), burn-in and measured iterations, runs (budget doubled each).
        public var samples = 8000
        public var burnIn = 200
        public var measured = 200
        public var attempts = 2
        /// Independent replicas of the (n/2, n) pair (notes/anbk-data.md (NB28)-(NB30)): each has the full burn-in and
        /// ceil(measured / replicas) measured iterations, and every error bar is the scatter between the replicas
        /// (replicas - 1 degrees of freedom). 1: the within-run batch means of notes/verify-bayes.md (V15)-(V16), which
        /// underestimate the error when the iterates are correlated over more than a batch (NB28).
        public var replicas = 8
        public static let maximumReplicas = 64
        /// Measured iterations of each replica.
        public var measuredPerReplica: Int { (measured + replicas - 1) / replicas }
        /// `.cnn`: the Bayesian two-layer CNN (notes/cnn-bayes.md (CB5)-(CB8)); depth 1 only.
        public var architecture: Architecture = .mlp
        /// The inner sampler (notes/anbk-data.md (NB16)): the population sampler by default.
        public var sampler: InnerSampler = .smc
        /// How the top layer moves (notes/anbk-data.md (NB22)-(NB24), (NB32)); nil: `resolvedScheme`, the fixed point at
        /// depth 1 (MLP) and the min-max otherwise. `.fixedPoint` exists at depth 1 (MLP) only.
        public var scheme: Scheme? = nil
        /// Elliptical slice sweeps per walker and iteration of the population sampler (notes/anbk-data.md (NB13), (NB26)).
        public var populationMoves = 2
        /// The Gaussian reference of the slice moves (notes/anbk-data.md (NB31)): fitted to the population by default.
        public var sliceReference: SliceReference = .fitted
        /// Per-iteration diagnostics of both runs (NB22), each line prefixed by the run ("n/2" or "n").
        public var trace: (@Sendable (String) -> Void)? = nil

        public init(data: LabelledData, activation: Activation, depth: Int, gamma: BigRational, beta: InverseTemperature, solver: Solver? = nil) {
            self.data = data; self.activation = activation; self.depth = depth; self.gamma = gamma; self.beta = beta
            self.solver = solver ?? (activation == .identity ? .exact : .minmax)
        }

        public static let maximumPoints = 2000

        /// The scheme that runs (notes/anbk-data.md (NB32)): the one asked for, else the fixed point (NB23)-(NB24) for a
        /// depth-1 MLP, whose saddle it reaches without inverting the sampled law, and the min-max otherwise (the fixed
        /// point is derived at depth 1 only).
        public var resolvedScheme: Scheme { scheme ?? (depth == 1 && architecture.geometry == nil ? .fixedPoint : .minmax) }

        func validate() throws {
            guard depth >= 1, depth <= 16 else { throw InputError("the depth must be in 1...16 (got \(depth))") }
            guard gamma.signum >= 0 else { throw InputError("gamma must be >= 0") }
            guard data.count <= Problem.maximumPoints else { throw InputError("at most \(Problem.maximumPoints) training plus test points (got \(data.count))") }
            if let g = architecture.geometry {
                guard depth == 1 else { throw InputError("the Bayesian CNN is a two-layer network: depth 1 (got \(depth))") }
                try g.validate(data)
            }
            if solver == .exact {
                guard activation == .identity else { throw InputError("the exact solver is the deep linear one: it needs the identity activation") }
                guard gamma.signum > 0 else { throw InputError("the exact deep linear solver needs gamma > 0 (gamma = 0 is the NNGP itself)") }
            } else {
                guard case .finite(let b) = beta, b.signum > 0 else { throw InputError("the min-max solver needs a finite positive beta (the ridge b = 1/beta enters every step)") }
                guard samples >= 200, samples <= 1 << 20 else { throw InputError("the samples per iteration must be in 200...\(1 << 20)") }
                if scheme == .fixedPoint, depth != 1 || architecture.geometry != nil {
                    throw InputError("the fixed-point scheme is for depth-1 networks (MLP); use the min-max scheme")
                }
                guard burnIn >= 10, measured >= 20 else { throw InputError("the min-max needs a burn-in of at least 10 and at least 20 measured iterations") }
                guard replicas >= 1, replicas <= Problem.maximumReplicas else { throw InputError("the replicas must be in 1...\(Problem.maximumReplicas) (got \(replicas))") }
                guard replicas == 1 || measuredPerReplica >= 2 else {
                    throw InputError("\(replicas) replicas need at least \(replicas + 1) measured iterations (2 per replica; got \(measured))")
                }
                guard samples.multipliedReportingOverflow(by: data.count).partialValue <= 1 << 26 else {
                    throw InputError("samples x points must be at most 2^26 (\(samples) x \(data.count))")
                }
            }
        }
    }

    public struct Result: Sendable {
        public let solver: Solver
        /// Train and test loss (notes/theory-overview.md (T25)) keyed "anbk", "nngp", "ntk"; the aNBK
        /// entries are estimated for the min-max, approximate (standard error 0) otherwise.
        public let trainLoss: [String: Estimate]
        public let testLoss: [String: Estimate]?
        /// aNBK predictions (test points in input order, else training points).
        public let predictions: [Estimate]
        public let predictionsAreTest: Bool
        /// Per layer l = 1...L on the training block (T26): y^T Phi^l y/|y|^2 and y^T Phi^l y/(|Phi^l|_F |y|^2).
        public let overlaps: [Estimate]
        public let alignments: [Estimate]
        /// Lazy (NNGP) overlap and alignment per layer, for comparison.
        public let lazyOverlaps: [Double]
        public let lazyAlignments: [Double]
        /// Mean adapted kernels Phi^l over all points (n x n, training first), l = 1...L.
        public let kernels: [[Double]]
        public let pointCount: Int
        public let trainCount: Int
        /// Min-max diagnostics (nil for the exact path).
        public let diagnostics: Diagnostics?
        /// Why the min-max did not converge (nil: converged); the exact path throws instead.
        public let failure: String?
    }

    public struct Diagnostics: Sendable {
        /// `measured`: over all replicas (each replica measured measured / replicas iterations).
        public let samples, burnIn, measured, attempts, replicas: Int
        public let minimumESS, drift, driftLimit, gradientNorm: Double
        public let retreats, measuredRetreats: Int
        public let seconds: Double
        public let sampler: InnerSampler
        /// The population sampler's counters over both runs (NB15); zero for the importance sampler.
        public let population: PopulationCounters
    }

    /// The lazy NNGP and NTK (T3) of depth L over all points (n x n), and the NNGP of every layer.
    static func lazyKernels(_ data: LabelledData, activation: Activation, depth: Int) -> (nngp: [Double], ntk: [Double], layers: [[Double]]) {
        let c = data.inputKernel, n = data.count
        let diagonal = (0..<n).map { c[$0 * n + $0] }
        let top = LazyKernels.kernels(input: c, rows: n, columns: n, rowDiagonal: diagonal, columnDiagonal: diagonal,
                                      depth: depth, activation: activation, symmetric: true)
        var layers: [[Double]] = []
        var k = c
        for _ in 0..<depth { k = activation.lazyKernel(k, n: n); layers.append(k) }
        return (top.nngp, top.ntk, layers)
    }

    /// The data with every image replaced by its pooled patch m(x) = |P|^-1 sum_p patch_p(x) (K^2 C
    /// features), so that X X^T/D is C_pool of notes/cnn-bayes.md (CB1a): the linear CNN's input kernel.
    public static func pooledPatchData(_ data: LabelledData, geometry g: ConvolutionGeometry) throws -> LabelledData {
        let a = g.scaledPatches(data), d = g.patchDimension, q = g.positionCount, scale = Double(d).squareRoot() / Double(q)
        let pooled = (0..<data.count).flatMap { nu in (0..<d).map { k in (0..<q).reduce(0.0) { $0 + a[(nu * q + $1) * d + k] } * scale } }
        let p = data.trainCount
        return try LabelledData(name: data.name + " (pooled patches)", train: Array(pooled[0..<(p * d)]), labels: data.labels,
                                 test: Array(pooled[(p * d)...]), testLabels: data.testLabels, dimension: d)
    }

    /// Kernel ridge regression with ridge b (T6): predictions on all n points; nil if K_tt + b I is singular.
    static func regression(_ k: [Double], n: Int, p: Int, labels: [Double], ridge: Double) -> [Double]? {
        var train = (0..<p).flatMap { i in (0..<p).map { k[i * n + $0] } }
        for i in 0..<p { train[i * p + i] += ridge }
        guard let alpha = LinearAlgebra.solvePositiveDefinite(train, labels, n: p, rightHandSides: 1) else { return nil }
        return (0..<n).map { i in (0..<p).reduce(0.0) { $0 + k[i * n + $1] * alpha[$1] } }
    }

    public static func run(_ problem: Problem, progress: ProgressReporter = .silent) throws -> Result {
        try problem.validate()
        let data = problem.data, n = data.count, p = data.trainCount, L = problem.depth
        let ridge = problem.beta.ridge.doubleApproximation
        let lazy: (nngp: [Double], ntk: [Double], layers: [[Double]])
        if let g = problem.architecture.geometry {
            let k = ConvolutionalLazyKernels.kernels(data, geometry: g, activation: problem.activation)
            lazy = (k.nngp, k.ntk, [k.nngp])
        } else {
            lazy = lazyKernels(data, activation: problem.activation, depth: L)
        }
        func exact(_ x: Double) -> Estimate { Estimate(value: x, standardError: 0) }
        // Lazy baselines at the same ridge (NB7); b = 0 (beta = inf) is ridgeless regression.
        var trainLoss: [String: Estimate] = [:], testLoss: [String: Estimate] = [:]
        for (name, k) in [("nngp", lazy.nngp), ("ntk", lazy.ntk)] {
            guard let f = regression(k, n: n, p: p, labels: data.labels, ridge: ridge) else {
                throw InputError("the lazy \(name) kernel plus b I is singular on the training points; give a finite beta")
            }
            trainLoss[name] = exact(TrainStudy.loss(f[0..<p], data.labels))
            if data.hasTest { testLoss[name] = exact(TrainStudy.loss(f[p...], data.testLabels)) }
        }
        let lazyMeasures = lazy.layers.map { TrainStudy.overlapAndAlignment($0, n: n, labels: data.labels) }
        switch problem.solver {
        case .exact: return try runExact(problem, trainLoss: trainLoss, testLoss: testLoss, lazyMeasures: lazyMeasures)
        case .minmax: return try runMinMax(problem, ridge: ridge, trainLoss: trainLoss, testLoss: testLoss, lazyMeasures: lazyMeasures, progress: progress)
        }
    }

    /// phi(h) = h: the exact deep-linear saddle (notes/general-kernel-reduction.md (G1)-(G12)), working precision.
    static func runExact(_ problem: Problem, trainLoss lazyTrain: [String: Estimate], testLoss lazyTest: [String: Estimate],
                         lazyMeasures: [(Double, Double)]) throws -> Result {
        let data = problem.data, n = data.count, p = data.trainCount, q = data.testCount, L = problem.depth
        var options = KernelsStudy.Options()
        options.check = false
        // The linear CNN is the linear MLP on the pooled patches m(x) (notes/cnn-bayes.md (CB1)): C_pool = m.m'/(K^2 C).
        let input = try problem.architecture.geometry.map { try pooledPatchData(data, geometry: $0) } ?? data
        let r = try KernelsStudy.run(KernelsStudy.Problem(data: input, gamma: problem.gamma, beta: problem.beta, depth: L), options: options)
        guard let k = r.kernels else { throw InputError("the exact solver returned no kernels") }
        var trainLoss = lazyTrain, testLoss = lazyTest
        trainLoss["anbk"] = Estimate(value: r.trainLoss["anbk"]!, standardError: 0)
        if let t = r.testLoss { testLoss["anbk"] = Estimate(value: t["anbk"]!, standardError: 0) }
        // Phi^l over all points: the training block, the test x train block and (its transpose); the
        // test x test block is not part of the exact path's output and is left 0 (NB7).
        let kernels = (1...L).map { l -> [Double] in
            var all = [Double](repeating: 0, count: n * n)
            let train = k.feature(layer: l)
            for i in 0..<p { for j in 0..<p { all[i * n + j] = train[i * p + j] } }
            if let cross = k.crossFeature(layer: l) {
                for a in 0..<q { for j in 0..<p { all[(p + a) * n + j] = cross[a * p + j]; all[j * n + p + a] = cross[a * p + j] } }
            }
            return all
        }
        let predictions = (data.hasTest ? r.testPredictions!["anbk"]! : r.trainPredictions["anbk"]!).map { Estimate(value: $0, standardError: 0) }
        return Result(solver: .exact, trainLoss: trainLoss, testLoss: data.hasTest ? testLoss : nil, predictions: predictions,
                      predictionsAreTest: data.hasTest, overlaps: r.overlaps.map { Estimate(value: $0, standardError: 0) },
                      alignments: r.alignments.map { Estimate(value: $0, standardError: 0) },
                      lazyOverlaps: lazyMeasures.map(\.0), lazyAlignments: lazyMeasures.map(\.1), kernels: kernels,
                      pointCount: n, trainCount: p, diagnostics: nil, failure: nil)
    }

    /// The min-max (Algorithm 1) with the observables of (NB6): train loss, test loss, per-layer
    /// alignment and (without test points) the training predictions, each a time series.
    static func runMinMax(_ problem: Problem, ridge: Double, trainLoss lazyTrain: [String: Estimate], testLoss lazyTest: [String: Estimate],
                          lazyMeasures: [(Double, Double)], progress: ProgressReporter) throws -> Result {
        let data = problem.data, n = data.count, p = data.trainCount, L = problem.depth
        let bayes: BayesProblem
        if let g = problem.architecture.geometry {
            // The Bayesian CNN's site is a filter seen through its patches (notes/cnn-bayes.md (CB7)).
            let site = try PooledSite(patches: g.scaledPatches(data), positions: g.positionCount, dimension: g.patchDimension)
            bayes = try BayesProblem.convolutional(site: site, trainCount: p, labels: data.labels, gamma: problem.gamma.doubleApproximation,
                                                   ridge: ridge, activation: problem.activation)
        } else {
            bayes = try BayesProblem(inputKernel: data.inputKernel, trainCount: p, labels: data.labels, gamma: problem.gamma.doubleApproximation,
                                     ridge: ridge, depth: L, activation: problem.activation)
        }
        var settings = MinMaxSettings()
        settings.samples = problem.samples
        settings.burnIn = problem.burnIn
        settings.measured = problem.replicas == 1 ? problem.measured : problem.measuredPerReplica
        settings.seed = problem.seed
        settings.recordKernelSeries = false
        settings.conditionalTestProposal = true
        settings.sampler = problem.sampler
        settings.scheme = problem.resolvedScheme
        settings.populationMoves = problem.populationMoves
        settings.sliceReference = problem.sliceReference
        settings.trace = problem.trace
        let labels = data.labels, testLabels = data.testLabels, hasTest = data.hasTest
        // (NB6): observables of one iteration's kernels.
        let observables: @Sendable ([[Double]]) -> [Double] = { kernels in
            let top = kernels[L]
            let f = regression(top, n: n, p: p, labels: labels, ridge: ridge) ?? [Double](repeating: .nan, count: n)
            var values = [TrainStudy.loss(f[0..<p], labels)]
            if hasTest { values.append(TrainStudy.loss(f[p...], testLabels)) }
            for l in 1...L { values.append(TrainStudy.overlapAndAlignment(kernels[l], n: n, labels: labels).1) }
            if !hasTest { values += f[0..<p] }
            return values
        }
        let clock = Date()
        progress.started(1, 1, "min-max, P = \(p), n = \(problem.samples), \(problem.burnIn) + \(problem.measured) iterations"
                         + (problem.replicas > 1 ? " over \(problem.replicas) replicas" : ""))
        let estimate = MinMaxEstimate.compute(problem: bayes, settings: settings, attempts: problem.attempts, observables: observables,
                                              continuing: true, replicas: problem.replicas, progress: { progress.detail($0) })
        let seconds = Date().timeIntervalSince(clock)
        if let failure = estimate.failure, estimate.overlaps.isEmpty {
            throw TrainStudy.SolverFailure(description: "min-max failed: \(failure)")
        }
        var trainLoss = lazyTrain, testLoss = lazyTest
        let o = estimate.observables
        trainLoss["anbk"] = o[0]
        if hasTest { testLoss["anbk"] = o[1] }
        let offset = hasTest ? 2 : 1
        let alignments = Array(o[offset..<(offset + L)])
        let predictions = hasTest ? estimate.predictions : Array(o[(offset + L)...])
        let budget = estimate.finalBudget
        let diagnostics = Diagnostics(samples: problem.samples, burnIn: budget.burnIn, measured: budget.measured * problem.replicas,
                                      attempts: estimate.attempts, replicas: problem.replicas, minimumESS: estimate.minimumESS, drift: estimate.drift,
                                      driftLimit: estimate.driftLimit,
                                      gradientNorm: estimate.gradientNorm, retreats: estimate.retreats, measuredRetreats: estimate.measuredRetreats,
                                      seconds: seconds, sampler: problem.sampler, population: estimate.population)
        return Result(solver: .minmax, trainLoss: trainLoss, testLoss: hasTest ? testLoss : nil, predictions: predictions,
                      predictionsAreTest: hasTest, overlaps: estimate.overlaps, alignments: alignments,
                      lazyOverlaps: lazyMeasures.map(\.0), lazyAlignments: lazyMeasures.map(\.1), kernels: estimate.meanKernels,
                      pointCount: n, trainCount: p, diagnostics: diagnostics, failure: estimate.failure)
    }
}
