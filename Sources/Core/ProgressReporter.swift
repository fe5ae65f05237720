/// Where a long computation says how far it is: `started(k, N, name)` when step k of N begins,
/// `detail(text)` for messages inside a step (a width finished, a rerun with a doubled budget).
/// The library only calls these; rendering (a terminal line with the time left) is the front end's.
public struct ProgressReporter {
    public var started: (_ step: Int, _ total: Int, _ name: String) -> Void
    public var detail: (String) -> Void

    public init(started: @escaping (Int, Int, String) -> Void, detail: @escaping (String) -> Void) {
        self.started = started
        self.detail = detail
    }

    /// Drops everything.
    public static var silent: ProgressReporter { ProgressReporter(started: { _, _, _ in }, detail: { _ in }) }
}
