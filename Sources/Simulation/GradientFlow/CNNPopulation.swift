import Foundation
import Core
import Numerics

/// The population DMFT of the two-layer CNN with weight decay (notes/cnn-two-layer.md (CN6)): each
/// site is one filter, carrying its fields h_{(nu,p)} on all n points and |P| positions and its
/// readout z, with h(0) ~ N(0, C) over (point, position) pairs (C the patch-patch kernel (CN2)) and
/// z(0) ~ N(0, 1), evolved by the MLP's (GV1)-(GV3) with the position sums:
///
///     dh_(nu,p)/dt = gamma z sum_mu Delta_mu |P|^-1 sum_p' phi'(h_(mu,p')) C_{(mu,p'),(nu,p)} - lambda h_(nu,p)
///     dz/dt        = gamma sum_mu Delta_mu psi_mu - lambda z,   f_nu = <z psi_nu>/gamma
///
/// C = A A^T is applied through the scaled patch matrix A (`PooledFlow`). One position (the
/// patch is the image, or `.mlp`) is the MLP's population `ANTKPopulation` from the same seed (CN8).
public struct CNNPopulation: Sendable, PooledFlowState {
    public let flow: PooledFlow
    /// h, site-major: size x n|P| (row i = site i's fields, column nu |P| + p).
    public var first: [Double]
    public var readouts: [Double]
    public var size: Int { readouts.count }
    var fieldReachIsPatchNorm: Bool { false }

    /// h_i = S xi_i with S = C^{1/2} the symmetric root (as `ANTKPopulation`, whose seed derivation
    /// it shares), computed from the thin factor C = A A^T: S = U diag(s) U^T with A = U diag(s) V^T.
    /// `antithetic` (even size): site i + size/2 has site i's fields and the opposite readout, so that
    /// f = 0 at t = 0 (to rounding; the lazy limit's start, notes/cnn-two-layer.md (CN7)).
    public init(size: Int, flow: PooledFlow, seed: UInt64, antithetic: Bool = false) throws {
        precondition(!antithetic || size % 2 == 0, "an antithetic population has an even size")
        let m = flow.width, d = flow.dimension
        // A^T A = V diag(s^2) V^T (d x d); U = A V diag(1/s) on the directions above the rounding floor.
        var gram = [Double](repeating: 0, count: d * d)
        LinearAlgebra.flowProduct(flow.patches, transposeA: true, flow.patches, transposeB: false, m: d, k: m, n: d, into: &gram)
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(gram, n: d) else {
            throw InputError("patch kernel: eigen-decomposition failed")
        }
        let top = values.max() ?? 0
        let kept = (0..<d).filter { values[$0] > top * 1e-13 * Double(max(d, m)) }
        let r = kept.count
        var v = [Double](repeating: 0, count: d * r)
        for (column, k) in kept.enumerated() { for j in 0..<d { v[j * r + column] = vectors[j * d + k] } }
        var u = [Double](repeating: 0, count: m * r)   // A V (m x r), then scaled to U
        LinearAlgebra.flowProduct(flow.patches, transposeA: false, v, transposeB: false, m: m, k: d, n: r, into: &u)
        let singular = kept.map { values[$0].squareRoot() }
        for row in 0..<m { for column in 0..<r { u[row * r + column] /= singular[column] } }
        // h_i = U diag(s) U^T xi_i: rows of Xi U (size x r), scaled by s, times U^T.
        let drawn = antithetic ? size / 2 : size
        var xi = NormalSampler.vector(drawn * m, seed: NormalSampler.derive(seed, 0))
        if antithetic { xi += xi }
        var t = [Double](repeating: 0, count: size * r)
        LinearAlgebra.flowProduct(xi, transposeA: false, u, transposeB: false, m: size, k: m, n: r, into: &t)
        for i in 0..<size { for column in 0..<r { t[i * r + column] *= singular[column] } }
        var h = [Double](repeating: 0, count: size * m)
        if r > 0 { LinearAlgebra.flowProduct(t, transposeA: false, u, transposeB: true, m: size, k: r, n: m, into: &h) }
        self.flow = flow
        first = h
        let z = NormalSampler.vector(drawn, seed: NormalSampler.derive(seed, 1))
        readouts = antithetic ? z + z.map { -$0 } : z
    }

    func fields(_ flow: PooledFlow) -> [Double] { first }

    /// h <- (1 - lambda dt) h + dt gamma g A^T, z <- (1 - lambda dt) z + dt gamma dz (CN6).
    mutating func apply(_ flow: PooledFlow, g: [Double], dz: [Double], dt: Double) {
        let decay = 1 - flow.lambda * dt
        LinearAlgebra.flowProduct(g, transposeA: false, flow.patches, transposeB: true, m: size, k: flow.dimension, n: flow.width,
                                  alpha: dt * flow.gamma, beta: decay, into: &first)
        for i in 0..<size { readouts[i] = decay * readouts[i] + dt * flow.gamma * dz[i] }
    }

    /// f on every point (CN3).
    public func predictions() -> [Double] {
        flow.evaluate(first, readouts: readouts).f
    }

    /// Runs to stationarity or to the budget (`ANTKFlowSettings`).
    public mutating func run(_ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        runPooled(flow, settings, progress: progress)
    }
}
