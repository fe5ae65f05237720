import CLAPACKE

/// Symmetric positive-definite helpers over LAPACK (dpotrf / dpotri / dposv). Row-major n x n.
public extension LinearAlgebra {
    /// Lower Cholesky factor L with A = L L^T (upper triangle zeroed); nil if A is not positive definite.
    static func cholesky(_ matrix: [Double], n: Int) -> [Double]? {
        precondition(matrix.count == n * n, "shape mismatch in cholesky")
        var a = matrix
        let info = a.withUnsafeMutableBufferPointer { pa in
            LinearAlgebraLibrary.shared.LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 76 /* 'L' */, Int32(n), pa.baseAddress, Int32(n))
        }
        guard info == 0 else { return nil }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[i * n + j] = 0 } }
        return a
    }

    /// Inverse of a symmetric positive-definite matrix (full, symmetric); nil if not positive definite.
    static func inverseSPD(_ matrix: [Double], n: Int) -> [Double]? {
        guard var a = cholesky(matrix, n: n) else { return nil }
        let info = a.withUnsafeMutableBufferPointer { pa in
            LinearAlgebraLibrary.shared.LAPACKE_dpotri(LAPACK_ROW_MAJOR, 76 /* 'L' */, Int32(n), pa.baseAddress, Int32(n))
        }
        guard info == 0 else { return nil }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[i * n + j] = a[j * n + i] } }
        return a
    }

    /// Solves A X = B for symmetric positive-definite A (n x n) and B (n x nrhs); nil if A is not PD.
    static func solveSPD(_ matrix: [Double], _ rhs: [Double], n: Int, nrhs: Int = 1) -> [Double]? {
        precondition(matrix.count == n * n && rhs.count == n * nrhs, "shape mismatch in solveSPD")
        var a = matrix
        var b = rhs
        let info = a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                LinearAlgebraLibrary.shared.LAPACKE_dposv(LAPACK_ROW_MAJOR, 76 /* 'L' */, Int32(n), Int32(nrhs), pa.baseAddress, Int32(n),
                              pb.baseAddress, Int32(nrhs))
            }
        }
        return info == 0 ? b : nil
    }

    /// Solves a general square system A X = B (dgesv); nil if A is singular.
    static func solve(_ matrix: [Double], _ rhs: [Double], n: Int, nrhs: Int = 1) -> [Double]? {
        precondition(matrix.count == n * n && rhs.count == n * nrhs, "shape mismatch in solve")
        var a = matrix
        var b = rhs
        var pivots = [Int32](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                pivots.withUnsafeMutableBufferPointer { pp in
                    LinearAlgebraLibrary.shared.LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), pa.baseAddress, Int32(n), pp.baseAddress,
                                  pb.baseAddress, Int32(nrhs))
                }
            }
        }
        return info == 0 ? b : nil
    }
}
