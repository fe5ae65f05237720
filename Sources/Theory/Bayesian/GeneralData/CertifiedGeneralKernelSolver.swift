import Foundation
import Core
import Numerics

/// Interval enclosures of the resolvent quantities at a spike value t (eqs. G16, G17), with no
/// eigendecomposition: M = t C + b I is factored M = L D L^T in interval arithmetic (every pivot
/// certified positive), v = M^{-1} y, z = M^{-1} C v, and
///   q = v^T C v,  r = y^T C v,  R = (C v)^T z,  e = y^T v      (eq. G17)
/// Every one of q, r, R, e is a decreasing function of t >= 0 (eq. G18).
struct ResolventEnclosure {
    let q: Interval
    let r: Interval
    let rr: Interval
    let e: Interval
}

/// The exact secular equation E(u) = u − g t q(t), t = (1+u)^L (eq. G16) evaluated in interval
/// arithmetic from exact rational C, y, g, b (notes/general-kernel-reduction.md, G16-G20).
struct ExactSecularEvaluator {
    let problem: ExactKernelProblem
    let g: BigRational
    let b: BigRational
    /// Extra bits the factorization works with beyond the requested precision.
    let guardBits: Int

    init(_ problem: ExactKernelProblem) {
        self.problem = problem
        g = problem.gammaSquared
        b = problem.ridge
        let pBits = Int.bitWidth - problem.count.leadingZeroBitCount
        let depthBits = Int.bitWidth - problem.depth.leadingZeroBitCount
        guardBits = 32 + 4 * pBits + 2 * depthBits
    }

    /// Enclosures of q, r, R, e valid for every t in the interval `t` (positive), or nil when an
    /// LDL^T pivot is not certified positive at this precision (eq. G17).
    func resolvent(_ t: Interval, precision bits: Int) -> ResolventEnclosure? {
        let n = problem.count
        let c = problem.inputKernel.map { Interval($0, precision: bits) }
        let y = problem.labels.map { Interval($0, precision: bits) }
        let ridge = Interval(b, precision: bits)
        let tt = t.withPrecision(bits)
        // M = t C + b I and its interval LDL^T (w holds L_ij D_j).
        var m = [Interval](repeating: Interval(0, precision: bits), count: n * n)
        for i in 0..<n { for j in 0...i { m[i * n + j] = tt * c[i * n + j] + (i == j ? ridge : Interval(0, precision: bits)) } }
        var l = [Interval](repeating: Interval(0, precision: bits), count: n * n)
        var d = [Interval](repeating: Interval(0, precision: bits), count: n)
        for i in 0..<n {
            for j in 0..<i {
                var w = m[i * n + j]
                for k in 0..<j { w = w - l[i * n + k] * l[j * n + k] * d[k] }
                l[i * n + j] = w / d[j]
            }
            var diagonal = m[i * n + i]
            for k in 0..<i { diagonal = diagonal - l[i * n + k].squared * d[k] }
            guard diagonal.lower.signum > 0 else { return nil }
            d[i] = diagonal
        }
        func solve(_ rhs: [Interval]) -> [Interval] {
            var x = rhs
            for i in 0..<n { for k in 0..<i { x[i] = x[i] - l[i * n + k] * x[k] } }
            for i in 0..<n { x[i] = x[i] / d[i] }
            for i in stride(from: n - 1, through: 0, by: -1) { for k in (i + 1)..<n where k < n { x[i] = x[i] - l[k * n + i] * x[k] } }
            return x
        }
        func dot(_ a: [Interval], _ b: [Interval]) -> Interval {
            var s = Interval(0, precision: bits)
            for i in 0..<n { s = s + a[i] * b[i] }
            return s
        }
        let v = solve(y)
        let cv = (0..<n).map { i in dot(Array(c[(i * n)..<(i * n + n)]), v) }
        let z = solve(cv)
        return ResolventEnclosure(q: dot(v, cv), r: dot(y, cv), rr: dot(cv, z), e: dot(y, v))
    }

