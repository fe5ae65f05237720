import Foundation
import Core
import Numerics
import Simulation
import Theory

/// The aNTK of a network with any activation on data, by the population DMFT (the paper's
/// Algorithm 2; notes/verify-antk.md (GV1)-(GV4)) run to its fixed point, with the lazy NNGP and NTK
/// baselines (notes/antk-nonlinear-data.md (AN1)-(AN5)); deep networks (L >= 2) by the layered
/// populations of (AN9)-(AN11). Every value is estimated: the mean over independent populations with
/// its standard error.
public enum ANTKPopulationStudy {
    public struct Problem: Sendable {
        public var data: LabelledData
        public var activation: Activation
        public var gamma: Double
        public var lambda: Double
        /// Hidden layers L (1: the two-layer network of (AN1); L >= 2: (AN9)-(AN11)).
        public var depth = 1
        /// Neurons per population (M) and independent populations (seeds).
        public var population = 4096
        public var seeds = 4
        public var seed: UInt64 = 1
        /// Time budget and RMS-velocity tolerance of each run (AN2).
        public var time = 400.0
        public var tolerance = 1e-8
        /// `.cnn`: the two-layer CNN's population (notes/cnn-two-layer.md (CN6)); needs depth 1.
        public var architecture: Architecture = .mlp
        /// How the layered populations relax (notes/antk-nonlinear-data.md (AN14)): forward Euler or
        /// pseudo-transient continuation. `.implicit` also runs depth 1 through the layered population.
        public var stepper: ANTKDeepStepper = .euler
        /// The layered populations (L >= 2 or the implicit stepper) also stop as settled when the predictor and
        /// the kernels drift by at most this fraction per weight-decay time 1/lambda over two consecutive
        /// windows (notes/antk-nonlinear-data.md (AN16)); nil: only the velocity tolerance.
        public var driftTolerance: Double? = nil
        /// A step (velocity-evaluation) bound per population for the layered populations; nil: 32 times the
        /// fixed-step count (AN2).
        public var maximumSteps: Int? = nil

        public init(data: LabelledData, activation: Activation, gamma: Double, lambda: Double) {
            self.data = data; self.activation = activation; self.gamma = gamma; self.lambda = lambda
        }

        public static let maximumPopulation = 1 << 17

        func validate() throws {
            guard depth >= 1, depth <= 16 else { throw InputError("the depth must be in 1...16 (got \(depth))") }
            guard gamma > 0, gamma.isFinite else { throw InputError("gamma must be positive and finite for the population DMFT (got \(gamma))") }
            guard lambda > 0, lambda.isFinite else { throw InputError("the weight decay lambda must be positive and finite (got \(lambda))") }
            guard population >= 16, population <= Problem.maximumPopulation else { throw InputError("the population must have 16...\(Problem.maximumPopulation) neurons") }
            guard seeds >= 2, seeds <= 256 else { throw InputError("the number of populations must be in 2...256 (an error bar needs two)") }
            guard time > 0, time.isFinite, tolerance > 0 else { throw InputError("the time budget and the tolerance must be positive") }
            if let e = driftTolerance { guard e > 0, e.isFinite else { throw InputError("the drift tolerance must be positive and finite (got \(e))") } }
            if let m = maximumSteps { guard m >= 1 else { throw InputError("the step bound must be at least 1 (got \(m))") } }
            guard population.multipliedReportingOverflow(by: data.count).partialValue <= 1 << 28 else {
                throw InputError("population x points must be at most 2^28 (\(population) x \(data.count))")
            }
            if let g = architecture.geometry {
                guard stepper == .euler else { throw InputError("the implicit stepper is for the MLP populations (got the CNN)") }
                guard depth == 1 else { throw InputError("the CNN is two-layer: it needs depth 1 (got \(depth))") }
                try g.validate(data)
                guard population.multipliedReportingOverflow(by: data.count * g.positionCount).partialValue <= 1 << 26 else {
                    throw InputError("population x points x positions must be at most 2^26 (\(population) x \(data.count) x \(g.positionCount))")
                }
            }
        }
    }

