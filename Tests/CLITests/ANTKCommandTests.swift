import Foundation
import XCTest
@testable import Core
@testable import AdaptiveKernelsCLI

/// `antk` and `antk-phase`, run in-process.
final class ANTKCommandTests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }


    func testANTKJSONShape() throws {
        let result = run(["antk", "--gamma", "3", "--lambda", "1", "--depth", "2", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertEqual(result.standardError, "")
        let object = try json(result.standardOutput)
        XCTAssertEqual(object["gamma"] as? String, "3")
        XCTAssertEqual(object["lambda"] as? String, "1")
        XCTAssertEqual(object["depth"] as? Int, 2)
        XCTAssertEqual(object["digits"] as? Int, 30)
        let branches = try XCTUnwrap(object["branches"] as? [[String: Any]])
        XCTAssertEqual(branches.map { $0["kind"] as? String }, ["collapse", "lower", "upper"])
        XCTAssertEqual(branches.map { $0["stable"] as? Bool }, [true, false, true])
        XCTAssertEqual(branches[0]["f_dot_y"] as? String, "0")
        XCTAssertEqual(branches[2]["f_dot_y"] as? String, "0.745057838023605989781596837944")
        XCTAssertEqual(branches[2]["a"] as? String, "2.92245830288594442302040758095")
        XCTAssertEqual(branches[1]["f_dot_y"] as? String, "0.0128334581616844444041134808068")
        let end = try XCTUnwrap(object["predicted_end_point"] as? [String: Any])
        XCTAssertEqual(end["kind"] as? String, "upper")
        XCTAssertEqual(end["certified"] as? Bool, false)
        XCTAssertEqual(end["certainty"] as? String, "approximate")
    }

    /// Below the learning-budget band the end point rests on the blow-up time tau*_2 estimated by the
    /// deep linear DMFT: an estimated verdict, never "certified" (notes/antk-deep-linear.md (A32), (A33)).
    func testEndPointFromEstimatedBlowUpTimesIsEstimated() throws {
        // L = 2, lambda = 16: gamma_c = 16^(3/4) (256/27)^(1/4) = 14.04, so gamma = 16 has two branches,
        // and gamma/lambda = 1 < (L-1) tau*_2 = 1.168: the flow collapses.
        let result = run(["antk", "--gamma", "16", "--lambda", "16", "--depth", "2", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        XCTAssertEqual((object["branches"] as? [[String: Any]])?.count, 3)
        let end = try XCTUnwrap(object["predicted_end_point"] as? [String: Any])
        XCTAssertEqual(end["kind"] as? String, "collapse")
        XCTAssertEqual(end["certainty"] as? String, "estimated")
        XCTAssertEqual(end["certified"] as? Bool, false)
    }

    func testDepthOneTable() {
        let result = run(["antk", "--gamma", "2", "--lambda", "1", "--depth", "1", "--digits", "10"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("f.y        = 0.5000000000"))
        XCTAssertTrue(result.standardOutput.contains("predicted end point from a unit-variance start: upper"))
        XCTAssertTrue(result.standardOutput.contains("collapse: unstable"))
    }

    func testBelowThresholdOnlyCollapse() throws {
        let result = run(["antk", "--gamma", "1", "--lambda", "1/2", "--depth", "2", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let branches = try XCTUnwrap(try json(result.standardOutput)["branches"] as? [[String: Any]])
        XCTAssertEqual(branches.map { $0["kind"] as? String }, ["collapse"])
    }

    func testBadInputIsOneLineExitTwo() {
        for arguments in [["antk", "--gamma", "1", "--lambda", "0", "--depth", "2"],
                          ["antk", "--gamma", "1", "--lambda", "-1", "--depth", "2"],
                          ["antk", "--gamma", "-1", "--lambda", "1", "--depth", "2"],
                          ["antk", "--gamma", "1", "--lambda", "1", "--depth", "0"],
                          ["antk", "--gamma", "1x", "--lambda", "1", "--depth", "2"],
                          ["antk", "--gamma", "1", "--lambda", "1", "--depth", "two"],
                          ["antk", "--gamma", "1", "--lambda", "1"],
                          ["antk", "--gamma", "1", "--lambda", "1", "--depth", "2", "--train", "x.npy"],
                          ["antk-phase", "--depth", "1...8", "--lambda", "0"],
                          ["antk-phase", "--depth", "0...8", "--lambda", "1"],
                          ["antk-phase", "--depth", "8...1", "--lambda", "1"],
                          ["antk-phase", "--depth", "x", "--lambda", "1"]] {
            let result = run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments)")
            XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, "\(arguments)")
        }
    }

    func testPhaseDepthList() throws {
        let result = run(["antk-phase", "--depth", "1...8", "--lambda", "1", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let critical = try XCTUnwrap(try json(result.standardOutput)["critical"] as? [[String: Any]])
        XCTAssertEqual(critical.map { $0["depth"] as? Int }, Array(1...8))
        XCTAssertEqual(critical[0]["gamma_c"] as? String, "1.00000000000000000000000000000")
        XCTAssertEqual(critical[1]["gamma_c"] as? String, "1.75476535060332328109229186906")
        XCTAssertEqual(critical[1]["gamma_c_power"] as? String, "256/27")     // gamma_c^4, exact
        XCTAssertEqual(critical[2]["gamma_c_power"] as? String, "45.5625")    // gamma_c^6 = 729/16, a terminating decimal
        XCTAssertEqual(critical[1]["u_c"] as? String, "0.25")
        XCTAssertEqual(critical[2]["u_c"] as? String, "1/3")
        XCTAssertEqual(critical[1]["gamma_c_lower"] as? String, "1.75476535060332328109229186906266")
        XCTAssertEqual(critical[1]["gamma_c_upper"] as? String, "1.75476535060332328109229186906267")
        // 1..8 is the same list.
        XCTAssertEqual(run(["antk-phase", "--depth", "1..8", "--lambda", "1", "--format", "json"]).standardOutput, result.standardOutput)
        XCTAssertEqual(critical[7]["gamma_c"] as? String, "1.98439524901811576237134092997")
        let table = run(["antk-phase", "--depth", "2,4", "--lambda", "1/2", "--digits", "16"])
        XCTAssertEqual(table.exitCode, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("gamma_c = 1.043389720048858"))
        XCTAssertTrue(table.standardOutput.contains("gamma_c/lambda = 2.086779440097716"))
        XCTAssertTrue(table.standardOutput.contains("gamma_c^4 = 32/27"))
    }

    func testHelpListsTheCommands() {
        let overview = run(["help"]).standardOutput
        XCTAssertTrue(overview.contains("antk "))
        XCTAssertTrue(overview.contains("antk-phase"))
        XCTAssertEqual(run(["antk", "--help"]).exitCode, 0)
    }
}
