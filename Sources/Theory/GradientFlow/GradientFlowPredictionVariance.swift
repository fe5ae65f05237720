import Foundation

/// N Var of a prediction along gradient flow = initial/gamma^2 + kernel (notes/fluctuations-gradient-flow.md (FG8)), per
/// output time, in either kind of number of `GradientFlowSeries`.
public struct GradientFlowPredictionVariance<Scalar: GradientFlowScalar>: Sendable {
    /// The coefficient of 1/gamma^2: the initial predictions' variance propagated along the flow.
    public let initial: GradientFlowSeries<Scalar>
    /// The part from the fluctuations of the initial kernels (H^T H/N and |w|^2/N).
    public let kernel: GradientFlowSeries<Scalar>
    /// initial/gamma^2 + kernel; nil at gamma = 0 (unbounded).
    public let total: GradientFlowSeries<Scalar>?
}

extension GradientFlowPredictionVariance where Scalar == Double {
    /// (FG8) The total initial/gamma^2 + kernel, its residual the same combination of the parts' residuals; nil at gamma = 0.
    init(initial: GradientFlowSeries<Double>, kernel: GradientFlowSeries<Double>, gamma: Double) {
        self.initial = initial
        self.kernel = kernel
        guard gamma > 0 else { total = nil; return }
        let g2 = gamma * gamma
        total = GradientFlowSeries(values: zip(initial.values, kernel.values).map { $0 / g2 + $1 },
                                   residuals: zip(initial.residuals, kernel.residuals).map { $0 / g2 + $1 })
    }
}
