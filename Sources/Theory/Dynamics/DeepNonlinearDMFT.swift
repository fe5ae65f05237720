import Foundation
import Core
import Numerics

/// The infinite-width DMFT of a network with L >= 1 hidden layers and a smooth activation (identity, tanh,
/// erf), solved by sampling the single-site processes of every layer on the forward-Euler grid
/// (notes/dynamics-nonlinear.md (DN12)-(DN15), with the pathwise responses of (DN17)-(DN19)).
///
/// Layer l's site carries h^l_{nu,k} (all n points) and z^l_{nu,k} (z^L = a, the readout), g^l = phi'(h^l) z^l:
///
///     h^l_k = rho^k (u^l_k + sum_{j<k} A^{l-1}[k, j] g^l_j) + gamma sum_{j<k} Q_kj sum_mu Delta_{mu,j} Phi^{l-1}_{mu .}(j, k) g^l_{mu,j}
///     z^l_k = rho^k (r^l_k + sum_{j<=k} B^{l+1}[k, j] phi(h^l_j)) + gamma sum_{j<k} Q_kj sum_mu Delta_{mu,j} G^{l+1}_{mu .}(j, k) phi(h^l_{mu,j})
///
/// (u^1 ~ N(0, C) constant in time, Phi^0 = C; u^l ~ GP(0, Phi^{l-1}), r^l ~ GP(0, G^{l+1}) drawn from their
/// two-time kernels by conditional Gaussians (DN18); A^l = <d phi(h^l) / d r^l>, B^l = <d g^l / d u^l> estimated by
/// forward-mode tangents of every site (DN17)). One pass in time (DN15) solves the discrete system; the cost is
/// O(M (n K)^2 n K) per tangent set and the memory O(M (n K)^2) (DN19). `responses = false` drops A and B: the
/// gradient-independence approximation (notes/dynamics-deep-linear.md (DY18)).
///
/// ReLU is solved through its smoothing softplus_beta (`smoothing` = beta, (DN22)): the pathwise tangents miss the kink's point
/// mass (DN19), so the march runs the smooth activation phi_beta(h) = log(1 + e^{beta h})/beta, and the solver
/// (`Studies/Dynamics/DynamicsSolver.swift`) extrapolates beta -> infinity in 1/beta^2 (DN23), (DN24).
public struct DeepNonlinearDMFT: Sendable {
    public let depth: Int
    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    /// Input kernel C of all n points (n x n, row-major, training points first).
    public let kernel: [Double]
    public let pointCount: Int
    public let labels: [Double]
    public let timeStep: Double
    public let steps: Int
    public let responses: Bool
    /// ReLU only (required then): the sharpness beta of the softplus smoothing phi_beta (DN22).
    public let smoothing: Double?

    public init(depth: Int, activation: Activation, gamma: Double, lambda: Double, kernel: [Double], pointCount: Int,
                labels: [Double], timeStep: Double, steps: Int, responses: Bool = true, smoothing: Double? = nil) {
        precondition(depth >= 1 && steps >= 1 && kernel.count == pointCount * pointCount)
        precondition((activation == .relu) == (smoothing != nil) && (smoothing ?? 1) > 0)
        precondition(!labels.isEmpty && labels.count <= pointCount && gamma != 0)
        self.depth = depth; self.activation = activation; self.gamma = gamma; self.lambda = lambda; self.kernel = kernel
        self.pointCount = pointCount; self.labels = labels; self.timeStep = timeStep; self.steps = steps; self.responses = responses
        self.smoothing = smoothing
    }

    /// The order parameters at one recorded grid time: f (n) and, per layer l = 1...L, Phi^l and G^l (n x n, row-major).
    public struct Frame: Sendable, Equatable {
        public var predictions: [Double]
        public var featureKernels: [[Double]]
        public var gradientKernels: [[Double]]
    }

    /// Bytes of tangent storage of one march (DN19): 2 (L - 1) tangent sets of two (n (K+1)) x M (n (K+1)) histories.
    public static func tangentBytes(depth: Int, pointCount n: Int, steps: Int, sites: Int) -> Int {
        let w = n * (steps + 1)
        return 2 * max(0, depth - 1) * 2 * w * w * sites * 8
    }

    /// phi of the site map: the activation, or for ReLU softplus_beta(h) = max(h, 0) + log(1 + e^{-beta |h|})/beta (DN22).
    @inline(__always) func value(_ h: Double) -> Double {
        guard let beta = smoothing else { return activation.value(h) }
        return max(h, 0) + log1p(exp(-beta * abs(h))) / beta
    }

