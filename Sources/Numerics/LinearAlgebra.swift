import CLAPACKE

/// Thin, checked access to the optimized BLAS/LAPACK underneath (OpenBLAS via LAPACKE/CBLAS).
/// Matrices are row-major [Double] with explicit shapes.
public enum LinearAlgebra {
    /// C = A B for A (m x k), B (k x n), via cblas_dgemm.
    public static func multiply(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        product(a, b, m: m, k: k, n: n, transposed: false, name: "multiply")
    }

    /// C = A B (B k x n) or A B^T (B n x k, `transposed`) for A (m x k), via cblas_dgemm; `name` for the shape check's message.
    static func product(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, transposed: Bool, name: String) -> [Double] {
        precondition(a.count == m * k && b.count == k * n, "shape mismatch in \(name)")
        var c = [Double](repeating: 0, count: m * n)
        if m == 0 || n == 0 || k == 0 { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, k: k, n: n, transposeB: transposed)
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
