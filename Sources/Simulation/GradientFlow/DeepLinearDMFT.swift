import Foundation
import Core
import Numerics

/// Deep linear DMFT on general data (notes/dynamics-deep-linear.md (DY1)-(DY10)): the exact
/// infinite-width limit of the forward-Euler gradient flow with weight decay of a deep linear network
/// (notes/antk-deep-linear.md (A1), (A2)) on P training points and any number of test points,
/// written as two-time kernel equations on the grid t_k = k dt, k = 0...steps.
///
/// Gradient fields are pattern independent (A3), so per layer the single-site process is a pair of
/// linear maps (DY5) h^l = E u^l + Khat_l g^l, g^l = E r^l + Jhat_l h^l with h^l indexed by
/// (time, point) and g^l by time; S = (I - Jhat Khat)^{-1} (DY6) gives the responses (DY7), the
/// kernels (DY8) and the predictor f_{nu,k} = <g^L_k h^L_{nu,k}>/gamma (DY9). Solved by marching in
/// time (DY10): one pass, no iteration. With one point, C = 1, this is notes/verify-antk.md (GV5)-(GV12).
///
/// `responses = false` drops the response terms A, B from Khat and Jhat: the gradient-independence
/// approximation (DY18). `frozenResidual` holds Delta at a constant on every training point ((GV15)).
public struct DeepLinearDMFT: Sendable {
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    /// Input kernel of all points (training points first), pointCount x pointCount, row-major.
    public let kernel: [Double]
    /// Training labels (the first trainCount points).
    public let labels: [Double]
    public let pointCount: Int
    public var trainCount: Int { labels.count }
    public let timeStep: Double
    public let steps: Int
    public var frozenResidual: Double?
    public var responses: Bool

    public init(depth: Int, gamma: Double, lambda: Double, kernel: [Double], labels: [Double], pointCount: Int,
                timeStep: Double, steps: Int, frozenResidual: Double? = nil, responses: Bool = true) {
        precondition(depth >= 1 && pointCount >= labels.count && labels.count >= 1 && kernel.count == pointCount * pointCount)
        precondition(gamma != 0 && steps >= 0 && timeStep > 0)
        self.depth = depth
        self.gamma = gamma
        self.lambda = lambda
        self.kernel = kernel
        self.labels = labels
        self.pointCount = pointCount
        self.timeStep = timeStep
        self.steps = steps
        self.frozenResidual = frozenResidual
        self.responses = responses
    }

    /// Equal-time observables on the grid.
    public struct Solution: Sendable {
        public let pointCount: Int
        public let trainCount: Int
        public let timeStep: Double
        /// predictions[k][nu] = f_nu(t_k), all points.
        public let predictions: [[Double]]
        /// featureKernels[k][l - 1] = H^l(t_k, t_k) (pointCount^2, row-major), l = 1...L.
        public let featureKernels: [[[Double]]]
        /// gradientKernels[k][l - 1] = G^l(t_k, t_k), l = 1...L.
        public let gradientKernels: [[Double]]
    }

    /// Largest number of (time, point) pairs solved at once: the kernels are (pairs)^2 per layer.
    public static let maximumPairs = 4000

