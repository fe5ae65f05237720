import Foundation
import XCTest
@testable import Core
import Numerics
@testable import AdaptiveKernelsCLI

/// Every subcommand's JSON (small inputs) against the output contract "adaptive-kernels/2"
/// (docs/output.md, docs/output-schema.json), and every CSV against its rule (snake_case header,
/// numeric cells only).
final class OutputContractTests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }

    func assertConforms(_ arguments: [String], command: String, validator: OutputContractValidator,
                        exitCodes: Set<Int32> = [0], file: StaticString = #filePath, line: UInt = #line) {
        let result = run(arguments)
        XCTAssertTrue(exitCodes.contains(result.exitCode), "\(arguments): exit \(result.exitCode) \(result.standardError)", file: file, line: line)
        let problems = validator.violations(result.standardOutput, command: command)
        XCTAssertEqual(problems, [], "\(command): \(arguments.joined(separator: " "))", file: file, line: line)
    }

    func testEveryCommandsJSONFollowsTheContract() throws {
        let validator = try OutputContractValidator.load()
        let folder = try temporaryFolder()
        // P = 12 random points in D = 5 (C of rank 5), and a test set.
        var generator = SeededGenerator(seed: 7)
        func gaussian(_ n: Int) -> [Double] { (0..<n).map { _ in Double.random(in: -1...1, using: &generator) } }
        let x = try write(NPYArray(shape: [12, 5], values: gaussian(60)), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [12], values: gaussian(12)), "y.npy", in: folder)
        let xt = try write(NPYArray(shape: [4, 5], values: gaussian(20)), "Xt.npy", in: folder)
        let yt = try write(NPYArray(shape: [4], values: gaussian(4)), "yt.npy", in: folder)
        let kernel = folder.appendingPathComponent("C.csv"), labels = folder.appendingPathComponent("y.csv")
        try "1, 1/2, 0\n0.5, 1, 1/2\n0, 5e-1, 1\n".write(to: kernel, atomically: true, encoding: .utf8)
        try "1\n-1/2\n1/3\n".write(to: labels, atomically: true, encoding: .utf8)
        let data = ["--train", x, "--labels", y, "--test", xt, "--test-labels", yt]

        assertConforms(["overlaps", "--gamma", "316", "--beta", "1/10000", "--depth", "3", "--format", "json"], command: "overlaps", validator: validator)
        assertConforms(["overlaps", "--gamma", "0", "--beta", "inf", "--depth", "2", "--format", "json"], command: "overlaps", validator: validator)
        assertConforms(["sweep", "--gamma", "1/3,4", "--beta", "inf,10", "--depth", "1..3", "--layers", "all", "--digits", "12", "--format", "json"], command: "sweep", validator: validator)
        assertConforms(["antk", "--gamma", "3", "--lambda", "0.1", "--depth", "2", "--digits", "12", "--format", "json"], command: "antk", validator: validator)
        assertConforms(["antk", "--gamma", "1/10", "--lambda", "1", "--depth", "1", "--format", "json"], command: "antk", validator: validator)
        assertConforms(["antk-phase", "--depth", "1...3,40", "--lambda", "1/3", "--format", "json"], command: "antk-phase", validator: validator)
        assertConforms(["antk-blowup", "--depth", "2", "--steps", "10", "--levels", "2", "--format", "json"], command: "antk-blowup", validator: validator)
        assertConforms(["fluctuations", "--setting", "bayes", "--depth", "3", "--gamma", "2", "--beta", "5", "--format", "json"], command: "fluctuations", validator: validator)
        assertConforms(["fluctuations", "--setting", "bayes", "--depth", "1", "--gamma", "0", "--beta", "5", "--format", "json"], command: "fluctuations", validator: validator)
        assertConforms(["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "3/2", "--lambda", "1/4", "--time", "2", "--points", "4", "--format", "json"],
                       command: "fluctuations --setting gradient-flow", validator: validator)
        assertConforms(["kernels"] + data + ["--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json", "--timings"], command: "kernels", validator: validator)
        assertConforms(["kernels"] + data + ["--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json", "--no-check", "--no-relu-baselines"], command: "kernels", validator: validator)
        // C = 4 I exactly: certified overlaps on the working-precision path.
        let whitened = try write(NPYArray(shape: [4, 4], values: (0..<16).map { $0 % 5 == 0 ? 2 : 0 }), "W.npy", in: folder)
        let y4 = try write(NPYArray(shape: [4], values: [0.5, 0.5, -0.5, 0.5]), "y4.npy", in: folder)
        assertConforms(["kernels", "--train", whitened, "--labels", y4, "--gamma", "4", "--beta", "10", "--depth", "4", "--format", "json"], command: "kernels", validator: validator)
        assertConforms(["train", "--activation", "tanh", "--depth", "1", "--width", "32", "--gamma", "1", "--beta", "10", "--seeds", "2",
                        "--time", "5", "--burn-in", "2", "--format", "json", "--train", whitened, "--labels", y4], command: "train", validator: validator)
        assertConforms(["kernels", "--exact", "--kernel", kernel.path, "--labels", labels.path, "--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json"],
                       command: "kernels --exact", validator: validator)
        assertConforms(["antk", "--gamma", "1", "--lambda", "1/2", "--depth", "2", "--format", "json"] + data, command: "antk --train", validator: validator)
        assertConforms(["asymptotics", "--regime", "lazy", "--order", "2", "--digits", "20", "--format", "json"], command: "asymptotics", validator: validator)
        assertConforms(["asymptotics", "--regime", "joint", "--order", "1", "--digits", "20", "--format", "json"], command: "asymptotics", validator: validator)
        assertConforms(["asymptotics", "--regime", "rich", "--order", "2", "--coefficients", "--format", "json"], command: "asymptotics --coefficients", validator: validator)
        assertConforms(["verify", "antk", "--quick", "--case", "theory2b", "--format", "json"], command: "verify antk", validator: validator, exitCodes: [0, 3, 4])
        assertConforms(["antk", "--activation", "erf", "--gamma", "1", "--lambda", "1/2", "--depth", "1", "--population", "64", "--seeds", "2",
                        "--time", "2", "--format", "json"] + data, command: "antk --activation", validator: validator)
        assertConforms(["train", "--activation", "relu", "--depth", "2", "--width", "32", "--gamma", "1", "--lambda", "1/2", "--seeds", "2",
                        "--time", "2", "--format", "json"] + data, command: "train", validator: validator)
        // The CNN (notes/cnn-two-layer.md): the D = 5 inputs as 5 x 1 x 1 images, patch 1, stride 2 (3 positions).
        let cnn = ["--architecture", "cnn", "--image-shape", "5x1x1", "--patch", "1", "--stride", "2"]
        assertConforms(["antk", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--depth", "1", "--population", "64", "--seeds", "2",
                        "--time", "2", "--format", "json"] + data + cnn, command: "antk --activation", validator: validator)
        assertConforms(["train", "--activation", "relu", "--depth", "1", "--width", "32", "--gamma", "1", "--lambda", "1/2", "--seeds", "2",
                        "--time", "2", "--format", "json", "--architecture", "mlp"] + data, command: "train", validator: validator)
        // The mean kernels of a tiny Langevin run (N = 64, 5 time units) on the committed digits subset.
        assertConforms(["verify", "bayes-kernels", "--method", "langevin", "--activation", "tanh", "--width", "64", "--time", "5", "--depth", "2"],
                       command: "verify bayes-kernels", validator: validator)

        // summary.json in --out-dir is the same document.
        let out = folder.appendingPathComponent("out")
        let result = run(["kernels"] + data + ["--gamma", "1", "--beta", "10", "--depth", "2", "--format", "json", "--out-dir", out.path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let summary = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertEqual(summary, result.standardOutput)
        XCTAssertEqual(validator.violations(summary, command: "kernels"), [])
    }

    /// The validator finds each kind of violation (so the test above can fail).
    func testValidatorRejectsViolations() throws {
        let validator = try OutputContractValidator.load()
        let good = OutputContract.render(command: "antk-phase", [
            ("lambda", .string("1")), ("digits", .integer(3)),
            ("critical", .array([.object([("depth", .integer(2)), ("gamma_c", .string("1.75")), ("gamma_c_lower", .string("1.7541")),
                                          ("gamma_c_upper", .string("1.7549")), ("gamma_c_over_lambda", .string("1.75")),
                                          ("gamma_c_over_lambda_lower", .string("1.7541")), ("gamma_c_over_lambda_upper", .string("1.7549")),
                                          ("u_c", .string("0.25")), ("gamma_c_power", .string("256/27")),
                                          ("gamma_c_power_factored", .string("1^3 * 4^4 / (1^1 * 3^3)")), ("kind", .string("saddle node"))])])),
        ])
        XCTAssertEqual(validator.violations(good, command: "antk-phase"), [])
        func broken(_ old: String, _ new: String) -> String {
            XCTAssertTrue(good.contains(old), old)
            return good.replacingOccurrences(of: old, with: new)
        }
        let cases: [(String, String)] = [
            (broken("\"gamma_c\": \"1.75\"", "\"gamma_c\": 1.75"), "float outside"),
            (broken("\"gamma_c\": \"1.75\"", "\"gamma_c\": \"1.76\""), "not the correctly rounded"),
            (broken("\"gamma_c_upper\"", "\"gammaCUpper\""), "snake_case"),
            (broken("\"schema\": \"adaptive-kernels/2\"", "\"schema\": \"adaptive-kernels/1\""), "schema"),
            (broken("\"u_c\": \"0.25\"", "\"u_c\": \"1/4 \""), "expected exact"),
            (broken("\"lambda\": \"1\",", ""), "missing key 'lambda'"),
            (broken("\"kind\": \"saddle node\"", "\"kind\": \"node\""), "not one of"),
            (broken("\"gamma_c_lower\": \"1.7541\",", ""), "certified without gamma_c_lower"),
        ]
        for (text, expected) in cases {
            let problems = validator.violations(text, command: "antk-phase")
            XCTAssertTrue(problems.contains { $0.contains(expected) }, "\(expected): \(problems)")
        }
        // Quantity objects: value and float must agree, estimated values carry their errors.
        let quantity = OutputContract.render(command: "antk-blowup", [("steps", .integer(10)), ("levels", .integer(2)), ("depths", .array([.object([
            ("depth", .integer(2)), ("tau_star", OutputContract.estimated(Estimate(value: 1.2, standardError: 0.1, systematic: 0.01))),
            ("step_error", .string("0.01")), ("convergence_error", .string("0.001")), ("read_at", OutputContract.approximate(0.9)),
            ("horizon", .string("1.1")), ("step_counts", .array([.integer(10), .integer(20)])),
            ("initial_slope", OutputContract.approximate(3)), ("exponent", OutputContract.approximate(-3)), ("table", .null)])]))])
        XCTAssertEqual(validator.violations(quantity, command: "antk-blowup"), [])
        XCTAssertFalse(validator.violations(quantity.replacingOccurrences(of: "\"float\": 1.2", with: "\"float\": 1.3"), command: "antk-blowup").isEmpty)
        XCTAssertFalse(validator.violations(quantity.replacingOccurrences(of: "\"standard_error\"", with: "\"error\""), command: "antk-blowup").isEmpty)
        // Section 7 of the contract: a conforming verification report passes, a bad verdict does not.
        let report = OutputContract.render(command: "verify antk", [
            ("seed", .integer(1)), ("perturb_exact", .string("0")), ("false_alarm_rate", .string("0.01")), ("verdict", .string("pass")),
            ("summary", .object([("pass", .integer(1)), ("fail", .integer(0)), ("inconclusive", .integer(0))])),
            ("cases", .array([.object([("name", .string("c")), ("group", .string("linear")), ("verdict", .string("pass")),
                                       ("exact", .string("0.5")), ("estimates", .object([("dmft", OutputContract.estimated(Estimate(value: 0.49, standardError: 0.01)))])),
                                       ("tolerance", .string("0.03")), ("note", .string(""))])])),
        ])
        XCTAssertEqual(validator.violations(report, command: "verify antk"), [])
        XCTAssertFalse(validator.violations(report.replacingOccurrences(of: "\"verdict\": \"pass\"", with: "\"verdict\": \"ok\""), command: "verify antk").isEmpty)
    }

    /// CSV rule: snake_case header, numeric cells only (exact parameters may be p/q or inf; an
    /// undecided asymptotic error is an empty cell).
    func testCSVOutputsAreNumeric() throws {
        let folder = try temporaryFolder()
        let numeric = try NSRegularExpression(pattern: "^(-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?|-?[0-9]+/[0-9]+|inf|)$")
        let header = try NSRegularExpression(pattern: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
        func check(_ csv: String, _ what: String) {
            let lines = csv.split(separator: "\n").map(String.init)
            XCTAssertGreaterThan(lines.count, 1, what)
            let columns = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for name in columns { XCTAssertTrue(OutputContractValidator.matches(header, name), "\(what): column '\(name)'") }
            for line in lines.dropFirst() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                XCTAssertEqual(cells.count, columns.count, "\(what): \(line)")
                for cell in cells where !OutputContractValidator.matches(numeric, cell) { XCTFail("\(what): cell '\(cell)' in \(line)") }
            }
        }
        check(run(["overlaps", "--gamma", "316", "--beta", "1/10000", "--depth", "3", "--format", "csv"]).standardOutput, "overlaps")
        check(run(["fluctuations", "--setting", "gradient-flow", "--depth", "1", "--gamma", "1", "--time", "1", "--points", "3", "--format", "csv"]).standardOutput, "fluctuations gradient-flow")
        check(run(["sweep", "--gamma", "1/3", "--beta", "inf,10", "--depth", "2", "--layers", "1,2"]).standardOutput, "sweep")
        check(run(["asymptotics", "--regime", "lazy", "--order", "4", "--digits", "20", "--format", "csv"]).standardOutput, "asymptotics")
        check(run(["asymptotics", "--regime", "deep", "--order", "1", "--digits", "20", "--format", "csv"]).standardOutput, "asymptotics deep")
        check(run(["asymptotics", "--regime", "lazy", "--order", "3", "--coefficients", "--format", "csv"]).standardOutput, "coefficients")
        let phase = run(["antk-phase", "--depth", "1...3", "--lambda", "1", "--digits", "12", "--format", "csv"]).standardOutput
        check(phase, "antk-phase")
        XCTAssertTrue(phase.contains("\n2,1.75476535060,1.75476535060332,1.75476535060333,"), phase)
        XCTAssertTrue(phase.hasSuffix(",0.25,256/27\n3,1.88988157484,1.88988157484230,1.88988157484231,1.88988157484,1.88988157484230,1.88988157484231,1/3,45.5625\n"), phase)
        let x = try write(NPYArray(shape: [6, 3], values: (0..<18).map { sin(Double($0)) }), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [6], values: (0..<6).map { cos(Double($0)) }), "y.npy", in: folder)
        let out = folder.appendingPathComponent("out")
        let result = run(["antk", "--gamma", "2", "--lambda", "1/2", "--depth", "2", "--train", x, "--labels", y, "--test", x, "--test-labels", y, "--out-dir", out.path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        for name in ["train_predictions.csv", "test_predictions.csv"] {
            check(try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8), name)
        }
    }
}
