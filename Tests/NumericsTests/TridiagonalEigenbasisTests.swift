import XCTest
@testable import Numerics

/// The eigenbasis without back-transformed eigenvectors (dsytrd + dstemr, applied to vectors by
/// dormtr + dgemv; notes/general-kernel-reduction.md (G4'')) against the dense dsyevd path.
final class TridiagonalEigenbasisTests: XCTestCase {
    struct Generator {
        var state: UInt64
        mutating func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) - 0.5 }
    }

    /// C = X X^T / r for a seeded n x r matrix X: PSD of rank min(n, r).
    func psd(_ n: Int, rank r: Int, seed: UInt64) -> [Double] {
        var g = Generator(state: seed)
        let x = (0..<(n * r)).map { _ in 2 * g.next() }
        return LinearAlgebra.multiplyTransposed(x, x, m: n, k: r, n: n).map { $0 / Double(r) }
    }

    /// Compares every quantity functions f(C) y need, and the dense U on demand, with dsyevd.
    func compare(_ c: [Double], n: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        var g = Generator(state: seed &+ 99)
        let y = (0..<n).map { _ in 3 * g.next() }
        let dense = try XCTUnwrap(LinearAlgebra.symmetricEigen(c, n: n))
        let basis = try XCTUnwrap(TridiagonalEigenbasis(symmetric: c, n: n))
        let scale = max(dense.values.map(abs).max()!, .leastNormalMagnitude)
        let eps = Double.ulpOfOne
        // Eigenvalues: both backward stable, |delta lambda_k| <= O(n eps |C|).
        for (a, b) in zip(dense.values, basis.eigenvalues) {
            XCTAssertEqual(a, b, accuracy: 8 * Double(n) * eps * scale, "eigenvalue", file: file, line: line)
        }
        // Coordinates y_k = (U^T y)_k: squared (signs are free) and summed over clusters (the
        // eigenvectors of a multiple eigenvalue are not unique, the projector onto them is).
        let yNorm2 = y.reduce(0) { $0 + $1 * $1 }
        let denseCoordinates = (0..<n).map { k in (0..<n).reduce(0.0) { $0 + dense.vectors[$1 * n + k] * y[$1] } }
        let coordinates = basis.coordinates(of: y)
        var k = 0
        while k < n {
            var end = k + 1
            while end < n && dense.values[end] - dense.values[end - 1] <= 1e-6 * scale { end += 1 }
            let a = (k..<end).reduce(0.0) { $0 + denseCoordinates[$1] * denseCoordinates[$1] }
            let b = (k..<end).reduce(0.0) { $0 + coordinates[$1] * coordinates[$1] }
            XCTAssertEqual(a, b, accuracy: 1e-9 * yNorm2, "weight of eigenvalues \(k)..<\(end)", file: file, line: line)
            k = end
        }
        // f(C) y for the resolvents the reduction uses (eq. G4): (tC + b)^{-1} y and C (tC + b)^{-1} y.
        // Both paths are backward stable (|delta C| <= 8 n eps |C|), so they differ by at most
        // max|f'| |delta C| |y| plus the rounding of the sums.
        let yNorm = yNorm2.squareRoot(), backward = 8 * Double(n) * eps * scale
        for (t, b) in [(1.0, 0.1), (10.0, 0.5), (0.5, 2.0)] {
            for (f, lipschitz) in [({ (l: Double) in 1 / (t * l + b) }, t / (b * b)), ({ (l: Double) in l / (t * l + b) }, 1 / b)] {
                let denseResult = LinearAlgebra.multiply(dense.vectors, vector: (0..<n).map { f(dense.values[$0]) * denseCoordinates[$0] }, m: n, n: n)
                let result = basis.combination((0..<n).map { f(basis.eigenvalues[$0]) * coordinates[$0] })
                let size = denseResult.map(abs).max()!
                for (a, r) in zip(denseResult, result) {
                    XCTAssertEqual(a, r, accuracy: lipschitz * backward * yNorm + 8 * Double(n) * eps * max(size, yNorm / b), "f(C) y, t = \(t), b = \(b)", file: file, line: line)
                }
            }
        }
        // U on demand: orthogonal and U diag(lambda) U^T = C.
        let u = basis.denseEigenvectors()
        for i in 0..<n {
            for j in 0..<n {
                var gram = 0.0, product = 0.0
                for m in 0..<n { gram += u[m * n + i] * u[m * n + j]; product += u[i * n + m] * basis.eigenvalues[m] * u[j * n + m] }
                XCTAssertEqual(gram, i == j ? 1 : 0, accuracy: 16 * Double(n) * eps, file: file, line: line)
                XCTAssertEqual(product, c[i * n + j], accuracy: 16 * Double(n) * eps * scale, file: file, line: line)
            }
        }
    }

    func testRandomPositiveSemidefiniteMatricesMatchDsyevd() throws {
        for (n, seed) in [(2, 1), (3, 2), (17, 3), (120, 4)] as [(Int, UInt64)] {
            try compare(psd(n, rank: n, seed: seed), n: n, seed: seed)
        }
    }

    func testRankDeficientMatricesMatchDsyevd() throws {
        // Rank 1, rank n/3 and rank n - 1: a cluster of zero eigenvalues (to rounding).
        for (n, rank, seed) in [(9, 1, 5), (90, 30, 6), (40, 39, 7)] as [(Int, Int, UInt64)] {
            try compare(psd(n, rank: rank, seed: seed), n: n, seed: seed)
        }
    }

    func testOnePointAndTheZeroMatrix() throws {
        let one = try XCTUnwrap(TridiagonalEigenbasis(symmetric: [2.5], n: 1))
        XCTAssertEqual(one.eigenvalues, [2.5])
        XCTAssertEqual(one.coordinates(of: [-3]).map(abs), [3])
        XCTAssertEqual(one.combination(one.coordinates(of: [-3])), [-3])
        XCTAssertEqual(one.denseEigenvectors().map(abs), [1])
        try compare([0.75], n: 1, seed: 8)
        let zero = try XCTUnwrap(TridiagonalEigenbasis(symmetric: [Double](repeating: 0, count: 25), n: 5))
        XCTAssertEqual(zero.eigenvalues, [Double](repeating: 0, count: 5))
        let y = [1.0, -2, 3, 0.5, 4]
        let back = zero.combination(zero.coordinates(of: y))
        for (a, b) in zip(back, y) { XCTAssertEqual(a, b, accuracy: 1e-15 * 4) }
    }

    func testRowGramMatchesTheGeneralProductAndIsExactlySymmetric() {
        var g = Generator(state: 11)
        for (n, k) in [(1, 1), (1, 5), (7, 3), (130, 70)] {
            let x = (0..<(n * k)).map { _ in g.next() }
            let gram = LinearAlgebra.rowGram(x, rows: n, columns: k, divisor: Double(k))
            let general = LinearAlgebra.multiplyTransposed(x, x, m: n, k: k, n: n).map { $0 / Double(k) }
            for i in 0..<n {
                for j in 0..<n {
                    XCTAssertEqual(gram[i * n + j], gram[j * n + i])
                    // Both are the dot product in floating point: equal up to the summation order.
                    let bound = (0..<k).reduce(0.0) { $0 + abs(x[i * k + $1] * x[j * k + $1]) } / Double(k)
                    XCTAssertEqual(gram[i * n + j], general[i * n + j], accuracy: 2 * Double(k) * Double.ulpOfOne * bound)
                }
            }
        }
    }
}
