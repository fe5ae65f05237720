import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI
import Studies

/// `train`: the baseline command's files and refusals.
final class TrainCommandTests: XCTestCase {
    func testTrainWritesKernelsAndRefusesBadInput() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [5, 3], values: (0..<15).map { sin(Double($0)) }), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [5], values: [1, -1, 1, -1, 1]), "y.npy", in: folder)
        let base = ["train", "--activation", "relu", "--depth", "2", "--width", "16", "--gamma", "1", "--train", x, "--labels", y,
                    "--seeds", "2", "--time", "1"]
        let out = folder.appendingPathComponent("out").path
        let r = AdaptiveKernelsCommandLine.run(base + ["--lambda", "1", "--out-dir", out])
        XCTAssertEqual(r.exitCode, 0, r.standardError)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files, ["ntk.npy", "phi_1.npy", "phi_2.npy", "summary.json"])
        let phi = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: out + "/phi_2.npy")))
        XCTAssertEqual(phi.shape, [5, 5])
        // No rule, two rules, negative lambda, one seed, too deep, and posterior sampling on a singular C
        // (5 points in D = 3).
        for bad in [base, base + ["--lambda", "1", "--beta", "2"], base + ["--lambda", "-1"], base + ["--lambda", "1", "--seeds", "1"],
                    base + ["--beta", "10"],
                    ["train", "--activation", "relu", "--depth", "17", "--width", "16", "--gamma", "1", "--lambda", "1", "--train", x, "--labels", y]] {
            let result = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(result.exitCode, 2, "\(bad): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "")
        }
    }
}
