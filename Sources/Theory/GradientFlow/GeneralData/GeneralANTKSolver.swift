import Foundation
import Core
import Numerics

/// Deep linear aNTK on general data at working (Double) precision: input kernel C (P x P,
/// row-major, symmetric positive semidefinite) and labels y. notes/antk-deep-linear.md (A11), (A24), (A25).
public struct GeneralANTKProblem: Sendable {
    public let kernel: [Double]
    public let labels: [Double]
    public let count: Int
    public let gamma: Double
    public let lambda: Double
    public let depth: Int

    public init(kernel: [Double], labels: [Double], gamma: Double, lambda: Double, depth: Int) throws {
        let p = labels.count
        if let defect = KernelMatrixCheck.defect(kernel: kernel, labels: labels, relativeSymmetry: 1e-10) {
            throw ANTKInputError.invalidData(defect.description)
        }
        guard gamma.isFinite, gamma >= 0 else { throw ANTKInputError.negativeGamma("\(gamma)") }
        guard lambda.isFinite, lambda > 0 else { throw ANTKInputError.nonPositiveLambda("\(lambda)") }
        guard depth >= 1 && depth <= GeneralANTKSolver.maximumDepth else {
            throw ANTKInputError.depthOutOfRange(depth, maximum: GeneralANTKSolver.maximumDepth)
        }
        self.kernel = kernel
        self.labels = labels
        self.count = p
        self.gamma = gamma
        self.lambda = lambda
        self.depth = depth
    }
}

/// One fixed point at working precision. a = 0 is collapse.
public struct GeneralANTKFixedPoint: Sendable {
    /// f = a C Delta, Delta = (I + a C)^{-1} y (A8).
    public let a: Double
    /// f.y / |y|^2.
    public let fDotY: Double
    /// E = (lambda a)^{1/L}: per-neuron squared norm of every layer (A5), (A8).
    public let layerNorm: Double
    /// s = Delta^T C Delta (A4).
    public let s: Double
    /// d ln H / d ln a at the root (A24): negative = stable. For collapse: the largest Jacobian
    /// eigenvalue, −lambda (L >= 2) or gamma sqrt(y^T C y) − lambda (L = 1) (A26).
    public let stabilityExponent: Double
    public let stable: Bool
    /// |k s E^{L−1} − 1| (A8), relative residual of the fixed-point condition.
    public let equationResidual: Double
    /// max_mu |f − K Delta/(lambda (L+1))| (A7).
    public let predictorResidual: Double
    public var isCollapse: Bool { a == 0 }
}

/// The eigen-decomposition of C with y's projections, which the secular equation (A11) uses.
struct SpectralData {
    let eigenvalues: [Double]     // c_i, ascending
    let vectors: [Double]         // row-major, columns are eigenvectors
    let projections: [Double]     // p_i = e_i . y
    let weights: [Double]         // w_i = c_i p_i^2 for the retained (c_i > 0, p_i != 0) modes
    let retained: [Double]        // the c_i of those modes

    init(_ problem: GeneralANTKProblem) throws {
        let p = problem.count
        guard let eigen = LinearAlgebra.symmetricEigen(problem.kernel, n: p) else {
            throw SolverError.notConverged("LAPACK dsyevd failed on C")
        }
        eigenvalues = eigen.values
        vectors = eigen.vectors
        projections = (0..<p).map { i in (0..<p).reduce(0.0) { $0 + eigen.vectors[$1 * p + i] * problem.labels[$1] } }
        let top = eigen.values.map(abs).max() ?? 0
        guard eigen.values.allSatisfy({ $0 >= -1e-10 * max(top, 1e-300) }) else {
            throw ANTKInputError.invalidData("C is not positive semidefinite (eigenvalue \(eigen.values.min()!))")
        }
        var w: [Double] = [], c: [Double] = []
        for i in 0..<p where eigen.values[i] > 1e-13 * top && projections[i] != 0 {
            w.append(eigen.values[i] * projections[i] * projections[i])
            c.append(eigen.values[i])
        }
        weights = w
        retained = c
    }

