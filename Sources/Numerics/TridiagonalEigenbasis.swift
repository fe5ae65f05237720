import CLAPACKE

/// The eigen-decomposition of a symmetric n x n matrix A = U diag(lambda) U^T WITHOUT the dense
/// eigenvector matrix U (notes/general-kernel-reduction.md (G4'')): the Householder reduction
/// A = Q T Q^T to a symmetric tridiagonal T (LAPACKE_dsytrd, Q kept as its n − 1 reflectors) and
/// T = Z diag(lambda) Z^T (LAPACKE_dstemr, multiple relatively robust representations, O(n^2);
/// LAPACKE_dstedc if dstemr reports failure). U = Q Z is only ever applied to vectors:
/// U^T y = Z^T (Q^T y) and U c = Q (Z c), each one LAPACKE_dormtr on one vector plus one
/// cblas_dgemv, O(n^2). dsyevd spends 2 n^3 more flops to back-transform all of Z by Q, which
/// functions f(A) y never need.
public struct TridiagonalEigenbasis: Sendable {
    public let n: Int
    /// Ascending.
    public let eigenvalues: [Double]
    /// dsytrd's output (column-major, lower): the reflectors below the subdiagonal.
    let reflectors: [Double]
    let tau: [Double]
    /// Z, column-major n x n: column k is the tridiagonal eigenvector of eigenvalues[k].
    let tridiagonalVectors: [Double]
    /// "dstemr" or "dstedc": the tridiagonal eigensolver that produced Z.
    public let tridiagonalSolver: String

    /// The Householder reflector R = I − tau h h^T applied before the reduction, when the
    /// factors come from `FirstComponentSpectrum` (A = R Q T Q^T R, U = R Q Z); nil otherwise.
    let leadingReflector: (h: [Double], tau: Double)?

    /// nil when LAPACK reports a failure. `matrix` is row-major; its upper triangle is read
    /// (the column-major lower triangle), as LAPACKE_dsyevd with 'U' reads it.
    public init?(symmetric matrix: [Double], n: Int) {
        precondition(n > 0 && matrix.count == n * n, "shape mismatch in TridiagonalEigenbasis")
        var a = matrix
        var d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        var tau = [Double](repeating: 0, count: max(1, n - 1))
        let n32 = Int32(n)
        let reduced = LinearAlgebraLibrary.shared.LAPACKE_dsytrd(LAPACK_COL_MAJOR, 76 /* 'L' */, n32, &a, n32, &d, &e, &tau)
        guard reduced == 0 else { return nil }
        self.init(reflectors: a, tau: tau, diagonal: d, offDiagonal: e, n: n, leadingReflector: nil)
    }

    /// Z of an existing reduction A = R Q T Q^T R (R = I when `leadingReflector` is nil): dstemr
    /// on T, dstedc if dstemr reports failure; nil if both fail.
    init?(reflectors: [Double], tau: [Double], diagonal d: [Double], offDiagonal e: [Double], n: Int,
          leadingReflector: (h: [Double], tau: Double)?) {
        self.n = n
        let n32 = Int32(n)
        var w = [Double](repeating: 0, count: n), z = [Double](repeating: 0, count: n * n)
        var found: Int32 = 0, tryRelative: Int32 = 1
        var support = [Int32](repeating: 0, count: 2 * n)
        var dCopy = d, eCopy = e
        if eCopy.count < n { eCopy += [Double](repeating: 0, count: n - eCopy.count) }
        let info = LinearAlgebraLibrary.shared.LAPACKE_dstemr(LAPACK_COL_MAJOR, 86 /* 'V' */, 65 /* 'A' */, n32, &dCopy, &eCopy, 0, 0, 0, 0,
                                  &found, &w, &z, n32, n32, &support, &tryRelative)
        if info == 0 && Int(found) == n {
            tridiagonalSolver = "dstemr"
        } else {
            // Divide and conquer on T alone (compz 'I': eigenvectors of the tridiagonal matrix).
            dCopy = d; eCopy = e
            if eCopy.count < n { eCopy += [Double](repeating: 0, count: n - eCopy.count) }
            z = [Double](repeating: 0, count: n * n)
            guard LinearAlgebraLibrary.shared.LAPACKE_dstedc(LAPACK_COL_MAJOR, 73 /* 'I' */, n32, &dCopy, &eCopy, &z, n32) == 0 else { return nil }
            w = dCopy
            tridiagonalSolver = "dstedc"
        }
        eigenvalues = w
        self.reflectors = reflectors
        self.tau = tau
        tridiagonalVectors = z
        self.leadingReflector = leadingReflector
    }

