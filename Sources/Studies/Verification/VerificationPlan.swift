import Core

/// A verify plan: an ordered list of steps, built before anything runs (so progress knows their
/// number and a shard knows its block), run in full or one shard at a time. The command line runs and
/// renders every plan the same way (`VerifyPlanRunner`).
public protocol VerificationPlan: Sendable {
    /// The plan's steps in order; `detail` receives the running step's progress text.
    func steps(detail: @escaping (String) -> Void) throws -> [VerificationStep]
    /// The cases of every step, or of the steps of one shard.
    func run(shard: Shard?, progress: ProgressReporter) throws -> [VerificationCase]
}

extension NDKVerification: VerificationPlan {}
extension FluctuationsVerification: VerificationPlan {}
extension BayesVerification: VerificationPlan {}
extension CNNVerification: VerificationPlan {}
