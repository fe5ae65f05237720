import Foundation
import Numerics
import Core

/// The lazy (gamma -> 0) NNGP and NTK of the two-layer CNN with global average pooling
/// (notes/cnn-two-layer.md (CN5)): the activation's kernel map (`Activation.lazyStep`, arc-cosine for
/// ReLU) applied to every pair of positions and averaged over the |P|^2 pairs,
///
///     Phi_0(x, x')   = |P|^-2 sum_{p,p'} E phi(u_p) phi(u'_p')
///     Theta_0(x, x') = Phi_0(x, x') + |P|^-2 sum_{p,p'} C_{pp'}(x, x') E phi'(u_p) phi'(u'_p')
///
/// with (u_p, u'_p') ~ N(0, [[C_pp(x, x), C_pp'(x, x')], [., C_p'p'(x', x')]]). One position (the patch
/// is the image) gives the MLP's two-layer kernels (`LazyKernels`, depth 1) (CN8).
public enum ConvolutionalLazyKernels {
    /// NNGP and NTK over all n points of the data (n x n, training first). Approximate: the kernel
    /// maps to a few ulp (closed forms) or the quadrature error of `lazyStep` (tanh), summed over pairs.
    public static func kernels(_ data: LabelledData, geometry g: ConvolutionGeometry, activation: Activation) -> (nngp: [Double], ntk: [Double]) {
        let a = g.scaledPatches(data), n = data.count, positions = g.positionCount, d = g.patchDimension
        let m = n * positions
        @inline(__always) func dot(_ i: Int, _ j: Int) -> Double {
            var s = 0.0
            for k in 0..<d { s += a[i * d + k] * a[j * d + k] }
            return s
        }
        let diagonal = (0..<m).map { dot($0, $0) }
        var nngp = [Double](repeating: 0, count: n * n), ntk = nngp
        let pairs = Double(positions * positions)
        for mu in 0..<n { for nu in mu..<n {
            var value = 0.0, tangent = 0.0
            for p in 0..<positions {
                let i = mu * positions + p
                for q in 0..<positions {
                    let j = nu * positions + q
                    let c = dot(i, j)
                    let (v, dv) = activation.lazyStep(c, diagonal[i], diagonal[j])
                    value += v
                    tangent += v + dv * c
                }
            }
            nngp[mu * n + nu] = value / pairs; nngp[nu * n + mu] = value / pairs
            ntk[mu * n + nu] = tangent / pairs; ntk[nu * n + mu] = tangent / pairs
        } }
        return (nngp, ntk)
    }
}