    /// s(a) = sum_i w_i/(1 + a c_i)^2 (A11).
    func s(_ a: Double) -> Double { zip(weights, retained).reduce(0) { $0 + $1.0 / ((1 + a * $1.1) * (1 + a * $1.1)) } }

    /// d ln H / d ln a = (L−1) − 2L a sum_i w_i c_i/(1 + a c_i)^3 / s(a) (A24).
    func logSlope(_ a: Double, depth l: Int) -> Double {
        let t = zip(weights, retained).reduce(0) { $0 + $1.0 * $1.1 / pow(1 + a * $1.1, 3) }
        return Double(l - 1) - 2 * Double(l) * a * t / s(a)
    }
}

/// All fixed points of the general-C problem at working precision (A11), (A24), (A26).
///
/// Roots of ln H(a) = 2L ln gamma + (L−1) ln a + L ln s(a) − (L+1) ln lambda in t = ln a. Since
/// s(a) <= s(0) and s(a) <= sum p_i^2/(c_i a^2), H < e^{-5} outside [t_lo, t_hi] (chosen from those
/// bounds), so every root lies inside. The critical points of ln H (zeros of (A24)'s slope, the
/// saddle-node condition of (A25)) are located on a grid of `gridStep` in t and by bisection; ln H
/// is monotone between them, so each sign change is one root, found by bisection. Working precision:
/// a pair of critical points closer than the grid step (a near-tangency) can be missed.
public struct GeneralANTKSolver: Sendable {
    /// The data path keeps per-layer kernels (L + 1 matrices): its depth stays bounded.
    public static let maximumDepth = 100_000

    public var gridStep = 0.005

    public init() {}

    public func solve(_ problem: GeneralANTKProblem) throws -> [GeneralANTKFixedPoint] {
        let spectral = try SpectralData(problem)
        let l = problem.depth
        let yCy = spectral.weights.reduce(0, +)
        // Collapse (A26).
        let collapseExponent = l >= 2 ? -problem.lambda : problem.gamma * sqrt(yCy) - problem.lambda
        var points = [GeneralANTKFixedPoint(a: 0, fDotY: 0, layerNorm: 0, s: yCy, stabilityExponent: collapseExponent,
                                            stable: collapseExponent < 0, equationResidual: 0, predictorResidual: 0)]
        guard problem.gamma > 0, !spectral.weights.isEmpty else { return points }
        let lnConstant = 2 * Double(l) * log(problem.gamma) - Double(l + 1) * log(problem.lambda)
        func lnH(_ t: Double) -> Double { lnConstant + Double(l - 1) * t + Double(l) * log(spectral.s(exp(t))) }
        func slope(_ t: Double) -> Double { spectral.logSlope(exp(t), depth: l) }
        let cMax = spectral.retained.max()!, cMin = spectral.retained.min()!
        let sInfinity = zip(spectral.weights, spectral.retained).reduce(0) { $0 + $1.0 / ($1.1 * $1.1) }
        let small = lnConstant + Double(l) * log(yCy)           // ln H <= small + (L−1) t
        let large = lnConstant + Double(l) * log(sInfinity)     // ln H <= large − (L+1) t
        var tLow = -log(cMax) - 20, tHigh = -log(cMin) + 20
        if l >= 2 { tLow = min(tLow, (-5 - small) / Double(l - 1)) }
        else if small <= 0 { return points }                     // L = 1: H decreasing from gamma^2 yCy/lambda^2 (A10)
        else { tLow = min(tLow, -log(cMax) - 40 - small) }
        tHigh = max(tHigh, (large + 5) / Double(l + 1))
        guard tLow.isFinite, tHigh.isFinite, tHigh - tLow < 1e5 else { throw SolverError.notConverged("search range for a not finite") }
        // Critical points of ln H on the grid.
        let steps = Int(((tHigh - tLow) / gridStep).rounded(.up))
        var boundaries = [tLow]
        var previous = slope(tLow)
        for k in 1...steps {
            let t = tLow + Double(k) * (tHigh - tLow) / Double(steps)
            let current = slope(t)
            if (previous > 0) != (current > 0) {
                boundaries.append(bisect(slope, t - (tHigh - tLow) / Double(steps), t))
            }
            previous = current
        }
        boundaries.append(tHigh)
        for (left, right) in zip(boundaries, boundaries.dropFirst()) where right > left {
            let fl = lnH(left), fr = lnH(right)
            for critical in [left, right] where critical != tLow && critical != tHigh && abs(lnH(critical)) < 1e-10 {
                throw SolverError.degenerate("ln H = \(lnH(critical)) at a critical point a = \(exp(critical)): a saddle node to working precision")
            }
            guard (fl > 0) != (fr > 0) else { continue }
            let t = bisect(lnH, left, right)
            points.append(fixedPoint(problem, spectral, a: exp(t), logSlope: slope(t)))
        }
        return points
    }

