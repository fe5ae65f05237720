import XCTest
import Foundation
import Numerics
@testable import AdaptiveKernelsCLI

/// `ndk`: the JSON report follows the contract and the keys, the long-time predictor sits on
/// the NNGP plateau it reports, and bad input is one line on stderr with exit status 2.
final class NDKCommandTests: XCTestCase {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ndk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func files() throws -> [String] {
        let dir = try folder()
        let arrays = [
            ("X.npy", NPYArray(shape: [4, 3], values: [1, 0.2, -0.4, 0.3, 1.1, 0.5, -0.8, 0.4, 1.0, 0.6, -0.9, 0.2])),
            ("y.npy", NPYArray(shape: [4], values: [1, -0.5, 0.8, -1])),
            ("Xt.npy", NPYArray(shape: [2, 3], values: [0.7, 0.6, 0.1, -0.5, 0.9, 0.6])),
            ("yt.npy", NPYArray(shape: [2], values: [0.6, -0.4])),
        ]
        return try arrays.map { name, array in
            let url = dir.appendingPathComponent(name); try array.serialized().write(to: url); return url.path
        }
    }

    func testJSONReportAndPlateau() throws {
        let f = try files()
        let result = AdaptiveKernelsCommandLine.run(["ndk", "--activation", "relu", "--depth", "1", "--temperature", "0.5", "--prior-variance", "1",
                                                     "--init-variance", "0.25", "--train", f[0], "--labels", f[1], "--test", f[2], "--test-labels", f[3],
                                                     "--time", "30", "--points", "6", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(result.standardOutput, command: "ndk"), [])
        let document = try JSONValue.parse(result.standardOutput)
        guard case .array(let tests)? = document["test_mean_prediction"], case .array(let last)? = tests.last?["floats"],
              case .array(let nngp)? = document["nngp_equilibrium"]?["test"]?["floats"], case .string(let err)? = document["error_control"]?["maximum_error"] else {
            return XCTFail("missing keys")
        }
        XCTAssertEqual(tests.count, 6)
        for (a, b) in zip(last, nngp) {
            guard case .number(let x) = a, case .number(let y) = b else { return XCTFail("not numbers") }
            XCTAssertEqual(x, y, accuracy: Double(err)! + 1e-6)   // t = 30 = 15 sigma^2/T: the NNGP plateau (NK13)
        }
    }

    func testBadInputIsOneLineExitTwo() throws {
        let f = try files()
        for bad in [["--temperature", "0"], ["--temperature", "-1"], ["--depth", "x"], ["--activation", "sigmoid"]] {
            var arguments = ["ndk", "--activation", "relu", "--depth", "1", "--temperature", "0.5", "--prior-variance", "1", "--init-variance", "1",
                             "--train", f[0], "--labels", f[1], "--time", "1"]
            let key = arguments.firstIndex(of: bad[0])!
            arguments[key + 1] = bad[1]
            let result = AdaptiveKernelsCommandLine.run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(bad)")
            XCTAssertEqual(result.standardOutput, "")
            XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, result.standardError)
        }
    }

    /// `verify ndk` rejects bad plan options before simulating anything: one line, exit 2.
    func testVerifyBadOptionsAreOneLineExitTwo() {
        for bad in [["--activation", "tanh"], ["--activation", "sigmoid"], ["--widths", "1"], ["--widths", "64,x"], ["--pairs", "2"], ["--depth", "0"]] {
            let result = AdaptiveKernelsCommandLine.run(["verify", "ndk", "--quick"] + bad)
            XCTAssertEqual(result.exitCode, 2, "\(bad)")
            XCTAssertEqual(result.standardOutput, "")
            XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, result.standardError)
        }
    }

    /// `plot ndk` writes one well-formed SVG with the curves, the plateaus and the legend.
    func testPlotWritesSVG() throws {
        let f = try files()
        let out = try folder().appendingPathComponent("ndk.svg").path
        let result = AdaptiveKernelsCommandLine.run(["plot", "ndk", "--out", out, "--activation", "identity", "--depth", "1", "--temperature", "0.5",
                                                     "--prior-variance", "1", "--init-variance", "2", "--train", f[0], "--labels", f[1], "--test", f[2],
                                                     "--test-labels", f[3], "--time", "10", "--points", "5"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.contains("NNGP plateau") && svg.contains("test loss"))
        XCTAssertTrue(svg.hasSuffix("</svg>\n") || svg.hasSuffix("</svg>"))
    }
}
