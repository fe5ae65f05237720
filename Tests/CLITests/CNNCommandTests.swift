import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI

/// `--architecture mlp|cnn` on `antk` (population path) and `train` (notes/cnn-two-layer.md).
final class CNNCommandTests: XCTestCase {
    /// The first 12 training and 4 test digits (8 x 8 x 1 images), written as .npy files.
    var data: [String] {
        get throws {
            let digits = try LabelledData.npyDirectory(digitsFixtures.path, train: 12, test: 4)
            let folder = try temporaryFolder()
            return ["--train", try write(NPYArray(shape: [12, 64], values: digits.trainInputs), "X.npy", in: folder),
                    "--labels", try write(NPYArray(shape: [12], values: digits.labels), "y.npy", in: folder),
                    "--test", try write(NPYArray(shape: [4, 64], values: digits.testInputs), "Xt.npy", in: folder),
                    "--test-labels", try write(NPYArray(shape: [4], values: digits.testLabels), "yt.npy", in: folder)]
        }
    }

    /// Mean test loss of the antk / train JSON document.
    func testLoss(_ text: String, _ key: String?) throws -> Double {
        let document = try JSONValue.parse(text)
        var value = try XCTUnwrap(document["test_loss"])
        if let key { value = try XCTUnwrap(value[key]) }
        guard case .string(let s)? = value["value"], let x = Double(s) else { XCTFail("no test loss in \(text.prefix(200))"); return .nan }
        return x
    }

