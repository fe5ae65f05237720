import Foundation

/// A number with a one-standard-error bar and an additive systematic bound (both >= 0).
public struct Estimate: Sendable, Equatable, CustomStringConvertible {
    public var value: Double
    public var standardError: Double
    public var systematic: Double

    public init(value: Double, standardError: Double, systematic: Double = 0) {
        self.value = value; self.standardError = standardError; self.systematic = systematic
    }

    /// The pass/fail half-width for a comparison: k standard errors plus the systematic bound (notes eq. V20).
    public func tolerance(k: Double) -> Double { k * standardError + systematic }

    public var description: String {
        let err = standardError + systematic
        return String(format: "%.5g ± %.2g", value, err)
    }
}

/// Batch means of a stationary, correlated time series (notes eq. V15).
public enum BatchMeans {
    public static let defaultBatches = 20

    /// Mean and standard error from `batches` contiguous batches, and the drift z-score between the
    /// halves of the series (eq. V18). The standard error is the larger of the batch-means error and
    /// sqrt(tau var / n) with tau the integrated autocorrelation time (Sokal's window, eq. V15b), so
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
        // not as a long correlation time that widens every error bar (eq. V15b).
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

    /// Threshold on the largest of `series` drift z-scores (t with batches - 2 dof, p = 0.002 / series).
    public static func driftLimit(series: Int) -> Double {
        StudentT.twoSidedQuantile(p: 0.002 / Double(max(1, series)), dof: defaultBatches - 2)
    }
}

/// Weighted least-squares fit O(N) = O_inf + a / N over several widths (notes eq. V30).
public struct InverseWidthFit: Sendable {
    public let intercept: Double
    public let interceptStandardError: Double
    public let slope: Double
    /// chi^2 per degree of freedom of the fit (nan for two points: an exact fit).
    public let reducedChiSquare: Double

    public init(widths: [Int], values: [Double], standardErrors: [Double]) {
        let x = widths.map { 1 / Double($0) }
        let w = standardErrors.map { 1 / max($0 * $0, 1e-300) }
        let sw = w.reduce(0, +)
        let sx = zip(w, x).reduce(0) { $0 + $1.0 * $1.1 }
        let sxx = zip(w, x).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
        let sy = zip(w, values).reduce(0) { $0 + $1.0 * $1.1 }
        let sxy = (0..<x.count).reduce(0) { $0 + w[$1] * x[$1] * values[$1] }
        let det = sw * sxx - sx * sx
        let a = (sxx * sy - sx * sxy) / det
        let b = (sw * sxy - sx * sy) / det
        let chi2 = (0..<x.count).reduce(0) { $0 + w[$1] * pow(values[$1] - a - b * x[$1], 2) }
        let dof = x.count - 2
        let reduced = dof > 0 ? chi2 / Double(dof) : .nan
        intercept = a
        slope = b
        reducedChiSquare = reduced
        // Inflate by sqrt(chi2/dof) when the 1/N model does not describe the data within errors.
        interceptStandardError = (sxx / det).squareRoot() * (reduced.isFinite ? max(1, reduced.squareRoot()) : 1)
    }
}
