import Foundation
import XCTest
import Core
@testable import Theory
@testable import Simulation

/// notes/fluctuations-gradient-flow.md (FG27), (FG28), (FG30): the deep linear closed forms against ensembles of
/// finite-width networks with two hidden layers (Euler flow (A2)), extrapolated in 1/N. Agreement within 4 standard
/// errors; the depth-1 values (a different, smaller answer) must be rejected.
final class DeepLinearFluctuationsAgreementTests: XCTestCase {
    /// gamma = 0.05 is lazy to O(gamma^2): gamma^2 N Var f -> the propagated initial outputs, the kernels' N Var -> the
    /// static random NTK's. t = 0, 1/2, 1, lambda = 1/2, P = 2, N = 32 and 128.
    func testLazyLimitAgreesWithTwoHiddenLayerNetworks() throws {
        let gamma = 0.05, lambda = 0.5, points = 2, depth = 2
        let theory = try DeepLinearLazyFluctuations(depth: depth, lambda: lambda, points: points)
        let shallow = try DeepLinearLazyFluctuations(depth: 1, lambda: lambda, points: points)
        let ensemble = try LinearFluctuationEnsemble(gamma: gamma, lambda: lambda, points: points, time: 1, intervals: 2,
                                                     widths: [32, 128], seedsPerWidth: 160, seed: 3, targetTimeStep: 0.02, depth: depth)
        let result = ensemble.run()
        typealias Q = LinearFluctuationEnsemble.Quantity
        var compared = 0, rejected = 0
        for t in 0...2 {
            let v = theory.lazyLimit(time: result.times[t]), w = shallow.lazyLimit(time: result.times[t])
            let scale = gamma * gamma
            let pairs: [(String, Estimate, Double, Double)] = [
                ("gamma^2 N Var f_1", result.value(.labelVariance, time: t).scaled(scale), v.labelInitial, w.labelInitial),
                ("gamma^2 N Var f_2", result.value(.orthogonalVariance, time: t).scaled(scale), v.labelInitial, w.labelInitial),
                ("gamma^2 N Var f*", result.value(.testVariance, time: t).scaled(scale), v.testInitial, w.testInitial),
                ("N Var tr K/P", result.value(.ntkVariance, time: t), v.ntkVariance, w.ntkVariance),
                ("N Var c_1", result.value(.overlapVariance, time: t), v.overlapVariance, w.overlapVariance),
                ("N Var H^1_11", result.layerOverlapVariance[0][t], v.layerOverlapVariance[0], w.layerOverlapVariance[0]),
            ]
            for (name, e, exact, other) in pairs {
                XCTAssertLessThan(abs(e.value - exact), 4 * e.standardError + 1e-3 * exact,
                                  "\(name) at t = \(result.times[t]): networks \(e.value) +- \(e.standardError), theory \(exact)")
                compared += 1
                if abs(e.value - other) > 4 * e.standardError { rejected += 1 }
            }
        }
        XCTAssertEqual(compared, 18)
        // The kernels' variances differ between depths (f's propagated outputs too, by the lazy rate (L + 1) at t > 0).
        XCTAssertGreaterThanOrEqual(rejected, 6, "the networks must tell depth 2 from depth 1")
    }
}

private extension Estimate {
    func scaled(_ s: Double) -> Estimate { Estimate(value: value * s, standardError: standardError * s, degreesOfFreedom: degreesOfFreedom) }
}

