import Foundation
import XCTest
import Core
@testable import AdaptiveKernelsCLI

/// The grammar shared by every command: --out FILE|- for a report, --out-dir for folders, plot's
/// format from the --out extension, progress reporting.
final class GrammarTests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }

    func testOutWritesTheReportWholeOrNothing() throws {
        let folder = try temporaryFolder()
        let arguments = ["overlaps", "--gamma", "4", "--beta", "10", "--depth", "16", "--format", "json"]
        let plain = run(arguments)
        let file = folder.appendingPathComponent("report.json")
        let written = run(arguments + ["--out", file.path])
        XCTAssertEqual(written.exitCode, 0, written.standardError)
        XCTAssertEqual(written.standardOutput, "")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), plain.standardOutput)
        XCTAssertEqual(run(arguments + ["--out=-"]).standardOutput, plain.standardOutput)
        // A folder is not a file; a bad input writes nothing.
        let refused = run(arguments + ["--out", folder.path])
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertTrue(refused.standardError.contains("--out-dir"), refused.standardError)
        let bad = folder.appendingPathComponent("bad.json")
        XCTAssertEqual(run(["overlaps", "--gamma", "-1", "--beta", "10", "--depth", "2", "--out", bad.path]).exitCode, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["report.json"])
    }

    func testPlotFormatFollowsTheExtension() throws {
        let folder = try temporaryFolder()
        let svg = folder.appendingPathComponent("depth.svg")
        let result = run(["plot", "depth", "--depth", "3", "--out", svg.path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let text = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<svg") || text.hasPrefix("<?xml"), String(text.prefix(40)))
        XCTAssertEqual(run(["plot", "depth", "--depth", "3", "--out", "-"]).standardOutput, text)
        for refused in ["depth.png", "depth.pdf", "depth"] {
            let r = run(["plot", "depth", "--depth", "3", "--out", folder.appendingPathComponent(refused).path])
            XCTAssertEqual(r.exitCode, 2, refused)
            XCTAssertTrue(r.standardError.contains("SVG only"), r.standardError)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["depth.svg"])
    }

    func testProgressShowsCaseAndTimeLeft() {
        XCTAssertNil(Progress.remaining(elapsed: 5, completed: 0, total: 4))
        XCTAssertEqual(Progress.remaining(elapsed: 30, completed: 3, total: 9), 60)
        XCTAssertEqual(Progress.duration(42), "42 s")
        XCTAssertEqual(Progress.duration(185), "3 min 05 s")
        XCTAssertEqual(Progress.duration(7320), "2 h 02 min")
        var lines: [String] = []
        let start = Date(timeIntervalSince1970: 0)
        let progress = Progress(label: "verify antk", sink: { lines.append($0) }, start: start)
        // The library's reporter drives the line: step starts and details inside a step.
        let reporter = progress.reporter
        var clock = start
        let timed = Progress(label: "verify antk", sink: { lines.append($0) }, start: start)
        timed.started(1, of: 3, "linear", now: clock)
        clock = clock.addingTimeInterval(20)
        timed.started(2, of: 3, "identity", now: clock)
        timed.detail("N=256 done", now: clock.addingTimeInterval(4))
        timed.finish()
        XCTAssertEqual(lines[0], "\rverify antk: case 1/3: linear, 0 s elapsed")
        XCTAssertEqual(lines[1].trimmingCharacters(in: .whitespaces), "\rverify antk: case 2/3: identity, 20 s elapsed, ~40 s left")
        XCTAssertEqual(lines[2].trimmingCharacters(in: .whitespaces), "\rverify antk: case 2/3: identity: N=256 done, 24 s elapsed, ~48 s left")
        XCTAssertTrue(lines[3].hasPrefix("\r ") && lines[3].hasSuffix("\r"))
        // A plan run through the reporter shows every step k/N in order.
        lines.removeAll()
        let steps = ["a", "b"].map { name in VerificationStep(name) { [] } }
        _ = try? VerificationStep.run(steps, progress: reporter)
        XCTAssertEqual(lines.map { String($0.prefix(while: { $0 != "," })) }, ["\rverify antk: case 1/2: a", "\rverify antk: case 2/2: b"])
        // Not a terminal (tests, pipes): nothing is written.
        XCTAssertFalse(Progress(label: "x", sink: Progress.terminalSink()).isEnabled && isatty(STDERR_FILENO) == 0)
    }
}

/// A verification report that ends inconclusive exits 4 whether it goes to stdout or to --out FILE
/// (the relay of a failing report keeps its exit status).
final class FailureRelayTests: XCTestCase {
    func testInconclusiveReportKeepsExitStatusFourThroughOut() throws {
        let inconclusive = CommandFailure(message: "1 of 1 cases inconclusive", standardOutput: "{}\n", exitCode: 4)
        let toStdout = try AdaptiveKernelsCommandLine.relay(inconclusive, to: nil)
        XCTAssertEqual(toStdout.exitCode, 4)
        XCTAssertEqual(toStdout.standardOutput, "{}\n")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let toFile = try AdaptiveKernelsCommandLine.relay(inconclusive, to: file)
        XCTAssertEqual(toFile.exitCode, 4)
        XCTAssertEqual(toFile.standardOutput, "")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "{}\n")
        let failed = try AdaptiveKernelsCommandLine.relay(CommandFailure(message: "x", standardOutput: "", exitCode: 3), to: "-")
        XCTAssertEqual(failed.exitCode, 3)
    }
}

/// The tuned-BLAS re-execution is skipped for the scalar commands (their start-up is what the
/// whole-process benchmark against python-flint measures) and kept for the linear-algebra ones.
final class BLASSetupTests: XCTestCase {
    func testScalarCommandsSkipTheReExecution() {
        for scalar in [[], ["sweep", "--depth", "4"], ["overlaps"], ["asymptotics"], ["antk-phase"], ["merge", "a"], ["help"], ["--version"]] {
            XCTAssertFalse(AdaptiveKernelsCommandLine.usesDenseLinearAlgebra(scalar), "\(scalar)")
        }
        for dense in [["kernels"], ["anbk"], ["antk"], ["verify", "bayes"], ["train"], ["dynamics"], ["ndk"], ["learning-curve"], ["plot", "features"]] {
            XCTAssertTrue(AdaptiveKernelsCommandLine.usesDenseLinearAlgebra(dense), "\(dense)")
        }
    }
}
