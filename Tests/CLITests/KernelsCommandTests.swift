import Foundation
import XCTest
import Numerics
@testable import AdaptiveKernelsCLI

final class KernelsCommandTests: XCTestCase {
    let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/digits")

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernels-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func write(_ array: NPYArray, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try array.serialized().write(to: url)
        return url.path
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func testWhitenedDataReproducesOverlaps() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [4, 4], values: (0..<16).map { $0 % 5 == 0 ? 2 : 0 }), "X.npy", in: folder)  // C = I
        let y = try write(NPYArray(shape: [4], values: [0.5, 0.5, -0.5, 0.5]), "y.npy", in: folder)                   // |y| = 1
        let reference = try json(AdaptiveKernelsCommandLine.run(["overlaps", "--gamma", "4", "--beta", "10", "--depth", "16", "--format", "json"]).standardOutput)
        let result = AdaptiveKernelsCommandLine.run(["kernels", "--train", x, "--labels", y, "--gamma", "4", "--beta", "10", "--depth", "16", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        XCTAssertEqual(object["certified_overlaps"] as? Bool, true)
        let overlaps = try XCTUnwrap((object["overlap"] as? [String: Any])?["anbk"] as? [String])
        let expected = try XCTUnwrap((reference["roots"] as? [[String: Any]])?.first?["overlaps"] as? [String])
        XCTAssertEqual(overlaps, expected)
        XCTAssertEqual(overlaps.last, "55.7907349152731303453039220700")
    }

    func testDigitsEndToEnd() throws {
        let out = try temporaryFolder().appendingPathComponent("out")
        let result = AdaptiveKernelsCommandLine.run([
            "kernels", "--train", digits.appendingPathComponent("X_train.npy").path, "--labels", digits.appendingPathComponent("y_train.npy").path,
            "--test", digits.appendingPathComponent("X_test.npy").path, "--test-labels", digits.appendingPathComponent("y_test.npy").path,
            "--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json", "--out", out.path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        let testLoss = try XCTUnwrap(object["test_loss"] as? [String: Double])
        XCTAssertEqual(Set(testLoss.keys), ["anbk", "nngp", "ntk", "nngp_relu", "ntk_relu"])
        XCTAssertTrue(testLoss.values.allSatisfy { $0.isFinite && $0 >= 0 })
        let alignment = try XCTUnwrap((object["alignment"] as? [String: Any])?["anbk"] as? [Double])
        XCTAssertEqual(alignment.count, 3)
        XCTAssertGreaterThan(alignment[2], try XCTUnwrap((object["alignment"] as? [String: Any])?["nngp"] as? Double))
        let check = try XCTUnwrap((object["matrix_check"] as? [[String: Any]])?.first)
        XCTAssertLessThan(try XCTUnwrap(check["relative_difference_phi_L"] as? Double), 1e-8)
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(written, ["cross_3.npy", "phi_1.npy", "phi_3.npy", "predictions.csv", "summary.json"])
        let phi = try NPYArray(npyData: Data(contentsOf: out.appendingPathComponent("phi_3.npy")))
        XCTAssertEqual(phi.shape, [100, 100])
    }

    func testBadInputsFailCleanlyWithoutOutput() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [3, 2], values: [1, 0, 0, 1, 1, 1]), "X.npy", in: folder)
        let y3 = try write(NPYArray(shape: [3], values: [1, -1, 0.5]), "y3.npy", in: folder)
        let y2 = try write(NPYArray(shape: [2], values: [1, -1]), "y2.npy", in: folder)
        let nan = try write(NPYArray(shape: [3, 2], values: [1, 0, .nan, 1, 1, 1]), "nan.npy", in: folder)
        let full = NPYArray(shape: [3, 2], values: [1, 0, 0, 1, 1, 1]).serialized()
        let truncated = folder.appendingPathComponent("truncated.npy"); try full.prefix(full.count - 5).write(to: truncated)
        let empty = folder.appendingPathComponent("empty.npy"); try Data().write(to: empty)
        let emptyCSV = folder.appendingPathComponent("empty.csv"); try Data().write(to: emptyCSV)
        var wrongType = [UInt8](full)
        if let at = (0..<(wrongType.count - 3)).first(where: { wrongType[$0] == UInt8(ascii: "<") && wrongType[$0 + 1] == UInt8(ascii: "f") }) {
            wrongType[at + 1] = UInt8(ascii: "i")
        }
        let ints = folder.appendingPathComponent("ints.npy"); try Data(wrongType).write(to: ints)
        let out = folder.appendingPathComponent("out")
        let base = ["--gamma", "1", "--depth", "2", "--out", out.path]
        let cases: [([String], String)] = [
            (["--train", x, "--labels", y2], "does not match"),
            (["--train", nan, "--labels", y3], "not finite"),
            (["--train", truncated.path, "--labels", y3], "truncated"),
            (["--train", empty.path, "--labels", y3], "empty"),
            (["--train", emptyCSV.path, "--labels", y3], "empty"),
            (["--train", ints.path, "--labels", y3], "dtype"),
            (["--train", x, "--labels", y3, "--beta", "inf"], "singular"),
        ]
        for (arguments, message) in cases {
            var all = ["kernels"] + arguments
            all += base + (arguments.contains("--beta") ? [] : ["--beta", "2"])
            let result = AdaptiveKernelsCommandLine.run(all)
            XCTAssertEqual(result.exitCode, 2, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(message), "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
    }
}