/// notes/fluctuations-gradient-flow.md (FG29)-(FG31) in the rich regime: the delta method of the conditioning representation on
/// the networks' own Euler grid against trained networks with two hidden layers, extrapolated in 1/N.
final class DeepLinearRichFluctuationsAgreementTests: XCTestCase {
    func testTheoryAgreesWithTwoHiddenLayerNetworks() throws {
        let gamma = 1.5, lambda = 0.25, points = 2, depth = 2
        let ensemble = try LinearFluctuationEnsemble(gamma: gamma, lambda: lambda, points: points, time: 0.9, intervals: 3,
                                                     widths: [32, 128], seedsPerWidth: 512, seed: 7, targetTimeStep: 0.1, depth: depth)
        XCTAssertEqual(ensemble.timeStep, 0.1, accuracy: 1e-12)
        let theory = try DeepLinearGradientFlowFluctuations.solve(depth: depth, gamma: gamma, lambda: lambda, points: points, dt: 0.1,
                                                                  steps: 9, outputs: [0, 3, 6, 9])
        let result = ensemble.run()
        typealias Q = LinearFluctuationEnsemble.Quantity
        var compared = 0, rejected = 0
        for t in 1...3 {
            // Theory columns: f_1, f_2, f_test, ntk_mean, overlap_1, overlap_2.
            let pairs: [(String, Estimate, Double)] = [
                ("f_1", result.value(.labelVariance, time: t), theory.variances[t][0]),
                ("f_2", result.value(.orthogonalVariance, time: t), theory.variances[t][1]),
                ("f*", result.value(.testVariance, time: t), theory.variances[t][2]),
                ("tr K/P", result.value(.ntkVariance, time: t), theory.variances[t][3]),
                ("H^1_11", result.layerOverlapVariance[0][t], theory.variances[t][4]),
                ("H^2_11", result.value(.overlapVariance, time: t), theory.variances[t][5]),
            ]
            for (name, e, exact) in pairs {
                XCTAssertLessThan(abs(e.value - exact), 4 * e.standardError, "N Var \(name) at t = \(result.times[t]): networks \(e.value) +- \(e.standardError), theory \(exact)")
                compared += 1
                if abs(e.value - 0.5 * exact) > 4 * e.standardError { rejected += 1 }
            }
        }
        XCTAssertEqual(compared, 18)
        XCTAssertGreaterThanOrEqual(rejected, 6, "the networks must tell the theory from the theory scaled by 0.5")
    }
}

/// notes/fluctuations-gradient-flow.md (FG35)-(FG37) (check c): the delta method of the conditioning representation with the input kernel C,
/// on the networks' own Euler grid, against trained networks with two hidden layers on a small general data set (P = 3 training
/// inputs, one test input, D = 5, labels (1, -1, 1/2)), extrapolated in 1/N from widths 32 and 128.
final class DeepLinearDataFluctuationsAgreementTests: XCTestCase {
    func testTheoryAgreesWithTwoHiddenLayerNetworksOnData() throws {
        let x = NormalSampler.vector(4 * 5, seed: 2024)
        let data = try LabelledData(train: Array(x[0..<15]), labels: [1, -1, 0.5], test: Array(x[15..<20]), testLabels: [0], dimension: 5)
        let gamma = 1.5, lambda = 0.25, depth = 2, n = data.count
        let ensemble = try DataFluctuationEnsemble(data: data, activation: .identity, gamma: gamma, lambda: lambda, time: 0.9, intervals: 3,
                                                       widths: [32, 128], seedsPerWidth: 512, seed: 7, targetTimeStep: 0.1, depth: depth)
        XCTAssertEqual(ensemble.timeStep, 0.1, accuracy: 1e-12)
        let theory = try DeepLinearGradientFlowFluctuations.solve(depth: depth, gamma: gamma, lambda: lambda, data: data, dt: 0.1,
                                                                  steps: 9, outputs: [0, 3, 6, 9])
        let result = ensemble.run()
        XCTAssertEqual(result.layerOverlapVariance.count, depth)
        var compared = 0, rejectedLow = 0, rejectedHigh = 0
        for t in 1...3 {
            // Theory columns: f at the 4 inputs, tr K/P, c_1, c_2.
            var pairs: [(String, Estimate, Double)] = (0..<n).map { ("f(x_\($0))", result.predictionVariance[$0][t], theory.variances[t][$0]) }
            pairs += [("tr K/P", result.ntkVariance[t], theory.variances[t][n]),
                      ("c_1", result.layerOverlapVariance[0][t], theory.variances[t][n + 1]),
                      ("c_2", result.layerOverlapVariance[1][t], theory.variances[t][n + 2])]
            XCTAssertEqual(result.overlapVariance[t].value, result.layerOverlapVariance[1][t].value, accuracy: 1e-12)
            for (name, e, exact) in pairs {
                XCTAssertLessThan(abs(e.value - exact), 4 * e.standardError, "N Var \(name) at t = \(result.times[t]): networks \(e.value) +- \(e.standardError), theory \(exact)")
                compared += 1
                if abs(e.value - 0.5 * exact) > 4 * e.standardError { rejectedLow += 1 }
                if abs(e.value - 1.5 * exact) > 4 * e.standardError { rejectedHigh += 1 }
            }
        }
        XCTAssertEqual(compared, 21)
        XCTAssertGreaterThanOrEqual(rejectedLow, 7, "the networks must tell the theory from the theory scaled by 0.5")
        XCTAssertGreaterThanOrEqual(rejectedHigh, 7, "the networks must tell the theory from the theory scaled by 1.5")
    }
}
