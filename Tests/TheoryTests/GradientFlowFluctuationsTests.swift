import Foundation
import XCTest
@testable import Theory

/// notes/fluctuations-gradient-flow.md: the lazy limit (FG11) in closed form, gamma > 0 departs from it,
/// the infinite-width trajectory is the exact two-layer flow (DY16), and the variational equations agree
/// with central finite differences of the closed flow (notes/checks/fluctuations_gradient_flow_check.py).
final class GradientFlowFluctuationsTests: XCTestCase {
    func testLazyLimitEqualsTheClosedForm() throws {
        for lambda in [0.0, 0.5] {
            let theory = try GradientFlowFluctuations(gamma: 0, lambda: lambda, time: 2, intervals: 4, points: 3)
            XCTAssertNil(theory.labelPrediction.total)
            for (i, t) in theory.times.enumerated() {
                let lazy = GradientFlowFluctuations.lazyLimit(lambda: lambda, time: t, points: 3)
                XCTAssertEqual(theory.labelPrediction.initial.values[i], lazy.labelInitial, accuracy: 1e-10)
                XCTAssertEqual(theory.orthogonalPrediction!.initial.values[i], lazy.labelInitial, accuracy: 1e-10)
                XCTAssertEqual(theory.testPrediction.initial.values[i], lazy.testInitial, accuracy: 1e-10)
                XCTAssertEqual(theory.ntkVariance.values[i], lazy.ntkVariance, accuracy: 1e-10)
                XCTAssertEqual(theory.overlapVariance.values[i], lazy.overlapVariance, accuracy: 1e-10)
                if let k = lazy.labelKernel, let o = lazy.orthogonalKernel, let s = lazy.overlapMeanShift {
                    XCTAssertEqual(theory.labelPrediction.kernel.values[i], k, accuracy: 1e-10)
                    XCTAssertEqual(theory.orthogonalPrediction!.kernel.values[i], o, accuracy: 1e-10)
                    XCTAssertEqual(theory.overlapMeanShift.values[i], s, accuracy: 1e-10)
                }
                XCTAssertLessThan(theory.labelPrediction.kernel.residuals[i], 1e-10)
            }
        }
        // gamma > 0 changes every quantity at t > 0 (by far more than the residuals), and the limit is continuous.
        let rich = try GradientFlowFluctuations(gamma: 1, lambda: 0, time: 2, intervals: 4, points: 3)
        let small = try GradientFlowFluctuations(gamma: 1e-3, lambda: 0, time: 2, intervals: 4, points: 3)
        for i in 1...4 {
            let lazy = GradientFlowFluctuations.lazyLimit(lambda: 0, time: rich.times[i], points: 3)
            XCTAssertGreaterThan(abs(rich.labelPrediction.initial.values[i] / lazy.labelInitial - 1), 0.1)
            XCTAssertGreaterThan(abs(rich.labelPrediction.kernel.values[i] - lazy.labelKernel!), 1e-3)
            XCTAssertGreaterThan(abs(rich.ntkVariance.values[i] - lazy.ntkVariance), 1e-3)
            XCTAssertGreaterThan(abs(rich.overlapMeanShift.values[i] - lazy.overlapMeanShift!), 1e-3)
            XCTAssertEqual(small.overlapMeanShift.values[i], lazy.overlapMeanShift!, accuracy: 1e-5)
            XCTAssertEqual(small.labelPrediction.kernel.values[i], lazy.labelKernel!, accuracy: 1e-5)
            XCTAssertEqual(small.ntkVariance.values[i], lazy.ntkVariance, accuracy: 1e-5)
        }
    }

    /// The two-layer claim of notes/fluctuations-gradient-flow.md section 5: the variance of the trained
    /// network's NTK (diagonal mean, lambda = 0, t = 10, P = 3) falls monotonically with gamma.
    func testFinalNTKVarianceFallsWithGamma() throws {
        let values = try [0.1, 0.5, 1, 2, 4, 8].map { gamma in
            try GradientFlowFluctuations(gamma: gamma, lambda: 0, time: 10, intervals: 1, points: 3).ntkVariance.values.last!
        }
        for i in 1..<values.count { XCTAssertLessThan(values[i], values[i - 1] - 0.05, "gamma index \(i): \(values)") }
        XCTAssertEqual(values[2], 1.7777777778, accuracy: 1e-8)
    }

    func testMeanTrajectoryIsTheExactTwoLayerFlow() throws {
        // (DY16) at lambda = 0: df/dt = 2 sqrt(1 + gamma^2 f^2) (1 - f), integrated here by RK4 with a fine step.
        let gamma = 2.0
        let theory = try GradientFlowFluctuations(gamma: gamma, lambda: 0, time: 1.5, intervals: 3, points: 2)
        var f = 0.0, t = 0.0
        let h = 1e-4
        func v(_ f: Double) -> Double { 2 * (1 + gamma * gamma * f * f).squareRoot() * (1 - f) }
        for i in 1...3 {
            while t < theory.times[i] - h / 2 {
                let k1 = v(f), k2 = v(f + h / 2 * k1), k3 = v(f + h / 2 * k2), k4 = v(f + h * k3)
                f += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4); t += h
            }
            XCTAssertEqual(theory.meanPrediction.values[i], f, accuracy: 1e-9)
            // r = c_1 along the flow from Q(0) = I (both start at 1 and obey the same equation).
            XCTAssertEqual(theory.meanReadoutNorm.values[i], theory.meanOverlap.values[i], accuracy: 1e-12)
        }
    }

    func testVariationalEquationsAgreeWithFiniteDifferences() throws {
        // notes/checks/fluctuations_gradient_flow_check.py: central differences (eps = 1e-3, 2e-3, Richardson in eps^2)
        // of the closed flow solved by scipy DOP853 (rtol 1e-11); gamma = 1, lambda = 1/2, T = 1, P = 3.
        let theory = try GradientFlowFluctuations(gamma: 1, lambda: 0.5, time: 1, intervals: 2, points: 3)
        let i = 2
        XCTAssertEqual(theory.meanPrediction.values[i], 0.546799282835, accuracy: 1e-9)
        XCTAssertEqual(theory.labelPrediction.total!.values[i], 0.070010787360, accuracy: 2e-8)
        XCTAssertEqual(theory.orthogonalPrediction!.total!.values[i], 0.024977282003, accuracy: 2e-8)
        XCTAssertEqual(theory.ntkVariance.values[i], 0.417669965464, accuracy: 2e-8)
        XCTAssertEqual(theory.overlapVariance.values[i], 0.302606997191, accuracy: 2e-8)
        XCTAssertEqual(theory.overlapMeanShift.values[i], -0.290628084233, accuracy: 2e-8)
        XCTAssertEqual(theory.testPrediction.total!.values[i], 0.242444759815, accuracy: 1e-9)
        XCTAssertLessThan(theory.overlapMeanShift.residual, 1e-8)
    }

    func testRefusesBadInput() {
        XCTAssertThrowsError(try GradientFlowFluctuations(gamma: -1, lambda: 0, time: 1, intervals: 1))
        XCTAssertThrowsError(try GradientFlowFluctuations(gamma: 1, lambda: 0, time: 0, intervals: 1))
        XCTAssertThrowsError(try GradientFlowFluctuations(gamma: 1, lambda: 0, time: 1, intervals: 1, points: 0))
    }
}
