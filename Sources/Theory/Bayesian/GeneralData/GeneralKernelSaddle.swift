import Foundation
import Core
import Numerics

/// One solution of the general-C saddle point in closed form (notes/general-kernel-reduction.md):
///   s = 1 + u, t = s^L, v = (t C + b I)^{-1} y                         (eq. G4)
///   Phi^l = C + kappa_l (C v)(C v)^T,  kappa_l = g t (s^l − 1)/(s − 1)    (eq. G6)
///   hatPhi^l = −g s^(L−l) v v^T                                         (eq. G7)
/// Working precision; `rootWidth` and `secularResidual` bound how far u is from the exact root
/// of the secular equation built from the computed spectrum.
public struct GeneralKernelSaddle: Sendable {
    public let u: Double
    /// Width of the final bracket around u (an absolute error bound on u, up to the rounding margin).
    public let rootWidth: Double
    /// |E(u)| / (u + g t Q(t)), the relative residual of eq. G5 at u.
    public let secularResidual: Double
    public let action: Double
    public let stationarity: WhitenedSaddle.Stationarity
    public internal(set) var isDominant: Bool = false

    public let depth: Int
    public let gammaSquared: Double
    public let ridge: Double
    /// v and C v (P-vectors) and the scalars q = v^T C v, r = y^T C v, y^T C y, |y|^2 (eq. G11).
    public let v: [Double]
    public let cv: [Double]
    public let q: Double
    public let r: Double
    public let yCy: Double
    public let yNormSquared: Double
    /// |C|_F^2, (Cv)^T C (Cv), |Cv|^2, for the Frobenius norms of the kernels (eq. G11).
    let cFrobeniusSquared: Double
    let cvCcv: Double
    let cvNormSquared: Double

    public var s: Double { 1 + u }
    public var spike: Double { exp(Double(depth) * log1p(u)) }
    public var chi: Double { -u }

    /// (s^l − 1)/(s − 1) without cancellation; l at u = 0.
    func geometricSum(_ l: Int) -> Double { u == 0 ? Double(l) : expm1(Double(l) * log1p(u)) / u }

    /// kappa_l = g t (s^l − 1)/(s − 1) (eq. G6); kappa_0 = 0.
    public func kappa(_ layer: Int) -> Double { gammaSquared * spike * geometricSum(layer) }

    /// eta_l with hatPhi^l = −eta_l v v^T: eta_l = g s^(L−l) (eq. G7).
    public func dualScale(_ layer: Int) -> Double { gammaSquared * exp(Double(depth - layer) * log1p(u)) }

    /// The dense P x P kernel Phi^l (l = 0 gives C).
    public func kernel(_ layer: Int, inputKernel: [Double]) -> [Double] {
        var k = inputKernel
        LinearAlgebra.addOuterProduct(&k, kappa(layer), cv, cv, m: cv.count, n: cv.count)
        return k
    }

    /// y^T Phi^l y / |y|^2 = (y^T C y + kappa_l r^2) / |y|^2 (eq. G11).
    public func overlap(_ layer: Int) -> Double { (yCy + kappa(layer) * r * r) / yNormSquared }

    /// Cosine similarity of Phi^l with y y^T: y^T Phi^l y / (|Phi^l|_F |y|^2) (eq. G11).
    public func alignment(_ layer: Int) -> Double {
        let k = kappa(layer)
        let frobenius = (cFrobeniusSquared + 2 * k * cvCcv + k * k * cvNormSquared * cvNormSquared).squareRoot()
        return (yCy + k * r * r) / (frobenius * yNormSquared)
    }

    /// Predictions t c_*^T v for rows c_* = C(x_*, X) of a Q x P cross kernel (eq. G12).
    public func predict(crossKernel: [Double], rows: Int) -> [Double] {
        predict(crossKernelTimesV: LinearAlgebra.multiply(crossKernel, vector: v, m: rows, n: v.count))
    }

    /// The same predictions from the product (C(x_*, X) v) already formed.
    public func predict(crossKernelTimesV product: [Double]) -> [Double] { product.map { $0 * spike } }

    /// The adapted train-test kernel Phi^l(x_*, X) = c_* + kappa_l (v^T c_*) (C v)^T, Q x P (eq. G12).
    public func crossKernel(_ layer: Int, inputCross: [Double], rows: Int) -> [Double] {
        var k = inputCross
        let projections = LinearAlgebra.multiply(inputCross, vector: v, m: rows, n: v.count)
        LinearAlgebra.addOuterProduct(&k, kappa(layer), projections, cv, m: rows, n: cv.count)
        return k
    }