    public func solve() -> Solution {
        let depth = self.depth, np = pointCount, p = trainCount, n = steps + 1, nh = n * np, dt = timeStep
        let rho = 1 - lambda * dt
        let e = (0..<n).map { pow(rho, Double($0)) }
        let gamma = self.gamma
        // Index l = 0...L+1. H^0 = C at every pair of times; G^{L+1} = 1; A^0 = 0; B^{L+1} = 0.
        var hK = [[Double]](repeating: [], count: depth + 2), gK = hK, aR = hK, bR = hK
        var kh = hK, jh = hK, sM = hK, rM = hK, uM = hK
        var h0 = [Double](repeating: 0, count: nh * nh)
        for a in 0..<nh { for b in 0..<nh { h0[a * nh + b] = kernel[(a % np) * np + b % np] } }
        hK[0] = h0
        aR[0] = [Double](repeating: 0, count: nh * n)
        gK[depth + 1] = [Double](repeating: 1, count: n * n)
        bR[depth + 1] = [Double](repeating: 0, count: n * nh)
        for l in 1...depth {
            hK[l] = [Double](repeating: 0, count: nh * nh)
            uM[l] = [Double](repeating: 0, count: nh * nh)
            gK[l] = [Double](repeating: 0, count: n * n)
            sM[l] = gK[l]; rM[l] = gK[l]
            aR[l] = [Double](repeating: 0, count: nh * n); kh[l] = aR[l]
            bR[l] = [Double](repeating: 0, count: n * nh); jh[l] = bR[l]
        }
        var f = [Double](repeating: 0, count: nh)
        var delta = [Double](repeating: 0, count: n * p)
        var featureOut = [[[Double]]](), gradientOut = [[Double]]()
        featureOut.reserveCapacity(n); gradientOut.reserveCapacity(n)
        var tmp = [Double](repeating: 0, count: max(nh, n) * max(np, 1))
        var vRow = [Double](repeating: 0, count: np * nh), wRow = [Double](repeating: 0, count: np * n)
        var out = [Double](repeating: 0, count: np * nh)

        for k in 0..<n {
            let kp = k * np, k1p = (k + 1) * np
            // Gradient side, layer L down (DY5)-(DY8).
            for l in stride(from: depth, through: 1, by: -1) {
                // Jhat_l row k.
                for j in 0..<k {
                    let q = gamma * dt * e[k - 1 - j]
                    for mu in 0..<np {
                        let c = j * np + mu
                        var v = responses ? e[k] * bR[l + 1][k * nh + c] : 0
                        if mu < p { v += q * delta[j * p + mu] * gK[l + 1][j * n + k] }
                        jh[l][k * nh + c] = v
                    }
                }
                // S row k: S[k, <k] = (Jhat Khat)[k, <k] S[<k, <k]; S[k, k] = 1.
                if k > 0 {
                    LinearAlgebra.blockProduct(jh[l], aOffset: k * nh, lda: nh, kh[l], ldb: n, m: 1, k: kp, n: k,
                                               into: &tmp, ldc: k)
                    var sRow = [Double](repeating: 0, count: k)
                    LinearAlgebra.blockProduct(tmp, lda: k, sM[l], ldb: n, m: 1, k: k, n: k, into: &sRow, ldc: k)
                    for i in 0..<k { sM[l][k * n + i] = sRow[i] }
                }
                sM[l][k * n + k] = 1
                for i in 0...k { rM[l][k * n + i] = sM[l][k * n + i] * e[i] }
                // B_l row k = (S Jhat)[k, .] E, supported on columns of times < k.
                if k > 0 {
                    LinearAlgebra.blockProduct(sM[l], aOffset: k * n, lda: n, jh[l], ldb: nh, m: 1, k: k + 1, n: kp,
                                               into: &tmp, ldc: kp)
                    for c in 0..<kp { bR[l][k * nh + c] = tmp[c] * e[c / np] }
                }
                // G^l row k (DY8).
                var g = [Double](repeating: 0, count: k + 1)
                if k > 0 {
                    LinearAlgebra.blockProduct(bR[l], aOffset: k * nh, lda: nh, hK[l - 1], ldb: nh, m: 1, k: kp, n: kp,
                                               into: &vRow, ldc: kp)
                    LinearAlgebra.blockProduct(vRow, lda: kp, bR[l], ldb: nh, transposeB: true, m: 1, k: kp, n: k + 1,
                                               into: &g, ldc: k + 1)
                }
                LinearAlgebra.blockProduct(rM[l], aOffset: k * n, lda: n, gK[l + 1], ldb: n, m: 1, k: k + 1, n: k + 1,
                                           into: &wRow, ldc: k + 1)
                LinearAlgebra.blockProduct(wRow, lda: k + 1, rM[l], ldb: n, transposeB: true, m: 1, k: k + 1, n: k + 1,
                                           beta: 1, into: &g, ldc: k + 1)
                for j in 0...k { gK[l][k * n + j] = g[j]; gK[l][j * n + k] = g[j] }
            }
            // Feature side, layer 1 up.
            var gradientNow = [Double](), featureNow = [[Double]]()
            for l in 1...depth {
                // Khat_l rows (k, nu).
                for nu in 0..<np {
                    let row = (kp + nu) * n
                    for j in 0..<k {
                        var v = responses ? e[k] * aR[l - 1][row + j] : 0
                        var s = 0.0
                        for mu in 0..<p { s += delta[j * p + mu] * hK[l - 1][(j * np + mu) * nh + kp + nu] }
                        v += gamma * dt * e[k - 1 - j] * s
                        kh[l][row + j] = v
                    }
                }
                if k > 0 {
                    // A_l rows (k, .) = (Khat S)[(k, .), <k] E.
                    LinearAlgebra.blockProduct(kh[l], aOffset: kp * n, lda: n, sM[l], ldb: n, m: np, k: k, n: k,
                                               into: &tmp, ldc: k)
                    for nu in 0..<np { for i in 0..<k { aR[l][(kp + nu) * n + i] = tmp[nu * k + i] * e[i] } }
                    // U_l rows (k, .) = Khat B_l on columns of times < k, plus rho^k on the diagonal.
                    LinearAlgebra.blockProduct(kh[l], aOffset: kp * n, lda: n, bR[l], ldb: nh, m: np, k: k, n: kp,
                                               into: &uM[l], cOffset: kp * nh, ldc: nh)
                }
                for nu in 0..<np { uM[l][(kp + nu) * nh + kp + nu] = e[k] }
                // H^l rows (k, .) (DY8): V = U[k] H^{l-1}, H = V U^T + (A[k] G^{l+1}) A^T.
                LinearAlgebra.blockProduct(uM[l], aOffset: kp * nh, lda: nh, hK[l - 1], ldb: nh, m: np, k: k1p, n: k1p,
                                           into: &vRow, ldc: k1p)
                LinearAlgebra.blockProduct(vRow, lda: k1p, uM[l], ldb: nh, transposeB: true, m: np, k: k1p, n: k1p,
                                           into: &out, ldc: k1p)
                if k > 0 {
                    LinearAlgebra.blockProduct(aR[l], aOffset: kp * n, lda: n, gK[l + 1], ldb: n, m: np, k: k, n: k,
                                               into: &wRow, ldc: k)
                    LinearAlgebra.blockProduct(wRow, lda: k, aR[l], ldb: n, transposeB: true, m: np, k: k, n: k1p,
                                               beta: 1, into: &out, ldc: k1p)
                }
                for nu in 0..<np {
                    for c in 0..<kp {
                        let v = out[nu * k1p + c]
                        hK[l][(kp + nu) * nh + c] = v
                        hK[l][c * nh + kp + nu] = v
                    }
                }
                var block = [Double](repeating: 0, count: np * np)
                for nu in 0..<np {
                    for mu in 0..<np {
                        let v = 0.5 * (out[nu * k1p + kp + mu] + out[mu * k1p + kp + nu])
                        hK[l][(kp + nu) * nh + kp + mu] = v
                        block[nu * np + mu] = v
                    }
                }
                featureNow.append(block)
                gradientNow.append(gK[l][k * n + k])
                if l == depth {
                    // f_{nu,k} (DY9) = (U[k] H^{L-1} B_L[k]^T + A[k] G^{L+1} R_L[k]^T) / gamma.
                    for nu in 0..<np {
                        var s = 0.0
                        for c in 0..<kp { s += vRow[nu * k1p + c] * bR[l][k * nh + c] }
                        f[kp + nu] = s
                    }
                    if k > 0 {
                        LinearAlgebra.blockProduct(aR[l], aOffset: kp * n, lda: n, gK[l + 1], ldb: n, m: np, k: k, n: k + 1,
                                                   into: &wRow, ldc: k + 1)
                        for nu in 0..<np {
                            var s = 0.0
                            for i in 0...k { s += wRow[nu * (k + 1) + i] * rM[l][k * n + i] }
                            f[kp + nu] += s
                        }
                    }
                    for nu in 0..<np { f[kp + nu] /= gamma }
                }
            }
            for mu in 0..<p { delta[k * p + mu] = frozenResidual ?? (labels[mu] - f[kp + mu]) }
            featureOut.append(featureNow)
            gradientOut.append(gradientNow)
        }
        let predictions = (0..<n).map { Array(f[($0 * np)..<(($0 + 1) * np)]) }
        return Solution(pointCount: np, trainCount: p, timeStep: dt, predictions: predictions,
                        featureKernels: featureOut, gradientKernels: gradientOut)
    }
}
