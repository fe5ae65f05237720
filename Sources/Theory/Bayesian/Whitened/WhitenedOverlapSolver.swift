import Foundation
import Core
import Numerics

/// Certified solver for every positive root of c (b+c)^(2L) = ((b+c)^2 + g c)^L (notes/whitened-overlaps.md (W2)).
///
/// Isolation (notes/whitened-overlaps.md, "Counting the roots"): in u = −chi the roots are the
/// zeros of h(u) = ln u + 2 ln(b + s^L) − ln g − L ln s, whose derivative has the sign of Q(u)
/// (eq. W6). Q is convex on u >= 0 (eq. W7') with Q(0) = 1 + b > 0, so h has zero or two critical
/// points, hence one or three roots, decided by certified interval signs of Q' , Q and E.
public struct WhitenedOverlapSolver: Sendable {
    public static let maximumDigits = 5000
    public static let defaultDigits = 30

    public var finder = CertifiedRootFinder()

    public init() {}

    /// All positive roots with enclosures refined so that c, chi and the action print certified
    /// (correctly rounded) at `digits` significant digits; likewise the layer overlaps c_l of the
    /// selected layers, kept in `WhitenedSaddle.layerOverlapDecimals`.
    ///
    /// `cache`: state reused from the previous solve with the same gamma and beta on this thread
    /// (a sweep over depth); it never changes the result, only the time.
    public func solve(_ problem: WhitenedProblem, digits: Int = WhitenedOverlapSolver.defaultDigits,
                      layers selection: LayerSelection = .none, cache: WhitenedSolveCache? = nil) throws -> WhitenedSolution {
        guard digits >= 1 && digits <= WhitenedOverlapSolver.maximumDigits else {
            throw TheoryInputError.digitsOutOfRange(digits, maximum: WhitenedOverlapSolver.maximumDigits)
        }
        // Refused before anything is allocated: `.all` at depth 10^9 would list 10^9 layers.
        let listedCount = selection.count(depth: problem.depth)
        guard listedCount <= LayerSelection.maximumListed(digits: digits) else {
            throw TheoryInputError.tooManyLayers(listedCount, maximum: LayerSelection.maximumListed(digits: digits))
        }
        let listedLayers = selection.resolved(depth: problem.depth)
        let depthBits = Int.bitWidth - problem.depth.leadingZeroBitCount
        let equations = WhitenedEquations(problem, cachedPrecision: Int(Double(digits) * 3.33) + 4 * depthBits + 256, reusing: cache)
        if problem.gammaSquared.isZero {
            // Lazy point: u = 0 exactly, every c_l = 1, S = 0 (eq. W4 with g = 0 is u (b + s^L)^2).
            let zero = Interval(0, precision: 64)
            var root = WhitenedSaddle(problem: problem, negatedChi: zero, overlap: Interval(1, precision: 64),
                                      action: zero, stationarity: .minimum, isDominant: true)
            root.overlapDecimal = root.overlap.certifiedDecimal(significantDigits: digits)
            root.chiDecimal = zero.certifiedDecimal(significantDigits: digits)
            root.actionDecimal = zero.certifiedDecimal(significantDigits: digits)
            root.layerOverlapDecimals = listedLayers.map { _ in Interval(1, precision: 64).certifiedDecimal(significantDigits: digits)! }
            return WhitenedSolution(problem: problem, digits: digits, roots: [root],
                                    isolation: "gamma = 0: c_l = 1 exactly", listedLayers: listedLayers)
        }
        let (brackets, isolation) = try isolate(equations, depthBits: depthBits, cache: cache)
        // Target: the digits' bits plus depthBits + 2 (notes/numerics-intervals.md (N1), (N2)).
        var refined = brackets
        let printer = cache?.printer(significantDigits: digits) ?? DecimalPrinter(significantDigits: digits)
        let initialTargetBits = CertifiedRefinement.digitBits(digits) + depthBits + 2
        var roots: [WhitenedSaddle] = try refinement {
            try CertifiedRefinement.run(initialTargetBits: initialTargetBits) { targetBits in
                // The action's series is summed to the digits' bits + 8, plus every bit a retry added
                // (an action within 2^-40 of a decimal tie, e.g. g/2 = 3.72645e-56 at 5 digits, needs them).
                let actionBits = CertifiedRefinement.digitBits(digits) + 8 + (targetBits - initialTargetBits)
                var roots: [WhitenedSaddle] = []
                for (index, entry) in refined.enumerated() {
                    let bracket = try refine(entry.bracket, hint: entry.hint, equations: equations, targetBits: targetBits)
                    refined[index].bracket = bracket
                    roots.append(saddle(from: bracket, problem: problem, equations: equations,
                                        precision: CertifiedRefinement.derivedPrecision(targetBits: targetBits, depthBits: depthBits),
                                        actionBits: actionBits))
                }
                for index in roots.indices {
                    roots[index].overlapDecimal = printer.certified(roots[index].overlap)
                    roots[index].chiDecimal = printer.certified(roots[index].chi)
                    roots[index].actionDecimal = printer.certified(roots[index].action)
                    if roots[index].overlapDecimal == nil || roots[index].chiDecimal == nil || roots[index].actionDecimal == nil {
                        return .undecided("the enclosures of c, chi and S did not decide \(digits) digits")
                    }
                }
                if !listedLayers.isEmpty {
                    for index in roots.indices {
                        guard let decimals = layerDecimals(of: roots[index], layers: listedLayers, printer: printer) else {
                            return .undecided("the layer overlaps' enclosures did not decide \(digits) digits")
                        }
                        roots[index].layerOverlapDecimals = decimals
                    }
                }
                // Dominance undecided at the budget: the actions agree to the working precision (a tie).
                return dominantIndex(roots) != nil ? .printable(roots) : .orderUndecided(roots)
            }
        }
        if let best = dominantIndex(roots) { roots[best].isDominant = true }
        return WhitenedSolution(problem: problem, digits: digits, roots: roots, isolation: isolation,
                                listedLayers: listedLayers)
    }

