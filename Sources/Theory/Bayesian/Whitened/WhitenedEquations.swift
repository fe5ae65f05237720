import Foundation
import Core
import Numerics

/// The whitened overlap equation in the variable u = −chi > 0, s = 1 + u, c_l = s^l
/// (notes/whitened-overlaps.md). Interval forms enclose exact values; the log-space Double forms
/// have the same signs and only seed the certified refinement.
struct WhitenedEquations {
    /// What depends on gamma and beta only, shared by a run of depths (`WhitenedSolveCache`).
    struct Constants {
        let gamma: BigRational
        let beta: InverseTemperature
        let gammaSquared: BigRational
        let ridge: BigRational
        /// g and b enclosed once at `cachedPrecision` bits; requests up to that precision reuse them.
        let cachedG: Interval
        let cachedB: Interval
        let cachedPrecision: Int
        /// ln g and ln b as Doubles (−inf for 0), for the log-space hints.
        let logG: Double
        let logB: Double
        /// Above every positive root (eq. W11).
        let rootUpperBound: Dyadic
        /// Allocation-free evaluation of E, E' and s^L for u >= 0 (the solver's hot path).
        let kernel: WhitenedKernelEvaluator

        init(_ problem: WhitenedProblem, cachedPrecision: Int) {
            gamma = problem.gamma
            beta = problem.beta
            gammaSquared = problem.gammaSquared
            ridge = problem.ridge
            self.cachedPrecision = cachedPrecision
            logG = gammaSquared.isZero ? -.infinity : gammaSquared.naturalLogMagnitude
            logB = ridge.isZero ? -.infinity : ridge.naturalLogMagnitude
            cachedG = Interval(gammaSquared, precision: cachedPrecision)
            cachedB = Interval(ridge, precision: cachedPrecision)
            rootUpperBound = WhitenedEquations.rootUpperBound(gammaSquared: gammaSquared, ridge: ridge)
            kernel = WhitenedKernelEvaluator(depth: problem.depth, gammaSquared: gammaSquared, ridge: ridge,
                                             cachedG: cachedG, cachedB: cachedB, cachedPrecision: cachedPrecision)
        }
    }

    let depth: Int
    private let constants: Constants

    var gammaSquared: BigRational { constants.gammaSquared }
    var ridge: BigRational { constants.ridge }
    var kernel: WhitenedKernelEvaluator { constants.kernel }
    var rootUpperBound: Dyadic { constants.rootUpperBound }
    private var cachedG: Interval { constants.cachedG }
    private var cachedB: Interval { constants.cachedB }
    private var cachedPrecision: Int { constants.cachedPrecision }
    private var logG: Double { constants.logG }
    private var logB: Double { constants.logB }

    init(_ problem: WhitenedProblem, cachedPrecision: Int = 512, reusing cache: WhitenedSolveCache? = nil) {
        depth = problem.depth
        if let cache, let reused = cache.constants, reused.cachedPrecision >= cachedPrecision,
           reused.gamma == problem.gamma, reused.beta == problem.beta {
            // Same gamma and beta as the previous solve on this thread: reuse g, b, their logs and
            // the kernel's workspaces, with the depth swapped in.
            constants = reused
            constants.kernel.prepare(depth: depth)
            return
        }
        // Rounded up to whole 256-bit steps so that a run of depths keeps one cache.
        let precision = cache == nil ? cachedPrecision : (cachedPrecision + 255) / 256 * 256
        constants = Constants(problem, cachedPrecision: precision)
        cache?.constants = constants
        cache?.warmLogRoot = nil
    }

    private func g(_ precision: Int) -> Interval {
        precision <= cachedPrecision ? cachedG.withPrecision(precision) : Interval(gammaSquared, precision: precision)
    }
    private func b(_ precision: Int) -> Interval {
        precision <= cachedPrecision ? cachedB.withPrecision(precision) : Interval(ridge, precision: precision)
    }

    /// E(u) = u (b + s^L)^2 − g s^L  (eq. W4); its positive roots are the overlaps' roots.
    /// For u >= 0 evaluated by the fixed-precision kernel, otherwise by `intervalRootFunction`.
    func rootFunction(_ u: Interval) -> Interval {
        u.lower.signum >= 0 ? kernel.rootFunction(u) : intervalRootFunction(u)
    }

    /// E'(u) (eq. W9): the kernel for u >= 0, otherwise `intervalRootFunctionDerivative`.
    func rootFunctionDerivative(_ u: Interval) -> Interval {
        u.lower.signum >= 0 ? kernel.rootFunctionDerivative(u) : intervalRootFunctionDerivative(u)
    }

    /// The certified sign of E at a point x >= 0, raising the kernel's precision from `precision`
    /// up to 4x; nil when still undecided.
    func rootFunctionSign(at x: Dyadic, precision: Int) -> Int? {
        var bits = precision
        while bits <= 4 * precision {
            if let sign = kernel.certifiedSign(at: x, bits: bits) { return sign }
            bits += max(64, bits / 2)
        }
        return nil
    }

