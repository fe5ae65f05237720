import Foundation
import XCTest
@testable import AdaptiveKernelsCLI
import Simulation
import Studies
@testable import Core

final class VerifyANTKCommandTests: XCTestCase {
    func testBadInputIsOneLineExitTwo() {
        for args in [["verify", "antk", "--seed", "x"], ["verify", "antk", "--format", "csv"], ["verify", "antk", "--bogus"],
                     ["verify", "nothing"], ["verify", "antk", "--data", "/nonexistent"], ["verify", "antk", "--digits", "Tests/Fixtures/digits"],
                     ["verify", "antk", "--perturb-exact", "-2"], ["verify", "antk", "--case", "bogus"],
                     ["verify", "antk", "--activation", "identity"], ["verify", "antk", "--activation", "sigmoid"]] {
            let r = AdaptiveKernelsCommandLine.run(args)
            XCTAssertEqual(r.exitCode, 2, "\(args)")
            XCTAssertEqual(r.standardError.split(separator: "\n").count, 1)
        }
        XCTAssertEqual(AdaptiveKernelsCommandLine.run(["verify", "bayes", "--bogus"]).exitCode, 2)
    }

    /// `--case GROUP` runs only that group (theory2b, the one-point ReLU fixed point: five cases, all passing).
    func testCaseFilter() {
        let r = AdaptiveKernelsCommandLine.run(["verify", "antk", "--quick", "--case", "theory2b", "--format", "json"])
        XCTAssertEqual(r.exitCode, 0, r.standardError + r.standardOutput)
        XCTAssertEqual(r.standardOutput.components(separatedBy: "\"name\"").count - 1, 5)
        XCTAssertTrue(r.standardOutput.contains("\"verdict\": \"pass\""))
        XCTAssertTrue(r.standardOutput.contains("ReLU single point"))
        XCTAssertFalse(r.standardOutput.contains("digits"))
    }

    /// `--activation tanh` keeps only the tanh digits step (the cases themselves: StudiesTests.testTanhDataCasesPass);
    /// without it the digits group runs ReLU and tanh.
    func testActivationSelectsTheDigitsCases() throws {
        let (tanh, _) = try VerifyANTKCommand.settings(["--quick", "--case", "digits", "--activation", "tanh"])
        XCTAssertEqual(tanh.digitsActivations, [.tanh])
        XCTAssertEqual(ANTKVerifier(settings: tanh).steps().map(\.name), ["tanh on digits: DMFT and finite width"])
        let (both, _) = try VerifyANTKCommand.settings(["--quick", "--case", "digits"])
        XCTAssertEqual(ANTKVerifier(settings: both).steps().map(\.name),
                       ["ReLU on digits: DMFT and finite width", "tanh on digits: DMFT and finite width"])
        let (full, _) = try VerifyANTKCommand.settings(["--case", "digits"])
        XCTAssertEqual(full.digitsWidths(.tanh), [512, 1024, 2048, 4096])
        XCTAssertEqual(full.digitsWidths(.relu), [256, 512, 1024, 2048, 4096])
    }

    /// `verify antk --bench`: one population DMFT step from the deterministic state of bench/dmft_step.py;
    /// the predictions equal those of the library run (and stay finite), bad sizes exit 2.
    func testBenchModeJSON() throws {
        let r = AdaptiveKernelsCommandLine.run(["verify", "antk", "--bench", "--neurons", "64", "--points", "5", "--steps", "3"])
        XCTAssertEqual(r.exitCode, 0, r.standardError)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(object["neurons"] as? Int, 64)
        XCTAssertEqual(object["points"] as? Int, 5)
        XCTAssertGreaterThan(try XCTUnwrap(object["median_seconds"] as? Double), 0)
        let f = try XCTUnwrap(object["predictions"] as? [Double])
        let direct = try ANTKStepBenchmark.run(neurons: 64, points: 5, steps: 3)
        XCTAssertEqual(f.count, 5)
        for (a, b) in zip(f, direct.predictions) { XCTAssertEqual(a, b, accuracy: 1e-14 * max(1, abs(b))) }   // JSON text round trip
        // Test points, another dimension and activation, both forms of the product (GV23c): same predictions to rounding.
        var forms: [[Double]] = []
        for form in ["dense", "rank"] {
            let t = AdaptiveKernelsCommandLine.run(["verify", "antk", "--bench", "--neurons", "40", "--points", "6", "--test-points", "3",
                                                    "--dimension", "2", "--activation", "tanh", "--steps", "2", "--form", form])
            XCTAssertEqual(t.exitCode, 0, t.standardError)
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(t.standardOutput.utf8)) as? [String: Any])
            XCTAssertEqual(o["form"] as? String, form)
            forms.append(try XCTUnwrap(o["predictions"] as? [Double]))
        }
        XCTAssertEqual(forms[0].count, 9)
        for (a, b) in zip(forms[0], forms[1]) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
        for args in [["--neurons", "0"], ["--points", "x"], ["--steps", "-1"], ["--test-points", "-1"], ["--activation", "sigmoid"], ["--form", "fast"]] {
            XCTAssertEqual(AdaptiveKernelsCommandLine.run(["verify", "antk", "--bench"] + args).exitCode, 2, "\(args)")
        }
    }

    /// `antk-blowup`: a coarse run is within its error of the tabulated tau*_2; bad input exits 2.
    func testBlowUpCommand() throws {
        let r = AdaptiveKernelsCommandLine.run(["antk-blowup", "--depth", "2", "--steps", "20", "--levels", "3", "--format", "json"])
        XCTAssertEqual(r.exitCode, 0, r.standardError)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.standardOutput.utf8)) as? [String: Any])
        let row = try XCTUnwrap((object["depths"] as? [[String: Any]])?.first)
        let tau = try XCTUnwrap(row["tau_star"] as? [String: Any])   // an estimated quantity (docs/output.md)
        let value = try XCTUnwrap(Double(try XCTUnwrap(tau["value"] as? String))), error = try XCTUnwrap(Double(try XCTUnwrap(tau["systematic"] as? String)))
        XCTAssertLessThan(abs(value - 1.16803), 3 * (error + 1.1e-4), "\(value) +- \(error)")
        for args in [["--depth", "1"], ["--depth", "3...2"], ["--steps", "5"], ["--levels", "9"], ["--format", "csv"]] {
            let bad = AdaptiveKernelsCommandLine.run(["antk-blowup"] + args)
            XCTAssertEqual(bad.exitCode, 2, "\(args)")
            XCTAssertEqual(bad.standardError.split(separator: "\n").count, 1)
        }
    }
}
