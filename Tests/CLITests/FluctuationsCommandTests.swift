import XCTest
import Foundation
import Numerics
import Core
import Theory
@testable import AdaptiveKernelsCLI

/// `fluctuations`: the JSON report follows the contract, its certified values are those of the
/// library's reference case (notes/checks/fluctuations_bayes_reference.py), and bad or unavailable
/// input is one line on stderr with exit status 2 and nothing on stdout.
final class FluctuationsCommandTests: XCTestCase {
    func testJSONReportCarriesTheCertifiedReferenceValues() throws {
        let result = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "bayes", "--activation", "identity", "--depth", "2",
                                                     "--gamma", "1", "--beta", "2", "--whitened-points", "3", "--digits", "15", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "fluctuations"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["overlap_variance"]?["values"], .array([.string("2.38226884913710"), .string("7.48826980292201")]))
        XCTAssertEqual(document["overlap_mean_shift"]?["values"], .array([.string("-0.0676513123362151"), .string("-1.01314003005902")]))
        XCTAssertEqual(document["kernel_variance"]?["value"], .string("1.72091886699133"))
        XCTAssertEqual(document["ntk_variance"], .null)
    }

    func testLazyLimitTableAndCSV() throws {
        let csv = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "bayes", "--depth", "3", "--gamma", "0", "--beta", "1", "--format", "csv"])
        XCTAssertEqual(csv.exitCode, 0, csv.standardError)
        let rows = csv.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.map { Double($0[2]) }, [2, 4, 6])          // N Var c_l = 2 l (FB12)
        XCTAssertEqual(rows.map { Double($0[5]) }, [-0.5, -1, -1.5])   // N (E c_l - 1) = -l/(1 + b)
        let table = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "bayes", "--depth", "1", "--gamma", "0", "--beta", "1"])
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("unbounded (gamma = 0, finite beta)"))
    }

    func testBadAndUnavailableInputExitTwo() {
        let base = ["fluctuations", "--setting", "bayes", "--depth", "2", "--gamma", "1", "--beta", "2"]
        for (arguments, fragment) in [
            (["fluctuations", "--setting", "bayes", "--depth", "2", "--gamma", "-1", "--beta", "2"], "gamma"),
            (["fluctuations", "--setting", "bayes", "--depth", "0", "--gamma", "1", "--beta", "2"], "depth"),
            (["fluctuations", "--setting", "bayes", "--depth", "2", "--gamma", "1", "--beta", "0"], "beta"),
            (base + ["--whitened-points", "0"], "whitened-points"),
            (["fluctuations", "--setting", "bayes", "--depth", "200000", "--gamma", "1", "--beta", "2"], "depth L <= 100000"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--activation", "relu", "--gamma", "1", "--time", "1"], "needs --depth 1"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--time", "1", "--train", "/nonexistent/X.npy", "--labels", "/nonexistent/y.npy"], "cannot read"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--time", "1", "--train", "\(digitsFixtures.path)/X_train.npy", "--labels", "\(digitsFixtures.path)/y_train.npy"], "at most 16"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "8", "--time", "100"], "RK4 steps"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--activation", "tanh", "--gamma", "1", "--time", "1", "--sites", "15"], "sites"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--activation", "relu", "--gamma", "1", "--time", "1", "--sites", "18", "--replicas", "1"], "replicas"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--activation", "relu", "--gamma", "1", "--time", "100", "--sites", "100000"], "above 2e11"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--sites", "64"], "belongs to the sampled solver"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--train", "/nonexistent/X.npy", "--labels", "/nonexistent/y.npy"], "--train"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--train", "\(digitsFixtures.path)/X_train.npy", "--labels", "\(digitsFixtures.path)/y_train.npy"], "at most 16"),
            (base + ["--sites", "64"], "belongs to --setting gradient-flow"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "0", "--time", "1"], "gamma must be > 0"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--lambda", "-1", "--time", "1"], "lambda"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "0"], "time"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1"], "--time"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--beta", "2"], "belongs to --setting bayes"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--whitened-points", "13"], "whitened-points"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "8", "--time", "100", "--whitened-points", "12"], "above 1e7"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--time", "1", "--digits", "20"], "--digits"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--time", "1", "--levels", "4"], "levels"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--levels", "3"], "belongs to --depth"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "8", "--time", "2", "--levels", "3"], "more than 50"),
            (base + ["--levels", "3"], "belongs to --setting gradient-flow"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--digits", "0"], "digits"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--digits", "20", "--whitened-points", "7"], "at most 6"),
            (["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "8", "--time", "100", "--digits", "100"], "above 1.5e9"),
            (base + ["--activation", "relu"], "not available"),
            (base + ["--train", "X.npy", "--labels", "y.npy"], "cannot read"),
            (base + ["--setting2", "x"], "unknown option"),
        ] {
            let result = AdaptiveKernelsCommandLine.run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments)")
            XCTAssertTrue(result.standardError.contains(fragment), "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(arguments)")
        }
    }
}

