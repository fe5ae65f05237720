import Foundation
import Core
import Numerics

/// One fixed point of the whitened deep linear aNTK (notes/antk-deep-linear.md (A14)–(A16)),
/// with certified enclosures.
public struct WhitenedANTKFixedPoint: Sendable {
    public enum Kind: String, Sendable {
        /// f = 0, all weights zero (A18).
        case collapse
        /// The smaller nontrivial root (L >= 2): unstable (A21).
        case lower
        /// The larger nontrivial root (L >= 2), or the only one (L = 1): stable (A21).
        case upper
        /// gamma = gamma_c exactly (A17): the two branches coincide at u = (L−1)/(2L).
        case double
    }

    public let kind: Kind
    /// alpha = sqrt(E) = |W^l|_F / sqrt(N), a positive root of the trinomial (A14a); [0, 0] at collapse.
    public let amplitude: Interval
    /// u = f.y (|y| = 1) = alpha^{L+1}/gamma (A14a).
    public let fDotY: Interval
    /// a = alpha^{2L}/lambda, f = a C Delta (A8), (A14a).
    public let a: Interval
    /// E = alpha^2: per-neuron squared norm of every layer (A5).
    public let layerNorm: Interval
    public let stability: ANTKStability
}

/// All fixed points of the whitened problem and what training reaches.
public struct WhitenedANTKSolution: Sendable {
    public let problem: WhitenedANTKProblem
    public let digits: Int
    /// Collapse first, then the nontrivial roots in increasing order.
    public let fixedPoints: [WhitenedANTKFixedPoint]
    public let endPoint: ANTKEndPoint
    /// How the roots were isolated, in words.
    public let isolation: String
}

/// Certified solver for every fixed point of the whitened aNTK (notes/theory-overview.md (T18)).
///
/// Isolation is exact (A17), (A18): the trinomial p(alpha) = alpha^{2L} − gamma alpha^{L−1} + lambda
/// has p(0) = lambda > 0, one positive critical point alpha_c^{L+1} = (L−1) gamma/(2L), and p > 0 for
/// alpha >= R = max(1, gamma). Whether p(alpha_c) < 0, = 0 or > 0 is decided by comparing the
/// rationals gamma^{2L} and gamma_c^{2L}; a dyadic m near alpha_c with certified p(m) < 0 then
/// splits (0, R) into two sign brackets. Each root is refined by `CertifiedRootFinder`.
public struct WhitenedANTKSolver: Sendable {
    public static let maximumDigits = 2000
    public static let defaultDigits = 30

    public var finder = CertifiedRootFinder()

    public init() {}