    public struct Result: Sendable, Codable {
        public let seeds: Int
        public let population: Int
        public let timeStep: Double
        /// Train and test loss (notes/theory-overview.md (T25)) of the aNTK (estimated) and of the lazy
        /// baselines (deterministic, working precision), keyed "antk", "nngp", "ntk".
        public let trainLoss: [String: Estimate]
        public let testLoss: [String: Estimate]?
        /// aNTK predictions (test points in input order, else training points).
        public let predictions: [Estimate]
        public let predictionsAreTest: Bool
        /// Per layer l = 1..L on the training block (T26).
        public let overlap: [Estimate]
        public let alignment: [Estimate]
        /// Mean adapted kernels over all points (n x n, training first): Phi^l for l = 1..L, and the NTK.
        public let feature: [[Double]]
        public let ntk: [Double]
        public let pointCount: Int
        public let trainCount: Int
        public let stationaryRuns: Int
        public let unconverged: String?
        /// Largest |f - K (K + 2 lambda I)^{-1} y| over the training points of the mean state (GV13):
        /// zero at an exact fixed point.
        public let predictorIdentityResidual: Double
        /// Normalised first-layer preactivations h_i(x_mu)/sqrt(C_mumu) of the first population at its
        /// end state, over its neurons and the training points (notes/antk-nonlinear-data.md (AN8)).
        public let preactivations: [Double]
        /// With `Problem.driftTolerance`: the largest drift between consecutive settling windows over the populations'
        /// last windows (AN16, AN17; infinity where a population completed none), and how many populations settled.
        public var windowDrift: Double? = nil
        public var settledRuns = 0
        /// With `Problem.driftTolerance` (the layered populations): which fixed points the populations that reached one
        /// (stationary or settled) are on (AN18); more than one branch means their mean is not an estimate of one fixed point.
        public var branches: ANTKBranchCheck? = nil
    }

    /// The lazy NNGP Phi^L and NTK Theta^L of (T3) over all points (n x n).
    public static func lazyKernels(_ data: LabelledData, activation: Activation, depth: Int = 1, architecture: Architecture = .mlp) -> (nngp: [Double], ntk: [Double]) {
        if let g = architecture.geometry { return ConvolutionalLazyKernels.kernels(data, geometry: g, activation: activation) }
        let c = data.inputKernel, n = data.count
        let diagonal = (0..<n).map { c[$0 * n + $0] }
        return LazyKernels.kernels(input: c, rows: n, columns: n, rowDiagonal: diagonal, columnDiagonal: diagonal,
                                   depth: depth, activation: activation, symmetric: true)
    }

    /// Ridgeless kernel regression with the n x n kernel `k` (AN3): predictions on all points.
    static func regression(_ k: [Double], n: Int, p: Int, labels: [Double]) throws -> [Double] {
        let train = (0..<p).flatMap { i in (0..<p).map { k[i * n + $0] } }
        let all = (0..<n).flatMap { i in (0..<p).map { k[i * n + $0] } }
        return try ANTKPredictors.lazyNTK(kernel: train, labels: labels, testKernel: all)
    }

    /// Largest relative change of the state per step (AN2): 1%.
    public static let relativeStepLimit = 0.01

    public static func run(_ problem: Problem, progress: ProgressReporter = .silent) throws -> Result {
        try run(problem, timeStep: nil, progress: progress)
    }

