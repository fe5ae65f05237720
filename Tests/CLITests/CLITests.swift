import Foundation
import XCTest
@testable import AdaptiveKernelsCLI
import Numerics
import Simulation
import Studies
import Theory
@testable import Core

final class CLITests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }


    func testDefaultPrintsTheGammaFourTable() {
        let result = run([])
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertTrue(result.standardOutput.contains("c_L      = 55.7907349152731303453039220700"))
        XCTAssertTrue(result.standardOutput.contains("adaptive-kernels help"))
        XCTAssertEqual(result.standardError, "")
    }

    func testOverlapsJSONHasTheDocumentedShape() throws {
        let result = run(["overlaps", "--gamma", "1", "--beta", "10", "--depth", "4", "--digits", "40", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        XCTAssertEqual(object["gamma"] as? String, "1")
        XCTAssertEqual(object["beta"] as? String, "10")
        XCTAssertEqual(object["depth"] as? Int, 4)
        XCTAssertEqual(object["digits"] as? Int, 40)
        let roots = try XCTUnwrap(object["roots"] as? [[String: Any]])
        XCTAssertEqual(roots.count, 1)
        XCTAssertEqual(roots[0]["c"] as? String, "2.981240152385322362238573573411464724975")
        XCTAssertEqual(roots[0]["dominant"] as? Bool, true)
        XCTAssertEqual((roots[0]["overlaps"] as? [String])?.count, 4)
        XCTAssertEqual((roots[0]["overlaps"] as? [String])?.last, "2.981240152385322362238573573411464724975")
        XCTAssertEqual(object["schema"] as? String, "adaptive-kernels/2")
        XCTAssertEqual(object["command"] as? String, "overlaps")
        let lower = try XCTUnwrap(roots[0]["c_lower"] as? String), upper = try XCTUnwrap(roots[0]["c_upper"] as? String)
        XCTAssertLessThan(lower, upper)
        XCTAssertTrue(lower.hasPrefix("2.98124015238532236223857357341146472497"))
        XCTAssertTrue(upper.hasPrefix("2.98124015238532236223857357341146472497"))
        XCTAssertNotNil(roots[0]["chi"] as? String)
        XCTAssertNotNil(roots[0]["action"] as? String)
        // Every layer's enclosure rounds to its printed value: c_4 = c.
        XCTAssertEqual((roots[0]["overlaps_lower"] as? [String])?.last, lower)
        XCTAssertEqual((roots[0]["overlaps_upper"] as? [String])?.last, upper)
    }

    func testExactInputForms() throws {
        // 0.1 is exactly 1/10; beta = inf is b = 0; a fraction gamma.
        let a = try json(run(["overlaps", "--gamma", "0.1", "--beta", "inf", "--depth", "3", "--format", "json"]).standardOutput)
        let b = try json(run(["overlaps", "--gamma=1/10", "--beta=INF", "--depth=3", "--format=json"]).standardOutput)
        XCTAssertEqual(a["gamma"] as? String, "0.1")   // the exact decimal, as 1/10 terminates
        XCTAssertEqual(try json(run(["overlaps", "--gamma", "1/3", "--beta", "2.5e-3", "--depth", "1", "--format", "json"]).standardOutput)["gamma"] as? String, "1/3")
        XCTAssertEqual(try json(run(["overlaps", "--gamma", "1/3", "--beta", "2.5e-3", "--depth", "1", "--format", "json"]).standardOutput)["beta"] as? String, "0.0025")
        XCTAssertEqual(a["beta"] as? String, "inf")
        XCTAssertEqual((a["roots"] as? [[String: Any]])?.first?["c"] as? String, (b["roots"] as? [[String: Any]])?.first?["c"] as? String)
        let c = try json(run(["overlaps", "--gamma", "2.5e-3", "--beta", "1000", "--depth", "5", "--format", "json", "--digits", "40"]).standardOutput)
        XCTAssertEqual((c["roots"] as? [[String: Any]])?.first?["c"] as? String, "1.000031187011995470863552036108187672302")
    }

    func testThreeRootsInJSONAndCSV() throws {
        let object = try json(run(["overlaps", "--gamma", "316", "--beta", "1/10000", "--depth", "10", "--format", "json"]).standardOutput)
        let roots = try XCTUnwrap(object["roots"] as? [[String: Any]])
        XCTAssertEqual(roots.count, 3)
        XCTAssertEqual(roots.map { $0["dominant"] as? Bool }, [true, false, false])
        XCTAssertEqual(roots.map { $0["stationarity"] as? String }, ["minimum", "maximum", "minimum"])
        let csv = run(["overlaps", "--gamma", "316", "--beta", "1/10000", "--depth", "10", "--format", "csv"]).standardOutput
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), "gamma,beta,depth,root,roots,dominant,local_minimum,chi,chi_lower,chi_upper,action,action_lower,action_upper,layer,overlap,overlap_lower,overlap_upper")
        XCTAssertEqual(lines.count, 1 + 3 * 10)
        XCTAssertTrue(lines[1].hasPrefix("316,0.0001,10,1,3,1,1,"))
        XCTAssertTrue(lines[11].hasPrefix("316,0.0001,10,2,3,0,0,"))
    }

    func testSweepAcrossDepths() throws {
        let result = run(["sweep", "--gamma", "1,4", "--beta", "10", "--depth", "1...8", "--digits", "20"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 1 + 2 * 8)
        XCTAssertTrue(lines.contains { $0.hasPrefix("4,10,16") } == false)
        let row = try XCTUnwrap(lines.first { $0.hasPrefix("1,10,4,1,1,1,1,-0.31401172494535358192,") })
        let cells = row.split(separator: ",").map(String.init)
        XCTAssertEqual(cells[10], "0.24412608755074195738")
        XCTAssertEqual(cells[13...14], ["4", "2.9812401523853223622"])
        XCTAssertTrue(cells[15].hasPrefix("2.981240152385322362") && cells[16].hasPrefix("2.981240152385322362"))
        let layered = run(["sweep", "--gamma", "4", "--beta", "10", "--depth", "16", "--layers", "all", "--format", "json"])
        let object = try json(layered.standardOutput)
        let results = try XCTUnwrap(object["results"] as? [[String: Any]])
        let overlaps = try XCTUnwrap((results[0]["roots"] as? [[String: Any]])?[0]["overlaps"] as? [String])
        XCTAssertEqual(overlaps.count, 16)
        XCTAssertEqual(overlaps.last, "55.7907349152731303453039220700")
        let stepped = run(["sweep", "--gamma", "1", "--beta", "inf,10", "--depth", "2...10:4"])
        XCTAssertEqual(stepped.standardOutput.split(separator: "\n").count, 1 + 2 * 3)
        // One list syntax: 1..8 is 1...8; --layers LIST picks layers (those beyond a depth are left out).
        XCTAssertEqual(run(["sweep", "--gamma", "1,4", "--beta", "10", "--depth", "1..8", "--digits", "20"]).standardOutput, result.standardOutput)
        let picked = run(["sweep", "--gamma", "4", "--beta", "10", "--depth", "2,16", "--layers", "2,16", "--format", "csv"]).standardOutput
        XCTAssertEqual(picked.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[13] }, ["2", "2", "16"])
        XCTAssertTrue(picked.contains(",16,55.7907349152731303453039220700,"))
        let table = run(["sweep", "--gamma", "1", "--beta", "10", "--depth", "4", "--digits", "20", "--format", "table"])
        XCTAssertEqual(table.exitCode, 0)
        XCTAssertTrue(table.standardOutput.contains("2.9812401523853223622"))
        // --timings reports on stderr only: the table is unchanged.
        let timed = run(["sweep", "--gamma", "1,4", "--beta", "10", "--depth", "1...8", "--digits", "20", "--timings"])
        XCTAssertEqual(timed.exitCode, 0)
        XCTAssertEqual(timed.standardOutput, result.standardOutput)
    }

    /// The csv rows solved and rendered by one worker per core and joined equal the rows of the
    /// solutions rendered one after another (three workers and one, whatever the cores of the
    /// machine running the test).
    func testWorkerCSVRowsEqualSequentialRows() throws {
        let problems = try (1...100).map { try WhitenedProblem(gamma: BigRational(1), beta: .finite(BigRational(10)), depth: $0) }
        let solutions = try SweepCommand.solveAll(problems, digits: 20, layers: .none)
        let printer = DecimalPrinter(significantDigits: 23)
        var sequential: [UInt8] = []
        for solution in solutions { OverlapReport.appendCSVRows(solution, printer: printer, to: &sequential) }
        let expected = "header\n" + String(decoding: sequential, as: UTF8.self)
        XCTAssertEqual(try SweepCommand.solvedCSV(problems, digits: 20, layers: .none, header: "header\n", cores: 3), expected)
        XCTAssertEqual(try SweepCommand.solvedCSV(problems, digits: 20, layers: .none, header: "header\n", cores: 1), expected)
        XCTAssertEqual(try SweepCommand.solvedCSV(problems, digits: 20, layers: .none, header: "", cores: 7), String(decoding: sequential, as: UTF8.self))
        XCTAssertEqual(String(decoding: sequential, as: UTF8.self).split(separator: "\n").count, 100)
        XCTAssertTrue(String(decoding: sequential, as: UTF8.self).contains("1,10,4,1,1,1,1,-0.31401172494535358192,"))
    }

    /// With several workers claiming runs of points, the error reported is the first failure in
    /// input order (here the layer list refused at depth 2,000,000 at index 9, not the one at
    /// depth 3,000,000 at index 31), with one worker and with more workers than runs.
    func testWorkersReportTheFirstFailureInInputOrder() throws {
        var depths = Array(1...40)
        depths[9] = 2_000_000
        depths[31] = 3_000_000
        let problems = try depths.map { try WhitenedProblem(gamma: BigRational(1), beta: .finite(BigRational(10)), depth: $0) }
        for cores in [1, 2, 3, 16] {
            XCTAssertThrowsError(try SweepCommand.solvedCSV(problems, digits: 10, layers: .all, header: "", cores: cores)) { error in
                XCTAssertTrue("\(error)".contains("asked for 2000000"), "cores \(cores): \(error)")
            }
        }
        depths[31] = 32
        let solved = try (depths.indices.filter { $0 != 9 }).map {
            try WhitenedProblem(gamma: BigRational(1), beta: .finite(BigRational(10)), depth: depths[$0])
        }
        // Without the failure every point is solved, each row after the one before it.
        let rows = try SweepCommand.solvedCSV(solved, digits: 10, layers: .none, header: "", cores: 3).split(separator: "\n")
        XCTAssertEqual(rows.map { Int($0.split(separator: ",")[2])! }, depths.indices.filter { $0 != 9 }.map { depths[$0] })
    }

    /// Every sweep row equals the row `overlaps` prints for that point alone (the sweep's workers
    /// reuse state between points with the same gamma and beta; the multi-root point included).
    func testSweepRowsEqualSingleSolves() throws {
        let sweep = run(["sweep", "--gamma", "1,316", "--beta", "1/10000,10", "--depth", "9...11", "--digits", "30"]).standardOutput
        var single: [String] = []
        for gamma in ["1", "316"] { for beta in ["1/10000", "10"] { for depth in 9...11 {
            let rows = run(["overlaps", "--gamma", gamma, "--beta", beta, "--depth", "\(depth)", "--digits", "30", "--format", "csv"])
                .standardOutput.split(separator: "\n").dropFirst().map(String.init)
            single += rows.filter { $0.split(separator: ",")[13] == "\(depth)" }
        } } }
        XCTAssertEqual(sweep.split(separator: "\n").dropFirst().map(String.init), single)
        XCTAssertTrue(single.contains { $0.hasPrefix("316,0.0001,10,3,3,") })
    }

    func testBadInputGivesOneLineAndNonZeroExit() {
        let cases: [[String]] = [
            ["overlaps", "--gamma", "-1", "--beta", "10", "--depth", "2"],
            ["overlaps", "--gamma", "1", "--beta", "0", "--depth", "2"],
            ["overlaps", "--gamma", "1", "--beta", "-3", "--depth", "2"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "0"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2.5"],
            ["overlaps", "--gamma", "1x", "--beta", "10", "--depth", "2"],
            ["overlaps", "--gamma", "nan", "--beta", "10", "--depth", "2"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2", "--digits", "0"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2", "--digits", "100000"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2", "--format", "xml"],
            ["overlaps", "--gamma", "1", "--beta", "10"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2", "--bogus", "1"],
            ["overlaps", "--gamma", "1", "--gamma", "2", "--beta", "10", "--depth", "2"],
            ["overlaps", "--gamma"],
            ["sweep", "--gamma", "1", "--beta", "10", "--depth", "5...1"],
            ["sweep", "--gamma", "1", "--beta", "10", "--depth", "1...3", "--format", "xml"],
            ["sweep", "--gamma", "1", "--beta", "10", "--depth", "1...3", "--layers"],
            ["help", "frobnicate"],
            ["help", "overlaps", "extra"],
            ["--version", "extra"],
            ["plot", "depth", "--out", "figure.png"],
            ["plot", "scaling", "--out", "figure"],
            ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2", "--out"],
            ["sweep", "--gamma", "1,,2", "--beta", "10", "--depth", "1"],
            ["frobnicate"],
        ]
        for arguments in cases {
            let result = run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments)")
            XCTAssertTrue(result.standardError.hasPrefix("adaptive-kernels: error: "), "\(arguments)")
            XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, "\(arguments): \(result.standardError)")
        }
    }

    func testLayerSelectionAndVeryDeepNetworks() throws {
        let chosen = try json(run(["overlaps", "--gamma", "4", "--beta", "10", "--depth", "16", "--layers", "1,8...9,16", "--format", "json"]).standardOutput)
        XCTAssertEqual(chosen["layers"] as? [Int], [1, 8, 9, 16])
        let overlaps = try XCTUnwrap((chosen["roots"] as? [[String: Any]])?.first?["overlaps"] as? [String])
        XCTAssertEqual(overlaps.first, "1.28576064958106062804826680475")
        XCTAssertEqual(overlaps.last, "55.7907349152731303453039220700")
        // L = 10^9: c_L certified, layers 1, 2, 4, ..., 2^29 and L listed by default.
        let deep = run(["overlaps", "--gamma", "1", "--beta", "10", "--depth", "1000000000", "--digits", "20", "--format", "json"])
        XCTAssertEqual(deep.exitCode, 0, deep.standardError)
        let object = try json(deep.standardOutput)
        XCTAssertEqual((object["layers"] as? [Int])?.count, 31)
        XCTAssertEqual((object["layers"] as? [Int])?.last, 1_000_000_000)
        XCTAssertEqual(run(["overlaps", "--gamma", "1", "--beta", "10", "--depth", "3", "--layers", "4"]).exitCode, 2)
        let all = run(["overlaps", "--gamma", "1", "--beta", "10", "--depth", "2000000", "--layers", "all"])
        XCTAssertEqual(all.exitCode, 2)
        // The library says what is wrong; the command line adds the option that fixes it.
        XCTAssertTrue(all.standardError.contains("at most 1000000 layers can be listed (asked for 2000000; the limit is 1000000 layers and 50000000 printed digits per root); choose layers with --layers LIST"), all.standardError)
        XCTAssertEqual(run(["sweep", "--gamma", "1", "--beta", "10", "--depth", "2000000", "--layers", "all"]).exitCode, 2)
    }

    func testHelpAndVersion() {
        XCTAssertTrue(run(["help"]).standardOutput.contains("overlaps"))
        XCTAssertTrue(run(["overlaps", "--help"]).standardOutput.contains("--digits"))
        XCTAssertTrue(run(["help", "sweep"]).standardOutput.contains("--layers"))
        let version = run(["--version"])
        XCTAssertEqual(version.exitCode, 0)
        // "adaptive-kernels 0.2.0 (commit <hash>)" after scripts/stamp-commit, else "(unknown commit)".
        XCTAssertTrue(version.standardOutput.hasPrefix("adaptive-kernels \(AdaptiveKernelsCommandLine.version) ("), version.standardOutput)
        XCTAssertTrue(version.standardOutput.contains("commit"), version.standardOutput)
        XCTAssertTrue(run(["help", "verify", "antk"]).standardOutput.contains("verify antk"))
        XCTAssertEqual(run(["help", "verify", "antk"]).exitCode, 0)
    }

    func testArgumentParser() throws {
        let parsed = try ParsedArguments(["--a", "1", "--b=x", "--flag"], valued: ["a", "b"], switches: ["flag"])
        XCTAssertEqual(parsed.value("a"), "1")
        XCTAssertEqual(parsed.value("b"), "x")
        XCTAssertTrue(parsed.has("flag"))
        XCTAssertThrowsError(try ParsedArguments(["positional"], valued: [], switches: []))
        XCTAssertThrowsError(try ParsedArguments(["--flag=1"], valued: [], switches: ["flag"]))
        XCTAssertThrowsError(try ParsedArguments(["--a"], valued: ["a"], switches: []))
        XCTAssertThrowsError(try ParsedArguments(["--a="], valued: ["a"], switches: []))
        XCTAssertEqual(try ParsedArguments(["--n", "7"], valued: ["n"], switches: []).integer("n", default: 1, in: 1...9), 7)
        XCTAssertThrowsError(try ParsedArguments(["--n", "70"], valued: ["n"], switches: []).integer("n", default: 1, in: 1...9))
    }

    func testParameterLists() throws {
        XCTAssertEqual(try ParameterList.rationals("1...4", option: "depth"), ["1", "2", "3", "4"])
        // Integer ranges (machine integers) and rational ranges give the same texts.
        XCTAssertEqual(try ParameterList.rationals("-3...4:2", option: "gamma"), ["-3", "-1", "1", "3"])
        XCTAssertEqual(try ParameterList.rationals("-3/1...4:2", option: "gamma"), try ParameterList.rationals("-6/2...8/2:4/2", option: "gamma"))
        XCTAssertEqual(try ParameterList.rationals("99999999999999999998...99999999999999999999", option: "gamma"),
                       ["99999999999999999998", "99999999999999999999"])
        XCTAssertEqual(try ParameterList.rationals("9223372036854775806...9223372036854775807", option: "depth"),
                       ["9223372036854775806", "9223372036854775807"])
        XCTAssertEqual(try ParameterList.rationals("1/2...2:1/2", option: "gamma"), ["1/2", "1", "3/2", "2"])
        XCTAssertEqual(try ParameterList.rationals("0.1, 3", option: "gamma"), ["0.1", "3"])
        XCTAssertThrowsError(try ParameterList.rationals("1...1000001", option: "depth"))
        XCTAssertThrowsError(try ParameterList.rationals("1...3:0", option: "depth"))
        // a..b is the same range as a...b, in every list option.
        XCTAssertEqual(try ParameterList.rationals("1..4", option: "depth"), ["1", "2", "3", "4"])
        XCTAssertEqual(try ParameterList.rationals("0.5..1.5:0.5", option: "gamma"), ["1/2", "1", "3/2"])
        XCTAssertEqual(try ParameterList.integers("2,5..7", option: "depth", in: 1...10), [2, 5, 6, 7])
        XCTAssertThrowsError(try ParameterList.integers("0..2", option: "depth", in: 1...10))
        XCTAssertEqual(try ParameterList.betas("inf,1..2"), ["inf", "1", "2"])
        // Items are trimmed of tabs and space separators (as CharacterSet.whitespaces), not of newlines.
        XCTAssertEqual(try ParameterList.betas(" inf ,\t2\u{00A0}"), ["inf", "2"])
        XCTAssertEqual(ParameterList.trimmingWhitespace(" \t a b\u{3000} "), "a b")
        XCTAssertEqual(ParameterList.trimmingWhitespace("\n1\n"), "\n1\n")
        XCTAssertEqual(ParameterList.trimmingWhitespace(" \t "), "")
        XCTAssertThrowsError(try ParameterList.rationals("1, ,2", option: "gamma"))
    }

    func testJSONWriterEscapesAndOrders() {
        let value = JSONValue.object([("b", .string("q\"\\\n")), ("a", .array([.integer(1), .bool(false), .null]))])
        XCTAssertEqual(value.serialized(indent: 0), "{\"b\": \"q\\\"\\\\\\n\",\"a\": [1, false, null]}")
    }
}

