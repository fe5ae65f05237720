import Foundation

/// The equal-time state of a trained network at one time, on n points (training points first):
/// predictions f_nu, feature kernels H^l = h^l.h^l/N (n x n, row-major, l = 1...L) and, for deep
/// linear networks, the pattern-independent gradient kernels G^l = g^l.g^l/N (notes/antk-deep-linear.md
/// (A3)); for nonlinear networks the point-indexed gradient kernels G^l_{mu nu} = g^l_mu.g^l_nu/N (n x n)
/// in `gradientMatrices` instead (notes/dynamics-nonlinear.md (DN4)). Produced alike by the infinite-width DMFT (`DeepLinearDMFT`) and by finite networks
/// (`ANTKNetwork.trajectory`), so both feed the same observables (notes/dynamics-deep-linear.md (DY13)).
public struct KernelFrame: Sendable, Equatable {
    public var predictions: [Double]
    public var featureKernels: [[Double]]
    public var gradientKernels: [Double]
    /// Nonlinear networks: G^l (n x n, row-major, l = 1...L); nil for the pattern-independent linear case.
    public var gradientMatrices: [[Double]]?

    public init(predictions: [Double], featureKernels: [[Double]], gradientKernels: [Double], gradientMatrices: [[Double]]? = nil) {
        self.predictions = predictions
        self.featureKernels = featureKernels
        self.gradientKernels = gradientKernels
        self.gradientMatrices = gradientMatrices
    }

    /// a x + b y, entry by entry (Richardson extrapolation and perturbative combinations are linear in the state).
    public static func combine(_ a: Double, _ x: KernelFrame, _ b: Double, _ y: KernelFrame) -> KernelFrame {
        func mix(_ u: [Double], _ v: [Double]) -> [Double] { zip(u, v).map { a * $0 + b * $1 } }
        return KernelFrame(predictions: mix(x.predictions, y.predictions),
                           featureKernels: zip(x.featureKernels, y.featureKernels).map { mix($0, $1) },
                           gradientKernels: mix(x.gradientKernels, y.gradientKernels),
                           gradientMatrices: x.gradientMatrices.flatMap { gx in y.gradientMatrices.map { zip(gx, $0).map { mix($0, $1) } } })
    }
}

public extension DeepLinearDMFT.Solution {
    /// The frame at grid time t_k.
    func frame(_ k: Int) -> KernelFrame {
        KernelFrame(predictions: predictions[k], featureKernels: featureKernels[k], gradientKernels: gradientKernels[k])
    }
}
