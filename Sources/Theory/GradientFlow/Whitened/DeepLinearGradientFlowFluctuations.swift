import Foundation

/// O(1/N) fluctuations of deep linear networks (L >= 1 hidden layers) along the forward-Euler gradient flow with weight
/// decay (notes/antk-deep-linear.md (A1), (A2)) on whitened data: P training points sqrt(D) e_mu, labels y = e_1, and one
/// test input orthogonal to them (notes/fluctuations-gradient-flow.md (FG26)-(FG32)).
///
/// The finite-width Euler network is an exact function of the Gram matrices Q_l = Z_l^T Z_l/N of the fresh Gaussian vectors
/// that the sequential Gaussian conditioning of its random matrices produces, one block per layer (FG29), (FG30); N Q_l is
/// Wishart(N, I), and Q = I gives the infinite-width (discrete DMFT) trajectory. The delta method (FG5), (FG6) then gives
/// N Var F = sum over the Wishart directions of (dF)^2 (weight 2 on the diagonal ones), computed here by forward-mode dual
/// numbers over all directions at once (FG31). Euler is first order in dt: the grids dt and dt/2 give the Richardson value
/// 2 y_{dt/2} - y_dt with residual |y_{dt/2} - y_dt| (FG32). Values are approximate (double precision).
public struct DeepLinearGradientFlowFluctuations: Sendable {
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    public let points: Int
    public let times: [Double]
    /// The coarse Euler step (the fine grid has half of it).
    public let timeStep: Double
    /// Observable names, in the order of `means` and `variances` columns.
    public let observables: [String]
    /// [time][observable]: Richardson values of the infinite-width means and of N Var, and their residuals.
    public let means: [[Double]]
    public let meanResiduals: [[Double]]
    public let variances: [[Double]]
    public let varianceResiduals: [[Double]]

    /// Largest number of stored dual entries (directions x coefficients x vectors) of one solve.
    public static let maximumEntries = 60_000_000

    public init(depth: Int, gamma: Double, lambda: Double, points: Int, time: Double, intervals: Int, stepsPerInterval: Int) throws {
        guard depth >= 1 else { throw GradientFlowFluctuations.Failure.invalid("the depth must be at least 1") }
        guard gamma > 0, gamma.isFinite else { throw GradientFlowFluctuations.Failure.invalid("gamma must be finite and > 0") }
        guard lambda >= 0, lambda.isFinite else { throw GradientFlowFluctuations.Failure.invalid("lambda must be finite and >= 0") }
        guard (1...GradientFlowFluctuations.maximumPoints).contains(points) else {
            throw GradientFlowFluctuations.Failure.invalid("P must be between 1 and \(GradientFlowFluctuations.maximumPoints)")
        }
        guard time > 0, time.isFinite, intervals >= 1, stepsPerInterval >= 1 else {
            throw GradientFlowFluctuations.Failure.invalid("T must be > 0 with at least one interval and one step per interval")
        }
        self.depth = depth; self.gamma = gamma; self.lambda = lambda; self.points = points
        let steps = intervals * stepsPerInterval
        timeStep = time / Double(steps)
        times = (0...intervals).map { time * Double($0) / Double(intervals) }
        observables = ["f_1"] + (points >= 2 ? ["f_2"] : []) + ["f_test", "ntk_mean"] + (1...depth).map { "overlap_\($0)" }
        let coarse = try Self.solve(depth: depth, gamma: gamma, lambda: lambda, points: points, dt: timeStep, steps: steps,
                                    outputs: (0...intervals).map { $0 * stepsPerInterval })
        let fine = try Self.solve(depth: depth, gamma: gamma, lambda: lambda, points: points, dt: timeStep / 2, steps: 2 * steps,
                                  outputs: (0...intervals).map { 2 * $0 * stepsPerInterval })
        func richardson(_ a: [[Double]], _ b: [[Double]]) -> ([[Double]], [[Double]]) {
            (zip(a, b).map { zip($0, $1).map { 2 * $1 - $0 } }, zip(a, b).map { zip($0, $1).map { abs($1 - $0) } })
        }
        (means, meanResiduals) = richardson(coarse.means, fine.means)
        (variances, varianceResiduals) = richardson(coarse.variances, fine.variances)
        for row in means + variances { for v in row where !v.isFinite { throw GradientFlowFluctuations.Failure.notFinite } }
    }

