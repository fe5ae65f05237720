import Foundation
import CLAPACKE

/// The spectrum of a symmetric n x n matrix A as seen from one vector y: the eigenvalues lambda_k,
/// the coordinates y_k = u_k . y (weights y_k^2) and the resolvents (s A + b I)^{-1} y and
/// A (s A + b I)^{-1} y, without any eigenvector (notes/general-kernel-reduction.md (G4''')).
///
/// 1. One Householder reflector R = I − tau h h^T with R y = sigma |y| e_1 (sigma = ±1), applied
///    as the rank-two update A' = R A R = A − h w^T − w h^T (cblas_dsymv + cblas_dsyr2, O(n^2)).
/// 2. A' = Q T Q^T by LAPACKE_dsytrd with UPLO = 'L': Q = H(1) ... H(n−1) with every H(i) =
///    I − tau_i v_i v_i^T, v_i(1:i) = 0, so Q e_1 = e_1 (exactly: dormtr never touches row 1).
/// 3. Hence A = (R Q) T (R Q)^T and (R Q)^T y = sigma |y| e_1: for every function g,
///    y^T g(A) y = |y|^2 e_1^T g(T) e_1, the eigenvalues of A are those of T, and
///    y_k = sigma |y| z_k(1) with z_k(1) the first components of T's eigenvectors, which
///    `TridiagonalQL` gives in O(n^2) by rotating one row vector (Golub-Welsch).
///    QL/QR is accurate to O(n eps |T|) absolutely; an eigenvalue lambda_k of T with
///    t lambda_k ~ b would carry a relative error n eps |T| / lambda_k into the spectral sums, and
///    they would no longer match the solves below (which see T exactly). So the eigenvalues below
///    1e-4 |T| (extended up to a relative gap of 1e-6) and their first components are taken from
///    LAPACKE_dstemr with RANGE = 'I' on the same T (relatively accurate, O(n) per vector).
/// 4. g(A) y = sigma |y| R Q g(T) e_1: for the resolvents one tridiagonal solve
///    (s T + b I) x = e_1 (LAPACKE_dgtsv, partial pivoting, O(n)), times T for A (sA + bI)^{-1} y,
///    then one dormtr and one reflector on that vector, O(n^2).
///
/// Cost: dsytrd (4n^3/3) plus O(n^2); no tridiagonal eigenvectors (dstemr) and no back-transform.
/// Backward stable like the dense route: the computed lambda, weights and resolvents are exact
/// (to O(n eps) relative in the weights) for A + delta A, |delta A| = O(n eps |A|).
///
/// Two-stage reduction (eq. G23; the default from `Reduction.twoStageMinimumOrder` on): step 2
/// becomes A' = Q1 B Q1^T (dsytrd_sy2sb: band B with kd subdiagonals, Q1 = H(1) ... H(n − kd) with
/// H(j) acting on rows j + kd ... n, blocked level-3 updates) and B = Q2 T Q2^T (dsytrd_sb2st, bulge
/// chasing, O(n^2 kd)); Q1 e_1 = Q2 e_1 = e_1, so T and the first components are those of step 3.
/// dsytrd_sb2st keeps no reflectors (LAPACK stores only its last two sweeps), so the resolvents
/// of step 4 are solved with B instead of T: (s B + b I) x = e_1 by banded LU with partial
/// pivoting (LAPACKE_dgbsv, O(n kd^2)), times B (cblas_dsbmv), then Q1 (unblocked dormqr on one
/// column) and R. The tridiagonal eigenvectors (`eigenbasis`, `denseEigenvectors`) need Q2 and
/// are only available from the one-stage reduction.
public struct FirstComponentSpectrum: Sendable {
    /// How A' = R A R is brought to tridiagonal form.
    public enum Reduction: Sendable, Equatable {
        /// dsytrd: Q = H(1) ... H(n − 1), half of its flops in matrix-vector products (dsymv).
        case oneStage
        /// dsytrd_sy2sb to a band of `bandwidth` subdiagonals, then dsytrd_sb2st (eq. G23).
        case twoStage(bandwidth: Int)

