import XCTest
import Core
import Numerics
import Simulation
import Theory
@testable import Studies

/// The infinite-width trajectories of notes/dynamics-deep-linear.md: Richardson-extrapolated DMFT (DY12)
/// against exact results, and the approximations (DY17)-(DY19).
final class DynamicsSolverTests: XCTestCase {
    func testTwoLayerWhitenedMatchesExactTrajectory() throws {
        for (gamma, lambda) in [(2.0, 0.5), (1.0, 0.0)] {
            let problem = try DynamicsProblem(depth: 1, gamma: gamma, lambda: lambda, time: 2, intervals: 4, data: .whitened(size: 1))
            let trajectory = try DynamicsSolver(coarseStep: 0.04).solve(problem)
            for (i, t) in problem.times.enumerated() where i > 0 {
                let exact = DynamicsVerification.twoLayerExact(gamma: gamma, lambda: lambda, time: t)
                let v = trajectory.values[i].fDotY, r = trajectory.residuals[i].fDotY
                XCTAssertLessThan(abs(v - exact), 2 * r + 1e-12, "t = \(t): \(v) vs \(exact) (residual \(r))")
                XCTAssertLessThan(r, 1e-6)
                XCTAssertGreaterThan(abs(trajectory.finestFrames[i].predictions[0] - exact), 10 * abs(v - exact))  // Richardson helps
            }
        }
    }

