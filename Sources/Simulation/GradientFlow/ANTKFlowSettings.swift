import Foundation
import Core

/// Time integration of a gradient flow with weight decay (notes/verify-antk.md, "Discretization"):
/// forward Euler with step dt up to `maximumTime`; every `checkInterval` steps the RMS velocity of
/// the state is measured, and the run stops early once it is below `tolerance` (stationary). With ReLU the
/// measured velocity is a one-sided gradient, an element of the Clarke subdifferential, so the test is a
/// sufficient Clarke-stationarity test at kinks too (notes/verify-antk.md (GV20)).
public struct ANTKFlowSettings: Sendable, Equatable {
    public var timeStep: Double
    public var maximumTime: Double
    public var tolerance: Double
    public var checkInterval: Int
    /// When set, the run also stops once t >= stallTime and the velocity no longer decays (measured
    /// rate over the last quarter below 1e-3, V17: the limit of a ReLU sliding mode, where the Euler
    /// iterate chatters at a kink and the one-sided velocity cannot vanish, notes/verify-antk.md (GV20)),
    /// or decays too slowly to reach the tolerance within the budget at the measured rate.
    /// Only for observables whose error bound holds at any state (GV13): the bound then carries the velocity.
    public var stallTime: Double?
    /// When set, the step adapts at every check: dt = min(timeStep, relativeStepLimit |theta| / |d theta/dt|),
    /// so the state moves by at most that fraction of its norm per step, and the budget counts flow
    /// time. A fixed step that is Euler-stable for the function-space dynamics can still move every
    /// field by more than its own scale per step early in feature learning at large gamma (field
    /// velocities scale with gamma), which kills ReLU units that gradient flow keeps; fixed points do
    /// not depend on the step (theta = theta + dt v(theta) iff v = 0), the path to them does.
    /// nil (default): the fixed step of the verifier's runs.
    public var relativeStepLimit: Double? = nil
    /// With `relativeStepLimit`, a run also stops after this many times the fixed-step count of steps
    /// (maximumTime / timeStep): where the step keeps shrinking (a ReLU sliding mode chattering at a kink)
    /// the run ends, short of its time budget and not stationary, instead of taking unbounded steps.
    public static let adaptiveStepFactor = 32
    /// When set (the deep relaxation, notes/antk-nonlinear-data.md (AN16)), a run also stops as settled once its
    /// observables (the predictor and the kernels) drifted by at most this fraction over each of two consecutive
    /// windows of `driftWindow` weight-decay times 1/lambda (`ANTKDriftWindow`): the test a ReLU population can meet
    /// while its sites chatter at the kink and the velocity tolerance cannot be met.
    public var driftTolerance: Double? = nil
    /// The settling windows in weight-decay times 1/lambda (notes/antk-nonlinear-data.md (AN17); default 3).
    public var driftWindow = ANTKDriftWindow.defaultWeightDecayTimes
    /// When set, the run stops after this many steps (velocity evaluations for the implicit stepper) instead of
    /// `adaptiveStepFactor` times the fixed-step count: a cost bound that does not depend on the step size.
    public var maximumSteps: Int? = nil

    public init(timeStep: Double, maximumTime: Double, tolerance: Double = 1e-9, checkInterval: Int = 25, stallTime: Double? = nil) {
        self.timeStep = timeStep
        self.maximumTime = maximumTime
        self.tolerance = tolerance
        self.checkInterval = checkInterval
        self.stallTime = stallTime
    }

    public var stepBudget: Int { Int((maximumTime / timeStep).rounded(.up)) }

    /// The same run with dt halved (the discretization-error estimate).
    public var halved: ANTKFlowSettings {
        ANTKFlowSettings(timeStep: timeStep / 2, maximumTime: maximumTime, tolerance: tolerance, checkInterval: checkInterval * 2,
                         stallTime: stallTime)
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
    /// Measured decay rate kappa of |d theta/dt| over the last quarter of the run (GV17): ln(|v(t1)|/|v(t)|)/(t - t1)
    /// with t1 the last check at or before 3t/4 (t = 0 counts as a check); <= 0 when the velocity did not decay.
    public let decayRate: Double
    /// Mean over all n points and all neurons of z_i^2 C_nunu over the (neuron, point) pairs whose
    /// preactivation is within reach of the ReLU kink, |h_inu| <= r_nu |d theta/dt| / kappa_eff (GV19; r_nu = 1 for
    /// the population, whose state holds h itself, sqrt(C_nunu) for a network, h = w.x/sqrt(D)):
    /// the largest change of the mean NTK diagonal from phi'(h) flipping on the way to the fixed point
    /// (0 for the linear activation).
    public let kinkDiagonalBound: Double
    /// True when the run stopped on `stallTime` (velocity stalled or too slow, above its tolerance).
    public var stalled = false
    /// With `ANTKFlowSettings.driftTolerance`: the drift of the observables over the last completed window
    /// (`ANTKDriftWindow`, infinity before one completed) and whether the run stopped as settled (AN16).
    public var windowDrift = Double.infinity
    public var settled = false

    public var count: Int { predictions.count }

    /// kappa_eff = min(lambda, kappa) (GV18): lambda is the slowest rate of the linear flows (A22), kappa the
    /// measured one (ReLU: 0.0135 << lambda on the digits data, GV17). 0 when the velocity did not decay.
    public func effectiveRate(lambda: Double) -> Double {
        guard decayRate > 0 else { return 0 }
        return lambda > 0 ? min(lambda, decayRate) : decayRate
    }

    /// Distance-to-fixed-point estimate relative to |theta| (GV18): |d theta/dt| / (kappa_eff |theta|);
    /// infinite when the velocity did not decay over the last quarter of the run.
    public func relativeDistance(lambda: Double) -> Double {
        let rate = effectiveRate(lambda: lambda)
        guard rate > 0 else { return .infinity }
        return velocityNorm / (rate * max(stateNorm, 1e-300))
    }

    /// Decay rate from a velocity history [(t, |v|)] (GV17): between the last entry and the last one at or
    /// before 3/4 of its time; 0 if there is no earlier entry.
    static func decayRate(_ history: [(time: Double, velocity: Double)]) -> Double {
        guard let last = history.last, let first = history.last(where: { $0.time <= 0.75 * last.time && $0.time < last.time }),
              first.velocity > 0, last.velocity > 0 else { return 0 }
        return log(first.velocity / last.velocity) / (last.time - first.time)
    }

    public var drift: Double { zip(predictions, previousPredictions).map { abs($0 - $1) }.max() ?? 0 }
}
