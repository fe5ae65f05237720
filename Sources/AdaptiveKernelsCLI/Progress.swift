import Foundation
import Core

/// Progress of a long command on stderr: "<label>: case k/N: <step>[: <detail>], <elapsed> elapsed,
/// ~<left> left", one self-overwriting line, and only when stderr is a terminal (never in pipes,
/// files or tests). The time left is the mean time per finished step times the steps left, the
/// running one included (shown from the second step on). The library reports through
/// `reporter` (Core.ProgressReporter); this type only renders.
final class Progress {
    let label: String
    private let start: Date
    private let write: ((String) -> Void)?
    private var step = 0, total = 0, name = ""
    private var lastWidth = 0

    /// - Parameters:
    ///   - sink: where lines go; by default stderr when it is a terminal, else nowhere.
    init(label: String, sink: ((String) -> Void)? = Progress.terminalSink(), start: Date = Date()) {
        self.label = label
        self.start = start
        self.write = sink
    }

    /// stderr when it is a terminal, else nil (progress is dropped).
    static func terminalSink() -> ((String) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { FileHandle.standardError.write(Data($0.utf8)) }
    }

    var isEnabled: Bool { write != nil }

    /// What the library calls: step starts and details go to this line.
    var reporter: ProgressReporter {
        ProgressReporter(started: { [self] k, n, name in started(k, of: n, name) }, detail: { [self] in detail($0) })
    }

    /// Seconds left: mean seconds per finished step times the steps left; nil before the first
    /// step finishes.
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

    /// The line for step `index` (1-based) of `total`, with `index - 1` steps done.
    /// Without steps (index 0): "<label>: <message>, <elapsed> elapsed".
    static func line(label: String, index: Int, total: Int, message: String, elapsed: Double) -> String {
        var text = index > 0 ? "\(label): case \(index)/\(total)" : label
        if !message.isEmpty { text += ": \(message)" }
        text += ", \(duration(elapsed)) elapsed"
        if let left = remaining(elapsed: elapsed, completed: index - 1, total: total) { text += ", ~\(duration(left)) left" }
        return text
    }

    /// Step `index` of `total` starts.
    func started(_ index: Int, of total: Int, _ name: String, now: Date = Date()) {
        step = index
        self.total = total
        self.name = name
        show(name, now: now)
    }

    /// A message inside the running step.
    func detail(_ message: String, now: Date = Date()) {
        show(name.isEmpty ? message : "\(name): \(message)", now: now)
    }

    private func show(_ message: String, now: Date) {
        guard let write else { return }
        let text = Progress.line(label: label, index: step, total: max(total, step), message: message,
                                 elapsed: now.timeIntervalSince(start))
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