final class VerifyCommandTests: XCTestCase {
    func testVerifySidesAndBadInputExitTwoWithOneLine() {
        for arguments in [["verify"], ["verify", "all", "--format", "csv"], ["verify", "all", "--smoke"], ["verify", "bogus"],
                          ["verify", "bayes", "--format", "csv"], ["verify", "bayes", "--seed", "x"],
                          ["verify", "bayes", "--quick", "--smoke"], ["verify", "bayes", "--bogus"],
                          ["verify", "minmax-step", "--activation", "softplus"], ["verify", "minmax-step", "--seed", "-1"],
                          ["verify", "bayes", "--smoke", "--case", "no such case"], ["verify", "bayes", "--smoke", "--case", ""],
                          ["verify", "minmax-trace", "--gamma", "-1"], ["verify", "bayes", "--smoke", "--perturb-exact", "x"],
                          ["verify", "bayes", "--smoke", "--perturb-exact", "1"], ["verify", "bayes", "--smoke", "--data", "/nonexistent"],
                          ["verify", "bayes", "--smoke", "--digits", "Tests/Fixtures/digits"]] {
            let result = AdaptiveKernelsCommandLine.run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(arguments)")
        }
    }

    /// `verify minmax-step --seed S` (bench/anbk_step.py runs every side at several seeds, notes/anbk-data.md (NB20)):
    /// the same seed gives the same y^T Phi^L y, another seed other random numbers and another value.
    func testMinMaxStepSeedSetsTheRandomNumbers() throws {
        func overlap(_ seed: String) throws -> Double {
            let r = AdaptiveKernelsCommandLine.run(["verify", "minmax-step", "--solver", "data", "--points", "16", "--depth", "1",
                                                    "--samples", "400", "--activation", "relu", "--repeat", "1", "--seed", seed])
            XCTAssertEqual(r.exitCode, 0, r.standardError)
            return try XCTUnwrap(Double(r.standardOutput.components(separatedBy: "y^T Phi^L y = ").last?.split(separator: ")").first ?? ""))
        }
        let first = try overlap("1")
        XCTAssertEqual(try overlap("1"), first)
        XCTAssertNotEqual(try overlap("2"), first)
        XCTAssertGreaterThan(first, 0)
    }

