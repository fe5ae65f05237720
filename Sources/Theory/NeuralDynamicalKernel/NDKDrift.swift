import Foundation
import Core

/// Representational drift (notes/neural-dynamical-kernel.md (NK16)): learning stops at the output
/// time t0, the readout stays frozen at its value at t0 and the hidden weights follow the prior
/// process. The mean output at later times is a quadrature over the solved history up to t0 (the
/// trapezoid weights of (NK17)); approximate, with the error of the trajectory it uses.
public struct NDKDrift: Sendable {
    public let freezeTime: Double
    public let times: [Double]
    public let train: [[Double]]
    public let test: [[Double]]

    /// `freezeIndex` indexes `trajectory.times`; `times` must be >= t0.
    public init(predictor: NDKPredictor, trajectory: NDKPredictor.Trajectory, freezeIndex: Int, times: [Double]) throws {
        guard trajectory.times.indices.contains(freezeIndex) else { throw InputError("the freeze time must be one of the output times") }
        let t0 = trajectory.times[freezeIndex]
        guard times.allSatisfy({ $0.isFinite && $0 >= t0 }) else { throw InputError("drift times must be finite and >= the freeze time \(t0)") }
        let kernel = predictor.kernel, setting = kernel.setting, inputs = predictor.inputs
        let grid = trajectory.grid, i0 = trajectory.outputNodes[freezeIndex]
        let p = inputs.trainCount
        let trainNorms = inputs.trainDiagonal
        let diagAtS = (0...i0).map { j in trainNorms.map { kernel.diagonals(norm: $0, variance: setting.weightVariance(grid[j])) } }
        func weight(_ j: Int) -> Double {
            let left = j > 0 ? grid[j] - grid[j - 1] : 0, right = j < i0 ? grid[j + 1] - grid[j] : 0
            return (left + right) / 2
        }
        func evaluate(gram: [Double], norms: [Double], t: Double) -> [Double] {
            let rows = norms.count
            let diagT = norms.map { kernel.diagonals(norm: $0, variance: setting.weightVariance(t)) }
            return NDKPredictor.chunkedSum(count: i0 + 1, length: rows) { j, acc in
                let s = grid[j], c = setting.weightCovariance(t, s), c0 = setting.weightCovariance(t0, s)
                let readoutDecay = exp(-setting.decayRate * (t0 - s)), hiddenDecay = exp(-setting.decayRate * (t - s))
                let w = weight(j), r = trajectory.residuals[j]
                for a in 0..<rows {
                    var sum = 0.0
                    for b in 0..<p {
                        let e = kernel.entry(gram: gram[a * p + b], diagonalA: diagT[a], diagonalB: diagAtS[j][b], covariance: c, decay: 1)
                        sum += (readoutDecay * e.readout + hiddenDecay * c0 * e.hidden) * r[b]
                    }
                    acc[a] += w * sum
                }
            }
        }
        freezeTime = t0; self.times = times
        train = times.map { evaluate(gram: inputs.trainGram, norms: trainNorms, t: $0) }
        test = inputs.testCount == 0 ? times.map { _ in [] } : times.map { evaluate(gram: inputs.crossGram, norms: inputs.testDiagonal, t: $0) }
    }
}
