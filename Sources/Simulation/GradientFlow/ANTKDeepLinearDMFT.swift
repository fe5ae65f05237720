import Foundation
import Core
import Numerics

/// Deep linear DMFT with weight decay (notes/verify-antk.md, section 2, (GV5)-(GV12)): the
/// infinite-width limit of Euler gradient descent with weight decay of a deep linear network on one
/// input with C = 1 and label y (whitened data reduces to this along y, notes/antk-deep-linear.md
/// (A28)), written as time-discretized two-time kernel equations on the grid t_k = k dt, k = 0..T.
///
/// Every field is linear in Gaussian sources, so each layer is a pair of linear maps
///     h^l = E u^l + Khat_l g^l,      g^l = E r^l + Jhat_l h^l                         (GV7)
/// with E = diag(rho^k), rho = 1 - lambda dt, and strictly causal (Euler) memory kernels
///     Khat_l = E A^{l-1} + gamma Q o [Delta_j H^{l-1}(k, j)],   Q_kj = dt rho^{k-1-j} (j < k)   (GV8)
///     Jhat_l = E B^{l+1} + gamma Q o [Delta_j G^{l+1}(k, j)]
/// sources u^l ~ GP(0, H^{l-1}) (H^0 = 1), r^l ~ GP(0, G^{l+1}) (G^{L+1} = 1), responses
/// A^l = dh^l/dxi^l = M Khat E and B^l = dg^l/dchi^l = Jhat M E with M = (I - Khat Jhat)^{-1} (GV9),
/// kernels H^l, G^l as covariances (GV10) and f_k = <g^L_k h^L_k>/gamma, Delta = y - f (GV11).
/// Solved by marching in time (GV12): all maps are strictly causal, so row k of every matrix needs
/// only rows < k, except that at time k the gradient kernels are filled from the top layer down and
/// the feature kernels from the bottom layer up. One pass, O(L T^3) work, no iteration.
public struct ANTKDeepLinearDMFT: Sendable {
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    public let label: Double
    public let timeStep: Double
    public let steps: Int

    /// When set, Delta_k is held at this value instead of y - f_k (GV11). With lambda = 0, gamma = 1 and
    /// Delta = 1 the solution is the lambda-free universal flow: f_k = Psi_L(k dt) (notes/verify-antk.md (GV15)).
    public var frozenResidual: Double?

    public init(depth: Int, gamma: Double, lambda: Double, label: Double = 1, timeStep: Double, steps: Int,
                frozenResidual: Double? = nil) {
        self.depth = depth
        self.gamma = gamma
        self.lambda = lambda
        self.label = label
        self.timeStep = timeStep
        self.steps = steps
        self.frozenResidual = frozenResidual
    }

    public struct Solution: Sendable {
        /// f(t_k), k = 0..T.
        public let predictions: [Double]
        /// Equal-time kernels at the last time: H^l(T, T) = |h^l|^2/N and G^l(T, T), l = 1..L.
        public let featureNorms: [Double]
        public let gradientNorms: [Double]
    }

    /// The one-input case of the general-data solver `DeepLinearDMFT` (notes/dynamics-deep-linear.md (DY10)
    /// with C = 1): the march above is (DY5)-(DY10) with one point.
    public func solve() -> Solution {
        let s = DeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, kernel: [1], labels: [label], pointCount: 1,
                               timeStep: timeStep, steps: steps, frozenResidual: frozenResidual).solve()
        return Solution(predictions: s.predictions.map { $0[0] }, featureNorms: s.featureKernels[steps].map { $0[0] },
                        gradientNorms: s.gradientKernels[steps])
    }
}
