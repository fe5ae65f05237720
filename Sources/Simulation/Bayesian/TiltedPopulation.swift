import Dispatch
import Foundation
import Core
import Numerics

/// The sequential Monte Carlo population of one layer's single-site tilted law (notes/anbk-data.md
/// (NB12)-(NB14)): n weighted walkers e_s in whitened coordinates, h = G e with e ~ N(0, I_d) the prior,
/// carried across outer iterations. Each iteration reweights them by the ratio of the new to the old
/// tilted law (incremental weights), with adaptive tempering when that ratio would bring the effective
/// sample size below n/2, resamples (systematic) when the ESS is below n/2, and moves every walker by
/// elliptical slice sampling (Murray, Adams and MacKay 2010), which leaves the target invariant.
final class TiltedPopulation: @unchecked Sendable {
    /// One tilt term T(e) = -phi_t(G e)^T hatPhi phi_t(G e) / 2 (G: p x d, row-major; hatPhi stored as the
    /// triangle 2 strictLower + diag of the rowForms trick). `zero`: hatPhi = 0, T = 0.
    struct Tilt {
        let map: [Double]
        let triangle: [Double]
        let zero: Bool

        init(map: [Double], dual: [Double], p: Int) {
            self.map = map
            zero = dual.allSatisfy { $0 == 0 }
            triangle = (0..<(p * p)).map { e in
                let (i, j) = (e / p, e % p)
                return j < i ? dual[e] + dual[j * p + i] : j == i ? dual[e] : 0
            }
        }
    }

    let count: Int
    let trainCount: Int
    let activation: Activation
    /// Walker dimension d (0 before the first draw).
    private(set) var dimension = 0
    /// Walkers (n x d), unnormalized log weights, and the tilt of each walker under the reference tilt
    /// (the law the weights are for).
    var walkers: [Double] = []
    var logWeights: [Double] = []
    var referenceTilt: [Double] = []
    var reference: Tilt?
    /// Counters: resamplings, intermediate tempering temperatures, slice evaluations and moves (over the run).
    var resamplings = 0, temperingSteps = 0, evaluations = 0, moves = 0, stalls = 0

    static let resampleFraction = 0.5
    static let maximumTemperingSteps = 200
    static let maximumShrinks = 60
    /// Smallest effective size of the fitting half, in units of the dimension d, for the fitted reference (NB31).
    static let referenceMinimum = 4.0
    /// Whether the slice moves use the Gaussian reference fitted to the other half of the walkers (NB31) instead of the prior.
    var fittedReference: Bool

    init(count: Int, trainCount: Int, activation: Activation, fittedReference: Bool = true) {
        self.count = count
        self.trainCount = trainCount
        self.activation = activation
        self.fittedReference = fittedReference
    }

    /// Fresh walkers from the prior N(0, I_d), equal weights, reference tilt 0 (the prior itself).
    func reset(dimension d: Int, seed: UInt64) {
        dimension = d
        walkers = NormalSampler.vector(count * d, seed: seed)
        logWeights = [Double](repeating: 0, count: count)
        referenceTilt = [Double](repeating: 0, count: count)
        reference = nil
    }

    var chunkSize: Int { (count + NormalSampler.chunks - 1) / NormalSampler.chunks }

    static func effectiveSize(_ logWeights: [Double]) -> Double {
        let top = logWeights.max() ?? 0
        guard top.isFinite else { return 0 }
        var sum = 0.0, squares = 0.0
        for x in logWeights { let w = exp(x - top); sum += w; squares += w * w }
        return squares > 0 ? sum * sum / squares : 0
    }