    public func solve(_ problem: WhitenedANTKProblem, digits: Int = WhitenedANTKSolver.defaultDigits) throws -> WhitenedANTKSolution {
        guard digits >= 1 && digits <= WhitenedANTKSolver.maximumDigits else {
            throw ANTKInputError.digitsOutOfRange(digits, maximum: WhitenedANTKSolver.maximumDigits)
        }
        let depthBits = Int.bitWidth - problem.depth.leadingZeroBitCount
        let basePrecision = 128 + 2 * depthBits
        let count = try ANTKPolynomials.branchCount(problem)
        let collapse = WhitenedANTKFixedPoint(
            kind: .collapse, amplitude: Interval(0, precision: 64), fDotY: Interval(0, precision: 64),
            a: Interval(0, precision: 64), layerNorm: Interval(0, precision: 64),
            stability: try ANTKStability.collapse(problem, digits: digits))
        var brackets: [(SignBracket, WhitenedANTKFixedPoint.Kind, IntervalFunction, Dyadic?)] = []
        let isolation: String
        let trinomial = IntervalFunction(value: { self.trinomial(problem, $0) }, derivative: { self.trinomialSlope(problem, $0) })
        let upperLimit = WhitenedANTKSolver.upperLimit(problem.gamma)
        switch count {
        case .none:
            isolation = problem.depth == 1
                ? "L = 1, gamma <= lambda (A10): no nontrivial root"
                : "gamma^{2L} < gamma_c^{2L} (A17), exact rational comparison: no nontrivial root"
        case .one:
            // L = 1: p(0) = lambda − gamma < 0 < p(R).
            brackets = [(SignBracket(lower: .zero, upper: upperLimit, signAtLower: -1), .upper, trinomial,
                         hint(problem, low: -60, high: log(upperLimit.doubleApproximation)))]
            isolation = "L = 1, gamma > lambda (A10): one root alpha = sqrt(gamma - lambda)"
        case .doubleRoot:
            // alpha_c is the root of alpha^{L+1} − (L−1) gamma/(2L) (A17).
            let critical = criticalFunction(problem)
            brackets = [(SignBracket(lower: .zero, upper: upperLimit, signAtLower: -1), .double, critical, nil)]
            isolation = "gamma^{2L} = gamma_c^{2L} exactly (A17): one double root alpha_c^{L+1} = (L-1) gamma/(2L)"
        case .two:
            let middle = try splitPoint(problem, upperLimit: upperLimit, precision: basePrecision)
            let logMiddle = middle.log2Magnitude * M_LN2
            brackets = [
                (SignBracket(lower: .zero, upper: middle, signAtLower: 1), .lower, trinomial,
                 hint(problem, low: min(logMiddle, (problem.lambda.naturalLogMagnitude - problem.gamma.naturalLogMagnitude) / Double(problem.depth - 1)) - 20, high: logMiddle)),
                (SignBracket(lower: middle, upper: upperLimit, signAtLower: -1), .upper, trinomial,
                 hint(problem, low: logMiddle, high: log(upperLimit.doubleApproximation))),
            ]
            isolation = "gamma^{2L} > gamma_c^{2L} (A17), exact: p(0) > 0, p(m) < 0 certified at m = \(middle.doubleApproximation), p(\(upperLimit.doubleApproximation)) > 0: two roots (Descartes, A18)"
        }
        // Target: the digits' bits plus 2 depthBits + 8 (notes/numerics-intervals.md (N1), (N2)); the
        // derived quantities carry 64 + 2 depthBits more (powers alpha^{2L}).
        var refined = brackets.map(\.0)
        let points: [WhitenedANTKFixedPoint] = try refinement {
            try CertifiedRefinement.run(initialTargetBits: CertifiedRefinement.digitBits(digits) + 2 * depthBits + 8) { targetBits in
                var points: [WhitenedANTKFixedPoint] = []
                for (index, entry) in brackets.enumerated() {
                    let bracket = try refine(entry.2, bracket: refined[index], hint: entry.3, targetBits: targetBits, depthBits: depthBits)
                    refined[index] = bracket
                    let precision = targetBits + 64 + 2 * depthBits
                    guard let point = fixedPoint(problem, amplitude: bracket.interval(precision: precision), kind: entry.1) else {
                        return .undecided("the stability sign of the \(entry.1.rawValue) branch")
                    }
                    points.append(point)
                    let printable = [point.fDotY, point.a, point.layerNorm, point.amplitude, point.stability.decidingEigenvalue]
                        .allSatisfy { WhitenedANTKSolver.prints($0, digits: digits) }
                    if !printable { return .undecided("the enclosures of the \(entry.1.rawValue) branch did not decide \(digits) digits") }
                }
                return .printable(points)
            }
        }
        return WhitenedANTKSolution(problem: problem, digits: digits, fixedPoints: [collapse] + points,
                                    endPoint: ANTKEndPoint.predict(problem, count: count), isolation: isolation)
    }

    /// True when `x` prints certified at `digits` significant digits (the exact zero prints "0").
    public static func prints(_ x: Interval, digits: Int) -> Bool {
        x.isPoint && x.lower.isZero || x.certifiedDecimal(significantDigits: digits) != nil
    }

    /// The fixed point at an amplitude enclosure (A14a), (A16); nil when the stability sign is undecided.
    func fixedPoint(_ problem: WhitenedANTKProblem, amplitude alpha: Interval, kind: WhitenedANTKFixedPoint.Kind) -> WhitenedANTKFixedPoint? {
        let l = problem.depth
        let gamma = Interval(problem.gamma, precision: alpha.precision)
        let lambda = Interval(problem.lambda, precision: alpha.precision)
        let u = alpha.power(l + 1) / gamma            // (A14a) u = alpha^{L+1}/gamma
        let a = alpha.power(2 * l) / lambda           // (A14a) a = alpha^{2L}/lambda
        guard let stability = ANTKStability.nontrivial(problem, u: u, isDoubleRoot: kind == .double) else { return nil }
        if kind == .lower && stability.verdict != .unstable || kind == .upper && stability.verdict != .stable { return nil }
        return WhitenedANTKFixedPoint(kind: kind, amplitude: alpha, fDotY: u, a: a, layerNorm: alpha.squared, stability: stability)
    }

