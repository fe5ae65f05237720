import XCTest
@testable import Core
@testable import Studies

/// The NDK verification plan on the Core report: it passes at the theory's values and fails when
/// the theory is perturbed (notes/neural-dynamical-kernel.md, section 9). At this test's size (N = 256,
/// 16 antithetic pairs) the tolerances are 8-15% of the predictions, so the perturbation is 30%; the
/// quick plan's per-case power at 5% is recorded in the note.
final class NDKVerificationTests: XCTestCase {
    func testPassesAtTheTheoryAndFailsWhenPerturbed() throws {
        var settings = NDKVerification.Settings.quick(seed: 7)
        settings.widths = [256]; settings.pairs = 16; settings.times = [0.5, 4]
        let cases = try NDKVerification(settings: settings).run()
        XCTAssertEqual(cases.count, 2 * 2 * 2)   // identity and ReLU, two times, two test points
        XCTAssertTrue(cases.allSatisfy { $0.comparison == .agreesWithExact && $0.estimates[0].estimate.degreesOfFreedom == 15 })
        let truth = VerificationReport(plan: "ndk test", seed: 7, cases: cases, perturbExact: 0, perturbExactText: "0")
        XCTAssertEqual(truth.verdict, .pass, truth.cases.filter { $0.verdict != .pass }.map(\.name).joined(separator: "; "))
        let perturbed = VerificationReport(plan: "ndk test", seed: 7, cases: cases, perturbExact: 0.3, perturbExactText: "0.3")
        XCTAssertEqual(perturbed.verdict, .fail)
        XCTAssertTrue(perturbed.cases.allSatisfy { $0.verdict == .fail })
        XCTAssertEqual(perturbed.exitStatus, 3)
    }
}
