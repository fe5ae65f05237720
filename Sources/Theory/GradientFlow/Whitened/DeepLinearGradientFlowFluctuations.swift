import Foundation
import Core
import Numerics

/// O(1/N) fluctuations of deep linear networks (L >= 1 hidden layers) along the forward-Euler gradient flow with weight
/// decay (notes/antk-deep-linear.md (A1), (A2)) on whitened data (P training points sqrt(D) e_mu, labels y = e_1, one test
/// input orthogonal to them; notes/fluctuations-gradient-flow.md (FG26)-(FG32)) or on a data set (input kernel C = X X^T/D
/// over the training and test inputs, any labels; (FG35)-(FG37)).
///
/// The finite-width Euler network is an exact function of the Gram matrices Q_l = Z_l^T Z_l/N of the fresh Gaussian vectors
/// that the sequential Gaussian conditioning of its random matrices produces, one block per layer (FG29), (FG30), (FG35); N Q_l
/// is Wishart(N, I), and Q = I gives the infinite-width (discrete DMFT) trajectory. The delta method (FG5), (FG6) then gives
/// N Var F = sum over the Wishart directions of (dF)^2 (weight 2 on the diagonal ones), computed here by forward-mode dual
/// numbers over all directions at once (FG31). The flow is Euler (unrolled, (FG29)) or an explicit Runge-Kutta scheme (stage by
/// stage, (FG38)) of order p: the grids dt and dt/2 give the Richardson value y_{dt/2} + (y_{dt/2} - y_dt)/(2^p - 1) with residual
/// |y_{dt/2} - y_dt|/(2^p - 1) (FG32), (FG39). Values are approximate (double precision).
public struct DeepLinearGradientFlowFluctuations: Sendable {
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    /// The number of training points P (whitened: P points, one test input; data: P training and `testCount` test inputs).
    public let points: Int
    public let testCount: Int
    public let times: [Double]
    /// The coarse step (the finer grids have half of it, a quarter, ...) and the time scheme (FG32), (FG38).
    public let timeStep: Double
    public let scheme: TimeScheme
    /// The number of grids dt, dt/2, ..., dt/2^(levels - 1) of the Richardson table (2: the pair of (FG32), (FG39); FG44).
    public let levels: Int
    /// Observable names, in the order of `means` and `variances` columns. Whitened: f_1, f_2 (P >= 2), f_test, ntk_mean,
    /// overlap_1...overlap_L (H^l_11). Data (FG36): f_train_i (or f_test_j with test inputs: the reported predictions),
    /// ntk_mean, overlap_1...overlap_L (c_l = y^T H^l y/|y|^2).
    public let observables: [String]
    /// [time][observable]: Richardson values of the infinite-width means and of N Var, and their residuals.
    public let means: [[Double]]
    public let meanResiduals: [[Double]]
    public let variances: [[Double]]
    public let varianceResiduals: [[Double]]

    /// Largest number of stored dual entries (directions x coefficients x vectors) of one solve.
    public static let maximumEntries = 60_000_000

    /// Whitened data: P points, y = e_1, one orthogonal test input (FG26)-(FG32).
    public init(depth: Int, gamma: Double, lambda: Double, points: Int, time: Double, intervals: Int, stepsPerInterval: Int,
                scheme: TimeScheme = .euler, levels: Int = 2) throws {
        guard (1...GradientFlowFluctuations.maximumPoints).contains(points) else {
            throw GradientFlowFluctuations.Failure.invalid("P must be between 1 and \(GradientFlowFluctuations.maximumPoints)")
        }
        try self.init(depth: depth, gamma: gamma, lambda: lambda, inputs: .whitened(points: points), time: time, intervals: intervals,
                      stepsPerInterval: stepsPerInterval, scheme: scheme, levels: levels)
    }