    /// p(alpha) = alpha^{2L} − gamma alpha^{L−1} + lambda (A14a), alpha >= 0.
    func trinomial(_ problem: WhitenedANTKProblem, _ alpha: Interval) -> Interval {
        let l = problem.depth
        return alpha.power(2 * l) - Interval(problem.gamma, precision: alpha.precision) * alpha.power(l - 1)
            + Interval(problem.lambda, precision: alpha.precision)
    }

    /// p'(alpha) = 2L alpha^{2L−1} − (L−1) gamma alpha^{L−2}.
    func trinomialSlope(_ problem: WhitenedANTKProblem, _ alpha: Interval) -> Interval {
        let l = problem.depth
        let head = alpha.power(2 * l - 1) * (2 * l)
        if l == 1 { return head }
        return head - Interval(problem.gamma, precision: alpha.precision) * alpha.power(l - 2) * (l - 1)
    }

    /// q(alpha) = alpha^{L+1} − (L−1) gamma/(2L), whose root is alpha_c (A17).
    func criticalFunction(_ problem: WhitenedANTKProblem) -> IntervalFunction {
        let l = problem.depth
        let target = problem.gamma * BigRational(l - 1, 2 * l)
        return IntervalFunction(value: { $0.power(l + 1) - Interval(target, precision: $0.precision) },
                                derivative: { $0.power(l) * (l + 1) })
    }

    /// R = max(1, ceil gamma): for alpha >= R, alpha^{L+1} >= alpha >= gamma, so p(alpha) >= lambda > 0
    /// (and alpha_c^{L+1} < gamma/2 < R^{L+1}).
    static func upperLimit(_ gamma: BigRational) -> Dyadic {
        let ceiling = BigInt.ceilDivide(gamma.numerator, gamma.denominator)
        return ceiling.compare(to: 1) > 0 ? Dyadic(ceiling) : .one
    }

    /// A dyadic m with certified p(m) < 0 near alpha_c; exists because p(alpha_c) < 0 was decided exactly.
    func splitPoint(_ problem: WhitenedANTKProblem, upperLimit: Dyadic, precision: Int) throws -> Dyadic {
        let critical = criticalFunction(problem)
        var bits = 32
        var bracket = SignBracket(lower: .zero, upper: upperLimit, signAtLower: -1)
        while bits <= finder.maximumPrecision {
            bracket = try finder.refine(critical, bracket: bracket, start: nil, targetBits: bits)
            let middle = bracket.interval(precision: precision).midpoint
            if finder.sign(of: { self.trinomial(problem, $0) }, at: middle, precision: precision + 2 * bits) == -1 { return middle }
            bits *= 2
        }
        throw SolverError.notConverged("no point with p(alpha) < 0 found near alpha_c")
    }

    /// A Double-level hint for a root of the trinomial between e^low and e^high, by bisection of
    /// sign p = sign(logaddexp(2L t, ln lambda) − ln gamma − (L−1) t), t = ln alpha; nil when the
    /// Double signs do not bracket.
    func hint(_ problem: WhitenedANTKProblem, low: Double, high: Double) -> Dyadic? {
        let l = Double(problem.depth)
        let lnGamma = problem.gamma.naturalLogMagnitude, lnLambda = problem.lambda.naturalLogMagnitude
        func f(_ t: Double) -> Double {
            let x = 2 * l * t, y = lnLambda
            let logSum = max(x, y) + log1p(exp(-abs(x - y)))
            return logSum - lnGamma - (l - 1) * t
        }
        var lo = low, hi = high
        let signLow = f(lo) > 0
        guard lo.isFinite, hi.isFinite, signLow != (f(hi) > 0) else { return nil }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if (f(mid) > 0) == signLow { lo = mid } else { hi = mid }
        }
        return Dyadic(exponentialOf: 0.5 * (lo + hi))
    }

    private func refine(_ f: IntervalFunction, bracket: SignBracket, hint: Dyadic?, targetBits: Int, depthBits: Int) throws -> SignBracket {
        var finder = self.finder
        finder.guardBits = CertifiedRefinement.rootGuardBits(depthBits: depthBits)
        var start = bracket
        if let hint, bracket.lower < hint, hint < bracket.upper,
           let tight = finder.bracket(around: hint, of: f.value, signBelow: bracket.signAtLower,
                                      within: (bracket.lower, bracket.upper), precision: 96 + 2 * depthBits) {
            start = tight
        }
        do {
            return try finder.refine(f, bracket: start, start: hint, targetBits: targetBits)
        } catch let error as RootFindingError {
            throw SolverError.notConverged(error.description)
        }
    }
}