    /// resolvent(_:) with the precision doubled until every pivot is certified (eq. G17). Components
    /// of v along the null space of C are of size 1/b while C v is of size 1/t: forming C v cancels
    /// about log2 t bits, so 2 log2 t extra bits are carried.
    func resolventRaisingPrecision(_ t: Interval, precision: Int) throws -> ResolventEnclosure {
        var bits = precision + guardBits + 2 * max(0, t.upper.topBit)
        while bits <= 1 << 15 {
            if let result = resolvent(t, precision: bits) { return result }
            bits *= 2
        }
        throw SolverError.degenerate("t C + b I could not be factored with certified positive pivots at \(1 << 15) bits (numerically singular)")
    }

    func spike(_ u: Interval) -> Interval { (u + 1).power(problem.depth) }

    /// E(u) over an interval u (eq. G16): u − g t q(t) with t = (1+u)^L.
    func value(_ u: Interval) throws -> Interval {
        let t = spike(u)
        let q = try resolventRaisingPrecision(t, precision: u.precision).q
        return u - Interval(g, precision: u.precision) * t * q
    }

    /// E'(u) = 1 − g L (1+u)^(L−1) (q − 2 t R) (eq. G19) over an interval u.
    func slope(_ u: Interval) throws -> Interval {
        let t = spike(u)
        let res = try resolventRaisingPrecision(t, precision: u.precision)
        let factor = Interval(g, precision: u.precision) * problem.depth * (u + 1).power(problem.depth - 1)
        return Interval(1, precision: u.precision) - factor * (res.q - 2 * t * res.rr)
    }
}

/// Per-point data for the cell isolation: enclosures at one dyadic u (eq. G20).
private struct PointData {
    let u: Interval
    let t: Interval
    let sPower: Interval   // (1+u)^(L−1)
    let res: ResolventEnclosure
    let e: Interval        // E(u)
}

/// Interval oracle for `isolateRoots`: cell enclosures from the monotonicity of q and R in t
/// (eq. G20), point signs from interval E (eq. G16).
final class ExactSecularOracle: SecularCellOracle {
    typealias Point = Dyadic
    let evaluator: ExactSecularEvaluator
    let precision: Int
    private var cache: [String: PointData] = [:]
    private(set) var failure: Error? = nil

    init(_ evaluator: ExactSecularEvaluator, precision: Int) {
        self.evaluator = evaluator
        self.precision = precision
    }

    /// The enclosures at one point, the precision raised (up to 8x) until the sign of E is decided.
    private func data(_ x: Dyadic) -> PointData? {
        let key = x.description
        if let cached = cache[key] { return cached }
        var bits = precision
        var point: PointData? = nil
        repeat {
            let u = Interval(x, precision: bits)
            let t = evaluator.spike(u)
            do {
                let res = try evaluator.resolventRaisingPrecision(t, precision: bits)
                let e = u - Interval(evaluator.g, precision: bits) * t * res.q
                point = PointData(u: u, t: t, sPower: (u + 1).power(evaluator.problem.depth - 1), res: res, e: e)
            } catch {
                failure = error
                return nil
            }
            bits *= 2
        } while point!.e.definiteSign == nil && bits <= 8 * precision
        cache[key] = point
        return point
    }

    func sign(at u: Dyadic) -> Int? { data(u)?.e.definiteSign }

    /// E on [a, b] lies in [a − g t(b) q(t(a)), b − g t(a) q(t(b))] (eq. G20).
    func excludesZero(_ a: Dyadic, _ b: Dyadic) -> Bool {
        guard let da = data(a), let db = data(b) else { return false }
        let g = Interval(evaluator.g, precision: precision)
        let high = g * Interval(db.t.upper, precision: precision) * Interval(da.res.q.upper, precision: precision)
        let low = g * Interval(da.t.lower, precision: precision) * Interval(max(db.res.q.lower, .zero), precision: precision)
        return a > high.upper || b < low.lower
    }

    /// E' on [a, b] lies in 1 − g L [s^(L−1)] ([q] − 2 [t] [R]) with [q] = [q(t(b)), q(t(a))],
    /// [R] = [R(t(b)), R(t(a))], [t] = [t(a), t(b)], [s^(L−1)] = [s(a)^(L−1), s(b)^(L−1)] (eq. G20).
    func slopeSign(_ a: Dyadic, _ b: Dyadic) -> Int? {
        guard let da = data(a), let db = data(b) else { return nil }
        func hull(_ low: Interval, _ high: Interval) -> Interval {
            Interval(lower: min(low.lower, high.lower), upper: max(low.upper, high.upper), precision: precision)
        }
        let q = hull(db.res.q, da.res.q), rr = hull(db.res.rr, da.res.rr)
        let t = hull(da.t, db.t), sPower = hull(da.sPower, db.sPower)
        let factor = Interval(evaluator.g, precision: precision) * evaluator.problem.depth * sPower
        let slope = Interval(1, precision: precision) - factor * (q - 2 * t * rr)
        guard let s = slope.definiteSign, s != 0 else { return nil }
        return s
    }