        /// The band width of the two-stage reduction: LAPACK's own choice on one thread
        /// (ILAENV2STAGE gives 32 for DSYTRD_2STAGE at every order).
        public static let bandwidth = 32
        /// From this order on the two-stage reduction is the default (BENCHMARKS.md, kernels).
        public static let twoStageMinimumOrder = 1000

        /// The default for order n.
        public static func automatic(_ n: Int) -> Reduction {
            n >= twoStageMinimumOrder ? .twoStage(bandwidth: bandwidth) : .oneStage
        }
    }

    /// The dense tridiagonal eigenvectors were asked of a two-stage reduction, whose second-stage
    /// reflectors LAPACK does not keep.
    public struct SecondStageNotStored: Error, CustomStringConvertible {
        public var description: String { "the tridiagonal eigenvectors need the one-stage reduction (dsytrd_sb2st keeps no reflectors)" }
    }

    public let n: Int
    public let reduction: Reduction
    /// Ascending.
    public let eigenvalues: [Double]
    /// y_k = u_k . y in the order of `eigenvalues` (sign fixed by the QL rotations).
    public let coordinates: [Double]
    /// Total QL sweeps used (at most `TridiagonalQL.sweepLimit(n)`).
    public let sweeps: Int
    /// T: diagonal and sub-diagonal (n − 1 entries used).
    let diagonal: [Double]
    let offDiagonal: [Double]
    /// dsytrd's output (column-major, lower) and its tau; for the two-stage reduction
    /// dsytrd_sy2sb's (the reflectors of Q1 below the kd-th subdiagonal, n − kd of them).
    let reflectors: [Double]
    let tau: [Double]
    /// Two-stage only: B in LAPACK's lower band storage, column-major (kd + 1) x n,
    /// band[(i − j) + j (kd + 1)] = B(i, j) for j <= i <= min(n − 1, j + kd); kd = 0 and empty otherwise.
    let band: [Double]
    let bandwidth: Int
    /// R = I − reflectorTau h h^T (h = 0, tau = 0 when y = 0).
    let h: [Double]
    let reflectorTau: Double
    /// sigma |y|: (R Q)^T y = signedNorm e_1.
    let signedNorm: Double
    /// How many of the smallest eigenvalues (and first components) came from dstemr, and their
    /// tridiagonal eigenvectors (column-major n x smallCount).
    public let smallCount: Int
    let smallVectors: [Double]

    /// Eigenvalues below this fraction of |T|_2 are recomputed by dstemr (relative accuracy).
    public static let smallEigenvalues = 1e-4

