import Core
import Numerics

/// The critical feature strength of the whitened deep linear aNTK (notes/antk-deep-linear.md (A17)):
/// L = 1, the collapse threshold gamma_c = lambda (A10, |y| = 1); L >= 2, the saddle node where the
/// lower and upper branches are born, gamma_c^{2L} = lambda^{L+1} (2L)^{2L}/((L−1)^{L−1} (L+1)^{L+1}).
public struct ANTKCriticalPoint: Sendable {
    public let depth: Int
    public let lambda: BigRational
    /// gamma_c^{2L}, exact (A17); nil when it has more than `ANTKPolynomials.exactPowerBudget` bits
    /// (then gamma_c is enclosed through certified logarithms).
    public let gammaPower: BigRational?
    /// u_c = f.y at the saddle node = (L−1)/(2L) (A17); 0 for L = 1.
    public let criticalOverlap: BigRational
    /// Enclosure of gamma_c = (gamma_c^{2L})^{1/(2L)}.
    public let gamma: Interval
    /// Enclosure of gamma_c / lambda.
    public let ratio: Interval
}

public struct ANTKPhase: Sendable {
    public var finder = CertifiedRootFinder()

    public init() {}

    /// gamma_c for one depth with enclosures that decide `digits` significant digits.
    public func critical(lambda: BigRational, depth: Int, digits: Int = WhitenedANTKSolver.defaultDigits) throws -> ANTKCriticalPoint {
        _ = try WhitenedANTKProblem(gamma: .zero, lambda: lambda, depth: depth)   // validates lambda, depth
        guard digits >= 1 && digits <= WhitenedANTKSolver.maximumDigits else {
            throw ANTKInputError.digitsOutOfRange(digits, maximum: WhitenedANTKSolver.maximumDigits)
        }
        let depthBits = CertifiedRefinement.depthBits(depth)
        if depth == 1 {
            // (A10): gamma_c = lambda exactly, gamma_c / lambda = 1.
            return ANTKCriticalPoint(depth: depth, lambda: lambda, gammaPower: lambda * lambda, criticalOverlap: .zero,
                                     gamma: try ANTKStability.exactEnclosure(lambda, digits: digits),
                                     ratio: Interval(1, precision: 64))
        }
        guard ANTKPolynomials.exactPowerBits(lambda: lambda, depth: depth) <= ANTKPolynomials.exactPowerBudget else {
            return try logarithmic(lambda: lambda, depth: depth, digits: digits)
        }
        let power = ANTKPolynomials.criticalGammaPower(lambda: lambda, depth: depth)   // (A17)
        let n = 2 * depth
        // gamma_c is the positive root of x^{2L} − gamma_c^{2L}, in (0, max(1, ceil gamma_c^{2L})).
        let f = IntervalFunction(value: { $0.power(n) - Interval(power, precision: $0.precision) },
                                 derivative: { $0.power(n - 1) * n })
        let upper = WhitenedANTKSolver.upperLimit(power)
        var bracket = SignBracket(lower: .zero, upper: upper, signAtLower: -1)
        let hint = Dyadic(exponentialOf: power.naturalLogMagnitude / Double(n))
        var local = finder
        local.guardBits = CertifiedRefinement.rootGuardBits(depthBits: depthBits)
        // Target: the digits' bits plus depthBits + 8 (notes/numerics-intervals.md (N1), (N2)).
        return try refinement {
            try CertifiedRefinement.run(initialTargetBits: CertifiedRefinement.digitBits(digits) + depthBits + 8) { targetBits in
                do { bracket = try local.refine(f, bracket: bracket, start: hint, targetBits: targetBits) } catch let error as RootFindingError {
                    throw SolverError.notConverged(error.description)
                }
                let gamma = bracket.interval(precision: targetBits + 64)
                let ratio = gamma / Interval(lambda, precision: targetBits + 64)
                guard gamma.certifiedDecimal(significantDigits: digits) != nil && ratio.certifiedDecimal(significantDigits: digits) != nil else {
                    return .undecided("the gamma_c enclosure did not decide \(digits) digits")
                }
                return .printable(ANTKCriticalPoint(depth: depth, lambda: lambda, gammaPower: power,
                                                    criticalOverlap: BigRational(depth - 1, 2 * depth), gamma: gamma, ratio: ratio))
            }
        }
    }

    /// gamma_c = exp(ln(gamma_c^{2L}) / (2L)) with
    /// ln gamma_c^{2L} = (L+1) ln lambda + 2L ln(2L) − (L−1) ln(L−1) − (L+1) ln(L+1)   (A17),
    /// in certified interval logarithms and exponential, for gamma_c^{2L} too large to form
    /// (depth up to 10^9, lambda from 1e-300 to 1e300). Precision from (N1) plus the log2 of the
    /// terms' size (the absolute error of a sum of terms of size ~2L |ln lambda| becomes a relative
    /// error of gamma_c after division by 2L), raised by the schedule (N4).
    func logarithmic(lambda: BigRational, depth l: Int, digits: Int) throws -> ANTKCriticalPoint {
        let termBits = CertifiedRefinement.depthBits(l) + 12 + max(0, Int(abs(lambda.naturalLogMagnitude)).bitWidthOfMagnitude)
        return try refinement {
            try CertifiedRefinement.run(initialTargetBits: CertifiedRefinement.digitBits(digits) + termBits + 8) { bits in
                func ln(_ k: Int) -> Interval { Interval.log(Interval(k, precision: bits)) }
                let lnLambda = Interval.log(Interval(lambda, precision: bits))
                let lnPower = lnLambda * (l + 1) + ln(2 * l) * (2 * l) - ln(l - 1) * (l - 1) - ln(l + 1) * (l + 1)
                let gamma = Interval.exp(lnPower / Interval(2 * l, precision: bits))
                let ratio = gamma / Interval(lambda, precision: bits)
                guard gamma.certifiedDecimal(significantDigits: digits) != nil && ratio.certifiedDecimal(significantDigits: digits) != nil else {
                    return .undecided("the gamma_c enclosure did not decide \(digits) digits")
                }
                return .printable(ANTKCriticalPoint(depth: l, lambda: lambda, gammaPower: nil,
                                                    criticalOverlap: BigRational(l - 1, 2 * l), gamma: gamma, ratio: ratio))
            }
        }
    }
}

private extension Int {
    /// Bits of a nonnegative integer (0 for 0).
    var bitWidthOfMagnitude: Int { Int.bitWidth - leadingZeroBitCount }
}
