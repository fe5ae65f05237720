import CLAPACKE

/// Linear solves and small kernels over LAPACKE/CBLAS (row-major [Double], explicit shapes).
extension LinearAlgebra {
    /// X with A X = B for a symmetric positive definite n x n A and n x m B (LAPACKE_dposv,
    /// Cholesky); nil when A is not numerically positive definite.
    public static func solvePositiveDefinite(_ a: [Double], _ b: [Double], n: Int, rightHandSides m: Int) -> [Double]? {
        precondition(a.count == n * n && b.count == n * m, "shape mismatch in solvePositiveDefinite")
        if n == 0 { return b }
        var factor = a
        var x = b
        let info = factor.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { px in
                LinearAlgebraLibrary.shared.LAPACKE_dposv(LAPACK_ROW_MAJOR, 85 /* 'U' */, Int32(n), Int32(m), pa.baseAddress, Int32(n), px.baseAddress, Int32(m))
            }
        }
        return info == 0 ? x : nil
    }

    /// X with A X = B for a general n x n A (LAPACKE_dgesv, LU with partial pivoting); nil when
    /// A is exactly singular.
    public static func solveGeneral(_ a: [Double], _ b: [Double], n: Int, rightHandSides m: Int) -> [Double]? {
        precondition(a.count == n * n && b.count == n * m, "shape mismatch in solveGeneral")
        if n == 0 { return b }
        var factor = a
        var x = b
        var pivots = [Int32](repeating: 0, count: n)
        let info = factor.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { px in
                pivots.withUnsafeMutableBufferPointer { pp in
                    LinearAlgebraLibrary.shared.LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(m), pa.baseAddress, Int32(n), pp.baseAddress, px.baseAddress, Int32(m))
                }
            }
        }
        return info == 0 ? x : nil
    }

    /// Least-squares solution of min |A x - b| for a tall m x n A of full column rank
    /// (LAPACKE_dgels); nil on failure.
    public static func leastSquares(_ a: [Double], _ b: [Double], rows m: Int, columns n: Int) -> [Double]? {
        precondition(a.count == m * n && b.count == m && m >= n, "shape mismatch in leastSquares")
        var factor = a
        var x = b
        let info = factor.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { px in
                LinearAlgebraLibrary.shared.LAPACKE_dgels(LAPACK_ROW_MAJOR, 78 /* 'N' */, Int32(m), Int32(n), 1, pa.baseAddress, Int32(n), px.baseAddress, 1)
            }
        }
        return info == 0 ? Array(x.prefix(n)) : nil
    }

    /// y = A x for A (m x n), via cblas_dgemv.
    public static func multiply(_ a: [Double], vector x: [Double], m: Int, n: Int) -> [Double] {
        precondition(a.count == m * n && x.count == n, "shape mismatch in matrix-vector multiply")
        var y = [Double](repeating: 0, count: m)
        if m == 0 || n == 0 { return y }
        a.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    LinearAlgebraLibrary.shared.cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1.0, pa.baseAddress, Int32(n), px.baseAddress, 1, 0.0, py.baseAddress, 1)
                }
            }
        }
        return y
    }

    /// A += alpha x y^T in place for A (m x n), via cblas_dger.
    public static func addOuterProduct(_ a: inout [Double], _ alpha: Double, _ x: [Double], _ y: [Double], m: Int, n: Int) {
        precondition(a.count == m * n && x.count == m && y.count == n, "shape mismatch in addOuterProduct")
        if m == 0 || n == 0 || alpha == 0 { return }
        a.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    LinearAlgebraLibrary.shared.cblas_dger(CblasRowMajor, Int32(m), Int32(n), alpha, px.baseAddress, 1, py.baseAddress, 1, pa.baseAddress, Int32(n))
                }
            }
        }
    }

    /// A B^T for A (m x k), B (n x k), via cblas_dgemm (Gram matrices X X^T).
    public static func multiplyTransposed(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        product(a, b, m: m, k: k, n: n, transposed: true, name: "multiplyTransposed")
    }

    /// x . y (plain loop; vectors here are short or the call is not hot).
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "shape mismatch in dot")
        var sum = 0.0
        for i in x.indices { sum += x[i] * y[i] }
        return sum
    }
}

extension LinearAlgebra {
    /// Thin SVD of an m x n matrix A = U diag(s) V^T (LAPACKE_dgesdd, jobz 'S'): the k = min(m, n)
    /// singular values in descending order and U (m x k, row-major); nil if LAPACK reports failure.
    public static func thinSVD(_ a: [Double], m: Int, n: Int) -> (values: [Double], left: [Double])? {
        precondition(a.count == m * n, "shape mismatch in thinSVD")
        let k = min(m, n)
        var copy = a
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        let info = copy.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                u.withUnsafeMutableBufferPointer { pu in
                    vt.withUnsafeMutableBufferPointer { pv in
                        LinearAlgebraLibrary.shared.LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 83 /* 'S' */, Int32(m), Int32(n), pa.baseAddress, Int32(n),
                                       ps.baseAddress, pu.baseAddress, Int32(k), pv.baseAddress, Int32(n))
                    }
                }
            }
        }
        return info == 0 ? (s, u) : nil
    }
}