    /// Throws `TridiagonalQL.Failure` (non-finite input, no convergence within 30 n sweeps) and
    /// `LAPACKFailure` when dsytrd reports an error. `matrix` is row-major and symmetric; its
    /// upper triangle (the column-major lower triangle) is read.
    ///
    /// `reduction` defaults to `Reduction.automatic(n)`; a two-stage reduction needs n > 2 kd
    /// (smaller orders fall back to the one-stage one).
    public init(symmetric matrix: [Double], n: Int, vector y: [Double], maximumSweeps: Int? = nil,
                reduction requested: Reduction? = nil) throws {
        precondition(n > 0 && matrix.count == n * n && y.count == n, "shape mismatch in FirstComponentSpectrum")
        self.n = n
        var reduction = requested ?? Reduction.automatic(n)
        if case .twoStage(let kd) = reduction {
            precondition(kd >= 1, "the band of the two-stage reduction needs kd >= 1")
            if n <= 2 * kd { reduction = .oneStage }
        }
        self.reduction = reduction
        let n32 = Int32(n)
        var a = matrix
        // 1. R y = sigma |y| e_1 on the unit vector yhat = y/|y|: sigma = −sign(yhat_1) (no
        //    cancellation in h_1 = yhat_1 − sigma), |h|^2 = 2 (1 + |yhat_1|), tau = 2/|h|^2.
        let norm = LinearAlgebraLibrary.shared.cblas_dnrm2(n32, y, 1)
        var h = [Double](repeating: 0, count: n)
        var reflectorTau = 0.0, sigma = 1.0
        if norm > 0 && norm.isFinite {
            for i in 0..<n { h[i] = y[i] / norm }
            sigma = h[0] >= 0 ? -1 : 1
            h[0] -= sigma
            reflectorTau = 1 / (1 + abs(y[0] / norm))
            // A' = A − h w^T − w h^T, p = tau A h, w = p − (tau/2)(h . p) h (lower triangle only).
            var p = [Double](repeating: 0, count: n)
            LinearAlgebraLibrary.shared.cblas_dsymv(CblasColMajor, CblasLower, n32, reflectorTau, a, n32, h, 1, 0, &p, 1)
            let alpha = -0.5 * reflectorTau * LinearAlgebraLibrary.shared.cblas_ddot(n32, h, 1, p, 1)
            LinearAlgebraLibrary.shared.cblas_daxpy(n32, alpha, h, 1, &p, 1)
            LinearAlgebraLibrary.shared.cblas_dsyr2(CblasColMajor, CblasLower, n32, -1, h, 1, p, 1, &a, n32)
        } else {
            sigma = 0
        }
        // 2. A' = Q T Q^T, Q e_1 = e_1 (two-stage: Q = Q1 Q2, eq. G23).
        var d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        var tau: [Double], band: [Double] = [], bandwidth = 0
        switch reduction {
        case .oneStage:
            tau = [Double](repeating: 0, count: max(1, n - 1))
            let info = LinearAlgebraLibrary.shared.LAPACKE_dsytrd(LAPACK_COL_MAJOR, 76 /* 'L' */, n32, &a, n32, &d, &e, &tau)
            guard info == 0 else { throw LAPACKFailure(routine: "dsytrd", info: Int(info)) }
        case .twoStage(let kd):
            (tau, band) = try FirstComponentSpectrum.twoStage(&a, n: n, kd: kd, d: &d, e: &e)
            bandwidth = kd
        }
        // 3. Eigenvalues and first components of T's eigenvectors.
        let spectrum = try TridiagonalQL.eigen(diagonal: d, offDiagonal: e, rows: 1, maximumSweeps: maximumSweeps)
        var values = spectrum.eigenvalues, first = spectrum.rows
        // 3'. The eigenvalues below `smallEigenvalues` |T| (up to a gap) and their first components
        //     again by dstemr, relatively accurate (eq. G4''' "Small eigenvalues").
        let top = max(abs(values[0]), abs(values[n - 1]))
        var count = values.firstIndex { $0 >= FirstComponentSpectrum.smallEigenvalues * top } ?? n
        while count > 0 && count < n && values[count] - values[count - 1] <= 1e-6 * top { count += 1 }
        var small: [Double] = []
        if count > 0 {
            var dCopy = d, eCopy = e, w = [Double](repeating: 0, count: n)
            var z = [Double](repeating: 0, count: n * count), support = [Int32](repeating: 0, count: 2 * count)
            var found: Int32 = 0, tryRelative: Int32 = 1
            let info = LinearAlgebraLibrary.shared.LAPACKE_dstemr(LAPACK_COL_MAJOR, 86 /* 'V' */, 73 /* 'I' */, n32, &dCopy, &eCopy, 0, 0, 1, Int32(count),
                                      &found, &w, &z, n32, Int32(count), &support, &tryRelative)
            if info == 0 && Int(found) == count {
                for k in 0..<count { values[k] = w[k]; first[k] = z[k * n] }
                small = z
            } else {
                count = 0   // dstemr failed: keep the QL values (normwise accurate, eq. G4''')
            }
        }
        eigenvalues = values
        let scale = sigma * norm
        coordinates = first.map { scale * $0 }
        sweeps = spectrum.sweeps
        smallCount = count
        smallVectors = small
        diagonal = d
        offDiagonal = e
        reflectors = a
        self.tau = tau
        self.band = band
        self.bandwidth = bandwidth
        self.h = h
        self.reflectorTau = reflectorTau
        signedNorm = scale
    }

