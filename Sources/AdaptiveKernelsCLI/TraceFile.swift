import Foundation

/// A diagnostics file written one line at a time from several threads (`anbk --trace FILE`,
/// notes/anbk-data.md (NB22)): created (or emptied) when opened, each line appended under a lock.
final class TraceFile: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw UsageError("--trace '\(path)' cannot be written")
        }
        self.handle = handle
    }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data((line + "\n").utf8))
    }

    deinit { try? handle.close() }
}
