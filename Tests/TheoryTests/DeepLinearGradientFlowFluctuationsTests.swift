import Foundation
import XCTest
@testable import Theory

/// notes/fluctuations-gradient-flow.md (FG29)-(FG32): the conditioning representation and its delta method.
final class DeepLinearGradientFlowFluctuationsTests: XCTestCase {
    /// Depth 1 through the new path: the Richardson value of the Euler grids converges to the closed Gram flow (FG3)-(FG7)
    /// of `GradientFlowFluctuations` (RK4), within a few residuals (Euler's dt^2 term remains).
    func testDepthOneMatchesTheTwoLayerTheory() throws {
        let deep = try DeepLinearGradientFlowFluctuations(depth: 1, gamma: 1, lambda: 0.5, points: 3, time: 1, intervals: 2, stepsPerInterval: 20)
        let two = try GradientFlowFluctuations(gamma: 1, lambda: 0.5, time: 1, intervals: 2, points: 3)
        for t in 0...2 {
            let pairs: [(Int, Double)] = [(0, two.labelPrediction.total!.values[t]), (1, two.orthogonalPrediction!.total!.values[t]),
                                          (2, two.testPrediction.total!.values[t]), (3, two.ntkVariance.values[t]), (4, two.overlapVariance.values[t])]
            for (o, exact) in pairs {
                XCTAssertEqual(deep.variances[t][o], exact, accuracy: 3 * deep.varianceResiduals[t][o] + 1e-12, "\(deep.observables[o]) at t = \(deep.times[t])")
                XCTAssertLessThan(deep.varianceResiduals[t][o], 1e-2)
            }
            XCTAssertEqual(deep.means[t][0], two.meanPrediction.values[t], accuracy: 3 * deep.meanResiduals[t][0] + 1e-12)
        }
    }

    /// t = 0 is the Wishart chain (FG27) at every gamma; the Euler grid dt = 0.3, gamma = 3/2, lambda = 1/4, P = 1, L = 2 reproduces
    /// the values of the independent check script (notes/checks/deep_linear_fluctuations_check.py, which agree with 3000-seed
    /// network ensembles at N = 32, 128 within 1.3 standard errors).
    func testTwoHiddenLayersOnTheCheckScriptGrid() throws {
        let grid = try DeepLinearGradientFlowFluctuations.solve(depth: 2, gamma: 1.5, lambda: 0.25, points: 1, dt: 0.3, steps: 3, outputs: [0, 1, 3])
        let lazy = try DeepLinearLazyFluctuations(depth: 2, lambda: 0.25, points: 1).initial
        XCTAssertEqual(grid.variances[0][0], 1 / 2.25, accuracy: 1e-12)
        XCTAssertEqual(grid.variances[0][2], lazy.ntkVariance, accuracy: 1e-11)
        XCTAssertEqual(grid.variances[0][3], 2, accuracy: 1e-12)
        XCTAssertEqual(grid.variances[0][4], 4, accuracy: 1e-12)
        // Python (check script, `theory 2 1.5 0.25 1 0.9 3`): N Var at t = 0.3 and 0.9.
        let reference: [[Double]] = [[1.597313, 0.607841, 76.491762, 1.94462, 10.443238], [0.007199, 0.469716, 0.95342, 0.340462, 0.507629]]
        for (row, r) in zip([1, 2], reference) {
            for o in 0..<5 { XCTAssertEqual(grid.variances[row][o], r[o], accuracy: 2e-6 * max(1, r[o]), "observable \(o), row \(row)") }
        }
    }
}
