import Foundation
import XCTest
@testable import AdaptiveKernelsCLI

/// Exit statuses of the inputs an independent audit found crashing (SIGILL), giving up (exit 3) or
/// growing without bound (notes/exactness-audit.md). Values are checked in
/// Tests/TheoryTests/RobustnessTheoryTests.swift; here only what the command line does.
final class RobustnessTests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }

    func testFormerCrashesAndExit3sSucceed() throws {
        for arguments in [["antk", "--gamma", "0.1", "--lambda", "0.1", "--depth", "1"],
                          ["antk", "--gamma", "0.999999999999999999999", "--lambda", "1", "--depth", "1"],
                          ["antk", "--gamma", "100000000000000000001/100000000000000000000", "--lambda", "1", "--depth", "1"],
                          ["antk", "--gamma", "1000", "--lambda", "1", "--depth", "100"]] {
            let result = run(arguments + ["--format", "json"])
            XCTAssertEqual(result.exitCode, 0, "\(arguments): \(result.standardError)")
            XCTAssertFalse(result.standardOutput.isEmpty)
        }
    }

    func testExactKernelFilesOnePointAndHugeGamma() throws {
        let folder = try temporaryFolder()
        func file(_ name: String, _ text: String) throws -> String {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let one = try file("C1.csv", "2\n"), label = try file("y1.csv", "1\n")
        let identity = try file("I2.csv", "1,0\n0,1\n"), labels = try file("y.csv", "1\n0\n")
        for arguments in [["--kernel", one, "--labels", label, "--gamma", "2"],
                          ["--kernel", identity, "--labels", labels, "--gamma", "1e200"]] {
            let result = run(["kernels", "--exact"] + arguments + ["--beta", "1", "--depth", "2", "--format", "json"])
            XCTAssertEqual(result.exitCode, 0, "\(arguments): \(result.standardError)")
        }
    }

    func testUnboundedLayerListIsRefused() {
        let result = run(["overlaps", "--gamma", "2", "--beta", "1", "--depth", "1000000000", "--layers", "all"])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.standardOutput, "")
        XCTAssertTrue(result.standardError.contains("at most 1000000 layers"), result.standardError)
    }
}
