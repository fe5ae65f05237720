import Core
import Simulation
/// The gradient-flow (aNTK) verification suite (notes/verify-antk.md): deep linear branches, the kernel-predictor
/// identity, the one-point ReLU fixed point (notes/theory-overview.md (T20)) and ReLU DMFT vs finite width. Deterministic for a fixed seed.
public struct ANTKVerifier: Sendable {
    public let settings: ANTKVerifySettings

    public init(settings: ANTKVerifySettings) { self.settings = settings }

    public func run(progress: @escaping (String) -> Void = { _ in }) throws -> [ANTKVerificationCase] {
        var cases: [ANTKVerificationCase] = []
        if settings.includes("linear") { cases += try ANTKLinearCases(settings: settings, progress: progress).cases() }
        let relu = ANTKReLUCases(settings: settings, progress: progress)
        if settings.includes("identity") {
            cases.append(try relu.predictorIdentity(lambda: 1))
            cases.append(try relu.predictorIdentity(lambda: 0))
        }
        if settings.includes("theory2b") {
            cases += try relu.singlePoint(gamma: 2, lambda: 1)
            cases += try relu.singlePoint(gamma: 0.8, lambda: 1)
        }
        if settings.includes("digits") { cases += try relu.dataCase() }
        return cases
    }
}