    /// Without the option every output is unchanged; --architecture mlp only adds the "architecture"
    /// member; patch = image (CN8) gives the MLP's numbers to rounding; cnn echoes its geometry.
    func testArchitectureOption() throws {
        let antk = ["antk", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--depth", "1", "--population", "64", "--seeds", "2",
                    "--time", "2", "--format", "json"] + (try data)
        let plain = AdaptiveKernelsCommandLine.run(antk)
        XCTAssertEqual(plain.exitCode, 0, plain.standardError)
        XCTAssertFalse(plain.standardOutput.contains("architecture"))
        let mlp = AdaptiveKernelsCommandLine.run(antk + ["--architecture", "mlp"])
        XCTAssertEqual(mlp.exitCode, 0, mlp.standardError)
        let mlpDocument = try JSONValue.parse(mlp.standardOutput)
        XCTAssertEqual(mlpDocument["architecture"]?["kind"], .string("mlp"))
        XCTAssertEqual(mlpDocument["architecture"]?["patch"], .null)
        XCTAssertEqual(try testLoss(mlp.standardOutput, "antk"), try testLoss(plain.standardOutput, "antk"))
        let table = Array(antk.dropLast(2))
        XCTAssertEqual(AdaptiveKernelsCommandLine.run(table + ["--architecture", "mlp"]).standardOutput, AdaptiveKernelsCommandLine.run(table).standardOutput)

        let whole = AdaptiveKernelsCommandLine.run(antk + ["--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "8"])
        XCTAssertEqual(whole.exitCode, 0, whole.standardError)
        for key in ["antk", "nngp", "ntk"] {
            let a = try testLoss(whole.standardOutput, key), b = try testLoss(plain.standardOutput, key)
            XCTAssertEqual(a, b, accuracy: 1e-9 * abs(b), key)
        }
        let cnn = AdaptiveKernelsCommandLine.run(antk + ["--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "3", "--stride", "2"])
        XCTAssertEqual(cnn.exitCode, 0, cnn.standardError)
        let document = try JSONValue.parse(cnn.standardOutput)
        XCTAssertEqual(document["architecture"]?["image_shape"], .array([.integer(8), .integer(8), .integer(1)]))
        XCTAssertEqual(document["architecture"]?["patch"], .integer(3))
        XCTAssertEqual(document["architecture"]?["stride"], .integer(2))
        XCTAssertEqual(document["solver"], .string("population DMFT (two-layer CNN)"))

        let train = ["train", "--activation", "relu", "--depth", "1", "--width", "32", "--gamma", "1", "--lambda", "1/2", "--seeds", "2",
                     "--time", "2", "--format", "json"] + (try data)
        let plainTrain = AdaptiveKernelsCommandLine.run(train)
        let wholeTrain = AdaptiveKernelsCommandLine.run(train + ["--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "8"])
        XCTAssertEqual(wholeTrain.exitCode, 0, wholeTrain.standardError)
        XCTAssertFalse(plainTrain.standardOutput.contains("architecture"))
        XCTAssertEqual(try testLoss(wholeTrain.standardOutput, nil), try testLoss(plainTrain.standardOutput, nil), accuracy: 1e-9)
        let cnnTrain = AdaptiveKernelsCommandLine.run(train + ["--architecture", "cnn", "--image-shape", "8x8x1", "--patch", "3"])
        XCTAssertEqual(cnnTrain.exitCode, 0, cnnTrain.standardError)
        XCTAssertEqual(try JSONValue.parse(cnnTrain.standardOutput)["architecture"]?["kind"], .string("cnn"))
    }

    /// Bad input: exit 2, one line, nothing on stdout.
    func testBadArchitectureInputIsRefused() throws {
        let data = try self.data
        let antk = ["antk", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--population", "16", "--seeds", "2", "--time", "1"] + data
        let cnn = ["--architecture", "cnn", "--image-shape", "8x8x1"]
        let train = ["train", "--activation", "relu", "--width", "8", "--gamma", "1", "--lambda", "1", "--seeds", "2", "--time", "1"] + data
        for bad in [antk + ["--depth", "1"] + cnn + ["--patch", "9"],                 // patch larger than the image
                    antk + ["--depth", "1"] + cnn + ["--patch", "3", "--stride", "0"],  // stride < 1
                    antk + ["--depth", "1", "--architecture", "cnn", "--image-shape", "8x8x2", "--patch", "3"],  // 128 features, D = 64
                    antk + ["--depth", "2"] + cnn + ["--patch", "3"],                   // not two-layer
                    antk + ["--depth", "1"] + cnn,                                      // no patch
                    antk + ["--depth", "1", "--architecture", "rnn"],
                    antk + ["--depth", "1", "--patch", "3"],
                    antk + ["--depth", "1", "--architecture", "mlp", "--stride", "2"],
                    ["antk", "--gamma", "1", "--lambda", "1", "--depth", "2", "--architecture", "mlp"],  // exact whitened path
                    train + ["--depth", "2"] + cnn + ["--patch", "3"],
                    train + ["--depth", "1"] + cnn + ["--patch", "0"],
                    train + ["--depth", "1", "--architecture", "cnn", "--image-shape", "4x4x1", "--patch", "2"],
                    ["train", "--activation", "relu", "--depth", "1", "--width", "8", "--gamma", "1", "--beta", "1", "--seeds", "2"] + data + cnn + ["--patch", "3"]] {
            let r = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(r.exitCode, 2, "\(bad): \(r.standardError)")
            XCTAssertEqual(r.standardOutput, "", "\(bad)")
            XCTAssertEqual(r.standardError.split(separator: "\n").count, 1, r.standardError)
        }
    }

    /// `learning-curve --compare mlp,cnn`: the contract, and patch = image (CN8) gives the MLP's columns
    /// (both architectures run from the same seeds) to rounding.
    func testLearningCurveComparesArchitectures() throws {
        let validator = try OutputContractValidator.load()
        let rest = ["--image-shape", "8x8x1", "--activation", "relu", "--gamma", "1", "--lambda", "1/10",
                    "--sizes", "6,12", "--population", "32", "--time", "2", "--width", "16", "--networks", "2"] + (try data)
        let base = ["learning-curve", "--compare", "mlp,cnn"] + rest + ["--format", "json"]
        let whole = AdaptiveKernelsCommandLine.run(base + ["--patch", "8"])
        XCTAssertEqual(whole.exitCode, 0, whole.standardError)
        XCTAssertEqual(validator.violations(whole.standardOutput, command: "learning-curve --compare"), [])
        let points = try XCTUnwrap(JSONValue.parse(whole.standardOutput)["points"])
        guard case .array(let rows) = points else { return XCTFail("no points") }
        XCTAssertEqual(rows.count, 2)
        func value(_ row: JSONValue, _ key: String) throws -> Double {
            guard case .string(let s)? = row[key]?["value"], let x = Double(s) else { throw XCTSkip("no \(key)") }
            return x
        }
        for row in rows { for kind in ["ntk", "antk"] {
            XCTAssertEqual(try value(row, "cnn_" + kind), try value(row, "mlp_" + kind), accuracy: 1e-9 * abs(try value(row, "mlp_" + kind)))
        } }
        let cnn = AdaptiveKernelsCommandLine.run(["learning-curve", "--compare", "mlp,cnn"] + rest + ["--patch", "3", "--stride", "2", "--format", "csv"])
        XCTAssertEqual(cnn.exitCode, 0, cnn.standardError)
        XCTAssertTrue(cnn.standardOutput.hasPrefix("size,mlp_ntk_test_loss,mlp_ntk_standard_error,mlp_antk_test_loss,mlp_antk_standard_error,mlp_network_test_loss,mlp_network_standard_error,cnn_ntk_test_loss"))
        for bad in [base, base + ["--patch", "9"], base + ["--patch", "3", "--beta", "1"],                     ["learning-curve", "--compare", "mlp,mlp"] + rest + ["--patch", "3"],
                    ["learning-curve", "--compare", "rnn"] + rest + ["--patch", "3"],
                    ["learning-curve"] + rest + ["--patch", "3"]] {
            let r = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(r.exitCode, 2, "\(bad): \(r.standardError)")
            XCTAssertEqual(r.standardOutput, "")
        }
    }
}
