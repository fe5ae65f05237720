import Dispatch
import Foundation
import Core
import Numerics

/// Min-max outputs with error bars: kernel overlaps c_l = y^T Phi^l y / y^T y, kernel entries and test
/// predictions, each as an `Estimate`. The leading O(1/n) bias of the stochastic fixed point is
/// removed by Richardson extrapolation between runs with n/2 and n samples (notes eq. V16-V17).
public struct MinMaxEstimate: Sendable {
    public var overlaps: [Estimate]
    public var kernels: [[Estimate]]
    public var predictions: [Estimate]
    /// Linear functionals sum_l sum_e W_l[e] Phi^l[e] of the kernels (the `functionals` argument), each
    /// estimated from its own time series (so correlations between entries are accounted for).
    public var functionals: [Estimate] = []
    /// The caller's observables (`MinMaxSolver.run`), each extrapolated like the overlaps.
    public var observables: [Estimate] = []
    /// Mean kernels Phi^l over all points, 2 m(n) - m(n/2) entrywise (approximate; present also when
    /// the entries' series were not recorded).
    public var meanKernels: [[Double]] = []
    public var minimumESS: Double
    public var gradientNorm: Double
    /// Largest drift z-score between the halves of the measured series (stationarity check, eq. V18).
    public var drift: Double
    public var failure: String?
    /// True when the failure is the drift (stationarity) test, which a longer run can pass.
    public var notStationary = false
    /// Runs made (1 + restarts with a doubled budget) and the budget of the last one.
    public var attempts = 1
    public var finalBudget: (burnIn: Int, measured: Int) = (0, 0)
    public var converged: Bool { failure == nil }
    /// Iterations with a feasibility retreat of a dual (eq. V46) in the two runs of the last attempt,
    /// in all and during the measured iterations.
    public var retreats = 0
    public var measuredRetreats = 0
    /// The population sampler's counters over the two runs of the last attempt (notes/anbk-data.md (NB15)).
    public var population = PopulationCounters()
    /// The ends of the n/2 and n runs while `compute` may continue them (NB25); emptied before it returns.
    var continuations: [MinMaxSolver.Continuation?] = []

    /// "; ..." for a case note when the budget had to be raised or a dual was pulled back (empty otherwise).
    public var budgetNote: String {
        (attempts > 1 ? "; stationary only after \(attempts) runs (measured budget doubled each time, last burn-in \(finalBudget.burnIn), measured \(finalBudget.measured) iterations)" : "")
            + (retreats > 0 ? "; \(retreats) iterations with an infeasible dual pulled back toward 0 (eq. V46), \(measuredRetreats) of them measured" : "")
    }

    public static let minimumEffectiveSamples = 100.0

    /// Runs until the drift test (V18) passes or the budget is spent: a run whose measured series
    /// drift is repeated from scratch (fresh seed) with burn-in and measured iterations doubled, at
    /// most `attempts` runs in all. A failure that a longer run cannot cure (degenerate importance
    /// weights) is not retried.
    /// `functionals[k][l - 1]`: weights over Phi^l's entries (row-major over all points) of functional k.
    /// `continuing`: a run that fails the drift test goes on from where both its runs ended (notes/anbk-data.md (NB25)):
    /// the iterations made so far become burn-in and twice the measured iterations follow, instead of a fresh start
    /// with both doubled (a third fewer iterations for the same final budget).
    public static func compute(problem: BayesProblem, settings: MinMaxSettings, attempts: Int = 3, functionals: [[[Double]]] = [],
                               observables: (@Sendable ([[Double]]) -> [Double])? = nil, continuing: Bool = false,
                               progress: ((String) -> Void)? = nil) -> MinMaxEstimate {
        var s = settings
        var result = computeOnce(problem: problem, settings: s, functionals: functionals, observables: observables, progress: progress)
        var made = 1, done = s.burnIn + s.measured
        while made < attempts, result.notStationary {
            if continuing, result.continuations.count == 2, result.continuations.allSatisfy({ $0 != nil }) {
                s.burnIn = 0
                s.measured *= 2
                progress?("min-max not stationary: continuing both runs for \(s.measured) measured iterations after \(done)")
                result = computeOnce(problem: problem, settings: s, functionals: functionals, observables: observables,
                                     continuing: result.continuations, progress: progress)
                done += s.measured
            } else {
                s.burnIn = (s.burnIn == 0 ? settings.burnIn : s.burnIn) * 2
                s.measured *= 2
                s.seed = NormalSampler.derive(settings.seed, 0x5EED, UInt64(made))
                progress?("min-max not stationary: rerun \(made + 1) with burn-in \(s.burnIn), measured \(s.measured)")
                result = computeOnce(problem: problem, settings: s, functionals: functionals, observables: observables, progress: progress)
                done = s.burnIn + s.measured
            }
            made += 1
        }
        result.continuations = []
        result.attempts = made
        result.finalBudget = (done - s.measured, s.measured)
        if let f = result.failure, result.notStationary {
            result.failure = f + " after \(made) runs (last budget: burn-in \(s.burnIn), measured \(s.measured) iterations)"
        }
        return result
    }