    /// `timeStep` nil: the rule (AN2); else that step for every population (after a halving).
    static func run(_ problem: Problem, timeStep: Double?, progress: ProgressReporter) throws -> Result {
        try problem.validate()
        let data = problem.data, n = data.count, p = data.trainCount, depth = problem.depth
        let lazy = lazyKernels(data, activation: problem.activation, depth: depth, architecture: problem.architecture)
        // (AN2) = notes/training-baseline.md (TB3): df/dt = K Delta - ..., margin 4 below Euler's limit.
        let trainNTK = (0..<p).flatMap { i in (0..<p).map { lazy.ntk[i * n + $0] } }
        let top = LinearAlgebra.symmetricEigen(trainNTK, n: p)?.values.max() ?? (0..<p).reduce(0.0) { $0 + trainNTK[$1 * p + $1] }
        // A population whose fields stop being finite (the NTK grew past the margin) is rerun from the
        // same start with dt halved, at most 4 times (AN2); every population runs at the final dt.
        var dt = timeStep ?? min(0.1, 0.5 / (top + Double(depth + 1) * problem.lambda))
        var runs: [ANTKFlowResult] = []
        var halvings = 0
        var preactivations: [Double] = []
        let c = data.inputKernel
        for s in 0..<problem.seeds {
            progress.started(s + 1, problem.seeds, "population \(s + 1) of \(problem.seeds) (M = \(problem.population))")
            while true {
                var settings = ANTKFlowSettings(timeStep: dt, maximumTime: problem.time, tolerance: problem.tolerance)
                settings.relativeStepLimit = ANTKPopulationStudy.relativeStepLimit
                let seed = NormalSampler.derive(problem.seed, UInt64(s))
                let r: ANTKFlowResult
                var firstLayer: [Double] = [], stride = n, pooledPreactivations: [Double] = []
                if let g = problem.architecture.geometry {
                    let flow = try PooledFlow(data: data, architecture: problem.architecture, activation: problem.activation,
                                              gamma: problem.gamma, lambda: problem.lambda)
                    var population = try CNNPopulation(size: problem.population, flow: flow, seed: seed)
                    r = population.run(settings)
                    // h_(mu,p)/sqrt(C_(mu,p),(mu,p)) over sites, training points and positions with a nonzero patch.
                    let norms = flow.patchNorms, q = g.positionCount, m = flow.width
                    if s == 0 {
                        for i in 0..<problem.population { for row in 0..<(p * q) where norms[row] > 0 {
                            pooledPreactivations.append(population.first[i * m + row] / norms[row].squareRoot())
                        } }
                    }
                } else if depth == 1 && problem.stepper == .euler {
                    var population = try ANTKPopulation(size: problem.population, data: data, gamma: problem.gamma, lambda: problem.lambda,
                                                        activation: problem.activation, seed: seed)
                    r = population.run(data, settings)
                    firstLayer = population.fields
                } else {
                    settings.driftTolerance = problem.driftTolerance
                    settings.maximumSteps = problem.maximumSteps
                    var population = try ANTKDeepPopulation(size: problem.population, depth: depth, data: data, gamma: problem.gamma,
                                                            lambda: problem.lambda, activation: problem.activation, seed: seed)
                    var shown = -1
                    let report: (Double) -> Void = { fraction in
                        let percent = Int(100 * fraction)
                        if percent / 10 != shown / 10 { shown = percent; progress.detail("population \(s + 1): \(percent)% of the time budget") }
                    }
                    r = problem.stepper == .implicit ? population.runImplicit(data, settings, progress: report) : population.run(data, settings, progress: report)
                    firstLayer = population.fields[0]
                }
                if r.predictions.allSatisfy(\.isFinite), r.ntk.allSatisfy(\.isFinite) {
                    if s == 0 && problem.architecture != .mlp {
                        preactivations = pooledPreactivations
                    } else if s == 0 {
                        preactivations = (0..<problem.population).flatMap { i in
                            (0..<p).map { mu in firstLayer[i * stride + mu] / c[mu * n + mu].squareRoot() }
                        }
                    }
                    runs.append(r)
                    break
                }
                guard halvings < 4 else {
                    throw TrainStudy.SolverFailure(description: "population \(s + 1) diverged (non-finite fields) even at dt = \(dt) after 4 halvings")
                }
                halvings += 1
                dt /= 2
                progress.detail("diverged: dt halved to \(dt)")
                if s > 0 { return try run(problem, timeStep: dt, progress: progress) }
            }
        }
        func mean(_ values: [Double]) -> Estimate { Estimate.mean(ofIndependent: values.map { Estimate(value: $0, standardError: 0) }) }
        func exact(_ x: Double) -> Estimate { Estimate(value: x, standardError: 0) }
        let nngp = try regression(lazy.nngp, n: n, p: p, labels: data.labels)
        let ntkLazy = try regression(lazy.ntk, n: n, p: p, labels: data.labels)
        var trainLoss = ["antk": mean(runs.map { TrainStudy.loss($0.predictions[0..<p], data.labels) })]
        trainLoss["nngp"] = exact(TrainStudy.loss(nngp[0..<p], data.labels))
        trainLoss["ntk"] = exact(TrainStudy.loss(ntkLazy[0..<p], data.labels))
        var testLoss: [String: Estimate]? = nil
        if data.hasTest {
            testLoss = ["antk": mean(runs.map { TrainStudy.loss($0.predictions[p...], data.testLabels) }),
                        "nngp": exact(TrainStudy.loss(nngp[p...], data.testLabels)),
                        "ntk": exact(TrainStudy.loss(ntkLazy[p...], data.testLabels))]
        }
        let offset = data.hasTest ? p : 0
        let predictions = (0..<(data.hasTest ? data.testCount : p)).map { j in mean(runs.map { $0.predictions[offset + j] }) }
        let pairs = (0..<depth).map { l in runs.map { TrainStudy.overlapAndAlignment($0.featureKernels[l], n: n, labels: data.labels) } }
        let feature = (0..<depth).map { l in (0..<(n * n)).map { e in runs.reduce(0.0) { $0 + $1.featureKernels[l][e] } / Double(runs.count) } }
        let ntk = (0..<(n * n)).map { e in runs.reduce(0.0) { $0 + $1.ntk[e] } / Double(runs.count) }
        // (GV13) on the mean state: f = K (K + lambda (L + 1) I)^{-1} y.
        var ridge = (0..<p).flatMap { i in (0..<p).map { ntk[i * n + $0] } }
        for i in 0..<p { ridge[i * p + i] += Double(depth + 1) * problem.lambda }
        var identity = Double.nan
        if let alpha = LinearAlgebra.solvePositiveDefinite(ridge, data.labels, n: p, rightHandSides: 1) {
            let meanF = (0..<p).map { mu in runs.reduce(0.0) { $0 + $1.predictions[mu] } / Double(runs.count) }
            identity = (0..<p).map { mu in abs(meanF[mu] - (0..<p).reduce(0.0) { $0 + ntk[mu * n + $1] * alpha[$1] }) }.max() ?? .nan
        }
        let stuck = runs.filter { !$0.stationary && !$0.settled }
        let drifts = stuck.map(\.windowDrift)
        var result = Result(seeds: runs.count, population: problem.population, timeStep: dt, trainLoss: trainLoss, testLoss: testLoss,
                      predictions: predictions, predictionsAreTest: data.hasTest,
                      overlap: pairs.map { mean($0.map(\.0)) }, alignment: pairs.map { mean($0.map(\.1)) }, feature: feature, ntk: ntk,
                      pointCount: n, trainCount: p, stationaryRuns: runs.count - stuck.count,
                      unconverged: stuck.isEmpty ? nil : String(format: "%d of %d populations ended above the velocity tolerance %.0e (largest RMS velocity %.2e), at flow times %.4g to %.4g of the budget %.4g (",
                                                                stuck.count, runs.count, problem.tolerance, stuck.map(\.residual).max() ?? .nan, stuck.map(\.time).min() ?? .nan, stuck.map(\.time).max() ?? .nan, problem.time)
                        + (problem.maximumSteps.map { "a run also stops after \($0) steps" } ?? "an adaptive run also stops after \(ANTKFlowSettings.adaptiveStepFactor) times the fixed-step count of steps")
                        + (problem.driftTolerance.map { String(format: "; not settled: largest drift between windows of %g/lambda %.2e against the tolerance %.0e, AN16, AN17", ANTKDriftWindow.defaultWeightDecayTimes, drifts.max() ?? .nan, $0) } ?? "") + ")",
                      predictorIdentityResidual: identity, preactivations: preactivations)
        if problem.driftTolerance != nil && !runs.isEmpty {
            result.windowDrift = runs.map(\.windowDrift).max()
            result.settledRuns = runs.filter { $0.settled && !$0.stationary }.count
            // (AN18): the end states at a fixed point (stationary or settled), numbered as the populations.
            let atFixedPoint = runs.indices.filter { runs[$0].stationary || runs[$0].settled }
            result.branches = ANTKBranchCheck(predictions: atFixedPoint.map { Array(runs[$0].predictions[0..<p]) },
                                              populations: atFixedPoint.map { $0 + 1 }, labels: data.labels)
        }
        return result
    }
}
