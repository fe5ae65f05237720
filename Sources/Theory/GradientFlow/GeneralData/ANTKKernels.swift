import Foundation
import Core
import Numerics

/// Final kernels of the deep linear aNTK at a fixed point (notes/antk-deep-linear.md (A6), (A7)) and
/// the predictor on test points. Matrices are row-major.
public struct ANTKKernels: Sendable {
    public let depth: Int
    public let lambda: Double
    public let a: Double
    /// E = (lambda a)^{1/L} (A8).
    public let layerNorm: Double
    /// s = Delta^T C Delta; v = C Delta; Delta = (I + a C)^{-1} y.
    public let s: Double
    public let v: [Double]
    public let delta: [Double]
    public let inputKernel: [Double]

    init(_ problem: GeneralANTKProblem, _ state: ANTKState) {
        depth = problem.depth
        lambda = problem.lambda
        a = state.a
        layerNorm = state.layerNorm
        s = state.s
        v = state.v
        delta = state.delta
        inputKernel = problem.kernel
    }

    var count: Int { v.count }

    /// Phi^l = (E^l/s) v v^T for l = 1..L (A6); Phi^0 = C. Zero at collapse.
    public func featureKernel(layer l: Int) -> [Double] {
        precondition(l >= 0 && l <= depth)
        if l == 0 { return inputKernel }
        guard a > 0 else { return [Double](repeating: 0, count: count * count) }
        let scale = pow(layerNorm, Double(l)) / s
        return v.flatMap { x in v.map { scale * x * $0 } }
    }

    /// Train-test feature kernel Phi^l(x*, X) = (E^l/s) v* v^T, v* = C* Delta (A6 with a test row:
    /// by (A4) h^l(x*) = (C* Delta)_* r^l exactly as for a training point); Q x P, testKernel is C(x*, X).
    /// l = 0 gives C* itself; zero at collapse for l >= 1.
    public func testFeatureKernel(layer l: Int, testKernel: [Double]) -> [Double] {
        precondition(l >= 0 && l <= depth)
        if l == 0 { return testKernel }
        let q = testKernel.count / max(count, 1)
        guard a > 0 else { return [Double](repeating: 0, count: q * count) }
        let vStar = LinearAlgebra.multiply(testKernel, delta, m: q, k: count, n: 1)
        let scale = pow(layerNorm, Double(l)) / s
        return vStar.flatMap { x in v.map { scale * x * $0 } }
    }

    /// G^l = E^{L+1−l} 1 1^T (A6): every entry equals this value; G^{L+1} = 1.
    public func gradientKernelEntry(layer l: Int) -> Double {
        precondition(l >= 1 && l <= depth + 1)
        return l == depth + 1 ? 1 : (a > 0 ? pow(layerNorm, Double(depth + 1 - l)) : 0)
    }

    /// K = sum_{l=0}^{L} G^{l+1} (.) Phi^l = lambda a (C + (L/s) v v^T) (A7).
    public var ntk: [Double] {
        guard a > 0 else { return [Double](repeating: 0, count: count * count) }
        let scale = Double(depth) / s
        return (0..<count * count).map { lambda * a * (inputKernel[$0] + scale * v[$0 / count] * v[$0 % count]) }
    }

    func ntkTimes(_ x: [Double]) -> [Double] {
        let k = ntk
        return (0..<count).map { mu in (0..<count).reduce(0) { $0 + k[mu * count + $1] * x[$1] } }
    }

    /// Train-test NTK K(x*, X) = lambda a (C* + (L/s) v* v^T), v* = C* Delta (A7 with one test row);
    /// testKernel is Q x P with entries x*_q . x_mu / D.
    public func testNTK(testKernel: [Double]) -> [Double] {
        let q = testKernel.count / max(count, 1)
        let vStar = LinearAlgebra.multiply(testKernel, delta, m: q, k: count, n: 1)
        guard a > 0 else { return [Double](repeating: 0, count: q * count) }
        let scale = Double(depth) / s
        return (0..<q * count).map { lambda * a * (testKernel[$0] + scale * vStar[$0 / count] * v[$0 % count]) }
    }

    /// f(x*) = K(x*, X) Delta / (lambda (L+1)) (A7) = a C* Delta for the linear network.
    public func predict(testKernel: [Double]) -> [Double] {
        let q = testKernel.count / max(count, 1)
        guard a > 0 else { return [Double](repeating: 0, count: q) }
        let k = testNTK(testKernel: testKernel)
        return LinearAlgebra.multiply(k, delta, m: q, k: count, n: 1).map { $0 / (lambda * Double(depth + 1)) }
    }
}

/// Test loss (mean squared error) and the lazy NTK baseline. The lazy deep-linear NTK is (L+1) C
/// (A29: Psi'(0) = L+1); its ridgeless kernel regression predicts C* C^+ y, independent of L.
public enum ANTKPredictors {
    public static func meanSquaredError(_ prediction: [Double], _ target: [Double]) -> Double {
        precondition(prediction.count == target.count && !target.isEmpty)
        return zip(prediction, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(target.count)
    }

    /// Ridgeless lazy-NTK predictor C* C^+ y (pseudo-inverse with relative cutoff 1e-12).
    public static func lazyNTK(kernel: [Double], labels: [Double], testKernel: [Double]) throws -> [Double] {
        let p = labels.count
        guard let eigen = LinearAlgebra.symmetricEigen(kernel, n: p) else { throw SolverError.notConverged("LAPACK dsyevd failed on C") }
        let top = eigen.values.map(abs).max() ?? 0
        var coefficients = [Double](repeating: 0, count: p)   // C^+ y
        for i in 0..<p where eigen.values[i] > 1e-12 * top {
            let projection = (0..<p).reduce(0.0) { $0 + eigen.vectors[$1 * p + i] * labels[$1] } / eigen.values[i]
            for mu in 0..<p { coefficients[mu] += eigen.vectors[mu * p + i] * projection }
        }
        return LinearAlgebra.multiply(testKernel, coefficients, m: testKernel.count / p, k: p, n: 1)
    }
}