    /// Eq. G23: A (column-major, lower, n x n, n > 2 kd) = Q1 B Q1^T by dsytrd_sy2sb (A keeps
    /// Q1's reflectors; returned: their tau and B in lower band storage), then B = Q2 T Q2^T by
    /// dsytrd_sb2st (d, e: T's diagonal and subdiagonal; B is read, not overwritten).
    static func twoStage(_ a: inout [Double], n: Int, kd: Int, d: inout [Double], e: inout [Double]) throws -> (tau: [Double], band: [Double]) {
        let library = LinearAlgebraLibrary.shared
        var n32 = Int32(n), kd32 = Int32(kd), ldab = Int32(kd + 1), info: Int32 = 0, query: Int32 = -1
        var lower: CChar = 76 /* 'L' */, no: CChar = 78 /* 'N' */, yes: CChar = 89 /* 'Y' */
        var band = [Double](repeating: 0, count: (kd + 1) * n)
        var tau = [Double](repeating: 0, count: n - kd)
        var size = 0.0
        library.dsytrd_sy2sb(&lower, &n32, &kd32, &a, &n32, &band, &ldab, &tau, &size, &query, &info, 1)
        guard info == 0 else { throw LAPACKFailure(routine: "dsytrd_sy2sb", info: Int(info)) }
        var lwork = Int32(max(1, Int(size)))
        var work = [Double](repeating: 0, count: Int(lwork))
        library.dsytrd_sy2sb(&lower, &n32, &kd32, &a, &n32, &band, &ldab, &tau, &work, &lwork, &info, 1)
        guard info == 0 else { throw LAPACKFailure(routine: "dsytrd_sy2sb", info: Int(info)) }
        var houseSize = 0.0, queryLH: Int32 = -1
        library.dsytrd_sb2st(&yes, &no, &lower, &n32, &kd32, &band, &ldab, &d, &e, &houseSize, &queryLH, &size, &query, &info, 1, 1, 1)
        guard info == 0 else { throw LAPACKFailure(routine: "dsytrd_sb2st", info: Int(info)) }
        var lhous = Int32(max(1, Int(houseSize)))
        lwork = Int32(max(1, Int(size)))
        var house = [Double](repeating: 0, count: Int(lhous))
        if work.count < Int(lwork) { work = [Double](repeating: 0, count: Int(lwork)) }
        // dsytrd_sb2st copies B into its workspace and reduces the copy: `band` stays B.
        library.dsytrd_sb2st(&yes, &no, &lower, &n32, &kd32, &band, &ldab, &d, &e, &house, &lhous, &work, &lwork, &info, 1, 1, 1)
        guard info == 0 else { throw LAPACKFailure(routine: "dsytrd_sb2st", info: Int(info)) }
        return (tau, band)
    }

    /// x − tau h (h . x): the reflector R = I − tau h h^T (its own inverse) applied to x.
    static func reflect(_ x: inout [Double], _ h: [Double], _ tau: Double) {
        guard tau != 0 else { return }
        let n32 = Int32(x.count)
        let dot = LinearAlgebraLibrary.shared.cblas_ddot(n32, h, 1, x, 1)
        LinearAlgebraLibrary.shared.cblas_daxpy(n32, -tau * dot, h, 1, &x, 1)
    }

    /// R applied to every column of a column-major n x n matrix.
    static func reflectColumns(_ z: inout [Double], n: Int, _ h: [Double], _ tau: Double) {
        guard tau != 0 else { return }
        // Z − tau h (h^T Z): one dgemv and one dger.
        var row = [Double](repeating: 0, count: n)
        let n32 = Int32(n)
        LinearAlgebraLibrary.shared.cblas_dgemv(CblasColMajor, CblasTrans, n32, n32, 1, z, n32, h, 1, 0, &row, 1)
        LinearAlgebraLibrary.shared.cblas_dger(CblasColMajor, n32, n32, -tau, h, 1, row, 1, &z, n32)
    }

