import Dispatch
import Foundation
import Core
import Numerics

/// The population step (GV1)-(GV3) of `ANTKPopulation`, restructured for speed without changing the
/// update beyond rounding (notes/verify-antk.md (GV23)):
///
/// - one fused pass over h per step (`refresh`) evaluates phi and phi' once per entry and yields the
///   predictions f (GV3) together with the caches phi(h_t) and g = z phi'(h_t) on the training columns
///   that the next Euler step needs (GV23a);
/// - the step (`advance`) folds the residual into the kernel, b C = g diag(Delta) C, so the M x P
///   matrix b is never formed, and dz = phi(h_t) Delta is one matrix-vector product (GV23b);
/// - when the inputs have fewer features than the product needs (D (P + n) < P n), the rank-D form
///   b C_rows = ((g diag(Delta)) X_t) X^T / D replaces the M x P x n product by M x P x D and
///   M x D x n products (GV23c).
///
/// - a real step (`step`) fuses the Euler update and the refresh per block of neurons (GV23d), so the
///   fields pass through the cache once per step; `advance` alone serves trial steps (step-size and
///   velocity checks), which must not touch the caches.
/// - for ReLU in the dense form the product is taken by sign bits (`ReLUSignProduct`, (GV23e)): the
///   refresh packs the signs of h instead of caching phi(h) and g, and each row's step (readout force,
///   table sums, update, refresh) runs in one pass over the row.
///
/// The passes run over fixed neuron chunks in parallel; partial sums are added in chunk order, so
/// the result does not depend on the number of threads.
final class ANTKPopulationStepper: @unchecked Sendable {
    let size: Int, count: Int, trainCount: Int, dimension: Int
    let gamma: Double, lambda: Double
    let activation: Activation
    let labels: [Double]
    /// Dense form: C restricted to the training rows (P x n). Rank-D form: X_t (P x D) and X^T / D (D x n).
    let kernelRows: [Double]
    let trainInputs: [Double]
    let inputsTransposed: [Double]
    let reduced: Bool
    /// Caches of the last `refresh` (M x P each): phi(h) and z phi'(h) on the training columns.
    private var values: [Double]
    private var gains: [Double]
    private var projected: [Double]
    /// ReLU, dense form, tables within the cache (GV23e): the product by sign bits, the rows' sign bits (M x G bytes) as the cache
    /// of the last refresh, and the step's tables (scratch).
    let signs: ReLUSignProduct?
    private var bits: [UInt8]
    private var tables: [Double]
    static let chunks = 16

    /// `reduced` nil: the rank-D form when it needs fewer flops (GV23c).
    init(population pop: ANTKPopulation, data: LabelledData, reduced: Bool? = nil) {
        size = pop.size; count = pop.count; trainCount = data.trainCount; dimension = data.dimension
        gamma = pop.gamma; lambda = pop.lambda; activation = pop.activation
        labels = data.labels
        let (p, n, d) = (trainCount, count, dimension)
        self.reduced = reduced ?? (d * (p + n) < p * n)
        if self.reduced {
            kernelRows = []
            trainInputs = Array(data.inputs[0..<(p * d)])
            var t = [Double](repeating: 0, count: d * n)
            for nu in 0..<n { for j in 0..<d { t[j * n + nu] = data.inputs[nu * d + j] / Double(d) } }
            inputsTransposed = t
        } else {
            kernelRows = Array(data.inputKernel[0..<(p * n)])
            trainInputs = []; inputsTransposed = []
        }
        // (GV23e) where its tables fit in the cache; otherwise the dgemm form.
        let signs = activation == .relu && !self.reduced ? ReLUSignProduct(train: p, points: n) : nil
        self.signs = signs
        values = [Double](repeating: 0, count: signs == nil ? size * p : 0)
        gains = values
        projected = self.reduced ? [Double](repeating: 0, count: size * d) : []
        bits = [UInt8](repeating: 0, count: (signs?.groups ?? 0) * pop.size)
        tables = [Double](repeating: 0, count: signs?.tableCount ?? 0)
    }

