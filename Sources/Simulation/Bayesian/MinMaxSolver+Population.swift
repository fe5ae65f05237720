import Dispatch
import Foundation
import Core
import Numerics

/// The inner expectation by a sequential Monte Carlo population carried across outer iterations
/// (notes/anbk-data.md (NB12)-(NB14)), the `.smc` alternative to the importance sampler (V6)-(V6b).
extension MinMaxSolver {
    /// h = G e over all points for walkers e in R^d (prior N(0, I_d)), plus, on the test rows, fresh noise
    /// K xi from the prior's conditional law given the training components (NB12): `train` is p x d,
    /// `test` q x d, `noise` q x q (nil: none).
    struct LayerMap {
        let dimension: Int
        let train: [Double]
        let test: [Double]
        let noise: [Double]?
    }

    /// Layer l's map (NB12): for a singular input kernel (layer 1 with fewer features than points, (NB9))
    /// C = F F^T and G = F over all points, no noise; otherwise G_t = chol(Phi_tt), test rows
    /// Phi_*t Phi_tt^-1 G_t = Phi_*t G_t^-T and K K^T = Phi_** - Phi_*t Phi_tt^-1 Phi_t* (Cholesky, or
    /// the eigen square root with negative rounding eigenvalues set to 0).
    func layerMap(input: [Double], workspace ws: Workspace) throws -> LayerMap {
        let p = problem.trainCount, pa = problem.pointCount, q = pa - p
        if input == problem.inputKernel, let cached = ws.inputMap { return cached }
        if input == problem.inputKernel, LinearAlgebra.cholesky(input, n: pa) == nil {
            guard let eigen = LinearAlgebra.symmetricEigen(input, n: pa), let top = eigen.values.max(), top > 0 else {
                throw StepFailure(reason: "the input kernel has no positive eigenvalue")
            }
            let kept = eigen.values.indices.filter { eigen.values[$0] > 1e-10 * top }
            let r = kept.count
            var factor = [Double](repeating: 0, count: pa * r)
            for (j, k) in kept.enumerated() {
                let root = eigen.values[k].squareRoot()
                for i in 0..<pa { factor[i * r + j] = eigen.vectors[i * pa + k] * root }
            }
            let map = LayerMap(dimension: r, train: Array(factor[0..<(p * r)]), test: Array(factor[(p * r)...]), noise: nil)
            ws.inputMap = map
            return map
        }
        let phiT = SmallMatrix.leadingBlock(input, pa, p)
        guard let lower = LinearAlgebra.cholesky(phiT, n: p) else { throw StepFailure(reason: "Phi lost positive definiteness") }
        var test: [Double] = [], noise: [Double]? = nil
        if q > 0 {
            guard let lowerInverse = LinearAlgebra.solve(lower, SmallMatrix.identity(p), n: p, nrhs: p) else { throw StepFailure(reason: "Phi lost positive definiteness") }
            let cross = (p..<pa).flatMap { i in (0..<p).map { input[i * pa + $0] } }
            test = LinearAlgebra.multiplyTransposed(cross, lowerInverse, m: q, k: p, n: p)
            let explained = LinearAlgebra.multiplyTransposed(test, test, m: q, k: p, n: q)
            let conditional = SmallMatrix.symmetrized((0..<(q * q)).map { input[(p + $0 / q) * pa + p + $0 % q] - explained[$0] }, q)
            if let k = LinearAlgebra.cholesky(conditional, n: q) {
                noise = k
            } else if let eigen = LinearAlgebra.symmetricEigen(conditional, n: q) {
                var k = [Double](repeating: 0, count: q * q)
                for j in 0..<q { let root = max(0, eigen.values[j]).squareRoot(); for i in 0..<q { k[i * q + j] = eigen.vectors[i * q + j] * root } }
                noise = k
            } else {
                throw StepFailure(reason: "the conditional test covariance has no eigen decomposition")
            }
        }
        let map = LayerMap(dimension: p, train: lower, test: test, noise: noise)
        if input == problem.inputKernel { ws.inputMap = map }
        return map
    }

    /// Layer l's samples from its population (NB12): advance the walkers to the tilt of `dual` under the
    /// map of Phi^{l-1} = `input`, then write h (all points), phi(h) and base = log W - T into the
    /// workspace, so that `tiltedMoments(dual:)` weights them by W (and any other dual by importance
    /// reweighting from W, as the inner step does). `reset`: start again from the prior (tempered to `dual`).
    /// `settled`: whether the path has left its transient, so that the slice moves may use the fitted reference (NB31d).
    func sampleFromPopulation(layer l: Int, input: [Double], dual: [Double], seed: UInt64, reset: Bool, settled: Bool, workspace ws: Workspace) throws {
        let n = settings.samples, p = problem.trainCount, pa = problem.pointCount, q = pa - p
        let map = try layerMap(input: input, workspace: ws)
        let population = ws.population(layer: l, count: n, trainCount: p, activation: problem.activation)
        population.fittedReference = settings.sliceReference == .fitted && settled
        if reset || population.dimension != map.dimension {
            population.reset(dimension: map.dimension, seed: NormalSampler.derive(seed, 0x1417))
        }
        let tilt = try population.advance(to: TiltedPopulation.Tilt(map: map.train, dual: dual, p: p), sweeps: settings.populationMoves, seed: seed)
        let d = map.dimension, (h, f, base) = (ws.h, ws.f, ws.base)
        let full = map.train + map.test
        population.walkers.withUnsafeBufferPointer { e in
            full.withUnsafeBufferPointer { LinearAlgebra.gemm(e.baseAddress!, $0.baseAddress!, h.baseAddress!, m: n, k: d, n: pa, transposeB: true) }
        }
        if let noise = map.noise, q > 0 {
            let xi = NormalSampler.vector(n * q, seed: NormalSampler.derive(seed, 0x7E57))
            var added = [Double](repeating: 0, count: n * q)
            xi.withUnsafeBufferPointer { x in noise.withUnsafeBufferPointer { k in added.withUnsafeMutableBufferPointer {
                LinearAlgebra.gemm(x.baseAddress!, k.baseAddress!, $0.baseAddress!, m: n, k: q, n: q, transposeB: true)
            } } }
            for s in 0..<n { for j in 0..<q { h[s * pa + p + j] += added[s * q + j] } }
        }
        _ = f.initialize(from: h)
        problem.activation.apply(f)
        for s in 0..<n { base[s] = population.logWeights[s] - tilt[s] }
    }

    /// After layer l's inner step at the final dual: the weights of the last `tiltedMoments` call, as logs
    /// base + T_dual, become the population's weights, targeting the tilt of `dual` (NB12).
    func commitPopulation(layer l: Int, dual: [Double], workspace ws: Workspace) {
        let n = settings.samples, p = problem.trainCount, pa = problem.pointCount
        guard let population = ws.populations[l], let map = population.reference?.map else { return }
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer { values.deallocate() }
        Self.rowForms(ws.f, symmetric: dual, into: values, rows: n, stride: pa, columns: p, scale: -0.5, workspace: ws)
        let tilt = Array(values)
        population.commit(logWeights: (0..<n).map { ws.base[$0] + tilt[$0] }, tilt: TiltedPopulation.Tilt(map: map, dual: dual, p: p), values: tilt)
    }
}
