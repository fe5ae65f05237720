import Foundation

/// A number estimated from random or truncated computations: the value, one standard error with the
/// degrees of freedom it was estimated with, and an additive systematic bound (both >= 0). This is
/// the project's one estimate type (notes/verify-bayes.md (V20), notes/verify-antk.md section 3).
public struct Estimate: Sendable, Equatable, Codable, CustomStringConvertible {
    public var value: Double
    public var standardError: Double
    public var systematic: Double
    /// Degrees of freedom of `standardError` (the Student t quantile of a tolerance uses them):
    /// batch means with B batches give B - 1, a mean over n independent seeds n - 1.
    public var degreesOfFreedom: Int

    /// Degrees of freedom of a batch-means standard error (notes/verify-bayes.md (V15)).
    public static let batchMeansDegreesOfFreedom = BatchMeans.defaultBatches - 1

    public init(value: Double, standardError: Double, systematic: Double = 0,
                degreesOfFreedom: Int = Estimate.batchMeansDegreesOfFreedom) {
        self.value = value; self.standardError = standardError; self.systematic = systematic
        self.degreesOfFreedom = max(1, degreesOfFreedom)
    }

    /// A deterministic value with a bound on its error only (no statistical part).
    public static func bounded(_ value: Double, systematic: Double) -> Estimate {
        Estimate(value: value, standardError: 0, systematic: max(systematic, roundingFloor(value)))
    }

    /// The half-width of a comparison: k standard errors plus the systematic bound (notes/verify-bayes.md (V20)).
    public func tolerance(k: Double) -> Double { k * standardError + systematic }

    /// Rounding floor of a double-precision run: 64 ulp of max(1, |value|) (notes/verify-antk.md section 3).
    public static func roundingFloor(_ value: Double) -> Double { 64 * Double.ulpOfOne * max(1, abs(value)) }

    /// Mean over independent runs (seeds): standard error sd / sqrt(n) with n - 1 degrees of
    /// freedom; the systematic bound is the largest of the runs' bounds (each run's bound holds for
    /// it, so it holds for their mean) plus the runs' own standard errors in quadrature / n.
    public static func mean(ofIndependent runs: [Estimate]) -> Estimate {
        precondition(!runs.isEmpty)
        let n = Double(runs.count)
        let mean = runs.map(\.value).reduce(0, +) / n
        let variance = runs.count > 1 ? runs.map { ($0.value - mean) * ($0.value - mean) }.reduce(0, +) / (n - 1) : 0
        let inner = runs.map { $0.standardError * $0.standardError }.reduce(0, +) / (n * n)
        return Estimate(value: mean, standardError: (variance / n + inner).squareRoot(),
                        systematic: max(runs.map(\.systematic).max() ?? 0, roundingFloor(mean)),
                        degreesOfFreedom: max(1, runs.count - 1))
    }

    public var description: String {
        var s = String(format: "%.6g ± %.2g", value, standardError)
        if systematic > 0 { s += String(format: " (+sys %.2g)", systematic) }
        return s
    }
}