    /// f on every point (GV3) for the population's current state, and the caches for `advance` (GV23a).
    func refresh(_ pop: ANTKPopulation) -> [Double] {
        let (m, n, p, chunks) = (size, count, trainCount, Self.chunks)
        let rowsPerChunk = (m + chunks - 1) / chunks
        let activation = self.activation
        var sums = [Double](repeating: 0, count: chunks * n)
        if let signs {
            // (GV23e): the sums of (GV23a) and the rows' sign bits.
            pop.fields.withUnsafeBufferPointer { h in
                pop.readouts.withUnsafeBufferPointer { z in
                    bits.withUnsafeMutableBufferPointer { b in
                        sums.withUnsafeMutableBufferPointer { s in
                            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                                let lo = c * rowsPerChunk, hi = min(m, lo + rowsPerChunk)
                                for i in lo..<max(lo, hi) {
                                    signs.refresh(h.baseAddress! + i * n, readout: z[i], bits: b.baseAddress! + i * signs.groups,
                                                  sum: s.baseAddress! + c * n)
                                }
                            }
                        }
                    }
                }
            }
            return combine(sums)
        }
        pop.fields.withUnsafeBufferPointer { h in
            pop.readouts.withUnsafeBufferPointer { z in
                values.withUnsafeMutableBufferPointer { v in
                    gains.withUnsafeMutableBufferPointer { g in
                        sums.withUnsafeMutableBufferPointer { s in
                            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                                let lo = c * rowsPerChunk, hi = min(m, lo + rowsPerChunk)
                                if lo >= hi { return }
                                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 3 * n)
                                defer { scratch.deallocate() }
                                Self.refreshRows(lo, hi, h: h.baseAddress!, z: z.baseAddress!, values: v.baseAddress!, gains: g.baseAddress!,
                                                 sum: s.baseAddress! + c * n, scratch: scratch, points: n, train: p, activation: activation)
                            }
                        }
                    }
                }
            }
        }
        return combine(sums)
    }

    /// f = (sum of the chunks' partial sums, in chunk order) / (gamma M).
    private func combine(_ sums: [Double]) -> [Double] {
        var f = [Double](repeating: 0, count: count)
        for c in 0..<Self.chunks { for nu in 0..<count { f[nu] += sums[c * count + nu] } }
        let scale = 1 / (gamma * Double(size))
        return f.map { $0 * scale }
    }

    /// (GV23a) on neurons lo..<hi: caches phi(h) and z phi'(h) on the training columns, adds z phi(h) to `sum`
    /// (n entries). `scratch`: 3 n doubles.
    static func refreshRows(_ lo: Int, _ hi: Int, h: UnsafePointer<Double>, z: UnsafePointer<Double>,
                            values v: UnsafeMutablePointer<Double>, gains g: UnsafeMutablePointer<Double>,
                            sum: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>,
                            points n: Int, train p: Int, activation: Activation) {
        let row = UnsafeMutableBufferPointer(start: scratch, count: n)
        let phi = UnsafeMutableBufferPointer(start: scratch + n, count: n)
        let dphi = UnsafeMutableBufferPointer(start: scratch + 2 * n, count: n)
        for i in lo..<hi {
            let zi = z[i], base = h + i &* n
            switch activation {
            case .relu:
                reluRow(base, zi, values: v + i &* p, gains: g + i &* p, sum: sum, points: n, train: p)
            default:
                row.baseAddress!.update(from: base, count: n)
                activation.valuesAndDerivatives(row, values: phi, derivatives: dphi, count: n)
                for nu in 0..<p {
                    v[i * p + nu] = phi[nu]
                    g[i * p + nu] = zi * dphi[nu]
                }
                for nu in 0..<n { sum[nu] += zi * phi[nu] }
            }
        }
    }

    /// (GV23a) for ReLU on one neuron: values[nu] = max(h[nu], 0) and gains[nu] = z 1[h[nu] > 0] on the
    /// P training columns, sum[nu] += z max(h[nu], 0) on all n. Eight columns per SIMD operation: the
    /// columns are independent and each entry sees the same operations as the scalar form (x > 0 ? x : +0,
    /// one product, one sum; no fused multiply-add), so the results are bitwise those of the scalar loop.
    @inline(__always)
    static func reluRow(_ h: UnsafePointer<Double>, _ zi: Double, values v: UnsafeMutablePointer<Double>,
                        gains g: UnsafeMutablePointer<Double>, sum: UnsafeMutablePointer<Double>, points n: Int, train p: Int) {
        typealias Lanes = SIMD8<Double>
        let zero = Lanes(repeating: 0), z = Lanes(repeating: zi)
        func load(_ pointer: UnsafePointer<Double>) -> Lanes { UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self) }
        func store(_ lanes: Lanes, _ pointer: UnsafeMutablePointer<Double>) {
            UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: Lanes.self)
        }
        var nu = 0
        while nu &+ 8 <= p {
            let x = load(h + nu), positive = x .> zero
            let value = zero.replacing(with: x, where: positive)
            store(value, v + nu)
            store(zero.replacing(with: z, where: positive), g + nu)
            store(load(sum + nu) + z * value, sum + nu)
            nu &+= 8
        }
        while nu < p {
            let x = h[nu], value = x > 0 ? x : 0
            v[nu] = value
            g[nu] = x > 0 ? zi : 0
            sum[nu] += zi * value
            nu &+= 1
        }
        while nu &+ 8 <= n {
            let x = load(h + nu)
            store(load(sum + nu) + z * zero.replacing(with: x, where: x .> zero), sum + nu)
            nu &+= 8
        }
        while nu < n { let x = h[nu]; sum[nu] += zi * (x > 0 ? x : 0); nu &+= 1 }
    }

    /// dz[i - start] = sum over mu of values[i, mu] delta[mu] (GV2) for rows start..<end, each row's sum in
    /// the order mu = 0, 1, ...: four rows at a time with independent accumulators hide the addition's
    /// latency without changing any row's order of operations (bitwise the one-row loop).
    @inline(__always)
    static func readoutForces(_ start: Int, _ end: Int, values v: UnsafePointer<Double>, delta: UnsafePointer<Double>,
                              into dz: UnsafeMutablePointer<Double>, train p: Int) {
        var i = start
        while i &+ 4 <= end {
            let r0 = v + i &* p, r1 = r0 + p, r2 = r1 + p, r3 = r2 + p
            var q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
            for mu in 0..<p {
                let d = delta[mu]
                q0 += r0[mu] * d; q1 += r1[mu] * d; q2 += r2[mu] * d; q3 += r3[mu] * d
            }
            dz[i &- start] = q0; dz[i &- start &+ 1] = q1; dz[i &- start &+ 2] = q2; dz[i &- start &+ 3] = q3
            i &+= 4
        }
        while i < end {
            let row = v + i &* p
            var q = 0.0
            for mu in 0..<p { q += row[mu] * delta[mu] }
            dz[i &- start] = q
            i &+= 1
        }
    }

    /// One Euler step (GV1), (GV2) from the refreshed state (predictions `f`) and the refresh (GV23a) of the new
    /// state, fused per block of neurons (GV23d): each block's product, readout update and refresh run while the
    /// block's fields are in cache; blocks run in parallel with single-threaded BLAS. Returns the new predictions.
    func step(_ pop: inout ANTKPopulation, predictions f: [Double], dt: Double) -> [Double] {
        let (m, n, p, d, chunks) = (size, count, trainCount, dimension, Self.chunks)
        let delta = (0..<p).map { labels[$0] - f[$0] }
        let decay = 1 - lambda * dt, rate = dt * gamma
        // The right factor with Delta folded in (GV23b, GV23c).
        var right = reduced ? trainInputs : kernelRows
        let width = reduced ? d : n
        for mu in 0..<p { for j in 0..<width { right[mu * width + j] *= delta[mu] } }
        let rowsPerChunk = (m + chunks - 1) / chunks
        if let signs {
            return combine(rowSteps(signs, &pop, right: right, delta: delta, decay: decay, rate: rate, refresh: true))
        }
        let blockRows = max(8, (1 << 15) / max(n, p))
        let (reduced, activation) = (self.reduced, self.activation)
        var sums = [Double](repeating: 0, count: chunks * n)
        LinearAlgebra.withThreadCount(1) {
            pop.fields.withUnsafeMutableBufferPointer { h in
                pop.readouts.withUnsafeMutableBufferPointer { z in
                    values.withUnsafeMutableBufferPointer { v in
                        gains.withUnsafeMutableBufferPointer { g in
                            sums.withUnsafeMutableBufferPointer { s in
                                right.withUnsafeBufferPointer { r in
                                    delta.withUnsafeBufferPointer { deltas in
                                        inputsTransposed.withUnsafeBufferPointer { xt in
                                            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                                                let lo = c * rowsPerChunk, hi = min(m, lo + rowsPerChunk)
                                                if lo >= hi { return }
                                                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 3 * n + blockRows * (d + 1))
                                                defer { scratch.deallocate() }
                                                let dz = scratch + 3 * n, projected = dz + blockRows
                                                var start = lo
                                                while start < hi {
                                                    let end = min(hi, start + blockRows), rows = end - start
                                                    // dz = phi(h_t) Delta (GV2) from the cached phi(h_t), before the refresh overwrites it.
                                                    Self.readoutForces(start, end, values: UnsafePointer(v.baseAddress!), delta: deltas.baseAddress!,
                                                                       into: dz, train: p)
                                                    if reduced {
                                                        LinearAlgebra.gemm(g.baseAddress! + start * p, r.baseAddress!, projected, m: rows, k: p, n: d)
                                                        LinearAlgebra.gemm(projected, xt.baseAddress!, h.baseAddress! + start * n, m: rows, k: d, n: n,
                                                                           alpha: rate, beta: decay)
                                                    } else {
                                                        LinearAlgebra.gemm(g.baseAddress! + start * p, r.baseAddress!, h.baseAddress! + start * n,
                                                                           m: rows, k: p, n: n, alpha: rate, beta: decay)
                                                    }
                                                    for i in start..<end { z[i] = decay * z[i] + rate * dz[i - start] }
                                                    Self.refreshRows(start, end, h: UnsafePointer(h.baseAddress!), z: UnsafePointer(z.baseAddress!),
                                                                     values: v.baseAddress!,
                                                                     gains: g.baseAddress!, sum: s.baseAddress! + c * n, scratch: scratch,
                                                                     points: n, train: p, activation: activation)
                                                    start = end
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return combine(sums)
    }

    /// (GV23e): the tables of R = diag(Delta) C_rows (`right`), then every row's step by them, in parallel over
    /// the fixed chunks. `refresh`: each row is refreshed too (a real step: new sign bits; returns the chunks'
    /// partial sums of the predictions, chunks x n); otherwise the sign bits are left alone (a trial step).
    @discardableResult
    private func rowSteps(_ signs: ReLUSignProduct, _ pop: inout ANTKPopulation, right: [Double], delta: [Double],
                          decay: Double, rate: Double, refresh: Bool) -> [Double] {
        let (m, n, chunks, groups) = (size, count, Self.chunks, signs.groups)
        let rowsPerChunk = (m + chunks - 1) / chunks
        var partial = [Double](repeating: 0, count: refresh ? chunks * n : 0)
        right.withUnsafeBufferPointer { r in
            tables.withUnsafeMutableBufferPointer { t in signs.tabulate(r.baseAddress!, into: t.baseAddress!) }
        }
        pop.fields.withUnsafeMutableBufferPointer { h in
            pop.readouts.withUnsafeMutableBufferPointer { z in
                bits.withUnsafeMutableBufferPointer { b in
                    partial.withUnsafeMutableBufferPointer { s in
                        tables.withUnsafeBufferPointer { t in
                            delta.withUnsafeBufferPointer { deltas in
                                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                                    let lo = c * rowsPerChunk, hi = min(m, lo + rowsPerChunk)
                                    if lo >= hi { return }
                                    let rows = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: groups)
                                    defer { rows.deallocate() }
                                    for i in lo..<hi {
                                        z[i] = signs.step(h.baseAddress! + i * n, readout: z[i], bits: b.baseAddress! + i * groups,
                                                          tables: t.baseAddress!, delta: deltas.baseAddress!, decay: decay, rate: rate,
                                                          sum: refresh ? s.baseAddress! + c * n : nil, rows: rows)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return partial
    }

    /// One Euler step of (GV1), (GV2) from the state of the last `refresh` (whose predictions are `f`),
    /// applied to `pop` (that state, or a copy of it).
    func advance(_ pop: inout ANTKPopulation, predictions f: [Double], dt: Double) {
        let (m, n, p, d) = (size, count, trainCount, dimension)
        let delta = (0..<p).map { labels[$0] - f[$0] }
        let decay = 1 - lambda * dt, rate = dt * gamma
        if let signs {
            // (GV23e) without the refresh: the sign bits stay those of the refreshed state.
            var scaledRows = kernelRows
            for mu in 0..<p { for nu in 0..<n { scaledRows[mu * n + nu] *= delta[mu] } }
            rowSteps(signs, &pop, right: scaledRows, delta: delta, decay: decay, rate: rate, refresh: false)
            return
        }
        // dz = phi(h) Delta (GV2), an M x P matrix-vector product.
        var dz = [Double](repeating: 0, count: m)
        LinearAlgebra.flowProduct(values, transposeA: false, delta, transposeB: false, m: m, k: p, n: 1, into: &dz)
        if reduced {
            // (GV23c): G = g (diag(Delta) X_t), then h <- decay h + rate G X^T / D.
            var scaledInputs = trainInputs
            for mu in 0..<p { for j in 0..<d { scaledInputs[mu * d + j] *= delta[mu] } }
            LinearAlgebra.flowProduct(gains, transposeA: false, scaledInputs, transposeB: false, m: m, k: p, n: d, into: &projected)
            LinearAlgebra.flowProduct(projected, transposeA: false, inputsTransposed, transposeB: false, m: m, k: d, n: n,
                                      alpha: rate, beta: decay, into: &pop.fields)
        } else {
            // (GV23b): h <- decay h + rate g (diag(Delta) C_rows).
            var scaledRows = kernelRows
            for mu in 0..<p { for nu in 0..<n { scaledRows[mu * n + nu] *= delta[mu] } }
            LinearAlgebra.flowProduct(gains, transposeA: false, scaledRows, transposeB: false, m: m, k: p, n: n,
                                      alpha: rate, beta: decay, into: &pop.fields)
        }
        for i in 0..<m { pop.readouts[i] = decay * pop.readouts[i] + rate * dz[i] }
    }
}
