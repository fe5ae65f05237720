import Foundation
import Numerics

/// The mean of independent samples y_i with control variates c_i (q per sample) of exactly known
/// means mu (notes/neural-dynamical-kernel.md (NK19)): the least-squares regression of y on c,
/// evaluated at c = mu,
///     estimate = ybar - beta . (cbar - mu),   beta = S_cc^{-1} S_cy,
///     se^2 = s^2 (1/n + (cbar - mu)^T S_cc^{-1} (cbar - mu)),   s^2 = RSS / (n - 1 - q),
/// with n - 1 - q degrees of freedom (the standard error of a regression prediction; exact under a
/// linear Gaussian model, asymptotically right otherwise). Unbiased up to O(1/n) from the estimated
/// beta. Falls back to the plain mean when the controls are degenerate (S_cc not positive definite)
/// or n <= q + 2.
public enum ControlVariateMean {
    public struct Result: Sendable {
        public let estimate: Estimate
        /// 1 - RSS / sum (y - ybar)^2: the fraction of the variance the controls remove (0 for the plain mean).
        public let varianceReduction: Double
        public let controls: Int
    }

    /// `controls[i]` are the q controls of sample i; `means` their exact means (q values).
    public static func estimate(samples y: [Double], controls: [[Double]], means mu: [Double]) -> Result {
        let n = y.count, q = mu.count
        precondition(n >= 2 && controls.count == n && controls.allSatisfy { $0.count == q }, "ControlVariateMean: shapes")
        let ybar = y.reduce(0, +) / Double(n)
        let syy = y.reduce(0) { $0 + ($1 - ybar) * ($1 - ybar) }
        let plain = Result(estimate: Estimate(value: ybar, standardError: (syy / Double(n - 1) / Double(n)).squareRoot(), degreesOfFreedom: n - 1),
                           varianceReduction: 0, controls: 0)
        guard q > 0, n > q + 2 else { return plain }
        let cbar = (0..<q).map { j in controls.reduce(0) { $0 + $1[j] } / Double(n) }
        var scc = [Double](repeating: 0, count: q * q), scy = [Double](repeating: 0, count: q)
        for i in 0..<n {
            for j in 0..<q {
                let dj = controls[i][j] - cbar[j]
                scy[j] += dj * (y[i] - ybar)
                for k in 0..<q { scc[j * q + k] += dj * (controls[i][k] - cbar[k]) }
            }
        }
        guard let beta = LinearAlgebra.solvePositiveDefinite(scc, scy, n: q, rightHandSides: 1), beta.allSatisfy(\.isFinite) else { return plain }
        var rss = 0.0
        for i in 0..<n {
            var r = y[i] - ybar
            for j in 0..<q { r -= beta[j] * (controls[i][j] - cbar[j]) }
            rss += r * r
        }
        let shift = (0..<q).map { cbar[$0] - mu[$0] }
        guard let solved = LinearAlgebra.solvePositiveDefinite(scc, shift, n: q, rightHandSides: 1) else { return plain }
        let leverage = zip(shift, solved).reduce(0) { $0 + $1.0 * $1.1 }
        let dof = n - 1 - q
        let s2 = rss / Double(dof)
        let value = ybar - zip(beta, shift).reduce(0) { $0 + $1.0 * $1.1 }
        return Result(estimate: Estimate(value: value, standardError: (s2 * (1 / Double(n) + leverage)).squareRoot(), degreesOfFreedom: dof),
                      varianceReduction: syy > 0 ? 1 - rss / syy : 0, controls: q)
    }
}