    func splits(_ a: Dyadic, _ b: Dyadic) -> [Dyadic] {
        var middle = Dyadic(Dyadic.exactSum(a, b).mantissa, exponent: Dyadic.exactSum(a, b).exponent - 1)
        if a.signum > 0 && b.topBit - a.topBit > 2 {
            let geometric = Dyadic.powerOfTwo(Int(((a.log2Magnitude + b.log2Magnitude) / 2).rounded()))
            if a < geometric && geometric < b { middle = geometric }
        }
        let width = Dyadic.exactSum(b, a.negated)
        let third = Dyadic.exactSum(a, Dyadic(width.mantissa * 3, exponent: width.exponent - 3))
        let fifth = Dyadic.exactSum(a, Dyadic(width.mantissa * 5, exponent: width.exponent - 3))
        return [middle, third, fifth].filter { a < $0 && $0 < b }
    }

    func describe(_ u: Dyadic) -> String { String(u.doubleApproximation) }
}

/// One root of the exact secular equation with certified enclosures (eqs. G16, G8', G11').
public struct CertifiedGeneralKernelSaddle: Sendable {
    /// Enclosure of u = s − 1 (chi = −u).
    public let u: Interval
    /// Enclosure of the spike t = (1+u)^L.
    public let spike: Interval
    /// Enclosure of the action S (eq. G8').
    public let action: Interval
    /// Enclosures of y^T Phi^l y / |y|^2 for the listed layers `CertifiedGeneralKernelSolution.listedLayers`
    /// (every l = 1...L by default up to depth 100000) (eq. G11').
    public let layerOverlaps: [Interval]
    public let stationarity: WhitenedSaddle.Stationarity
    public internal(set) var isDominant = false
    /// The certifying sign bracket of E (E has the sign `signAtLower` at its lower end).
    public let bracket: SignBracket

    public var chi: Interval { -u }
}

public struct CertifiedGeneralKernelSolution: Sendable {
    public let problem: ExactKernelProblem
    public let roots: [CertifiedGeneralKernelSaddle]
    /// y^T C y / |y|^2 exactly (the layer-0 overlap).
    public let inputOverlap: BigRational
    public let isolation: String
    /// The layers whose overlaps each root lists, ascending (`LayerSelection.resolved`).
    public let listedLayers: [Int]
    public var dominant: CertifiedGeneralKernelSaddle? { roots.first { $0.isDominant } }
}

/// Certified solver of the general-C reduction for exact rational inputs (notes/general-kernel-
/// reduction.md, "Certified path for exact inputs", eqs. G16-G21): every root of E(u) = 0 in the
/// proven range (eq. G9') is isolated by interval cell enclosures (eq. G20), refined by
/// `CertifiedRootFinder`, and the overlaps and actions are enclosed; the dominant root is the local
/// minimum of S whose action enclosure lies strictly below every other minimum's.
public struct CertifiedGeneralKernelSolver: Sendable {
    public var gridCells = 32
    /// Levels of cell splitting below the grid before the isolation reports a (near-)double root.
    public static let isolationDepth = 400
    /// How often the isolation precision is doubled before a (near-)double root is reported.
    public static let isolationPrecisionDoublings = 3
    public var finder = CertifiedRootFinder()

    public init() {}

