import Foundation
import Core
import Numerics

/// Deep linear DMFT with weight decay (notes/verify-antk.md, section 2, (GV5)-(GV12)): the
/// infinite-width limit of Euler gradient descent with weight decay of a deep linear network on one
/// input with C = 1 and label y (whitened data reduces to this along y, notes/antk-deep-linear.md
/// (A28)), written as time-discretized two-time kernel equations on the grid t_k = k dt, k = 0..T.
///
/// Every field is linear in Gaussian sources, so each layer is a pair of linear maps
///     h^l = E u^l + Khat_l g^l,      g^l = E r^l + Jhat_l h^l                         (GV7)
/// with E = diag(rho^k), rho = 1 - lambda dt, and strictly causal (Euler) memory kernels
///     Khat_l = E A^{l-1} + gamma Q o [Delta_j H^{l-1}(k, j)],   Q_kj = dt rho^{k-1-j} (j < k)   (GV8)
///     Jhat_l = E B^{l+1} + gamma Q o [Delta_j G^{l+1}(k, j)]
/// sources u^l ~ GP(0, H^{l-1}) (H^0 = 1), r^l ~ GP(0, G^{l+1}) (G^{L+1} = 1), responses
/// A^l = dh^l/dxi^l = M Khat E and B^l = dg^l/dchi^l = Jhat M E with M = (I - Khat Jhat)^{-1} (GV9),
/// kernels H^l, G^l as covariances (GV10) and f_k = <g^L_k h^L_k>/gamma, Delta = y - f (GV11).
/// Solved by marching in time (GV12): all maps are strictly causal, so row k of every matrix needs
/// only rows < k, except that at time k the gradient kernels are filled from the top layer down and
/// the feature kernels from the bottom layer up. One pass, O(L T^3) work, no iteration.
public struct ANTKDeepLinearDMFT: Sendable {
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    public let label: Double
    public let timeStep: Double
    public let steps: Int

    /// When set, Delta_k is held at this value instead of y - f_k (GV11). With lambda = 0, gamma = 1 and
    /// Delta = 1 the solution is the lambda-free universal flow: f_k = Psi_L(k dt) (notes/verify-antk.md (GV15)).
    public var frozenResidual: Double?

    public init(depth: Int, gamma: Double, lambda: Double, label: Double = 1, timeStep: Double, steps: Int,
                frozenResidual: Double? = nil) {
        self.depth = depth
        self.gamma = gamma
        self.lambda = lambda
        self.label = label
        self.timeStep = timeStep
        self.steps = steps
        self.frozenResidual = frozenResidual
    }

    public struct Solution: Sendable {
        /// f(t_k), k = 0..T.
        public let predictions: [Double]
        /// Equal-time kernels at the last time: H^l(T, T) = |h^l|^2/N and G^l(T, T), l = 1..L.
        public let featureNorms: [Double]
        public let gradientNorms: [Double]
    }

    /// Row k of a row-major n x n matrix, restricted to the leading `length` entries.
    @inline(__always) static func row(_ x: [Double], _ k: Int, _ n: Int, _ length: Int) -> [Double] {
        Array(x[(k * n)..<(k * n + length)])
    }

