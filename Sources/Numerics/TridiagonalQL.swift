import Foundation

/// Eigenvalues of a symmetric tridiagonal matrix T and selected ROWS of its eigenvector matrix Z
/// (T = Z diag(lambda) Z^T) by the implicit QL iteration with Wilkinson shifts, run as QR (its
/// mirror image) on a block whose last diagonal entry is the smaller one in magnitude, as LAPACK's
/// dsteqr chooses, so that graded blocks (dsytrd's T of a kernel matrix decays down the diagonal)
/// keep their small eigenvalues and weights accurate (notes/general-kernel-reduction.md (G4''')). With `rows = 1` only the first row e_1^T Z is
/// accumulated: the Givens rotations of every sweep are applied to one row vector, O(n) per sweep,
/// O(n^2) in all, which is what Gauss quadrature needs (G. H. Golub and J. H. Welsch,
/// "Calculation of Gauss quadrature rules", Math. Comp. 23 (1969)): the weights of the spectral
/// measure of e_1 are the squared first components z_k(1)^2. `rows = n` gives the whole Z
/// (O(n^3); tests and on-demand dense eigenvectors), its first row computed by exactly the same
/// operations as with `rows = 1`.
///
/// Error bound (the standard backward error analysis of QL/QR with plane rotations): the computed
/// eigenvalues are the exact eigenvalues of T + E with |E|_2 <= c n eps |T|_2 (c a small constant),
/// so |lambda_k − lambda_k(T)| <= c n eps |T|_2 (Weyl), and the computed rows are within O(n eps)
/// of rows of an exactly orthogonal eigenvector matrix of T + E. A block is split where
/// e_m^2 <= eps^2 |d_m| |d_(m+1)| (the relative test of LAPACK's dsteqr), which is below the
/// backward error above. T is first scaled by a power of two (exact) so that its largest entry
/// lies in [1, 2): no overflow or harmful underflow for any finite input.
///
/// Failure modes, never a silently wrong number: a non-finite entry throws `.nonFinite` before
/// any work; if the iteration has not split every block after `30 n` QL/QR sweeps in total (the limit
/// LAPACK's dsteqr uses), it throws `.notConverged`. The Wilkinson shift converges globally, so the
/// second is not expected for finite input.
public enum TridiagonalQL {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case nonFinite
        case notConverged(sweeps: Int)