    /// T(e) over `rows` points (row-major, d columns) for each tilt: out[t][s].
    func tilts(_ tilts: [Tilt], points: UnsafePointer<Double>, rows m: Int) -> [[Double]] {
        let p = trainCount, d = dimension
        var out = tilts.map { _ in [Double](repeating: 0, count: m) }
        guard m > 0 else { return out }
        let a = UnsafeMutablePointer<Double>.allocate(capacity: m * p), b = UnsafeMutablePointer<Double>.allocate(capacity: m * p)
        defer { a.deallocate(); b.deallocate() }
        for (k, tilt) in tilts.enumerated() where !tilt.zero {
            tilt.map.withUnsafeBufferPointer { LinearAlgebra.gemm(points, $0.baseAddress!, a, m: m, k: d, n: p, transposeB: true) }
            out[k] = forms(a, scratch: b, rows: m, tilt: tilt)
        }
        return out
    }

    /// -phi(x)^T hatPhi phi(x) / 2 per row of x (m x p: the training components; overwritten by phi(x)).
    func forms(_ x: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>, rows m: Int, tilt: Tilt) -> [Double] {
        let p = trainCount
        activation.apply(UnsafeMutableBufferPointer(start: x, count: m * p))
        scratch.update(from: x, count: m * p)
        tilt.triangle.withUnsafeBufferPointer { LinearAlgebra.multiplyByLowerTransposed(scratch, lower: $0.baseAddress!, rows: m, columns: p) }
        return (0..<m).map { s in
            var q = 0.0
            for j in 0..<p { q += x[s * p + j] * scratch[s * p + j] }
            return -0.5 * q
        }
    }

    /// T over all walkers, in parallel over the fixed chunks.
    func tiltsOfWalkers(_ list: [Tilt]) -> [[Double]] {
        let n = count, d = dimension, size = chunkSize
        let parts = ConcurrentResults<[[Double]]>(count: NormalSampler.chunks)
        walkers.withUnsafeBufferPointer { e in
            DispatchQueue.concurrentPerform(iterations: NormalSampler.chunks) { c in
                let lo = min(n, c * size), hi = min(n, (c + 1) * size)
                parts.set(c, tilts(list, points: e.baseAddress! + lo * d, rows: hi - lo))
            }
        }
        return list.indices.map { k in (0..<NormalSampler.chunks).flatMap { parts.get($0)[k] } }
    }

    /// Systematic resampling (one uniform), then equal weights; the per-walker tilt caches follow.
    func resample(seed: UInt64, caches: inout [[Double]]) {
        let n = count, d = dimension
        let top = logWeights.max()!
        let w = logWeights.map { exp($0 - top) }
        let total = w.reduce(0, +)
        var generator = SeededGenerator(seed: seed)
        let u = Double(generator.next() >> 11) * 0x1p-53
        var indices = [Int](repeating: 0, count: n)
        var cumulative = w[0] / total, j = 0
        for i in 0..<n {
            let point = (Double(i) + u) / Double(n)
            while cumulative < point && j < n - 1 { j += 1; cumulative += w[j] / total }
            indices[i] = j
        }
        var moved = [Double](repeating: 0, count: n * d)
        for i in 0..<n { for k in 0..<d { moved[i * d + k] = walkers[indices[i] * d + k] } }
        walkers = moved
        for k in caches.indices { caches[k] = indices.map { caches[k][$0] } }
        logWeights = [Double](repeating: 0, count: n)
        resamplings += 1
    }

    /// The Gaussian reference N(m, S) of a generalized elliptical slice move (notes/anbk-data.md (NB31)): the mean m,
    /// S = L L^T (L lower, d x d) and L^-1, fitted to walkers other than those it moves.
    struct Reference {
        let mean: [Double]
        let lower: [Double]
        let lowerInverse: [Double]
    }