/// `fluctuations --setting bayes --train ...` (notes/fluctuations-bayes.md (FB15)-(FB21)): on data whose input
/// kernel is the identity the approximate values are the certified whitened ones; the contract; refusals.
final class GeneralDataFluctuationsCommandTests: XCTestCase {
    func write(_ values: [Double], shape: [Int], _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try NPYArray(shape: shape, values: values).serialized().write(to: url)
        return url.path
    }

    func testIdentityKernelDataReproduceTheWhitenedReferenceAndFollowTheContract() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fluct-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // X = 2 (e_1, e_2, e_3) in D = 4 features: C = X X^T / 4 = I; y = e_1 (|y| = 1).
        let x = try write([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0], shape: [3, 4], "x.npy", in: folder)
        let y = try write([1, 0, 0], shape: [3], "y.npy", in: folder)
        let xt = try write([1, 0, 0, 1, 0, 1, 1, 0], shape: [2, 4], "xt.npy", in: folder)
        let yt = try write([0, 0], shape: [2], "yt.npy", in: folder)
        let base = ["fluctuations", "--setting", "bayes", "--activation", "identity", "--depth", "2", "--gamma", "1", "--beta", "2", "--train", x, "--labels", y]
        let result = AdaptiveKernelsCommandLine.run(base + ["--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "fluctuations --setting bayes --train"), [])
        let document = try JSONValue.parse(result.standardOutput)
        func floats(_ key: String) -> [Double] {
            guard case .array(let xs)? = document[key]?["values"] else { return [] }
            return xs.compactMap { if case .string(let t) = $0 { return Double(t) } else { return nil } }
        }
        // The certified whitened values (notes/fluctuations-bayes.md section 4; the whitened CLI test above).
        for (got, want) in zip(floats("overlap_variance"), [2.38226884913710, 7.48826980292201]) { XCTAssertEqual(got, want, accuracy: 1e-9 * want) }
        for (got, want) in zip(floats("overlap_mean_shift"), [-0.0676513123362151, -1.01314003005902]) { XCTAssertEqual(got, want, accuracy: 1e-9 * abs(want)) }
        XCTAssertEqual(floats("overlap_variance").count, 2)
        XCTAssertEqual(document["prediction_points"], .string("train"))
        if case .string(let k)? = document["kernel_variance"]?["value"] { XCTAssertEqual(Double(k)!, 1.72091886699133, accuracy: 1e-9) } else { XCTFail("kernel_variance") }
        // With test points: one prediction variance per test point, the same overlaps' fluctuations (FB15 marginal).
        let withTest = AdaptiveKernelsCommandLine.run(base + ["--test", xt, "--test-labels", yt, "--format", "json"])
        XCTAssertEqual(withTest.exitCode, 0, withTest.standardError)
        XCTAssertEqual(validator.violations(withTest.standardOutput, command: "fluctuations --setting bayes --train"), [])
        let second = try JSONValue.parse(withTest.standardOutput)
        XCTAssertEqual(second["prediction_points"], .string("test"))
        if case .array(let xs)? = second["prediction_variance"]?["values"] { XCTAssertEqual(xs.count, 2) } else { XCTFail("prediction_variance") }
        let table = AdaptiveKernelsCommandLine.run(base)
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("approximate"))
        // Refusals: one line, exit 2, nothing on stdout.
        let singular = try write([1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1], shape: [3, 4], "s.npy", in: folder)
        for (arguments, fragment) in [
            (base + ["--test", xt], "go together"),
            (base + ["--whitened-points", "3"], "whitened"),
            (base + ["--format", "csv"], "format"),
            (["fluctuations", "--setting", "bayes", "--depth", "2", "--gamma", "1", "--beta", "inf", "--train", singular, "--labels", y], "nonsingular"),
        ] {
            let bad = AdaptiveKernelsCommandLine.run(arguments)
            XCTAssertEqual(bad.exitCode, 2, "\(arguments)")
            XCTAssertEqual(bad.standardOutput, "", "\(arguments)")
            XCTAssertTrue(bad.standardError.contains(fragment), "\(arguments): \(bad.standardError)")
            XCTAssertEqual(bad.standardError.split(separator: "\n").count, 1, "\(arguments)")
        }
    }
}

