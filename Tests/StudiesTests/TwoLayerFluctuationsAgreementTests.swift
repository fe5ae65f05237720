import Foundation
import XCTest
import Core
import Numerics
@testable import Theory
@testable import Simulation
@testable import Studies

/// notes/fluctuations-gradient-flow.md (FG17), (FG23): the fluctuation theories on data and for ReLU against ensembles
/// of actual finite-width two-layer networks (Euler flow (A2)), extrapolated in 1/N; agreement within 4 combined
/// errors, and the theory scaled by 0.5 rejected in at least half of the comparisons.
final class TwoLayerFluctuationsAgreementTests: XCTestCase {
    /// The digits fixture's first P training and Q test points, inputs scaled so that the mean of |x|^2/D over them is 1.
    static func digits(train p: Int, test q: Int) throws -> LabelledData {
        let raw = try ANBKStudyTests.digits(train: p, test: q), d = raw.dimension
        let scale = 1 / (raw.inputs.reduce(0) { $0 + $1 * $1 } / Double(raw.count * d)).squareRoot()
        return try LabelledData(name: "digits (scaled)", train: raw.trainInputs.map { $0 * scale }, labels: raw.labels,
                                test: raw.testInputs.map { $0 * scale }, testLabels: raw.testLabels, dimension: d)
    }

    func compare(_ pairs: [(String, Double, Estimate)], file: StaticString = #filePath, line: UInt = #line) {
        var rejected = 0, lines: [String] = []
        for (name, value, estimate) in pairs {
            lines.append("\(name): \(estimate) vs \(value)")
            let tolerance = estimate.tolerance(k: 4)
            XCTAssertLessThan(abs(estimate.value - value), tolerance, "\(name): ensemble/estimate \(estimate), theory \(value)", file: file, line: line)
            if abs(estimate.value - 0.5 * value) > tolerance { rejected += 1 }
        }
        XCTAssertGreaterThanOrEqual(rejected, (pairs.count + 1) / 2, "the ensemble must tell the theory from the theory scaled by 0.5: " + lines.joined(separator: "; "), file: file, line: line)
    }

    /// (FG13)-(FG15), (FG17): the linear Gram flow on digits (P = 3, Q = 1) against trained linear networks.
    func testLinearTheoryOnDigitsAgreesWithEnsemble() throws {
        let data = try Self.digits(train: 3, test: 1)
        let gamma = 1.0, lambda = 0.5
        let theory = try GradientFlowDataFluctuations(data: data, gamma: gamma, lambda: lambda, time: 1, intervals: 2)
        let result = try DataFluctuationEnsemble(data: data, activation: .identity, gamma: gamma, lambda: lambda, time: 1, intervals: 2,
                                                     widths: [32, 256], seedsPerWidth: 320, seed: 5, targetTimeStep: 0.02).run()
        var pairs: [(String, Double, Estimate)] = []
        for t in 1...2 {
            func with(_ e: Estimate, _ residual: Double) -> Estimate { var e = e; e.systematic += residual; return e }
            for a in 0..<data.count {
                pairs.append(("N Var f_\(a) at t index \(t)", theory.predictions[a].total!.values[t], with(result.predictionVariance[a][t], theory.predictions[a].total!.residuals[t])))
            }
            pairs.append(("N Var tr K/P at t index \(t)", theory.ntkVariance.values[t], with(result.ntkVariance[t], theory.ntkVariance.residuals[t])))
            pairs.append(("N Var c at t index \(t)", theory.overlapVariance.values[t], with(result.overlapVariance[t], theory.overlapVariance.residuals[t])))
        }
        compare(pairs)
    }

    /// (FG19)-(FG22): the sampled influence-function theory of the two-layer ReLU network (whitened P = 2 and an orthogonal
    /// test input) against trained ReLU networks; the theory's errors join the comparison.
    func testReLUTheoryAgreesWithEnsemble() throws {
        let data = try LabelledData.whitenedWithOrthogonalTest(points: 2)
        let gamma = 1.0, lambda = 0.5
        let theory = try TwoLayerInfluenceFluctuations(data: data, activation: .relu, gamma: gamma, lambda: lambda, time: 1, intervals: 1,
                                                       settings: .init(sites: 512, replicas: 8, timeStep: 0.05, seed: 9))
        let result = try DataFluctuationEnsemble(data: data, activation: .relu, gamma: gamma, lambda: lambda, time: 1, intervals: 1,
                                                     widths: [64, 256], seedsPerWidth: 384, seed: 7, targetTimeStep: 0.02).run()
        func joined(_ e: Estimate, _ th: Estimate) -> Estimate {
            Estimate(value: e.value, standardError: (e.standardError * e.standardError + th.standardError * th.standardError).squareRoot(),
                     systematic: e.systematic + th.systematic, degreesOfFreedom: min(e.degreesOfFreedom, th.degreesOfFreedom))
        }
        var pairs: [(String, Double, Estimate)] = (0..<data.count).map { a in
            ("N Var f_\(a)", theory.predictionVariance[a][1].value, joined(result.predictionVariance[a][1], theory.predictionVariance[a][1]))
        }
        pairs.append(("N Var tr K/P", theory.ntkVariance[1].value, joined(result.ntkVariance[1], theory.ntkVariance[1])))
        pairs.append(("N Var c", theory.overlapVariance[1].value, joined(result.overlapVariance[1], theory.overlapVariance[1])))
        compare(pairs)
    }
}