    /// `layers`: which overlaps to enclose; nil chooses `LayerSelection.automatic` (every layer up to
    /// depth 100000, then 1, 2, 4, ... and L). Listing more than `LayerSelection.maximumListedLayers`
    /// is refused before anything is allocated.
    public func solve(_ problem: ExactKernelProblem, digits: Int = WhitenedOverlapSolver.defaultDigits,
                      layers: LayerSelection? = nil) throws -> CertifiedGeneralKernelSolution {
        guard digits >= 1 && digits <= 1000 else { throw TheoryInputError.digitsOutOfRange(digits, maximum: 1000) }
        let selection = layers ?? .automatic(depth: problem.depth, digits: digits)
        let listedCount = selection.count(depth: problem.depth)
        guard listedCount <= LayerSelection.maximumListed(digits: digits) else {
            throw TheoryInputError.tooManyLayers(listedCount, maximum: LayerSelection.maximumListed(digits: digits))
        }
        let listedLayers = selection.resolved(depth: problem.depth)
        let evaluator = ExactSecularEvaluator(problem)
        let depthBits = Int.bitWidth - problem.depth.leadingZeroBitCount
        let norm = problem.labels.reduce(BigRational.zero) { $0 + $1 * $1 }
        guard norm.signum > 0 else { throw GeneralKernelInputError.empty("the label vector is zero: the overlaps y^T Phi y / |y|^2 are undefined") }
        let n = problem.count
        let c = problem.inputKernel, y = problem.labels
        let cy = (0..<n).map { i in (0..<n).reduce(BigRational.zero) { $0 + c[i * n + $1] * y[$1] } }
        let yCy = zip(y, cy).reduce(BigRational.zero) { $0 + $1.0 * $1.1 }
        let inputOverlap = yCy / norm

        // Lazy case: g q(t) vanishes identically iff g = 0 or C y = 0 (then u = 0 is the only root).
        if problem.gammaSquared.isZero || cy.allSatisfy({ $0.isZero }) {
            let zero = Interval(0, precision: 64)
            let res = try evaluator.resolventRaisingPrecision(Interval(1, precision: 64), precision: 64)
            let action = Interval(problem.gammaSquared, precision: 64 + evaluator.guardBits) * res.e / 2
            let overlap = Interval(inputOverlap, precision: 64 + 4 * digits)
            let root = CertifiedGeneralKernelSaddle(u: zero, spike: Interval(1, precision: 64), action: action,
                                                    layerOverlaps: Array(repeating: overlap, count: listedLayers.count),
                                                    stationarity: .minimum, isDominant: true,
                                                    bracket: SignBracket(lower: .zero, upper: .zero, signAtLower: -1))
            return CertifiedGeneralKernelSolution(problem: problem, roots: [root], inputOverlap: inputOverlap,
                                                  isolation: problem.gammaSquared.isZero ? "gamma = 0: u = 0, the lazy kernels" : "C y = 0 exactly: u = 0, the lazy kernels",
                                                  listedLayers: listedLayers)
        }

        let upper = try rootBound(problem, norm: norm, precision: 96 + 2 * depthBits)
        // t = (1+u)^L up to (1+U)^L: carry log2 of it in extra bits (cancellation in E = u - g t q).
        let isolationPrecision = 96 + 2 * depthBits + min(1 << 14, Int(Double(problem.depth) * log2(1 + upper.doubleApproximation)))
        // Every root is in (0, U] (eq. G9'): E(0) = -g q(1) < 0. Grid: 0, then geometric from a
        // scale below g q(1) (an estimate; any positive start is valid) up to U, dyadic points.
        let q1 = try evaluator.resolventRaisingPrecision(Interval(1, precision: 64), precision: 64).q
        // Scales are handled as log2 magnitudes and dyadics, never as Doubles: g, labels and roots
        // range far outside Double's exponent range (gamma = 1e200, |y| = 1e-200).
        let gq1 = (Interval(evaluator.g, precision: 64) * q1).midpoint
        var start = gq1.signum > 0 ? Dyadic.powerOfTwo(Int(gq1.log2Magnitude.rounded(.down)) - 3) : Dyadic.powerOfTwo(-1074)
        if start >= upper { start = Dyadic(upper.mantissa, exponent: upper.exponent - 1) }
        let cells = max(1, gridCells)
        let ratio = (upper.log2Magnitude - start.log2Magnitude) / Double(cells)
        var grid: [Dyadic] = [.zero, start]
        for k in 1..<cells {
            let point = Dyadic(exponentialOf: (start.log2Magnitude + ratio * Double(k)) * M_LN2)
            if point > grid.last!, point < upper { grid.append(point) }
        }
        grid.append(upper)
        let lower = Dyadic.zero
        // Two roots d (relative) apart leave |E| ~ d^2 between them: the cell enclosures (G20) exclude
        // zero there only at about 2 log2(1/d) bits. The isolation is retried at 2x, 4x and 8x the
        // precision (the isolation budget, notes/general-kernel-reduction.md "Finding every root")
        // before a (near-)double root is reported.
        var found: [RootCell<Dyadic>] = []
        var oraclePrecision = isolationPrecision
        for attempt in 0..<CertifiedGeneralKernelSolver.isolationPrecisionDoublings + 1 {
            let oracle = ExactSecularOracle(evaluator, precision: oraclePrecision)
            do {
                found = try isolateRoots(oracle, grid: grid, maximumDepth: CertifiedGeneralKernelSolver.isolationDepth)
                if let failure = oracle.failure { throw failure }
                break
            } catch let error as SolverError {
                if let failure = oracle.failure { throw failure }
                guard case .degenerate = error, attempt < CertifiedGeneralKernelSolver.isolationPrecisionDoublings else { throw error }
                oraclePrecision *= 2
            }
        }
        guard !found.isEmpty else { throw SolverError.notConverged("no root of the secular equation was found inside its proven bounds") }
        let isolation = "\(found.count) root(s) in (\(lower.doubleApproximation), \(Interval(upper, precision: 64).decimalBounds(significantDigits: 6).upper)] (eq. G9'), isolated by certified interval cell enclosures (eq. G20), exact rational C (no eigendecomposition)"

        // Refine until every printed number is decided and dominance is decided (or a tie is certain to many bits).
        let function = IntervalFunction(value: { u in (try? evaluator.value(u)) ?? ExactSecularEvaluator.undecided(u.precision) },
                                        derivative: { u in (try? evaluator.slope(u)) ?? ExactSecularEvaluator.undecided(u.precision) })
        var brackets = found.map { SignBracket(lower: $0.lower, upper: $0.upper, signAtLower: $0.signAtLower) }
        var finder = self.finder
        finder.guardBits = CertifiedRefinement.rootGuardBits(depthBits: depthBits)
        // Target: the digits' bits plus depthBits + 8 (notes/numerics-intervals.md (N1), (N2)). Every
        // printed quantity is checked: u, chi = −u, the spike t, the action and the overlaps.
        var roots: [CertifiedGeneralKernelSaddle] = try refinement {
            try CertifiedRefinement.run(initialTargetBits: CertifiedRefinement.digitBits(digits) + depthBits + 8) { targetBits in
                var roots: [CertifiedGeneralKernelSaddle] = []
                for index in brackets.indices {
                    do { brackets[index] = try finder.refine(function, bracket: brackets[index], start: nil, targetBits: targetBits) } catch let error as RootFindingError {
                        throw SolverError.notConverged(error.description)
                    }
                    roots.append(try saddle(brackets[index], evaluator: evaluator, yCy: yCy, norm: norm, layers: listedLayers,
                                            precision: CertifiedRefinement.derivedPrecision(targetBits: targetBits, depthBits: depthBits)))
                }
                let printable = roots.allSatisfy { root in
                    [root.u, root.spike, root.action].allSatisfy { $0.certifiedDecimal(significantDigits: digits) != nil }
                        && root.layerOverlaps.allSatisfy { $0.certifiedDecimal(significantDigits: digits) != nil }
                }
                if !printable { return .undecided("the enclosures of u, t, S and the overlaps did not decide \(digits) digits") }
                return dominantIndex(roots) != nil ? .printable(roots) : .orderUndecided(roots)
            }
        }
        if let best = dominantIndex(roots) { roots[best].isDominant = true }
        return CertifiedGeneralKernelSolution(problem: problem, roots: roots, inputOverlap: inputOverlap, isolation: isolation,
                                              listedLayers: listedLayers)
    }

