import Foundation
import Core
import Simulation

/// `verify cnn`: the two-layer CNN's population DMFT (notes/cnn-two-layer.md (CN6)) against finite-width
/// CNNs trained the same way (CN3), extrapolated in 1/N (`InverseWidthFit`), on the digits fixture
/// (notes/cnn-two-layer.md (CN11)-(CN12)).
///
/// Per group (activation, gamma, lambda): both sides run the same fixed-step Euler flow to the same time
/// (the same map, so no time-step allowance, (CN9)); observables the test predictions, the train loss and
/// the overlaps y^T K y/|y|^2 of the adapted NTK and y^T Phi y/|y|^2 of the feature kernel (training
/// block). Theory: the mean over independent populations of M sites (standard error over populations,
/// populations - 1 degrees of freedom), with the finite-M allowance 2|a|/M, a the networks' 1/N
/// slope (a population of M sites has the law of a network of M filters, (CN11)). Networks: the mean over
/// seeds at each width, extrapolated in 1/N. A case passes when the two agree within k combined standard
/// errors plus both systematic bounds (Core `VerificationCase`, Bonferroni over the plan's cases).
/// `perturbation` multiplies every theory value by 1 + R (a power check: the theory is estimated, so the
/// plan applies it; the report's own rule only moves exact values).
public struct CNNVerification: Sendable {
    public struct Group: Sendable {
        public var activation: Activation
        public var gamma: Double
        public var lambda: Double
        public init(activation: Activation, gamma: Double, lambda: Double) {
            self.activation = activation; self.gamma = gamma; self.lambda = lambda
        }
        public var name: String { "\(activation.rawValue)_gamma\(CNNVerification.text(gamma))" }
    }

    public struct Settings: Sendable {
        public var seed: UInt64
        public var trainCount = 10
        public var testCount = 2
        public var patch = 3
        public var stride = 2
        public var timeStep = 0.05
        public var time = 6.0
        /// Independent populations of `populationSize` sites.
        public var populations: Int
        public var populationSize: Int
        /// Network widths and seeds per width.
        public var widths: [Int]
        public var seedsPerWidth: Int
        public var groups: [Group]
        public var perturbation = 0.0

        /// ReLU and erf at gamma = 2, lambda = 1/10: 10 populations of 1024 sites against 10 networks at
        /// N = 128 and 512 (about 10 CPU-seconds, release build).
        public static func quick(seed: UInt64) -> Settings {
            Settings(seed: seed, populations: 10, populationSize: 1024, widths: [128, 512], seedsPerWidth: 10,
                     groups: [Group(activation: .relu, gamma: 2, lambda: 0.1), Group(activation: .erf, gamma: 2, lambda: 0.1)])
        }
        /// Identity, ReLU and erf at gamma = 2 and ReLU at gamma = 4 (lambda = 1/10): 12 populations of 2048
        /// sites against 12 networks at each of N = 256, 512, 1024, 2048.
        public static func full(seed: UInt64) -> Settings {
            Settings(seed: seed, populations: 12, populationSize: 2048, widths: [256, 512, 1024, 2048], seedsPerWidth: 12,
                     groups: [Group(activation: .identity, gamma: 2, lambda: 0.1), Group(activation: .relu, gamma: 2, lambda: 0.1),
                              Group(activation: .erf, gamma: 2, lambda: 0.1), Group(activation: .relu, gamma: 4, lambda: 0.1)])
        }
    }

    /// Observables of one run, in case order.
    public static let observableNames = ["test[0] prediction", "test[1] prediction", "train loss", "ntk overlap", "phi overlap"]

    public let settings: Settings
    public let digitsDirectory: String
    public init(settings: Settings, digitsDirectory: String) {
        self.settings = settings; self.digitsDirectory = digitsDirectory
    }

    public var caseCount: Int { settings.groups.count * (settings.testCount + 3) }

    /// One step per group; its seeds depend on the group's index only (--shard computes the same cases).
    public func steps(detail: @escaping (String) -> Void = { _ in }) throws -> [VerificationStep] {
        settings.groups.enumerated().map { index, group in
            VerificationStep("\(group.name): population DMFT and CNNs N = \(settings.widths.map(String.init).joined(separator: ","))") {
                try self.groupCases(index: index, group: group, progress: detail)
            }
        }
    }

    public func run(shard: Shard? = nil, progress: ProgressReporter = .silent) throws -> [VerificationCase] {
        try VerificationStep.run(steps(detail: progress.detail), shard: shard, progress: progress)
    }