    /// One Euler grid: the means (Q = I) and N Var (delta method) of the observables at the output steps.
    public static func solve(depth: Int, gamma: Double, lambda: Double, points: Int, dt: Double, steps: Int,
                             outputs: [Int]) throws -> (means: [[Double]], variances: [[Double]]) {
        // First pass without directions: which reveals bring a new direction (FG30), and the block sizes.
        // Upper bounds of the fresh directions per layer: h^1(0) and the left reveals in layer 1, the right (and left) reveals
        // above, the readout in layer L.
        let n = points + 1
        let bounds = (0..<depth).map { l in
            (l == 0 ? n : (steps + 1) * n) + (l < depth - 1 ? steps + 1 : 0) + (l == depth - 1 ? 1 : 0)
        }
        var first = Solver(depth: depth, gamma: gamma, lambda: lambda, points: points, dt: dt, sizes: bounds,
                           directions: false, plan: nil)
        _ = first.march(steps: steps, outputs: [])
        let sizes = first.counts
        let directions = sizes.reduce(0) { $0 + $1 * ($1 + 1) / 2 }
        let vectors = depth * (points + 3) * (steps + 1) * 3
        guard directions * (sizes.max() ?? 1) * vectors <= maximumEntries else {
            throw GradientFlowFluctuations.Failure.invalid("the deep linear fluctuation solve is too large (\(steps) Euler steps at depth \(depth)); use fewer steps or a shorter time")
        }
        var second = Solver(depth: depth, gamma: gamma, lambda: lambda, points: points, dt: dt, sizes: sizes, directions: true, plan: first.plan)
        let out = second.march(steps: steps, outputs: Set(outputs))
        return (outputs.map { out[$0]!.means }, outputs.map { out[$0]!.variances })
    }
}

extension DeepLinearGradientFlowFluctuations {
    /// A scalar with its first derivatives along every Wishart direction (FG31).
    struct Scalar {
        var v: Double
        var t: [Double]
        static func + (a: Scalar, b: Scalar) -> Scalar { Scalar(v: a.v + b.v, t: zip(a.t, b.t).map { $0 + $1 }) }
        static func - (a: Scalar, b: Scalar) -> Scalar { Scalar(v: a.v - b.v, t: zip(a.t, b.t).map { $0 - $1 }) }
        static func * (a: Scalar, b: Scalar) -> Scalar { Scalar(v: a.v * b.v, t: zip(a.t, b.t).map { $0 * b.v + a.v * $1 }) }
        static func * (a: Double, b: Scalar) -> Scalar { Scalar(v: a * b.v, t: b.t.map { a * $0 }) }
        static func - (a: Double, b: Scalar) -> Scalar { Scalar(v: a - b.v, t: b.t.map { -$0 }) }
        var squareRoot: Scalar { let r = v.squareRoot(); return Scalar(v: r, t: t.map { $0 / (2 * r) }) }
        var inverse: Scalar { Scalar(v: 1 / v, t: t.map { -$0 / (v * v) }) }
    }

    /// A vector of coefficients in one layer's fresh basis (length m) with its derivatives (directions x m, row-major).
    struct Vector {
        var v: [Double]
        var t: [Double]
        static func + (a: Vector, b: Vector) -> Vector { Vector(v: zip(a.v, b.v).map { $0 + $1 }, t: zip(a.t, b.t).map { $0 + $1 }) }
        static func - (a: Vector, b: Vector) -> Vector { Vector(v: zip(a.v, b.v).map { $0 - $1 }, t: zip(a.t, b.t).map { $0 - $1 }) }
        static func * (a: Double, b: Vector) -> Vector { Vector(v: b.v.map { a * $0 }, t: b.t.map { a * $0 }) }
        static func * (a: Scalar, b: Vector) -> Vector {
            let m = b.v.count
            var t = b.t
            for d in 0..<a.t.count {
                let s = a.t[d]
                for i in 0..<m { t[d * m + i] = a.v * b.t[d * m + i] + s * b.v[i] }
            }
            return Vector(v: b.v.map { a.v * $0 }, t: t)
        }
    }

    /// The exact conditioning representation of the Euler network (FG29), (FG30), evaluated at Q = I with tangents.
    struct Solver {
        let depth: Int, gamma: Double, lambda: Double, points: Int, dt: Double
        let sizes: [Int]
        let withDirections: Bool
        /// Directions per layer block: offsets into the tangent, pairs (i <= j) in row order.
        var offsets: [Int] = []
        var directionCount = 0
        var plan: [Bool]
        var planIndex = 0
        var counts: [Int]
        let tolerance = 1e-7