    /// E(u) in dyadic interval arithmetic (the reference the kernel is tested against).
    func intervalRootFunction(_ u: Interval) -> Interval {
        let sL = (u + 1).power(depth)
        return u * (b(u.precision) + sL).squared - g(u.precision) * sL
    }

    /// E'(u) = (b + s^L)^2 + 2 L u s^(L−1) (b + s^L) − g L s^(L−1)  (eq. W9).
    func intervalRootFunctionDerivative(_ u: Interval) -> Interval {
        let s = u + 1
        let sLminus1 = s.power(depth - 1)
        let bPlusSL = b(u.precision) + sLminus1 * s
        return bPlusSL.squared + (2 * depth) * u * sLminus1 * bPlusSL - g(u.precision) * sLminus1 * depth
    }

    /// Q(u) = s^L (1 + (L+1) u) + b (1 − (L−1) u)  (eq. W6); h'(u) = Q(u) / (u s (b + s^L)).
    func criticalFunction(_ u: Interval) -> Interval {
        let sL = (u + 1).power(depth)
        let one = Interval(1, precision: u.precision)
        return sL * (u * (depth + 1) + 1) + b(u.precision) * (one - u * (depth - 1))
    }

    /// Q'(u) = s^(L−1) ((2L+1) + (L+1)^2 u) − b (L−1)  (eq. W7), increasing in u >= 0.
    func criticalSlope(_ u: Interval) -> Interval {
        let sLminus1 = (u + 1).power(depth - 1)
        return sLminus1 * (u * ((depth + 1) * (depth + 1)) + (2 * depth + 1)) - b(u.precision) * (depth - 1)
    }

    /// Q''(u) = (L−1) s^(L−2) ((2L+1) + (L+1)^2 u) + (L+1)^2 s^(L−1) > 0  (eq. W7').
    func criticalCurvature(_ u: Interval) -> Interval {
        let s = u + 1
        let sLminus2 = s.power(max(0, depth - 2))
        let linear = u * ((depth + 1) * (depth + 1)) + (2 * depth + 1)
        let first = depth >= 2 ? sLminus2 * linear * (depth - 1) : Interval(0, precision: u.precision)
        let sLminus1 = depth >= 2 ? sLminus2 * s : Interval(1, precision: u.precision)
        return first + sLminus1 * ((depth + 1) * (depth + 1))
    }

    /// A dyadic strictly above every positive root (g > 0): at a root u = g c/(b + c)^2 with
    /// c = s^L >= 1, and (b + c)^2 >= 4 b c gives u <= g/(4b) for b > 0; for b = 0, u = g/c <= g
    /// (eq. W11). Twice an upward rounding of that bound; it depends on g and b only.
    static func rootUpperBound(gammaSquared: BigRational, ridge: BigRational) -> Dyadic {
        if gammaSquared.isZero { return .one }
        let bound = ridge.isZero ? gammaSquared : gammaSquared / (ridge * BigRational(4))
        let roundedUp = Dyadic(bound, bits: 64, .up)
        return Dyadic(roundedUp.mantissa, exponent: roundedUp.exponent + 1)
    }

    /// The sign of Q'(0) = 2L + 1 − b (L − 1), exactly: with b = p/q (q > 0), the sign of
    /// (2L + 1) q − p (L − 1).
    var criticalSlopeAtZeroSign: Int {
        // Machine integers when nothing overflows (the common case), else big integers: the same sign.
        if let p = ridge.numerator.intValue, let q = ridge.denominator.intValue {
            let (positive, o1) = q.multipliedReportingOverflow(by: 2 * depth + 1)
            let (negative, o2) = p.multipliedReportingOverflow(by: depth - 1)
            let (difference, o3) = positive.subtractingReportingOverflow(negative)
            if !o1 && !o2 && !o3 { return difference.signum() }
        }
        let difference = ridge.denominator * (2 * depth + 1) - ridge.numerator * (depth - 1)
        return difference.signum
    }

    /// S(u) = (L/2)(u − ln(1+u)) + g / (2 (s^L + b))  (eq. W8), the scalar action of notes/theory-overview.md (T11)
    /// with chi = −u. Both terms are >= 0; the first is evaluated with extra bits against cancellation.
    func action(_ u: Interval) -> Interval {
        precondition(u.lower.signum > 0)
        let extra = 2 * max(0, -u.lower.topBit) + 16
        let wide = u.withPrecision(u.precision + extra)
        let s = wide + 1
        let entropic = (wide - Interval.log(s)) * depth / 2
        let energetic = g(wide.precision) / ((s.power(depth) + b(wide.precision)) * 2)
        return (entropic + energetic).withPrecision(u.precision)
    }

    // MARK: log-space Double surrogates (hints only), in tau = ln u