    /// The observables of one run (test predictions, train loss, NTK and feature-kernel overlaps).
    static func observables(_ r: ANTKFlowResult, labels y: [Double]) -> [Double] {
        let p = y.count, n = r.predictions.count
        func overlap(_ k: [Double]) -> Double {
            var s = 0.0
            for i in 0..<p { for j in 0..<p { s += y[i] * k[i * n + j] * y[j] } }
            return s / y.reduce(0) { $0 + $1 * $1 }
        }
        let loss = (0..<p).reduce(0.0) { $0 + (r.predictions[$1] - y[$1]) * (r.predictions[$1] - y[$1]) } / Double(p)
        return Array(r.predictions[p...]) + [loss, overlap(r.ntk), overlap(r.featureKernels[0])]
    }

    func groupCases(index: Int, group: Group, progress: (String) -> Void) throws -> [VerificationCase] {
        let s = settings
        let data = try LabelledData.npyDirectory(digitsDirectory, train: s.trainCount, test: s.testCount)
        let geometry = try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: s.patch, stride: s.stride)
        let flow = try PooledFlow(data: data, architecture: .cnn(geometry), activation: group.activation, gamma: group.gamma, lambda: group.lambda)
        let flowSettings = ANTKFlowSettings(timeStep: s.timeStep, maximumTime: s.time, tolerance: 1e-14)
        func mean(_ runs: [[Double]]) -> [Estimate] {
            (0..<runs[0].count).map { k in Estimate.mean(ofIndependent: runs.map { Estimate(value: $0[k], standardError: 0) }) }
        }
        progress("\(group.name): \(s.populations) populations of \(s.populationSize)")
        let theory = mean(try (0..<s.populations).map { k in
            var population = try CNNPopulation(size: s.populationSize, flow: flow, seed: NormalSampler.derive(s.seed, 0xC, UInt64(index), UInt64(k)))
            return Self.observables(population.run(flowSettings), labels: data.labels)
        })
        var perWidth: [[Estimate]] = []
        for (w, width) in s.widths.enumerated() {
            progress("\(group.name): \(s.seedsPerWidth) CNNs of N = \(width)")
            perWidth.append(mean((0..<s.seedsPerWidth).map { k in
                var network = CNNNetwork(width: width, flow: flow, seed: NormalSampler.derive(s.seed, 0xD, UInt64(index), UInt64(w), UInt64(k)))
                return Self.observables(network.train(flowSettings), labels: data.labels)
            }))
        }
        let widthsText = s.widths.map(String.init).joined(separator: ",")
        return (0..<theory.count).map { k in
            let fit = InverseWidthFit(widths: s.widths, points: perWidth.map { $0[k] })
            var dmft = theory[k]
            dmft.systematic += 2 * abs(fit.slope) / Double(s.populationSize)
            dmft.value *= 1 + s.perturbation
            let name = "\(group.name) \(Self.observableNames[k])"
            var c = VerificationCase.between(.init(name: "population_dmft", estimate: dmft), .init(name: "finite_width", estimate: fit.intercept),
                                             name: name, group: group.name, failure: nil,
                                             note: String(format: "%@ at t = %@ (dt = %@, fixed step, both sides), digits P = %d, Q = %d, 8x8 patch %d stride %d, lambda = %@; theory: %d populations of %d sites (finite-M allowance 2|a|/M = %.1e); networks: %d seeds at N = %@, 1/N fit slope a = %.3g, chi2/dof %.2f",
                                                           Self.observableNames[k], Self.text(s.time), Self.text(s.timeStep), s.trainCount, s.testCount, s.patch, s.stride,
                                                           Self.text(group.lambda), s.populations, s.populationSize, 2 * abs(fit.slope) / Double(s.populationSize),
                                                           s.seedsPerWidth, widthsText, fit.slope, fit.reducedChiSquare.isFinite ? fit.reducedChiSquare : 0))
            // Power at R = 0.05: |R theory| must exceed the tolerance plus z_0.99 combined se (as notes/cnn-two-layer.md (CN12)).
            c.familySize = caseCount
            let combined = (dmft.standardError * dmft.standardError + fit.intercept.standardError * fit.intercept.standardError).squareRoot()
            let needed = theory[k].value == 0 ? Double.infinity : (c.tolerance + 2.33 * combined) / abs(theory[k].value)
            c.perturbationNote = needed > 0.05
                ? String(format: "a 5%% change of the theory is detected in fewer than 99%% of runs: tolerance plus 2.33 se is %.1f%% of the value at these populations, seeds and widths", 100 * needed)
                : nil
            c.familySize = 1
            return c
        }
    }

    /// Shortest decimal text of a parameter.
    static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}
