import CLAPACKE

public extension LinearAlgebra {
    /// C[c0...] = alpha op(A[a0...]) op(B[b0...]) + beta C on row-major sub-blocks that start at the
    /// given element offsets, with explicit row strides (cblas_dgemm). op(A) is m x k, op(B) is k x n.
    /// Used by the time-marching DMFT solvers, whose row blocks are slices of larger causal matrices.
    static func blockProduct(_ a: [Double], aOffset a0: Int = 0, lda: Int, transposeA: Bool = false,
                             _ b: [Double], bOffset b0: Int = 0, ldb: Int, transposeB: Bool = false,
                             m: Int, k: Int, n: Int, alpha: Double = 1, beta: Double = 0,
                             into c: inout [Double], cOffset c0: Int = 0, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[c0 + i * ldc + j] *= beta } }
            return
        }
        let aRows = transposeA ? k : m, aCols = transposeA ? m : k
        let bRows = transposeB ? n : k, bCols = transposeB ? k : n
        precondition(lda >= aCols && ldb >= bCols && ldc >= n, "blockProduct: leading dimension too small")
        precondition(a.count >= a0 + (aRows - 1) * lda + aCols && b.count >= b0 + (bRows - 1) * ldb + bCols
                     && c.count >= c0 + (m - 1) * ldc + n, "blockProduct: operand too small")
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    LinearAlgebraLibrary.shared.cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha, pa.baseAddress! + a0, Int32(lda),
                                pb.baseAddress! + b0, Int32(ldb), beta, pc.baseAddress! + c0, Int32(ldc))
                }
            }
        }
    }
}