    func testSmokePlanJSONShapeAndDeterminism() throws {
        let first = AdaptiveKernelsCommandLine.run(["verify", "bayes", "--smoke", "--seed", "1", "--format", "json"])
        XCTAssertEqual(first.exitCode, 0, first.standardError + first.standardOutput)
        let json = try JSONSerialization.jsonObject(with: Data(first.standardOutput.utf8)) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        XCTAssertEqual(json["schema"] as? String, "adaptive-kernels/2")
        XCTAssertEqual(json["command"] as? String, "verify bayes")
        XCTAssertEqual(json["verdict"] as? String, "pass")
        XCTAssertEqual(json["false_alarm_rate"] as? String, "0.01")
        XCTAssertEqual(json["perturb_exact"] as? String, "0")
        XCTAssertEqual((json["summary"] as? [String: Int])?["pass"], cases.count)
        for c in cases {
            XCTAssertNotNil(c["name"] as? String)
            XCTAssertNotNil(c["group"] as? String)
            let estimates = try XCTUnwrap(c["estimates"] as? [String: [String: Any]])
            for (_, e) in estimates {
                XCTAssertEqual(e["kind"] as? String, "estimated")
                let value = try XCTUnwrap(Double(try XCTUnwrap(e["value"] as? String))), float = try XCTUnwrap(e["float"] as? Double)
                XCTAssertEqual(value, float, accuracy: 1e-15 * abs(value))   // (Foundation's JSON parser may differ by an ulp)
                XCTAssertNotNil(Double(try XCTUnwrap(e["standard_error"] as? String)))
            }
            XCTAssertNotNil(Double(try XCTUnwrap(c["tolerance"] as? String)))
            XCTAssertEqual(c["verdict"] as? String, "pass", "\(c)")
            XCTAssertTrue(c["exact"] is [String: Any] || c["exact"] is NSNull)
        }
        let second = AdaptiveKernelsCommandLine.run(["verify", "bayes", "--smoke", "--seed", "1", "--format", "json"])
        XCTAssertEqual(first.standardOutput, second.standardOutput)
        // --case runs only the matching cases, with the seeds they have in the whole plan: the same
        // numbers as in the full smoke report (here a case after another min-max case).
        let filtered = AdaptiveKernelsCommandLine.run(["verify", "bayes", "--smoke", "--seed", "1", "--format", "json", "--case", "GENERAL-C TEST PREDICTION"])
        XCTAssertEqual(filtered.exitCode, 0, filtered.standardError)
        let selected = (try JSONSerialization.jsonObject(with: Data(filtered.standardOutput.utf8)) as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertEqual(selected.map { $0["name"] as! String }, ["minmax linear general-C test prediction"])
        let same = cases.first { ($0["name"] as? String) == "minmax linear general-C test prediction" }!
        // Same estimates and exact value; the tolerance differs (the Bonferroni family is the reported cases).
        for key in ["estimates", "exact", "name", "group"] {
            XCTAssertEqual(NSDictionary(dictionary: ["k": selected[0][key] ?? NSNull()]), NSDictionary(dictionary: ["k": same[key] ?? NSNull()]), key)
        }
    }

    func testMinMaxTracePrintsEveryKthIteration() {
        let result = AdaptiveKernelsCommandLine.run(["verify", "minmax-trace", "--depth", "1", "--samples", "500", "--iterations", "20", "--every", "5"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let lines = result.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: " ")[0] }, ["1", "6", "11", "16"])
        XCTAssertTrue(lines.dropFirst().allSatisfy { Double($0.split(separator: " ")[1]).map { $0 > 0 } ?? false })
    }

