/// One step of a verification plan: a named computation that returns the cases it checked.
/// A plan is an ordered list of steps, built before anything runs, so its length is known and a
/// front end can show "case k/N" with the time left while it runs (`run(_:progress:)`).
public struct VerificationStep {
    public let name: String
    let body: () throws -> [VerificationCase]

    public init(_ name: String, _ body: @escaping () throws -> [VerificationCase]) {
        self.name = name
        self.body = body
    }

    /// Runs `steps` in order; `progress.started(k, N, name)` before step k of N (1-based). Errors
    /// propagate unchanged; the cases are concatenated in step order.
    public static func run(_ steps: [VerificationStep], progress: ProgressReporter = .silent) throws -> [VerificationCase] {
        var cases: [VerificationCase] = []
        for (index, step) in steps.enumerated() {
            progress.started(index + 1, steps.count, step.name)
            cases += try step.body()
        }
        return cases
    }
}