    func fixedPoint(_ problem: GeneralANTKProblem, _ spectral: SpectralData, a: Double, logSlope: Double) -> GeneralANTKFixedPoint {
        let l = Double(problem.depth)
        let state = ANTKState(problem, spectral, a: a)
        let k = (problem.gamma / problem.lambda) * (problem.gamma / problem.lambda)
        let residual = abs(k * state.s * pow(state.layerNorm, l - 1) - 1)   // (A8)
        let yNorm = problem.labels.reduce(0) { $0 + $1 * $1 }
        let fDotY = zip(state.f, problem.labels).reduce(0) { $0 + $1.0 * $1.1 } / yNorm
        let kDelta = ANTKKernels(problem, state).ntkTimes(state.delta)
        let predictorResidual = zip(state.f, kDelta).map { abs($0 - $1 / (problem.lambda * (l + 1))) }.max() ?? 0   // (A7)
        return GeneralANTKFixedPoint(a: a, fDotY: fDotY, layerNorm: state.layerNorm, s: state.s, stabilityExponent: logSlope,
                                     stable: logSlope < 0, equationResidual: residual, predictorResidual: predictorResidual)
    }

    /// Bisection to the last bit for a function whose sign differs at the ends.
    func bisect(_ f: (Double) -> Double, _ low: Double, _ high: Double) -> Double {
        var lo = low, hi = high
        let signLow = f(lo) > 0
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { break }
            if (f(mid) > 0) == signLow { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// Kernels and predictor at a fixed point (A6), (A7).
    public func kernels(_ problem: GeneralANTKProblem, at point: GeneralANTKFixedPoint) throws -> ANTKKernels {
        ANTKKernels(problem, ANTKState(problem, try SpectralData(problem), a: point.a))
    }
}

/// Delta, f, v = C Delta, s and E at a given a (A4), (A8).
struct ANTKState {
    let a: Double
    let delta: [Double]
    let v: [Double]
    let f: [Double]
    let s: Double
    let layerNorm: Double

    init(_ problem: GeneralANTKProblem, _ spectral: SpectralData, a: Double) {
        let p = problem.count
        // Delta = (I + a C)^{-1} y and v = C Delta in the eigenbasis of C.
        var delta = [Double](repeating: 0, count: p), v = delta
        for i in 0..<p {
            let c = max(spectral.eigenvalues[i], 0)
            let coefficient = spectral.projections[i] / (1 + a * c)
            for mu in 0..<p {
                delta[mu] += spectral.vectors[mu * p + i] * coefficient
                v[mu] += spectral.vectors[mu * p + i] * coefficient * c
            }
        }
        self.a = a
        self.delta = delta
        self.v = v
        self.f = v.map { a * $0 }
        self.s = zip(v, delta).reduce(0) { $0 + $1.0 * $1.1 }
        self.layerNorm = a > 0 ? pow(problem.lambda * a, 1 / Double(problem.depth)) : 0
    }
}