    static func computeOnce(problem: BayesProblem, settings: MinMaxSettings, functionals: [[[Double]]] = [],
                            observables: (@Sendable ([[Double]]) -> [Double])? = nil, continuing: [MinMaxSolver.Continuation?] = [nil, nil],
                            progress: ((String) -> Void)? = nil) -> MinMaxEstimate {
        var half = settings
        half.samples = max(2, settings.samples / 2)
        half.seed = NormalSampler.derive(settings.seed, 0xA1F)
        // The two runs are independent (own seeds, deterministic): they run concurrently, and inside each the
        // sample chunks run in parallel; BLAS runs single-threaded under them (notes/anbk-data.md (NB19)): OpenBLAS
        // threads nested in these threads only contend for the cores.
        let runs = ConcurrentResults<MinMaxRun>(count: 2)
        LinearAlgebra.withThreadCount(1) {
            DispatchQueue.concurrentPerform(iterations: 2) { j in
                var s = j == 0 ? half : settings
                let label = j == 0 ? "n/2" : "n"
                if let trace = s.trace { s.trace = { trace("\(label) \($0)") } }
                runs.set(j, MinMaxSolver(problem: problem, settings: s).run(progress: { t, n in if t % 50 == 0 { progress?("min-max \(label) \(t)/\(n)") } },
                                                                            observables: observables, continuing: continuing[j]))
            }
        }
        var result = combine(problem: problem, coarse: runs.get(0), fine: runs.get(1), batches: settings.batches, functionals: functionals)
        result.continuations = [runs.get(0).continuation, runs.get(1).continuation]
        return result
    }

    static func combine(problem: BayesProblem, coarse: MinMaxRun, fine: MinMaxRun, batches: Int, functionals: [[[Double]]] = []) -> MinMaxEstimate {
        let pa = problem.pointCount, p = problem.trainCount
        var drift = 0.0, checked = 0
        func extrapolate(_ a: [Double], _ b: [Double]) -> Estimate {
            let x = BatchMeans.estimate(a, batches: batches), y = BatchMeans.estimate(b, batches: batches)
            drift = max(drift, x.drift, y.drift)
            checked += 2
            let shift = y.mean - x.mean
            // 2 m(n) - m(n/2); the unknown O(1/n^2) remainder is bounded by a quarter of the shift (eq. V17).
            return Estimate(value: y.mean + shift, standardError: (4 * y.standardError * y.standardError + x.standardError * x.standardError).squareRoot(),
                            systematic: 0.25 * abs(shift))
        }
        var failure = coarse.failure.map { "n/2 run: " + $0 } ?? fine.failure
        guard failure == nil else {
            return MinMaxEstimate(overlaps: [], kernels: [], predictions: [], minimumESS: 0, gradientNorm: .nan, drift: .nan, failure: failure)
        }
        let recorded = !(fine.kernelSeries.first?.isEmpty ?? true)
        let kernels = recorded ? (0..<problem.depth).map { l in (0..<(pa * pa)).map { extrapolate(coarse.kernelSeries[l][$0], fine.kernelSeries[l][$0]) } } : []
        let norm = problem.labels.reduce(0) { $0 + $1 * $1 }
        let overlaps = (0..<problem.depth).map { l -> Estimate in
            func series(_ run: MinMaxRun) -> [Double] {
                guard recorded else { return run.overlapSeries[l] }
                return (0..<run.kernelSeries[l][0].count).map { t in
                    var s = 0.0
                    for i in 0..<p { for j in 0..<p { s += problem.labels[i] * run.kernelSeries[l][i * pa + j][t] * problem.labels[j] } }
                    return s / norm
                }
            }
            return extrapolate(series(coarse), series(fine))
        }
        let observed = fine.observableSeries.indices.map { extrapolate(coarse.observableSeries[$0], fine.observableSeries[$0]) }
        let meanKernels = (0..<problem.depth).map { l -> [Double] in
            let (tc, tf) = (Double(max(1, coarse.overlapSeries[l].count)), Double(max(1, fine.overlapSeries[l].count)))
            return (0..<(pa * pa)).map { 2 * fine.kernelSums[l][$0] / tf - coarse.kernelSums[l][$0] / tc }
        }
        let predictions = (0..<problem.testCount).map { extrapolate(coarse.predictionSeries[$0], fine.predictionSeries[$0]) }
        let projected = functionals.map { weights -> Estimate in
            func series(_ run: MinMaxRun) -> [Double] {
                (0..<(run.kernelSeries.first?.first?.count ?? 0)).map { t in
                    var s = 0.0
                    for (l, w) in weights.enumerated() { for e in w.indices where w[e] != 0 { s += w[e] * run.kernelSeries[l][e][t] } }
                    return s
                }
            }
            return extrapolate(series(coarse), series(fine))
        }
        let ess = min(coarse.minimumESS, fine.minimumESS)
        let limit = BatchMeans.driftLimit(series: checked)
        var notStationary = false
        if drift > limit {
            failure = String(format: "not stationary: drift z = %.1f between halves of the measured iterations (limit %.1f over %d series)", drift, limit, checked)
            notStationary = true
        } else if ess < minimumEffectiveSamples {
            failure = String(format: "importance weights degenerate: effective sample size %.0f", ess)
        }
        var result = MinMaxEstimate(overlaps: overlaps, kernels: kernels, predictions: predictions, minimumESS: ess,
                                    gradientNorm: fine.finalGradientNorm, drift: drift, failure: failure, notStationary: notStationary)
        result.functionals = projected
        result.observables = observed
        result.meanKernels = meanKernels
        result.retreats = coarse.retreats + fine.retreats
        result.measuredRetreats = coarse.measuredRetreats + fine.measuredRetreats
        result.population = coarse.population + fine.population
        return result
    }
}
