import XCTest
@testable import AdaptiveKernelsCLI

final class VerifyANTKCommandTests: XCTestCase {
    func testBadInputIsOneLineExitTwo() {
        for args in [["verify", "antk", "--seed", "x"], ["verify", "antk", "--format", "csv"], ["verify", "antk", "--bogus"],
                     ["verify", "nothing"], ["verify", "antk", "--digits", "/nonexistent"]] {
            let r = AdaptiveKernelsCommandLine.run(args)
            XCTAssertEqual(r.exitCode, 2, "\(args)")
            XCTAssertEqual(r.standardError.split(separator: "\n").count, 1)
        }
        XCTAssertEqual(AdaptiveKernelsCommandLine.run(["verify", "bayes"]).exitCode, 2)
    }

    /// The whole quick suite passes for the default seed (every case within 3 estimated errors).
    func testQuickSuitePasses() {
        let r = AdaptiveKernelsCommandLine.run(["verify", "antk", "--quick", "--format", "json"])
        XCTAssertEqual(r.exitCode, 0, r.standardError + r.standardOutput)
        XCTAssertTrue(r.standardOutput.contains("\"pass\": true"))
        XCTAssertFalse(r.standardOutput.contains("\"pass\": false"))
    }

    func testJSONReportShape() throws {
        let c = ANTKVerificationCaseFixture.make()
        let text = VerifyANTKCommand.json([c]).serialized()
        for key in ["\"cases\"", "\"name\"", "\"exact\"", "\"estimates\"", "\"dmft\"", "\"tolerance\"", "\"pass\""] {
            XCTAssertTrue(text.contains(key), key)
        }
        XCTAssertTrue(VerifyANTKCommand.table([c]).contains("1 of 1 cases pass"))
    }
}

import Verify
enum ANTKVerificationCaseFixture {
    static func make() -> ANTKVerificationCase {
        ANTKVerificationCase(name: "x", exact: 0.5, estimates: [("dmft", ANTKEstimate(0.5, error: 1e-9))])
    }
}
