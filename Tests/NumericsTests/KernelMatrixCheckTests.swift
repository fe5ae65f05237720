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
}