        public var description: String {
            switch self {
            case .nonFinite: return "the tridiagonal matrix has a non-finite entry"
            case .notConverged(let sweeps): return "the implicit QL iteration did not converge within \(sweeps) sweeps"
            }
        }
    }

    /// The default sweep limit for order n: 30 n (LAPACK dsteqr's MAXIT = 30 per eigenvalue).
    public static func sweepLimit(_ n: Int) -> Int { 30 * max(n, 1) }

    /// - Parameters:
    ///   - diagonal: d_0 ... d_(n−1).
    ///   - offDiagonal: e_0 ... e_(n−2) (T[i, i+1] = T[i+1, i] = e_i); extra entries are ignored.
    ///   - rows: 1 (the first row of Z) or n (all of Z).
    ///   - maximumSweeps: the total number of QL sweeps allowed (`sweepLimit(n)` by default).
    /// - Returns: the eigenvalues in ascending order, `rows` x n row-major rows of Z with column k
    ///   belonging to eigenvalue k, and the number of sweeps used.
    public static func eigen(diagonal: [Double], offDiagonal: [Double], rows: Int = 1,
                             maximumSweeps: Int? = nil) throws -> (eigenvalues: [Double], rows: [Double], sweeps: Int) {
        let n = diagonal.count
        precondition(offDiagonal.count >= max(0, n - 1), "TridiagonalQL: off-diagonal too short")
        precondition(rows >= 0 && rows <= n, "TridiagonalQL: rows out of range")
        if n == 0 { return ([], [], 0) }
        var d = diagonal
        var e = [Double](repeating: 0, count: max(0, n - 1))
        for i in 0..<(n - 1) { e[i] = offDiagonal[i] }
        var largest = 0.0
        for x in d { guard x.isFinite else { throw Failure.nonFinite }; largest = max(largest, abs(x)) }
        for x in e { guard x.isFinite else { throw Failure.nonFinite }; largest = max(largest, abs(x)) }
        // z: rows x n row-major, starting as the first `rows` rows of the identity.
        var z = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows { z[r * n + r] = 1 }
        if largest == 0 { return (d, z, 0) }
        // Scale by 2^-k (exact) so that the largest entry lies in [1, 2).
        let scale = Double(sign: .plus, exponent: -largest.exponent, significand: 1)
        for i in 0..<n { d[i] *= scale }
        for i in 0..<(n - 1) { e[i] *= scale }

        let limit = maximumSweeps ?? sweepLimit(n)
        // Off-diagonal with a zero on each side: e_j = f[j + 1], f[0] = f[n] = 0.
        var f = [Double](repeating: 0, count: n + 1)
        for j in 0..<(n - 1) { f[j + 1] = e[j] }
        let sweeps = try d.withUnsafeMutableBufferPointer { dp in
            try f.withUnsafeMutableBufferPointer { fp in
                try z.withUnsafeMutableBufferPointer { zp in
                    try iterate(d: dp.baseAddress!, f: fp.baseAddress!, z: zp.baseAddress!, n: n, rows: rows, limit: limit)
                }
            }
        }
        // Ascending order, undo the scaling (exact).
        let order = (0..<n).sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }
        let inverse = 1 / scale
        let values = order.map { d[$0] * inverse }
        var sorted = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows { for (k, j) in order.enumerated() { sorted[r * n + k] = z[r * n + j] } }
        return (values, sorted, sweeps)
    }

    /// The QL/QR sweeps of `eigen` on raw storage (d: n diagonal entries, f: n + 1 off-diagonal
    /// entries with f[0] = f[n] = 0, z: rows x n row-major), so that the inner loop runs without
    /// the exclusivity checks that captured arrays would cost; returns the number of sweeps.
    static func iterate(d: UnsafeMutablePointer<Double>, f: UnsafeMutablePointer<Double>, z zp: UnsafeMutablePointer<Double>,
                        n: Int, rows: Int, limit: Int) throws -> Int {
        let eps = Double.ulpOfOne / 2, eps2 = eps * eps, tiny = Double.leastNormalMagnitude
        var sweeps = 0
        /// sqrt(a^2 + b^2), directly where the squares cannot overflow or lose the larger one.
        @inline(__always) func length(_ a: Double, _ b: Double) -> Double {
            let m = max(abs(a), abs(b))
            if m < 0x1p500 && m > 0x1p-500 { return (a * a + b * b).squareRoot() }
            return hypot(a, b)
        }
        /// Whether T splits between j and j + 1 (dsteqr's relative test); zeroes e_j if so.
        @inline(__always) func splits(_ j: Int) -> Bool {
            let ej = abs(f[j + 1])
            if ej * ej <= eps2 * abs(d[j]) * abs(d[j + 1]) + tiny { f[j + 1] = 0; return true }
            return false
        }
        @inline(__always) func rotate(_ i: Int, _ j: Int, _ s: Double, _ c: Double) {
            // Columns (i, j) of the rows of Z: z_j <- s z_i + c z_j, z_i <- c z_i - s z_j.
            var row = 0
            while row < rows {
                let base = row * n
                let zi = zp[base + i], zj = zp[base + j]
                zp[base + j] = s * zi + c * zj
                zp[base + i] = c * zi - s * zj
                row += 1
            }
        }
        var first = 0
        while first < n {
            // The next unreduced block [first, last].
            var last = first
            while last < n - 1 && !splits(last) { last += 1 }
            var l = first, end = last
            first = last + 1
            if end == l { continue }
            if abs(d[end]) >= abs(d[l]) {
                // QL: chase bulges upwards, converge the top of the block first (the end
                // with the smaller diagonal, like dsteqr, so that graded blocks keep their
                // small eigenvalues accurate).
                while l < end {
                    var m = l
                    while m < end && !splits(m) { m += 1 }
                    if m == l { l += 1; continue }
                    sweeps += 1
                    if sweeps > limit { throw Failure.notConverged(sweeps: limit) }
                    // Wilkinson shift from the 2 x 2 block [l, l+1].
                    var g = (d[l + 1] - d[l]) / (2 * f[l + 1])
                    var r = length(g, 1)
                    g = d[m] - d[l] + f[l + 1] / (g + (g >= 0 ? r : -r))
                    var s = 1.0, c = 1.0, p = 0.0
                    var i = m - 1
                    var restarted = false
                    while i >= l {
                        let a = s * f[i + 1], b = c * f[i + 1]
                        r = length(a, g)
                        f[i + 2] = r
                        if r == 0 {
                            // The rotation is undefined: T has split at i + 1; undo the
                            // pending update and restart on the smaller block.
                            d[i + 1] -= p
                            f[m + 1] = 0
                            restarted = true
                            break
                        }
                        let inverse = 1 / r
                        s = a * inverse
                        c = g * inverse
                        g = d[i + 1] - p
                        r = (d[i] - g) * s + 2 * c * b
                        p = s * r
                        d[i + 1] = g + p
                        g = c * r - b
                        rotate(i, i + 1, s, c)
                        i -= 1
                    }
                    if restarted { continue }
                    d[l] -= p
                    f[l + 1] = g
                    f[m + 1] = 0
                }
            } else {
                // QR: the mirror image of QL (index j <-> top + end - j), converging the
                // bottom of the block first.
                let top = l
                l = end
                while l > top {
                    var m = l
                    while m > top && !splits(m - 1) { m -= 1 }
                    if m == l { l -= 1; continue }
                    sweeps += 1
                    if sweeps > limit { throw Failure.notConverged(sweeps: limit) }
                    // Wilkinson shift from the 2 x 2 block [l-1, l].
                    var g = (d[l - 1] - d[l]) / (2 * f[l])
                    var r = length(g, 1)
                    g = d[m] - d[l] + f[l] / (g + (g >= 0 ? r : -r))
                    var s = 1.0, c = 1.0, p = 0.0
                    var i = m
                    var restarted = false
                    while i < l {
                        let a = s * f[i + 1], b = c * f[i + 1]
                        r = length(a, g)
                        f[i] = r
                        if r == 0 {
                            d[i] -= p
                            f[m] = 0
                            restarted = true
                            break
                        }
                        let inverse = 1 / r
                        s = a * inverse
                        c = g * inverse
                        g = d[i] - p
                        r = (d[i + 1] - g) * s + 2 * c * b
                        p = s * r
                        d[i] = g + p
                        g = c * r - b
                        rotate(i + 1, i, s, c)
                        i += 1
                    }
                    if restarted { continue }
                    d[l] -= p
                    f[l] = g
                    f[m] = 0
                }
            }
        }
        return sweeps
    }
}