    /// A data set (FG35), (FG36): the input kernel C = X X^T/D over the training and test inputs and the training labels.
    public init(depth: Int, gamma: Double, lambda: Double, data: LabelledData, time: Double, intervals: Int, stepsPerInterval: Int,
                scheme: TimeScheme = .euler, levels: Int = 2) throws {
        try self.init(depth: depth, gamma: gamma, lambda: lambda, inputs: try Inputs(data: data), time: time, intervals: intervals,
                      stepsPerInterval: stepsPerInterval, scheme: scheme, levels: levels)
    }

    init(depth: Int, gamma: Double, lambda: Double, inputs: Inputs, time: Double, intervals: Int, stepsPerInterval: Int,
         scheme: TimeScheme, levels: Int = 2) throws {
        guard (2...6).contains(levels) else { throw GradientFlowFluctuations.Failure.invalid("the Richardson table needs 2 to 6 grids (got \(levels))") }
        guard depth >= 1 else { throw GradientFlowFluctuations.Failure.invalid("the depth must be at least 1") }
        guard gamma > 0, gamma.isFinite else { throw GradientFlowFluctuations.Failure.invalid("gamma must be finite and > 0") }
        guard lambda >= 0, lambda.isFinite else { throw GradientFlowFluctuations.Failure.invalid("lambda must be finite and >= 0") }
        guard time > 0, time.isFinite, intervals >= 1, stepsPerInterval >= 1 else {
            throw GradientFlowFluctuations.Failure.invalid("T must be > 0 with at least one interval and one step per interval")
        }
        self.depth = depth; self.gamma = gamma; self.lambda = lambda; points = inputs.trainCount; testCount = inputs.count - inputs.trainCount
        self.scheme = scheme
        self.levels = levels
        let steps = intervals * stepsPerInterval
        timeStep = time / Double(steps)
        times = (0...intervals).map { time * Double($0) / Double(intervals) }
        observables = inputs.observableNames(depth: depth)
        let coarseStep = timeStep
        let grids = try (0..<levels).map { k in
            try Self.solve(depth: depth, gamma: gamma, lambda: lambda, inputs: inputs, dt: coarseStep / Double(1 << k), steps: steps << k,
                           outputs: (0...intervals).map { ($0 * stepsPerInterval) << k }, scheme: scheme)
        }
        (means, meanResiduals) = Self.richardsonTable(grids.map(\.means), order: scheme.order)
        (variances, varianceResiduals) = Self.richardsonTable(grids.map(\.variances), order: scheme.order)
        for row in means + variances { for v in row where !v.isFinite { throw GradientFlowFluctuations.Failure.notFinite } }
    }

    /// (FG32), (FG39), (FG44) The Richardson table over grids dt/2^k, k = 0...R-1, of a scheme of order p whose error expands in
    /// dt^p, dt^{p+1}, ...: T[k][0] = y_k, T[k][j] = T[k][j-1] + (T[k][j-1] - T[k-1][j-1])/(2^{p+j-1} - 1). Returned: T[R-1][R-1]
    /// and the residual |T[R-1][R-1] - T[R-1][R-2]| (the last correction; for R = 2 that is |y_{dt/2} - y_dt|/(2^p - 1)).
    static func richardsonTable(_ grids: [[[Double]]], order p: Int) -> (values: [[Double]], residuals: [[Double]]) {
        var previous = [grids[0]]
        for k in 1..<grids.count {
            var row = [grids[k]]
            for j in 1...k {
                let factor = Double((1 << (p + j - 1)) - 1)
                row.append(zip(row[j - 1], previous[j - 1]).map { zip($0, $1).map { $0 + ($0 - $1) / factor } })
            }
            previous = row
        }
        let last = previous.count - 1
        return (previous[last], zip(previous[last], previous[last - 1]).map { zip($0, $1).map { abs($0 - $1) } })
    }

