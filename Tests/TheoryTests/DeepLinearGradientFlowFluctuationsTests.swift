import Foundation
import XCTest
import Core
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

    /// (FG37), check a: whitened data given as a data set, with the inputs rotated: X = sqrt(D) R, R with orthonormal rows (D = 6, P = 3
    /// training inputs, one test input orthogonal to them, y = e_1), so C = I up to rounding and A a nontrivial rotation basis.
    /// The data path's every column equals the whitened path's to 1e-10, at depth 2 and 3.
    func testRotatedWhitenedDataReproduceTheWhitenedPath() throws {
        let p = 3, d = 6, n = p + 1
        // Gram-Schmidt on seeded Gaussian rows: n orthonormal rows in R^d.
        var rows = [[Double]]()
        let g = NormalSampler.vector(n * d, seed: 77)
        for i in 0..<n {
            var v = Array(g[(i * d)..<((i + 1) * d)])
            for _ in 0..<2 { for r in rows { let c = zip(r, v).reduce(0) { $0 + $1.0 * $1.1 }; v = zip(v, r).map { $0 - c * $1 } } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            rows.append(v.map { $0 / norm })
        }
        let scaled = rows.map { $0.map { $0 * Double(d).squareRoot() } }
        let data = try LabelledData(train: scaled[0..<p].flatMap { $0 }, labels: [1, 0, 0], test: scaled[p], testLabels: [0], dimension: d)
        let c = data.inputKernel
        for a in 0..<n { for b in 0..<n { XCTAssertEqual(c[a * n + b], a == b ? 1 : 0, accuracy: 1e-14) } }
        for depth in [2, 3] {
            let whitened = try DeepLinearGradientFlowFluctuations.solve(depth: depth, gamma: 1.5, lambda: 0.25, points: p, dt: 0.15, steps: 4,
                                                                        outputs: [0, 2, 4])
            let general = try DeepLinearGradientFlowFluctuations.solve(depth: depth, gamma: 1.5, lambda: 0.25, data: data, dt: 0.15, steps: 4,
                                                                       outputs: [0, 2, 4])
            // Whitened columns f_1, f_2, f_test, tr K/P, H^l_11; data columns f_0...f_3, tr K/P, c_l.
            let map = [0, 1, 3] + (4..<(5 + depth)).map { $0 }
            for t in 0..<3 {
                for (w, o) in map.enumerated() {
                    XCTAssertEqual(general.variances[t][o], whitened.variances[t][w], accuracy: 1e-10 * max(1, abs(whitened.variances[t][w])), "N Var column \(w), depth \(depth), row \(t)")
                    XCTAssertEqual(general.means[t][o], whitened.means[t][w], accuracy: 1e-10 * max(1, abs(whitened.means[t][w])), "mean column \(w), depth \(depth), row \(t)")
                }
                // f_3 (a training input orthogonal to y) is f_2's twin.
                XCTAssertEqual(general.variances[t][2], whitened.variances[t][1], accuracy: 1e-10 * max(1, whitened.variances[t][1]))
            }
            XCTAssertGreaterThan(whitened.variances[2][3], 1)     // a non-trivial value was compared
        }
    }

    /// (FG37), check b: depth 1 on a general data set (P = 3, Q = 1, D = 5, labels (1, -1, 1/2)): the Richardson values of the data path
    /// converge to the two-layer data theory (FG13)-(FG15) (RK4) within three residuals, for the test prediction, tr K/P and c,
    /// and (without the test input) every training prediction; at t = 0 N Var f_a = C_aa/gamma^2 (FG14).
    func testDepthOneOnDataMatchesTheTwoLayerDataTheory() throws {
        let x = NormalSampler.vector(4 * 5, seed: 2024)
        let withTest = try LabelledData(train: Array(x[0..<15]), labels: [1, -1, 0.5], test: Array(x[15..<20]), testLabels: [0], dimension: 5)
        let trainOnly = try LabelledData(train: Array(x[0..<15]), labels: [1, -1, 0.5], dimension: 5)
        for data in [withTest, trainOnly] {
            let deep = try DeepLinearGradientFlowFluctuations(depth: 1, gamma: 1, lambda: 0.5, data: data, time: 1, intervals: 2, stepsPerInterval: 40)
            let two = try GradientFlowDataFluctuations(data: data, gamma: 1, lambda: 0.5, time: 1, intervals: 2)
            let reported = Array(two.reportedPredictions)
            XCTAssertEqual(deep.observables.count, reported.count + 2)
            let c = data.inputKernel, n = data.count
            for t in 0...2 {
                var pairs: [(Int, Double, Double)] = reported.enumerated().map { ($0.offset, $0.element.total!.values[t], $0.element.total!.residual) }
                pairs += [(reported.count, two.ntkVariance.values[t], two.ntkVariance.residual), (reported.count + 1, two.overlapVariance.values[t], two.overlapVariance.residual)]
                for (o, exact, residual) in pairs {
                    XCTAssertEqual(deep.variances[t][o], exact, accuracy: 3 * (deep.varianceResiduals[t][o] + residual) + 1e-12, "\(deep.observables[o]) at t = \(deep.times[t])")
                    XCTAssertLessThan(deep.varianceResiduals[t][o], 1e-2 * max(1, abs(exact)))
                }
                XCTAssertEqual(deep.means[t][reported.count + 1], two.meanOverlap.values[t], accuracy: 3 * deep.meanResiduals[t][reported.count + 1] + 1e-12)
                XCTAssertEqual(deep.means[t][reported.count], two.meanNTKDiagonal.values[t], accuracy: 3 * deep.meanResiduals[t][reported.count] + 1e-12)
            }
            let first = data.testCount > 0 ? data.trainCount : 0
            for (o, a) in (first..<(first + reported.count)).enumerated() { XCTAssertEqual(deep.variances[0][o], c[a * n + a], accuracy: 1e-12) }
        }
    }

    /// (FG27), (FG36) at t = 0 on general data at depth L: N Var f_a = C_aa/gamma^2 and N Var c_l = 2 l (y^T C y/|y|^2)^2 (the
    /// Wishart chain of the overlap along the labels).
    func testInitialLawOnDataAtDepthThree() throws {
        let x = NormalSampler.vector(4 * 5, seed: 2024)
        let data = try LabelledData(train: Array(x[0..<15]), labels: [1, -1, 0.5], test: Array(x[15..<20]), testLabels: [0], dimension: 5)
        let gamma = 0.75
        let grid = try DeepLinearGradientFlowFluctuations.solve(depth: 3, gamma: gamma, lambda: 0.25, data: data, dt: 0.1, steps: 1, outputs: [0])
        let c = data.inputKernel, n = data.count, y = data.labels
        for a in 0..<n { XCTAssertEqual(grid.variances[0][a], c[a * n + a] / (gamma * gamma), accuracy: 1e-12) }
        var ycy = 0.0
        for mu in 0..<3 { for nu in 0..<3 { ycy += y[mu] * c[mu * n + nu] * y[nu] } }
        let overlap = ycy / y.reduce(0) { $0 + $1 * $1 }
        for l in 1...3 {
            XCTAssertEqual(grid.variances[0][n + l], 2 * Double(l) * overlap * overlap, accuracy: 1e-11 * overlap * overlap, "layer \(l)")
            XCTAssertEqual(grid.means[0][n + l], overlap, accuracy: 1e-13)
        }
    }

    /// (FG35) A singular input kernel (n = 4 inputs in D = 2, rank 2: two columns of A dropped): the t = 0 law N Var f_a =
    /// C_aa/gamma^2 at depth 2, and at t = 0.4 the unrolled Euler flow (dt = 0.05) and the stage-wise RK4 flow (dt = 0.2, both
    /// with Richardson) agree within three times the sum of their residuals, RK4's the smaller.
    func testSingularInputKernel() throws {
        let x = NormalSampler.vector(4 * 2, seed: 99)
        let data = try LabelledData(train: Array(x[0..<6]), labels: [1, 0.5, -1], test: Array(x[6..<8]), testLabels: [0], dimension: 2)
        XCTAssertEqual(try DeepLinearGradientFlowFluctuations.Inputs(data: data).rank, 2)
        let c = data.inputKernel, n = data.count, gamma = 1.25
        let euler = try DeepLinearGradientFlowFluctuations(depth: 2, gamma: gamma, lambda: 0.5, data: data, time: 0.4, intervals: 1, stepsPerInterval: 8)
        let rk4 = try DeepLinearGradientFlowFluctuations(depth: 2, gamma: gamma, lambda: 0.5, data: data, time: 0.4, intervals: 1, stepsPerInterval: 2,
                                                         scheme: .rk4)
        XCTAssertEqual(euler.observables, ["f_test_0", "ntk_mean", "overlap_1", "overlap_2"])
        XCTAssertEqual(euler.variances[0][0], c[3 * n + 3] / (gamma * gamma), accuracy: 1e-12)
        XCTAssertEqual(rk4.variances[0][0], c[3 * n + 3] / (gamma * gamma), accuracy: 1e-12)
        for o in euler.variances[1].indices {
            XCTAssertEqual(rk4.variances[1][o], euler.variances[1][o], accuracy: 3 * (rk4.varianceResiduals[1][o] + euler.varianceResiduals[1][o]), "\(euler.observables[o])")
            XCTAssertLessThan(rk4.varianceResiduals[1][o], 1e-2 * abs(rk4.variances[1][o]))
            XCTAssertLessThan(rk4.varianceResiduals[1][o], euler.varianceResiduals[1][o])
        }
    }

    /// (FG38) Euler in the stage-wise representation (the state h^1, w, M^c = alpha M^c_0 + terms; reveals in another order) is
    /// the same network as the unrolled Euler flow (FG30): every column equal to 1e-12, on a general data set at depth 2.
    func testStageWiseEulerEqualsTheUnrolledFlow() throws {
        let x = NormalSampler.vector(4 * 5, seed: 2024)
        let data = try LabelledData(train: Array(x[0..<15]), labels: [1, -1, 0.5], test: Array(x[15..<20]), testLabels: [0], dimension: 5)
        let inputs = try DeepLinearGradientFlowFluctuations.Inputs(data: data).with(.every)
        let unrolled = try DeepLinearGradientFlowFluctuations.solve(depth: 2, gamma: 1.5, lambda: 0.25, inputs: inputs, dt: 0.1, steps: 6, outputs: [0, 3, 6])
        let staged = try DeepLinearGradientFlowFluctuations.solve(depth: 2, gamma: 1.5, lambda: 0.25, inputs: inputs, dt: 0.1, steps: 6, outputs: [0, 3, 6],
                                                                  generic: true)
        for t in 0..<3 {
            for o in unrolled.variances[t].indices {
                XCTAssertEqual(staged.variances[t][o], unrolled.variances[t][o], accuracy: 1e-12 * max(1, abs(unrolled.variances[t][o])), "N Var column \(o), row \(t)")
                XCTAssertEqual(staged.means[t][o], unrolled.means[t][o], accuracy: 1e-12 * max(1, abs(unrolled.means[t][o])), "mean column \(o), row \(t)")
            }
        }
    }

    /// (FG39) The measured order of RK4 on the check-script case at T = 0.45 (L = 2, gamma = 3/2, lambda = 1/4, P = 1): grids
    /// dt = 0.15, 0.075, 0.0375; log2 of the ratio of successive differences is near 4 for every N Var and mean (Euler's is
    /// near 1 on the same grids).
    func testRungeKuttaIsFourthOrder() throws {
        var rk4 = [[Double]](), euler = [[Double]]()
        for m in [1, 2, 4] {
            let r = try DeepLinearGradientFlowFluctuations.solve(depth: 2, gamma: 1.5, lambda: 0.25, points: 1, dt: 0.15 / Double(m), steps: 3 * m,
                                                                 outputs: [3 * m], scheme: .rk4)
            rk4.append(r.variances[0] + r.means[0])
            let e = try DeepLinearGradientFlowFluctuations.solve(depth: 2, gamma: 1.5, lambda: 0.25, points: 1, dt: 0.15 / Double(m), steps: 3 * m,
                                                                 outputs: [3 * m])
            euler.append(e.variances[0] + e.means[0])
        }
        // Columns: N Var of f_1, f*, tr K/P, H^1_11, H^2_11, then their means (f*'s mean is 0 at every step).
        for o in rk4[0].indices where o != 6 {
            let order = log2(abs((rk4[1][o] - rk4[0][o]) / (rk4[2][o] - rk4[1][o])))
            XCTAssertGreaterThan(order, 3.5, "RK4 column \(o)")
            XCTAssertLessThan(order, 6, "RK4 column \(o)")
            let first = log2(abs((euler[1][o] - euler[0][o]) / (euler[2][o] - euler[1][o])))
            XCTAssertLessThan(first, 2, "Euler column \(o)")
        }
    }

    /// (FG39) Depth 1 by RK4 with Richardson converges to the closed Gram flow of `GradientFlowFluctuations` (FG3)-(FG7) to about
    /// eight digits at 20 steps per interval (Euler with Richardson: `testDepthOneMatchesTheTwoLayerTheory`, about two).
    func testRungeKuttaDepthOneMatchesTheTwoLayerTheoryClosely() throws {
        let deep = try DeepLinearGradientFlowFluctuations(depth: 1, gamma: 1, lambda: 0.5, points: 3, time: 1, intervals: 2, stepsPerInterval: 10, scheme: .rk4)
        let two = try GradientFlowFluctuations(gamma: 1, lambda: 0.5, time: 1, intervals: 2, points: 3)
        for t in 0...2 {
            let pairs: [(Int, Double)] = [(0, two.labelPrediction.total!.values[t]), (1, two.orthogonalPrediction!.total!.values[t]),
                                          (2, two.testPrediction.total!.values[t]), (3, two.ntkVariance.values[t]), (4, two.overlapVariance.values[t])]
            for (o, exact) in pairs {
                XCTAssertEqual(deep.variances[t][o], exact, accuracy: 3 * deep.varianceResiduals[t][o] + 1e-9 * max(1, exact), "\(deep.observables[o]) at t = \(deep.times[t])")
                XCTAssertLessThan(deep.varianceResiduals[t][o], 1e-6 * max(1, exact))
            }
            XCTAssertEqual(deep.means[t][0], two.meanPrediction.values[t], accuracy: 3 * deep.meanResiduals[t][0] + 1e-9)
        }
    }

    /// (FG44) The table eliminates dt^p, dt^{p+1}, ...: exact on a polynomial error of degree p + R - 2; with one power left the
    /// last correction bounds the error in the asymptotic regime (here dt <= 0.05; at dt = 0.3 it does not: 6.5e-6 vs 5.0e-6).
    func testRichardsonTableIsExactOnPolynomialErrors() {
        let steps = [0.05, 0.025, 0.0125, 0.00625]
        let grids = steps.map { h in [[2 + 3 * pow(h, 4) - 7 * pow(h, 5) + 11 * pow(h, 6)]] }
        let three = DeepLinearGradientFlowFluctuations.richardsonTable(Array(grids.prefix(3)), order: 4)
        let four = DeepLinearGradientFlowFluctuations.richardsonTable(grids, order: 4)
        XCTAssertEqual(four.values[0][0], 2, accuracy: 1e-14)
        XCTAssertLessThan(four.residuals[0][0], 1e-11)
        XCTAssertGreaterThan(abs(three.values[0][0] - 2), 1e-11)                // the dt^6 term is not eliminated by three grids
        XCTAssertLessThan(abs(three.values[0][0] - 2), three.residuals[0][0])  // and the last correction bounds it
    }

    /// (FG44) RK4 at depth 2 (the check-script case at T = 0.3, dt = 0.15): three grids (2, 4, 8 steps) against four (to 16
    /// steps): every residual bounds the actual error, and the table gains over the pair of (FG39).
    func testRichardsonTableOfRungeKuttaGrids() throws {
        func run(_ levels: Int) throws -> DeepLinearGradientFlowFluctuations {
            try DeepLinearGradientFlowFluctuations(depth: 2, gamma: 1.5, lambda: 0.25, points: 1, time: 0.3, intervals: 1, stepsPerInterval: 2,
                                                   scheme: .rk4, levels: levels)
        }
        let pair = try run(2), three = try run(3), reference = try run(4)
        var pairError = 0.0, threeError = 0.0
        for (a, b, c) in [(pair.variances[1], three.variances[1], reference.variances[1]), (pair.means[1], three.means[1], reference.means[1])] {
            for i in c.indices where c[i] != 0 {
                let e2 = abs(a[i] - c[i]) / abs(c[i]), e3 = abs(b[i] - c[i]) / abs(c[i])
                pairError = max(pairError, e2); threeError = max(threeError, e3)
            }
        }
        for i in reference.variances[1].indices {
            XCTAssertLessThanOrEqual(abs(three.variances[1][i] - reference.variances[1][i]), three.varianceResiduals[1][i] + reference.varianceResiduals[1][i], "column \(i)")
        }
        XCTAssertLessThan(threeError, pairError / 10, "pair \(pairError), three grids \(threeError)")
    }
}