    /// Q^T x (transpose) or Q x: LAPACKE_dormtr_work on one column (the plain LAPACKE wrapper would
    /// re-scan the n x n reflector storage for NaNs on every call).
    func applyQ(_ x: inout [Double], transpose: Bool) {
        if transpose, let leading = leadingReflector { FirstComponentSpectrum.reflect(&x, leading.h, leading.tau) }
        defer { if !transpose, let leading = leadingReflector { FirstComponentSpectrum.reflect(&x, leading.h, leading.tau) } }
        guard n > 1 else { return }
        let n32 = Int32(n), trans: CChar = transpose ? 84 /* 'T' */ : 78 /* 'N' */
        let info = reflectors.withUnsafeBufferPointer { pa in
            tau.withUnsafeBufferPointer { pt in
                x.withUnsafeMutableBufferPointer { px -> Int32 in
                    var query = 0.0
                    _ = LinearAlgebraLibrary.shared.LAPACKE_dormtr_work(LAPACK_COL_MAJOR, 76 /* 'L' */, 76 /* 'L' */, trans, n32, 1, pa.baseAddress, n32,
                                            pt.baseAddress, px.baseAddress, n32, &query, -1)
                    var work = [Double](repeating: 0, count: max(1, Int(query)))
                    return LinearAlgebraLibrary.shared.LAPACKE_dormtr_work(LAPACK_COL_MAJOR, 76, 76, trans, n32, 1, pa.baseAddress, n32,
                                               pt.baseAddress, px.baseAddress, n32, &work, Int32(work.count))
                }
            }
        }
        precondition(info == 0, "LAPACKE_dormtr failed (\(info)) on valid arguments")
    }

    /// U^T y: the coordinates of y in the eigenbasis (eigenvalue order).
    public func coordinates(of y: [Double]) -> [Double] {
        precondition(y.count == n, "shape mismatch in TridiagonalEigenbasis.coordinates")
        var u = y
        applyQ(&u, transpose: true)
        var out = [Double](repeating: 0, count: n)
        LinearAlgebraLibrary.shared.cblas_dgemv(CblasColMajor, CblasTrans, Int32(n), Int32(n), 1.0, tridiagonalVectors, Int32(n), u, 1, 0.0, &out, 1)
        return out
    }

    /// U c = sum_k c_k u_k.
    public func combination(_ c: [Double]) -> [Double] {
        precondition(c.count == n, "shape mismatch in TridiagonalEigenbasis.combination")
        var out = [Double](repeating: 0, count: n)
        LinearAlgebraLibrary.shared.cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(n), Int32(n), 1.0, tridiagonalVectors, Int32(n), c, 1, 0.0, &out, 1)
        applyQ(&out, transpose: false)
        return out
    }

    /// The dense U (row-major, eigenvectors as columns), O(n^3): Q applied to every column of Z.
    /// For tests and callers that really need every eigenvector.
    public func denseEigenvectors() -> [Double] {
        var z = tridiagonalVectors
        if n > 1 {
            let n32 = Int32(n)
            let info = LinearAlgebraLibrary.shared.LAPACKE_dormtr(LAPACK_COL_MAJOR, 76, 76, 78, n32, n32, reflectors, n32, tau, &z, n32)
            precondition(info == 0, "LAPACKE_dormtr failed (\(info)) on valid arguments")
        }
        if let leading = leadingReflector {
            FirstComponentSpectrum.reflectColumns(&z, n: n, leading.h, leading.tau)
        }
        var rowMajor = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for i in 0..<n { rowMajor[i * n + k] = z[k * n + i] } }
        return rowMajor
    }
}