    /// The local minimum of S whose action enclosure lies strictly below every other minimum's (eq. G8').
    func dominantIndex(_ roots: [CertifiedGeneralKernelSaddle]) -> Int? {
        let minima = roots.indices.filter { roots[$0].stationarity == .minimum }
        return minima.first { i in minima.allSatisfy { $0 == i || roots[i].action.upper < roots[$0].action.lower } }
    }

    /// Enclosures at a refined root (u in the bracket): t, the action (eq. G8') and the overlaps (eq. G11').
    func saddle(_ bracket: SignBracket, evaluator: ExactSecularEvaluator, yCy: BigRational, norm: BigRational,
                layers: [Int], precision: Int) throws -> CertifiedGeneralKernelSaddle {
        let problem = evaluator.problem
        let u = bracket.interval(precision: precision)
        let s = u + 1
        let t = s.power(problem.depth)
        let res = try evaluator.resolventRaisingPrecision(t, precision: precision)
        let g = Interval(evaluator.g, precision: precision)
        // (G8') S = (L/2)(u − ln(1+u)) + (g/2) y^T (tC + bI)^{-1} y.
        let action = Interval(problem.depth, precision: precision) * (u - Interval.log(s)) / 2 + g * res.e / 2
        // (G11') y^T Phi^l y / |y|^2 = (y^T C y + g t a_l r^2) / |y|^2, a_l = 1 + s + ... + s^(l−1).
        let base = Interval(yCy, precision: precision), inverseNorm = Interval(norm.reciprocal, precision: precision)
        let spikeWeight = g * t * res.r.squared
        var overlaps: [Interval] = []
        overlaps.reserveCapacity(layers.count)
        if layers.count == problem.depth {
            var a = Interval(0, precision: precision), power = Interval(1, precision: precision)
            for _ in 1...problem.depth {
                a = a + power
                power = power * s
                overlaps.append((base + spikeWeight * a) * inverseNorm)
            }
        } else {
            // a_l = ((1+u)^l − 1)/u for selected layers: s^l − 1 cancels about log2(1/(l u)) bits when
            // l u is small, so it is formed with that many bits more (u > 0: the lazy case lists all layers).
            let extra = max(0, -u.lower.topBit) + 2 * CertifiedRefinement.depthBits(problem.depth) + 8
            let wide = u.withPrecision(precision + extra)
            let one = Interval(1, precision: precision + extra)
            for layer in layers {
                let a = ((wide + one).power(layer) - one) / wide
                overlaps.append((base + spikeWeight * a.withPrecision(precision)) * inverseNorm)
            }
        }
        return CertifiedGeneralKernelSaddle(u: u, spike: t, action: action, layerOverlaps: overlaps,
                                            stationarity: bracket.signAtLower < 0 ? .minimum : .maximum,
                                            bracket: bracket)
    }

