import Foundation
import XCTest
import Core
@testable import Theory
@testable import Simulation

/// notes/fluctuations-gradient-flow.md (FG12): the delta-method theory against an ensemble of actual finite-width
/// two-layer linear networks (Euler flow (A2)), extrapolated in 1/N. The theory must agree within 4 combined
/// standard errors, and the theory scaled by 0.5 must not.
final class GradientFlowFluctuationsAgreementTests: XCTestCase {
    func testTheoryAgreesWithFiniteWidthEnsemble() throws {
        let gamma = 1.0, lambda = 0.5, time = 1.0, intervals = 2, points = 2
        let theory = try GradientFlowFluctuations(gamma: gamma, lambda: lambda, time: time, intervals: intervals, points: points)
        let ensemble = try LinearFluctuationEnsemble(gamma: gamma, lambda: lambda, points: points, time: time, intervals: intervals,
                                                     widths: [32, 256], seedsPerWidth: 192, seed: 11, targetTimeStep: 0.02)
        let result = ensemble.run()
        typealias Q = LinearFluctuationEnsemble.Quantity
        var scaledFailures = 0, compared = 0
        for t in 1...intervals {
            let pairs: [(Q, Double, Double)] = [
                (.labelVariance, theory.labelPrediction.total!.values[t], theory.labelPrediction.total!.residuals[t]),
                (.orthogonalVariance, theory.orthogonalPrediction!.total!.values[t], theory.orthogonalPrediction!.total!.residuals[t]),
                (.testVariance, theory.testPrediction.total!.values[t], theory.testPrediction.total!.residuals[t]),
                (.ntkVariance, theory.ntkVariance.values[t], theory.ntkVariance.residuals[t]),
                (.overlapVariance, theory.overlapVariance.values[t], theory.overlapVariance.residuals[t]),
            ]
            for (q, exact, residual) in pairs {
                let e = result.value(q, time: t)
                let tolerance = 4 * (e.standardError * e.standardError + residual * residual).squareRoot()
                XCTAssertLessThan(abs(e.value - exact), tolerance, "\(q) at t = \(result.times[t]): ensemble \(e.value) +- \(e.standardError), theory \(exact)")
                compared += 1
                if abs(e.value - 0.5 * exact) > tolerance { scaledFailures += 1 }
            }
        }
        XCTAssertEqual(compared, 10)
        XCTAssertGreaterThanOrEqual(scaledFailures, 5, "the ensemble must tell the theory from the theory scaled by 0.5")
    }
}