    /// ln(1 + e^t) without overflow.
    static func softplus(_ t: Double) -> Double { t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)) }

    static func logAddExp(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + log1p(exp(-Swift.abs(a - b)))
    }

    /// h(u) = ln u + 2 ln(b + s^L) − ln g − L ln s  (eq. W5), sign of E(u).
    func logRootFunction(_ tau: Double) -> Double {
        let logSL = Double(depth) * WhitenedEquations.softplus(tau)
        return tau + 2 * WhitenedEquations.logAddExp(logB, logSL) - logG - logSL
    }

    /// dh/dtau for the log-space h above: 1 + L sigma(tau) (2 w − 1), sigma the logistic function
    /// and w = s^L / (b + s^L) (differentiating eq. W5 with u = e^tau).
    func logRootFunctionSlope(_ tau: Double) -> Double {
        let logistic = 1 / (1 + exp(-tau))
        let logSL = Double(depth) * WhitenedEquations.softplus(tau)
        let weight = logB == -.infinity ? 1 : 1 / (1 + exp(logB - logSL))
        return 1 + Double(depth) * logistic * (2 * weight - 1)
    }

    /// A Double with the sign of Q(u) (eq. W6).
    func logCriticalFunction(_ tau: Double) -> Double {
        let u = exp(tau)
        if ridge.isZero || Double(depth - 1) * u <= 1 { return 1 }
        let positive = Double(depth) * WhitenedEquations.softplus(tau) + WhitenedEquations.softplus(tau + log(Double(depth + 1)))
        let negative = logB + log(Double(depth - 1)) + tau + log1p(-1 / (Double(depth - 1) * u))
        return positive - negative
    }

    /// A Double with the sign of Q'(u) (eq. W7).
    func logCriticalSlope(_ tau: Double) -> Double {
        if ridge.isZero || depth == 1 { return 1 }
        let l = Double(depth)
        let positive = (l - 1) * WhitenedEquations.softplus(tau) + log(2 * l + 1)
            + WhitenedEquations.softplus(tau + 2 * log(l + 1) - log(2 * l + 1))
        return positive - (logB + log(l - 1))
    }
}

/// State a run of whitened solves with the same gamma and beta can share (a sweep over depth):
/// the enclosures of g and b, their logarithms and the kernel's workspaces. Mutable and not
/// thread-safe: one cache per thread of work.
public final class WhitenedSolveCache {
    var constants: WhitenedEquations.Constants?
    /// ln u of the last single root's Double hint under `constants` (another depth): where the
    /// next depth's hint search starts. A seed only; it never changes the result.
    var warmLogRoot: Double?
    /// The decimal printer of the last solve (its powers of ten and work integers), reused at the same digits.
    private var printer: DecimalPrinter?

    func printer(significantDigits digits: Int) -> DecimalPrinter {
        if let printer, printer.significantDigits == digits { return printer }
        let made = DecimalPrinter(significantDigits: digits)
        printer = made
        return made
    }

    public init() {}
}

/// Bisection on a Double function of tau between points of opposite sign (hints only).
func bisectDouble(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> Double {
    var low = a, high = b
    let lowSign = f(low) < 0
    for _ in 0..<200 {
        let mid = 0.5 * (low + high)
        if mid == low || mid == high { break }
        if (f(mid) < 0) == lowSign { low = mid } else { high = mid }
    }
    return 0.5 * (low + high)
}

/// The zero of an increasing or decreasing f between points of opposite sign, by Newton steps
/// with slope f' that fall back to bisection when they leave the bracket, to an absolute accuracy
/// of about 4e-15 max(1, |t|) in t = ln u: a hint good to about 47 bits of u (hints only).
/// `start` (inside the bracket): the first iterate instead of the bracket's middle.
func newtonBisectDouble(_ f: (Double) -> Double, slope: (Double) -> Double, _ a: Double, _ b: Double, start: Double? = nil) -> Double {
    var low = a, high = b
    let lowNegative = f(low) < 0
    var t = start ?? 0.5 * (low + high)
    for _ in 0..<200 {
        let value = f(t)
        if value == 0 { return t }
        if (value < 0) == lowNegative { low = t } else { high = t }
        let step = value / slope(t)
        // Converged: the step is below the noise (t itself may be a bracket end by then).
        if step.isFinite && Swift.abs(step) <= 4e-15 * max(1, Swift.abs(t)) { return t - step }
        var next = t - step
        if !(next > min(low, high) && next < max(low, high)) || !step.isFinite { next = 0.5 * (low + high) }
        t = next
    }
    return t
}

/// Steps from `start` in `direction` (±1) with doubling steps (the first `step`) until f's sign is `wanted`; nil if never.
func expandDouble(_ f: (Double) -> Double, from start: Double, direction: Double, until wanted: Bool, step first: Double = 1) -> Double? {
    var step = first
    var t = start
    for _ in 0..<80 {
        if (f(t) > 0) == wanted { return t }
        t += direction * step
        step *= 2
        if !t.isFinite || Swift.abs(t) > 1e7 { return nil }
    }
    return nil
}