    /// One Euler grid on whitened data: the means (Q = I) and N Var (delta method) of the observables at the output steps.
    public static func solve(depth: Int, gamma: Double, lambda: Double, points: Int, dt: Double, steps: Int,
                             outputs: [Int], scheme: TimeScheme = .euler) throws -> (means: [[Double]], variances: [[Double]]) {
        try solve(depth: depth, gamma: gamma, lambda: lambda, inputs: .whitened(points: points), dt: dt, steps: steps, outputs: outputs,
                  scheme: scheme)
    }

    /// One Euler grid on a data set (FG35), (FG36): columns f at every input (training first), tr K/P, c_1...c_L.
    public static func solve(depth: Int, gamma: Double, lambda: Double, data: LabelledData, dt: Double, steps: Int,
                             outputs: [Int], scheme: TimeScheme = .euler) throws -> (means: [[Double]], variances: [[Double]]) {
        try solve(depth: depth, gamma: gamma, lambda: lambda, inputs: try Inputs(data: data).with(.every), dt: dt, steps: steps, outputs: outputs,
                  scheme: scheme)
    }

    /// `scheme` .euler runs the unrolled Euler flow (FG29), (FG30); .heun and .rk4 (and .euler with `generic`) the stage-wise
    /// state of (FG38).
    static func solve(depth: Int, gamma: Double, lambda: Double, inputs: Inputs, dt: Double, steps: Int, outputs: [Int],
                      scheme: TimeScheme = .euler, generic: Bool = false) throws -> (means: [[Double]], variances: [[Double]]) {
        let unrolled = scheme == .euler && !generic
        // First pass without directions: which reveals bring a new direction (FG30), and the block sizes.
        // Upper bounds of the fresh directions per layer (FG35), (FG38), E evaluations of the flow (one per step unrolled,
        // `stages` per step and one at the end stage-wise): the r columns of Z for h^1(0) and the left reveals in layer 1,
        // the right (and left) reveals above, the readout in layer L.
        let n = inputs.count, evaluations = unrolled ? steps + 1 : scheme.stages * steps + 1
        let bounds = (0..<depth).map { l in
            (l == 0 ? inputs.rank : evaluations * n) + (l < depth - 1 ? evaluations : 0) + (l == depth - 1 ? 1 : 0)
        }
        func run(_ solver: inout Solver, _ outputs: Set<Int>) -> [Int: (means: [Double], variances: [Double])] {
            unrolled ? solver.march(steps: steps, outputs: outputs) : solver.marchRungeKutta(scheme, steps: steps, outputs: outputs)
        }
        var first = Solver(depth: depth, gamma: gamma, lambda: lambda, inputs: inputs, dt: dt, sizes: bounds,
                           directions: false, plan: nil)
        _ = run(&first, [])
        let sizes = first.counts
        let directions = sizes.reduce(0) { $0 + $1 * ($1 + 1) / 2 }
        let vectors = depth * (n + 2) * evaluations * 3
        guard directions * (sizes.max() ?? 1) * vectors <= maximumEntries else {
            throw GradientFlowFluctuations.Failure.invalid("the deep linear fluctuation solve is too large (\(steps) \(scheme.rawValue) steps at depth \(depth) with \(n) inputs); use fewer steps, a shorter time or fewer inputs")
        }
        var second = Solver(depth: depth, gamma: gamma, lambda: lambda, inputs: inputs, dt: dt, sizes: sizes, directions: true, plan: first.plan)
        let out = run(&second, Set(outputs))
        let columns = inputs.reported(depth: depth)
        return (outputs.map { k in columns.map { out[k]!.means[$0] } }, outputs.map { k in columns.map { out[k]!.variances[$0] } })
    }
}