        init(depth: Int, gamma: Double, lambda: Double, points: Int, dt: Double, sizes: [Int], directions: Bool, plan: [Bool]?) {
            self.depth = depth; self.gamma = gamma; self.lambda = lambda; self.points = points; self.dt = dt
            self.sizes = sizes; withDirections = directions
            self.plan = plan ?? []
            counts = Array(repeating: 0, count: depth)
            var offset = 0
            for m in sizes { offsets.append(offset); if directions { offset += m * (m + 1) / 2 } }
            directionCount = offset
            recording = plan == nil
        }
        let recording: Bool

        func zero(_ l: Int) -> Vector { Vector(v: Array(repeating: 0, count: sizes[l]), t: Array(repeating: 0, count: directionCount * sizes[l])) }
        func unit(_ l: Int, _ i: Int) -> Vector { var z = zero(l); z.v[i] = 1; return z }
        func constant(_ x: Double) -> Scalar { Scalar(v: x, t: Array(repeating: 0, count: directionCount)) }

        /// u . Q_l v at Q = I with its derivatives: u' . v + u . v' + the direct term u^T E v (E_ij = e_i e_j^T + e_j e_i^T, E_ii = e_i e_i^T).
        func inner(_ l: Int, _ a: Vector, _ b: Vector) -> Scalar {
            let m = sizes[l]
            var value = 0.0
            for i in 0..<m { value += a.v[i] * b.v[i] }
            var t = Array(repeating: 0.0, count: directionCount)
            guard directionCount > 0 else { return Scalar(v: value, t: t) }
            for d in 0..<directionCount {
                var s = 0.0
                let base = d * m
                for i in 0..<m { s += a.t[base + i] * b.v[i] + a.v[i] * b.t[base + i] }
                t[d] = s
            }
            var k = offsets[l]
            for i in 0..<m {
                t[k] += a.v[i] * b.v[i]; k += 1
                for j in (i + 1)..<max(i + 1, m) { t[k] += a.v[i] * b.v[j] + a.v[j] * b.v[i]; k += 1 }
            }
            return Scalar(v: value, t: t)
        }

        mutating func newDirection(_ l: Int, _ s2: Double, _ reference: Double) -> Vector? {
            let ok: Bool
            if recording { ok = s2 > tolerance * tolerance * reference; plan.append(ok) } else { ok = plan[planIndex]; planIndex += 1 }
            guard ok else { return nil }
            counts[l] += 1
            return unit(l, counts[l] - 1)
        }

        func perp(_ l: Int, _ basis: [Vector], _ x: Vector) -> Vector {
            var x = x
            for _ in 0..<2 { for e in basis { x = x - inner(l, e, x) * e } }
            return x
        }

        /// Coupling c (layer c to c + 1): orthonormal e_i (layer c) with images W e_i/sqrt(N), f_j (layer c + 1) with W^T f_j/sqrt(N).
        struct Coupling { var e: [Vector] = [], eh: [Vector] = [], f: [Vector] = [], fh: [Vector] = [] }
        var couplings: [Coupling] = []

        /// W a/sqrt(N) (FG30): sum_i eh_i (e_i . a) + s eh_new, eh_new = sum_j f_j (fh_j . e_new) + P_f^perp z.
        mutating func right(_ c: Int, _ a: Vector) -> Vector {
            let l = c, m = c + 1
            var x = zero(m)
            for (e, eh) in zip(couplings[c].e, couplings[c].eh) { x = x + inner(l, e, a) * eh }
            let r = perp(l, couplings[c].e, a), s2 = inner(l, r, r)
            if let z = newDirection(m, s2.v, inner(l, a, a).v) {
                let s = s2.squareRoot, e = s.inverse * r
                var eh = perp(m, couplings[c].f, z)
                for (f, fh) in zip(couplings[c].f, couplings[c].fh) { eh = eh + inner(l, fh, e) * f }
                couplings[c].e.append(e); couplings[c].eh.append(eh)
                x = x + s * eh
            }
            return x
        }

        /// W^T b/sqrt(N) (FG30), the mirror image of `right`.
        mutating func left(_ c: Int, _ b: Vector) -> Vector {
            let l = c, m = c + 1
            var x = zero(l)
            for (f, fh) in zip(couplings[c].f, couplings[c].fh) { x = x + inner(m, f, b) * fh }
            let r = perp(m, couplings[c].f, b), s2 = inner(m, r, r)
            if let z = newDirection(l, s2.v, inner(m, b, b).v) {
                let s = s2.squareRoot, f = s.inverse * r
                var fh = perp(l, couplings[c].e, z)
                for (e, eh) in zip(couplings[c].e, couplings[c].eh) { fh = fh + inner(m, eh, f) * e }
                couplings[c].f.append(f); couplings[c].fh.append(fh)
                x = x + s * fh
            }
            return x
        }

