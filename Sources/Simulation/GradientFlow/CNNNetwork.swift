import Foundation
import Core
import Numerics

/// A finite two-layer CNN of N filters with global average pooling in the mean-field (muP)
/// parameterization (notes/cnn-two-layer.md (CN1), (CN3)), trained by gradient descent with weight
/// decay, d theta/dt = gamma^2 N sum_mu Delta_mu df_mu/dtheta - lambda theta (forward Euler):
///
///     h_{i,p}(x) = w_i . patch_p(x)/sqrt(K^2 C),  f(x) = (1/(gamma N)) sum_i a_i |P|^-1 sum_p phi(h_{i,p}(x))
///     dw_i/dt = gamma sum_mu Delta_mu a_i |P|^-1 sum_p phi'(h_{i,p}(x_mu)) patch_p(x_mu)/sqrt(K^2 C) - lambda w_i
///     da_i/dt = gamma sum_mu Delta_mu |P|^-1 sum_p phi(h_{i,p}(x_mu)) - lambda a_i
///
/// All weights i.i.d. N(0, 1) from the seed, drawn as `ANTKNetwork`'s (W from derive(seed, 0),
/// a from derive(seed, 1)): one position (the patch is the image) is `ANTKNetwork` at depth 1 (CN8).
public struct CNNNetwork: Sendable, PooledFlowState {
    public let flow: PooledFlow
    /// Filters W (N x K^2 C, row i = w_i).
    public var first: [Double]
    /// Readout a (N).
    public var readouts: [Double]
    public var width: Int { readouts.count }
    var fieldReachIsPatchNorm: Bool { true }

    public init(width: Int, flow: PooledFlow, seed: UInt64) {
        self.flow = flow
        first = NormalSampler.vector(width * flow.dimension, seed: NormalSampler.derive(seed, 0))
        readouts = NormalSampler.vector(width, seed: NormalSampler.derive(seed, 1))
    }

    func fields(_ flow: PooledFlow) -> [Double] { flow.fields(weights: first, sites: width) }

    mutating func apply(_ flow: PooledFlow, g: [Double], dz: [Double], dt: Double) {
        let decay = 1 - flow.lambda * dt, rate = dt * flow.gamma
        for j in first.indices { first[j] = decay * first[j] + rate * g[j] }
        for i in 0..<width { readouts[i] = decay * readouts[i] + rate * dz[i] }
    }

    /// f on every point.
    public func predictions() -> [Double] {
        flow.evaluate(fields(flow), readouts: readouts).f
    }

    /// Trains to stationarity or to the budget (`ANTKFlowSettings`).
    public mutating func train(_ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        runPooled(flow, settings, progress: progress)
    }
}