/// `fluctuations --setting gradient-flow` (notes/fluctuations-gradient-flow.md): the contract, the values of the
/// theory type, the lazy-limit structure in CSV.
final class GradientFlowFluctuationsCommandTests: XCTestCase {
    func testJSONFollowsTheContractAndCarriesTheTheory() throws {
        let result = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--activation", "identity", "--depth", "1",
                                                     "--gamma", "1", "--lambda", "0.5", "--time", "1", "--points", "2", "--whitened-points", "3",
                                                     "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["times"], .array([.string("0"), .string("0.5"), .string("1")]))
        XCTAssertEqual(document["lambda"], .string("0.5"))
        // Central finite differences of the closed flow (notes/checks/fluctuations_gradient_flow_check.py): N Var(f_1) at T = 1.
        guard case .array(let floats)? = document["prediction_variance"]?["label_direction"]?["floats"], case .number(let last) = floats[2] else {
            return XCTFail("no label_direction floats")
        }
        XCTAssertEqual(last, 0.070010787360, accuracy: 2e-8)
        // At t = 0: N Var f = 1/gamma^2 (the initial output), N Var(tr K/P) = 2 + 2/P, N Var(c_1) = 2 (Wishart).
        guard case .array(let ntk)? = document["ntk_variance"]?["floats"], case .number(let ntk0) = ntk[0] else { return XCTFail("no ntk_variance") }
        XCTAssertEqual(ntk0, 2 + 2.0 / 3, accuracy: 1e-12)
    }

    /// `--digits D` (notes/fluctuations-gradient-flow.md (FG40)-(FG43)): the contract, D significant digits, a residual per
    /// time, the value of mpmath's odefun (notes/checks/fluctuations_gradient_flow_digits.py), and the table and CSV forms.
    func testDigitsFollowTheContractAndTheReference() throws {
        let arguments = ["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--lambda", "1/2", "--time", "1",
                         "--points", "1", "--whitened-points", "1", "--digits", "25"]
        let result = AdaptiveKernelsCommandLine.run(arguments + ["--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertEqual(try OutputContractValidator.load().violations(result.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["digits"], .integer(25))
        XCTAssertEqual(document["prediction_variance"]?["orthogonal_direction"], .null)
        guard case .array(let values)? = document["prediction_variance"]?["label_direction"]?["values"],
              case .array(let residuals)? = document["prediction_variance"]?["label_direction"]?["residuals"],
              case .string(let last) = values[1], case .string(let first) = values[0] else { return XCTFail("no label_direction values") }
        XCTAssertEqual(first, "1." + String(repeating: "0", count: 24))   // N Var f_1(0) = 1/gamma^2
        XCTAssertEqual(last, REFERENCE_CLI_F1)                       // 25 digits, mpmath
        XCTAssertEqual(residuals.count, 2)
        let table = AdaptiveKernelsCommandLine.run(arguments)
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains(REFERENCE_CLI_F1))
        let csv = AdaptiveKernelsCommandLine.run(arguments + ["--format", "csv"])
        let lines = csv.standardOutput.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("time,label_variance,test_variance,ntk_variance"))
        XCTAssertTrue(lines[2].hasPrefix("1,\(REFERENCE_CLI_F1),"))
    }

