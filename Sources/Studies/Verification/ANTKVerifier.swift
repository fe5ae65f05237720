import Core
import Simulation
/// The gradient-flow (aNTK) verification suite: deep linear branches, the kernel-predictor
/// identity, the one-point ReLU fixed point and ReLU and tanh DMFT vs finite width on digits. Deterministic for a fixed seed.
public struct ANTKVerifier: Sendable {
    public let settings: ANTKVerifySettings

    public init(settings: ANTKVerifySettings) { self.settings = settings }

    /// The plan's steps in order, selected by `settings.caseGroup`; `detail` gets messages inside a step.
    public func steps(detail: @escaping (String) -> Void = { _ in }) -> [VerificationStep] {
        var steps: [VerificationStep] = []
        if settings.includes("linear") { steps += ANTKLinearCases(settings: settings, progress: detail).steps() }
        let relu = ANTKReLUCases(settings: settings, progress: detail)
        if settings.includes("identity") {
            for lambda in [1.0, 0.0] {
                steps.append(VerificationStep("two-layer ReLU predictor identity, lambda = \(lambda)") { [try relu.predictorIdentity(lambda: lambda)] })
            }
        }
        if settings.includes("theory2b") {
            for gamma in [2.0, 0.8] {
                steps.append(VerificationStep("ReLU single point gamma = \(gamma), lambda = 1") { try relu.singlePoint(gamma: gamma, lambda: 1) })
            }
        }
        if settings.includes("digits") {
            for activation in settings.digitsActivations {
                let digits = ANTKDigitsCases(settings: settings, activation: activation, progress: detail)
                steps.append(VerificationStep("\(digits.label) on digits: DMFT and finite width") { try digits.cases() })
            }
        }
        return steps
    }

    /// The cases of the plan, or of its `shard` (a block of its steps).
    public func run(shard: Shard? = nil, progress: ProgressReporter = .silent) throws -> [VerificationCase] {
        try VerificationStep.run(steps(detail: progress.detail), shard: shard, progress: progress)
    }
}
