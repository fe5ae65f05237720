import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI
import Studies

/// `learning-curve`: report formats, the SVG, and refusals.
final class LearningCurveCommandTests: XCTestCase {
    func testCurveRunsAndRefusesBadInput() throws {
        let folder = try temporaryFolder()
        func gaussian(_ n: Int, _ seed: Double) -> [Double] { (0..<n).map { sin(Double($0) * 1.7 + seed) } }
        let x = try write(NPYArray(shape: [8, 12], values: gaussian(96, 0)), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [8], values: [1, -1, 1, -1, 1, 1, -1, -1]), "y.npy", in: folder)
        let xt = try write(NPYArray(shape: [3, 12], values: gaussian(36, 5)), "Xt.npy", in: folder)
        let yt = try write(NPYArray(shape: [3], values: [1, -1, 1]), "yt.npy", in: folder)
        let svg = folder.appendingPathComponent("curve.svg").path
        let base = ["learning-curve", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--sizes", "4,8", "--train", x, "--labels", y,
                    "--test", xt, "--test-labels", yt, "--population", "64", "--width", "32", "--time", "5"]
        let csv = AdaptiveKernelsCommandLine.run(base + ["--format", "csv", "--out", svg])
        XCTAssertEqual(csv.exitCode, 0, csv.standardError)
        let lines = csv.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], "size,nngp_test_loss,nngp_standard_error,ntk_test_loss,ntk_standard_error,antk_test_loss,antk_standard_error,network_test_loss,network_standard_error")
        for line in lines.dropFirst() { XCTAssertTrue(line.split(separator: ",").allSatisfy { Double($0) != nil }, String(line)) }
        XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(AdaptiveKernelsCommandLine.run(base + ["--format", "json"]).standardOutput, command: "learning-curve"), [])
        for bad in [base + ["--out", folder.appendingPathComponent("c.png").path], base.map { $0 == "4,8" ? "4,9" : $0 },
                    base + ["--depth", "2"]] {
            let r = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(r.exitCode, 2, r.standardError)
            XCTAssertEqual(r.standardOutput, "")
        }
    }
}
