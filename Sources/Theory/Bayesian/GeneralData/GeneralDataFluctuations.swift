import Foundation
import Core
import Numerics

/// The O(1/N) finite-width fluctuations of the Bayesian deep linear network on general data
/// (notes/fluctuations-bayes.md (FB15)-(FB21)): N x the posterior covariance of the overlaps
/// c_l = y^T Phi^l y / |y|^2, N x their mean shift, N x the variance of the prediction at each
/// evaluated point (test points, or the training points without a test set) and of the kernel's
/// diagonal mean tr Phi^L / P, at working precision.
///
/// Method: the exact law of the kernels (FB1) is a Wishart chain for any input kernel; in the
/// whitened variables Psi^l with Phi^l = F Psi^l F^T (C = F F^T over the P training and Q test points,
/// F of full column rank r) it is the chain started at Psi^0 = I (FB15), with the saddle
/// Psi^l = I + kappa_l z z^T, z = F_x^T v (FB16, from notes/general-kernel-reduction.md (G6)). The Hessian
/// of the action on the L r(r+1)/2 upper-triangle coordinates is formed densely (FB17), inverted by
/// Cholesky, and the third derivatives enter through the gradient of -1/2 ln det H (FB18); every
/// observable is a linear or smooth function of the kernels whose variance is its gradient's
/// H^{-1}-norm (FB19)-(FB21).
///
/// Error: approximate (double precision). `residual` is the largest of the relative residual of the
/// saddle's stationarity in the Psi variables (FB16) and of the two dense solves; the O(1/N^2) remainder
/// of the Laplace expansion (FB3) is not part of any value. Failure modes: an action Hessian that
/// Cholesky does not accept (`notPositiveDefinite`), more coordinates than `maximumCoordinates`.
public struct GeneralDataFluctuations: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notPositiveDefinite
        case tooLarge(coordinates: Int, maximum: Int)
        case rankDeficientWithoutRidge(rank: Int, points: Int)
        case noDominantRoot

        public var description: String {
            switch self {
            case .notPositiveDefinite:
                return "the Hessian of the action at the saddle is not positive definite at working precision: the 1/N expansion does not apply there"
            case .tooLarge(let n, let maximum):
                return "the action's Hessian would have \(n) coordinates (L r(r+1)/2, r the rank of the joint input kernel); at most \(maximum) are supported (use fewer points or features)"
            case .rankDeficientWithoutRidge(let rank, let points):
                return "beta = inf needs a nonsingular training kernel, but it has rank \(rank) < P = \(points); give a finite beta"
            case .noDominantRoot:
                return "the saddle-point equation has no unique dominant root here"
            }
        }
    }

    /// Dense Hessian limit: 3000 coordinates is 72 MB and about 10^10 flops for its Cholesky factor.
    public static let maximumCoordinates = 3000

    public let depth: Int
    public let trainingPoints: Int
    public let testPoints: Int
    /// Rank r of the joint input kernel (the dimension of the Psi variables).
    public let rank: Int
    /// c_l = y^T Phi^l y / |y|^2 at the saddle, l = 1...L (notes/general-kernel-reduction.md (G11)).
    public let overlaps: [Double]
    /// N Var(c_l) (FB19).
    public let overlapVariance: [Double]
    /// N (E c_l - c_l) (FB18).
    public let overlapMeanShift: [Double]
    /// N Var(E[f(x_mu) | Phi]) at each evaluated point (FB20): the part from the kernels.
    public let predictionVarianceFromKernels: [Double]
    /// N Var(f(x_mu)) with the readout's posterior noise (FB20); nil at gamma = 0 with finite beta.
    public let predictionVariance: [Double]?
    /// N Var(tr Phi^L_xx / P) (FB21).
    public let kernelVariance: Double
    /// Largest relative residual: saddle stationarity in Psi (FB16) and the dense solves.
    public let residual: Double

    /// The fluctuations for `problem` (its input kernel is the training block), with the joint input
    /// kernel over the training and `testPoints` test points (training first; the training block
    /// itself when `testPoints` = 0), at the dominant root of the secular equation
    /// (notes/general-kernel-reduction.md (G5)).
    public init(problem: GeneralKernelProblem, jointKernel kernel: [Double], testPoints q: Int) throws {
        let p = problem.count, total = p + q
        precondition(kernel.count == total * total)
        // F with C = F F^T from the eigenvalues above the PSD tolerance (notes/general-kernel-reduction.md (G4')).
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(kernel, n: total) else {
            throw SolverError.notConverged("LAPACK failed on the joint input kernel")
        }
        let largest = max(abs(values.first ?? 0), abs(values.last ?? 0))
        let tolerance = 64 * Double(total) * Double.ulpOfOne * max(largest, .leastNormalMagnitude)
        let kept = (0..<total).filter { values[$0] > tolerance }
        let r = kept.count
        let coordinates = problem.depth * r * (r + 1) / 2
        guard coordinates <= GeneralDataFluctuations.maximumCoordinates else {
            throw Failure.tooLarge(coordinates: coordinates, maximum: GeneralDataFluctuations.maximumCoordinates)
        }
        var f = [Double](repeating: 0, count: total * r)
        for (k, index) in kept.enumerated() {
            let scale = values[index].squareRoot()
            for i in 0..<total { f[i * r + k] = vectors[i * total + index] * scale }
        }
        guard let root = try GeneralKernelSolver().solve(problem).dominant else { throw Failure.noDominantRoot }
        try self.init(factor: f, rank: r, trainingPoints: p, testPoints: q, labels: problem.labels,
                      gammaSquared: problem.gammaSquared, ridge: problem.ridge, depth: problem.depth,
                      kappa: (1...problem.depth).map { root.kappa($0) }, v: root.v)
    }

    /// The fluctuations from a factor F ((P + Q) x r, row-major, C = F F^T) and the saddle's kappa_l
    /// (l = 1...L) and v = (Phi^L_xx + b I)^{-1} y (notes/general-kernel-reduction.md (G4), (G6)).
    public init(factor f: [Double], rank r: Int, trainingPoints p: Int, testPoints q: Int, labels y: [Double],
                gammaSquared g: Double, ridge b: Double, depth: Int, kappa: [Double], v: [Double]) throws {
        let total = p + q
        precondition(f.count == total * r && y.count == p && kappa.count == depth && v.count == p)
        if b == 0 {
            // F_x must have rank P for Phi^L_xx = F_x Psi F_x^T to be invertible.
            let gram = GeneralDataFluctuations.product(f, transposeA: false, f, transposeB: true, m: p, k: r, n: p)
            if LinearAlgebra.cholesky(gram, n: p) == nil { throw Failure.rankDeficientWithoutRidge(rank: min(r, p), points: p) }
        }
        let m = r * (r + 1) / 2, n = depth * m
        guard n <= GeneralDataFluctuations.maximumCoordinates else {
            throw Failure.tooLarge(coordinates: n, maximum: GeneralDataFluctuations.maximumCoordinates)
        }
        self.depth = depth; trainingPoints = p; testPoints = q; rank = r
        let fx = Array(f[0..<(p * r)])
        // (FB16) Psi^l = I + kappa_l z z^T, z = F_x^T v.
        let z = (0..<r).map { a in (0..<p).reduce(0.0) { $0 + fx[$1 * r + a] * v[$1] } }
        let identity = (0..<(r * r)).map { $0 % (r + 1) == 0 ? 1.0 : 0.0 }
        var psi: [[Double]] = [], psiInverse: [[Double]] = []
        for l in 0..<depth {
            var k = identity
            LinearAlgebra.addOuterProduct(&k, kappa[l], z, z, m: r, n: r)
            psi.append(k)
            // (I + kappa z z^T)^{-1} = I - kappa/(1 + kappa |z|^2) z z^T.
            var ki = identity
            LinearAlgebra.addOuterProduct(&ki, -kappa[l] / (1 + kappa[l] * LinearAlgebra.dot(z, z)), z, z, m: r, n: r)
            psiInverse.append(ki)
        }
        // M = (F_x Psi^L F_x^T + b I)^{-1}, Mt = F_x^T M F_x, mt = F_x^T M y (FB17).
        let fxPsi = GeneralDataFluctuations.product(fx, transposeA: false, psi[depth - 1], transposeB: false, m: p, k: r, n: r)
        var phiXX = GeneralDataFluctuations.product(fxPsi, transposeA: false, fx, transposeB: true, m: p, k: r, n: p)
        for i in 0..<p { phiXX[i * p + i] += b }
        guard let mInverse = LinearAlgebra.inverseSPD(phiXX, n: p) else { throw Failure.rankDeficientWithoutRidge(rank: min(r, p), points: p) }
        let mFx = GeneralDataFluctuations.product(mInverse, transposeA: false, fx, transposeB: false, m: p, k: p, n: r)
        let mt = GeneralDataFluctuations.product(fx, transposeA: true, mFx, transposeB: false, m: r, k: p, n: r)
        let my = LinearAlgebra.multiply(mInverse, vector: y, m: p, n: p)
        let mtVector = (0..<r).map { a in (0..<p).reduce(0.0) { $0 + fx[$1 * r + a] * my[$1] } }
        let mm = (0..<(r * r)).map { mtVector[$0 / r] * mtVector[$0 % r] }

        // Coordinates: (layer, i <= j), index layer * m + position(i, j).
        var pairs: [(Int, Int)] = []
        pairs.reserveCapacity(m)
        var position = [Int](repeating: 0, count: r * r)
        for i in 0..<r { for j in i..<r { position[i * r + j] = pairs.count; position[j * r + i] = pairs.count; pairs.append((i, j)) } }

        // tr(A E_i B E_j) for symmetric A, B and E_i = e_a e_b^T (+ e_b e_a^T when a != b) (FB17).
        func form(_ a: [Double], _ bm: [Double], _ i: Int, _ j: Int) -> Double {
            let (pp, qq) = pairs[i], (rr, ss) = pairs[j]
            var t = a[ss * r + pp] * bm[qq * r + rr]
            if rr != ss { t += a[rr * r + pp] * bm[qq * r + ss] }
            if pp != qq {
                t += a[ss * r + qq] * bm[pp * r + rr]
                if rr != ss { t += a[rr * r + qq] * bm[pp * r + ss] }
            }
            return t
        }
        func product(_ a: [Double], _ bm: [Double]) -> [Double] {
            GeneralDataFluctuations.product(a, transposeA: false, bm, transposeB: false, m: r, k: r, n: r)
        }

        // (FB17) H = -grad^2 A on the coordinates.
        var h = [Double](repeating: 0, count: n * n)
        let last = depth - 1
        let lastInverse = psiInverse[last]
        for i in 0..<m {
            for j in i..<m {
                let value = 0.5 * form(lastInverse, lastInverse, i, j) + 0.5 * g * (form(mm, mt, i, j) + form(mt, mm, i, j))
                h[(last * m + i) * n + last * m + j] += value
            }
        }
        for l in 1..<max(depth, 1) where l < depth {
            // Layers (l - 1, l) in zero-based indexing: Y = Psi^{l-1}, Z = Psi^l, G = Y^{-1} Z Y^{-1}.
            let yi = psiInverse[l - 1]
            let gm = product(product(yi, psi[l]), yi)
            let base = (l - 1) * m, next = l * m
            for i in 0..<m {
                for j in i..<m { h[(base + i) * n + base + j] += 0.5 * (form(gm, yi, i, j) + form(yi, gm, i, j)) }
                for j in 0..<m { h[(base + i) * n + next + j] -= 0.5 * form(yi, yi, i, j) }
            }
        }
        for i in 0..<n { for j in 0..<i { h[i * n + j] = h[j * n + i] } }
        guard let hInverse = LinearAlgebra.inverseSPD(h, n: n) else { throw Failure.notPositiveDefinite }

        // W^{ab}(A)_{pt} = sum_{q,s} A_qs Cov(V_a[p,q], V_b[s,t]) with Cov = H^{-1} (FB18).
        func w(_ a: Int, _ bLayer: Int, _ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: r * r)
            hInverse.withUnsafeBufferPointer { hi in
                for pIndex in 0..<r {
                    for qIndex in 0..<r {
                        let row = (a * m + position[pIndex * r + qIndex]) * n + bLayer * m
                        for sIndex in 0..<r {
                            let xs = x[qIndex * r + sIndex]
                            if xs == 0 { continue }
                            for tIndex in 0..<r { out[pIndex * r + tIndex] += xs * hi[row + position[sIndex * r + tIndex]] }
                        }
                    }
                }
            }
            return out
        }
        // Matrix gradients K_l (d f = sum_l tr(dPsi^l K_l)) to coordinates.
        func coordinates(_ k: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            for l in 0..<depth where !k[l].isEmpty {
                for (index, (a, c)) in pairs.enumerated() {
                    out[l * m + index] = a == c ? k[l][a * r + a] : k[l][a * r + c] + k[l][c * r + a]
                }
            }
            return out
        }
        func add(_ x: inout [Double], _ y: [Double], _ scale: Double = 1) { for i in x.indices { x[i] += scale * y[i] } }

        // grad Q, Q(x) = tr(H^{-1} grad^2 A(x)) (FB18).
        var kq = [[Double]](repeating: [Double](repeating: 0, count: r * r), count: depth)
        add(&kq[last], product(product(lastInverse, w(last, last, lastInverse)), lastInverse))
        add(&kq[last], product(product(mt, w(last, last, mt)), mm), g)
        add(&kq[last], product(product(mt, w(last, last, mm)), mt), g)
        add(&kq[last], product(product(mm, w(last, last, mt)), mt), g)
        for l in 1..<max(depth, 1) where l < depth {
            let yi = psiInverse[l - 1]
            let gm = product(product(yi, psi[l]), yi)
            let wy = w(l - 1, l - 1, yi)
            add(&kq[l], product(product(yi, wy), yi), -1)
            add(&kq[l - 1], product(product(yi, wy), gm))
            add(&kq[l - 1], product(product(yi, w(l - 1, l - 1, gm)), yi))
            add(&kq[l - 1], product(product(gm, wy), yi))
            add(&kq[l - 1], product(product(yi, w(l - 1, l, yi)), yi), -1)
            add(&kq[l - 1], product(product(yi, w(l, l - 1, yi)), yi), -1)
        }
        // grad B (FB1): -(r + 1)/2 Psi^{-1} per layer, -1/2 Mt at the last.
        var kb = [[Double]](repeating: [Double](repeating: 0, count: r * r), count: depth)
        for l in 0..<depth { add(&kb[l], psiInverse[l], -Double(r + 1) / 2) }
        add(&kb[last], mt, -0.5)
        var rhs = coordinates(kb)
        add(&rhs, coordinates(kq), 0.5)
        let shift = LinearAlgebra.multiply(hInverse, vector: rhs, m: n, n: n)

        // Residuals: the dense solve (|H s - rhs| / (|H| |s| + |rhs|)) and the saddle's stationarity (FB16).
        let back = LinearAlgebra.multiply(h, vector: shift, m: n, n: n)
        let hNorm = h.reduce(0.0) { max($0, abs($1)) } * Double(n)
        var solveResidual = 0.0
        let sNorm = shift.reduce(0.0) { max($0, abs($1)) }, rNorm = rhs.reduce(0.0) { max($0, abs($1)) }
        for i in 0..<n { solveResidual = max(solveResidual, abs(back[i] - rhs[i]) / max(hNorm * sNorm + rNorm, .leastNormalMagnitude)) }
        var stationarity = 0.0, scale = 0.0
        for l in 0..<depth {
            // grad A: -1/2 Psi_{l-1}^{-1} + 1/2 Psi_l^{-1} Psi_{l+1} Psi_l^{-1} (l < L);
            // 1/2 Psi_L^{-1} - 1/2 Psi_{L-1}^{-1} + g/2 mt mt^T (l = L); Psi^0 = I.
            let previous = l == 0 ? identity : psiInverse[l - 1]
            var gradient = previous.map { -0.5 * $0 }
            let positive: [Double]
            if l < last {
                positive = product(product(psiInverse[l], psi[l + 1]), psiInverse[l]).map { 0.5 * $0 }
            } else {
                positive = zip(lastInverse, mm).map { 0.5 * $0 + 0.5 * g * $1 }
            }
            add(&gradient, positive)
            stationarity = max(stationarity, gradient.reduce(0.0) { max($0, abs($1)) })
            scale = max(scale, positive.reduce(0.0) { max($0, abs($1)) })
        }
        residual = max(solveResidual, stationarity / max(scale, .leastNormalMagnitude))

        func variance(_ gradient: [Double]) -> Double {
            LinearAlgebra.dot(gradient, LinearAlgebra.multiply(hInverse, vector: gradient, m: n, n: n))
        }
        func layerGradient(_ layer: Int, _ k: [Double]) -> [Double] {
            var ks = [[Double]](repeating: [], count: depth)
            ks[layer] = k
            return coordinates(ks)
        }

        // (FB19) overlaps: c_l = w^T Psi^l w / |y|^2, w = F_x^T y.
        let yNorm = LinearAlgebra.dot(y, y)
        let wy = (0..<r).map { a in (0..<p).reduce(0.0) { $0 + fx[$1 * r + a] * y[$1] } }
        let ww = (0..<(r * r)).map { wy[$0 / r] * wy[$0 % r] / yNorm }
        var c: [Double] = [], cVariance: [Double] = [], cShift: [Double] = []
        for l in 0..<depth {
            let gradient = layerGradient(l, ww)
            c.append(LinearAlgebra.dot(ww, psi[l]))
            cVariance.append(variance(gradient))
            cShift.append(LinearAlgebra.dot(gradient, shift))
        }
        overlaps = c; overlapVariance = cVariance; overlapMeanShift = cShift

        // (FB20) predictions at the test points (training points without a test set).
        let evaluated = q > 0 ? Array(p..<total) : Array(0..<p)
        let zv = (0..<r).map { a in (0..<p).reduce(0.0) { $0 + fx[$1 * r + a] * my[$1] } }   // F_x^T M y
        var fromKernels: [Double] = [], noise: [Double] = []
        for mu in evaluated {
            let fm = Array(f[(mu * r)..<((mu + 1) * r)])
            let fmPsi = (0..<r).map { a in (0..<r).reduce(0.0) { $0 + fm[$1] * psi[last][$1 * r + a] } }
            let cross = (0..<p).map { i in (0..<r).reduce(0.0) { $0 + fx[i * r + $1] * fmPsi[$1] } }   // Phi^L_{x, mu}
            let a = LinearAlgebra.multiply(mInverse, vector: cross, m: p, n: p)
            let u = (0..<r).map { k in fm[k] - (0..<p).reduce(0.0) { $0 + fx[$1 * r + k] * a[$1] } }
            let k = (0..<(r * r)).map { zv[$0 / r] * u[$0 % r] }
            fromKernels.append(variance(layerGradient(last, k)))
            let diagonal = LinearAlgebra.dot(fmPsi, fm)
            noise.append(max(diagonal - LinearAlgebra.dot(cross, a), 0))
        }
        predictionVarianceFromKernels = fromKernels
        if b == 0 && q == 0 {
            predictionVariance = fromKernels
        } else if g == 0 {
            predictionVariance = nil
        } else {
            predictionVariance = zip(fromKernels, noise).map { $0 + $1 / g }
        }
        // (FB21) tr Phi^L_xx / P = tr(F_x^T F_x Psi^L) / P.
        let gram = GeneralDataFluctuations.product(fx, transposeA: true, fx, transposeB: false, m: r, k: p, n: r).map { $0 / Double(p) }
        kernelVariance = variance(layerGradient(last, gram))
    }

    /// Row-major product op(A) op(B), op(A) m x k, op(B) k x n.
    static func product(_ a: [Double], transposeA: Bool, _ b: [Double], transposeB: Bool, m: Int, k: Int, n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for l in 0..<k {
                let ail = transposeA ? a[l * m + i] : a[i * k + l]
                if ail == 0 { continue }
                for j in 0..<n { out[i * n + j] += ail * (transposeB ? b[j * k + l] : b[l * n + j]) }
            }
        }
        return out
    }
}
