import XCTest
import Foundation
@testable import Core
@testable import Studies

/// The verdict vocabulary on tiny synthetic cases: three outcomes, the plan's verdict and exit status,
/// the Bonferroni tolerance, the perturbation knob and the Codable round trip.
final class VerificationReportTests: XCTestCase {
    static func against(_ value: Double, exact: Double = 1, se: Double = 0.01, failure: String? = nil) -> VerificationCase {
        .against(exact: exact, name: "x", group: "g", measured: .init(name: "minmax", estimate: Estimate(value: value, standardError: se)), failure: failure)
    }

    func testThreeOutcomesAndExitStatus() {
        let pass = Self.against(1.01), fail = Self.against(1.5), inconclusive = Self.against(1.5, failure: "drift z = 9 after 3 runs")
        XCTAssertEqual(VerificationReport(plan: "t", seed: 1, cases: [pass, pass]).exitStatus, 0)
        let all = VerificationReport(plan: "t", seed: 1, cases: [pass, fail, inconclusive])
        XCTAssertEqual(all.verdicts, [.pass, .fail, .inconclusive])
        XCTAssertEqual(all.verdict, .fail)
        XCTAssertEqual(all.exitStatus, 3)
        XCTAssertEqual(all.summary, VerificationReport.Summary([.pass, .fail, .inconclusive]))
        XCTAssertEqual([all.summary.pass, all.summary.fail, all.summary.inconclusive], [1, 1, 1])
        let undecided = VerificationReport(plan: "t", seed: 1, cases: [pass, inconclusive])
        XCTAssertEqual(undecided.verdict, .inconclusive)
        XCTAssertEqual(undecided.exitStatus, 4)
    }

    /// k = Student t(19) at p = alpha / (m c): reference values scipy.stats.t.isf(p / 2, 19).
    func testBonferroniToleranceOverThePlan() {
        let report = VerificationReport(plan: "t", seed: 1, cases: Array(repeating: Self.against(1), count: 10))
        XCTAssertEqual(report.cases[0].k, 3.883405852592083, accuracy: 1e-5)   // p = 0.01 / 10
        XCTAssertEqual(report.cases[0].tolerance, report.cases[0].k * 0.01, accuracy: 1e-15)
        var wide = Self.against(1)
        wide.comparisons = 72
        let r2 = VerificationReport(plan: "t", seed: 1, cases: [wide])
        XCTAssertEqual(r2.cases[0].k, VerificationCase.standardErrors(comparisons: 72), accuracy: 1e-12)
        XCTAssertEqual(StudentT.twoSidedQuantile(p: 0.01 / 72, dof: 19), r2.cases[0].k, accuracy: 1e-12)
    }

    /// --perturb-exact: exact (1 + R) is the reference; a 5% shift flips an agreeing case to fail, a
    /// comparison of two estimates and an exact value 0 are unaffected (and say why).
    func testPerturbationFlipsExactReferenceCases() {
        let exactCase = Self.against(2.001, exact: 2)
        let between = VerificationCase.between(.init(name: "a", estimate: Estimate(value: 1, standardError: 0.01)),
                                               .init(name: "b", estimate: Estimate(value: 1.01, standardError: 0.01)), name: "ab", failure: nil)
        let zero = Self.against(0.001, exact: 0)
        let plain = VerificationReport(plan: "t", seed: 1, cases: [exactCase, between, zero])
        XCTAssertEqual(plain.verdicts, [.pass, .pass, .pass])
        let perturbed = VerificationReport(plan: "t", seed: 1, cases: [exactCase, between, zero], perturbExact: 0.05, perturbExactText: "0.05")
        XCTAssertEqual(perturbed.verdicts, [.fail, .pass, .pass])
        XCTAssertEqual(perturbed.cases[0].reference, 2.1, accuracy: 1e-15)
        XCTAssertNil(perturbed.cases[1].smallestDetectablePerturbation)
        XCTAssertNotNil(perturbed.cases[2].perturbationNote)
        // The smallest R that certainly fails: (tolerance + |value - exact|) / |exact|.
        let c = plain.cases[0]
        XCTAssertEqual(c.smallestDetectablePerturbation!, (c.tolerance + 0.001) / 2, accuracy: 1e-15)
        let justAbove = VerificationReport(plan: "t", seed: 1, cases: [exactCase], perturbExact: c.smallestDetectablePerturbation! * 1.0001 + 1e-9)
        XCTAssertEqual(justAbove.verdict, .fail)
    }

    /// `verify all`: the reports are concatenated, each case keeps its own plan's family, the rates add.
    func testConcatenationKeepsVerdictsAndAddsRates() {
        let a = VerificationReport(plan: "antk", seed: 3, cases: [Self.against(1.01)])
        let b = VerificationReport(plan: "bayes", seed: 3, cases: [Self.against(1.5), Self.against(1, failure: "budget")])
        let all = VerificationReport.concatenated([a, b])
        XCTAssertEqual(all.plans, ["antk", "bayes"])
        XCTAssertEqual(all.verdicts, a.verdicts + b.verdicts)
        XCTAssertEqual(all.falseAlarmRate, 0.02, accuracy: 1e-15)
        XCTAssertEqual(all.cases.map(\.familySize), [1, 2, 2])
        XCTAssertEqual(all.exitStatus, 3)
    }

    func testCodableRoundTrip() throws {
        let report = VerificationReport(plan: "t", seed: 9, cases: [Self.against(1.01), Self.against(1.5, failure: "drift")])
        let data = try JSONEncoder().encode(report)
        let back = try JSONDecoder().decode(VerificationReport.self, from: data)
        XCTAssertEqual(back.verdicts, report.verdicts)
        XCTAssertEqual(back.summary, report.summary)
        XCTAssertEqual(back.cases.map(\.tolerance), report.cases.map(\.tolerance))
    }

    /// The digits fixture is found from the source tree whatever the working directory; an explicit
    /// directory without the files is an error naming the missing file.
    func testDigitsFixtureIndependentOfWorkingDirectory() throws {
        let previous = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        FileManager.default.changeCurrentDirectoryPath(NSTemporaryDirectory())
        let found = try DigitsFixture.locate()
        XCTAssertTrue(found.hasSuffix("Tests/Fixtures/digits"), found)
        XCTAssertTrue(FileManager.default.fileExists(atPath: found + "/X_train.npy"))
        XCTAssertThrowsError(try DigitsFixture.locate(explicit: "/nonexistent")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/X_train.npy"), "\(error)")
        }
    }
}