    /// (R Q) x in place: dormtr ('L', 'L', 'N') on one column, then R. Two-stage: Q1 only (x is
    /// already in B's frame, eq. G23), dormqr on rows kd + 1 ... n with the minimal workspace
    /// (LAPACK's unblocked dorm2r: one vector needs no block reflectors).
    func applyRQ(_ x: inout [Double]) {
        if bandwidth > 0 {
            let n32 = Int32(n), m = Int32(n - bandwidth), offset = bandwidth
            var work = [Double](repeating: 0, count: 1)
            let info = reflectors.withUnsafeBufferPointer { pa in
                tau.withUnsafeBufferPointer { pt in
                    x.withUnsafeMutableBufferPointer { px -> Int32 in
                        LinearAlgebraLibrary.shared.LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 76 /* 'L' */, 78 /* 'N' */, m, 1, m, pa.baseAddress! + offset, n32,
                                                                        pt.baseAddress, px.baseAddress! + offset, n32, &work, 1)
                    }
                }
            }
            precondition(info == 0, "LAPACKE_dormqr failed (\(info)) on valid arguments")
        } else if n > 1 {
            let n32 = Int32(n)
            let info = reflectors.withUnsafeBufferPointer { pa in
                tau.withUnsafeBufferPointer { pt in
                    x.withUnsafeMutableBufferPointer { px -> Int32 in
                        var query = 0.0
                        _ = LinearAlgebraLibrary.shared.LAPACKE_dormtr_work(LAPACK_COL_MAJOR, 76, 76, 78 /* 'N' */, n32, 1, pa.baseAddress, n32,
                                                pt.baseAddress, px.baseAddress, n32, &query, -1)
                        var work = [Double](repeating: 0, count: max(1, Int(query)))
                        return LinearAlgebraLibrary.shared.LAPACKE_dormtr_work(LAPACK_COL_MAJOR, 76, 76, 78, n32, 1, pa.baseAddress, n32,
                                                   pt.baseAddress, px.baseAddress, n32, &work, Int32(work.count))
                    }
                }
            }
            precondition(info == 0, "LAPACKE_dormtr failed (\(info)) on valid arguments")
        }
        FirstComponentSpectrum.reflect(&x, h, reflectorTau)
    }

    /// (s A + b I)^{-1} y, or A (s A + b I)^{-1} y when `timesMatrix`: sigma |y| R Q x with
    /// (s T + b I) x = e_1 (LAPACKE_dgtsv), times T in the second case. nil when s T + b I is
    /// exactly singular to working precision (dgtsv reports a zero pivot).
    public func resolvent(scale s: Double, shift b: Double, timesMatrix: Bool = false) -> [Double]? {
        if bandwidth > 0 { return bandResolvent(scale: s, shift: b, timesMatrix: timesMatrix) }
        var lower = [Double](repeating: 0, count: max(0, n - 1)), upper = lower
        var main = [Double](repeating: 0, count: n)
        for i in 0..<n { main[i] = s * diagonal[i] + b }
        for i in 0..<(n - 1) { lower[i] = s * offDiagonal[i]; upper[i] = lower[i] }
        var x = [Double](repeating: 0, count: n)
        x[0] = 1
        let info = LinearAlgebraLibrary.shared.LAPACKE_dgtsv(LAPACK_COL_MAJOR, Int32(n), 1, &lower, &main, &upper, &x, Int32(n))
        guard info == 0 else { return nil }
        if timesMatrix {
            var tx = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var sum = diagonal[i] * x[i]
                if i > 0 { sum += offDiagonal[i - 1] * x[i - 1] }
                if i < n - 1 { sum += offDiagonal[i] * x[i + 1] }
                tx[i] = sum
            }
            x = tx
        }
        applyRQ(&x)
        for i in 0..<n { x[i] *= signedNorm }
        return x
    }

    /// `resolvent` after the two-stage reduction (eq. G23): sigma |y| R Q1 x with
    /// (s B + b I) x = e_1 by LAPACKE_dgbsv (band LU, partial pivoting), times B (cblas_dsbmv) for
    /// A (s A + b I)^{-1} y. nil when dgbsv reports an exactly zero pivot.
    func bandResolvent(scale s: Double, shift b: Double, timesMatrix: Bool) -> [Double]? {
        let kd = bandwidth, rows = 3 * kd + 1
        // dgbsv's storage with kl = ku = kd and kd more rows for the fill-in:
        // column j holds (s B + b I)(i, j) in row 2 kd + i − j.
        var lu = [Double](repeating: 0, count: rows * n)
        for j in 0..<n {
            for i in j...min(n - 1, j + kd) {
                let value = s * band[(i - j) + j * (kd + 1)] + (i == j ? b : 0)
                lu[(2 * kd + i - j) + j * rows] = value
                lu[(2 * kd + j - i) + i * rows] = value
            }
        }
        var x = [Double](repeating: 0, count: n)
        x[0] = 1
        var pivots = [Int32](repeating: 0, count: n)
        let n32 = Int32(n), kd32 = Int32(kd)
        let info = LinearAlgebraLibrary.shared.LAPACKE_dgbsv(LAPACK_COL_MAJOR, n32, kd32, kd32, 1, &lu, Int32(rows), &pivots, &x, n32)
        guard info == 0 else { return nil }
        if timesMatrix {
            var bx = [Double](repeating: 0, count: n)
            LinearAlgebraLibrary.shared.cblas_dsbmv(CblasColMajor, CblasLower, n32, kd32, 1, band, kd32 + 1, x, 1, 0, &bx, 1)
            x = bx
        }
        applyRQ(&x)
        for i in 0..<n { x[i] *= signedNorm }
        return x
    }

    /// The tridiagonal eigenvectors of the same reduction (dstemr, dstedc on failure), for callers
    /// that need functions of A other than resolvents: U = R Q Z. nil if both LAPACK routines fail,
    /// and for the two-stage reduction (Q2 is not stored: reduce again with `.oneStage`).
    public func eigenbasis() -> TridiagonalEigenbasis? {
        guard bandwidth == 0 else { return nil }
        return TridiagonalEigenbasis(reflectors: reflectors, tau: tau, diagonal: diagonal, offDiagonal: offDiagonal, n: n,
                              leadingReflector: (h, reflectorTau))
    }

    /// The dense U = R Q Z (row-major, eigenvectors as columns), O(n^3), with Z from the same QL
    /// iteration run on all rows (its first row computed by the same operations in the same
    /// order) and dstemr's columns for the smallest eigenvalues: consistent with `coordinates`.
    /// For tests.
    /// Throws `SecondStageNotStored` for the two-stage reduction.
    public func denseEigenvectors() throws -> [Double] {
        guard bandwidth == 0 else { throw SecondStageNotStored() }
        let full = try TridiagonalQL.eigen(diagonal: diagonal, offDiagonal: offDiagonal, rows: n)
        // Column-major Z: column k = eigenvector k = (row-major rows)[i * n + k] for i; the
        // smallest `smallCount` columns are dstemr's, as in `coordinates`.
        var z = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in smallCount..<n { z[k * n + i] = full.rows[i * n + k] } }
        for k in 0..<(smallCount * n) { z[k] = smallVectors[k] }
        if n > 1 {
            let n32 = Int32(n)
            let info = LinearAlgebraLibrary.shared.LAPACKE_dormtr(LAPACK_COL_MAJOR, 76, 76, 78, n32, n32, reflectors, n32, tau, &z, n32)
            precondition(info == 0, "LAPACKE_dormtr failed (\(info)) on valid arguments")
        }
        FirstComponentSpectrum.reflectColumns(&z, n: n, h, reflectorTau)
        var rowMajor = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for i in 0..<n { rowMajor[i * n + k] = z[k * n + i] } }
        return rowMajor
    }

    /// The eigenvalues of the same T by LAPACK's dsterf (Pal-Walker-Kahan QL/QR, no vectors),
    /// ascending; nil on failure. The independent reference for `eigenvalues` (tests).
    func dsterfEigenvalues() -> [Double]? {
        var d = diagonal, e = offDiagonal
        guard LinearAlgebraLibrary.shared.LAPACKE_dsterf(Int32(n), &d, &e) == 0 else { return nil }
        return d
    }

    /// Q^T e_1 through dormtr (a check that dsytrd's Q fixes e_1; tests). One-stage only.
    func reducedFirstUnitVector() -> [Double] {
        var x = [Double](repeating: 0, count: n)
        x[0] = 1
        guard n > 1 else { return x }
        precondition(bandwidth == 0, "Q2 of the two-stage reduction is not stored")
        let n32 = Int32(n)
        let info = LinearAlgebraLibrary.shared.LAPACKE_dormtr(LAPACK_COL_MAJOR, 76, 76, 84 /* 'T' */, n32, 1, reflectors, n32, tau, &x, n32)
        precondition(info == 0, "LAPACKE_dormtr failed (\(info)) on valid arguments")
        return x
    }
}

/// A LAPACK routine reported an error (info != 0) on arguments that passed validation.
public struct LAPACKFailure: Error, Equatable, CustomStringConvertible {
    public let routine: String
    public let info: Int
    public var description: String { "LAPACK \(routine) failed (info \(info))" }
}
