import XCTest
import Core
@testable import Studies

/// `verify cnn` (notes/cnn-two-layer.md (CN11)-(CN12)) on a reduced plan: the population DMFT agrees
/// with finite-width CNNs extrapolated in 1/N, and the same runs with the theory moved by 30% fail.
final class CNNVerificationTests: XCTestCase {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/digits").path

    func settings(perturbation: Double) -> CNNVerification.Settings {
        var s = CNNVerification.Settings.quick(seed: 3)
        s.groups = [CNNVerification.Group(activation: .relu, gamma: 2, lambda: 0.1)]
        s.populations = 4; s.populationSize = 256; s.widths = [64, 256]; s.seedsPerWidth = 4
        s.perturbation = perturbation
        return s
    }

    func testPopulationAgreesWithExtrapolatedCNNsAndAPerturbedTheoryFails() throws {
        let plan = CNNVerification(settings: settings(perturbation: 0), digitsDirectory: Self.digits)
        XCTAssertEqual(try plan.steps().count, 1)
        let report = VerificationReport(plan: "cnn test", seed: 3, cases: try plan.run())
        XCTAssertEqual(report.cases.count, plan.caseCount)
        XCTAssertEqual(report.cases.count, 5)
        for c in report.cases {
            XCTAssertEqual(c.verdict, .pass, "\(c.name): |diff| \(c.distance), tolerance \(c.tolerance)")
            XCTAssertEqual(c.comparison, .estimatesAgree)
            XCTAssertGreaterThan(c.estimates[1].estimate.standardError, 0)
        }
        // The train loss (about 0.89, standard errors near 0.3%) is the sharpest case: 30% must fail it.
        let perturbed = CNNVerification(settings: settings(perturbation: 0.3), digitsDirectory: Self.digits)
        let moved = VerificationReport(plan: "cnn test", seed: 3, cases: try perturbed.run())
        XCTAssertEqual(moved.cases.first { $0.name.hasSuffix("train loss") }?.verdict, .fail)
        XCTAssertEqual(moved.cases.first { $0.name.hasSuffix("ntk overlap") }?.verdict, .fail)
        // The networks' side does not depend on the perturbation: the same seeds give the same numbers.
        XCTAssertEqual(moved.cases[2].estimates[1].estimate.value, report.cases[2].estimates[1].estimate.value)
    }
}
