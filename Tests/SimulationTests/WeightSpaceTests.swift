import XCTest
@testable import Simulation
@testable import Core

final class WeightSpaceTests: XCTestCase {
    /// The explicit network (all weights) and the pre-activation sampler (weights integrated out)
    /// sample the same finite-N posterior: equal y^T Phi^L y at the same width, no extrapolation.
    func testWeightSpaceMatchesPreactivationSampler() throws {
        let p = 3, d = 3, width = 32
        var x = [Double](repeating: 0, count: p * d)
        for i in 0..<p { x[i * d + i] = Double(d).squareRoot() } // C = X X^T / D = I
        let problem = try BayesProblem.whitened(points: p, gamma: 1, ridge: 0.1, depth: 2, activation: .tanh)
        var s = LangevinSettings()
        s.width = width; s.timeStep = 0.02; s.burnInTime = 10; s.measuredTime = 150; s.recordEvery = 10; s.seed = 8
        let weightSeries = try WeightSpaceLangevin(inputs: x, dimension: d, problem: problem, settings: s).overlapSeries()
        var t = LangevinSettings()
        t.width = width; t.timeStep = 0.05; t.burnInTime = 10; t.measuredTime = 400; t.seed = 9
        let pre = try LangevinEstimate.compute(problem: problem, widths: [width], settings: t)
        let w = BatchMeans.estimate(weightSeries)
        let a = VerificationCase.NamedEstimate(name: "weights", estimate: Estimate(value: w.mean, standardError: w.standardError))
        let b = VerificationCase.NamedEstimate(name: "preactivations", estimate: pre.overlap)
        let check = VerificationCase.between(a, b, name: "same posterior", failure: pre.failure)
        XCTAssertEqual(check.verdict, .pass, "weights \(a.estimate) vs preactivations \(b.estimate), tolerance \(check.tolerance)")
        print("weight-space", a.estimate, "pre-activation", b.estimate, "drift", w.drift)
    }
}
