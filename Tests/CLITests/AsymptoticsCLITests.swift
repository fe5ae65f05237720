import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Core
@testable import AdaptiveKernelsCLI

final class AsymptoticsCLITests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }


    func testAsymptoticsJSONHasTheDocumentedShape() throws {
        for regime in ["lazy", "rich", "deep", "joint"] {
            let result = run(["asymptotics", "--regime", regime, "--order", "3", "--format", "json"])
            XCTAssertEqual(result.exitCode, 0, result.standardError)
            let object = try json(result.standardOutput)
            let points = try XCTUnwrap(object["points"] as? [[String: Any]])
            XCTAssertEqual(points.count, 5)
            let columns = try XCTUnwrap(object["labels"] as? [String]).count
            let parameter = try XCTUnwrap(object["parameter"] as? String)
            XCTAssertEqual(parameter, regime == "lazy" || regime == "rich" ? "gamma" : "depth")
            for point in points {
                if parameter == "gamma" { XCTAssertNotNil(point["gamma"] as? String) } else { XCTAssertNotNil(point["depth"] as? Int) }
                XCTAssertNotNil(point["exact"] as? String)
                XCTAssertEqual((point["predictions"] as? [String])?.count, columns)
                XCTAssertEqual((point["errors"] as? [Any])?.count, columns)
                XCTAssertEqual((point["errors_lower"] as? [String])?.count, columns)
            }
            func orders(_ key: String) throws -> [Double] {
                try XCTUnwrap(object[key] as? [[String: Any]]).map { try XCTUnwrap(Double(XCTUnwrap($0["value"] as? String))) }
            }
            let measured = try orders("order_measured")
            let predicted = try orders("order_predicted")
            XCTAssertEqual(measured.count, columns)
            XCTAssertEqual(predicted.count, columns)
            // The highest order agrees within 5% in every regime (60-digit exact values).
            XCTAssertEqual(measured.last! / predicted.last!, 1, accuracy: 0.05, regime)
        }
    }

    func testLazyJSONValuesAndTable() throws {
        let result = run(["asymptotics", "--regime", "lazy", "--gamma", "1/10", "--beta", "10", "--depth", "4", "--order", "1",
                          "--per-decade", "1", "--format", "json"])
        let object = try json(result.standardOutput)
        let first = try XCTUnwrap((object["points"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["gamma"] as? String, "0.1")
        // notes/asymptotics-lazy.md: c_L exact at g = 1/100 and the K = 1 series 1 + 4g/1.21.
        XCTAssertEqual((first["exact"] as? String)?.prefix(40), "1.032589890196161550022946520482726489683".prefix(40))
        XCTAssertEqual((first["predictions"] as? [String])?.first?.prefix(40), "1.033057851239669421487603305785123966942".prefix(40))
        let table = run(["asymptotics", "--regime", "deep"]).standardOutput
        XCTAssertTrue(table.contains("paper Lg/ln(Lg)"))
        XCTAssertTrue(table.contains("order predicted"))
        let csv = run(["asymptotics", "--regime", "rich", "--format", "csv"]).standardOutput
        XCTAssertTrue(csv.hasPrefix("gamma,exact,exact_lower,exact_upper,prediction_k_0,prediction_k_0_lower,prediction_k_0_upper,error_k_0,error_k_0_lower,error_k_0_upper,"))
        XCTAssertFalse(csv.contains("|e|"))
        // An error the enclosure cannot sign is an empty cell with its bounds beside it.
        let lazy = run(["asymptotics", "--regime", "lazy", "--order", "4", "--digits", "10", "--format", "csv"]).standardOutput
        XCTAssertTrue(lazy.contains(",,"), lazy)
    }

    func testCoefficientsAreExactRationals() throws {
        let result = run(["asymptotics", "--regime", "lazy", "--coefficients", "--order", "2", "--depth", "4", "--beta", "10",
                          "--layer", "2", "--format", "json"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let coefficients = try XCTUnwrap(try json(result.standardOutput)["coefficients"] as? [String: [String]])
        XCTAssertEqual(coefficients["a_k"], ["100/121", "-360000/161051"])
        XCTAssertEqual(coefficients["c_l_4"], ["400/121", "-780000/161051"])
        XCTAssertEqual(coefficients["c_l_2"], ["200/121", "-610000/161051"])
        let rich = run(["asymptotics", "--regime", "rich", "--coefficients", "--order", "3", "--depth", "1", "--beta", "10", "--format", "csv"])
        XCTAssertEqual(rich.standardOutput, "k,c_l_1\n0,1\n1,0.4\n2,0.175\n3,0.005\n")   // 2/5, 7/40, 1/200 as exact decimals
    }

    func testBadInputIsOneLineAndExitTwo() {
        let cases: [[String]] = [
            ["asymptotics", "--regime", "lazy", "--gamma", "-1"],
            ["asymptotics", "--regime", "lazy", "--beta", "0"],
            ["asymptotics", "--regime", "lazy", "--beta", "-3"],
            ["asymptotics", "--regime", "rich", "--depth", "0"],
            ["asymptotics", "--regime", "lazy", "--order", "0"],
            ["asymptotics", "--regime", "lazy", "--order", "41"],
            ["asymptotics", "--regime", "sideways"],
            ["asymptotics"],
            ["asymptotics", "--regime", "deep", "--depth", "100000000", "--decades", "2"],
            ["asymptotics", "--regime", "deep", "--gamma", "1/100", "--depth", "10"],
            ["asymptotics", "--regime", "deep", "--coefficients"],
            ["asymptotics", "--regime", "joint", "--layer", "2"],
            ["asymptotics", "--regime", "lazy", "--layer", "9", "--depth", "4"],
            ["plot", "scaling"],
            ["plot", "sideways", "--out", "/tmp/x.svg"],
            ["plot", "depth", "--out", "/nonexistent-directory/figure.svg"],
        ]
        for arguments in cases {
            let result = run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments)")
            XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, "\(arguments)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent-directory/figure.svg"))
    }

    func testPlotsAreWellFormedSVG() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ak-plot-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for figure in ["scaling", "depth"] {
            let path = directory.appendingPathComponent("\(figure).svg").path
            let result = run(["plot", figure, "--out", path])
            XCTAssertEqual(result.exitCode, 0, result.standardError)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let parser = XMLParser(data: Data(text.utf8))
            XCTAssertTrue(parser.parse(), "\(figure): \(String(describing: parser.parserError))")
            XCTAssertTrue(text.contains("class=\"legend\""))
            XCTAssertTrue(text.contains("class=\"tick\""))
            XCTAssertGreaterThanOrEqual(text.components(separatedBy: "class=\"series\"").count - 1, figure == "scaling" ? 20 : 6)
        }
        // No temporary file is left beside the figure.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["depth.svg", "scaling.svg"])
    }

    func testSVGWriterTicksAndEscaping() {
        let logTicks = SVGPlot.ticks(.init(label: "", logarithmic: true, range: 0.01...1000))
        XCTAssertEqual(logTicks.map(\.label), ["10^-2", "10^-1", "10^0", "10^1", "10^2", "10^3"])
        let linear = SVGPlot.ticks(.init(label: "", logarithmic: false, range: 0...16))
        XCTAssertEqual(linear.map(\.label), ["0", "2", "4", "6", "8", "10", "12", "14", "16"])
        var plot = SVGPlot(title: "a < b & c", x: .init(label: "x", logarithmic: false, range: 0...1),
                           y: .init(label: "y", logarithmic: true, range: 1...10))
        plot.series = [.init(label: "s", points: [(0, 1), (0.5, -1), (1, 10)], color: "#000")]   // y <= 0 is dropped on a log axis
        let text = plot.render()
        XCTAssertTrue(text.contains("a &lt; b &amp; c"))
        XCTAssertTrue(XMLParser(data: Data(text.utf8)).parse())
    }
}