    /// The three outcomes reach the table, the JSON and the exit status (0 / 3 / 4) of a verify command.
    func testReportRenderingAndExitStatus() throws {
        let ok = VerificationCase.against(exact: 1, name: "a", measured: .init(name: "minmax", estimate: Estimate(value: 1.001, standardError: 0.001)), failure: nil)
        let bad = VerificationCase.against(exact: 1, name: "b", measured: .init(name: "langevin", estimate: Estimate(value: 1.1, standardError: 0.001)), failure: nil)
        let stuck = VerificationCase.against(exact: 1, name: "c", measured: .init(name: "minmax", estimate: Estimate(value: 1, standardError: 0.1)), failure: "drift")
        func status(_ cases: [VerificationCase]) -> (Int32, String) {
            let report = VerificationReport(plan: "test", seed: 1, cases: cases)
            do { return (0, try VerificationRendering.finish(report, command: "verify test", json: false, title: "t")) } catch let f as CommandFailure {
                return (f.exitCode, f.standardOutput)
            } catch { return (-1, "") }
        }
        XCTAssertEqual(status([ok]).0, 0)
        let (failed, table) = status([ok, bad, stuck])
        XCTAssertEqual(failed, 3)
        XCTAssertTrue(table.contains("[FAIL] b"))
        XCTAssertTrue(table.contains("[INCONCLUSIVE] c"))
        XCTAssertTrue(table.contains("not converged: drift"))
        XCTAssertTrue(table.contains("1 pass, 1 fail, 1 inconclusive of 3 cases: fail"))
        XCTAssertTrue(table.contains("family-wise false-alarm rate 0.01"))
        XCTAssertEqual(status([ok, stuck]).0, 4)
        let json = VerificationRendering.json(VerificationReport(plan: "test", seed: 1, cases: [ok, stuck]), command: "verify test").serialized()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(Array((object.keys)).count, 10)
        XCTAssertTrue(json.hasPrefix("{\n  \"schema\": \"adaptive-kernels/2\",\n  \"version\""))
        XCTAssertEqual(object["verdict"] as? String, "inconclusive")
        XCTAssertEqual((object["cases"] as? [[String: Any]])?.map { $0["verdict"] as? String }, ["pass", "inconclusive"])
    }

