import Foundation
import XCTest
@testable import Core
import Numerics
@testable import AdaptiveKernelsCLI

final class KernelsCommandTests: XCTestCase {
    var digits: URL { digitsFixtures }




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
            "--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json", "--out-dir", out.path, "--check-time", "600"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        let testLoss = try XCTUnwrap(object["test_loss"] as? [String: [String: Any]]).mapValues { try XCTUnwrap($0["float"] as? Double) }
        XCTAssertEqual(Set(testLoss.keys), ["anbk", "nngp", "ntk", "nngp_relu", "ntk_relu"])
        XCTAssertTrue(testLoss.values.allSatisfy { $0.isFinite && $0 >= 0 })
        let alignment = try XCTUnwrap(((object["alignment"] as? [String: Any])?["anbk"] as? [String: Any])?["floats"] as? [Double])
        XCTAssertEqual(alignment.count, 3)
        XCTAssertGreaterThan(alignment[2], try XCTUnwrap(((object["alignment"] as? [String: Any])?["nngp"] as? [String: Any])?["float"] as? Double))
        XCTAssertEqual(object["check"] as? String, "agrees")
        let root = try XCTUnwrap((object["roots"] as? [[String: Any]])?.first)
        XCTAssertEqual(root["check"] as? String, "agrees")
        XCTAssertLessThan(try XCTUnwrap(Double(try XCTUnwrap(root["check_relative_difference_phi_l"] as? String))), 1e-8)
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(written, ["cross_3.npy", "phi_1.npy", "phi_3.npy", "summary.json", "test_predictions.csv", "train_predictions.csv"])
        let phi = try NPYArray(npyData: Data(contentsOf: out.appendingPathComponent("phi_3.npy")))
        XCTAssertEqual(phi.shape, [100, 100])
    }

    func testNoReLUBaselinesDropsOnlyTheReLUKeys() throws {
        let base = ["kernels", "--train", digits.appendingPathComponent("X_train.npy").path, "--labels", digits.appendingPathComponent("y_train.npy").path,
                    "--test", digits.appendingPathComponent("X_test.npy").path, "--test-labels", digits.appendingPathComponent("y_test.npy").path,
                    "--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json", "--no-check"]
        let full = AdaptiveKernelsCommandLine.run(base), linear = AdaptiveKernelsCommandLine.run(base + ["--no-relu-baselines"])
        XCTAssertEqual(full.exitCode, 0, full.standardError)
        XCTAssertEqual(linear.exitCode, 0, linear.standardError)
        var a = try json(full.standardOutput), b = try json(linear.standardOutput)
        for key in ["overlap", "alignment", "train_loss", "test_loss"] {
            var fullGroup = try XCTUnwrap(a[key] as? [String: Any])
            var linearGroup = try XCTUnwrap(b[key] as? [String: Any])
            for name in ["nngp_relu", "ntk_relu"] {
                XCTAssertNotNil(fullGroup.removeValue(forKey: name) as? [String: Any], "\(key).\(name)")
                XCTAssertTrue(linearGroup.removeValue(forKey: name) is NSNull, "\(key).\(name) is null when left out")
            }
            XCTAssertEqual(Set(fullGroup.keys), Set(linearGroup.keys), key)
            a[key] = fullGroup; b[key] = linearGroup
        }
        // Everything else is the same to the last digit printed.
        XCTAssertEqual(NSDictionary(dictionary: a), NSDictionary(dictionary: b))
        let out = try temporaryFolder().appendingPathComponent("out")
        XCTAssertEqual(AdaptiveKernelsCommandLine.run(base + ["--no-relu-baselines", "--out-dir", out.path]).exitCode, 0)
        let header = try String(contentsOf: out.appendingPathComponent("test_predictions.csv"), encoding: .utf8).split(separator: "\n").first
        XCTAssertEqual(header, "index,label,anbk,nngp,ntk")
        let exact = AdaptiveKernelsCommandLine.run(["kernels", "--exact", "--kernel", "x.csv", "--labels", "y.csv", "--gamma", "1", "--beta", "10",
                                                    "--depth", "2", "--no-relu-baselines"])
        XCTAssertEqual(exact.exitCode, 2)
        XCTAssertTrue(exact.standardError.contains("--no-relu-baselines is not available with --exact"), exact.standardError)
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
        let base = ["--gamma", "1", "--depth", "2", "--out-dir", out.path]
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

    func testExactPathPrintsCertifiedDigits() throws {
        let folder = try temporaryFolder()
        let kernel = folder.appendingPathComponent("C.csv"), labels = folder.appendingPathComponent("y.csv")
        try "# tridiagonal, exact entries\n1, 1/2, 0\n0.5, 1, 1/2\n0, 5e-1, 1\n".write(to: kernel, atomically: true, encoding: .utf8)
        try "y\n1\n-1/2\n1/3\n".write(to: labels, atomically: true, encoding: .utf8)
        let result = AdaptiveKernelsCommandLine.run(["kernels", "--exact", "--kernel", kernel.path, "--labels", labels.path,
                                                     "--gamma", "1", "--beta", "10", "--depth", "4", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        XCTAssertEqual(object["certified"] as? Bool, true)
        let roots = try XCTUnwrap(object["roots"] as? [[String: Any]])
        XCTAssertEqual(roots.count, 1)
        // notes/checks/certified_general_kernel.py (mpmath) rounded to 30 digits.
        XCTAssertEqual(roots[0]["u"] as? String, "0.569560985187867245235991392092")
        let overlaps = try XCTUnwrap((object["overlap"] as? [String: Any])?["anbk"] as? [String])
        XCTAssertEqual(overlaps.first, "0.715149588401432595529470438834")
        XCTAssertEqual(overlaps.last, "2.33416379681324290674931778736")
        let table = AdaptiveKernelsCommandLine.run(["kernels", "--exact", "--kernel", kernel.path, "--labels", labels.path,
                                                    "--gamma", "1", "--beta", "10", "--depth", "4", "--digits", "12"])
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("certified"))
        XCTAssertTrue(table.standardOutput.contains("    4  2.33416379681"))

        // Features given exactly (C = X X^T / D = I): the whitened certified overlaps, every digit.
        let x = folder.appendingPathComponent("X.csv"), y = folder.appendingPathComponent("y4.csv")
        try "2,0,0,0\n0,2,0,0\n0,0,2,0\n0,0,0,2\n".write(to: x, atomically: true, encoding: .utf8)
        try "0.5\n0.5\n-0.5\n0.5\n".write(to: y, atomically: true, encoding: .utf8)
        let whitened = AdaptiveKernelsCommandLine.run(["kernels", "--exact", "--train", x.path, "--labels", y.path,
                                                       "--gamma", "4", "--beta", "10", "--depth", "16", "--format", "json"])
        XCTAssertEqual(whitened.exitCode, 0, whitened.standardError)
        let anbk = try XCTUnwrap((try json(whitened.standardOutput)["overlap"] as? [String: Any])?["anbk"] as? [String])
        XCTAssertEqual(anbk.last, "55.7907349152731303453039220700")

        // The working-precision path says that it is not certified.
        let xn = try write(NPYArray(shape: [4, 4], values: (0..<16).map { $0 % 5 == 0 ? 2 : 0 }), "X.npy", in: folder)
        let yn = try write(NPYArray(shape: [4], values: [0.5, 0.5, -0.5, 0.7]), "y.npy", in: folder)
        let float = AdaptiveKernelsCommandLine.run(["kernels", "--train", xn, "--labels", yn, "--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json", "--no-check"])
        XCTAssertEqual(float.exitCode, 0, float.standardError)
        XCTAssertEqual(try json(float.standardOutput)["certified"] as? Bool, false)
    }

    func testExactPathBadInputs() throws {
        let folder = try temporaryFolder()
        func file(_ name: String, _ text: String) throws -> String {
            let url = folder.appendingPathComponent(name); try text.write(to: url, atomically: true, encoding: .utf8); return url.path
        }
        let indefinite = try file("indefinite.csv", "1,1,1\n1,1,1\n1,1,0.999999999999999999999999999999\n")
        let asymmetric = try file("asym.csv", "1,1/3\n0.3333333333333333,1\n")
        let badEntry = try file("bad.csv", "1,1/0\n1,1\n")
        let y3 = try file("y3.csv", "1\n0\n0\n"), y2 = try file("y2.csv", "1\n0\n")
        let cases: [([String], String)] = [
            (["--exact", "--kernel", indefinite, "--labels", y3], "not positive semidefinite"),
            (["--exact", "--kernel", asymmetric, "--labels", y2], "not symmetric"),
            (["--exact", "--kernel", badEntry, "--labels", y2], "zero denominator"),
            (["--exact", "--kernel", indefinite, "--labels", y2], "does not match"),
            (["--kernel", indefinite, "--labels", y3], "needs --exact"),
        ]
        for (arguments, message) in cases {
            let result = AdaptiveKernelsCommandLine.run(["kernels"] + arguments + ["--gamma", "1", "--beta", "2", "--depth", "2"])
            XCTAssertEqual(result.exitCode, 2, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(message), "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1)
            XCTAssertEqual(result.standardOutput, "")
        }
    }
}