    /// `--levels 3` at depth 2 (FG44): the contract, the table's grids in `precision`, and values within the pair's residual of it.
    func testLevelsFollowTheContractAndRefineThePair() throws {
        let arguments = ["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "3/2", "--lambda", "1/4", "--time", "0.3",
                         "--points", "1", "--whitened-points", "1", "--format", "json"]
        let pair = AdaptiveKernelsCommandLine.run(arguments), table = AdaptiveKernelsCommandLine.run(arguments + ["--levels", "3"])
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertEqual(try OutputContractValidator.load().violations(table.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let a = try JSONValue.parse(pair.standardOutput), b = try JSONValue.parse(table.standardOutput)
        guard case .string(let precision)? = b["precision"] else { return XCTFail("no precision") }
        XCTAssertTrue(precision.contains("dt/4") && precision.contains("(FG44)"), precision)
        guard case .array(let x)? = a["ntk_variance"]?["floats"], case .number(let x1) = x[1], case .string(let r)? = a["ntk_variance"]?["residual"],
              case .array(let y)? = b["ntk_variance"]?["floats"], case .number(let y1) = y[1], case .string(let s)? = b["ntk_variance"]?["residual"] else {
            return XCTFail("no ntk_variance")
        }
        XCTAssertEqual(x1, y1, accuracy: Double(r)!)
        XCTAssertNotEqual(x1, y1)
        XCTAssertLessThan(Double(s)!, Double(r)! / 10)
    }

    func testCSVAndOnePoint() throws {
        let csv = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "2", "--time", "1",
                                                  "--points", "1", "--whitened-points", "1", "--format", "csv"])
        XCTAssertEqual(csv.exitCode, 0, csv.standardError)
        let lines = csv.standardOutput.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("time,label_variance,test_variance,ntk_variance"))
        XCTAssertEqual(Double(lines[1].split(separator: ",")[1]), 0.25)   // N Var f_1(0) = 1/gamma^2
        let json = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "2", "--time", "1",
                                                   "--points", "1", "--whitened-points", "1", "--format", "json"])
        XCTAssertEqual(try JSONValue.parse(json.standardOutput)["prediction_variance"]?["orthogonal_direction"], .null)
        XCTAssertEqual(try OutputContractValidator.load().violations(json.standardOutput, command: "fluctuations --setting gradient-flow"), [])
    }

    /// `--depth 2` (notes/fluctuations-gradient-flow.md (FG29)-(FG32)): the contract, the Wishart chain at t = 0 (FG27), one value per
    /// layer, and the theory type's numbers.
    func testDeepLinearJSONFollowsTheContract() throws {
        let result = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--lambda", "0.5",
                                                     "--time", "0.2", "--points", "1", "--whitened-points", "2", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["depth"], .integer(2))
        guard case .array(let ntk)? = document["ntk_variance"]?["floats"], case .number(let ntk0) = ntk[0],
              case .array(let layers)? = document["layer_overlap_variance"] else { return XCTFail("no ntk_variance or layer_overlap_variance") }
        XCTAssertEqual(ntk0, (2 + 2.0 / 2) * 5, accuracy: 1e-9)      // (2 + 2/P) S_2 at t = 0 (FG27)
        XCTAssertEqual(layers.count, 2)
        guard case .array(let last)? = layers[1]["floats"], case .number(let c0) = last[0] else { return XCTFail("no layer floats") }
        XCTAssertEqual(c0, 4, accuracy: 1e-9)                         // N Var H^2_11 = 2 l at t = 0
        let theory = try DeepLinearGradientFlowFluctuations(depth: 2, gamma: 1, lambda: 0.5, points: 2, time: 0.2, intervals: 1,
                                                                 stepsPerInterval: DeepLinearGradientFlowOutput.stepsPerInterval(time: 0.2, points: 1, gamma: 1, lambda: 0.5),
                                                                 scheme: .rk4)
        guard case .array(let f1)? = document["prediction_variance"]?["label_direction"]?["floats"], case .number(let v) = f1[1] else { return XCTFail("no label_direction") }
        XCTAssertEqual(v, theory.variances[1][0], accuracy: 1e-12)
        let table = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--time", "0.1", "--points", "1", "--whitened-points", "1"])
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("N Var(H^2_11)"))
    }

    /// Depth 2 on data files (FG35)-(FG36): the keys of the depth-1 data output, the values of the theory type, the t = 0 law
    /// N Var f_a = C_aa/gamma^2 (FG14) at the test inputs.
    func testDeepLinearOnDataFollowsTheContract() throws {
        let files = try digitsFiles()
        let result = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--lambda", "0.5",
                                                     "--time", "0.1", "--points", "1", "--format", "json"] + files)
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["depth"], .integer(2))
        XCTAssertEqual(document["test_points"], .integer(2))
        XCTAssertEqual(document["prediction_variance"]?["predictions_of"], .string("test"))
        guard case .array(let points)? = document["prediction_variance"]?["points"], points.count == 2,
              case .array(let layers)? = document["layer_overlap_variance"], layers.count == 2,
              case .array(let f0)? = points[0]["floats"], case .number(let v0) = f0[0], case .number(let v1) = f0[1] else {
            return XCTFail("no prediction or layer overlap variances")
        }
        let x = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: files[5])))
        let d = x.shape[1]
        let cTest = (0..<d).reduce(0.0) { $0 + x.values[$1] * x.values[$1] } / Double(d)
        XCTAssertEqual(v0, cTest, accuracy: 1e-9 * cTest)             // gamma = 1
        XCTAssertEqual(document["overlap_mean_shift"], .null)
        XCTAssertNil(document["prediction_variance"]?["points_from_kernels"])
        let data = try LabelledData(train: try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: files[1]))).values,
                                    labels: try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: files[3]))).values,
                                    test: x.values, testLabels: [0, 0], dimension: d)
        let theory = try DeepLinearGradientFlowFluctuations(depth: 2, gamma: 1, lambda: 0.5, data: data, time: 0.1, intervals: 1,
                                                            stepsPerInterval: DeepLinearGradientFlowOutput.stepsPerInterval(
                                                                time: 0.1, points: 1, gamma: 1, lambda: 0.5,
                                                                kernelScale: max(1, LinearAlgebra.symmetricEigen(data.inputKernel, n: 5)!.values.max()!)),
                                                            scheme: .rk4)
        XCTAssertEqual(v1, theory.variances[1][0], accuracy: 1e-12 * max(1, abs(v1)))
        for format in ["table", "csv"] {
            let other = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--lambda", "0.5",
                                                        "--time", "0.1", "--points", "1", "--format", format] + files)
            XCTAssertEqual(other.exitCode, 0, other.standardError)
            XCTAssertTrue(other.standardOutput.contains(format == "csv" ? "test_1_variance" : "N Var(c_2)"), other.standardOutput)
        }
    }
}

