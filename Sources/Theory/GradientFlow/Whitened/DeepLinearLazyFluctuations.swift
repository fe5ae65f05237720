import Foundation

/// O(1/N) fluctuations of deep linear networks (L >= 1 hidden layers) trained by gradient flow on whitened
/// data, where they are known in closed form: at t = 0 (the Wishart chain of the initial kernels, any gamma,
/// notes/fluctuations-gradient-flow.md (FG27)) and in the lazy limit gamma -> 0 (random static NTK, the universal
/// static form, (FG28)). At depth 1 these are the closed forms of (FG11) (`GradientFlowFluctuations.lazyLimit`).
/// Data as in (FG1): P whitened training points, y = e_1, a test input orthogonal to them.
///
/// The rich regime gamma > 0 at depth L >= 2 is not here: the finite-width flow does not close on a finite Gram
/// matrix there (FG26), and its fluctuations need the fluctuating DMFT (FG29), not implemented.
public struct DeepLinearLazyFluctuations: Sendable {
    public let depth: Int
    public let lambda: Double
    public let points: Int

    public init(depth: Int, lambda: Double, points: Int) throws {
        guard depth >= 1 else { throw GradientFlowFluctuations.Failure.invalid("the depth must be at least 1") }
        guard lambda >= 0, lambda.isFinite else { throw GradientFlowFluctuations.Failure.invalid("lambda must be finite and >= 0") }
        guard points >= 1 else { throw GradientFlowFluctuations.Failure.invalid("at least one training point is needed") }
        self.depth = depth
        self.lambda = lambda
        self.points = points
    }

    /// sum_{m=1}^{L} m^2 = L (L + 1) (2L + 1)/6: the NTK's variance weights (FG27).
    public var squareSum: Double { let l = Double(depth); return l * (l + 1) * (2 * l + 1) / 6 }

    /// Values at one time t (FG28); at t = 0 they are the exact initial values (FG27) at every gamma.
    public struct Values: Sendable {
        /// gamma^2 N Var f_1 and gamma^2 N Var f_2 as gamma -> 0: the initial outputs propagated by the lazy flow, phi_L(t)^2.
        public let labelInitial: Double
        /// The kernel parts K_1, K_2 of N Var f_1, f_2 (the random static NTK acting on the mean residual);
        /// closed-form at lambda = 0 only (nil otherwise).
        public let labelKernel: Double?
        public let orthogonalKernel: Double?
        /// gamma^2 N Var f(x*) as gamma -> 0: e^{-2 lambda (L + 1) t}.
        public let testInitial: Double
        /// N Var(tr K/P) = e^{-4 lambda L t} (2 + 2/P) sum_{m <= L} m^2.
        public let ntkVariance: Double
        /// N Var(H^l_11) = 2 l e^{-4 lambda l t}, l = 1...L; the last one is N Var c_1.
        public let layerOverlapVariance: [Double]
        public var overlapVariance: Double { layerOverlapVariance[layerOverlapVariance.count - 1] }
    }

    /// The lazy limit at time t (FG28).
    public func lazyLimit(time t: Double) -> Values {
        let l = Double(depth), p = Double(points)
        // (FG28) a(t) = e^{-2 lambda L t}; phi_L(t) = exp(-(L + 1) int_0^t (a(s) + lambda) ds).
        let integral = lambda > 0 ? (1 - exp(-2 * lambda * l * t)) / (2 * lambda * l) + lambda * t : t
        let phi = exp(-(l + 1) * integral)
        let decay = exp(-4 * lambda * l * t)
        let transient = t * t * exp(-2 * (l + 1) * t)
        return Values(labelInitial: phi * phi,
                      labelKernel: lambda == 0 ? 4 * squareSum * transient : nil,
                      orthogonalKernel: lambda == 0 ? squareSum * transient : nil,
                      testInitial: exp(-2 * lambda * (l + 1) * t),
                      ntkVariance: decay * (2 + 2 / p) * squareSum,
                      layerOverlapVariance: (1...depth).map { 2 * Double($0) * exp(-4 * lambda * Double($0) * t) })
    }

    /// The exact initial values (FG27), valid at every gamma: N Var f = 1/gamma^2 on every point (returned as
    /// gamma^2 N Var = 1), no kernel part.
    public var initial: Values { lazyLimit(time: 0) }
}
