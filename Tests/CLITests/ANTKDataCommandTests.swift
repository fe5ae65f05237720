import Foundation
import XCTest
@testable import Core
import Numerics
@testable import AdaptiveKernelsCLI

/// `antk` with data (.npy): general-C fixed points (notes/antk-deep-linear.md A11, A24), kernels
/// (A6, A7) written with --out, and the test-loss comparison with aNBK and the lazy NTK.
final class ANTKDataCommandTests: XCTestCase {
    var digits: URL { digitsFixtures }




    /// A decimal string, or the value of a quantity object {"value", "float", "kind"} (docs/output.md).
    func number(_ value: Any?) throws -> Double {
        if let object = value as? [String: Any] {
            return try XCTUnwrap(Double(XCTUnwrap(object["value"] as? String)))
        }
        return try XCTUnwrap(Double(XCTUnwrap(value as? String)))
    }

    func numbers(_ value: Any?) throws -> [String: Double] {
        let object = try XCTUnwrap(value as? [String: Any])
        return try object.mapValues { try number($0) }
    }

    func load(_ url: URL) throws -> NPYArray { try NPYArray(npyData: Data(contentsOf: url)) }

    func path(_ name: String) -> String { digits.appendingPathComponent(name).path }

    /// Digits subset (P = 100, D = 64): the command runs, the stable branch has small residuals,
    /// Phi^l written to --out is rank one along C Delta (checked from X, y and the reported a alone),
    /// G^l and K have the forms (A6), (A7), and the test-loss comparison is finite.
    func testDigitsEndToEnd() throws {
        let out = try temporaryFolder().appendingPathComponent("out")
        let depth = 3, lambda = 1.0
        let result = AdaptiveKernelsCommandLine.run([
            "antk", "--gamma", "1", "--lambda", "1", "--depth", String(depth),
            "--train", path("X_train.npy"), "--labels", path("y_train.npy"),
            "--test", path("X_test.npy"), "--test-labels", path("y_test.npy"), "--format", "json", "--out-dir", out.path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertEqual(result.standardError, "")
        let object = try json(result.standardOutput)
        XCTAssertEqual(object["certified"] as? Bool, false)
        XCTAssertEqual(object["train_points"] as? Int, 100)
        XCTAssertEqual(object["features"] as? Int, 64)
        let branches = try XCTUnwrap(object["branches"] as? [[String: Any]])
        XCTAssertEqual(branches.map { $0["kind"] as? String }, ["collapse", "lower", "upper"])
        XCTAssertEqual(branches.map { $0["stable"] as? Bool }, [true, false, true])   // (A24), (A26)
        let upper = branches[2]
        XCTAssertLessThan(try number(upper["equation_residual"]), 1e-10)
        XCTAssertLessThan(try number(upper["predictor_residual"]), 1e-10)
        XCTAssertLessThan(try number(upper["stability_exponent"]), 0)
        let selected = try XCTUnwrap(object["selected_branch"] as? [String: Any])
        XCTAssertEqual(selected["kind"] as? String, "upper")
        XCTAssertEqual(selected["certified"] as? Bool, false)

        let testLoss = try numbers(object["test_loss"])
        XCTAssertEqual(Set(testLoss.keys), ["antk", "anbk", "ntk"])
        XCTAssertTrue(testLoss.values.allSatisfy { $0.isFinite && $0 > 0 })
        XCTAssertEqual(testLoss["antk"]!, try number(upper["test_loss"]))
        XCTAssertEqual((object["anbk"] as? [String: Any])?["beta"] as? String, "1")   // default beta = 1/lambda

        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(written, ["cross_ntk.npy", "cross_phi_3.npy", "grad_1.npy", "grad_3.npy", "ntk.npy",
                                 "phi_1.npy", "phi_3.npy", "summary.json", "test_predictions.csv", "train_predictions.csv"])

        // Independent reconstruction from the data and the reported a: Delta = (I + a C)^{-1} y (A8).
        let x = try load(digits.appendingPathComponent("X_train.npy")), y = try load(digits.appendingPathComponent("y_train.npy")).values
        let p = 100, d = 64
        let c = LinearAlgebra.multiplyTransposed(x.values, x.values, m: p, k: d, n: p).map { $0 / Double(d) }
        let a = try number(upper["a"]), e = try number(upper["layer_norm"])
        var shifted = c.map { a * $0 }
        for i in 0..<p { shifted[i * p + i] += 1 }
        let delta = try XCTUnwrap(LinearAlgebra.solvePositiveDefinite(shifted, y, n: p, rightHandSides: 1))
        let v = LinearAlgebra.multiply(c, vector: delta, m: p, n: p)
        let s = LinearAlgebra.dot(v, delta)
        XCTAssertEqual(a * LinearAlgebra.dot(v, y) / LinearAlgebra.dot(y, y), try number(upper["f_dot_y"]), accuracy: 1e-12)
        XCTAssertEqual(e, pow(lambda * a, 1 / Double(depth)), accuracy: 1e-12 * e)   // (A8)
        for l in [1, depth] {
            let phi = try load(out.appendingPathComponent("phi_\(l).npy"))
            XCTAssertEqual(phi.shape, [p, p])
            // Rank one along v: Phi - (Phi v)(Phi v)^T / (v^T Phi v) vanishes, and Phi v is parallel to v.
            let phiV = LinearAlgebra.multiply(phi.values, vector: v, m: p, n: p)
            let vPhiV = LinearAlgebra.dot(v, phiV)
            let scale = phi.values.map(abs).max()!
            var rankOneResidual = 0.0, formResidual = 0.0
            for i in 0..<p { for j in 0..<p {
                rankOneResidual = max(rankOneResidual, abs(phi.values[i * p + j] - phiV[i] * phiV[j] / vPhiV))
                formResidual = max(formResidual, abs(phi.values[i * p + j] - pow(e, Double(l)) / s * v[i] * v[j]))   // (A6)
            } }
            XCTAssertLessThan(rankOneResidual / scale, 1e-10, "layer \(l)")
            XCTAssertLessThan(formResidual / scale, 1e-10, "layer \(l)")
            let cosine = vPhiV / (LinearAlgebra.dot(phiV, phiV).squareRoot() * LinearAlgebra.dot(v, v).squareRoot())
            XCTAssertEqual(cosine, 1, accuracy: 1e-12)
            let grad = try load(out.appendingPathComponent("grad_\(l).npy"))
            XCTAssertTrue(grad.values.allSatisfy { abs($0 - pow(e, Double(depth + 1 - l))) <= 1e-12 * $0 })   // (A6)
        }
        // K = lambda a (C + (L/s) v v^T) (A7), and f = K Delta/(lambda (L+1)) = a C Delta on the training set.
        let k = try load(out.appendingPathComponent("ntk.npy")).values
        let kScale = k.map(abs).max()!
        for i in 0..<(p * p) {
            XCTAssertEqual(k[i], lambda * a * (c[i] + Double(depth) / s * v[i / p] * v[i % p]), accuracy: 1e-10 * kScale)
        }
        let kDelta = LinearAlgebra.multiply(k, vector: delta, m: p, n: p)
        for i in 0..<p { XCTAssertEqual(kDelta[i] / (lambda * Double(depth + 1)), a * v[i], accuracy: 1e-10) }
        XCTAssertEqual(try load(out.appendingPathComponent("cross_ntk.npy")).shape, [100, 100])
        let summary = try json(String(decoding: Data(contentsOf: out.appendingPathComponent("summary.json")), as: UTF8.self))
        XCTAssertEqual(try numbers(summary["test_loss"]), testLoss)
        // test_predictions.csv: index, label, one column per predictor; its mean squared errors are the losses.
        let rows = try String(contentsOf: out.appendingPathComponent("test_predictions.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "index,label,antk,anbk,ntk")
        let cells = rows.dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
        for (column, name) in ["antk", "anbk", "ntk"].enumerated() {
            let mse = cells.reduce(0.0) { $0 + ($1[2 + column] - $1[1]) * ($1[2 + column] - $1[1]) } / Double(cells.count)
            XCTAssertEqual(mse, testLoss[name]!, accuracy: 1e-12 * testLoss[name]!)
        }
    }

    /// C = I, |y| = 1 written as .npy: the data path reproduces the certified whitened `antk` values
    /// (a, f.y, E, kinds, stability) to working precision.
    func testWhitenedDataReproducesCertifiedANTK() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [4, 4], values: (0..<16).map { $0 % 5 == 0 ? 2 : 0 }), "X.npy", in: folder)   // C = X X^T/4 = I
        let y = try write(NPYArray(shape: [4], values: [0.5, 0.5, -0.5, 0.5]), "y.npy", in: folder)                    // |y| = 1
        for (gamma, lambda, depth) in [("3", "1", 2), ("2", "1", 3), ("9/5", "1", 2), ("3/2", "1/2", 2), ("2", "1", 1), ("3", "1", 8), ("1", "1/2", 2)] {
            let base = ["antk", "--gamma", gamma, "--lambda", lambda, "--depth", String(depth), "--format", "json"]
            let certified = AdaptiveKernelsCommandLine.run(base + ["--digits", "20"])
            let data = AdaptiveKernelsCommandLine.run(base + ["--train", x, "--labels", y])
            XCTAssertEqual(certified.exitCode, 0, certified.standardError)
            XCTAssertEqual(data.exitCode, 0, data.standardError)
            let exact = try XCTUnwrap(try json(certified.standardOutput)["branches"] as? [[String: Any]])
            let general = try XCTUnwrap(try json(data.standardOutput)["branches"] as? [[String: Any]])
            XCTAssertEqual(general.map { $0["kind"] as? String }, exact.map { $0["kind"] as? String }, "\(gamma) \(lambda) \(depth)")
            XCTAssertEqual(general.map { $0["stable"] as? Bool }, exact.map { $0["stable"] as? Bool }, "\(gamma) \(lambda) \(depth)")
            for (g, c) in zip(general, exact) {
                for key in ["a", "f_dot_y", "layer_norm"] {
                    let value = try number(g[key]), reference = try number(c[key])
                    XCTAssertEqual(value, reference, accuracy: 1e-12 * max(1, abs(reference)), "\(key) at \(gamma) \(lambda) \(depth)")
                }
            }
        }
    }

    func testTableOnDigits() {
        let result = AdaptiveKernelsCommandLine.run([
            "antk", "--gamma", "2", "--lambda", "1", "--depth", "2", "--train", path("X_train.npy"), "--labels", path("y_train.npy"),
            "--test", path("X_test.npy"), "--test-labels", path("y_test.npy"), "--beta", "inf"])
        XCTAssertEqual(result.exitCode, 2, "beta = inf needs a nonsingular C; digits C has rank <= 64 < 100")
        let table = AdaptiveKernelsCommandLine.run([
            "antk", "--gamma", "2", "--lambda", "1", "--depth", "2", "--train", path("X_train.npy"), "--labels", path("y_train.npy"),
            "--test", path("X_test.npy"), "--test-labels", path("y_test.npy"), "--beta", "4"])
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("upper: stable  (reported below)"))
        XCTAssertTrue(table.standardOutput.contains("aNBK at beta = 4"))
        XCTAssertTrue(table.standardOutput.contains("predictor    train loss      test loss"))
    }

