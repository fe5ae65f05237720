import Foundation

/// The project's one 1/N extrapolation: weighted least squares O(N) = O_inf + a / N over several
/// widths (notes/verify-bayes.md (V30)-(V32), notes/verify-antk.md section 3). The intercept is a
/// linear combination sum_i c_i O(N_i); its standard error is sqrt(sum c_i^2 se_i^2), inflated by
/// sqrt(chi^2/dof) when the 1/N model does not describe the points within their errors, and its
/// systematic bound is sum |c_i| sys_i (each point's bound, propagated linearly).
public struct InverseWidthFit: Sendable {
    public let widths: [Int]
    /// O at N = infinity.
    public let intercept: Estimate
    public let slope: Double
    /// chi^2 per degree of freedom of the fit (nan for two points: an exact fit).
    public let reducedChiSquare: Double
    /// The weights c_i of the intercept (sum c_i = 1, sum c_i / N_i = 0).
    public let coefficients: [Double]

    public init(widths: [Int], points: [Estimate]) {
        precondition(widths.count == points.count && widths.count >= 2, "a 1/N fit needs two widths or more")
        self.widths = widths
        let x = widths.map { 1 / Double($0) }
        // Weights from each point's whole error (statistical and systematic), floored at rounding.
        let sigma = points.map { max(($0.standardError * $0.standardError + $0.systematic * $0.systematic).squareRoot(),
                                     Estimate.roundingFloor($0.value)) }
        let w = sigma.map { 1 / ($0 * $0) }
        let sw = w.reduce(0, +)
        let sx = zip(w, x).reduce(0) { $0 + $1.0 * $1.1 }
        let sxx = zip(w, x).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
        let det = sw * sxx - sx * sx
        let c = (0..<x.count).map { w[$0] * (sxx - sx * x[$0]) / det }
        let d = (0..<x.count).map { w[$0] * (sw * x[$0] - sx) / det }
        let a = zip(c, points).reduce(0) { $0 + $1.0 * $1.1.value }
        let b = zip(d, points).reduce(0) { $0 + $1.0 * $1.1.value }
        let chi2 = (0..<x.count).reduce(0) { $0 + w[$1] * pow(points[$1].value - a - b * x[$1], 2) }
        let dof = x.count - 2
        reducedChiSquare = dof > 0 ? chi2 / Double(dof) : .nan
        let inflation = reducedChiSquare.isFinite ? max(1, reducedChiSquare.squareRoot()) : 1
        let se = zip(c, points).reduce(0) { $0 + $1.0 * $1.0 * $1.1.standardError * $1.1.standardError }.squareRoot() * inflation
        let systematic = zip(c, points).reduce(0) { $0 + abs($1.0) * $1.1.systematic }
        intercept = Estimate(value: a, standardError: se, systematic: max(systematic, Estimate.roundingFloor(a)),
                             degreesOfFreedom: points.map(\.degreesOfFreedom).min() ?? 1)
        slope = b
        coefficients = c
    }
}