    /// phi': the activation's, or for ReLU softplus_beta' = sigmoid(beta h) (DN22).
    @inline(__always) func derivative(_ h: Double) -> Double {
        guard let beta = smoothing else { return activation.derivative(h) }
        return h >= 0 ? 1 / (1 + exp(-beta * h)) : { let e = exp(beta * h); return e / (1 + e) }()
    }

    /// phi'' for the pathwise tangents (DN17), given d = phi'(h): tanh'' = -2 t (1 - t^2), erf'' = -2 h erf'(h), identity 0,
    /// softplus_beta'' = beta s (1 - s) with s = sigmoid(beta h) (DN22).
    @inline(__always) func second(_ h: Double, _ d: Double) -> Double {
        if let beta = smoothing { return beta * d * (1 - d) }
        switch activation {
        case .tanh: return -2 * activation.value(h) * d
        case .erf: return -2 * h * d
        default: return 0
        }
    }

    /// dst[s w + c] = a_s x[s w + c] (+ b_s y[s w + c]) for the M sites s and w columns c; a_s = a[s * w] (strided by the
    /// history width) or a[s] (`unitStride`), b_s = b[s * w] likewise. Hot loop of the tangents, optimized in every build.
    @_optimize(speed) @inline(never)
    static func scaleSegments(_ dst: UnsafeMutablePointer<Double>, _ x: UnsafeMutablePointer<Double>, _ a: UnsafeMutablePointer<Double>,
                              _ y: UnsafeMutablePointer<Double>?, _ b: UnsafeMutablePointer<Double>?, sites m: Int, width w: Int,
                              unitStride: Bool = false) {
        for s in 0..<m {
            let base = s * w
            let cx = unitStride ? a[s] : a[s * w]
            if let y, let b {
                let cy = b[s * w]
                for c in 0..<w { dst[base + c] = cx * x[base + c] + cy * y[base + c] }
            } else {
                for c in 0..<w { dst[base + c] = cx * x[base + c] }
            }
        }
    }

    /// x = rho x + sum_i c_i v_i over `count` entries (the readout tangent's step).
    @_optimize(speed) @inline(never)
    static func accumulate(_ x: UnsafeMutablePointer<Double>, _ rho: Double, _ terms: [(UnsafeMutablePointer<Double>, Double)], count: Int) {
        for i in 0..<count { x[i] *= rho }
        for (v, c) in terms { for i in 0..<count { x[i] += c * v[i] } }
    }

    /// Extends the lower Cholesky factor `l` (w x w) of the two-time kernel `s` by the rows `rows` (DN18). A pivot
    /// below 1e-11 of the largest diagonal entry is a direction the sampled kernel does not span: its column is zero.
    @_optimize(speed)
    static func extendCholesky(_ s: UnsafePointer<Double>, _ l: UnsafeMutablePointer<Double>, rows: Range<Int>, width w: Int, scale: inout Double) {
        for i in rows {
            scale = max(scale, s[i * w + i])
            for c in 0..<i {
                let lcc = l[c * w + c]
                guard lcc > 0 else { l[i * w + c] = 0; continue }
                var v = s[i * w + c]
                for c2 in 0..<c { v -= l[i * w + c2] * l[c * w + c2] }
                l[i * w + c] = v / lcc
            }
            var d = s[i * w + i]
            for c2 in 0..<i { d -= l[i * w + c2] * l[i * w + c2] }
            l[i * w + i] = d > 1e-11 * scale ? d.squareRoot() : 0
        }
    }

