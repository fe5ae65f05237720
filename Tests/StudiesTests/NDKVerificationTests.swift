import XCTest
@testable import Core
@testable import Studies

/// The NDK verification plan on the Core report (notes/neural-dynamical-kernel.md (NK18), (NK19)):
/// theory against small simulations with the plan's control-variate estimator and its tolerance
/// (Bonferroni Student t on the pair standard error, finite-width allowance 4|f|/N, the solver's
/// error). Each group passes at the theory's values and fails when the theory is perturbed by R,
/// where R is above every case's smallest detectable perturbation at this size.
final class NDKVerificationTests: XCTestCase {
    private func check(_ group: NDKVerification.Group, times: [Double], seed: UInt64, perturbation r: Double) throws {
        let settings = NDKVerification.Settings(seed: seed, timeStep: 0.02, times: times, groups: [group])
        let cases = try NDKVerification(settings: settings).run()
        XCTAssertEqual(cases.count, times.count * 5)   // 3 training and 2 test points per time
        XCTAssertTrue(cases.allSatisfy { $0.comparison == .agreesWithExact && $0.estimates[0].estimate.degreesOfFreedom == group.pairs - 3 })
        let truth = VerificationReport(plan: "ndk test", seed: seed, cases: cases, perturbExact: 0, perturbExactText: "0")
        XCTAssertEqual(truth.verdict, .pass, truth.cases.filter { $0.verdict != .pass }.map { "\($0.name): \($0.distance) > \($0.tolerance)" }.joined(separator: "; "))
        // every case can detect R: its tolerance plus its distance is below R |exact|
        let detectable = truth.cases.compactMap(\.smallestDetectablePerturbation).max() ?? .infinity
        XCTAssertLessThan(detectable, r, "the check at R = \(r) must be able to fail in every case")
        let perturbed = VerificationReport(plan: "ndk test", seed: seed, cases: cases, perturbExact: r, perturbExactText: "\(r)")
        XCTAssertEqual(perturbed.verdict, .fail)
        XCTAssertTrue(perturbed.cases.allSatisfy { $0.verdict == .fail })
        XCTAssertEqual(perturbed.exitStatus, 3)
    }

    /// ReLU, L = 1, N = 256, 24 pairs: tolerances about 5% of the predictions.
    func testReLUDepthOnePassesAndFailsWhenPerturbed() throws {
        try check(.init(activation: .relu, depth: 1, widths: [256], pairs: 24), times: [0.5, 4], seed: 7, perturbation: 0.15)
    }

    /// erf, L = 1, N = 256, 24 pairs.
    func testErfDepthOnePassesAndFailsWhenPerturbed() throws {
        try check(.init(activation: .erf, depth: 1, widths: [256], pairs: 24), times: [0.5, 4], seed: 8, perturbation: 0.15)
    }

    /// L = 2, identity: N x N hidden layers at N = 64, 16 pairs; the allowance 4|f|/N is 6%.
    func testIdentityDepthTwoPassesAndFailsWhenPerturbed() throws {
        try check(.init(activation: .identity, depth: 2, widths: [64], pairs: 16), times: [1.5, 4], seed: 9, perturbation: 0.4)
    }

    /// L = 2, ReLU (smaller predictions at t = 1.5: 0.12 to 0.28), N = 64, 16 pairs.
    func testReLUDepthTwoPassesAndFailsWhenPerturbed() throws {
        try check(.init(activation: .relu, depth: 2, widths: [64], pairs: 16), times: [1.5, 4], seed: 10, perturbation: 0.6)
    }
}
