import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI

/// `anbk --architecture cnn` (notes/cnn-bayes.md) and `verify cnn` (notes/cnn-two-layer.md (CN11)).
final class CNNBayesCommandTests: XCTestCase {
    /// The first 6 training and 2 test digits (8 x 8 x 1 images), written as .npy files.
    var data: [String] {
        get throws {
            let digits = try LabelledData.npyDirectory(digitsFixtures.path, train: 6, test: 2)
            let folder = try temporaryFolder()
            return ["--train", try write(NPYArray(shape: [6, 64], values: digits.trainInputs), "X.npy", in: folder),
                    "--labels", try write(NPYArray(shape: [6], values: digits.labels), "y.npy", in: folder),
                    "--test", try write(NPYArray(shape: [2, 64], values: digits.testInputs), "Xt.npy", in: folder),
                    "--test-labels", try write(NPYArray(shape: [2], values: digits.testLabels), "yt.npy", in: folder)]
        }
    }

    func value(_ document: JSONValue, _ path: [String]) throws -> Double {
        var v = document
        for key in path { v = try XCTUnwrap(v[key], key) }
        if case .string(let s) = v, let x = Double(s) { return x }
        if case .string(let s)? = v["value"], let x = Double(s) { return x }
        XCTFail("no number at \(path)"); return .nan
    }

    /// The identity CNN is solved exactly on the pooled-patch kernel (CB1); patch = image is the MLP's
    /// exact path to rounding; the min-max path reports estimated numbers and echoes the architecture.
    func testANBKArchitectureCNN() throws {
        let base = ["anbk", "--depth", "1", "--gamma", "1/2", "--beta", "10", "--format", "json"] + (try data)
        let cnnOptions = ["--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "3", "--stride", "2"]
        let exact = AdaptiveKernelsCommandLine.run(base + ["--activation", "identity"] + cnnOptions)
        XCTAssertEqual(exact.exitCode, 0, exact.standardError)
        let document = try JSONValue.parse(exact.standardOutput)
        XCTAssertEqual(document["command"], .string("anbk"))
        XCTAssertEqual(document["architecture"]?["kind"], .string("cnn"))
        XCTAssertEqual(document["architecture"]?["patch"], .integer(3))
        XCTAssertEqual(document["solver"], .string("exact deep linear"))
        let mlp = try JSONValue.parse(AdaptiveKernelsCommandLine.run(base + ["--activation", "identity"]).standardOutput)
        let whole = try JSONValue.parse(AdaptiveKernelsCommandLine.run(base + ["--activation", "identity", "--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "8"]).standardOutput)
        for path in [["test_loss", "anbk"], ["train_loss", "nngp"], ["test_loss", "ntk"]] {
            XCTAssertEqual(try value(whole, path), try value(mlp, path), accuracy: 1e-12 * max(1, abs(try value(mlp, path))), "\(path)")
        }
        XCTAssertNotEqual(try value(document, ["test_loss", "anbk"]), try value(mlp, ["test_loss", "anbk"]))
        let minmax = AdaptiveKernelsCommandLine.run(base + ["--activation", "relu", "--samples", "400", "--burn-in", "10", "--measured", "20"] + cnnOptions)
        XCTAssertTrue([0, 3].contains(minmax.exitCode), minmax.standardError)
        let m = try JSONValue.parse(minmax.standardOutput)
        XCTAssertEqual(m["architecture"]?["stride"], .integer(2))
        XCTAssertEqual(m["test_loss"]?["anbk"]?["kind"], .string("estimated"))
        XCTAssertEqual(m["test_loss"]?["nngp"]?["kind"], .string("approximate"))
        let table = AdaptiveKernelsCommandLine.run(Array(base.filter { $0 != "--format" && $0 != "json" }) + ["--activation", "identity"] + cnnOptions)
        XCTAssertTrue(table.standardOutput.contains("|P| = 9 positions"), table.standardOutput)
    }

    func testANBKArchitectureRefusals() throws {
        let base = ["anbk", "--activation", "relu", "--gamma", "1/2", "--beta", "10"] + (try data)
        for extra in [["--depth", "2", "--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "3"],
                      ["--depth", "1", "--architecture", "cnn", "--image-shape", "4x4x1", "--patch", "3"],
                      ["--depth", "1", "--patch", "3"]] {
            let r = AdaptiveKernelsCommandLine.run(base + extra)
            XCTAssertEqual(r.exitCode, 2, "\(extra): \(r.standardError)")
            XCTAssertEqual(r.standardOutput, "")
            XCTAssertEqual(r.standardError.split(separator: "\n").count, 1, r.standardError)
        }
    }

    /// `verify cnn` follows the verify report rules (reduced sizes: the plan's pipeline, not its power).
    func testVerifyCNNReport() throws {
        let r = AdaptiveKernelsCommandLine.run(["verify", "cnn", "--quick", "--activation", "relu", "--widths", "32,64", "--seeds", "3",
                                                "--populations", "3", "--sites", "128", "--format", "json", "--seed", "4"])
        XCTAssertTrue([0, 3, 4].contains(r.exitCode), r.standardError)
        let document = try JSONValue.parse(r.standardOutput)
        XCTAssertEqual(document["schema"], .string("adaptive-kernels/2"))
        XCTAssertEqual(document["command"], .string("verify cnn"))
        XCTAssertEqual(document["seed"], .integer(4))
        guard case .array(let cases)? = document["cases"] else { return XCTFail("no cases") }
        XCTAssertEqual(cases.count, 5)
        XCTAssertNotNil(cases[0]["estimates"]?["population_dmft"])
        XCTAssertNotNil(cases[0]["estimates"]?["finite_width"])
        let bad = AdaptiveKernelsCommandLine.run(["verify", "cnn", "--quick", "--widths", "64"])
        XCTAssertEqual(bad.exitCode, 2); XCTAssertEqual(bad.standardOutput, "")
    }
}
