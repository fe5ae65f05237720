import Foundation
import Core
import Numerics
import Simulation

/// The data of `plot alignment` (notes/antk-nonlinear-data.md (AN12), (AN13)): (a) the kernel-label
/// alignment of every layer against gamma for a deep network on the first P training points, the deep
/// aNTK by the layered populations (AN9)-(AN11) next to trained width-N networks at the same gamma and
/// lambda (the paper's Fig. 4a); (b) the local-stability check of Fig. 4b: the neurons of a trained
/// network, every field multiplied by 1 + epsilon xi, relaxed by (AN10), return to the network's kernels.
public enum AlignmentFigureStudy {
    public struct Problem: Sendable {
        public var data: LabelledData
        public var activation: Activation
        public var depth: Int
        public var gammas: [Double]
        public var lambda: Double
        /// Training points used (the first P).
        public var points: Int
        public var population = 512
        public var populations = 2
        public var width = 256
        public var networks = 2
        public var seed: UInt64 = 1
        public var time = 100.0
        /// Relative size epsilon of the stability check's perturbation; nil: no check.
        public var perturbation: Double? = nil

        public init(data: LabelledData, activation: Activation, depth: Int, gammas: [Double], lambda: Double, points: Int) {
            self.data = data; self.activation = activation; self.depth = depth; self.gammas = gammas; self.lambda = lambda; self.points = points
        }
    }

    public struct Row: Sendable, Codable {
        public let gamma: Double
        /// Per layer l = 1..L (T26): the aNTK (mean over populations) and the networks (mean over seeds).
        public let theory: [Estimate]
        public let network: [Estimate]
        public let stationaryPopulations: Int
        public let stationaryNetworks: Int
    }

    public struct Stability: Sendable, Codable {
        public let gamma: Double
        public let epsilon: Double
        /// Relaxation times and, per time, per layer, |Phi^l(t) - Phi^l_net|_F / |Phi^l_net|_F (t = 0: the perturbed start).
        public let times: [Double]
        public let distances: [[Double]]
        /// The same distance for the unperturbed network relaxed over the same time (how far the network
        /// itself is from a stationary point of (AN10)), per layer.
        public let networkDrift: [Double]
        /// Alignment per layer: the network, the perturbed start, the relaxed end.
        public let networkAlignment: [Double]
        public let perturbedAlignment: [Double]
        public let relaxedAlignment: [Double]
        /// RMS velocity (AN10) of the network's neurons and of the relaxed end.
        public let networkResidual: Double
        public let relaxedResidual: Double
    }

    public struct Result: Sendable, Codable {
        public let rows: [Row]
        public let stability: Stability?
    }

