import Foundation

/// Batch means of a stationary, correlated time series (notes/verify-bayes.md (V15)).
public enum BatchMeans {
    public static let defaultBatches = 20

    /// Mean and standard error from `batches` contiguous batches, and the drift z-score between the
    /// halves of the series (V18). The standard error is the larger of the batch-means error and
    /// sqrt(tau var / n) with tau the integrated autocorrelation time (Sokal's window, V15b), so
    /// batches shorter than the correlation time cannot shrink the error bar.
    public static func estimate(_ series: [Double], batches: Int = BatchMeans.defaultBatches) -> (mean: Double, standardError: Double, drift: Double) {
        let n = series.count
        let b = max(4, min(batches, n))
        let size = n / b
        guard size >= 1 else { return (series.first ?? .nan, .infinity, 0) }
        let means = (0..<b).map { k in series[(k * size)..<((k + 1) * size)].reduce(0, +) / Double(size) }
        let mean = means.reduce(0, +) / Double(b)
        let variance = means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(b - 1)
        let batchSE = (variance / Double(b)).squareRoot()
        // Autocorrelation of the linearly detrended series: a trend must show up in the drift test,
        // not as a long correlation time that widens every error bar (V15b).
        let residuals = detrended(series)
        let tau = integratedAutocorrelationTime(residuals)
        let pointVariance = residuals.reduce(0) { $0 + $1 * $1 } / Double(max(1, n - 2))
        let tauSE = (tau * pointVariance / Double(n)).squareRoot()
        let se = max(batchSE, tauSE)
        // Drift: the halves' means against the pooled scatter of batch means about their own half's
        // mean (or the autocorrelation-corrected scatter if larger), so that a trend gives a large z.
        let half = b / 2
        let first = means[0..<half].reduce(0, +) / Double(half)
        let second = means[half...].reduce(0, +) / Double(b - half)
        let pooled = (means[0..<half].reduce(0) { $0 + ($1 - first) * ($1 - first) }
            + means[half...].reduce(0) { $0 + ($1 - second) * ($1 - second) }) / Double(max(1, b - 2))
        let halfPoints = Double(half * size), otherPoints = Double((b - half) * size)
        let driftSE = max((pooled / Double(half) + pooled / Double(b - half)).squareRoot(),
                          (tau * pointVariance * (1 / halfPoints + 1 / otherPoints)).squareRoot())
        let drift = driftSE > 0 ? abs(first - second) / driftSE : (first == second ? 0 : .infinity)
        return (mean, se, drift)
    }

    /// The batch-means estimate of `series` as an `Estimate` (19 degrees of freedom for 20 batches).
    public static func estimateValue(_ series: [Double], batches: Int = BatchMeans.defaultBatches) -> (estimate: Estimate, drift: Double) {
        let e = estimate(series, batches: batches)
        return (Estimate(value: e.mean, standardError: e.standardError, degreesOfFreedom: max(4, min(batches, series.count)) - 1), e.drift)
    }

    /// The series minus its least-squares straight line.
    static func detrended(_ series: [Double]) -> [Double] {
        let n = Double(series.count)
        let tMean = (n - 1) / 2
        let yMean = series.reduce(0, +) / n
        var sty = 0.0, stt = 0.0
        for (t, y) in series.enumerated() { sty += (Double(t) - tMean) * (y - yMean); stt += (Double(t) - tMean) * (Double(t) - tMean) }
        let slope = stt > 0 ? sty / stt : 0
        return series.enumerated().map { $0.element - yMean - slope * (Double($0.offset) - tMean) }
    }

    /// tau = 1 + 2 sum_{t=1}^{M} rho(t), with the smallest window M >= 5 tau (Sokal); at least 1.
    public static func integratedAutocorrelationTime(_ series: [Double]) -> Double {
        let n = series.count
        guard n >= 4 else { return 1 }
        let mean = series.reduce(0, +) / Double(n)
        let centered = series.map { $0 - mean }
        let c0 = centered.reduce(0) { $0 + $1 * $1 } / Double(n)
        guard c0 > 0 else { return 1 }
        var tau = 1.0
        for lag in 1..<(n / 2) {
            var c = 0.0
            for i in 0..<(n - lag) { c += centered[i] * centered[i + lag] }
            tau += 2 * c / Double(n) / c0
            if Double(lag) >= 5 * tau { break }
        }
        return max(1, tau)
    }

    /// Two-sided false-alarm probability of one run's drift test over all its series (V18).
    public static let driftFalseAlarmRate = 0.002

    /// Threshold on the largest of `series` drift z-scores (t with batches - 2 dof, p = 0.002 / series).
    public static func driftLimit(series: Int) -> Double {
        StudentT.twoSidedQuantile(p: driftFalseAlarmRate / Double(max(1, series)), dof: defaultBatches - 2)
    }
}
