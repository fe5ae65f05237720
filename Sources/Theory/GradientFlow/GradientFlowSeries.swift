import Foundation
import Numerics

/// The kinds of number the gradient-flow fluctuations are reported in: `Double` (RK4 + Richardson, (FG10)) and `Dyadic`
/// (the Taylor integrator to D digits, (FG40)-(FG43)); notes/fluctuations-gradient-flow.md.
public protocol GradientFlowScalar: Comparable, Sendable {
    static var zero: Self { get }
}

extension Double: GradientFlowScalar {}
extension Dyadic: GradientFlowScalar {}

/// A per-time quantity of the gradient-flow fluctuations (notes/fluctuations-gradient-flow.md): the reported value and its
/// residual at each output time, approximate in the output contract's sense. In `Double` the value is the Richardson value
/// and the residual the size of its last correction (FG10); in `Dyadic` the value is the second Taylor run's and the
/// residual its difference from the first run (FG43).
public struct GradientFlowSeries<Scalar: GradientFlowScalar>: Sendable {
    public let values: [Scalar]
    public let residuals: [Scalar]
    /// The largest residual over the times.
    public var residual: Scalar { residuals.max() ?? .zero }
}

extension GradientFlowSeries where Scalar == Double {
    /// (FG10) One series per observable from the observables on the RK4 grids with steps h (`coarse`) and h/2 (`fine`),
    /// both [time][observable]: the Richardson value (16 y_{h/2} - y_h)/15 and the residual |y_{h/2} - y_h|/15, each
    /// multiplied by `scale(time, observable)`. Throws `notFinite` when a value is not finite.
    static func richardson(coarse a: [[Double]], fine b: [[Double]],
                           scale: (_ time: Int, _ observable: Int) -> Double = { _, _ in 1 }) throws -> [GradientFlowSeries<Double>] {
        let count = a[0].count
        var values = [[Double]](repeating: [], count: count), residuals = values
        for t in a.indices {
            for c in 0..<count {
                let s = scale(t, c)
                values[c].append(s * (16 * b[t][c] - a[t][c]) / 15)
                residuals[c].append(s * abs(b[t][c] - a[t][c]) / 15)
            }
        }
        guard values.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw GradientFlowFluctuations.Failure.notFinite }
        return zip(values, residuals).map { GradientFlowSeries(values: $0, residuals: $1) }
    }
}
