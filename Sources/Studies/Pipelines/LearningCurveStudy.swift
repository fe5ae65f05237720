import Foundation
import Core
import Numerics
import Theory

/// Test loss against the number of training points P (the paper's Fig. 3a) for the lazy NNGP and
/// NTK, the two-layer aNTK by the population DMFT (ANTKPopulationStudy) and trained width-N networks
/// (TrainStudy, gradient flow with the same weight decay) on the first P training points of a data
/// set, every point with its error bar (notes/antk-nonlinear-data.md (AN6)); with `anbk` set, also the
/// Bayesian aNBK of the same two-layer network by the min-max (ANBKStudy, notes/anbk-data.md (NB11)).
public enum LearningCurveStudy {
    public struct Problem: Sendable {
        public var data: LabelledData
        public var activation: Activation
        public var gamma: Double
        public var lambda: Double
        public var sizes: [Int]
        public var population = 2048
        public var populations = 2
        public var width = 256
        public var networks = 3
        public var seed: UInt64 = 1
        public var time = 200.0
        /// The aNBK column: gamma (exact, the same as `gamma`), beta and the min-max samples; nil: no aNBK.
        public var anbk: ANBKSettings? = nil
        /// Architectures to compare (notes/cnn-two-layer.md (CN10)): for each, the aNTK by its population DMFT,
        /// its lazy NTK and trained width-N networks of that architecture, keyed "<kind>_antk", "<kind>_ntk",
        /// "<kind>_network" (no aNBK); nil: the Fig. 3a curves.
        public var compare: [Architecture]? = nil

        public init(data: LabelledData, activation: Activation, gamma: Double, lambda: Double, sizes: [Int]) {
            self.data = data; self.activation = activation; self.gamma = gamma; self.lambda = lambda; self.sizes = sizes
        }
    }

    public struct ANBKSettings: Sendable {
        public var gamma: BigRational
        public var beta: BigRational
        public var samples = 4000
        public init(gamma: BigRational, beta: BigRational) { self.gamma = gamma; self.beta = beta }
    }

    public struct Point: Sendable, Codable {
        public let size: Int
        /// Test loss (notes/theory-overview.md (T25)) keyed "nngp", "ntk" (approximate: standard error 0),
        /// "antk" and "network" (estimated).
        public let testLoss: [String: Estimate]
        public let stationaryPopulations: Int
        public let stationaryNetworks: Int
        /// Why the aNBK min-max did not converge at this size (nil: converged or not requested).
        public var anbkFailure: String? = nil
    }

    public static let predictors = ["nngp", "ntk", "antk", "network"]
    /// With the aNBK column (Fig. 3a's five curves).
    public static let predictorsWithANBK = ["nngp", "ntk", "anbk", "antk", "network"]
    /// The columns of a comparison of architectures: lazy NTK, aNTK and trained networks of each.
    public static func predictors(comparing architectures: [Architecture]) -> [String] {
        architectures.flatMap { ["\($0.kind)_ntk", "\($0.kind)_antk", "\($0.kind)_network"] }
    }

    public static func run(_ problem: Problem, progress: ProgressReporter = .silent) throws -> [Point] {
        let data = problem.data
        guard data.hasTest else { throw InputError("a learning curve needs test points") }
        guard !problem.sizes.isEmpty, problem.sizes.allSatisfy({ $0 >= 2 && $0 <= data.trainCount }) else {
            throw InputError("every size must be in 2...\(data.trainCount) (the training points available)")
        }
        var points: [Point] = []
        for (index, size) in problem.sizes.enumerated() {
            progress.started(index + 1, problem.sizes.count, "P = \(size)")
            let d = data.dimension
            let subset = try LabelledData(name: "\(data.name), first \(size) training points", train: Array(data.trainInputs[0..<(size * d)]),
                                          labels: Array(data.labels[0..<size]), test: data.testInputs, testLabels: data.testLabels, dimension: d)
            var population = ANTKPopulationStudy.Problem(data: subset, activation: problem.activation, gamma: problem.gamma, lambda: problem.lambda)
            population.population = problem.population
            population.seeds = problem.populations
            population.seed = NormalSampler.derive(problem.seed, UInt64(2 * index))
            population.time = problem.time
            if let architectures = problem.compare {
                var losses: [String: Estimate] = [:], stationary = 0, stationaryNetworks = 0
                for (a, architecture) in architectures.enumerated() {
                    progress.detail("\(architecture.kind): population DMFT")
                    var one = population
                    one.architecture = architecture
                    let theory = try ANTKPopulationStudy.run(one, progress: ProgressReporter(started: { _, _, _ in }, detail: progress.detail))
                    losses["\(architecture.kind)_antk"] = theory.testLoss!["antk"]!
                    losses["\(architecture.kind)_ntk"] = theory.testLoss!["ntk"]!
                    stationary += theory.stationaryRuns
                    progress.detail("\(architecture.kind): networks, N = \(problem.width)")
                    var train = TrainStudy.Problem(data: subset, activation: problem.activation, depth: 1, width: problem.width,
                                                   gamma: problem.gamma, rule: .gradientFlow(lambda: problem.lambda), seeds: problem.networks,
                                                   seed: NormalSampler.derive(problem.seed, UInt64(2 * index + 1), UInt64(a)), time: problem.time)
                    train.architecture = architecture
                    let network = try TrainStudy.run(train)
                    losses["\(architecture.kind)_network"] = network.testLoss!
                    stationaryNetworks += network.stationaryRuns
                }
                points.append(Point(size: size, testLoss: losses, stationaryPopulations: stationary, stationaryNetworks: stationaryNetworks))
                continue
            }
            let theory = try ANTKPopulationStudy.run(population, progress: ProgressReporter(started: { _, _, _ in }, detail: progress.detail))
            progress.detail("networks, N = \(problem.width)")
            let network = try TrainStudy.run(TrainStudy.Problem(data: subset, activation: problem.activation, depth: 1, width: problem.width,
                                                                gamma: problem.gamma, rule: .gradientFlow(lambda: problem.lambda),
                                                                seeds: problem.networks, seed: NormalSampler.derive(problem.seed, UInt64(2 * index + 1)),
                                                                time: problem.time))
            var losses = theory.testLoss!
            losses["network"] = network.testLoss!
            var anbkFailure: String? = nil
            if let settings = problem.anbk {
                progress.detail("aNBK min-max, beta = \(settings.beta)")
                var bayes = ANBKStudy.Problem(data: subset, activation: problem.activation, depth: 1, gamma: settings.gamma,
                                              beta: .finite(settings.beta), solver: .minmax)
                bayes.samples = settings.samples
                // One (n/2, n) pair with batch means (notes/anbk-data.md (NB30)): the curve's cost stays that of one run.
                bayes.replicas = 1
                bayes.seed = NormalSampler.derive(problem.seed, UInt64(2 * index), 0xB)
                let r = try ANBKStudy.run(bayes, progress: ProgressReporter(started: { _, _, _ in }, detail: progress.detail))
                losses["anbk"] = r.testLoss!["anbk"]!
                anbkFailure = r.failure
            }
            var point = Point(size: size, testLoss: losses, stationaryPopulations: theory.stationaryRuns, stationaryNetworks: network.stationaryRuns)
            point.anbkFailure = anbkFailure
            points.append(point)
        }
        return points
    }
}
