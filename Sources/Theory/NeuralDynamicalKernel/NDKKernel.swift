import Foundation
import Core

/// The neural dynamical kernel and its two-time building blocks, layer by layer
/// (notes/neural-dynamical-kernel.md (NK7), (NK8)). All entries are approximate (double precision,
/// closed-form lazy maps to a few ulp per layer; tanh by the quadrature of `Activation.lazyStep`).
public struct NDKKernel: Sendable {
    public let setting: NDKSetting

    public init(setting: NDKSetting) { self.setting = setting }

    /// Equal-time diagonals Q^l(x, t; x, t), l = 1..L (index l - 1), for an input with x . x / D =
    /// `norm` and weight variance v = v(t) (NK7).
    public func diagonals(norm: Double, variance v: Double) -> [Double] {
        var q = [Double](); q.reserveCapacity(setting.depth)
        var current = v * norm
        for _ in 0..<setting.depth {
            q.append(current)
            current = v * setting.activation.lazyStep(current, current, current).value
        }
        return q
    }

    /// One two-time entry for inputs a at time t and b at time s (t >= s for the NDK):
    /// `ndk` = e^{-lambda (t - s)} Theta^{L+1} (NK5), `prior` = Q^{L+1} (the prior covariance of f),
    /// `readout` = Sigma^L and `hidden` = SigmaDot^L Theta^L (for the drift kernel, (NK16); for L = 0
    /// Sigma^0 = x . x'/D and the hidden part is 0).
    public struct Entry: Sendable { public let ndk: Double; public let prior: Double; public let readout: Double; public let hidden: Double }

    @inline(__always)
    public func entry(gram k: Double, diagonalA qa: [Double], diagonalB qb: [Double], covariance c: Double, decay: Double) -> Entry {
        var q = c * k          // Q^1
        var theta = k          // Theta^1
        var sigma = k, hidden = 0.0
        for l in 0..<setting.depth {
            let (value, derivative) = setting.activation.lazyStep(q, qa[l], qb[l])
            sigma = value; hidden = derivative * theta
            theta = value + c * derivative * theta
            q = c * value
        }
        return Entry(ndk: decay * theta, prior: q, readout: sigma, hidden: hidden)
    }

    /// The NDK block K(t, s) of rows `rows` (Gram rows against the training points) at times (t, s):
    /// row-major rows.count x P. `diagT` and `diagS` are the diagonals (per point, per layer).
    public func ndkBlock(gram: [Double], rows: Int, columns: Int, diagT: [[Double]], diagS: [[Double]], t: Double, s: Double) -> [Double] {
        let c = setting.weightCovariance(t, s), decay = exp(-setting.decayRate * (t - s))
        var out = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows { for j in 0..<columns {
            out[i * columns + j] = entry(gram: gram[i * columns + j], diagonalA: diagT[i], diagonalB: diagS[j], covariance: c, decay: decay).ndk
        } }
        return out
    }

    /// The equal-time kernel at constant weight variance v: Theta (the NTK when v = sigma_0^2, (NK9))
    /// and Q^{L+1} (the NNGP kernel when v = sigma^2, (NK13)) for a Gram block.
    public func staticKernels(gram: [Double], rows: Int, columns: Int, rowNorms: [Double], columnNorms: [Double], variance v: Double) -> (ntk: [Double], nngp: [Double]) {
        let dr = rowNorms.map { diagonals(norm: $0, variance: v) }, dc = columnNorms.map { diagonals(norm: $0, variance: v) }
        var ntk = [Double](repeating: 0, count: rows * columns), nngp = ntk
        for i in 0..<rows { for j in 0..<columns {
            let e = entry(gram: gram[i * columns + j], diagonalA: dr[i], diagonalB: dc[j], covariance: v, decay: 1)
            ntk[i * columns + j] = e.ndk; nngp[i * columns + j] = e.prior
        } }
        return (ntk, nngp)
    }

    /// m(x) = E phi(h), h ~ N(0, Q^L(x, x)) at weight variance v (NK16); for L = 0 the readout sees x
    /// itself and m = 0.
    public func meanActivation(norm: Double, variance v: Double) -> Double {
        guard setting.depth > 0, let q = diagonals(norm: norm, variance: v).last else { return 0 }
        return setting.activation.gaussianMean(variance: q)
    }
}