    /// A proven bound u <= U for every root (eq. G9'): u <= g |y|^2 / (4b) when b > 0, and
    /// u (1+u)^L <= G = g y^T C^{-1} y when C is nonsingular.
    func rootBound(_ problem: ExactKernelProblem, norm: BigRational, precision: Int) throws -> Dyadic {
        let g = problem.gammaSquared, b = problem.ridge
        var upper: Dyadic? = nil
        if b.signum > 0 { upper = Dyadic(g * norm / (b * BigRational(4)), bits: 64, .up) }
        // u (1+u)^L <= G = g y^T C^+ y holds for every C (the lambda = 0 directions do not enter q);
        // for singular C, C^+ is formed exactly (`pseudoInverseQuadratic`). Without it a singular C
        // at depth ~1000 had only the bound g |y|^2/(4b), with t = (1+U)^L beyond 2^(2^14).
        if problem.rank > 0 {
            let quadratic = problem.rank == problem.count
                ? ExactKernelProblem.inverseQuadratic(problem.inputKernel, problem.labels, n: problem.count)
                : ExactKernelProblem.pseudoInverseQuadratic(problem.inputKernel, problem.labels, n: problem.count)
            let bigG = g * quadratic
            // Smallest tried U with U (1+U)^L > G, certified in intervals; also U <= G itself works.
            // Start below the bound and grow: u (1+u)^L <= u e^(L u), so u = W(L G)/L (Lambert W, a
            // Double estimate in logs) is at most the root of u (1+u)^L = G; at depth 10^9 that keeps
            // t = (1+U)^L moderate where G^(1/(L+1)) would give t = 2^(10^9).
            let lnLG = bigG.naturalLogMagnitude + log(Double(problem.depth))
            var w = max(1.0, lnLG)                                   // w + ln w = ln(L G), Newton in w > 0
            if lnLG > 1 { for _ in 0..<60 { w -= (w + log(w) - lnLG) / (1 + 1 / w) } } else { w = exp(lnLG) / (1 + exp(lnLG)) }
            let lnSmall = log(max(w, .leastNonzeroMagnitude)) - log(Double(problem.depth))
            var candidate = Dyadic(exponentialOf: min(bigG.naturalLogMagnitude / Double(problem.depth + 1) + 1e-4, lnSmall))
            let gUpper = Interval(bigG, precision: precision).upper
            for _ in 0..<4000 {
                let x = Interval(candidate, precision: precision)
                if (x * (x + 1).power(problem.depth)).lower > gUpper { break }
                candidate = Dyadic(candidate.mantissa * 3, exponent: candidate.exponent - 1)
            }
            let gBound = min(candidate, Dyadic(bigG, bits: 64, .up))
            upper = upper.map { min($0, gBound) } ?? gBound
        }
        guard let upperBound = upper else { throw SolverError.degenerate("no bound on the roots (b = 0 and C singular)") }
        return Dyadic.exactSum(upperBound, Dyadic(upperBound.mantissa, exponent: upperBound.exponent - 20))
    }
}

