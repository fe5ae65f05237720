import Foundation
import Core
import Theory

/// The `ndk` pipeline (notes/neural-dynamical-kernel.md): the mean predictor on a log-spaced time
/// grid (NK6), (NK17), its NTK and NNGP plateaus (NK9), (NK13), the two time scales (NK14), the
/// train/test loss along time, the optimal early-stopping time (NK15) and, optionally,
/// representational drift after freezing the readout at the last time (NK16).
/// Every number is approximate (double precision) with the stated step-halving error.
public enum NDKStudy {
    public struct Problem: Sendable {
        public var data: LabelledData
        public var setting: NDKSetting
        public var maximumTime: Double
        public var points: Int = 40
        /// First output time; nil: min(maximumTime / 100, 0.1 / mu_max(Theta_NTK)) (`outputTimes`).
        public var minimumTime: Double? = nil
        public var tolerance: Double = 1e-3
        public var maximumSteps: Int = 32
        /// Drift: follow the frozen-readout output for this many decades after the last time (0: none).
        public var driftPoints: Int = 0
        public init(data: LabelledData, setting: NDKSetting, maximumTime: Double) {
            self.data = data; self.setting = setting; self.maximumTime = maximumTime
        }
    }

    public struct EarlyStopping: Sendable {
        public let index: Int
        public let time: Double
        public let testLoss: Double
        /// "gradient-driven" or "diffusive" by t against sqrt(tau_gradient tau_diffusive) (NK14), or
        /// "none: ..." when the minimum does not beat the last time beyond the stated errors.
        public let phase: String
    }

    public struct Result: Sendable {
        public let problem: Problem
        public let inputs: NDKInputs
        public let trajectory: NDKPredictor.Trajectory
        public let equilibria: NDKEquilibria
        public let trainLoss: [Double]
        public let testLoss: [Double]?
        /// Bounds on the loss errors implied by the predictor errors.
        public let trainLossError: [Double]
        public let testLossError: [Double]?
        public let ntkTestLoss: Double?
        public let nngpTestLoss: Double?
        public let earlyStopping: EarlyStopping?
        public let drift: NDKDrift?
    }

    /// K log-spaced times from t_min to t_max; t_min defaults to min(t_max / 100, 0.1 / mu_max).
    public static func outputTimes(maximum: Double, minimum: Double?, points: Int, fastest: Double) -> [Double] {
        let lower = min(minimum ?? min(maximum / 100, 0.1 * fastest), maximum)
        guard points > 1, lower < maximum else { return [maximum] }
        return (0..<points).map { k in k == points - 1 ? maximum : lower * pow(maximum / lower, Double(k) / Double(points - 1)) }
    }

    public static func run(_ problem: Problem) throws -> Result {
        guard problem.maximumTime.isFinite && problem.maximumTime > 0 else { throw StudyInputError.shape("the time horizon must be finite and > 0") }
        guard problem.points >= 1 && problem.points <= 10_000 else { throw StudyInputError.shape("the number of time points must be in 1...10000") }
        if let m = problem.minimumTime, !(m.isFinite && m > 0 && m < problem.maximumTime) {
            throw StudyInputError.shape("the first time must be > 0 and below the time horizon")
        }
        let data = problem.data
        let inputs = try NDKInputs(data)
        let equilibria = try NDKEquilibria(setting: problem.setting, inputs: inputs)
        let times = outputTimes(maximum: problem.maximumTime, minimum: problem.minimumTime, points: problem.points, fastest: equilibria.fastestGradientTime)
        let predictor = NDKPredictor(setting: problem.setting, inputs: inputs)
        let trajectory = try predictor.solve(times: times, tolerance: problem.tolerance, maximumSteps: problem.maximumSteps)
        func loss(_ f: [Double], _ y: [Double], _ err: Double) -> (Double, Double) {
            let n = Double(y.count)
            let value = zip(f, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / n
            let bound = zip(f, y).reduce(0) { $0 + 2 * abs($1.0 - $1.1) * err + err * err } / n
            return (value, bound)
        }
        let train = times.indices.map { loss(trajectory.train[$0], inputs.labels, trajectory.trainError[$0]) }
        var test: [(Double, Double)]? = nil
        var early: EarlyStopping? = nil
        var ntkLoss: Double? = nil, nngpLoss: Double? = nil
        if let yt = inputs.testLabels, inputs.testCount > 0 {
            let values = times.indices.map { loss(trajectory.test[$0], yt, trajectory.testError[$0]) }
            test = values
            let best = values.indices.min { values[$0].0 < values[$1].0 }!
            // a minimum is an early-stopping point only if it beats the last value beyond both errors
            let last = values.count - 1
            let significant = values[best].0 + values[best].1 < values[last].0 - values[last].1
            early = EarlyStopping(index: best, time: times[best], testLoss: values[best].0,
                                  phase: !significant ? "none: the minimum is the final plateau within the stated error"
                                      : times[best] >= equilibria.phaseBoundary ? "diffusive" : "gradient-driven")
            ntkLoss = loss(equilibria.ntkTest, yt, 0).0; nngpLoss = loss(equilibria.nngpTest, yt, 0).0
        }
        var drift: NDKDrift? = nil
        if problem.driftPoints > 0 {
            let t0 = times.last!, span = 10 * equilibria.diffusiveTime
            let later = (0..<problem.driftPoints).map { t0 + span * pow(10, Double($0) / Double(max(1, problem.driftPoints - 1)) * 2 - 2) }
            drift = try NDKDrift(predictor: predictor, trajectory: trajectory, freezeIndex: times.count - 1, times: [t0] + later)
        }
        return Result(problem: problem, inputs: inputs, trajectory: trajectory, equilibria: equilibria,
                      trainLoss: train.map(\.0), testLoss: test?.map(\.0), trainLossError: train.map(\.1), testLossError: test?.map(\.1),
                      ntkTestLoss: ntkLoss, nngpTestLoss: nngpLoss, earlyStopping: early, drift: drift)
    }
}
