import CLAPACKE

/// General matrix product with transposes and accumulation, for the gradient-flow verifier
/// (the gradient-flow verifier): C = alpha op(A) op(B) + beta C on row-major buffers. op(A) is m x k, op(B) is k x n.
/// `a` and `b` may hold more rows than used (leading rows only), which lets callers take the
/// training rows of a train+test field matrix without copying.
public extension LinearAlgebra {
    static func flowProduct(_ a: [Double], transposeA: Bool, _ b: [Double], transposeB: Bool,
                            m: Int, k: Int, n: Int, alpha: Double = 1, beta: Double = 0, into c: inout [Double]) {
        precondition(c.count >= m * n, "flowProduct: output too small")
        precondition(a.count >= m * k && b.count >= k * n, "flowProduct: operand too small")
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<(m * n) { c[i] *= beta }
            return
        }
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    LinearAlgebraLibrary.shared.cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha, pa.baseAddress, Int32(lda),
                                pb.baseAddress, Int32(ldb), beta, pc.baseAddress, Int32(n))
                }
            }
        }
    }
}

public extension LinearAlgebra {
    /// C = alpha op(A) op(B) + beta C on row-major sub-blocks with explicit leading dimensions
    /// (lda, ldb, ldc = row strides of the stored matrices), so a leading block of a larger matrix
    /// is used in place (cblas_dgemm).
    static func flowProduct(_ a: [Double], lda: Int, _ b: [Double], ldb: Int, m: Int, k: Int, n: Int,
                            alpha: Double = 1, beta: Double = 0, into c: inout [Double], ldc: Int) {
        precondition(lda >= k && ldb >= n && ldc >= n, "flowProduct: leading dimension too small")
        precondition(a.count >= (m - 1) * lda + k && b.count >= (k - 1) * ldb + n && c.count >= (m - 1) * ldc + n,
                     "flowProduct: operand too small")
        if m == 0 || n == 0 || k == 0 { return }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    LinearAlgebraLibrary.shared.cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(lda), pb.baseAddress, Int32(ldb), beta, pc.baseAddress, Int32(ldc))
                }
            }
        }
    }
}

public extension LinearAlgebra {
    /// Inverse of a row-major lower-triangular n x n matrix with unit diagonal (LAPACKE_dtrtri);
    /// the strictly upper part of the input is ignored and returned as zero. nil on failure.
    static func flowUnitLowerInverse(_ matrix: [Double], n: Int) -> [Double]? {
        var a = matrix
        for i in 0..<n { for j in i..<n { a[i * n + j] = i == j ? 1 : 0 } }
        let info = a.withUnsafeMutableBufferPointer { pa in
            LinearAlgebraLibrary.shared.LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 76 /* 'L' */, 85 /* 'U' unit */, Int32(n), pa.baseAddress, Int32(n))
        }
        guard info == 0 else { return nil }
        for i in 0..<n { for j in (i + 1)..<n { a[i * n + j] = 0 } }
        return a
    }
}
