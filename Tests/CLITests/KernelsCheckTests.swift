import Foundation
import XCTest
import Numerics
import Theory
import Studies
@testable import AdaptiveKernelsCLI
import Core

/// `kernels` never discards an answer: the independent matrix check (G14) reports agrees,
/// disagrees or "unchecked: <reason>"; only a disagreement exits 3. Random data with P = D,
/// P > D (rank-deficient C) and repeated points work with default options.
final class KernelsCheckTests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }

    func randomData(points p: Int, features d: Int, seed: UInt64, repeatFirst: Int = 0) -> (x: [Double], y: [Double]) {
        var generator = SeededGenerator(seed: seed)
        var x = (0..<(p * d)).map { _ in Double.random(in: -1...1, using: &generator) }
        for i in 0..<repeatFirst { for j in 0..<d { x[(p - 1 - i) * d + j] = x[i * d + j] } }   // repeated points: rank C < P
        return (x, (0..<p).map { _ in Double.random(in: -1...1, using: &generator) })
    }

    func files(_ data: (x: [Double], y: [Double]), points p: Int, features d: Int) throws -> (String, String) {
        let folder = try temporaryFolder()
        return (try write(NPYArray(shape: [p, d], values: data.x), "X.npy", in: folder), try write(NPYArray(shape: [p], values: data.y), "y.npy", in: folder))
    }

    func float(_ value: Any?) throws -> Double { try XCTUnwrap((value as? [String: Any])?["float"] as? Double) }

    /// P = D = 40, P = 40 > D = 10, and 40 points of which 10 repeat (D = 50): an answer, exit 0,
    /// the stationarity and label residuals of the exact reduction small, a decided check.
    func testRandomAndRankDeficientDataGiveAnAnswer() throws {
        for (p, d, repeats) in [(40, 40, 0), (40, 10, 0), (40, 50, 10)] {
            let (x, y) = try files(randomData(points: p, features: d, seed: UInt64(p * 100 + d), repeatFirst: repeats), points: p, features: d)
            let result = run(["kernels", "--train", x, "--labels", y, "--gamma", "1", "--beta", "10", "--depth", "3", "--format", "json"])
            XCTAssertEqual(result.exitCode, 0, "P=\(p) D=\(d): \(result.standardError)")
            let object = try json(result.standardOutput)
            let check = try XCTUnwrap(object["check"] as? String)
            XCTAssertTrue(check == "agrees" || check.hasPrefix("unchecked: "), "P=\(p) D=\(d): \(check)")
            let root = try XCTUnwrap((object["roots"] as? [[String: Any]])?.first { $0["dominant"] as? Bool == true })
            XCTAssertLessThan(try XCTUnwrap(Double(try XCTUnwrap(root["stationarity_residual"] as? String))), 1e-9, "P=\(p) D=\(d)")
            XCTAssertLessThan(try XCTUnwrap(Double(try XCTUnwrap(root["label_residual"] as? String))), 1e-9, "P=\(p) D=\(d)")
            XCTAssertGreaterThan(try float(root["u"]), 0)
        }
    }

    /// Rank-deficient C (P = 12, D = 5): the working-precision root equals the certified root of
    /// `kernels --exact` on the same floats (read exactly) to 1e-10.
    func testRankDeficientAgreesWithTheCertifiedPath() throws {
        let (x, y) = try files(randomData(points: 12, features: 5, seed: 5), points: 12, features: 5)
        let arguments = ["--train", x, "--labels", y, "--gamma", "2", "--beta", "10", "--depth", "3", "--format", "json"]
        let float = try json(run(["kernels"] + arguments).standardOutput)
        let exact = try json(run(["kernels", "--exact", "--digits", "20"] + arguments).standardOutput)
        XCTAssertEqual(exact["input_kernel_rank"] as? Int, 5)
        let u = try self.float((float["roots"] as? [[String: Any]])?.first?["u"])
        let certified = try XCTUnwrap(Double(try XCTUnwrap((exact["roots"] as? [[String: Any]])?.first?["u"] as? String)))
        XCTAssertEqual(u, certified, accuracy: 1e-10 * certified)
        XCTAssertEqual(float["check"] as? String, "agrees")
    }

    /// A check that cannot finish in its budget leaves the answer in place: unchecked, exit 0.
    func testUndecidedCheckKeepsTheAnswer() throws {
        let (x, y) = try files(randomData(points: 40, features: 40, seed: 9), points: 40, features: 40)
        let base = ["kernels", "--train", x, "--labels", y, "--gamma", "1", "--beta", "10", "--depth", "3"]
        let result = run(base + ["--format", "json", "--check-time", "0.000001"])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        let object = try json(result.standardOutput)
        let check = try XCTUnwrap(object["check"] as? String)
        XCTAssertTrue(check.hasPrefix("unchecked: ") && check.contains("time"), check)
        let full = try json(run(base + ["--format", "json"]).standardOutput)
        XCTAssertEqual(try float((object["roots"] as? [[String: Any]])?.first?["u"]), try float((full["roots"] as? [[String: Any]])?.first?["u"]))
        XCTAssertTrue(run(base + ["--check-time", "0.000001"]).standardOutput.contains("a longer --check-time S lets the check finish"))
        let table = run(base + ["--no-check"])
        XCTAssertEqual(table.exitCode, 0)
        XCTAssertTrue(table.standardOutput.contains("check (matrix equations, G14): unchecked: not requested"), table.standardOutput)
        XCTAssertEqual(run(base + ["--no-check", "--check-time", "5"]).exitCode, 2)
        XCTAssertEqual(run(base + ["--check-time", "-1"]).exitCode, 2)
    }

    /// The study reports a disagreement when the check's tolerance cannot be met (here: zero),
    /// and the command line turns only that into exit status 3, with the report on stdout.
    func testDisagreementIsTheOnlyFailure() throws {
        let data = randomData(points: 10, features: 4, seed: 11)
        let problem = KernelsStudy.Problem(data: try LabelledData(train: data.x, labels: data.y, dimension: 4),
                                           gamma: BigRational(1), beta: .finite(BigRational(10)), depth: 2)
        var options = KernelsStudy.Options()
        options.agreementTolerance = 0
        let strict = try KernelsStudy.run(problem, options: options)
        XCTAssertEqual(strict.check.status, .disagrees)
        XCTAssertEqual(strict.check.text, "disagrees")
        options.agreementTolerance = 1e-6
        let normal = try KernelsStudy.run(problem, options: options)
        XCTAssertEqual(normal.check.status, .agrees)
        XCTAssertLessThan(try XCTUnwrap(normal.check.relativeDifference), 1e-8)
        XCTAssertEqual(normal.overlaps, strict.overlaps)
        // The result is Codable (front ends other than the command line).
        let decoded = try JSONDecoder().decode(KernelsStudy.Result.self, from: JSONEncoder().encode(normal))
        XCTAssertEqual(decoded.overlaps, normal.overlaps)
        XCTAssertEqual(decoded.check, normal.check)
    }
}
