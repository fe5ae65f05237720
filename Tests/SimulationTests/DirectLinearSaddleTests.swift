import Theory
import Numerics
import XCTest
@testable import Simulation
@testable import Core

final class DirectLinearSaddleTests: XCTestCase {
    /// On whitened data the direct matrix saddle must give Phi^l = I + (c_l - 1) y y^T with the certified c_l.
    func testWhitenedAgreesWithCertifiedOverlaps() throws {
        for (g, beta, depth) in [("1", "10", 1), ("1", "10", 4), ("4", "10", 16)] {
            let exact = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: BigRational(parsing: g), beta: InverseTemperature(parsing: beta), depth: depth), digits: 20)
            let c = exact.dominant!.overlap.midpoint.doubleApproximation
            let problem = try BayesProblem.whitened(points: 3, gamma: Double(g)!, ridge: 1 / Double(beta)!, depth: depth)
            let direct = try DirectLinearSaddle(problem: problem)
            XCTAssertEqual(direct.overlap, c, accuracy: 1e-9 * c, "gamma=\(g) beta=\(beta) L=\(depth)")
            for l in 1...depth {
                let k = direct.kernels[l - 1]
                XCTAssertEqual(k[0], pow(c, Double(l) / Double(depth)), accuracy: 1e-9 * c)
                XCTAssertEqual(k[4], 1, accuracy: 1e-9)
                XCTAssertEqual(k[1], 0, accuracy: 1e-9)
            }
        }
    }

    /// General C: the kernels satisfy the layerwise stationarity (Phi^l)^{-1} = (Phi^{l-1})^{-1} + hatPhi^l
    /// with the backward recursion for hatPhi (notes/theory-overview.md (T7)), checked on the training block.
    func testGeneralKernelSatisfiesStationarity() throws {
        let problem = try SyntheticData.problem(train: 4, test: 0, dimension: 8, gamma: 1.5, ridge: 0.1, depth: 3, activation: .identity, seed: 3)
        let direct = try DirectLinearSaddle(problem: problem)
        let p = 4
        let kernels = [problem.inputKernel] + direct.kernels
        var k = kernels[3]
        for i in 0..<p { k[i * p + i] += problem.ridge }
        let v = LinearAlgebra.solveSPD(k, problem.labels, n: p)!
        var dual = (0..<(p * p)).map { -problem.gamma * problem.gamma * v[$0 / p] * v[$0 % p] }
        for l in stride(from: 3, through: 1, by: -1) {
            let expected = SmallMatrix.add(LinearAlgebra.inverseSPD(kernels[l - 1], n: p)!, dual)
            let actual = LinearAlgebra.inverseSPD(kernels[l], n: p)!
            for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-8) }
            // hatPhi^{l-1} = hatPhi^l (I + Phi^{l-1} hatPhi^l)^{-1}
            var m = LinearAlgebra.multiply(kernels[l - 1], dual, m: p, k: p, n: p)
            for i in 0..<p { m[i * p + i] += 1 }
            let mInverse = LinearAlgebra.solve(m, SmallMatrix.identity(p), n: p, nrhs: p)!
            dual = LinearAlgebra.multiply(dual, mInverse, m: p, k: p, n: p)
        }
    }
}
