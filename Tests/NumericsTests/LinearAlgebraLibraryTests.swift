import CLAPACKE
import XCTest
@testable import Numerics

final class LinearAlgebraLibraryTests: XCTestCase {
    /// The shared library resolves every function and calls reach OpenBLAS/LAPACKE with the prototypes' types.
    func testSharedLibraryComputes() {
        let library = LinearAlgebraLibrary.shared
        var x: [Double] = [1, 2, 3], y: [Double] = [4, -5, 6]
        XCTAssertEqual(library.cblas_ddot(3, &x, 1, &y, 1), 12)
        // A = [[4, 1], [1, 3]] (row-major): eigenvalues (7 -+ sqrt 5)/2.
        var a: [Double] = [4, 1, 1, 3], w = [Double](repeating: 0, count: 2)
        let info = library.LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "U")), 2, &a, 2, &w)
        XCTAssertEqual(info, 0)
        XCTAssertEqual(w[0], (7 - 5.0.squareRoot()) / 2, accuracy: 1e-14)
        XCTAssertEqual(w[1], (7 + 5.0.squareRoot()) / 2, accuracy: 1e-14)
        XCTAssertGreaterThan(library.openblas_get_num_threads(), 0)
    }

    /// A library that is not there is a thrown error naming it, not a crash.
    func testMissingLibraryThrows() {
        XCTAssertThrowsError(try LinearAlgebraLibrary(openBLASNames: ["libadaptive-kernels-no-such-blas.so.0"])) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("cannot load OpenBLAS"), text)
            XCTAssertTrue(text.contains("libadaptive-kernels-no-such-blas.so.0"), text)
        }
        XCTAssertThrowsError(try LinearAlgebraLibrary(lapackeNames: ["libadaptive-kernels-no-such-lapacke.so.3"])) { error in
            XCTAssertTrue(String(describing: error).contains("cannot load LAPACKE"))
        }
    }
}
