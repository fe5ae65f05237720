import Foundation

/// Progress of a long command on stderr: "case k/N: <what>, <elapsed> elapsed, ~<left> left", one
/// self-overwriting line, and only when stderr is a terminal (never in pipes, files or tests).
/// The time left is the mean time per finished case times the cases left (shown from the first
/// finished case on). Verify plans create one per run and call `advance` as each case starts.
final class Progress {
    let total: Int
    let label: String
    private let start: Date
    private let write: ((String) -> Void)?
    private var completed = 0
    private var lastWidth = 0

    /// - Parameters:
    ///   - sink: where lines go; by default stderr when it is a terminal, else nowhere.
    init(label: String, total: Int, sink: ((String) -> Void)? = Progress.terminalSink(), start: Date = Date()) {
        self.label = label
        self.total = max(total, 0)
        self.start = start
        self.write = sink
    }

    /// stderr when it is a terminal, else nil (progress is dropped).
    static func terminalSink() -> ((String) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { FileHandle.standardError.write(Data($0.utf8)) }
    }

    var isEnabled: Bool { write != nil }

    /// Seconds left: mean seconds per finished case times the cases left; nil before the first
    /// case finishes.
    static func remaining(elapsed: Double, completed: Int, total: Int) -> Double? {
        guard completed > 0, total >= completed else { return nil }
        return elapsed / Double(completed) * Double(total - completed)
    }

    /// "12 s", "3 min 05 s", "1 h 02 min".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60)
    }

    /// The line for case `index` (1-based) of `total` starting now, with `completed` cases done.
    static func line(label: String, index: Int, total: Int, message: String, elapsed: Double, completed: Int) -> String {
        var text = "\(label): case \(index)/\(total)"
        if !message.isEmpty { text += ": \(message)" }
        text += ", \(duration(elapsed)) elapsed"
        if let left = remaining(elapsed: elapsed, completed: completed, total: total) { text += ", ~\(duration(left)) left" }
        return text
    }

    /// Case `completed + 1` starts; the cases before it are done.
    func advance(_ message: String = "", now: Date = Date()) {
        guard let write else { completed += 1; return }
        let text = Progress.line(label: label, index: min(completed + 1, max(total, 1)), total: total, message: message,
                                 elapsed: now.timeIntervalSince(start), completed: completed)
        completed += 1
        write("\r" + text.padding(toLength: max(text.count, lastWidth), withPad: " ", startingAt: 0))
        lastWidth = text.count
    }

    /// Clears the line.
    func finish() {
        guard let write, lastWidth > 0 else { return }
        write("\r" + String(repeating: " ", count: lastWidth) + "\r")
        lastWidth = 0
    }
}