    /// Certified decimals of c_l for the listed layers: by repeated multiplication when every
    /// layer is listed, by powering otherwise; nil when an enclosure does not decide its digits.
    private func layerDecimals(of root: WhitenedSaddle, layers: [Int], printer: DecimalPrinter) -> [DecimalDigits]? {
        var decimals: [DecimalDigits] = []
        decimals.reserveCapacity(layers.count)
        if layers.count == root.problem.depth {
            for layer in root.layerOverlaps() {
                guard let text = printer.certified(layer) else { return nil }
                decimals.append(text)
            }
        } else {
            for layer in layers {
                guard let text = printer.certified(root.layerOverlap(layer)) else { return nil }
                decimals.append(text)
            }
        }
        return decimals
    }

    /// The index of the root whose action enclosure lies strictly below every other's (eq. W10);
    /// only local minima of S compete. nil when enclosures overlap.
    func dominantIndex(_ roots: [WhitenedSaddle]) -> Int? {
        let candidates = roots.indices.filter { roots[$0].stationarity == .minimum }
        for i in candidates {
            if candidates.allSatisfy({ $0 == i || roots[i].action.upper < roots[$0].action.lower }) { return i }
        }
        return nil
    }

    /// The saddle's enclosures at `precision` bits; the action's series is summed to `actionBits`
    /// relative bits (enough for the printed digits; its enclosure is rigorous either way).
    private func saddle(from bracket: SignBracket, problem: WhitenedProblem, equations: WhitenedEquations,
                        precision: Int, actionBits: Int) -> WhitenedSaddle {
        let u = bracket.interval(precision: precision)
        let overlap = equations.kernel.overlap(u)
        return WhitenedSaddle(problem: problem, negatedChi: u, overlap: overlap,
                              action: equations.kernel.action(u, overlap: overlap, relativeBits: actionBits) ?? equations.action(u),
                              stationarity: bracket.signAtLower < 0 ? .minimum : .maximum, isDominant: false)
    }

