/// Time integration of a gradient flow with weight decay (notes/verify-antk.md, "Discretization"):
/// forward Euler with step dt up to `maximumTime`; every `checkInterval` steps the RMS velocity of
/// the state is measured, and the run stops early once it is below `tolerance` (stationary).
public struct ANTKFlowSettings: Sendable, Equatable {
    public var timeStep: Double
    public var maximumTime: Double
    public var tolerance: Double
    public var checkInterval: Int

    public init(timeStep: Double, maximumTime: Double, tolerance: Double = 1e-9, checkInterval: Int = 25) {
        self.timeStep = timeStep
        self.maximumTime = maximumTime
        self.tolerance = tolerance
        self.checkInterval = checkInterval
    }

    public var stepBudget: Int { Int((maximumTime / timeStep).rounded(.up)) }

    /// The same run with dt halved (the discretization-error estimate).
    public var halved: ANTKFlowSettings {
        ANTKFlowSettings(timeStep: timeStep / 2, maximumTime: maximumTime, tolerance: tolerance, checkInterval: checkInterval * 2)
    }
}

/// End state of one run (finite network or DMFT population), over all n = P + Q points.
public struct ANTKFlowResult: Sendable {
    /// f on all points, training first.
    public let predictions: [Double]
    /// f one check earlier (checkInterval steps before the end): |change| is the drift estimate.
    public let previousPredictions: [Double]
    public let time: Double
    public let steps: Int
    /// RMS velocity |d theta/dt| / sqrt(#parameters) at the end.
    public let residual: Double
    /// Euclidean |d theta/dt| at the end, and the number of neurons (width or population size) it refers to.
    public let velocityNorm: Double
    /// Euclidean |theta| (weights, or the population's h and z) at the end.
    public let stateNorm: Double
    public let neurons: Int
    public let stationary: Bool
    /// |W^l|_F^2 / N for l = 0..L (for the population: <h^2>-type second moments are in `featureKernels`).
    public let layerNorms: [Double]
    /// Phi^l = phi(h^l).phi(h^l)/N over all points (n x n), l = 1..L.
    public let featureKernels: [[Double]]
    /// G^l = g^l.g^l/N over all points (n x n), l = 1..L (G^{L+1} = 1).
    public let gradientKernels: [[Double]]
    /// Adapted NTK K = sum_{l=0}^{L} G^{l+1} (.) Phi^l over all points (n x n).
    public let ntk: [Double]
    public let trainCount: Int

    public var count: Int { predictions.count }
    /// Distance-to-fixed-point estimate relative to |theta|: |d theta/dt| / (lambda |theta|), lambda
    /// being the slowest decay rate of the weight-decay flow away from zero modes (A22).
    public func relativeDistance(lambda: Double) -> Double { velocityNorm / (max(lambda, 1e-300) * max(stateNorm, 1e-300)) }

    public var drift: Double { zip(predictions, previousPredictions).map { abs($0 - $1) }.max() ?? 0 }
}
