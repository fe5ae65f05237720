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
    /// Largest drift z-score between the halves of the measured series (stationarity check, eq. V18;
    /// between replicas (NB29) when `replicas` > 1).
    public var drift: Double
    /// The threshold the drift was held against (V18, or (NB29) for replicas).
    public var driftLimit = 0.0
    /// Independent replicas of the (n/2, n) pair (notes/anbk-data.md (NB28)): 1 is the within-run
    /// batch-means error (V15)-(V16); R > 1 the error between the replicas, R - 1 degrees of freedom.
    public var replicas = 1
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
    /// `replicas` R > 1 (notes/anbk-data.md (NB28)-(NB30)): R independent (n/2, n) pairs, each with the full burn-in and
    /// `settings.measured` measured iterations (the caller splits its measured budget), the estimates and the drift test
    /// taken between the replicas (`ReplicaMeans`).
    public static func compute(problem: BayesProblem, settings: MinMaxSettings, attempts: Int = 3, functionals: [[[Double]]] = [],
                               observables: (@Sendable ([[Double]]) -> [Double])? = nil, continuing: Bool = false,
                               replicas: Int = 1, progress: ((String) -> Void)? = nil) -> MinMaxEstimate {
        precondition(replicas >= 1)
        var s = settings
        var result = computeOnce(problem: problem, settings: s, functionals: functionals, observables: observables, replicas: replicas, progress: progress)
        var made = 1, done = s.burnIn + s.measured
        while made < attempts, result.notStationary {
            if continuing, result.continuations.count == 2 * replicas, result.continuations.allSatisfy({ $0 != nil }) {
                s.burnIn = 0
                s.measured *= 2
                progress?("min-max not stationary: continuing both runs for \(s.measured) measured iterations after \(done)")
                result = computeOnce(problem: problem, settings: s, functionals: functionals, observables: observables,
                                     continuing: result.continuations, replicas: replicas, progress: progress)
                done += s.measured
            } else {
                s.burnIn = (s.burnIn == 0 ? settings.burnIn : s.burnIn) * 2
                s.measured *= 2
                s.seed = NormalSampler.derive(settings.seed, 0x5EED, UInt64(made))
                progress?("min-max not stationary: rerun \(made + 1) with burn-in \(s.burnIn), measured \(s.measured)")
                result = computeOnce(problem: problem, settings: s, functionals: functionals, observables: observables, replicas: replicas,
                                     progress: progress)
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

    /// The settings of replica r's run with n/2 (`coarse`) or n samples: replica 0 is the single pair of (V16) (seed
    /// `settings.seed`), replica r > 0 the same pair from the seed derived from (seed, r) (notes/anbk-data.md (NB28)).
    static func replicaSettings(_ settings: MinMaxSettings, replica r: Int, coarse: Bool) -> MinMaxSettings {
        var s = settings
        if r > 0 { s.seed = NormalSampler.derive(settings.seed, 0x4E9, UInt64(r)) }
        if coarse {
            s.samples = max(2, settings.samples / 2)
            s.seed = NormalSampler.derive(s.seed, 0xA1F)
        }
        return s
    }

    static func computeOnce(problem: BayesProblem, settings: MinMaxSettings, functionals: [[[Double]]] = [],
                            observables: (@Sendable ([[Double]]) -> [Double])? = nil, continuing: [MinMaxSolver.Continuation?]? = nil,
                            replicas: Int = 1, progress: ((String) -> Void)? = nil) -> MinMaxEstimate {
        let count = 2 * replicas
        let starts = continuing ?? [MinMaxSolver.Continuation?](repeating: nil, count: count)
        // The runs are independent (own seeds, deterministic): they run concurrently, and inside each the
        // sample chunks run in parallel; BLAS runs single-threaded under them (notes/anbk-data.md (NB19)): OpenBLAS
        // threads nested in these threads only contend for the cores. Run j is replica j / 2, n/2 samples for even j.
        let runs = ConcurrentResults<MinMaxRun>(count: count)
        LinearAlgebra.withThreadCount(1) {
            DispatchQueue.concurrentPerform(iterations: count) { j in
                var s = replicaSettings(settings, replica: j / 2, coarse: j % 2 == 0)
                let label = (replicas > 1 ? "r\(j / 2 + 1) " : "") + (j % 2 == 0 ? "n/2" : "n")
                if let trace = s.trace { s.trace = { trace("\(label) \($0)") } }
                runs.set(j, MinMaxSolver(problem: problem, settings: s).run(progress: { t, n in if t % 50 == 0 { progress?("min-max \(label) \(t)/\(n)") } },
                                                                            observables: observables, continuing: starts[j]))
            }
        }
        var result = replicas == 1
            ? combine(problem: problem, coarse: runs.get(0), fine: runs.get(1), batches: settings.batches, functionals: functionals)
            : combineReplicas(problem: problem, coarse: (0..<replicas).map { runs.get(2 * $0) }, fine: (0..<replicas).map { runs.get(2 * $0 + 1) },
                              functionals: functionals)
        result.continuations = (0..<count).map { runs.get($0).continuation }
        return result
    }

    static func combine(problem: BayesProblem, coarse: MinMaxRun, fine: MinMaxRun, batches: Int, functionals: [[[Double]]] = []) -> MinMaxEstimate {
        let pa = problem.pointCount
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
        let overlaps = (0..<problem.depth).map { l in
            extrapolate(overlapSeries(coarse, layer: l, problem: problem), overlapSeries(fine, layer: l, problem: problem))
        }
        let observed = fine.observableSeries.indices.map { extrapolate(coarse.observableSeries[$0], fine.observableSeries[$0]) }
        let meanKernels = (0..<problem.depth).map { extrapolatedMeanKernel(coarse, fine, layer: $0, entries: pa * pa) }
        let predictions = (0..<problem.testCount).map { extrapolate(coarse.predictionSeries[$0], fine.predictionSeries[$0]) }
        let projected = functionals.map { extrapolate(functionalSeries(coarse, weights: $0), functionalSeries(fine, weights: $0)) }
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
        result.driftLimit = limit
        result.functionals = projected
        result.observables = observed
        result.meanKernels = meanKernels
        result.retreats = coarse.retreats + fine.retreats
        result.measuredRetreats = coarse.measuredRetreats + fine.measuredRetreats
        result.population = coarse.population + fine.population
        return result
    }

    /// Run j's series of the layer-(l+1) overlap y^T Phi_tt y / y^T y (from the recorded entries when present).
    static func overlapSeries(_ run: MinMaxRun, layer l: Int, problem: BayesProblem) -> [Double] {
        guard !(run.kernelSeries.first?.isEmpty ?? true) else { return run.overlapSeries[l] }
        let pa = problem.pointCount, p = problem.trainCount, norm = problem.labels.reduce(0) { $0 + $1 * $1 }
        return (0..<run.kernelSeries[l][0].count).map { t in
            var s = 0.0
            for i in 0..<p { for j in 0..<p { s += problem.labels[i] * run.kernelSeries[l][i * pa + j][t] * problem.labels[j] } }
            return s / norm
        }
    }

    /// The series of the functional sum_l sum_e W_l[e] Phi^l[e] from the recorded entries.
    static func functionalSeries(_ run: MinMaxRun, weights: [[Double]]) -> [Double] {
        (0..<(run.kernelSeries.first?.first?.count ?? 0)).map { t in
            var s = 0.0
            for (l, w) in weights.enumerated() { for e in w.indices where w[e] != 0 { s += w[e] * run.kernelSeries[l][e][t] } }
            return s
        }
    }

    /// 2 m(n) - m(n/2) of the mean kernel of layer l + 1, entrywise.
    static func extrapolatedMeanKernel(_ coarse: MinMaxRun, _ fine: MinMaxRun, layer l: Int, entries: Int) -> [Double] {
        let (tc, tf) = (Double(max(1, coarse.overlapSeries[l].count)), Double(max(1, fine.overlapSeries[l].count)))
        return (0..<entries).map { 2 * fine.kernelSums[l][$0] / tf - coarse.kernelSums[l][$0] / tc }
    }

    /// R > 1 replicas (notes/anbk-data.md (NB28)-(NB29)): every quantity by `ReplicaMeans` over the replicas'
    /// (n/2, n) series, the drift test between the replicas, the mean kernels averaged over the replicas.
    static func combineReplicas(problem: BayesProblem, coarse: [MinMaxRun], fine: [MinMaxRun], functionals: [[[Double]]] = []) -> MinMaxEstimate {
        let pa = problem.pointCount, replicas = coarse.count
        for r in 0..<replicas {
            if let f = coarse[r].failure {
                return MinMaxEstimate(overlaps: [], kernels: [], predictions: [], minimumESS: 0, gradientNorm: .nan, drift: .nan,
                                      failure: "replica \(r + 1), n/2 run: " + f)
            }
            if let f = fine[r].failure {
                return MinMaxEstimate(overlaps: [], kernels: [], predictions: [], minimumESS: 0, gradientNorm: .nan, drift: .nan,
                                      failure: "replica \(r + 1), n run: " + f)
            }
        }
        var drift = 0.0, apart = 0.0, checked = 0
        func extrapolate(_ series: (MinMaxRun) -> [Double]) -> Estimate {
            let c = coarse.map(series), f = fine.map(series)
            let e = ReplicaMeans.estimate(coarse: c, fine: f)
            drift = max(drift, e.drift)
            apart = max(apart, ReplicaMeans.outlier(coarse: c, fine: f))
            checked += 1
            return e.estimate
        }
        let recorded = !(fine[0].kernelSeries.first?.isEmpty ?? true)
        let kernels = recorded ? (0..<problem.depth).map { l in (0..<(pa * pa)).map { e in extrapolate { $0.kernelSeries[l][e] } } } : []
        let overlaps = (0..<problem.depth).map { l in extrapolate { overlapSeries($0, layer: l, problem: problem) } }
        let observed = fine[0].observableSeries.indices.map { k in extrapolate { $0.observableSeries[k] } }
        let meanKernels = (0..<problem.depth).map { l -> [Double] in
            let each = (0..<replicas).map { extrapolatedMeanKernel(coarse[$0], fine[$0], layer: l, entries: pa * pa) }
            return (0..<(pa * pa)).map { e in each.reduce(0) { $0 + $1[e] } / Double(replicas) }
        }
        let predictions = (0..<problem.testCount).map { k in extrapolate { $0.predictionSeries[k] } }
        let projected = functionals.map { w in extrapolate { functionalSeries($0, weights: w) } }
        let ess = (coarse + fine).map(\.minimumESS).min() ?? 0
        let limit = ReplicaMeans.driftLimit(series: checked, replicas: replicas)
        var failure: String?
        var notStationary = false
        let apartLimit = ReplicaMeans.outlierLimit(series: checked, replicas: replicas)
        if drift > limit {
            failure = String(format: "not stationary: drift z = %.1f between halves of the measured iterations over %d replicas (limit %.1f over %d series)",
                             drift, replicas, limit, checked)
            notStationary = true
        } else if apart > apartLimit {
            // (NB29b): one replica's measured iterations lie apart from the others'.
            failure = String(format: "not stationary: one of %d replicas lies apart from the others (leave-one-out t = %.1f, limit %.1f over %d series)",
                             replicas, apart, apartLimit, checked)
            notStationary = true
        } else if ess < minimumEffectiveSamples {
            failure = String(format: "importance weights degenerate: effective sample size %.0f", ess)
        }
        var result = MinMaxEstimate(overlaps: overlaps, kernels: kernels, predictions: predictions, minimumESS: ess,
                                    gradientNorm: fine[0].finalGradientNorm, drift: drift, failure: failure, notStationary: notStationary)
        result.driftLimit = limit
        result.replicas = replicas
        result.functionals = projected
        result.observables = observed
        result.meanKernels = meanKernels
        result.retreats = (coarse + fine).reduce(0) { $0 + $1.retreats }
        result.measuredRetreats = (coarse + fine).reduce(0) { $0 + $1.measuredRetreats }
        result.population = (coarse + fine).reduce(PopulationCounters()) { $0 + $1.population }
        return result
    }
}
