import Foundation
import Core
import Numerics

/// The two plateaus of the mean predictor and the two time scales (notes/neural-dynamical-kernel.md
/// (NK9), (NK13), (NK14)), and the long-time limit of representational drift (NK16). Approximate
/// (double precision); `ntkResidual`/`nngpResidual` are the residuals of the linear solves.
public struct NDKEquilibria: Sendable {
    /// NTK equilibrium theta(x)^T Theta^{-1} y on training and test points (T -> 0, weight variance
    /// sigma_0^2; modes of Theta below 1e-12 mu_max are not learned) (NK9).
    public let ntkTrain: [Double]
    public let ntkTest: [Double]
    /// NNGP equilibrium k(x)^T (K + T I)^{-1} y (weight variance sigma^2) (NK13).
    public let nngpTrain: [Double]
    public let nngpTest: [Double]
    /// Eigenvalues of the training NTK block, ascending.
    public let ntkEigenvalues: [Double]
    /// tau_gradient = 1/mu_min, the fastest gradient time 1/mu_max and tau_diffusive = sigma^2/T (NK14).
    public let gradientTime: Double
    public let fastestGradientTime: Double
    public let diffusiveTime: Double
    /// fbar_drift(x; inf) for t0 in equilibrium (NK16), training and test points.
    public let driftLimitTrain: [Double]
    public let driftLimitTest: [Double]
    public let nngpResidual: Double

    /// The log-axis midpoint sqrt(tau_gradient tau_diffusive) that separates the phases (NK14).
    public var phaseBoundary: Double { (gradientTime * diffusiveTime).squareRoot() }

    public init(setting: NDKSetting, inputs: NDKInputs) throws {
        let kernel = NDKKernel(setting: setting)
        let p = inputs.trainCount, q = inputs.testCount, y = inputs.labels
        let norms = inputs.trainDiagonal
        let (ntk, _) = kernel.staticKernels(gram: inputs.trainGram, rows: p, columns: p, rowNorms: norms, columnNorms: norms, variance: setting.initVariance)
        let (ntkCross, _) = kernel.staticKernels(gram: inputs.crossGram, rows: q, columns: p, rowNorms: inputs.testDiagonal, columnNorms: norms, variance: setting.initVariance)
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(ntk, n: p) else { throw SolverError.degenerate("the NTK eigensolver failed") }
        let top = values.last ?? 0
        guard top > 0 else { throw SolverError.degenerate("the NTK of the training inputs vanishes") }
        // alpha = sum over learned modes v (v . y) / mu
        var alpha = [Double](repeating: 0, count: p)
        var smallest = top
        for k in 0..<p where values[k] > 1e-12 * top {
            smallest = min(smallest, values[k])
            var proj = 0.0
            for a in 0..<p { proj += vectors[a * p + k] * y[a] }
            for a in 0..<p { alpha[a] += vectors[a * p + k] * proj / values[k] }
        }
        ntkTrain = LinearAlgebra.multiply(ntk, vector: alpha, m: p, n: p)
        ntkTest = q > 0 ? LinearAlgebra.multiply(ntkCross, vector: alpha, m: q, n: p) : []
        ntkEigenvalues = values
        gradientTime = 1 / smallest; fastestGradientTime = 1 / top; diffusiveTime = setting.priorVariance / setting.temperature

        let (_, nngp) = kernel.staticKernels(gram: inputs.trainGram, rows: p, columns: p, rowNorms: norms, columnNorms: norms, variance: setting.priorVariance)
        let (_, nngpCross) = kernel.staticKernels(gram: inputs.crossGram, rows: q, columns: p, rowNorms: inputs.testDiagonal, columnNorms: norms, variance: setting.priorVariance)
        var regularized = nngp
        for a in 0..<p { regularized[a * p + a] += setting.temperature }
        guard let beta = LinearAlgebra.solvePositiveDefinite(regularized, y, n: p, rightHandSides: 1) else {
            throw SolverError.degenerate("K_NNGP + T I is not positive definite")
        }
        let back = LinearAlgebra.multiply(regularized, vector: beta, m: p, n: p)
        nngpResidual = zip(back, y).map { abs($0 - $1) }.max() ?? 0
        nngpTrain = LinearAlgebra.multiply(nngp, vector: beta, m: p, n: p)
        nngpTest = q > 0 ? LinearAlgebra.multiply(nngpCross, vector: beta, m: q, n: p) : []

        // (NK16): sigma^2 m(x) sum_mu m(x_mu) beta_mu
        let mTrain = norms.map { kernel.meanActivation(norm: $0, variance: setting.priorVariance) }
        let mTest = inputs.testDiagonal.map { kernel.meanActivation(norm: $0, variance: setting.priorVariance) }
        let overlap = zip(mTrain, beta).reduce(0) { $0 + $1.0 * $1.1 }
        driftLimitTrain = mTrain.map { setting.priorVariance * $0 * overlap }
        driftLimitTest = mTest.map { setting.priorVariance * $0 * overlap }
    }
}