    /// lambda > 0: the trajectory ends on the exact aNTK fixed point (notes/antk-deep-linear.md (A8)): whitened
    /// L = 2, gamma = 3 (upper branch 0.7450578380236...) and a non-whitened L = 1 case, three training points and a test point.
    func testLongTimeLimitIsTheFixedPoint() throws {
        let whitened = try DynamicsProblem(depth: 2, gamma: 3, lambda: 1, time: 15, intervals: 1, data: .whitened(size: 1))
        let end = try DynamicsSolver(coarseStep: 0.1, levels: 3).solve(whitened).values.last!.fDotY
        let points = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: [1], labels: [1], gamma: 3, lambda: 1, depth: 2))
        let upper = points.map(\.fDotY).max()!
        XCTAssertEqual(upper, 0.745057838023606, accuracy: 1e-12)
        XCTAssertEqual(end, upper, accuracy: 1e-7)

        let x = [1.0, 0.2, -0.3, 0.4, 1.1, 0.5, -0.6, 0.3, 0.9, 0.2, 0.7, -0.1]   // 4 x 3: three training points, one test point
        let y = [1.0, 0.5, 0.2]
        let data = try DynamicsData(train: Array(x[0..<9]), labels: y, test: Array(x[9...]), testLabels: [0.3], dimension: 3)
        let problem = try DynamicsProblem(depth: 1, gamma: 3, lambda: 1, time: 8, intervals: 1, data: data)
        let trajectory = try DynamicsSolver(coarseStep: 0.16).solve(problem)
        let c = data.kernel, n = 4
        let fixed = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: (0..<3).flatMap { a in (0..<3).map { c[a * n + $0] } },
                                                                     labels: y, gamma: 3, lambda: 1, depth: 1))
        let reached = fixed.min { abs($0.fDotY - trajectory.values.last!.fDotY) < abs($1.fDotY - trajectory.values.last!.fDotY) }!
        XCTAssertTrue(reached.stable)
        XCTAssertFalse(reached.isCollapse)
        XCTAssertEqual(trajectory.values.last!.fDotY, reached.fDotY, accuracy: 1e-5)
        // f = a C Delta with Delta = (I + a C)^{-1} y on the training points and a C(x*, X) Delta on the test point (A8).
        let ct = (0..<3).flatMap { a in (0..<3).map { c[a * n + $0] } }
        var m = ct.map { $0 * reached.a }
        for i in 0..<3 { m[i * 3 + i] += 1 }
        let delta = LinearAlgebra.solve(m, y, n: 3)!
        let testPrediction = reached.a * (0..<3).reduce(0) { $0 + c[3 * n + $1] * delta[$1] }
        let frame = trajectory.finestFrames.last!
        XCTAssertEqual(frame.predictions[3], testPrediction, accuracy: 1e-4)
        XCTAssertEqual(trajectory.values.last!.testLoss!, pow(0.3 - testPrediction, 2) / 2, accuracy: 1e-5)
    }

    /// gamma -> 0 is the static-NTK trajectory (DY17), with an O(gamma^2) difference; at lambda = 0 that trajectory
    /// is f = V (1 - e^{-(L+1) c_i t}) V^T y in closed form.
    func testLazyLimitIsTheStaticNTKTrajectory() throws {
        let x = [1.0, 0.2, -0.3, 0.4, 1.1, 0.5, -0.6, 0.3, 0.9]
        let y = [1.0, -0.4, 0.6]
        let data = try DynamicsData(train: x, labels: y, dimension: 3)
        for lambda in [0.0, 0.3] {
            var differences = [Double]()
            for gamma in [0.02, 0.01] {
                let problem = try DynamicsProblem(depth: 2, gamma: gamma, lambda: lambda, time: 2, intervals: 2, data: data)
                let lazy = try DynamicsSolver().solve(problem, approximation: .staticNTK)
                let dmft = try DynamicsSolver().solve(problem)
                differences.append(abs(lazy.values[2].fDotY - dmft.values[2].fDotY))
                XCTAssertLessThan(lazy.residuals[2].fDotY, 1e-9)
                if lambda == 0 && gamma == 0.01 {
                    let (values, vectors) = LinearAlgebra.symmetricEigen(data.kernel, n: 3)!
                    var f = [Double](repeating: 0, count: 3)
                    for i in 0..<3 {
                        let proj = (0..<3).reduce(0) { $0 + vectors[$1 * 3 + i] * y[$1] }
                        for a in 0..<3 { f[a] += vectors[a * 3 + i] * (1 - exp(-3 * values[i] * 2)) * proj }
                    }
                    let fy = zip(f, y).reduce(0) { $0 + $1.0 * $1.1 } / y.reduce(0) { $0 + $1 * $1 }
                    XCTAssertEqual(lazy.values[2].fDotY, fy, accuracy: 1e-10)
                }
            }
            // Even in gamma: halving gamma divides the difference by 4.
            XCTAssertEqual(differences[0] / differences[1], 4, accuracy: 0.05)
        }
    }

    /// Gradient independence (DY18) is exact for L = 1 (no hidden N x N matrix); for L >= 2 its lazy limit is the
    /// static trajectory of the kernel 2C instead of (L+1)C (the responses carry the lower layers' NTK terms).
    /// The perturbative trajectory is wrong at O(gamma^4) (DY19).
    func testApproximationsHaveTheirOrders() throws {
        let solver = DynamicsSolver(coarseStep: 0.05)
        let one = try DynamicsProblem(depth: 1, gamma: 1.5, lambda: 0.2, time: 1.5, intervals: 3, data: .whitened(size: 4))
        let sc1 = try solver.solve(one), gi1 = try solver.solve(one, approximation: .gradientIndependence)
        XCTAssertEqual(sc1.values[3].fDotY, gi1.values[3].fDotY, accuracy: 1e-12)
        XCTAssertEqual(sc1.values[3].ntkAlignment, gi1.values[3].ntkAlignment, accuracy: 1e-12)
        let lazy = try DynamicsProblem(depth: 3, gamma: 0.01, lambda: 0, time: 1, intervals: 1, data: .whitened(size: 1))
        XCTAssertEqual(try solver.solve(lazy, approximation: .gradientIndependence).values[1].fDotY, 1 - exp(-2.0), accuracy: 1e-4)
        XCTAssertEqual(try solver.solve(lazy).values[1].fDotY, 1 - exp(-4.0), accuracy: 1e-4)
        var pertErrors = [Double]()
        for gamma in [0.4, 0.2] {
            let problem = try DynamicsProblem(depth: 2, gamma: gamma, lambda: 0, time: 1, intervals: 1, data: .whitened(size: 1))
            let sc = try solver.solve(problem).values[1].fDotY
            let pert = try solver.solve(problem, approximation: .perturbative)
            pertErrors.append(abs(pert.values[1].fDotY - sc))
            XCTAssertLessThan(pert.residuals[1].fDotY, 0.5 * pertErrors.last!)
        }
        XCTAssertEqual(log2(pertErrors[0] / pertErrors[1]), 4, accuracy: 0.3)
    }

    /// A grid too coarse for gamma: the explicit march diverges and the solver says so instead of returning NaN.
    func testDivergentGridIsRefused() throws {
        let problem = try DynamicsProblem(depth: 2, gamma: 8, lambda: 0, time: 16, intervals: 2, data: .whitened(size: 1))
        XCTAssertThrowsError(try DynamicsSolver(coarseStep: 2).solve(problem)) { error in
            XCTAssertTrue("\(error)".contains("diverged"), "\(error)")
        }
    }
}
