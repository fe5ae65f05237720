import Dispatch
import Foundation
import Core
import Numerics

/// The single site of the Bayesian two-layer CNN (notes/cnn-bayes.md (CB5)-(CB7)): one filter
/// w ~ N(0, I_d), d = K^2 C, whose fields on every (point, position) pair are h = A w (A the scaled patch
/// matrix of notes/cnn-two-layer.md (CN2), n |P| x d, point-major), and whose feature on point nu is the
/// pooled psi_nu = |P|^-1 sum_p phi(h_(nu,p)). The min-max tilts psi; the sampler draws filters.
public struct PooledSite: Sendable {
    /// A: (n |P|) x d, row nu |P| + p = patch_p(x_nu)/sqrt(K^2 C), training points first.
    public let patches: [Double]
    public let positions: Int
    public let dimension: Int
    /// The sampled coordinates (notes/cnn-bayes.md (CB7)): only the component of w in the row space of A
    /// moves the fields, so w = V_r z + w_perp with V_r the r right singular vectors of A above
    /// 1e-10 of the largest squared singular value (the threshold of notes/anbk-data.md (NB9)), z ~ N(0, I_r),
    /// and h = F z with F = A V_r ((n |P|) x r). r <= min(d, n |P|): with more filter entries than
    /// (point, position) pairs (e.g. patch = image) the sampler works in r, not d, dimensions.
    public let factor: [Double]
    public let rank: Int
    public var points: Int { patches.count / (positions * dimension) }

    public init(patches: [Double], positions: Int, dimension: Int) throws {
        guard positions >= 1, dimension >= 1, !patches.isEmpty, patches.count % (positions * dimension) == 0 else {
            throw InputError("the patch matrix must have n |P| rows of d entries")
        }
        self.patches = patches; self.positions = positions; self.dimension = dimension
        let rows = patches.count / dimension, d = dimension
        var gram = [Double](repeating: 0, count: d * d)
        patches.withUnsafeBufferPointer { a in
            gram.withUnsafeMutableBufferPointer { LinearAlgebra.gemm(a.baseAddress!, a.baseAddress!, $0.baseAddress!, m: d, k: rows, n: d, transposeA: true) }
        }
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(gram, n: d), let top = values.max(), top > 0 else {
            throw InputError("the patch matrix is zero or its eigen-decomposition failed")
        }
        let kept = (0..<d).filter { values[$0] > 1e-10 * top }
        let r = kept.count
        var v = [Double](repeating: 0, count: d * r)
        for (column, k) in kept.enumerated() { for j in 0..<d { v[j * r + column] = vectors[j * d + k] } }
        var f = [Double](repeating: 0, count: rows * r)
        patches.withUnsafeBufferPointer { a in
            v.withUnsafeBufferPointer { vb in
                f.withUnsafeMutableBufferPointer { LinearAlgebra.gemm(a.baseAddress!, vb.baseAddress!, $0.baseAddress!, m: rows, k: d, n: r) }
            }
        }
        factor = f; rank = r
    }

    /// The identity CNN's input kernel C_pool(x, x') = m(x).m(x')/(K^2 C), m the pooled patch
    /// (notes/cnn-bayes.md (CB1a)): n x n.
    public var pooledKernel: [Double] {
        let n = points, d = dimension, q = positions
        var m = [Double](repeating: 0, count: n * d)
        for nu in 0..<n { for p in 0..<q { for k in 0..<d { m[nu * d + k] += patches[(nu * q + p) * d + k] / Double(q) } } }
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n {
            var s = 0.0
            for k in 0..<d { s += m[i * d + k] * m[j * d + k] }
            c[i * n + j] = s; c[j * n + i] = s
        } }
        return c
    }

    /// The lazy CNN NNGP E psi psi^T under the prior (notes/cnn-two-layer.md (CN5)): the activation's
    /// kernel map on every pair of positions, averaged over the |P|^2 pairs (n x n). The min-max's lazy
    /// start (CB7); computed here from A so that Simulation does not depend on Theory.
    public func lazyKernel(_ activation: Activation) -> [Double] {
        let n = points, q = positions, d = dimension, rows = n * q
        var gram = [Double](repeating: 0, count: rows * rows)
        patches.withUnsafeBufferPointer { a in
            gram.withUnsafeMutableBufferPointer { LinearAlgebra.gemm(a.baseAddress!, a.baseAddress!, $0.baseAddress!, m: rows, k: d, n: rows, transposeB: true) }
        }
        var k = [Double](repeating: 0, count: n * n)
        for mu in 0..<n { for nu in mu..<n {
            var s = 0.0
            for p in 0..<q { for r in 0..<q {
                let i = mu * q + p, j = nu * q + r
                s += activation.lazyStep(gram[i * rows + j], gram[i * rows + i], gram[j * rows + j]).value
            } }
            k[mu * n + nu] = s / Double(q * q); k[nu * n + mu] = k[mu * n + nu]
        } }
        return k
    }

    /// Features of `count` filters (rows of `filters`: their coordinates z, count x r): psi into `features`
    /// (count x n, row stride `stride`), in parallel over the sampler's fixed chunks: per block of rows
    /// H = Z F^T (rows x n|P|), phi(H), then the mean over each point's positions.
    func features(_ filters: UnsafeMutableBufferPointer<Double>, count: Int, activation: Activation,
                  into features: UnsafeMutableBufferPointer<Double>, stride: Int) {
        let n = points, q = positions, d = rank, width = n * q
        let chunks = NormalSampler.chunks, size = (count + chunks - 1) / chunks
        let inverse = 1 / Double(q)
        factor.withUnsafeBufferPointer { a in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * size, hi = min(count, (c + 1) * size)
                if lo >= hi { return }
                let block = max(1, min(hi - lo, (1 << 15) / max(1, width)))
                let h = UnsafeMutableBufferPointer<Double>.allocate(capacity: block * width)
                defer { h.deallocate() }
                var first = lo
                while first < hi {
                    let rows = min(block, hi - first)
                    LinearAlgebra.gemm(filters.baseAddress! + first * d, a.baseAddress!, h.baseAddress!, m: rows, k: d, n: width, transposeB: true)
                    let used = UnsafeMutableBufferPointer(rebasing: h[0..<(rows * width)])
                    activation.apply(used)
                    for r in 0..<rows {
                        let out = (first + r) * stride, row = r * width
                        for nu in 0..<n {
                            var s = 0.0
                            for p in 0..<q { s += h[row + nu * q + p] }
                            features[out + nu] = s * inverse
                        }
                    }
                    first += rows
                }
            }
        }
    }
}
