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

    /// Runs `steps` in order, or only the block of `shard` (Core.Shard: contiguous, so the shards'
    /// cases concatenated in shard order are the whole plan's); `progress.started(k, N, name)`
    /// before step k of the N that run (1-based). Errors propagate unchanged; the cases are
    /// concatenated in step order. A step must not depend on an earlier one having run (its seeds
    /// are fixed when the plan is built), so a shard computes exactly what the whole plan does.
    public static func run(_ steps: [VerificationStep], shard: Shard? = nil, progress: ProgressReporter = .silent) throws -> [VerificationCase] {
        let selected = shard.map { Array(steps[$0.range(of: steps.count)]) } ?? steps
        var cases: [VerificationCase] = []
        for (index, step) in selected.enumerated() {
            progress.started(index + 1, selected.count, step.name)
            cases += try step.body()
        }
        return cases
    }
}