/// `fluctuations --setting gradient-flow` on data files and with a nonlinear activation (notes/fluctuations-gradient-flow.md
/// (FG13)-(FG22)): the contract and the values of the theory types.
final class GradientFlowDataFluctuationsCommandTests: XCTestCase {
    func testLinearOnDataFollowsTheContractAndTheTheory() throws {
        let files = try digitsFiles()
        let result = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--activation", "identity", "--depth", "1",
                                                     "--gamma", "2", "--lambda", "0.1", "--time", "4", "--points", "2", "--format", "json"] + files)
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertEqual(try OutputContractValidator.load().violations(result.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["prediction_variance"]?["predictions_of"], .string("test"))
        XCTAssertEqual(document["test_points"], .integer(2))
        // At t = 0 the Wishart law: N Var f(x*) = C(x*, x*)/gamma^2 (FG14).
        let x = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: files[5])))
        let d = x.shape[1], c00 = (0..<d).reduce(0.0) { $0 + x.values[$1] * x.values[$1] } / Double(d)
        guard case .array(let points)? = document["prediction_variance"]?["points"], case .array(let floats)? = points[0]["floats"],
              case .number(let first) = floats[0] else { return XCTFail("no prediction_variance points") }
        XCTAssertEqual(first, c00 / 4, accuracy: 1e-12)
        let csv = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "2", "--time", "1",
                                                  "--points", "1", "--format", "csv"] + files)
        XCTAssertEqual(csv.exitCode, 0, csv.standardError)
        XCTAssertTrue(csv.standardOutput.hasPrefix("time,test_0_variance,test_1_variance,ntk_variance,overlap_variance,overlap_mean_shift,"))
    }

    func testReLUWhitenedFollowsTheContract() throws {
        let result = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--activation", "relu", "--depth", "1",
                                                     "--gamma", "1", "--lambda", "0.5", "--time", "0.5", "--points", "1", "--whitened-points", "2",
                                                     "--sites", "64", "--replicas", "3", "--seed", "4", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertEqual(try OutputContractValidator.load().violations(result.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        let document = try JSONValue.parse(result.standardOutput)
        XCTAssertEqual(document["overlap_mean_shift"], .null)
        XCTAssertEqual(document["activation"], .string("relu"))
        // Every series is one estimated object per time; at t = 0 N Var f_1 = E[w^2 relu(h)^2]/gamma^2 = 1/2 (C = 1), sampled.
        guard case .array(let label)? = document["prediction_variance"]?["label_direction"], case .string(let kind)? = label[0]["kind"] else {
            return XCTFail("no label_direction")
        }
        XCTAssertEqual(kind, "estimated")
        guard case .number(let v0)? = label[0]["float"], case .string(let se)? = label[0]["standard_error"], let error = Double(se) else {
            return XCTFail("no value")
        }
        XCTAssertLessThan(abs(v0 - 0.5), 6 * error + 0.05, "N Var f_1(0) = \(v0) +- \(error)")
        // On data files (tanh, training predictions without test data): the same contract.
        let files = Array(try digitsFiles()[0..<4])
        let data = AdaptiveKernelsCommandLine.run(["fluctuations", "--setting", "gradient-flow", "--activation", "tanh", "--depth", "1",
                                                   "--gamma", "1", "--time", "0.1", "--points", "1", "--sites", "32", "--replicas", "2",
                                                   "--format", "json"] + files)
        XCTAssertEqual(data.exitCode, 0, data.standardError)
        XCTAssertEqual(try OutputContractValidator.load().violations(data.standardOutput, command: "fluctuations --setting gradient-flow"), [])
        XCTAssertEqual(try JSONValue.parse(data.standardOutput)["prediction_variance"]?["predictions_of"], .string("train"))
    }
}

/// `verify fluctuations`: a small run follows the verification report contract, a theory scaled by 0.1
/// fails, and bad options exit 2.
final class VerifyFluctuationsCommandTests: XCTestCase {
    func testSmallPlanReportAndNegativeControl() throws {
        // One small run with the theory scaled by 0.1 (--perturb-exact -0.9): it must fail (exit 3) and
        // still print a report that follows the contract. (The unperturbed plan's false-alarm rate is
        // measured by the seed study recorded in notes/fluctuations-bayes.md.)
        let arguments = ["verify", "fluctuations", "--quick", "--setting", "bayes", "--widths", "8,16", "--chains", "8", "--format", "json", "--perturb-exact", "-0.9"]
        let result = AdaptiveKernelsCommandLine.run(arguments)
        XCTAssertEqual(result.exitCode, 3, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "verify fluctuations"), [])
    }

    func testGeneralDataGroupPassesAndCatchesAScaledTheory() throws {
        // notes/fluctuations-bayes.md (FB15)-(FB19): the general-data group (four points in four features) against
        // exact posterior chains at two small widths; the approximate theory passes, scaled by 0.1 it fails.
        let base = ["verify", "fluctuations", "--quick", "--setting", "bayes-data", "--widths", "12,24", "--chains", "8", "--format", "json"]
        let validator = try OutputContractValidator.load()
        let good = AdaptiveKernelsCommandLine.run(base)
        XCTAssertEqual(good.exitCode, 0, good.standardOutput)
        XCTAssertEqual(validator.violations(good.standardOutput, command: "verify fluctuations"), [])
        XCTAssertTrue(good.standardOutput.contains("data_gamma6over5_beta2_L2_P4"))
        let scaled = AdaptiveKernelsCommandLine.run(base + ["--perturb-exact", "-0.9"])
        XCTAssertEqual(scaled.exitCode, 3, scaled.standardOutput)
    }

    func testGradientFlowGroupPassesAndCatchesAScaledTheory() throws {
        // notes/fluctuations-gradient-flow.md (FG12): the quick gradient-flow group with fewer seeds and two widths.
        let base = ["verify", "fluctuations", "--quick", "--setting", "gradient-flow", "--activation", "identity", "--widths", "32,256", "--chains", "64", "--format", "json"]
        let validator = try OutputContractValidator.load()
        let good = AdaptiveKernelsCommandLine.run(base)
        XCTAssertEqual(good.exitCode, 0, good.standardOutput)
        XCTAssertEqual(validator.violations(good.standardOutput, command: "verify fluctuations"), [])
        let scaled = AdaptiveKernelsCommandLine.run(base + ["--perturb-exact", "-0.9"])
        XCTAssertEqual(scaled.exitCode, 3, scaled.standardOutput)
    }

    func testDeepLinearGroupPassesAndCatchesAScaledTheory() throws {
        // notes/fluctuations-gradient-flow.md (FG29)-(FG31): the quick deep linear group (two hidden layers) with fewer seeds.
        let base = ["verify", "fluctuations", "--quick", "--setting", "deep-linear", "--widths", "32,128", "--chains", "128", "--format", "json"]
        let good = AdaptiveKernelsCommandLine.run(base)
        XCTAssertEqual(good.exitCode, 0, good.standardOutput)
        XCTAssertEqual(try OutputContractValidator.load().violations(good.standardOutput, command: "verify fluctuations"), [])
        XCTAssertTrue(good.standardOutput.contains("gradient_flow_deep_linear"))
        let scaled = AdaptiveKernelsCommandLine.run(base + ["--perturb-exact", "-0.9"])
        XCTAssertEqual(scaled.exitCode, 3, scaled.standardOutput)
    }

    func testBadOptionsExitTwo() {
        for arguments in [["verify", "fluctuations", "--widths", "64"], ["verify", "fluctuations", "--chains", "2"], ["verify", "fluctuations", "--setting", "x"],
                          ["verify", "fluctuations", "--perturb-exact", "2"]] {
            let result = AdaptiveKernelsCommandLine.run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments)")
            XCTAssertEqual(result.standardOutput, "")
        }
    }
}

