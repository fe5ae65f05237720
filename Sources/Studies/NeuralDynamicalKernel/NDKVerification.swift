import Foundation
import Core
import Theory
import Simulation

/// `verify ndk`: the mean test predictor of the NDK theory (notes/neural-dynamical-kernel.md (NK6))
/// against finite-width Langevin networks (NK18), for the identity and ReLU, along time.
/// Each case is a Core `VerificationCase` (the project's pass rule, notes/verify-bayes.md (V20)): the
/// simulated mean against the theory, tolerance k se + systematic with the systematic bound
/// 4|theory|/N (the finite-width allowance measured in the note, section 9) plus the solver's
/// step-halving error; k is the Student t quantile (pairs - 1 degrees of freedom) at the plan's
/// family-wise rate, Bonferroni over the cases; inconclusive when the theory's error control did not
/// converge. The perturbation knob is the report's (`VerificationReport.perturbExact`).
public struct NDKVerification: Sendable {
    public struct Settings: Sendable {
        public var seed: UInt64
        public var widths: [Int]
        public var pairs: Int
        public var timeStep: Double
        public var times: [Double]
        public var depths: [Int]

        public static func quick(seed: UInt64) -> Settings {
            Settings(seed: seed, widths: [512], pairs: 32, timeStep: 0.01, times: [0.5, 1.5, 4], depths: [1])
        }
        public static func full(seed: UInt64) -> Settings {
            Settings(seed: seed, widths: [512, 1024], pairs: 64, timeStep: 0.01, times: [0.5, 1.5, 4, 10], depths: [1, 2])
        }
    }

    /// The synthetic task: 4 training inputs in D = 3 with labels of both signs, 2 test inputs.
    public static let train: [Double] = [1, 0.2, -0.4, 0.3, 1.1, 0.5, -0.8, 0.4, 1.0, 0.6, -0.9, 0.2]
    public static let labels: [Double] = [1, -0.5, 0.8, -1]
    public static let test: [Double] = [0.7, 0.6, 0.1, -0.5, 0.9, 0.6]
    public static let testLabels: [Double] = [0.6, -0.4]
    /// T = 0.5, sigma^2 = 1, sigma_0^2 = 0.25: tau_diffusive = 2, so the plan spans both phases.
    public static let temperature = 0.5, priorVariance = 1.0, initVariance = 0.25

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    public func run(progress: (String) -> Void = { _ in }) throws -> [VerificationCase] {
        let s = settings
        let inputs = try NDKInputs(train: NDKVerification.train, labels: NDKVerification.labels, test: NDKVerification.test,
                                   testLabels: NDKVerification.testLabels, dimension: 3)
        let groups = s.depths.flatMap { depth in [Activation.identity, .relu].map { (depth, $0) } }
        var cases: [VerificationCase] = []
        for (index, (depth, activation)) in groups.enumerated() {
            let group = "\(activation.rawValue)_L\(depth)"
            progress("theory \(group)")
            let setting = try NDKSetting(activation: activation, depth: depth, temperature: NDKVerification.temperature,
                                         priorVariance: NDKVerification.priorVariance, initVariance: NDKVerification.initVariance)
            let theory = try NDKPredictor(setting: setting, inputs: inputs).solve(times: s.times, tolerance: 5e-4, maximumSteps: 64)
            // widths: the widest run is compared (one width) or the 1/N extrapolation (several)
            var perWidth: [LangevinTrainingEnsemble.Result] = []
            for (w, width) in s.widths.enumerated() {
                progress("Langevin \(group) N = \(width)")
                var ensemble = LangevinTrainingEnsemble.Settings(activation: activation, depth: depth, width: width, temperature: NDKVerification.temperature,
                                                                 priorVariance: NDKVerification.priorVariance, initVariance: NDKVerification.initVariance)
                ensemble.pairs = s.pairs; ensemble.timeStep = s.timeStep
                ensemble.seed = NormalSampler.derive(s.seed, UInt64(index), UInt64(w))
                perWidth.append(try LangevinTrainingEnsemble(settings: ensemble).run(train: NDKVerification.train, labels: NDKVerification.labels,
                                                                                        test: NDKVerification.test, dimension: 3, times: s.times))
            }
            for (ti, t) in s.times.enumerated() {
                for point in 0..<inputs.testCount {
                    let exact = theory.test[ti][point]
                    var estimate: Estimate
                    if s.widths.count == 1 {
                        estimate = perWidth[0].test[ti][point]
                        estimate.systematic += 4 * abs(exact) / Double(s.widths[0])
                    } else {
                        estimate = InverseWidthFit(widths: s.widths, points: perWidth.map { $0.test[ti][point] }).intercept
                    }
                    estimate.systematic += theory.testError[ti]
                    cases.append(VerificationCase.against(
                        exact: exact, name: "\(group) test[\(point)] t=\(t)", group: group,
                        measured: .init(name: "langevin", estimate: estimate),
                        failure: theory.converged ? nil : "the theory's step halving did not reach its tolerance",
                        note: "mean test prediction; theory: Volterra solution (error \(String(format: "%.1e", theory.testError[ti]))); simulation: \(s.pairs) antithetic pairs, widths \(s.widths.map(String.init).joined(separator: ",")), dt = \(s.timeStep)"))
                }
            }
        }
        return cases
    }
}