    /// The self-consistent (or, with `responses = false`, the gradient-independent) solution on the sites: the
    /// march (DN15); frames at k = 0, stride, 2 stride, ..., steps. `sites` supplies u^1 and a_0 (antithetic
    /// pairs, `TwoLayerDMFT.sample`); the source innovations of the hidden layers come from `seed`, the partner of
    /// a pair with the same u-innovations and negated r-innovations, so f_0 = 0 and f is even in gamma (DN18).
    public func march(_ sites: TwoLayerDMFT.Sites, seed: UInt64, stride: Int) -> [Frame] {
        precondition(stride >= 1 && steps % stride == 0 && sites.fields.count == sites.count * pointCount)
        let n = pointCount, p = labels.count, m = sites.count, L = depth, K = steps
        let w = n * (K + 1), rho = 1 - lambda * timeStep, dt = timeStep
        let inverseM = 1 / Double(m)
        let pairs = m / 2
        func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
            let b = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1)); b.initialize(repeating: 0, count: max(count, 1)); return b
        }
        var owned = [UnsafeMutablePointer<Double>]()
        func make(_ count: Int) -> UnsafeMutablePointer<Double> { let b = buffer(count); owned.append(b); return b }
        defer { for b in owned { b.deallocate() } }

        // Per layer (index l - 1): histories M x w (site-major), two-time kernels w x w, responses and factors w x w.
        let phiH = (0..<L).map { _ in make(m * w) }, dphiH = (0..<L).map { _ in make(m * w) }
        let gH = (0..<L).map { _ in make(m * w) }, hNow = (0..<L).map { _ in make(m * n) }, zNow = (0..<L).map { _ in make(m * n) }
        let phiK = (0..<L).map { _ in make(w * w) }, gK = (0..<L).map { _ in make(w * w) }
        let aResp = (0..<L).map { l in l < L - 1 && responses ? make(w * w) : nil }      // A^l, l = 1...L-1
        let bResp = (0..<L).map { l in l > 0 && responses ? make(w * w) : nil }          // B^l, l = 2...L
        let cholU = (0..<L).map { l in l > 0 ? make(w * w) : nil }
        let cholR = (0..<L).map { l in l < L - 1 ? make(w * w) : nil }
        var scaleU = [Double](repeating: 0, count: L), scaleR = scaleU
        // Innovations (M x w), partner signs applied (DN18).
        func innovations(_ tag: UInt64, negatePartner: Bool) -> UnsafeMutablePointer<Double> {
            let e = make(m * w)
            let z = NormalSampler.vector(pairs * w, seed: NormalSampler.derive(seed, tag))
            for q in 0..<pairs { for c in 0..<w {
                e[2 * q * w + c] = z[q * w + c]
                e[(2 * q + 1) * w + c] = negatePartner ? -z[q * w + c] : z[q * w + c]
            } }
            return e
        }
        let epsU = (0..<L).map { l in l > 0 ? innovations(UInt64(2 * l), negatePartner: false) : nil }
        let epsR = (0..<L).map { l in l < L - 1 ? innovations(UInt64(2 * l + 1), negatePartner: true) : nil }
        // Tangent sets (DN17): per layer, wrt u^l (l >= 2) and wrt r^l (l <= L-1); histories w x (M w), temporaries n x (M w).
        struct Tangent { let dphi: UnsafeMutablePointer<Double>; let dg: UnsafeMutablePointer<Double>
                         let dh: UnsafeMutablePointer<Double>; let dz: UnsafeMutablePointer<Double>; let wrtU: Bool }
        let mw = m * w
        func tangent(_ wrtU: Bool) -> Tangent { Tangent(dphi: make(w * mw), dg: make(w * mw), dh: make(n * mw), dz: make(n * mw), wrtU: wrtU) }
        let sets: [[Tangent]] = (0..<L).map { l in
            guard responses && L > 1 else { return [] }
            return (l > 0 ? [tangent(true)] : []) + (l < L - 1 ? [tangent(false)] : [])
        }
        let da = sets[L - 1].first.map { _ in make(mw) }   // d a / d u^L
        var a = sites.readouts
        var delta = [[Double]]()
        var frames = [Frame]()
        let kh = make(n * w), jz = make(n * w), col = make(max(w, m) * n), curvature = make(n * m)
        let ones = make(m)
        for s in 0..<m { ones[s] = 1 }
        let c = kernel

        for k in 0...K {
            let rk = pow(rho, Double(k)), kn = k * n, rows = kn..<(kn + n)
            // (i) Feature side, layer 1 up.
            for l in 0..<L {
                // Khat row block k (n x kn): rho^k A^{l-1}[k, <k] + gamma Q_kj Delta_{mu,j} Phi^{l-1}_{mu nu}(j, k).
                for i in 0..<(n * kn) { kh[i] = 0 }
                for nu in 0..<n { for j in 0..<k {
                    let q = gamma * dt * pow(rho, Double(k - 1 - j))
                    for mu in 0..<p {
                        let prev = l == 0 ? c[mu * n + nu] : phiK[l - 1][(j * n + mu) * w + kn + nu]
                        kh[nu * kn + j * n + mu] = q * delta[j][mu] * prev
                    }
                } }
                if l > 0, let resp = aResp[l - 1] {
                    for nu in 0..<n { for cc in 0..<kn { kh[nu * kn + cc] += rk * resp[(kn + nu) * w + cc] } }
                }
                let h = hNow[l]
                // Source u^l_k.
                if l == 0 {
                    for s in 0..<m { for nu in 0..<n { h[s * n + nu] = rk * sites.fields[s * n + nu] } }
                } else {
                    DeepNonlinearDMFT.extendCholesky(phiK[l - 1], cholU[l]!, rows: rows, width: w, scale: &scaleU[l])
                    // u (M x n) = eps (M x (kn+n)) L[rows, 0..<kn+n]^T.
                    LinearAlgebra.gemm(epsU[l]!, cholU[l]! + kn * w, h, m: m, k: kn + n, n: n, transposeB: true, lda: w, ldb: w, ldc: n)
                    for i in 0..<(m * n) { h[i] *= rk }
                }
                if k > 0 {
                    // h += g_{<k} (M x kn) Khat^T.
                    LinearAlgebra.gemm(gH[l], kh, col, m: m, k: kn, n: n, transposeB: true, lda: w, ldb: kn, ldc: n)
                    for i in 0..<(m * n) { h[i] += col[i] }
                }
                for s in 0..<m { for nu in 0..<n {
                    let x = h[s * n + nu]
                    phiH[l][s * w + kn + nu] = value(x)
                    dphiH[l][s * w + kn + nu] = derivative(x)
                } }
                // Phi^l(j, k), j <= k: phi_{<=k}^T phi_k / M.
                LinearAlgebra.gemm(phiH[l], phiH[l] + kn, col, m: kn + n, k: m, n: n, transposeA: true, lda: w, ldb: w, ldc: n)
                for r in 0..<(kn + n) { for nu in 0..<n {
                    let v = col[r * n + nu] * inverseM
                    phiK[l][r * w + kn + nu] = v; phiK[l][(kn + nu) * w + r] = v
                } }
                // Tangents: dh_k = rho^k [u-source] + Khat dg_{<k}; dphi_k = phi'(h_k) dh_k.
                for t in sets[l] {
                    if k > 0 { LinearAlgebra.gemm(kh, t.dg, t.dh, m: n, k: kn, n: mw, lda: kn, ldb: mw, ldc: mw) }
                    else { for i in 0..<(n * mw) { t.dh[i] = 0 } }
                    if t.wrtU { for nu in 0..<n { for s in 0..<m { t.dh[nu * mw + s * w + kn + nu] += rk } } }
                    for nu in 0..<n {
                        DeepNonlinearDMFT.scaleSegments(t.dphi + (kn + nu) * mw, t.dh + nu * mw, dphiH[l] + kn + nu, nil, nil, sites: m, width: w)
                    }
                    if !t.wrtU, let resp = aResp[l] {
                        // A^l[k, .] = <d phi(h^l_k) / d r^l>: the site average, one row per point.
                        for nu in 0..<n { LinearAlgebra.gemm(ones, t.dphi + (kn + nu) * mw, resp + (kn + nu) * w, m: 1, k: m, n: w, lda: m, ldb: w, ldc: w) }
                        for i in 0..<(n * w) { resp[kn * w + i] *= inverseM }
                    }
                }
            }
            // (ii) Gradient side, readout down.
            for l in (0..<L).reversed() {
                let z = zNow[l]
                if l == L - 1 {
                    for s in 0..<m { for nu in 0..<n { z[s * n + nu] = a[s] } }
                } else {
                    DeepNonlinearDMFT.extendCholesky(gK[l + 1], cholR[l]!, rows: rows, width: w, scale: &scaleR[l])
                    LinearAlgebra.gemm(epsR[l]!, cholR[l]! + kn * w, z, m: m, k: kn + n, n: n, transposeB: true, lda: w, ldb: w, ldc: n)
                    for i in 0..<(m * n) { z[i] *= rk }
                    // Jhat row block k (n x (kn+n)): rho^k B^{l+1}[k, <=k] + gamma Q_kj Delta_{mu,j} G^{l+1}_{mu nu}(j, k).
                    let width = kn + n
                    for i in 0..<(n * width) { jz[i] = 0 }
                    for nu in 0..<n { for j in 0..<k {
                        let q = gamma * dt * pow(rho, Double(k - 1 - j))
                        for mu in 0..<p { jz[nu * width + j * n + mu] = q * delta[j][mu] * gK[l + 1][(j * n + mu) * w + kn + nu] }
                    } }
                    if let resp = bResp[l + 1] {
                        for nu in 0..<n { for cc in 0..<width { jz[nu * width + cc] += rk * resp[(kn + nu) * w + cc] } }
                    }
                    LinearAlgebra.gemm(phiH[l], jz, col, m: m, k: width, n: n, transposeB: true, lda: w, ldb: width, ldc: n)
                    for i in 0..<(m * n) { z[i] += col[i] }
                    for t in sets[l] {
                        LinearAlgebra.gemm(jz, t.dphi, t.dz, m: n, k: width, n: mw, lda: width, ldb: mw, ldc: mw)
                        if !t.wrtU { for nu in 0..<n { for s in 0..<m { t.dz[nu * mw + s * w + kn + nu] += rk } } }
                    }
                }
                let h = hNow[l]
                for s in 0..<m { for nu in 0..<n {
                    gH[l][s * w + kn + nu] = dphiH[l][s * w + kn + nu] * z[s * n + nu]
                } }
                if !sets[l].isEmpty {
                    for s in 0..<m { for nu in 0..<n {
                        curvature[nu * m + s] = second(h[s * n + nu], dphiH[l][s * w + kn + nu]) * z[s * n + nu]
                    } }
                }
                for t in sets[l] {
                    for nu in 0..<n {
                        // dg = phi''(h) z dh + phi'(h) dz.
                        DeepNonlinearDMFT.scaleSegments(t.dg + (kn + nu) * mw, t.dh + nu * mw, curvature + nu * m, l == L - 1 ? da! : t.dz + nu * mw,
                                                        dphiH[l] + kn + nu, sites: m, width: w, unitStride: true)
                    }
                    if t.wrtU, let resp = bResp[l] {
                        // B^l[k, .] = <d g^l_k / d u^l>.
                        for nu in 0..<n { LinearAlgebra.gemm(ones, t.dg + (kn + nu) * mw, resp + (kn + nu) * w, m: 1, k: m, n: w, lda: m, ldb: w, ldc: w) }
                        for i in 0..<(n * w) { resp[kn * w + i] *= inverseM }
                    }
                }
                LinearAlgebra.gemm(gH[l], gH[l] + kn, col, m: kn + n, k: m, n: n, transposeA: true, lda: w, ldb: w, ldc: n)
                for r in 0..<(kn + n) { for nu in 0..<n {
                    let v = col[r * n + nu] * inverseM
                    gK[l][r * w + kn + nu] = v; gK[l][(kn + nu) * w + r] = v
                } }
                if smoothing != nil {
                    // ReLU's phi'^2 = phi' (DN23): the equal-time diagonal <z^2 phi'> of the ReLU network, not <z^2 phi_beta'^2>;
                    // they differ at O(1) on the sites that slide along the kink.
                    for nu in 0..<n {
                        var v = 0.0
                        for s in 0..<m { let d = dphiH[l][s * w + kn + nu], x = zNow[l][s * n + nu]; v += x * x * d }
                        gK[l][(kn + nu) * w + kn + nu] = v * inverseM
                    }
                }
            }
            // (iii) Predictor and residual.
            var f = [Double](repeating: 0, count: n)
            for s in 0..<m { for nu in 0..<n { f[nu] += a[s] * phiH[L - 1][s * w + kn + nu] } }
            for nu in 0..<n { f[nu] *= inverseM / gamma }
            if k % stride == 0 {
                func block(_ x: UnsafeMutablePointer<Double>) -> [Double] {
                    var out = [Double](repeating: 0, count: n * n)
                    for i in 0..<n { for j in 0..<n { out[i * n + j] = x[(kn + i) * w + kn + j] } }
                    return out
                }
                frames.append(Frame(predictions: f, featureKernels: phiK.map(block), gradientKernels: gK.map(block)))
            }
            if k == K { break }
            let d = (0..<p).map { labels[$0] - f[$0] }
            delta.append(d)
            // Readout step (and its tangent wrt u^L).
            for s in 0..<m {
                var v = 0.0
                for mu in 0..<p { v += d[mu] * phiH[L - 1][s * w + kn + mu] }
                a[s] = rho * a[s] + gamma * dt * v
            }
            if let da, let t = sets[L - 1].first {
                DeepNonlinearDMFT.accumulate(da, rho, (0..<p).map { (t.dphi + (kn + $0) * mw, gamma * dt * d[$0]) }, count: mw)
            }
        }
        return frames
    }
}
