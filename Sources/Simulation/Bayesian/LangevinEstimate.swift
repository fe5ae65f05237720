import Dispatch
import Foundation
import Core

/// Langevin observables at several widths and their 1/N extrapolation (notes eq. V30-V32):
/// y^T Phi^L y / y^T y and the test predictions. The time-step bias is measured at the smallest
/// width by a second run at 2 dt (Richardson for an O(dt^2) scheme: bias(dt) ~ (m(2dt) - m(dt)) / 3).
public struct LangevinEstimate: Sendable {
    public struct WidthResult: Sendable {
        public let width: Int
        public let overlap: Estimate
        public let predictions: [Estimate]
    }

    public var perWidth: [WidthResult]
    public var overlap: Estimate
    public var predictions: [Estimate]
    public var drift: Double
    public var failure: String?
    /// True when the failure is the drift (stationarity) test, which a longer run can pass.
    public var notStationary = false
    /// Runs made (1 + restarts with a doubled budget) and the measured time of the last one.
    public var attempts = 1
    public var finalMeasuredTime = 0.0
    public var converged: Bool { failure == nil }

    /// "; ..." for a case note when the budget had to be raised (empty otherwise).
    public var budgetNote: String {
        attempts > 1 ? String(format: "; Langevin stationary only after %d runs (budget doubled each time, last measured time %.0f)", attempts, finalMeasuredTime) : ""
    }

    static func observables(_ problem: BayesProblem, _ run: LangevinRun, width: Int) -> (Estimate, [Estimate], Double) {
        let pa = problem.pointCount, p = problem.trainCount, L = problem.depth
        let norm = problem.labels.reduce(0) { $0 + $1 * $1 }
        let series = (0..<run.kernelSeries[L - 1][0].count).map { t -> Double in
            var s = 0.0
            for i in 0..<p { for j in 0..<p { s += problem.labels[i] * run.kernelSeries[L - 1][i * pa + j][t] * problem.labels[j] } }
            return s / norm
        }
        let o = BatchMeans.estimate(series)
        var drift = o.drift
        let predictions = run.predictionSeries.map { s -> Estimate in
            let e = BatchMeans.estimate(s); drift = max(drift, e.drift)
            return Estimate(value: e.mean, standardError: e.standardError)
        }
        return (Estimate(value: o.mean, standardError: o.standardError), predictions, drift)
    }

    /// Runs until the drift test (V18) passes or the budget is spent: chains that drift are rerun
    /// from scratch (fresh seeds) with burn-in and measured time doubled, at most `attempts` runs.
    public static func compute(problem: BayesProblem, widths: [Int], settings: LangevinSettings, timeStepCheck: Bool = true,
                               attempts: Int = 2, progress: ((String) -> Void)? = nil) throws -> LangevinEstimate {
        var s = settings
        var result = try computeOnce(problem: problem, widths: widths, settings: s, timeStepCheck: timeStepCheck, progress: progress)
        var made = 1
        while made < attempts, result.notStationary {
            s.burnInTime *= 2
            s.measuredTime *= 2
            s.seed = NormalSampler.derive(settings.seed, 0x5EED, UInt64(made))
            progress?("Langevin not stationary: rerun \(made + 1) with measured time \(s.measuredTime)")
            result = try computeOnce(problem: problem, widths: widths, settings: s, timeStepCheck: timeStepCheck, progress: progress)
            made += 1
        }
        result.attempts = made
        result.finalMeasuredTime = s.measuredTime
        if let f = result.failure, result.notStationary {
            result.failure = f + String(format: " after %d runs (last budget: burn-in time %.0f, measured time %.0f)", made, s.burnInTime, s.measuredTime)
        }
        return result
    }

    static func computeOnce(problem: BayesProblem, widths: [Int], settings: LangevinSettings, timeStepCheck: Bool,
                            progress: ((String) -> Void)?) throws -> LangevinEstimate {
        // The widths and the 2 dt chain are independent runs with their own seeds: they run concurrently
        // (each is deterministic for its seed, so the results do not depend on the scheduling).
        var jobs: [LangevinSettings] = widths.enumerated().map { index, width in
            var s = settings
            s.width = width
            s.seed = NormalSampler.derive(settings.seed, UInt64(index))
            return s
        }
        let checkStep = timeStepCheck && !widths.isEmpty
        if checkStep {
            var s = settings
            s.width = widths[0]
            s.timeStep = 2 * settings.timeStep
            s.seed = NormalSampler.derive(settings.seed, 0xD7)
            jobs.append(s)
        }
        let runs = ConcurrentResults<Result<LangevinRun, Error>>(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
            let s = jobs[j], label = j < widths.count ? "Langevin N=\(s.width)" : "Langevin N=\(s.width) 2dt"
            runs.set(j, Result { try LangevinNetwork(problem: problem, settings: s).run { step, total in progress?("\(label) \(step)/\(total)") } })
        }
        var results: [WidthResult] = []
        var drift = 0.0
        var failure: String? = nil
        for (index, width) in widths.enumerated() {
            let run = try runs.get(index).get()
            if let f = run.failure { failure = "N = \(width): \(f)"; break }
            let (o, p, d) = observables(problem, run, width: width)
            drift = max(drift, d)
            results.append(WidthResult(width: width, overlap: o, predictions: p))
        }
        var stepBias = Estimate(value: 0, standardError: 0)
        var predictionBias = [Double](repeating: 0, count: problem.testCount)
        if failure == nil, checkStep, let first = results.first {
            let run = try runs.get(widths.count).get()
            if let f = run.failure { failure = "time-step check: \(f)" } else {
                let (o, p, _) = observables(problem, run, width: first.width)
                // |m(2dt) - m(dt)| / 3 plus one standard error of that difference (eq. V25).
                let difference = abs(o.value - first.overlap.value)
                let differenceSE = (o.standardError * o.standardError + first.overlap.standardError * first.overlap.standardError).squareRoot()
                stepBias = Estimate(value: (difference + differenceSE) / 3, standardError: 0)
                predictionBias = zip(p, first.predictions).map { (abs($0.value - $1.value) + ($0.standardError * $0.standardError + $1.standardError * $1.standardError).squareRoot()) / 3 }
            }
        }
        let limit = BatchMeans.driftLimit(series: widths.count * (1 + problem.testCount))
        var notStationary = false
        if failure == nil, drift > limit {
            failure = String(format: "chain not stationary: drift z = %.1f between halves (limit %.1f)", drift, limit)
            notStationary = true
        }
        guard failure == nil, !results.isEmpty else {
            return LangevinEstimate(perWidth: results, overlap: Estimate(value: .nan, standardError: .nan), predictions: [], drift: drift,
                                    failure: failure ?? "no widths", notStationary: notStationary)
        }
        func extrapolate(_ values: [Estimate], bias: Double) -> Estimate {
            var e = values.count == 1 ? values[0] : InverseWidthFit(widths: results.map(\.width), points: values).intercept
            e.systematic += bias
            return e
        }
        let overlap = extrapolate(results.map(\.overlap), bias: stepBias.value)
        let predictions = (0..<problem.testCount).map { q in extrapolate(results.map { $0.predictions[q] }, bias: predictionBias[q]) }
        return LangevinEstimate(perWidth: results, overlap: overlap, predictions: predictions, drift: drift, failure: nil)
    }
}

/// Results written by concurrent jobs, one slot each (slots are disjoint; the lock orders the writes).
final class ConcurrentResults<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.lock(); slots[i] = value; lock.unlock() }
    func get(_ i: Int) -> T { lock.lock(); defer { lock.unlock() }; return slots[i]! }
}