    /// --perturb-exact 0.05 flips the smoke plan's whitened min-max case (exact reference) to fail, exit 3;
    /// the same case passes unperturbed.
    func testPerturbExactFlipsAnExactCase() throws {
        let arguments = ["verify", "bayes", "--smoke", "--seed", "2", "--format", "json", "--case", "whitened c_L (gamma=1"]
        let plain = AdaptiveKernelsCommandLine.run(arguments)
        XCTAssertEqual(plain.exitCode, 0, plain.standardError)
        let perturbed = AdaptiveKernelsCommandLine.run(arguments + ["--perturb-exact", "1/20"])
        XCTAssertEqual(perturbed.exitCode, 3, perturbed.standardError)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(perturbed.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(object["perturb_exact"] as? String, "0.05")
        let c = try XCTUnwrap((object["cases"] as? [[String: Any]])?.first)
        XCTAssertEqual(c["verdict"] as? String, "fail")
        let exact = try XCTUnwrap(Double(try XCTUnwrap((c["exact"] as? [String: Any])?["value"] as? String)))
        let reference = try XCTUnwrap(Double(try XCTUnwrap((c["reference"] as? [String: Any])?["value"] as? String)))
        XCTAssertEqual(reference, exact * 1.05, accuracy: 1e-14 * exact)
    }
}