        /// The unrolled Euler flow notes/dynamics-deep-linear.md (DY3) at finite width with these random-matrix products.
        mutating func march(steps: Int, outputs: Set<Int>) -> [Int: (means: [Double], variances: [Double])] {
            let n = points + 1, rho = 1 - lambda * dt
            couplings = Array(repeating: Coupling(), count: max(depth - 1, 0))
            counts = Array(repeating: 0, count: depth)
            let u1 = (0..<n).map { unit(0, $0) }
            counts[0] = n
            let w0 = unit(depth - 1, counts[depth - 1]); counts[depth - 1] += 1
            var h = Array(repeating: Array(repeating: [Vector](), count: n), count: depth)
            var g = Array(repeating: [Vector](), count: depth)
            var residual = [[Scalar]]()
            var out = [Int: (means: [Double], variances: [Double])]()
            // Weights of the squared derivatives: Var Q_ii = 2/N, Var Q_ij = 1/N (i < j) (FG5).
            var weights = [Double]()
            if withDirections { for m in sizes { for i in 0..<m { weights.append(2); for _ in (i + 1)..<max(i + 1, m) { weights.append(1) } } } }
            for k in 0...steps {
                let decay = pow(rho, Double(k))
                let q = (0..<k).map { dt * pow(rho, Double(k - 1 - $0)) }
                var gk = decay * w0
                for j in 0..<k { for mu in 0..<points { gk = gk + (gamma * q[j] * residual[j][mu]) * h[depth - 1][mu][j] } }
                g[depth - 1].append(gk)
                if depth > 1 {
                    for l in stride(from: depth - 2, through: 0, by: -1) {
                        var v = decay * left(l, g[l + 1][k])
                        for j in 0..<k {
                            let gram = inner(l + 1, g[l + 1][j], g[l + 1][k])
                            for mu in 0..<points { v = v + (gamma * q[j] * (residual[j][mu] * gram)) * h[l][mu][j] }
                        }
                        g[l].append(v)
                    }
                }
                for nu in 0..<n {
                    var v = decay * u1[nu]
                    if nu < points { for j in 0..<k { v = v + (gamma * q[j] * residual[j][nu]) * g[0][j] } }
                    h[0][nu].append(v)
                }
                if depth > 1 {
                    for l in 0..<(depth - 1) {
                        for nu in 0..<n {
                            var v = decay * right(l, h[l][nu][k])
                            for j in 0..<k {
                                var coefficient = constant(0)
                                for mu in 0..<points { coefficient = coefficient + residual[j][mu] * inner(l, h[l][mu][j], h[l][nu][k]) }
                                v = v + (gamma * q[j] * coefficient) * g[l + 1][j]
                            }
                            h[l + 1][nu].append(v)
                        }
                    }
                }
                let f = (0..<n).map { (1 / gamma) * inner(depth - 1, g[depth - 1][k], h[depth - 1][$0][k]) }
                residual.append((0..<points).map { ($0 == 0 ? 1.0 : 0.0) - f[$0] })
                if outputs.contains(k) {
                    // (DY13) K_mumu = sum_{l=0}^{L} G^{l+1} H^l_mumu, H^0 = I, G^{L+1} = 1.
                    let G = (0..<depth).map { inner($0, g[$0][k], g[$0][k]) }
                    let trace = (0..<depth).map { l in (1 / Double(points)) * (0..<points).map { inner(l, h[l][$0][k], h[l][$0][k]) }.reduce(constant(0), +) }
                    var ntk = G[0]
                    if depth > 1 { for l in 1..<depth { ntk = ntk + G[l] * trace[l - 1] } }
                    ntk = ntk + trace[depth - 1]
                    let overlaps = (0..<depth).map { inner($0, h[$0][0][k], h[$0][0][k]) }
                    let obs = [f[0]] + (points >= 2 ? [f[1]] : []) + [f[points], ntk] + overlaps
                    out[k] = (obs.map { $0.v }, obs.map { o in zip(weights, o.t).reduce(0) { $0 + $1.0 * $1.1 * $1.1 } })
                }
            }
            return out
        }
    }
}
