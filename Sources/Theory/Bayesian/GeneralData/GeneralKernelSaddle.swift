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

    /// Relative residuals of the raw stationarity equations of notes/theory-overview.md (T7), evaluated with dense
    /// kernels (eq. G1, inverse-free forms); the largest over all layers. `kernelTimesV` is C v if
    /// the caller has it (the same product `LinearAlgebra.multiply(c, vector: v)` gives), else it
    /// is formed here.
    public func stationarityResidual(inputKernel c: [Double], kernelTimesV: [Double]? = nil) -> Double {
        let p = v.count
        // Phi^l = C + kappa_l (Cv)(Cv)^T (eq. G6) entrywise, with no P x P temporaries;
        // Phi^l v = C v + kappa_l (Cv)(Cv . v), with C v from the dense C.
        let cDotV = kernelTimesV ?? LinearAlgebra.multiply(c, vector: v, m: p, n: p)
        let spikeDotV = LinearAlgebra.dot(cv, v)
        // Per layer l = 1...L: kappa_l, eta_l, kappa_(l-1), Phi^l v and Phi^(l-1) v.
        let kappas = (0...depth).map { $0 == 0 ? 0.0 : kappa($0) }
        let etas = (0...depth).map { $0 == 0 ? 0.0 : dualScale($0) }
        let layerV = (0...depth).map { l in l == 0 ? cDotV : (0..<p).map { cDotV[$0] + kappas[l] * cv[$0] * spikeDotV } }
        // (I + Phi^{l-1} hatPhi^l) Phi^l − Phi^{l-1} = Phi^l − Phi^{l-1} − eta_l (Phi^{l-1} v)(Phi^l v)^T,
        // its squared Frobenius norm and Phi^l's, for every layer in one sweep over C: the rows
        // are taken in blocks that stay in cache while every layer runs over them, so C is read
        // from memory once instead of L times. Each layer's sums receive exactly the terms, in
        // exactly the order, of a pass per layer over all rows (four SIMD lanes, then the tail).
        var lanes = [SIMD4<Double>](repeating: SIMD4<Double>(), count: 2 * (depth + 1))
        var tails = [Double](repeating: 0, count: 2 * (depth + 1))
        let blockRows = max(1, 32_768 / max(p, 1))
        c.withUnsafeBufferPointer { cp in
            cv.withUnsafeBufferPointer { a in
                for blockStart in stride(from: 0, to: p, by: blockRows) {
                    let blockEnd = min(blockStart + blockRows, p)
                    for l in 1...depth {
                        let k = kappas[l], previousKappa = kappas[l - 1], eta = etas[l]
                        let previousV = layerV[l - 1]
                        layerV[l].withUnsafeBufferPointer { w in
                            var r2 = lanes[2 * l], n2 = lanes[2 * l + 1]
                            var residual2 = tails[2 * l], norm2 = tails[2 * l + 1]
                            let k4 = SIMD4<Double>(repeating: k), pk4 = SIMD4<Double>(repeating: previousKappa)
                            for i in blockStart..<blockEnd {
                                let ai = a[i], pi = previousV[i], row = cp.baseAddress! + i * p
                                let ai4 = SIMD4<Double>(repeating: ai), ep4 = SIMD4<Double>(repeating: eta * pi)
                                var j = 0
                                while j + 4 <= p {
                                    let entry = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
                                    let aj = UnsafeRawPointer(a.baseAddress! + j).loadUnaligned(as: SIMD4<Double>.self)
                                    let wj = UnsafeRawPointer(w.baseAddress! + j).loadUnaligned(as: SIMD4<Double>.self)
                                    let aij = ai4 * aj
                                    let current = entry + k4 * aij, previous = entry + pk4 * aij
                                    let r = current - previous - ep4 * wj
                                    r2 += r * r; n2 += current * current
                                    j += 4
                                }
                                while j < p {
                                    let entry = row[j], aij = ai * a[j]
                                    let current = entry + k * aij, previous = entry + previousKappa * aij
                                    let r = current - previous - eta * pi * w[j]
                                    residual2 += r * r; norm2 += current * current
                                    j += 1
                                }
                            }
                            lanes[2 * l] = r2; lanes[2 * l + 1] = n2
                            tails[2 * l] = residual2; tails[2 * l + 1] = norm2
                        }
                    }
                }
            }
        }
        var worst = 0.0
        for l in 1...depth {
            let residual2 = tails[2 * l] + lanes[2 * l].sum(), norm2 = tails[2 * l + 1] + lanes[2 * l + 1].sum()
            worst = max(worst, residual2.squareRoot() / max(norm2.squareRoot(), .leastNormalMagnitude))
            if l < depth {
                // hatPhi^l (I + Phi^l hatPhi^{l+1}) − hatPhi^{l+1} = (−eta_l + eta_l eta_{l+1} p_l + eta_{l+1}) v v^T
                let eta = etas[l], en = dualScale(l + 1), pl = LinearAlgebra.dot(v, layerV[l])
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