    public func solve() -> Solution {
        let n = steps + 1, dt = timeStep, rho = 1 - lambda * dt, depth = self.depth
        let e = (0..<n).map { pow(rho, Double($0)) }
        let zeros = [Double](repeating: 0, count: n * n)
        let ones = [Double](repeating: 1, count: n * n)
        // Index l = 0..L+1; layer 0 holds H^0 = 1, layer L+1 holds G^{L+1} = 1; A^0 = B^{L+1} = 0.
        var kh = [[Double]](repeating: zeros, count: depth + 2), jh = kh, m = kh
        var phu = kh, phr = kh, pgu = kh, pgr = kh, kj = kh
        var hk = kh, gk = kh
        hk[0] = ones
        gk[depth + 1] = ones
        var f = [Double](repeating: 0, count: n)
        // Every map is causal (lower triangular) and every kernel is needed only on times <= k, so
        // all products at time k use the leading (k+1) x (k+1) blocks in place (row stride n).
        func vecMat(_ v: [Double], _ x: [Double], columns: Int) -> [Double] {   // v (length r) times leading r rows of x
            var out = [Double](repeating: 0, count: columns)
            LinearAlgebra.flowProduct(v, lda: v.count, x, ldb: n, m: 1, k: v.count, n: columns, into: &out, ldc: columns)
            return out
        }
        func matVec(_ x: [Double], rows: Int, _ v: [Double]) -> [Double] {  // leading rows x leading v.count columns of x, times v
            var out = [Double](repeating: 0, count: rows)
            LinearAlgebra.flowProduct(x, lda: n, v, ldb: 1, m: rows, k: v.count, n: 1, into: &out, ldc: 1)
            return out
        }
        /// Fills row/column k of a symmetric kernel: S(k, j) = (p[k] S_a) . p[j] + (q[k] S_b) . q[j], j <= k.
        func kernelRow(_ s: inout [Double], _ p: [Double], _ sa: [Double], _ q: [Double], _ sb: [Double], _ k: Int) {
            let va = vecMat(ANTKDeepLinearDMFT.row(p, k, n, k + 1), sa, columns: k + 1)
            let vb = vecMat(ANTKDeepLinearDMFT.row(q, k, n, k + 1), sb, columns: k + 1)
            let da = matVec(p, rows: k + 1, va), db = matVec(q, rows: k + 1, vb)
            for j in 0...k { s[k * n + j] = da[j] + db[j]; s[j * n + k] = da[j] + db[j] }
        }
        for k in 0..<n {
            let delta = (0..<k).map { frozenResidual ?? (label - f[$0]) }
            // Gradient side, top layer down (GV8, GV9, GV10).
            for l in stride(from: depth, through: 1, by: -1) {
                for j in 0..<k {
                    let qkj = dt * e[k - 1 - j]
                    jh[l][k * n + j] = e[k] * pgu[l + 1][k * n + j] + gamma * qkj * delta[j] * gk[l + 1][k * n + j]
                }
                if k > 0 {
                    let jrow = ANTKDeepLinearDMFT.row(jh[l], k, n, k)
                    let u = vecMat(jrow, phu[l], columns: k + 1), r = vecMat(jrow, phr[l], columns: k + 1)
                    for j in 0...k { pgu[l][k * n + j] = u[j]; pgr[l][k * n + j] = r[j] }
                }
                pgr[l][k * n + k] += e[k]
                kernelRow(&gk[l], pgu[l], hk[l - 1], pgr[l], gk[l + 1], k)
            }
            // Feature side, bottom layer up.
            for l in 1...depth {
                for j in 0..<k {
                    let qkj = dt * e[k - 1 - j]
                    kh[l][k * n + j] = e[k] * phr[l - 1][k * n + j] + gamma * qkj * delta[j] * hk[l - 1][k * n + j]
                }
                if k > 0 {
                    let krow = vecMat(ANTKDeepLinearDMFT.row(kh[l], k, n, k), jh[l], columns: k + 1)
                    for j in 0...k { kj[l][k * n + j] = krow[j] }
                    let mrow = vecMat(ANTKDeepLinearDMFT.row(kj[l], k, n, k), m[l], columns: k + 1)
                    for j in 0...k { m[l][k * n + j] = mrow[j] }
                }
                m[l][k * n + k] = 1
                let mk = vecMat(ANTKDeepLinearDMFT.row(m[l], k, n, k + 1), kh[l], columns: k + 1)
                for j in 0...k {
                    phu[l][k * n + j] = m[l][k * n + j] * e[j]
                    phr[l][k * n + j] = mk[j] * e[j]
                }
                kernelRow(&hk[l], phu[l], hk[l - 1], phr[l], gk[l + 1], k)
                if l == depth {
                    // f_k = <g^L_k h^L_k>/gamma (GV11): cross covariance of the two linear maps.
                    let vu = vecMat(ANTKDeepLinearDMFT.row(phu[l], k, n, k + 1), hk[l - 1], columns: k + 1)
                    let vr = vecMat(ANTKDeepLinearDMFT.row(phr[l], k, n, k + 1), gk[l + 1], columns: k + 1)
                    var s = 0.0
                    for j in 0...k { s += vu[j] * pgu[l][k * n + j] + vr[j] * pgr[l][k * n + j] }
                    f[k] = s / gamma
                }
            }
        }
        let last = n - 1
        return Solution(predictions: f, featureNorms: (1...depth).map { hk[$0][last * n + last] },
                        gradientNorms: (1...depth).map { gk[$0][last * n + last] })
    }
}
