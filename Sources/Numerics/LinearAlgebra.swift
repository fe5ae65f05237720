import CLAPACKE

/// Thin, checked access to the optimized BLAS/LAPACK underneath (OpenBLAS via LAPACKE/CBLAS).
/// Matrices are row-major [Double] with explicit shapes.
public enum LinearAlgebra {
    /// C = A B for A (m x k), B (k x n), via cblas_dgemm.
    public static func multiply(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        precondition(a.count == m * k && b.count == k * n, "shape mismatch in multiply")
        var c = [Double](repeating: 0, count: m * n)
        if m == 0 || n == 0 || k == 0 { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    LinearAlgebraLibrary.shared.cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                                1.0, pa.baseAddress, Int32(k), pb.baseAddress, Int32(n), 0.0, pc.baseAddress, Int32(n))
                }
            }
        }
        return c
    }

    /// Eigen-decomposition of a symmetric n x n matrix (LAPACKE_dsyevd): ascending eigenvalues and
    /// row-major eigenvectors as columns; nil if LAPACK reports failure.
    public static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
        precondition(matrix.count == n * n, "shape mismatch in symmetricEigen")
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            w.withUnsafeMutableBufferPointer { pw in
                LinearAlgebraLibrary.shared.LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 86 /* 'V' */, 85 /* 'U' */, Int32(n), pa.baseAddress, Int32(n), pw.baseAddress)
            }
        }
        return info == 0 ? (w, a) : nil
    }
}
