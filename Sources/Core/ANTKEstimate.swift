import Foundation

/// A numerical estimate with its estimated error (one standard error / error-budget unit), and the
/// ways the gradient-flow verifier combines them (notes/verify-antk.md, "Error bars").
public struct ANTKEstimate: Sendable, Equatable {
    public let value: Double
    public let error: Double

    public init(_ value: Double, error: Double) {
        self.value = value
        self.error = error
    }

    /// Rounding floor of a double-precision run: 64 ulp of max(1, |value|).
    public static func roundingFloor(_ value: Double) -> Double { 64 * Double.ulpOfOne * max(1, abs(value)) }

    /// Mean over independent seeds with its standard error; each run's own error (drift, dt)
    /// is added in quadrature as a systematic term.
    public static func seeds(_ runs: [ANTKEstimate]) -> ANTKEstimate {
        let n = Double(runs.count)
        let mean = runs.map(\.value).reduce(0, +) / n
        let variance = runs.count > 1 ? runs.map { ($0.value - mean) * ($0.value - mean) }.reduce(0, +) / (n - 1) : 0
        let systematic = runs.map(\.error).max() ?? 0
        let error = (variance / n + systematic * systematic).squareRoot()
        return ANTKEstimate(mean, error: max(error, roundingFloor(mean)))
    }

    /// Weighted least-squares fit value(N) = a + b/N over widths (the 1/N extrapolation); the error
    /// of a from the fit covariance, inflated by sqrt(chi^2/dof) when the residuals exceed the errors.
    public static func inverseWidth(_ widths: [Int], _ points: [ANTKEstimate]) -> ANTKEstimate {
        precondition(widths.count == points.count && widths.count >= 2)
        var s = 0.0, sx = 0.0, sxx = 0.0, sy = 0.0, sxy = 0.0
        let sigmas = points.map { max($0.error, roundingFloor($0.value)) }
        for (i, w) in widths.enumerated() {
            let x = 1 / Double(w), weight = 1 / (sigmas[i] * sigmas[i])
            s += weight; sx += weight * x; sxx += weight * x * x; sy += weight * points[i].value; sxy += weight * x * points[i].value
        }
        let det = s * sxx - sx * sx
        let a = (sxx * sy - sx * sxy) / det, b = (s * sxy - sx * sy) / det
        var chi2 = 0.0
        for (i, w) in widths.enumerated() {
            let r = (points[i].value - a - b / Double(w)) / sigmas[i]
            chi2 += r * r
        }
        let dof = widths.count - 2
        let inflation = dof > 0 ? max(1, (chi2 / Double(dof)).squareRoot()) : 1
        return ANTKEstimate(a, error: max((sxx / det).squareRoot() * inflation, roundingFloor(a)))
    }
}

/// One cross-check: the exact (or reference) value, the estimates, and the verdict. An estimate
/// agrees when |estimate - exact| <= z * error with z = 3 (three standard errors); for an
/// `expectDifferent` case the difference must instead exceed z * error.
public struct ANTKVerificationCase: Sendable {
    public static let z = 3.0

    public let name: String
    public let exact: Double
    /// (label, estimate) pairs, e.g. ("dmft", ...), ("finite_width", ...).
    public let estimates: [(String, ANTKEstimate)]
    public let expectDifferent: Bool
    /// False when some run did not become stationary within its step budget.
    public let stationary: Bool
    public let detail: String

    public init(name: String, exact: Double, estimates: [(String, ANTKEstimate)], expectDifferent: Bool = false,
                stationary: Bool = true, detail: String = "") {
        self.name = name
        self.exact = exact
        self.estimates = estimates
        self.expectDifferent = expectDifferent
        self.stationary = stationary
        self.detail = detail
    }

    /// z times the largest estimate error.
    public var tolerance: Double { ANTKVerificationCase.z * (estimates.map(\.1.error).max() ?? 0) }

    public var passed: Bool {
        guard stationary, !estimates.isEmpty else { return false }
        return estimates.allSatisfy { _, e in
            let distance = abs(e.value - exact), allowed = ANTKVerificationCase.z * e.error
            return e.value.isFinite && (expectDifferent ? distance > allowed : distance <= allowed)
        }
    }
}
