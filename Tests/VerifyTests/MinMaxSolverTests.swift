import LinearTheory
import Numerics
import XCTest
@testable import Verify

final class MinMaxSolverTests: XCTestCase {
    static func settings(seed: UInt64 = 5) -> MinMaxSettings {
        var s = MinMaxSettings()
        s.samples = 4000
        s.burnIn = 150
        s.measured = 160
        s.seed = seed
        return s
    }

    func testLinearWhitenedMatchesCertifiedOverlaps() throws {
        let exact = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: BigRational(1), beta: InverseTemperature(parsing: "10"), depth: 2), digits: 20)
        let c = exact.dominant!.overlap.midpoint.doubleApproximation
        let problem = try BayesProblem.whitened(points: 3, gamma: 1, ridge: 0.1, depth: 2)
        let estimate = MinMaxEstimate.compute(problem: problem, settings: Self.settings())
        XCTAssertTrue(estimate.converged, estimate.failure ?? "")
        let result = VerificationCase.against(exact: c, name: "c_L", measured: .init(name: "minmax", estimate: estimate.overlaps[1]), failure: estimate.failure)
        XCTAssertTrue(result.pass, "\(estimate.overlaps[1]) vs \(c), tolerance \(result.tolerance)")
        // The error bar is informative: a relative error of at most a few percent.
        XCTAssertLessThan(estimate.overlaps[1].standardError, 0.02 * c)
        // Layer 1: c_1 = sqrt(c_2) for the whitened linear saddle.
        XCTAssertLessThan(abs(estimate.overlaps[0].value - c.squareRoot()), estimate.overlaps[0].tolerance(k: VerificationCase.standardErrors()))
    }

    func testLinearGeneralKernelMatchesDirectSaddle() throws {
        let problem = try SyntheticData.problem(train: 4, test: 1, dimension: 10, gamma: 1.5, ridge: 0.1, depth: 1, activation: .identity, seed: 11)
        let direct = try DirectLinearSaddle(problem: problem)
        let estimate = MinMaxEstimate.compute(problem: problem, settings: Self.settings())
        XCTAssertTrue(estimate.converged, estimate.failure ?? "")
        let entries = estimate.kernels[0].count
        let k = VerificationCase.standardErrors(comparisons: entries + 1)
        for (e, est) in estimate.kernels[0].enumerated() {
            XCTAssertLessThan(abs(est.value - direct.kernels[0][e]), est.tolerance(k: k), "entry \(e)")
        }
        XCTAssertLessThan(abs(estimate.predictions[0].value - direct.predictions[0]), estimate.predictions[0].tolerance(k: k))
    }

    func testSameSeedSameSeriesDifferentSeedDifferentSeries() throws {
        let problem = try SyntheticData.problem(train: 3, test: 1, dimension: 6, gamma: 1, ridge: 0.1, depth: 2, activation: .tanh, seed: 2)
        var s = Self.settings(seed: 9)
        s.samples = 1000; s.burnIn = 5; s.measured = 5
        let a = MinMaxSolver(problem: problem, settings: s).run()
        let b = MinMaxSolver(problem: problem, settings: s).run()
        XCTAssertEqual(a.kernelSeries, b.kernelSeries)
        XCTAssertEqual(a.predictionSeries, b.predictionSeries)
        s.seed = 10
        XCTAssertNotEqual(MinMaxSolver(problem: problem, settings: s).run().kernelSeries, a.kernelSeries)
    }

    func testNonConvergenceIsReported() throws {
        // Too few iterations to reach the saddle: the halves of the measured series disagree.
        let problem = try BayesProblem.whitened(points: 3, gamma: 2, ridge: 0.1, depth: 8)
        var s = Self.settings()
        s.burnIn = 0; s.measured = 60; s.samples = 2000
        let estimate = MinMaxEstimate.compute(problem: problem, settings: s)
        XCTAssertFalse(estimate.converged)
        XCTAssertTrue(estimate.failure?.contains("not stationary") ?? false, estimate.failure ?? "nil")
    }

    func testBadProblemsAreRejected() {
        XCTAssertThrowsError(try BayesProblem.whitened(points: 3, gamma: -1, ridge: 0.1, depth: 2))
        XCTAssertThrowsError(try BayesProblem.whitened(points: 3, gamma: 1, ridge: 0, depth: 2))
        XCTAssertThrowsError(try BayesProblem.whitened(points: 3, gamma: 1, ridge: 0.1, depth: 0))
        XCTAssertThrowsError(try Activation(name: "softplus"))
        XCTAssertEqual(try Activation(name: "ReLU"), .relu)
    }

    func testTriangularRowFormsEqualSymmetricQuadraticForms() {
        // x_s^T S x_s for an indefinite symmetric S on the first 3 of 5 columns (row stride 5).
        let n = 37, stride = 5, m = 3
        let workspace = MinMaxSolver.Workspace(samples: n, width: stride)
        let x = UnsafeMutableBufferPointer<Double>.allocate(capacity: n * stride)
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer { x.deallocate(); out.deallocate() }
        for i in 0..<(n * stride) { x[i] = sin(0.7 * Double(i) + 0.3) }
        let s: [Double] = [2, -1.5, 0.25, -1.5, -3, 0.5, 0.25, 0.5, 1]
        MinMaxSolver.rowForms(x, symmetric: s, into: out, rows: n, stride: stride, columns: m, scale: -0.5, workspace: workspace)
        for r in 0..<n {
            var q = 0.0
            for i in 0..<m { for j in 0..<m { q += x[r * stride + i] * s[i * m + j] * x[r * stride + j] } }
            XCTAssertEqual(out[r], -0.5 * q, accuracy: 1e-12 * max(1, abs(q)), "row \(r)")
        }
    }
}
