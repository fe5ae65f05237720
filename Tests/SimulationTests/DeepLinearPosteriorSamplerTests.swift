import XCTest
import Foundation
import Core
import Numerics
@testable import Simulation

/// The exact posterior sampler of finite-width deep linear networks (notes/fluctuations-bayes.md (FB13), (FB22)).
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
                                                         settings: .init(width: n, burnInSweeps: 500, measuredSweeps: 4000, recordEvery: 2,
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

    /// Two correlated points, labels along neither, two layers (every Bartlett variable and the product
    /// R_l = R_0 T_1 ... T_l / N^{l/2} of (FB22) matter): the chains' mean and variance of c_1, c_2 against
    /// self-normalized importance sampling of the network itself (h^{l+1} = Z^{l+1} R_l^T with Z drawn from
    /// the prior, R_l the Cholesky factor of Phi^l, weights exp(ell), (FB13)): an independent method, no
    /// Bartlett factors and no Markov chain. Within 4.5 combined standard errors; the prior's means are
    /// more than 10 standard errors away.
    func testTwoPointsTwoLayersMatchImportanceSampling() throws {
        let n = 6, p = 2, depth = 2, gamma = 1.0, b = 0.5
        let kernel = [1.0, 0.4, 0.4, 0.8], labels = [1.0, -0.6]
        let yy = labels.reduce(0) { $0 + $1 * $1 }
        // Importance sampling: draws from the prior, weights exp(ell) (computed from the kernels directly).
        let draws = 200_000
        var weights: [Double] = [], values: [[Double]] = []
        weights.reserveCapacity(draws); values.reserveCapacity(draws)
        var z = [Double](repeating: 0, count: n * p)
        for d in 0..<draws {
            var phi = kernel
            var overlaps: [Double] = []
            for l in 0..<depth {
                z = NormalSampler.vector(n * p, seed: NormalSampler.derive(77, UInt64(d), UInt64(l)))
                let root = try XCTUnwrap(LinearAlgebra.cholesky(phi, n: p))
                var next = [Double](repeating: 0, count: p * p)
                for i in 0..<n {
                    var h = [Double](repeating: 0, count: p)
                    for a in 0..<p { for k in 0...a { h[a] += root[a * p + k] * z[i * p + k] } }
                    for a in 0..<p { for c in 0..<p { next[a * p + c] += h[a] * h[c] / Double(n) } }
                }
                phi = next
                var q = 0.0
                for a in 0..<p { for c in 0..<p { q += labels[a] * phi[a * p + c] * labels[c] } }
                overlaps.append(q / yy)
            }
            // ell = -1/2 ln det(Phi + b) - g N/2 y^T (Phi + b)^{-1} y, 2 x 2 in closed form.
            let m00 = phi[0] + b, m01 = phi[1], m11 = phi[3] + b, det = m00 * m11 - m01 * m01
            let quadratic = (m11 * labels[0] * labels[0] - 2 * m01 * labels[0] * labels[1] + m00 * labels[1] * labels[1]) / det
            weights.append(-0.5 * log(det) - 0.5 * gamma * gamma * Double(n) * quadratic)
            values.append(overlaps)
        }
        let top = weights.max()!
        let w = weights.map { exp($0 - top) }
        let total = w.reduce(0, +)
        var referenceMean: [Double] = [], referenceVariance: [Double] = [], meanError: [Double] = [], varianceError: [Double] = []
        for l in 0..<depth {
            let mean = zip(w, values).reduce(0) { $0 + $1.0 * $1.1[l] } / total
            let variance = zip(w, values).reduce(0) { $0 + $1.0 * ($1.1[l] - mean) * ($1.1[l] - mean) } / total
            // Delta-method standard errors of the self-normalized estimators.
            let mse = zip(w, values).reduce(0) { $0 + $1.0 * $1.0 * ($1.1[l] - mean) * ($1.1[l] - mean) } / (total * total)
            let vse = zip(w, values).reduce(0) { acc, pair in
                let r = (pair.1[l] - mean) * (pair.1[l] - mean) - variance
                return acc + pair.0 * pair.0 * r * r
            } / (total * total)
            referenceMean.append(mean); referenceVariance.append(variance)
            meanError.append(mse.squareRoot()); varianceError.append(vse.squareRoot())
        }
        let chains = 24
        var chainMeans = Array(repeating: [Double](), count: depth), chainSquares = Array(repeating: [Double](), count: depth)
        for chain in 0..<chains {
            let sampler = try DeepLinearPosteriorSampler(inputKernel: kernel, labels: labels, gamma: gamma, ridge: b, depth: depth,
                                                         settings: .init(width: n, burnInSweeps: 300, measuredSweeps: 3000, recordEvery: 2,
                                                                         seed: NormalSampler.derive(12, UInt64(chain))))
            let run = sampler.run()
            XCTAssertNil(run.failure)
            XCTAssertGreaterThan(run.acceptance, 0.2)
            for l in 0..<depth {
                let xs = run.overlapSeries[l]
                chainMeans[l].append(xs.reduce(0, +) / Double(xs.count))
                chainSquares[l].append(xs.reduce(0) { $0 + ($1 - referenceMean[l]) * ($1 - referenceMean[l]) } / Double(xs.count))
            }
        }
        func summary(_ xs: [Double]) -> (Double, Double) {
            let m = xs.reduce(0, +) / Double(xs.count)
            return (m, (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1) / Double(xs.count)).squareRoot())
        }
        let priorMean = [(labels[0] * labels[0] * kernel[0] + 2 * labels[0] * labels[1] * kernel[1] + labels[1] * labels[1] * kernel[3]) / yy]
        for l in 0..<depth {
            let (mean, mse) = summary(chainMeans[l]), (variance, vse) = summary(chainSquares[l])
            let meanTolerance = 4.5 * (mse * mse + meanError[l] * meanError[l]).squareRoot()
            let varianceTolerance = 4.5 * (vse * vse + varianceError[l] * varianceError[l]).squareRoot()
            XCTAssertLessThan(abs(mean - referenceMean[l]), meanTolerance, "layer \(l + 1): mean \(mean) vs \(referenceMean[l])")
            XCTAssertLessThan(abs(variance - referenceVariance[l]), varianceTolerance, "layer \(l + 1): variance \(variance) vs \(referenceVariance[l])")
            // The prior keeps E c_l = y^T C y / |y|^2 (a martingale): the tilt moves it far beyond the tolerance.
            XCTAssertGreaterThan(abs(priorMean[0] - referenceMean[l]), 10 * meanTolerance / 4.5)
        }
    }

    func testRejectsBadInput() {
        let settings = DeepLinearPosteriorSampler.Settings(width: 4, burnInSweeps: 10, measuredSweeps: 10, seed: 1)
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1, 0, 0, 1], labels: [1], gamma: 1, ridge: 1, depth: 1, settings: settings))
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1], labels: [1], gamma: 1, ridge: 0, depth: 1, settings: settings))
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1, 2, 2, 1], labels: [1, 1], gamma: 1, ridge: 1, depth: 1, settings: settings))
        XCTAssertThrowsError(try DeepLinearPosteriorSampler(inputKernel: [1], labels: [1], gamma: 1, ridge: 1, depth: 1,
                                                            settings: .init(width: 1, burnInSweeps: 1, measuredSweeps: 1, seed: 1)))
    }
}
