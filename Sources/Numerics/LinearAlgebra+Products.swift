import CLAPACKE

/// In-place BLAS products on raw row-major buffers, for hot loops that must not allocate.
public extension LinearAlgebra {
    /// c (m x n) = op(a) op(b), op(a) m x k, op(b) k x n; a is stored (m x k) or, transposed, (k x m).
    static func gemm(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>,
                     m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false,
                     lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        if m == 0 || n == 0 || k == 0 { return }
        LinearAlgebraLibrary.shared.cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1.0, a, Int32(lda ?? (transposeA ? m : k)), b,
                    Int32(ldb ?? (transposeB ? k : n)), 0.0, c, Int32(ldc ?? n))
    }

    /// c (m x n) = alpha a b + beta c, all row-major and contiguous (a m x k, b k x n).
    static func gemm(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>,
                     m: Int, k: Int, n: Int, alpha: Double, beta: Double) {
        if m == 0 || n == 0 { return }
        LinearAlgebraLibrary.shared.cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(k), b, Int32(n),
                    beta, c, Int32(n))
    }

    /// c (n x n, full symmetric) = a^T a for a (k x n), via dsyrk (half the flops of gemm).
    /// `leading` is the row stride of a (>= n): the first n columns of a wider matrix may be used.
    static func gram(_ a: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>, rows k: Int, columns n: Int, leading: Int? = nil) {
        LinearAlgebraLibrary.shared.cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, Int32(n), Int32(k), 1.0, a, Int32(leading ?? n), 0.0, c, Int32(n))
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { c[i * n + j] = c[j * n + i] } }
    }

    /// c += a^T a on the lower triangle of the n x n row-major c (a: k x n; dsyrk with beta = 1); the strict
    /// upper triangle of c is not touched.
    static func accumulateGram(_ a: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>, rows k: Int, columns n: Int) {
        LinearAlgebraLibrary.shared.cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, Int32(n), Int32(k), 1.0, a, Int32(n), 1.0, c, Int32(n))
    }

    /// b (k x n) = a (k x n) L^T in place, with L lower triangular n x n (dtrmm).
    static func multiplyByLowerTransposed(_ a: UnsafeMutablePointer<Double>, lower: UnsafePointer<Double>, rows k: Int, columns n: Int) {
        LinearAlgebraLibrary.shared.cblas_dtrmm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, Int32(k), Int32(n), 1.0,
                    lower, Int32(n), a, Int32(n))
    }

    /// X X^T / divisor (n x n, full symmetric) for X (n x k, row-major): cblas_dsyrk on one triangle
    /// (half the flops of dgemm), then one blocked pass that divides and mirrors. Each entry is the
    /// dot product rounded once more by the division, as `multiplyTransposed(x, x).map { $0 / divisor }`.
    /// x may hold more rows than n (training rows followed by test rows): only the first n are read.
    static func rowGram(_ x: [Double], rows n: Int, columns k: Int, divisor: Double = 1) -> [Double] {
        precondition(x.count >= n * k, "shape mismatch in rowGram")
        if n == 0 || k == 0 { return [Double](repeating: 0, count: n * n) }
        // No zero fill: dsyrk with beta = 0 sets the upper triangle, the loop below the lower one.
        return [Double](unsafeUninitializedCapacity: n * n) { pc, initialized in
            x.withUnsafeBufferPointer { px in
                // Row-major upper triangle: c[i][j], j >= i.
                LinearAlgebraLibrary.shared.cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), 1.0, px.baseAddress, Int32(k), 0.0, pc.baseAddress, Int32(n))
                // 32 x 32 tiles: a tile and its mirror image (8 KB each) stay in L1 while the
                // mirror image is written column by column.
                let block = 32
                for ib in stride(from: 0, to: n, by: block) {
                    for jb in stride(from: ib, to: n, by: block) {
                        for i in ib..<min(ib + block, n) {
                            for j in max(i, jb)..<min(jb + block, n) {
                                let value = pc[i * n + j] / divisor
                                pc[i * n + j] = value
                                pc[j * n + i] = value
                            }
                        }
                    }
                }
            }
            initialized = n * n
        }
    }
}