    func testBadInputFailsCleanlyWithoutOutput() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [3, 2], values: [1, 0, 0, 1, 1, 1]), "X.npy", in: folder)
        let xWide = try write(NPYArray(shape: [2, 3], values: [1, 0, 0, 1, 1, 1]), "Xw.npy", in: folder)
        let y3 = try write(NPYArray(shape: [3], values: [1, -1, 0.5]), "y3.npy", in: folder)
        let y2 = try write(NPYArray(shape: [2], values: [1, -1]), "y2.npy", in: folder)
        let yNaN = try write(NPYArray(shape: [3], values: [1, .nan, 0.5]), "ynan.npy", in: folder)
        let nan = try write(NPYArray(shape: [3, 2], values: [1, 0, .nan, 1, 1, 1]), "nan.npy", in: folder)
        var bytes = [UInt8](NPYArray(shape: [3, 2], values: [1, 0, 0, 1, 1, 1]).serialized())
        let at = try XCTUnwrap((0..<(bytes.count - 3)).first { bytes[$0] == UInt8(ascii: "<") && bytes[$0 + 1] == UInt8(ascii: "f") })
        bytes[at + 1] = UInt8(ascii: "i")
        let ints = folder.appendingPathComponent("ints.npy"); try Data(bytes).write(to: ints)
        let out = folder.appendingPathComponent("out")
        let good = ["--gamma", "1", "--lambda", "1", "--depth", "2"]
        let cases: [([String], String)] = [
            (good + ["--train", x, "--labels", y2], "does not match"),
            (good + ["--train", nan, "--labels", y3], "not finite"),
            (good + ["--train", x, "--labels", yNaN], "not finite"),
            (good + ["--train", ints.path, "--labels", y3], "dtype"),
            (good + ["--train", x, "--labels", y3, "--test", xWide, "--test-labels", y2], "features"),
            (good + ["--train", x, "--labels", y3, "--test", x], "go together"),
            (good + ["--train", x, "--labels", y3, "--beta", "0"], "beta"),
            (good + ["--labels", y3], "--train"),
            (["--gamma", "1", "--lambda", "0", "--depth", "2", "--train", x, "--labels", y3], "lambda"),
            (["--gamma", "1", "--lambda", "-2", "--depth", "2", "--train", x, "--labels", y3], "lambda"),
            (["--gamma", "-1", "--lambda", "1", "--depth", "2", "--train", x, "--labels", y3], "gamma"),
            (["--gamma", "1", "--lambda", "1", "--depth", "0", "--train", x, "--labels", y3], "depth"),
            (good + ["--activation", "relu", "--train", x, "--labels", y3, "--stepper", "rk4"], "--stepper"),
        ]
        for (arguments, message) in cases {
            let result = AdaptiveKernelsCommandLine.run(["antk"] + arguments + ["--out-dir", out.path])
            XCTAssertEqual(result.exitCode, 2, "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments)")
            XCTAssertTrue(result.standardError.contains(message), "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(arguments)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(arguments)")
        }
        // An --out-dir folder that is not empty is refused before anything is replaced.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: out.appendingPathComponent("keep.txt"))
        let refused = AdaptiveKernelsCommandLine.run(["antk"] + good + ["--train", x, "--labels", y3, "--out-dir", out.path])
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["keep.txt"])
    }

    /// notes/antk-nonlinear-data.md (AN16): a layered run (L = 2, ReLU) stopped by the step bound before it
    /// settled exits 3 with its report on stdout (marked unconverged, with the window drift, and no branch (AN18)) and
    /// the reason on stderr; the layered options are refused at L = 1 with Euler (exit 2, nothing on stdout).
    func testUnsettledLayeredRunExitsThree() {
        let base = ["antk", "--activation", "relu", "--gamma", "1", "--lambda", "1/5", "--population", "16", "--seeds", "2",
                    "--train", path("X_train.npy"), "--labels", path("y_train.npy")]
        let result = AdaptiveKernelsCommandLine.run(base + ["--depth", "2", "--max-steps", "5", "--format", "json"])
        XCTAssertEqual(result.exitCode, 3, result.standardError)
        XCTAssertTrue(result.standardError.contains("no stationary point reached"), result.standardError)
        XCTAssertTrue(result.standardError.contains("a run also stops after 5 steps"), result.standardError)
        let object = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        XCTAssertEqual(object?["stationary_runs"] as? Int, 0)
        XCTAssertEqual(object?["settled_runs"] as? Int, 0)
        XCTAssertEqual(object?["window_drift"] as? String, "-1")
        // (AN18): end states still moving are on no branch, so there is nothing to split.
        let branches = object?["branches"] as? [String: Any]
        XCTAssertEqual(branches?["mixed"] as? Bool, false)
        XCTAssertEqual((branches?["list"] as? [Any])?.count, 0)
        XCTAssertFalse(result.standardError.contains("different branches"), result.standardError)
        let refused = AdaptiveKernelsCommandLine.run(base + ["--depth", "1", "--drift-tolerance", "0.1"])
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertEqual(refused.standardOutput, "")
        XCTAssertTrue(refused.standardError.contains("--drift-tolerance"), refused.standardError)
    }

    /// notes/antk-nonlinear-data.md (AN18): ReLU, L = 3, the first 8 training and 2 test digits, gamma = 1,
    /// lambda = 3/10, 4 populations of 64. At seed 1 populations 1 and 3 collapse to f = 0 and 2 and 4 settle at a
    /// fit (train loss 0.389; measured 0.68 |y| apart): the report names the two branches and the command exits 3
    /// with one line on stderr. At seed 2 all four settle at that fit (measured within 0.002 |y|): one branch, exit 0.
    func testPopulationsOnDifferentBranchesExitThree() throws {
        let folder = try temporaryFolder()
        let x = try load(digits.appendingPathComponent("X_train.npy")), y = try load(digits.appendingPathComponent("y_train.npy"))
        let xt = try load(digits.appendingPathComponent("X_test.npy")), yt = try load(digits.appendingPathComponent("y_test.npy"))
        let d = x.shape[1]
        let files = [try write(NPYArray(shape: [8, d], values: Array(x.values[0..<(8 * d)])), "x.npy", in: folder),
                     try write(NPYArray(shape: [8], values: Array(y.values[0..<8])), "y.npy", in: folder),
                     try write(NPYArray(shape: [2, d], values: Array(xt.values[0..<(2 * d)])), "xt.npy", in: folder),
                     try write(NPYArray(shape: [2], values: Array(yt.values[0..<2])), "yt.npy", in: folder)]
        let base = ["antk", "--activation", "relu", "--gamma", "1", "--lambda", "3/10", "--depth", "3", "--population", "64", "--seeds", "4",
                    "--train", files[0], "--labels", files[1], "--test", files[2], "--test-labels", files[3], "--format", "json"]
        let validator = try OutputContractValidator.load()

        let mixed = AdaptiveKernelsCommandLine.run(base + ["--seed", "1"])
        XCTAssertEqual(mixed.exitCode, 3, mixed.standardError)
        XCTAssertEqual(mixed.standardError.split(separator: "\n").count, 1, mixed.standardError)
        XCTAssertTrue(mixed.standardError.contains("different branches"), mixed.standardError)
        XCTAssertTrue(mixed.standardError.contains("collapse (f = 0) populations 1, 3"), mixed.standardError)
        XCTAssertFalse(mixed.standardError.contains("no stationary point"), mixed.standardError)
        XCTAssertEqual(validator.violations(mixed.standardOutput, command: "antk --activation"), [])
        let object = try json(mixed.standardOutput)
        let branches = try XCTUnwrap(object["branches"] as? [String: Any])
        XCTAssertEqual(branches["mixed"] as? Bool, true)
        let list = try XCTUnwrap(branches["list"] as? [[String: Any]])
        XCTAssertEqual(list.map { $0["kind"] as? String }, ["collapse", "nontrivial"])
        XCTAssertEqual(list.map { $0["populations"] as? [Int] }, [[1, 3], [2, 4]])
        XCTAssertEqual(try number((list[0]["train_loss"] as? [String: Any])?["value"]), 1, accuracy: 1e-6)
        XCTAssertEqual(try number((list[1]["train_loss"] as? [String: Any])?["value"]), 0.389, accuracy: 2e-3)
        XCTAssertGreaterThan(try number(branches["smallest_between_distance"]), 0.5)

        let single = AdaptiveKernelsCommandLine.run(base + ["--seed", "2"])
        XCTAssertEqual(single.exitCode, 0, single.standardError)
        XCTAssertEqual(validator.violations(single.standardOutput, command: "antk --activation"), [])
        let one = try XCTUnwrap(try json(single.standardOutput)["branches"] as? [String: Any])
        XCTAssertEqual(one["mixed"] as? Bool, false)
        XCTAssertEqual((one["list"] as? [[String: Any]])?.first?["populations"] as? [Int], [1, 2, 3, 4])
        XCTAssertLessThan(try number(one["largest_within_distance"]), 1e-2)
    }
}