extension ExactSecularEvaluator {
    /// An interval of undecided sign (an evaluation that could not be certified).
    static func undecided(_ precision: Int) -> Interval {
        Interval(lower: Dyadic(-1, exponent: 64), upper: Dyadic(1, exponent: 64), precision: max(precision, 8))
    }
}

extension ExactKernelProblem {
    /// y^T C^+ y exactly for a PSD C of any rank (eq. G9'): z^T C z for any solution z of
    /// C^2 z = C y (consistent, C y in the range of C^2 = range of C; two solutions differ by n with
    /// C^2 n = 0, hence C n = 0, so z^T C z does not depend on the choice), by rational reduction
    /// with the free unknowns set to 0.
    static func pseudoInverseQuadratic(_ c: [BigRational], _ y: [BigRational], n: Int) -> BigRational {
        var a = [BigRational](repeating: .zero, count: n * n)
        var rhs = [BigRational](repeating: .zero, count: n)
        for i in 0..<n {
            for k in 0..<n where !c[i * n + k].isZero {
                rhs[i] = rhs[i] + c[i * n + k] * y[k]
                for j in 0..<n { a[i * n + j] = a[i * n + j] + c[i * n + k] * c[k * n + j] }
            }
        }
        var pivotColumns: [Int] = []
        var row = 0
        for column in 0..<n where row < n {
            guard let pivot = (row..<n).first(where: { !a[$0 * n + column].isZero }) else { continue }
            if pivot != row { for j in 0..<n { a.swapAt(row * n + j, pivot * n + j) }; rhs.swapAt(row, pivot) }
            let inverse = a[row * n + column].reciprocal
            for j in 0..<n { a[row * n + j] = a[row * n + j] * inverse }
            rhs[row] = rhs[row] * inverse
            for i in 0..<n where i != row && !a[i * n + column].isZero {
                let f = a[i * n + column]
                for j in 0..<n { a[i * n + j] = a[i * n + j] - f * a[row * n + j] }
                rhs[i] = rhs[i] - f * rhs[row]
            }
            pivotColumns.append(column)
            row += 1
        }
        var z = [BigRational](repeating: .zero, count: n)
        for (r, column) in pivotColumns.enumerated() { z[column] = rhs[r] }
        var total = BigRational.zero
        for i in 0..<n where !z[i].isZero { for j in 0..<n where !z[j].isZero { total = total + z[i] * c[i * n + j] * z[j] } }
        return total
    }

    /// y^T C^{-1} y exactly (C nonsingular), by rational Gaussian elimination.
    static func inverseQuadratic(_ c: [BigRational], _ y: [BigRational], n: Int) -> BigRational {
        var a = c, x = y
        for k in 0..<n {
            let pivot = (k..<n).first { !a[$0 * n + k].isZero }!
            if pivot != k { for j in 0..<n { a.swapAt(k * n + j, pivot * n + j) }; x.swapAt(k, pivot) }
            for i in (k + 1)..<n where !a[i * n + k].isZero {
                let f = a[i * n + k] / a[k * n + k]
                for j in k..<n { a[i * n + j] = a[i * n + j] - f * a[k * n + j] }
                x[i] = x[i] - f * x[k]
            }
        }
        var solution = [BigRational](repeating: .zero, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = x[i]
            for j in (i + 1)..<n { s = s - a[i * n + j] * solution[j] }
            solution[i] = s / a[i * n + i]
        }
        return zip(y, solution).reduce(BigRational.zero) { $0 + $1.0 * $1.1 }
    }
}