    public static func run(_ problem: Problem, progress: ProgressReporter = .silent) throws -> Result {
        let full = problem.data, d = full.dimension, p = problem.points
        guard problem.depth >= 1, problem.depth <= 8 else { throw InputError("the depth must be in 1...8 (got \(problem.depth))") }
        guard p >= 2, p <= full.trainCount else { throw InputError("the number of points must be in 2...\(full.trainCount) (got \(p))") }
        guard !problem.gammas.isEmpty, problem.gammas.count <= 16, problem.gammas.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw InputError("--gammas needs 1...16 positive values")
        }
        if let e = problem.perturbation { guard e > 0, e < 1 else { throw InputError("the perturbation must be in (0, 1) (got \(e))") } }
        let data = try LabelledData(name: "\(full.name), first \(p) training points", train: Array(full.trainInputs[0..<(p * d)]),
                                    labels: Array(full.labels[0..<p]), dimension: d)
        var rows: [Row] = []
        let steps = problem.gammas.count + (problem.perturbation == nil ? 0 : 1)
        for (index, gamma) in problem.gammas.enumerated() {
            progress.started(index + 1, steps, "gamma = \(gamma): aNTK populations and networks")
            var theory = ANTKPopulationStudy.Problem(data: data, activation: problem.activation, gamma: gamma, lambda: problem.lambda)
            theory.depth = problem.depth
            theory.population = problem.population
            theory.seeds = problem.populations
            theory.seed = NormalSampler.derive(problem.seed, UInt64(2 * index))
            theory.time = problem.time
            let t = try ANTKPopulationStudy.run(theory, progress: ProgressReporter(started: { _, _, _ in }, detail: progress.detail))
            let n = try TrainStudy.run(TrainStudy.Problem(data: data, activation: problem.activation, depth: problem.depth, width: problem.width,
                                                          gamma: gamma, rule: .gradientFlow(lambda: problem.lambda), seeds: problem.networks,
                                                          seed: NormalSampler.derive(problem.seed, UInt64(2 * index + 1)), time: problem.time))
            rows.append(Row(gamma: gamma, theory: t.alignment, network: n.alignment, stationaryPopulations: t.stationaryRuns, stationaryNetworks: n.stationaryRuns))
        }
        var stability: Stability? = nil
        if let epsilon = problem.perturbation, let gamma = problem.gammas.max() {
            progress.started(steps, steps, "stability check at gamma = \(gamma), epsilon = \(epsilon)")
            stability = try stabilityCheck(problem, data: data, gamma: gamma, epsilon: epsilon)
        }
        return Result(rows: rows, stability: stability)
    }

    /// (AN12): train one width-N network, take its neurons as sites, perturb, relax by (AN10) in 16 equal
    /// slices of the time budget, and record the kernel distances to the network's kernels.
    static func stabilityCheck(_ problem: Problem, data: LabelledData, gamma: Double, epsilon: Double) throws -> Stability {
        let depth = problem.depth, lambda = problem.lambda
        let dt = min(0.1, 0.5 / (TrainStudy.lazyLargestEigenvalue(data, depth: depth, activation: problem.activation) + lambda * Double(depth + 1)))
        var network = ANTKNetwork(depth: depth, width: problem.width, inputDimension: data.dimension, gamma: gamma, lambda: lambda,
                                  activation: problem.activation, seed: NormalSampler.derive(problem.seed, 77))
        var settings = ANTKFlowSettings(timeStep: dt, maximumTime: problem.time, tolerance: 1e-8)
        settings.relativeStepLimit = ANTKPopulationStudy.relativeStepLimit
        let trained = network.train(data, settings)
        guard trained.predictions.allSatisfy(\.isFinite) else {
            throw TrainStudy.SolverFailure(description: "the stability check's network diverged (non-finite fields) at dt = \(dt)")
        }
        let sites = ANTKDeepPopulation(network: network, data: data)
        let reference = sites.featureKernels
        func distances(_ kernels: [[Double]]) -> [Double] {
            zip(kernels, reference).map { a, b in
                var num = 0.0, den = 0.0
                for j in a.indices { num += (a[j] - b[j]) * (a[j] - b[j]); den += b[j] * b[j] }
                return (num / max(den, 1e-300)).squareRoot()
            }
        }
        func alignments(_ kernels: [[Double]]) -> [Double] { kernels.map { TrainStudy.overlapAndAlignment($0, n: data.trainCount, labels: data.labels).1 } }
        var relaxed = sites.perturbed(by: epsilon, seed: NormalSampler.derive(problem.seed, 78))
        let start = relaxed.featureKernels
        var times = [0.0], path = [distances(start)]
        let slices = 16
        var slice = settings
        slice.maximumTime = problem.time / Double(slices)
        var residual = Double.nan
        for k in 1...slices {
            let r = relaxed.run(data, slice)
            residual = r.residual
            times.append(Double(k) * slice.maximumTime)
            path.append(distances(relaxed.featureKernels))
            guard r.predictions.allSatisfy(\.isFinite) else { throw TrainStudy.SolverFailure(description: "the stability relaxation diverged") }
        }
        var still = sites
        var whole = settings
        whole.maximumTime = problem.time
        let own = still.run(data, whole)
        var probe = sites
        var zero = settings
        zero.maximumTime = 0
        let networkResidual = probe.run(data, zero).residual
        _ = own
        return Stability(gamma: gamma, epsilon: epsilon, times: times, distances: path, networkDrift: distances(still.featureKernels),
                         networkAlignment: alignments(reference), perturbedAlignment: alignments(start),
                         relaxedAlignment: alignments(relaxed.featureKernels), networkResidual: networkResidual, relaxedResidual: residual)
    }
}