extension XCTestCase {
    /// The digits fixture's first 3 training and 2 test points, written as .npy files.
    func digitsFiles() throws -> [String] {
        let folder = try temporaryFolder()
        func load(_ name: String) throws -> NPYArray { try NPYArray(npyData: try Data(contentsOf: digitsFixtures.appendingPathComponent(name))) }
        let x = try load("X_train.npy"), y = try load("y_train.npy"), xt = try load("X_test.npy"), yt = try load("y_test.npy")
        let d = x.shape[1]
        return ["--train", try write(NPYArray(shape: [3, d], values: Array(x.values[0..<(3 * d)])), "X.npy", in: folder),
                "--labels", try write(NPYArray(shape: [3], values: Array(y.values[0..<3])), "y.npy", in: folder),
                "--test", try write(NPYArray(shape: [2, d], values: Array(xt.values[0..<(2 * d)])), "Xt.npy", in: folder),
                "--test-labels", try write(NPYArray(shape: [2], values: Array(yt.values[0..<2])), "yt.npy", in: folder)]
    }
}

/// `python3 notes/checks/fluctuations_gradient_flow_digits.py 1 1/2 1 1 1 30`: N Var f_1 at t = 1 (P = 1, gamma = 1,
/// lambda = 1/2) is 0.0700107873609196529400580350211, here rounded to 25 significant digits.
private let REFERENCE_CLI_F1 = "0.07001078736091965294005804"
