import Foundation

/// The density of normalised preactivations h/sqrt(C_xx) as a histogram, and its excess kurtosis
/// (notes/antk-nonlinear-data.md (AN8)): the lazy limit is exactly the standard normal (kurtosis 0);
/// feature learning makes it non-Gaussian (the paper's Fig. 3b).
public struct PreactivationDensity: Sendable, Codable {
    /// Bin centres and the density (count / (total x bin width)) in each bin.
    public let centres: [Double]
    public let density: [Double]
    /// Fraction of the samples outside the binned range.
    public let outside: Double
    public let mean: Double
    public let variance: Double
    /// E[(h - m)^4] / Var^2 - 3.
    public let excessKurtosis: Double

    public init(_ samples: [Double], range: ClosedRange<Double> = -4...4, bins: Int = 64) {
        precondition(bins >= 1 && range.upperBound > range.lowerBound)
        let width = (range.upperBound - range.lowerBound) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        var outsideCount = 0.0
        for x in samples {
            let k = Int(((x - range.lowerBound) / width).rounded(.down))
            if k >= 0 && k < bins { counts[k] += 1 } else { outsideCount += 1 }
        }
        let n = Double(max(samples.count, 1))
        centres = (0..<bins).map { range.lowerBound + (Double($0) + 0.5) * width }
        density = counts.map { $0 / (n * width) }
        outside = outsideCount / n
        let m = samples.reduce(0, +) / n
        let v = samples.reduce(0.0) { $0 + ($1 - m) * ($1 - m) } / n
        let m4 = samples.reduce(0.0) { $0 + pow($1 - m, 4) } / n
        mean = m
        variance = v
        excessKurtosis = v > 0 ? m4 / (v * v) - 3 : .nan
    }

    /// The standard normal density at x: the lazy (gamma -> 0) limit of h/sqrt(C_xx).
    public static func standardNormal(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
}
