import XCTest
@testable import Numerics

/// The one structural check of a kernel problem's C and y (shape, finiteness, symmetry).
final class KernelMatrixCheckTests: XCTestCase {
    func testDefectsInOrder() {
        let ok = [2.0, 1.0, 1.0, 2.0]
        XCTAssertNil(KernelMatrixCheck.defect(kernel: ok, labels: [1, -1], relativeSymmetry: 1e-12))
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: [], labels: [], relativeSymmetry: 1e-12), .empty)
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: ok, labels: [1], relativeSymmetry: 1e-12), .shape(entries: 4, points: 1))
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: ok, labels: [1, .nan].map { $0 }, relativeSymmetry: 1e-12)?.description,
                       "label 1 is not finite (nan)")
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: [2, 1, .infinity, 2], labels: [1, 1], relativeSymmetry: 1e-12),
                       .nonFiniteKernel(row: 1, column: 0, value: .infinity))
        // Symmetry relative to max |C|: 1e-13 off passes at 1e-12, 1e-11 off does not.
        XCTAssertNil(KernelMatrixCheck.defect(kernel: [2, 1, 1 + 2e-13, 2], labels: [1, 1], relativeSymmetry: 1e-12))
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: [2, 1, 1 + 1e-10, 2], labels: [1, 1], relativeSymmetry: 1e-12),
                       .notSymmetric(row: 0, column: 1, upper: 1, lower: 1 + 1e-10))
    }

    /// The fused finiteness/maximum pass and the tiled symmetry pass report the same first defect
    /// (row-major order) as a plain scan, wherever it lies relative to the tiles and the four lanes.
    func testTiledPassesReportTheFirstDefectInRowMajorOrder() {
        let p = 151   // tiles of 64, 64 and 23; p * p = 4 * 5700 + 1 (four lanes and a tail of one)
        var c = [Double](repeating: 0, count: p * p)
        for i in 0..<p { for j in 0..<p { c[i * p + j] = 1 / Double(1 + i + j) } }
        let y = [Double](repeating: 1, count: p)
        XCTAssertNil(KernelMatrixCheck.defect(kernel: c, labels: y, relativeSymmetry: 1e-12))
        // Two asymmetric pairs: (70, 140) in a later tile row than (3, 149); the row-major first is (3, 149).
        var bad = c
        bad[70 * p + 140] += 1e-6
        bad[149 * p + 3] -= 1e-6
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: bad, labels: y, relativeSymmetry: 1e-12),
                       .notSymmetric(row: 3, column: 149, upper: c[3 * p + 149], lower: c[149 * p + 3] - 1e-6))
        // Only the pair in the diagonal tile's last row.
        bad = c
        bad[127 * p + 128] *= 1 + 1e-9
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: bad, labels: y, relativeSymmetry: 1e-12),
                       .notSymmetric(row: 127, column: 128, upper: bad[127 * p + 128], lower: c[128 * p + 127]))
        // Non-finite entries: an infinity in the tail alone, then a NaN just before it (first in row-major order).
        bad = c
        bad[p * p - 1] = .infinity
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: bad, labels: y, relativeSymmetry: 1e-12),
                       .nonFiniteKernel(row: 150, column: 150, value: .infinity))
        bad[p * p - 2] = .nan
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: bad, labels: y, relativeSymmetry: 1e-12)?.description,
                       "input kernel entry (150, 149) is not finite (nan)")
        // The tolerance is relative to max |C| over every entry, including the last lane and the tail.
        bad = c
        bad[p * p - 1] = 1e4   // max |C| = 1e4: a 1e-9 asymmetry is now within 1e-12 max |C|
        bad[0 * p + 1] += 1e-9
        XCTAssertNil(KernelMatrixCheck.defect(kernel: bad, labels: y, relativeSymmetry: 1e-12))
        bad[p * p - 1] = c[p * p - 1]
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: bad, labels: y, relativeSymmetry: 1e-12),
                       .notSymmetric(row: 0, column: 1, upper: c[1] + 1e-9, lower: c[p]))
    }

    /// relativeSymmetry nil (C symmetric by construction): no symmetry pass, but shape, labels
    /// and finiteness are checked as always; the Gram matrix of `rowGram` (one triangle mirrored,
    /// here with training rows followed by more rows that it must not read) is exactly symmetric.
    func testSymmetricByConstructionSkipsOnlyTheSymmetryPass() {
        XCTAssertNil(KernelMatrixCheck.defect(kernel: [2, 1, 1 + 1e-10, 2], labels: [1, 1], relativeSymmetry: nil))
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: [2, 1, .nan, 2], labels: [1, 1], relativeSymmetry: nil)?.description,
                       "input kernel entry (1, 0) is not finite (nan)")
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: [2, 1, 1, 2], labels: [1], relativeSymmetry: nil), .shape(entries: 4, points: 1))
        XCTAssertEqual(KernelMatrixCheck.defect(kernel: [2, 1, 1, 2], labels: [1, .infinity], relativeSymmetry: nil),
                       .nonFiniteLabel(index: 1, value: .infinity))
        let n = 70, k = 9, extra = 5   // 70 = two 32-tiles and a tail of 6
        let x = (0..<((n + extra) * k)).map { sin(Double($0) * 0.7) + Double($0 % 5) }
        let c = LinearAlgebra.rowGram(x, rows: n, columns: k, divisor: 3)
        var symmetric = true, largest = 0.0
        for i in 0..<n { for j in 0..<n {
            symmetric = symmetric && c[i * n + j] == c[j * n + i]
            var dot = 0.0
            for m in 0..<k { dot += x[i * k + m] * x[j * k + m] }
            largest = max(largest, abs(c[i * n + j] - dot / 3) / max(abs(dot / 3), 1))
        } }
        XCTAssertTrue(symmetric)
        XCTAssertLessThan(largest, 1e-14)
        XCTAssertNil(KernelMatrixCheck.defect(kernel: c, labels: [Double](repeating: 1, count: n), relativeSymmetry: 0))
    }
}