    /// Relative residuals of the raw stationarity equations in their inverse-free forms
    /// (notes/general-kernel-reduction.md (G1); the equations of notes/theory-overview.md (T7)), the largest over all layers, with C v from the dense C: |R_l|_F / |Phi^l|_F
    /// for (G1a) in O(P) per layer (eq. G1'), and the scalar residual of (G1b) (eq. G7). `kernelTimesV`
    /// is C v if the caller has it (the same product `LinearAlgebra.multiply(c, vector: v)` gives),
    /// else it is formed here.
    public func stationarityResidual(inputKernel c: [Double], kernelTimesV: [Double]? = nil) -> Double {
        let p = v.count
        let cDotV = kernelTimesV ?? LinearAlgebra.multiply(c, vector: v, m: p, n: p)
        let spikeDotV = LinearAlgebra.dot(cv, v)
        // Per layer l = 0...L: kappa_l, eta_l and Phi^l v = C v + kappa_l (Cv)(Cv . v) (eq. G6).
        let kappas = (0...depth).map { $0 == 0 ? 0.0 : kappa($0) }
        let etas = (0...depth).map { $0 == 0 ? 0.0 : dualScale($0) }
        let layerV = (0...depth).map { l in l == 0 ? cDotV : (0..<p).map { cDotV[$0] + kappas[l] * cv[$0] * spikeDotV } }
        // (G1'): C v (dense) - a (a = C v from the spectrum) = beta a + d with d orthogonal to a.
        let a2 = LinearAlgebra.dot(cv, cv)
        var difference = (0..<p).map { cDotV[$0] - cv[$0] }
        let beta = a2 > 0 ? LinearAlgebra.dot(cv, difference) / a2 : 0
        for i in 0..<p { difference[i] -= beta * cv[i] }
        let d2 = LinearAlgebra.dot(difference, difference)
        var worst = 0.0
        for l in 1...depth {
            // |R_l|_F^2 = e_l^2 |a|^4 + eta_l^2 (g_(l-1)^2 + g_l^2) |a|^2 |d|^2 + eta_l^2 |d|^4 (eq. G1'),
            // over |Phi^l|_F^2 = |C|_F^2 + 2 kappa_l a^T C a + kappa_l^2 |a|^4 (eq. G11).
            let eta = etas[l], k = kappas[l]
            let previousScale = 1 + kappas[l - 1] * spikeDotV + beta, scale = 1 + k * spikeDotV + beta
            let e = (k - kappas[l - 1]) - eta * previousScale * scale
            let residual2 = e * e * a2 * a2 + eta * eta * (previousScale * previousScale + scale * scale) * a2 * d2 + eta * eta * d2 * d2
            let norm2 = cFrobeniusSquared + 2 * k * cvCcv + k * k * cvNormSquared * cvNormSquared
            worst = max(worst, residual2.squareRoot() / max(norm2.squareRoot(), .leastNormalMagnitude))
            if l < depth {
                // hatPhi^l (I + Phi^l hatPhi^{l+1}) − hatPhi^{l+1} = (−eta_l + eta_l eta_{l+1} p_l + eta_{l+1}) v v^T
                let en = dualScale(l + 1), pl = LinearAlgebra.dot(v, layerV[l])
                worst = max(worst, abs(-eta + eta * en * pl + en) / max(eta, .leastNormalMagnitude))
            }
        }
        return worst
    }

    func frobenius(_ a: [Double]) -> Double { var s = 0.0; for x in a { s += x * x }; return s.squareRoot() }

    /// |(Phi^L + b I) v − y| / |y|, the label equation's residual (eq. G4 read back densely).
    /// `kernelTimesV`: C v if the caller has it, as in `stationarityResidual`.
    public func labelResidual(inputKernel c: [Double], labels y: [Double], kernelTimesV: [Double]? = nil) -> Double {
        let p = v.count
        // Phi^L v = C v + kappa_L (Cv)((Cv) . v) (eq. G6), C v from the dense C: no P x P temporary.
        var back = kernelTimesV ?? LinearAlgebra.multiply(c, vector: v, m: p, n: p)
        let spike = kappa(depth) * LinearAlgebra.dot(cv, v)
        var sum = 0.0
        for i in 0..<p { back[i] += spike * cv[i] + ridge * v[i] - y[i]; sum += back[i] * back[i] }
        return sum.squareRoot() / yNormSquared.squareRoot()
    }
}

/// Every solution of the general-C saddle point at working precision.
public struct GeneralKernelSolution: Sendable {
    public let problem: GeneralKernelProblem
    public let spectrum: KernelSpectrum
    /// Solutions in increasing order of u (of the spike size).
    public let roots: [GeneralKernelSaddle]
    public let isolation: String
    public var dominant: GeneralKernelSaddle? { roots.first(where: \.isDominant) }
}