    private func refine(_ bracket: SignBracket, hint: Dyadic?, equations: WhitenedEquations, targetBits: Int) throws -> SignBracket {
        var finder = self.finder
        finder.guardBits = CertifiedRefinement.rootGuardBits(depthBits: CertifiedRefinement.depthBits(equations.depth))
        if let fast = equations.kernel.refine(bracket, start: hint, targetBits: targetBits, guardBits: finder.guardBits) {
            return fast
        }
        let function = IntervalFunction(value: equations.rootFunction, derivative: equations.rootFunctionDerivative)
        do {
            return try finder.refine(function, bracket: bracket, start: hint, targetBits: targetBits)
        } catch let error as RootFindingError {
            throw SolverError.notConverged(error.description)
        }
    }

    // MARK: isolation

    struct IsolatedRoot {
        var bracket: SignBracket
        var hint: Dyadic?
    }

    /// Brackets each containing exactly one root of E, in increasing order, and a description of
    /// the certificate used.
    /// `cache`: its warm start (the previous single root's hint, same gamma and beta) seeds the
    /// Double hint of a single root, and the new hint is left there for the next depth.
    func isolate(_ eq: WhitenedEquations, depthBits: Int, cache: WhitenedSolveCache? = nil) throws -> ([IsolatedRoot], String) {
        let precision = 96 + 2 * depthBits
        if eq.criticalSlopeAtZeroSign >= 0 {
            return ([singleRoot(eq, cache: cache)],
                    "Q'(0) = 2L+1-b(L-1) >= 0: h increasing, exactly one root")
        }
        // Q' is increasing with Q'(0) < 0: enclose its zero u*, where Q attains its minimum.
        var minimum = try criticalMinimumBracket(eq, precision: precision)
        var bits = 32
        for _ in 0..<10 {
            let q = eq.criticalFunction(minimum.interval(precision: precision + bits))
            if q.lower.signum > 0 {
                return ([singleRoot(eq, cache: cache)],
                        "min Q > 0 (certified on [\(minimum.lower.doubleApproximation), \(minimum.upper.doubleApproximation)]): h increasing, exactly one root")
            }
            let middle = minimum.interval(precision: precision).midpoint
            if eq.criticalFunction(Interval(middle, precision: precision + bits)).upper.signum < 0 {
                return try twoCriticalPoints(eq, belowZeroAt: middle, precision: precision)
            }
            bits *= 2
            let slope = IntervalFunction(value: eq.criticalSlope, derivative: eq.criticalCurvature)
            minimum = try finder.refine(slope, bracket: minimum, start: nil, targetBits: bits)
        }
        throw SolverError.degenerate("min Q = 0 to \(bits) bits: h has a double critical point")
    }

    /// The single-root case: E < 0 below the root and > 0 above (h increasing). The bracket is
    /// [0, R] with R the analytic bound of eq. W11: E(0) = −g < 0 and, the only root lying below
    /// R, E(R) > 0 — both signs known without evaluating E.
    ///
    /// The Double hint (a seed only, section 4b of notes/whitened-overlaps.md) starts from
    /// ln(g)/2 with unit steps, or, in a run of depths with the same g and b, from the previous
    /// depth's hint with steps of 1/8 (the roots' ln u move little between neighbouring depths).
    private func singleRoot(_ eq: WhitenedEquations, cache: WhitenedSolveCache? = nil) -> IsolatedRoot {
        let bracket = SignBracket(lower: .zero, upper: eq.rootUpperBound, signAtLower: -1)
        let warm = cache?.warmLogRoot
        cache?.warmLogRoot = nil
        let guess = warm ?? 0.5 * eq.gammaSquared.naturalLogMagnitude
        let step = warm == nil ? 1.0 : 0.125
        guard let above = expandDouble(eq.logRootFunction, from: guess, direction: 1, until: true, step: step),
              let below = expandDouble(eq.logRootFunction, from: min(guess, above), direction: -1, until: false, step: step) else {
            return IsolatedRoot(bracket: bracket, hint: nil)
        }
        let logHint = newtonBisectDouble(eq.logRootFunction, slope: eq.logRootFunctionSlope, below, above,
                                         start: warm.map { min(max($0, below), above) })
        if logHint.isFinite { cache?.warmLogRoot = logHint }
        let hint = Dyadic(exponentialOf: logHint)
        return IsolatedRoot(bracket: bracket, hint: hint.signum > 0 && hint < bracket.upper ? hint : nil)
    }

