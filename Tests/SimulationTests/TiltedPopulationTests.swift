import XCTest
import Core
import Numerics
@testable import Simulation

/// The population sampler of notes/anbk-data.md (NB12)-(NB14) on targets with known moments.
final class TiltedPopulationTests: XCTestCase {
    /// phi(h) = h: the tilted law N(h; 0, Phi) exp(-h^T H h / 2) is Gaussian with covariance
    /// A = (Phi^-1 + H)^-1. From the prior, a tilt this strong needs tempering (plain importance weights
    /// from the prior have ESS ~ n det(...) far below n/2); the weighted second moment of the walkers
    /// must match A within 5 standard errors of a correlated-walker estimate (entry variance
    /// (A_ii A_jj + A_ij^2)/n_eff, n_eff = n/4 allowing for the walkers' correlation after resampling).
    /// A second advance with a changed Phi (the map G = chol(Phi) moves, as at layers >= 2) and dual
    /// checks the reweighting between maps.
    func testPopulationReachesAGaussianTiltedLawByTemperingAndSliceMoves() throws {
        let p = 4, n = 4000
        let phi0: [Double] = [1.0, 0.5, 0.2, 0.1,  0.5, 1.2, 0.3, 0.0,  0.2, 0.3, 0.9, 0.2,  0.1, 0.0, 0.2, 1.1]
        let dual0: [Double] = [6.0, 1.0, 0.0, 0.5,  1.0, 4.0, 1.0, 0.0,  0.0, 1.0, 5.0, 1.0,  0.5, 0.0, 1.0, 3.0]
        let population = TiltedPopulation(count: n, trainCount: p, activation: .identity)
        population.reset(dimension: p, seed: 11)
        func check(phi: [Double], dual: [Double], seed: UInt64) throws -> Double {
            let lower = try XCTUnwrap(LinearAlgebra.cholesky(phi, n: p))
            let tilt = try population.advance(to: TiltedPopulation.Tilt(map: lower, dual: dual, p: p), sweeps: 2, seed: seed)
            XCTAssertEqual(tilt.count, n)
            let exact = try XCTUnwrap(LinearAlgebra.inverseSPD(SmallMatrix.add(try XCTUnwrap(LinearAlgebra.inverseSPD(phi, n: p)), dual), n: p))
            let top = population.logWeights.max()!
            let w = population.logWeights.map { exp($0 - top) }, total = w.reduce(0, +)
            var moment = [Double](repeating: 0, count: p * p)
            for s in 0..<n {
                let e = Array(population.walkers[(s * p)..<((s + 1) * p)])
                let h = (0..<p).map { i in (0...i).reduce(0.0) { $0 + lower[i * p + $1] * e[$1] } }
                for i in 0..<p { for j in 0..<p { moment[i * p + j] += w[s] / total * h[i] * h[j] } }
            }
            var worst = 0.0
            for i in 0..<p { for j in 0..<p {
                let sd = ((exact[i * p + i] * exact[j * p + j] + exact[i * p + j] * exact[i * p + j]) / Double(n / 4)).squareRoot()
                XCTAssertEqual(moment[i * p + j], exact[i * p + j], accuracy: 5 * sd, "entry (\(i), \(j))")
                worst = max(worst, abs(moment[i * p + j] - exact[i * p + j]) / sd)
            } }
            return worst
        }
        _ = try check(phi: phi0, dual: dual0, seed: 21)
        XCTAssertGreaterThan(population.temperingSteps, 0, "the check must exercise the tempering")
        XCTAssertEqual(population.stalls, 0)
        // A mild change of both the prior (the map moves) and the dual: reweighting, maybe resampling, moves.
        let phi1 = phi0.enumerated().map { $0.offset % (p + 1) == 0 ? 1.1 * $0.element : 0.95 * $0.element }
        _ = try check(phi: phi1, dual: dual0.map { 0.8 * $0 }, seed: 22)
        // One slice evaluation per move at least; the bracket shrinks a few times at most on these targets.
        XCTAssertGreaterThanOrEqual(Double(population.evaluations) / Double(population.moves), 1)
        XCTAssertLessThan(Double(population.evaluations) / Double(population.moves), 10)
    }

    /// The tilt's row forms equal the direct quadratic forms -phi^T H phi / 2 (ReLU, a nonsymmetric
    /// rectangular map p x d).
    func testTiltValuesAreTheQuadraticForms() {
        let p = 3, d = 2
        let population = TiltedPopulation(count: 5, trainCount: p, activation: .relu)
        population.reset(dimension: d, seed: 3)
        let map: [Double] = [1, 0.5, -0.3, 2, 0.7, -1]
        let dual: [Double] = [2, 0.3, -0.4, 0.3, 1, 0.2, -0.4, 0.2, 3]
        let values = population.tiltsOfWalkers([TiltedPopulation.Tilt(map: map, dual: dual, p: p)])[0]
        for s in 0..<5 {
            let e = Array(population.walkers[(s * d)..<((s + 1) * d)])
            let f = (0..<p).map { i in max(0, map[i * d] * e[0] + map[i * d + 1] * e[1]) }
            var q = 0.0
            for i in 0..<p { for j in 0..<p { q += f[i] * dual[i * p + j] * f[j] } }
            XCTAssertEqual(values[s], -0.5 * q, accuracy: 1e-12 * (1 + abs(q)))
        }
    }
}
