import XCTest
import Foundation
import Core
@testable import Simulation

/// The exact posterior sampler of finite-width deep linear networks (notes/fluctuations-bayes.md (FB13)).
final class DeepLinearPosteriorSamplerTests: XCTestCase {
    /// P = 1, L = 1: c = |h|^2/N with N c ~ chi^2_N under the prior, so the posterior of c has the
    /// one-dimensional density c^(N/2-1) e^(-N c/2) (c + b)^(-1/2) e^(-N g/(2 (c + b))) (FB1). Its mean and
    /// variance by quadrature against 24 independent chains at N = 8, within 4.5 standard errors.
    func testOnePointOneLayerMatchesQuadrature() throws {
        let n = 8, gamma = 1.2, b = 0.5
        let g = gamma * gamma
        func logDensity(_ c: Double) -> Double {
            (Double(n) / 2 - 1) * log(c) - Double(n) * c / 2 - 0.5 * log(c + b) - Double(n) * g / (2 * (c + b))
        }
        var z = 0.0, m1 = 0.0, m2 = 0.0
        let h = 1e-4
        for i in 1..<200_000 {
            let c = Double(i) * h, w = exp(logDensity(c))
            z += w; m1 += w * c; m2 += w * c * c
        }
        let mean = m1 / z, variance = m2 / z - mean * mean
        let chains = 24
        var chainMeans: [Double] = [], chainSquares: [Double] = []
        for chain in 0..<chains {
            let sampler = try DeepLinearPosteriorSampler(inputKernel: [1], labels: [1], gamma: gamma, ridge: b, depth: 1,
                                                         settings: .init(width: n, burnInSteps: 500, measuredSteps: 4000, recordEvery: 2,
                                                                         seed: NormalSampler.derive(11, UInt64(chain))))
            let run = sampler.run()
            XCTAssertNil(run.failure)
            XCTAssertGreaterThan(run.acceptance, 0.2)
            let xs = run.overlapSeries[0]
            chainMeans.append(xs.reduce(0, +) / Double(xs.count))
            chainSquares.append(xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count))
        }
        func summary(_ xs: [Double]) -> (Double, Double) {
            let m = xs.reduce(0, +) / Double(xs.count)
            return (m, (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1) / Double(xs.count)).squareRoot())
        }
        let (sampledMean, meanError) = summary(chainMeans), (sampledVariance, varianceError) = summary(chainSquares)
        XCTAssertLessThan(abs(sampledMean - mean), 4.5 * meanError, "mean \(sampledMean) vs \(mean)")
        XCTAssertLessThan(abs(sampledVariance - variance), 4.5 * varianceError, "variance \(sampledVariance) vs \(variance)")
        // The check can fail: the prior's mean (1) is many standard errors away from the posterior's.
        XCTAssertGreaterThan(abs(1 - mean), 10 * meanError)
    }

    func testRejectsBadInput() {
        let settings = DeepLinearPosteriorSampler.Settings(width: 4, burnInSteps: 10, measuredSteps: 10, seed: 1)
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1, 0, 0, 1], labels: [1], gamma: 1, ridge: 1, depth: 1, settings: settings))
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1], labels: [1], gamma: 1, ridge: 0, depth: 1, settings: settings))
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1, 2, 2, 1], labels: [1, 1], gamma: 1, ridge: 1, depth: 1, settings: settings))
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1], labels: [1], gamma: 1, ridge: 1, depth: 1,
                                                            settings: .init(width: 1, burnInSteps: 1, measuredSteps: 1, seed: 1)))
    }
}