    /// [lower, R] with E(R) > 0 certified, R found by doubling from the hint; E(lower) has sign
    /// `signAtLower` (= −1: E < 0 left of the last root). A tighter certified bracket around the hint is used when found.
    private func wideBracket(_ eq: WhitenedEquations, lower: Dyadic, signAtLower: Int, start: Dyadic?,
                             precision: Int) throws -> IsolatedRoot {
        var upper = start.map { Dyadic($0.mantissa, exponent: $0.exponent + 1) } ?? .one
        if upper <= lower { upper = Dyadic.exactSum(Dyadic(lower.mantissa, exponent: lower.exponent + 1), .one) }
        var attempts = 0
        while eq.rootFunctionSign(at: upper, precision: precision) != -signAtLower {
            upper = Dyadic(upper.mantissa, exponent: upper.exponent + 2)
            attempts += 1
            if attempts > 4000 { throw SolverError.notConverged("no point with E > 0 found above the last root") }
        }
        return IsolatedRoot(bracket: SignBracket(lower: lower, upper: upper, signAtLower: signAtLower), hint: start)
    }

    /// Certified bracket of the zero of Q' (Q' increasing, Q'(0) < 0).
    private func criticalMinimumBracket(_ eq: WhitenedEquations, precision: Int) throws -> SignBracket {
        var hint: Dyadic? = nil
        if let above = expandDouble(eq.logCriticalSlope, from: 0, direction: 1, until: true),
           let below = expandDouble(eq.logCriticalSlope, from: min(0, above), direction: -1, until: false) {
            hint = Dyadic(exponentialOf: bisectDouble(eq.logCriticalSlope, below, above))
        }
        var upper = hint.map { Dyadic($0.mantissa, exponent: $0.exponent + 1) } ?? .one
        var attempts = 0
        while finder.sign(of: eq.criticalSlope, at: upper, precision: precision) != 1 {
            upper = Dyadic(upper.mantissa, exponent: upper.exponent + 2)
            attempts += 1
            if attempts > 4000 { throw SolverError.notConverged("Q' has no sign change") }
        }
        if let hint, hint < upper,
           let tight = finder.bracket(around: hint, of: eq.criticalSlope, signBelow: -1, within: (.zero, upper), precision: precision) {
            return tight
        }
        return SignBracket(lower: .zero, upper: upper, signAtLower: -1)
    }

