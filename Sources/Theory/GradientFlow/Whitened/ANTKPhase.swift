import Core
import Numerics

/// The critical feature strength of the whitened deep linear aNTK (notes/antk-deep-linear.md (A17)):
/// L = 1, the collapse threshold gamma_c = lambda (A10, |y| = 1); L >= 2, the saddle node where the
/// lower and upper branches are born, gamma_c^{2L} = lambda^{L+1} (2L)^{2L}/((L−1)^{L−1} (L+1)^{L+1}).
public struct ANTKCriticalPoint: Sendable {
    public let depth: Int
    public let lambda: BigRational
    /// gamma_c^{2L}, exact (A17).
    public let gammaPower: BigRational
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
        let power = ANTKPolynomials.criticalGammaPower(lambda: lambda, depth: depth)   // (A17)
        let n = 2 * depth
        // gamma_c is the positive root of x^{2L} − gamma_c^{2L}, in (0, max(1, ceil gamma_c^{2L})).
        let f = IntervalFunction(value: { $0.power(n) - Interval(power, precision: $0.precision) },
                                 derivative: { $0.power(n - 1) * n })
        let upper = WhitenedANTKSolver.upperLimit(power)
        let depthBits = CertifiedRefinement.depthBits(depth)
        if depth == 1 {
            // (A10): gamma_c = lambda exactly, gamma_c / lambda = 1.
            return ANTKCriticalPoint(depth: depth, lambda: lambda, gammaPower: power, criticalOverlap: .zero,
                                     gamma: try ANTKStability.exactEnclosure(lambda, digits: digits),
                                     ratio: Interval(1, precision: 64))
        }
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
}
