import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI
import Studies

/// `anbk` (notes/anbk-data.md): the contract, the kernel files, refusals, and the aNBK column of
/// `learning-curve`.
final class ANBKCommandTests: XCTestCase {
    func testANBKFollowsTheContractWritesKernelsAndRefusesBadInput() throws {
        let folder = try temporaryFolder()
        func wave(_ n: Int, _ seed: Double) -> [Double] { (0..<n).map { sin(Double($0) * 1.7 + seed) } }
        let x = try write(NPYArray(shape: [6, 10], values: wave(60, 0)), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [6], values: [1, -1, 1, -1, 1, -1]), "y.npy", in: folder)
        let xt = try write(NPYArray(shape: [2, 10], values: wave(20, 3)), "Xt.npy", in: folder)
        let yt = try write(NPYArray(shape: [2], values: [1, -1]), "yt.npy", in: folder)
        let data = ["--train", x, "--labels", y, "--test", xt, "--test-labels", yt]
        let validator = try OutputContractValidator.load()
        // Deep linear: the exact saddle, kernels written per layer.
        let out = folder.appendingPathComponent("k").path
        let linear = AdaptiveKernelsCommandLine.run(["anbk", "--activation", "identity", "--depth", "2", "--gamma", "1/2", "--beta", "10",
                                                     "--format", "json", "--out-dir", out] + data)
        XCTAssertEqual(linear.exitCode, 0, linear.standardError)
        XCTAssertEqual(validator.violations(linear.standardOutput, command: "anbk"), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(),
                       ["phi_1_test.npy", "phi_1_train.npy", "phi_2_test.npy", "phi_2_train.npy", "summary.json"])
        let cross = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: out + "/phi_2_test.npy")))
        XCTAssertEqual(cross.shape, [2, 6])
        // --points / --test-points: the first 4 training and 1 test point give the kernels of that data.
        let small = folder.appendingPathComponent("small").path
        let firstFour = AdaptiveKernelsCommandLine.run(["anbk", "--activation", "identity", "--depth", "2", "--gamma", "1/2", "--beta", "10",
                                                        "--points", "4", "--test-points", "1", "--format", "json", "--out-dir", small] + data)
        XCTAssertEqual(firstFour.exitCode, 0, firstFour.standardError)
        let xs = try write(NPYArray(shape: [4, 10], values: Array(wave(60, 0)[0..<40])), "Xs.npy", in: folder)
        let ys = try write(NPYArray(shape: [4], values: [1, -1, 1, -1]), "ys.npy", in: folder)
        let xts = try write(NPYArray(shape: [1, 10], values: Array(wave(20, 3)[0..<10])), "Xts.npy", in: folder)
        let yts = try write(NPYArray(shape: [1], values: [1]), "yts.npy", in: folder)
        let direct = folder.appendingPathComponent("direct").path
        let cut = AdaptiveKernelsCommandLine.run(["anbk", "--activation", "identity", "--depth", "2", "--gamma", "1/2", "--beta", "10",
                                                  "--format", "json", "--out-dir", direct, "--train", xs, "--labels", ys, "--test", xts, "--test-labels", yts])
        XCTAssertEqual(cut.exitCode, 0, cut.standardError)
        for file in ["phi_2_train.npy", "phi_2_test.npy"] {
            let a = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: small + "/" + file)))
            let b = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: direct + "/" + file)))
            XCTAssertEqual(a.shape, b.shape)
            XCTAssertEqual(a.values, b.values)
        }
        // ReLU by the min-max: estimated quantities; converged or not, the report follows the contract.
        let relu = AdaptiveKernelsCommandLine.run(["anbk", "--activation", "relu", "--depth", "1", "--gamma", "1/2", "--beta", "10",
                                                   "--samples", "2000", "--burn-in", "40", "--measured", "60", "--format", "json"] + data)
        XCTAssertTrue([0, 3].contains(relu.exitCode), relu.standardError)
        XCTAssertEqual(validator.violations(relu.standardOutput, command: "anbk"), [])
        XCTAssertTrue(relu.standardOutput.contains("\"estimated\""), relu.standardOutput)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(relu.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(document["sampler"] as? String, "smc")
        // Depth 1 (MLP): the fixed-point scheme is the default (notes/anbk-data.md (NB32)).
        XCTAssertEqual(document["scheme"] as? String, "fixed-point")
        XCTAssertNotNil((document["diagnostics"] as? [String: Any])?["slice_evaluations_per_move"] as? String)
        // Bad input: one line on stderr, exit 2, nothing on stdout.
        let base = ["anbk", "--depth", "1", "--gamma", "1", "--beta", "10"] + data
        for bad in [base + ["--activation", "relu", "--solver", "exact"], base + ["--activation", "softplus"],
                    ["anbk", "--activation", "relu", "--depth", "1", "--gamma", "1", "--beta", "inf"] + data,
                    base + ["--activation", "identity", "--samples", "1000"], base + ["--activation", "relu", "--solver", "mcmc"],
                    base + ["--activation", "relu", "--out-dir", out], base + ["--activation", "relu", "--depth", "0"],
                    base + ["--activation", "identity", "--points", "1"], base + ["--activation", "identity", "--points", "7"],
                    base + ["--activation", "relu", "--sampler", "gibbs"], base + ["--activation", "identity", "--sampler", "smc"],
                    ["anbk", "--activation", "relu", "--depth", "1", "--gamma", "1"] + data,
                    ["anbk", "--activation", "relu", "--depth", "2", "--gamma", "1", "--beta", "10", "--scheme", "fixed-point"] + data,
                    base + ["--activation", "relu", "--scheme", "newton"], base + ["--activation", "identity", "--scheme", "fixed-point"],
                    base + ["--activation", "relu", "--trace", "/nonexistent-folder/trace.txt"], base + ["--activation", "relu", "--moves", "0"],
                    base + ["--activation", "relu", "--slice-reference", "posterior"], base + ["--activation", "identity", "--slice-reference", "prior"]] {
            let r = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(r.exitCode, 2, "\(bad): \(r.standardError)")
            XCTAssertEqual(r.standardOutput, "")
            XCTAssertEqual(r.standardError.split(separator: "\n").count, 1, r.standardError)
        }
    }

    /// The learning curve with --beta: the aNBK column in the CSV and the JSON.
    func testLearningCurveHasTheANBKColumn() throws {
        let folder = try temporaryFolder()
        func wave(_ n: Int, _ seed: Double) -> [Double] { (0..<n).map { sin(Double($0) * 1.7 + seed) } }
        let x = try write(NPYArray(shape: [6, 12], values: wave(72, 0)), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [6], values: [1, -1, 1, -1, 1, 1]), "y.npy", in: folder)
        let xt = try write(NPYArray(shape: [2, 12], values: wave(24, 5)), "Xt.npy", in: folder)
        let yt = try write(NPYArray(shape: [2], values: [1, -1]), "yt.npy", in: folder)
        let base = ["learning-curve", "--activation", "relu", "--gamma", "1/2", "--lambda", "1/2", "--sizes", "6", "--train", x, "--labels", y,
                    "--test", xt, "--test-labels", yt, "--population", "64", "--width", "32", "--time", "2", "--beta", "10", "--anbk-samples", "2000"]
        let csv = AdaptiveKernelsCommandLine.run(base + ["--format", "csv"])
        XCTAssertTrue([0, 3].contains(csv.exitCode), csv.standardError)
        let lines = csv.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.first, "size,nngp_test_loss,nngp_standard_error,ntk_test_loss,ntk_standard_error,anbk_test_loss,anbk_standard_error,antk_test_loss,antk_standard_error,network_test_loss,network_standard_error")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].split(separator: ",").allSatisfy { Double($0) != nil }, String(lines[1]))
        let bad = AdaptiveKernelsCommandLine.run(Array(base.dropLast(4)) + ["--anbk-samples", "2000"])   // --anbk-samples without --beta
        XCTAssertEqual(bad.exitCode, 2, bad.standardError)
    }
}