    /// Q has two zeros u1 < middle < u2 (Q(middle) < 0). h rises to u1, falls to u2, then rises:
    /// one or three roots according to the signs of E at u1 and u2.
    private func twoCriticalPoints(_ eq: WhitenedEquations, belowZeroAt middle: Dyadic, precision: Int) throws -> ([IsolatedRoot], String) {
        let logMiddle = middle.log2Magnitude * M_LN2
        let q = IntervalFunction(value: eq.criticalFunction, derivative: eq.criticalSlope)
        // u1 in (0, middle): Q(0) = 1 + b > 0.
        var first = SignBracket(lower: .zero, upper: middle, signAtLower: 1)
        if let below = expandDouble(eq.logCriticalFunction, from: logMiddle - 1, direction: -1, until: true) {
            let hint = Dyadic(exponentialOf: bisectDouble(eq.logCriticalFunction, below, logMiddle))
            if let tight = finder.bracket(around: hint, of: eq.criticalFunction, signBelow: 1, within: (.zero, middle), precision: precision) {
                first = tight
            }
        }
        // u2 in (middle, R) with Q(R) > 0.
        var upper = Dyadic(middle.mantissa, exponent: middle.exponent + 1)
        var attempts = 0
        while finder.sign(of: eq.criticalFunction, at: upper, precision: precision) != 1 {
            upper = Dyadic(upper.mantissa, exponent: upper.exponent + 1)
            attempts += 1
            if attempts > 4000 { throw SolverError.notConverged("Q has no second zero") }
        }
        var second = SignBracket(lower: middle, upper: upper, signAtLower: -1)
        if let above = expandDouble(eq.logCriticalFunction, from: logMiddle + 1, direction: 1, until: true) {
            let hint = Dyadic(exponentialOf: bisectDouble(eq.logCriticalFunction, logMiddle, above))
            if let tight = finder.bracket(around: hint, of: eq.criticalFunction, signBelow: -1, within: (middle, upper), precision: precision) {
                second = tight
            }
        }
        // The sign of E (= sign of h) over each critical bracket, refining the bracket until decided.
        func signOfE(over bracket: inout SignBracket) throws -> Int {
            var bits = 40
            for _ in 0..<9 {
                if let s = eq.rootFunction(bracket.interval(precision: precision + bits)).definiteSign, s != 0 { return s }
                bits *= 2
                bracket = try finder.refine(q, bracket: bracket, start: nil, targetBits: bits)
            }
            throw SolverError.degenerate("a root coincides with a critical point of h to \(bits) bits (saddle-node)")
        }
        let signAtFirst = try signOfE(over: &first)
        let signAtSecond = try signOfE(over: &second)
        let critical = "Q has two zeros u1 in [\(first.lower.doubleApproximation), \(first.upper.doubleApproximation)], u2 in [\(second.lower.doubleApproximation), \(second.upper.doubleApproximation)]"
        switch (signAtFirst, signAtSecond) {
        case (-1, -1):
            let last = try rootAbove(eq, start: second.upper, precision: precision)
            return ([last], critical + "; E(u1) < 0: one root above u2")
        case (1, 1):
            let hint = hintBetween(eq, low: nil, high: first.lower)
            return ([IsolatedRoot(bracket: SignBracket(lower: .zero, upper: first.lower, signAtLower: -1), hint: hint)],
                    critical + "; E(u2) > 0: one root below u1")
        case (1, -1):
            let low = IsolatedRoot(bracket: SignBracket(lower: .zero, upper: first.lower, signAtLower: -1),
                                   hint: hintBetween(eq, low: nil, high: first.lower))
            let middleRoot = IsolatedRoot(bracket: SignBracket(lower: first.upper, upper: second.lower, signAtLower: 1),
                                          hint: hintBetween(eq, low: first.upper, high: second.lower))
            let high = try rootAbove(eq, start: second.upper, precision: precision)
            return ([low, middleRoot, high], critical + "; E(u1) > 0 > E(u2): three roots")
        default:
            throw SolverError.degenerate("inconsistent signs E(u1) = \(signAtFirst), E(u2) = \(signAtSecond)")
        }
    }

    /// The root above `start` (E(start) < 0 certified), h increasing there.
    private func rootAbove(_ eq: WhitenedEquations, start: Dyadic, precision: Int) throws -> IsolatedRoot {
        let logStart = start.log2Magnitude * M_LN2
        var hint: Dyadic? = nil
        if let above = expandDouble(eq.logRootFunction, from: logStart + 0.5, direction: 1, until: true) {
            hint = Dyadic(exponentialOf: newtonBisectDouble(eq.logRootFunction, slope: eq.logRootFunctionSlope, logStart, above))
        }
        return try wideBracket(eq, lower: start, signAtLower: -1, start: hint, precision: precision)
    }

    /// A Double-level hint for the root of E between two points (low nil: from below).
    private func hintBetween(_ eq: WhitenedEquations, low: Dyadic?, high: Dyadic) -> Dyadic? {
        let logHigh = high.log2Magnitude * M_LN2
        let highPositive = eq.logRootFunction(logHigh) > 0
        let logLow: Double
        if let low { logLow = low.log2Magnitude * M_LN2 } else {
            guard let found = expandDouble(eq.logRootFunction, from: logHigh - 1, direction: -1, until: !highPositive) else { return nil }
            logLow = found
        }
        guard (eq.logRootFunction(logLow) > 0) != highPositive else { return nil }
        return Dyadic(exponentialOf: bisectDouble(eq.logRootFunction, logLow, logHigh))
    }
}
