import XCTest
import Foundation
import Numerics
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
            (["fluctuations", "--setting", "gradient-flow", "--depth", "2", "--gamma", "1", "--lambda", "1"], "not available"),
            (base + ["--activation", "relu"], "not available"),
            (base + ["--train", "X.npy"], "not available"),
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

/// `verify fluctuations`: a small run follows the verification report contract, a theory scaled by 0.1
/// fails, and bad options exit 2.
final class VerifyFluctuationsCommandTests: XCTestCase {
    func testSmallPlanReportAndNegativeControl() throws {
        // One small run with the theory scaled by 0.1 (--perturb-exact -0.9): it must fail (exit 3) and
        // still print a report that follows the contract. (The unperturbed plan's false-alarm rate is
        // measured by the seed study recorded in notes/fluctuations-bayes.md.)
        let arguments = ["verify", "fluctuations", "--quick", "--widths", "8,16", "--chains", "8", "--format", "json", "--perturb-exact", "-0.9"]
        let result = AdaptiveKernelsCommandLine.run(arguments)
        XCTAssertEqual(result.exitCode, 3, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "verify fluctuations"), [])
    }

    func testBadOptionsExitTwo() {
        for arguments in [["verify", "fluctuations", "--widths", "64"], ["verify", "fluctuations", "--chains", "2"],
                          ["verify", "fluctuations", "--perturb-exact", "2"]] {
            let result = AdaptiveKernelsCommandLine.run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments)")
            XCTAssertEqual(result.standardOutput, "")
        }
    }
}
