import Foundation

/// Runs of consecutive indices 0 ..< count handed out in increasing order to concurrent workers
/// (`SweepCommand.solveEach`); after `stop()` no further run is handed out.
final class ProblemQueue: @unchecked Sendable {
    private let count: Int
    private let run: Int
    private var start = 0
    private var stopped = false
    private let lock = NSLock()

    init(count: Int, run: Int) {
        precondition(run >= 1)
        self.count = count
        self.run = run
    }

    /// The next run of indices, nil when none are left or the queue was stopped.
    func next() -> Range<Int>? {
        lock.lock(); defer { lock.unlock() }
        guard !stopped && start < count else { return nil }
        let claimed = start..<min(count, start + run)
        start = claimed.upperBound
        return claimed
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
    }
}