extension DeepLinearGradientFlowFluctuations {
    /// The inputs of one solve (FG35): the input kernel C over all n inputs (training first, n x n), a factor A (n x r,
    /// A A^T = C), the training labels, and which columns a solve returns.
    struct Inputs {
        let kernel: [Double]
        let factor: [[Double]]
        let labels: [Double]
        let trainCount: Int
        /// The columns of a solve: the whitened observables (f_1, f_2, f_test, tr K/P, H^l_11), the reported ones on data (the
        /// test predictions, or the training ones without test inputs, then tr K/P, c_l) or every prediction (FG36).
        enum Layout { case whitened, reported, every }
        var layout: Layout
        var count: Int { kernel.count == 0 ? 0 : Int(Double(kernel.count).squareRoot().rounded()) }
        var rank: Int { factor.first?.count ?? 0 }

        /// C = I over P points and one test input, A = I, y = e_1.
        static func whitened(points: Int) -> Inputs {
            let n = points + 1
            let identity = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0 } }
            return Inputs(kernel: identity.flatMap { $0 }, factor: identity, labels: (0..<points).map { $0 == 0 ? 1 : 0 },
                          trainCount: points, layout: .whitened)
        }

        /// (FG35) A = V diag(sqrt(e)) from C = V diag(e) V^T, the columns with e > 1e-12 |C| only (as (FG15)).
        init(data: LabelledData) throws {
            guard data.trainCount >= 1 else { throw GradientFlowFluctuations.Failure.invalid("the data need at least one training point") }
            guard data.labels.contains(where: { $0 != 0 }) else {
                throw GradientFlowFluctuations.Failure.invalid("the labels are all zero (the overlap y^T H y/|y|^2 is undefined)")
            }
            let n = data.count, c = data.inputKernel
            guard let eigen = LinearAlgebra.symmetricEigen(c, n: n) else {
                throw GradientFlowFluctuations.Failure.invalid("the input kernel's eigendecomposition failed")
            }
            let largest = eigen.values.max() ?? 0
            guard largest > 0 else { throw GradientFlowFluctuations.Failure.invalid("the input kernel is zero") }
            let kept = (0..<n).filter { eigen.values[$0] > 1e-12 * largest }
            let factor = (0..<n).map { a in kept.map { eigen.vectors[a * n + $0] * eigen.values[$0].squareRoot() } }
            self.init(kernel: c, factor: factor, labels: data.labels, trainCount: data.trainCount, layout: .reported)
        }

        init(kernel: [Double], factor: [[Double]], labels: [Double], trainCount: Int, layout: Layout) {
            self.kernel = kernel; self.factor = factor; self.labels = labels; self.trainCount = trainCount; self.layout = layout
        }

        func with(_ layout: Layout) -> Inputs { var copy = self; copy.layout = layout; return copy }

        /// The solver's columns: f at every input (n), ntk_mean, overlap_1...overlap_L; `reported` picks the output's.
        func reported(depth: Int) -> [Int] {
            let n = count, p = trainCount
            let rest = (n..<(n + 1 + depth)).map { $0 }
            switch layout {
            case .whitened: return [0] + (p >= 2 ? [1] : []) + [p] + rest
            case .reported: return Array(p < n ? p..<n : 0..<p) + rest
            case .every: return Array(0..<n) + rest
            }
        }

        func observableNames(depth: Int) -> [String] {
            let n = count, p = trainCount
            let layers = ["ntk_mean"] + (1...depth).map { "overlap_\($0)" }
            switch layout {
            case .whitened: return ["f_1"] + (p >= 2 ? ["f_2"] : []) + ["f_test"] + layers
            case .reported: return (p < n ? (0..<(n - p)).map { "f_test_\($0)" } : (0..<p).map { "f_train_\($0)" }) + layers
            case .every: return (0..<p).map { "f_train_\($0)" } + (0..<(n - p)).map { "f_test_\($0)" } + layers
            }
        }
    }

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
        let depth: Int, gamma: Double, lambda: Double, dt: Double
        let inputs: Inputs
        let sizes: [Int]
        let withDirections: Bool
        /// Directions per layer block: offsets into the tangent, pairs (i <= j) in row order.
        var offsets: [Int] = []
        var directionCount = 0
        var plan: [Bool]
        var planIndex = 0
        var counts: [Int]
        let tolerance = 1e-7

        init(depth: Int, gamma: Double, lambda: Double, inputs: Inputs, dt: Double, sizes: [Int], directions: Bool, plan: [Bool]?) {
            self.depth = depth; self.gamma = gamma; self.lambda = lambda; self.inputs = inputs; self.dt = dt
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

        /// Coupling c (layer c to c + 1): per side, orthonormal keys (w.r.t. Q) and their images. Side 0: e_i in layer c with
        /// eh_i = W e_i/sqrt(N) in layer c + 1; side 1: f_j in layer c + 1 with fh_j = W^T f_j/sqrt(N) in layer c.
        struct Coupling { var keys: [[Vector]] = [[], []], images: [[Vector]] = [[], []] }
        var couplings: [Coupling] = []

        /// The product of coupling c's random matrix with a (FG30): side 0, W a/sqrt(N) (a in layer c, the right product);
        /// side 1, W^T a/sqrt(N) (a in layer c + 1, the left product, the mirror image). With the keys k_i and images k^_i
        /// of that side and those of the other side k'_j, k'^_j: sum_i k^_i (k_i . a) + s k^_new, k_new = r/s, r = P_k^perp a,
        /// k^_new = sum_j k'_j (k'^_j . k_new) + P_{k'}^perp z.
        mutating func reveal(_ c: Int, _ a: Vector, side: Int) -> Vector {
            let from = c + side, to = c + 1 - side, other = 1 - side
            var x = zero(to)
            for (key, image) in zip(couplings[c].keys[side], couplings[c].images[side]) { x = x + inner(from, key, a) * image }
            let r = perp(from, couplings[c].keys[side], a), s2 = inner(from, r, r)
            if let z = newDirection(to, s2.v, inner(from, a, a).v) {
                let s = s2.squareRoot, key = s.inverse * r
                var image = perp(to, couplings[c].keys[other], z)
                for (k, im) in zip(couplings[c].keys[other], couplings[c].images[other]) { image = image + inner(from, im, key) * k }
                couplings[c].keys[side].append(key); couplings[c].images[side].append(image)
                x = x + s * image
            }
            return x
        }

        /// The unrolled Euler flow notes/dynamics-deep-linear.md (DY3) at finite width with these random-matrix products, with
        /// the input kernel C in the first layer's memory term and u_nu = sum_i A_{nu i} z_i (FG35). Columns of the result: f at
        /// every input, tr K/P, c_1...c_L (FG36).
        mutating func march(steps: Int, outputs: Set<Int>) -> [Int: (means: [Double], variances: [Double])] {
            let n = inputs.count, points = inputs.trainCount, rho = 1 - lambda * dt
            let kernel = inputs.kernel, labels = inputs.labels
            couplings = Array(repeating: Coupling(), count: max(depth - 1, 0))
            counts = Array(repeating: 0, count: depth)
            let u1 = inputs.factor.map { row -> Vector in var u = zero(0); for (i, a) in row.enumerated() { u.v[i] = a }; return u }
            counts[0] = inputs.rank
            let w0 = unit(depth - 1, counts[depth - 1]); counts[depth - 1] += 1
            var h = Array(repeating: Array(repeating: [Vector](), count: n), count: depth)
            var g = Array(repeating: [Vector](), count: depth)
            var residual = [[Scalar]]()
            var out = [Int: (means: [Double], variances: [Double])]()
            let weights = self.weights
            for k in 0...steps {
                let decay = pow(rho, Double(k))
                let q = (0..<k).map { dt * pow(rho, Double(k - 1 - $0)) }
                var gk = decay * w0
                for j in 0..<k { for mu in 0..<points { gk = gk + (gamma * q[j] * residual[j][mu]) * h[depth - 1][mu][j] } }
                g[depth - 1].append(gk)
                if depth > 1 {
                    for l in stride(from: depth - 2, through: 0, by: -1) {
                        var v = decay * reveal(l, g[l + 1][k], side: 1)
                        for j in 0..<k {
                            let gram = inner(l + 1, g[l + 1][j], g[l + 1][k])
                            for mu in 0..<points { v = v + (gamma * q[j] * (residual[j][mu] * gram)) * h[l][mu][j] }
                        }
                        g[l].append(v)
                    }
                }
                for nu in 0..<n {
                    var v = decay * u1[nu]
                    // (FG35) sum_mu Delta_{mu,j} C_{mu nu} (the zero entries of C skipped: on whitened data this is Delta_nu).
                    for j in 0..<k {
                        var coefficient: Scalar?
                        for mu in 0..<points where kernel[mu * n + nu] != 0 {
                            let term = kernel[mu * n + nu] * residual[j][mu]
                            coefficient = coefficient.map { $0 + term } ?? term
                        }
                        if let coefficient { v = v + (gamma * q[j] * coefficient) * g[0][j] }
                    }
                    h[0][nu].append(v)
                }
                if depth > 1 {
                    for l in 0..<(depth - 1) {
                        for nu in 0..<n {
                            var v = decay * reveal(l, h[l][nu][k], side: 0)
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
                residual.append((0..<points).map { labels[$0] - f[$0] })
                if outputs.contains(k) {
                    out[k] = reading(h: h.map { $0.map { $0[k] } }, g: g.map { $0[k] }, f: f, weights: weights)
                }
            }
            return out
        }

        /// The observables at one time from the features h[layer][input], the gradients g[layer] and the predictions f, as
        /// values at Q = I and N Var by the delta method (FG31): f, tr K/P, c_1...c_L (FG36).
        func reading(h: [[Vector]], g: [Vector], f: [Scalar], weights: [Double]) -> (means: [Double], variances: [Double]) {
            let n = inputs.count, points = inputs.trainCount, kernel = inputs.kernel, labels = inputs.labels
            let traceC = (0..<points).reduce(0.0) { $0 + kernel[$1 * n + $1] } / Double(points)
            let labelNorm = labels.reduce(0) { $0 + $1 * $1 }
            // (DY13), (FG36) K_mumu = sum_{l=0}^{L} G^{l+1} H^l_mumu, H^0 = C, G^{L+1} = 1.
            let G = (0..<depth).map { inner($0, g[$0], g[$0]) }
            let trace = (0..<depth).map { l in (1 / Double(points)) * (0..<points).map { inner(l, h[l][$0], h[l][$0]) }.reduce(constant(0), +) }
            var ntk = traceC * G[0]
            if depth > 1 { for l in 1..<depth { ntk = ntk + G[l] * trace[l - 1] } }
            ntk = ntk + trace[depth - 1]
            // (FG36) c_l = y^T H^l y/|y|^2 over the training inputs (the zero labels skipped: H^l_11 on whitened data).
            let overlaps = (0..<depth).map { l -> Scalar in
                var sum: Scalar?
                for mu in 0..<points where labels[mu] != 0 {
                    for nu in 0..<points where labels[nu] != 0 {
                        let term = (labels[mu] * labels[nu]) * inner(l, h[l][mu], h[l][nu])
                        sum = sum.map { $0 + term } ?? term
                    }
                }
                return (1 / labelNorm) * sum!
            }
            let obs = f + [ntk] + overlaps
            return (obs.map { $0.v }, obs.map { o in zip(weights, o.t).reduce(0) { $0 + $1.0 * $1.1 * $1.1 } })
        }

        /// Var Q_ii = 2/N, Var Q_ij = 1/N (i < j) (FG5): the weights of the squared derivatives, in the tangent's order.
        var weights: [Double] {
            var weights = [Double]()
            if withDirections { for m in sizes { for i in 0..<m { weights.append(2); for _ in (i + 1)..<max(i + 1, m) { weights.append(1) } } } }
            return weights
        }
    }
}