    /// `sweeps` elliptical slice sampling moves of every walker for the target N(e; 0, I) exp(sum_k c_k T_k(e))
    /// (notes/anbk-data.md (NB13)). `caches[k]`: T_k at the current walkers, updated. `fittedReference` false: the
    /// prior N(0, I) is the slice's Gaussian (NB13), per fixed chunk with its own seeded stream over all sweeps;
    /// true: every sweep moves the two halves of the walkers in turn, each with the Gaussian reference fitted to the
    /// other half (NB31).
    func move(_ list: [(coefficient: Double, tilt: Tilt)], caches: inout [[Double]], sweeps: Int, seed: UInt64) {
        let n = count, d = dimension, size = chunkSize, terms = list.count, chunks = NormalSampler.chunks
        let current = caches
        if !fittedReference {
            let updates = ConcurrentResults<(walkers: [Double], caches: [[Double]], evaluations: Int, stalls: Int)>(count: chunks)
            walkers.withUnsafeBufferPointer { allWalkers in
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let lo = min(n, c * size), hi = min(n, (c + 1) * size)
                    var e = Array(allWalkers[(lo * d)..<(hi * d)])
                    var values = (0..<terms).map { Array(current[$0][lo..<hi]) }
                    var generator = SeededGenerator(seed: NormalSampler.derive(seed, UInt64(c)))
                    var evaluations = 0, stalls = 0
                    for sweep in 0..<sweeps where hi > lo {
                        let nu = NormalSampler.vector((hi - lo) * d, seed: NormalSampler.derive(seed, UInt64(c), UInt64(sweep), 0xE55))
                        let (used, stalled) = slice(list, walkers: &e, values: &values, noise: nu, reference: nil, generator: &generator)
                        evaluations += used; stalls += stalled
                    }
                    updates.set(c, (e, values, evaluations, stalls))
                }
            }
            walkers = (0..<chunks).flatMap { updates.get($0).walkers }
            caches = (0..<terms).map { k in (0..<chunks).flatMap { updates.get($0).caches[k] } }
            for c in 0..<chunks { evaluations += updates.get(c).evaluations; stalls += updates.get(c).stalls }
            moves += sweeps * n
            return
        }
        // (NB31): halves = the first and the last chunks/2 fixed chunks.
        let half = chunks / 2
        for sweep in 0..<sweeps {
            for part in 0..<2 {
                let moved = (part * half)..<((part + 1) * half)
                let other = (min(n, (1 - part) * half * size), min(n, (2 - part) * half * size))
                let reference = fitReference(walkers: other.0..<other.1)
                let updates = ConcurrentResults<(walkers: [Double], caches: [[Double]], evaluations: Int, stalls: Int)>(count: half)
                let values = caches
                walkers.withUnsafeBufferPointer { allWalkers in
                    DispatchQueue.concurrentPerform(iterations: half) { i in
                        let c = moved.lowerBound + i
                        let lo = min(n, c * size), hi = min(n, (c + 1) * size)
                        var e = Array(allWalkers[(lo * d)..<(hi * d)])
                        var chunkValues = (0..<terms).map { Array(values[$0][lo..<hi]) }
                        guard hi > lo else { updates.set(i, (e, chunkValues, 0, 0)); return }
                        var generator = SeededGenerator(seed: NormalSampler.derive(seed, UInt64(c), UInt64(sweep), 0x5F17))
                        let z = NormalSampler.vector((hi - lo) * d, seed: NormalSampler.derive(seed, UInt64(c), UInt64(sweep), 0xE55))
                        let (used, stalled) = slice(list, walkers: &e, values: &chunkValues, noise: z, reference: reference, generator: &generator)
                        updates.set(i, (e, chunkValues, used, stalled))
                    }
                }
                for i in 0..<half {
                    let c = moved.lowerBound + i
                    let lo = min(n, c * size), hi = min(n, (c + 1) * size)
                    guard hi > lo else { continue }
                    let update = updates.get(i)
                    walkers.replaceSubrange((lo * d)..<(hi * d), with: update.walkers)
                    for k in 0..<terms { caches[k].replaceSubrange(lo..<hi, with: update.caches[k]) }
                    evaluations += update.evaluations; stalls += update.stalls
                }
            }
        }
        moves += sweeps * n
    }

    /// The weighted mean and covariance of the walkers `range` (their current weights), the reference of (NB31);
    /// nil (the prior reference) when their effective size is below `referenceMinimum` d or the covariance is
    /// not positive definite.
    func fitReference(walkers range: Range<Int>) -> Reference? {
        let d = dimension, m = range.count
        guard m > 0 else { return nil }
        let logs = Array(logWeights[range])
        guard Self.effectiveSize(logs) >= Self.referenceMinimum * Double(d) else { return nil }
        let top = logs.max()!
        let w = logs.map { exp($0 - top) }, total = w.reduce(0, +)
        var mean = [Double](repeating: 0, count: d)
        for (s, walker) in range.enumerated() { for j in 0..<d { mean[j] += w[s] / total * walkers[walker * d + j] } }
        var centred = [Double](repeating: 0, count: m * d)
        for (s, walker) in range.enumerated() {
            let r = (w[s] / total).squareRoot()
            for j in 0..<d { centred[s * d + j] = r * (walkers[walker * d + j] - mean[j]) }
        }
        var covariance = [Double](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { x in covariance.withUnsafeMutableBufferPointer { LinearAlgebra.gram(x.baseAddress!, $0.baseAddress!, rows: m, columns: d) } }
        guard let lower = LinearAlgebra.cholesky(covariance, n: d),
              let inverse = LinearAlgebra.solve(lower, SmallMatrix.identity(d), n: d, nrhs: d) else { return nil }
        return Reference(mean: mean, lower: lower, lowerInverse: inverse)
    }

    /// One elliptical slice sweep of the m walkers e (m x d, one chunk) for the log target sum_k c_k T_k(e) + log N(e; 0, I)
    /// with the Gaussian reference N(m, S) (nil: the prior, m = 0, S = I; (NB13)) and the slice likelihood target / reference
    /// (NB31): e(theta) = m + (e - m) cos(theta) + nu sin(theta), nu = L z (z: `noise`, m x d standard normals), shrinking
    /// angle bracket. Returns the slice evaluations and the walkers that hit `maximumShrinks` (left where they were).
    func slice(_ list: [(coefficient: Double, tilt: Tilt)], walkers e: inout [Double], values: inout [[Double]], noise z: [Double],
               reference: Reference?, generator: inout SeededGenerator) -> (Int, Int) {
        let d = dimension, p = trainCount, terms = list.count, m = e.count / max(d, 1)
        func uniform() -> Double { Double((generator.next() >> 11) + 1) * 0x1p-53 }
        let ge = UnsafeMutablePointer<Double>.allocate(capacity: terms * m * p), gn = UnsafeMutablePointer<Double>.allocate(capacity: terms * m * p)
        let x = UnsafeMutablePointer<Double>.allocate(capacity: m * p), scratch = UnsafeMutablePointer<Double>.allocate(capacity: m * p)
        defer { ge.deallocate(); gn.deallocate(); x.deallocate(); scratch.deallocate() }
        var evaluations = 0, stalls = 0
        // Centred walkers and the reference's noise; for the prior, e and nu = z themselves.
        var centred = e, nu = z
        // Per walker the terms of rho(theta) = -|e(theta)|^2 / 2 + (e(theta) - m)^T S^-1 (e(theta) - m) / 2, the log of
        // N(0, I) / N(m, S) along the ellipse: rho = r0 + rc cos^2 + rs sin^2 + rcs cos sin + r1 cos + r2 sin.
        var rc: [Double] = [], rs: [Double] = [], rcs: [Double] = [], r1: [Double] = [], r2: [Double] = [], r0 = 0.0
        var shifts = [[Double]](repeating: [], count: terms)
        if let reference {
            let mean = reference.mean
            for s in 0..<m { for j in 0..<d { centred[s * d + j] -= mean[j] } }
            var whitened = [Double](repeating: 0, count: m * d)
            centred.withUnsafeBufferPointer { c in reference.lowerInverse.withUnsafeBufferPointer { li in whitened.withUnsafeMutableBufferPointer {
                LinearAlgebra.gemm(c.baseAddress!, li.baseAddress!, $0.baseAddress!, m: m, k: d, n: d, transposeB: true)
            } } }
            z.withUnsafeBufferPointer { zz in reference.lower.withUnsafeBufferPointer { l in nu.withUnsafeMutableBufferPointer {
                LinearAlgebra.gemm(zz.baseAddress!, l.baseAddress!, $0.baseAddress!, m: m, k: d, n: d, transposeB: true)
            } } }
            r0 = -0.5 * mean.reduce(0) { $0 + $1 * $1 }
            rc = [Double](repeating: 0, count: m); rs = rc; rcs = rc; r1 = rc; r2 = rc
            for s in 0..<m {
                var xx = 0.0, vv = 0.0, xv = 0.0, mx = 0.0, mv = 0.0, a = 0.0, b = 0.0, k = 0.0
                for j in 0..<d {
                    let (xj, vj, yj, zj) = (centred[s * d + j], nu[s * d + j], whitened[s * d + j], z[s * d + j])
                    xx += xj * xj; vv += vj * vj; xv += xj * vj; mx += mean[j] * xj; mv += mean[j] * vj
                    a += yj * yj; b += zj * zj; k += yj * zj
                }
                rc[s] = 0.5 * (a - xx); rs[s] = 0.5 * (b - vv); rcs[s] = k - xv; r1[s] = -mx; r2[s] = -mv
            }
            for (k, term) in list.enumerated() where !term.tilt.zero {
                shifts[k] = (0..<p).map { i in (0..<d).reduce(0.0) { $0 + term.tilt.map[i * d + $1] * mean[$1] } }
            }
        }
        func rho(_ s: Int, _ cs: Double, _ sn: Double) -> Double {
            reference == nil ? 0 : r0 + rc[s] * cs * cs + rs[s] * sn * sn + rcs[s] * cs * sn + r1[s] * cs + r2[s] * sn
        }
        for (k, term) in list.enumerated() where !term.tilt.zero {
            term.tilt.map.withUnsafeBufferPointer { g in
                centred.withUnsafeBufferPointer { LinearAlgebra.gemm($0.baseAddress!, g.baseAddress!, ge + k * m * p, m: m, k: d, n: p, transposeB: true) }
                nu.withUnsafeBufferPointer { LinearAlgebra.gemm($0.baseAddress!, g.baseAddress!, gn + k * m * p, m: m, k: d, n: p, transposeB: true) }
            }
        }
        // Slice level log y = l(e) + log u, angle bracket [theta - 2 pi, theta].
        let level = (0..<m).map { s in (0..<terms).reduce(0.0) { $0 + list[$1].coefficient * values[$1][s] } + rho(s, 1, 0) + log(uniform()) }
        var theta = (0..<m).map { _ in 2 * Double.pi * uniform() }
        var low = theta.map { $0 - 2 * Double.pi }, high = theta
        var active = Array(0..<m)
        var shrinks = 0
        while !active.isEmpty {
            if shrinks == Self.maximumShrinks { stalls += active.count; break }
            shrinks += 1
            var proposed = [[Double]](repeating: [], count: terms)
            for (k, term) in list.enumerated() {
                if term.tilt.zero { proposed[k] = [Double](repeating: 0, count: active.count); continue }
                for (r, s) in active.enumerated() {
                    let (cs, sn) = (cos(theta[s]), sin(theta[s]))
                    let from = k * m * p + s * p
                    if reference == nil {
                        for j in 0..<p { x[r * p + j] = cs * ge[from + j] + sn * gn[from + j] }
                    } else {
                        let shift = shifts[k]
                        for j in 0..<p { x[r * p + j] = shift[j] + cs * ge[from + j] + sn * gn[from + j] }
                    }
                }
                proposed[k] = forms(x, scratch: scratch, rows: active.count, tilt: term.tilt)
            }
            evaluations += active.count
            var rejected: [Int] = []
            for (r, s) in active.enumerated() {
                let (cs, sn) = (cos(theta[s]), sin(theta[s]))
                let value = (0..<terms).reduce(0.0) { $0 + list[$1].coefficient * proposed[$1][r] } + rho(s, cs, sn)
                if value > level[s] {
                    if let mean = reference?.mean {
                        for j in 0..<d { e[s * d + j] = mean[j] + cs * centred[s * d + j] + sn * nu[s * d + j] }
                    } else {
                        for j in 0..<d { e[s * d + j] = cs * e[s * d + j] + sn * nu[s * d + j] }
                    }
                    for k in 0..<terms { values[k][s] = proposed[k][r] }
                } else {
                    if theta[s] < 0 { low[s] = theta[s] } else { high[s] = theta[s] }
                    theta[s] = low[s] + (high[s] - low[s]) * uniform()
                    rejected.append(s)
                }
            }
            active = rejected
        }
        return (evaluations, stalls)
    }

    /// Carries the population from its reference law to N(e; 0, I) exp(T(e)) for `target` (notes/anbk-data.md
    /// (NB12)): incremental weights exp(T - T_ref), adaptive tempering along (1 - a) T_ref + a T when they would
    /// bring the ESS below n/2, resampling below n/2, then `sweeps` elliptical slice moves at the target.
    /// Returns T at the walkers. Throws when the tempering needs more than `maximumTemperingSteps` temperatures.
    func advance(to target: Tilt, sweeps: Int, seed: UInt64) throws -> [Double] {
        let floor = Self.resampleFraction * Double(count)
        let old = reference ?? Tilt(map: target.map, dual: [Double](repeating: 0, count: trainCount * trainCount), p: trainCount)
        var caches = [referenceTilt, tiltsOfWalkers([target])[0]]
        if Self.effectiveSize(logWeights) < floor { resample(seed: NormalSampler.derive(seed, 0xA0), caches: &caches) }
        var alpha = 0.0, stage = 0
        while alpha < 1 {
            let delta = zip(caches[1], caches[0]).map { $0 - $1 }
            func ess(_ a: Double) -> Double { Self.effectiveSize(zip(logWeights, delta).map { $0 + (a - alpha) * $1 }) }
            var next = 1.0
            if ess(1) < floor {
                var (lo, hi) = (alpha, 1.0)
                for _ in 0..<50 { let mid = 0.5 * (lo + hi); if ess(mid) >= floor { lo = mid } else { hi = mid } }
                next = lo
                guard next > alpha else { throw MinMaxSolver.StepFailure(reason: "tempering made no progress at temperature \(alpha)") }
            }
            for s in 0..<count { logWeights[s] += (next - alpha) * delta[s] }
            alpha = next
            if alpha < 1 {
                stage += 1
                temperingSteps += 1
                guard stage <= Self.maximumTemperingSteps else {
                    throw MinMaxSolver.StepFailure(reason: "tempering needed more than \(Self.maximumTemperingSteps) temperatures")
                }
                resample(seed: NormalSampler.derive(seed, 0xA1, UInt64(stage)), caches: &caches)
                move([(1 - alpha, old), (alpha, target)], caches: &caches, sweeps: sweeps, seed: NormalSampler.derive(seed, 0xA2, UInt64(stage)))
            }
        }
        var last = [caches[1]]
        if Self.effectiveSize(logWeights) < floor { resample(seed: NormalSampler.derive(seed, 0xA3), caches: &last) }
        move([(1, target)], caches: &last, sweeps: sweeps, seed: NormalSampler.derive(seed, 0xA4))
        reference = target
        referenceTilt = last[0]
        return last[0]
    }

    /// After the layer's inner step: the weights w_s (of `tiltedMoments`, as unnormalized logs base_s + T(e_s))
    /// now target the tilt `tilt` at the same walkers, whose values are `values`.
    func commit(logWeights newLogWeights: [Double], tilt: Tilt, values: [Double]) {
        logWeights = newLogWeights
        reference = tilt
        referenceTilt = values
    }
}
