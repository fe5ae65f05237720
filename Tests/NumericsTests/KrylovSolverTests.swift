import XCTest
@testable import Numerics

/// Matrix-free GMRES (notes/antk-nonlinear-data.md (AN14)) against the direct solve.
final class KrylovSolverTests: XCTestCase {
    /// A nonsymmetric, well-conditioned 30 x 30 system (I + a seeded random matrix / (3 sqrt(n))): with
    /// n products GMRES is exact in exact arithmetic, so x agrees with the LU solve to 1e-10 and the
    /// reported residual is the true one; a loose tolerance stops early with a residual at most that.
    func testGMRESSolvesANonsymmetricSystemAndReportsItsResidual() throws {
        let n = 30
        var generator = SeededGenerator(seed: 7)
        let scale = 1 / (3 * Double(n).squareRoot())
        var a = (0..<(n * n)).map { _ in scale * (2 * Double.random(in: 0..<1, using: &generator) - 1) }
        for i in 0..<n { a[i * n + i] += 1 }
        let b = (0..<n).map { _ in Double.random(in: -1..<1, using: &generator) }
        func apply(_ u: [Double]) -> [Double] { (0..<n).map { i in (0..<n).reduce(0.0) { $0 + a[i * n + $1] * u[$1] } } }
        let direct = try XCTUnwrap(LinearAlgebra.solve(a, b, n: n))
        let full = KrylovSolver.gmres(b, relativeTolerance: 1e-14, maximumIterations: n, apply: apply)
        for i in 0..<n { XCTAssertEqual(full.x[i], direct[i], accuracy: 1e-10) }
        let loose = KrylovSolver.gmres(b, relativeTolerance: 1e-3, maximumIterations: n, apply: apply)
        XCTAssertLessThan(loose.iterations, n)
        XCTAssertLessThanOrEqual(loose.relativeResidual, 1e-3)
        let r = zip(b, apply(loose.x)).map { $0 - $1 }
        let trueResidual = (r.reduce(0) { $0 + $1 * $1 } / b.reduce(0) { $0 + $1 * $1 }).squareRoot()
        XCTAssertEqual(trueResidual, loose.relativeResidual, accuracy: 1e-10)
        XCTAssertEqual(KrylovSolver.gmres([Double](repeating: 0, count: n), relativeTolerance: 1e-8, maximumIterations: 5, apply: apply).x, [Double](repeating: 0, count: n))
    }
}
