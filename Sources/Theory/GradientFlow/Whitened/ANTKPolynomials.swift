import Core
import Numerics

/// The integer-coefficient polynomial forms of the whitened fixed-point equation
/// (notes/antk-deep-linear.md (A14), (A14a), (A15)) and the exact saddle-node condition (A17).
/// Used by the solver for exact decisions and by the tests to check enclosures by exact
/// rational evaluation.
public enum ANTKPolynomials {
    /// gamma = p/q, lambda = r/t in lowest terms (A15).
    static func parts(_ problem: WhitenedANTKProblem) -> (p: BigRational, q: BigRational, r: BigRational, t: BigRational) {
        (BigRational(problem.gamma.numerator), BigRational(problem.gamma.denominator),
         BigRational(problem.lambda.numerator), BigRational(problem.lambda.denominator))
    }

    /// (A14a) x (A15): q t alpha^{2L} − p t alpha^{L−1} + q r, in the layer amplitude
    /// alpha = sqrt(E) = |W^l|_F / sqrt(N). Its positive roots are the nontrivial fixed points.
    public static func trinomial(_ problem: WhitenedANTKProblem) -> RationalPolynomial {
        let (p, q, r, t) = parts(problem)
        let l = problem.depth
        var coefficients = [BigRational](repeating: .zero, count: 2 * l + 1)
        coefficients[0] = q * r
        coefficients[l - 1] = coefficients[l - 1] - p * t
        coefficients[2 * l] = coefficients[2 * l] + q * t
        return RationalPolynomial(coefficients)
    }

    /// (A14) x (A15): p^{2L} t^{L+1} u^{L−1} (1−u)^{L+1} − r^{L+1} q^{2L}, in u = f.y. Its roots
    /// in (0, 1) are the nontrivial fixed points (for odd L it also has spurious real roots outside).
    public static func uPolynomial(_ problem: WhitenedANTKProblem) -> RationalPolynomial {
        let (p, q, r, t) = parts(problem)
        let l = problem.depth
        let oneMinusU = RationalPolynomial([.one, -.one])
        let head = (p.power(2 * l) * t.power(l + 1)) * (RationalPolynomial.x.power(l - 1) * oneMinusU.power(l + 1))
        return head - RationalPolynomial(constant: r.power(l + 1) * q.power(2 * l))
    }

    /// (A17): gamma_c^{2L} / lambda^{L+1} = (2L)^{2L} / ((L−1)^{L−1} (L+1)^{L+1}), with 0^0 = 1.
    public static func criticalKappaInverse(depth l: Int) -> BigRational {
        BigRational(BigInt.power(base: 2 * l, exponent: 2 * l),
                    BigInt.power(base: l - 1, exponent: l - 1) * BigInt.power(base: l + 1, exponent: l + 1))
    }

    /// (A17): gamma_c^{2L} = lambda^{L+1} (2L)^{2L} / ((L−1)^{L−1} (L+1)^{L+1}), exact.
    public static func criticalGammaPower(lambda: BigRational, depth l: Int) -> BigRational {
        lambda.power(l + 1) * criticalKappaInverse(depth: l)
    }

    /// How many nontrivial fixed points exist (A18), decided exactly:
    /// L = 1: one iff gamma > lambda; L >= 2: compare gamma^{2L} with gamma_c^{2L} (A17)
    /// (two above, one double root at, none below). The comparison is made first on certified
    /// logarithms, D = 2L ln gamma − ln gamma_c^{2L} (`logMargin`), at 128, 512 and 2048 bits; only
    /// when |D| stays below their resolution (gamma within about 2^-2000 of gamma_c, or equal) are
    /// the rationals formed, if their size is within `exactPowerBudget`; beyond it the input is
    /// reported as undecidable within the budget (SolverError.degenerate, exit status 3).
    public static func branchCount(_ problem: WhitenedANTKProblem) throws -> BranchCount {
        let l = problem.depth
        if l == 1 { return problem.gamma > problem.lambda ? .one : .none }
        if problem.gamma.isZero { return .none }
        for precision in [128, 512, 2048] {
            if let sign = logMargin(problem, precision: precision).definiteSign, sign != 0 { return sign > 0 ? .two : .none }
        }
        let bits = exactPowerBits(problem.gamma, exponent: 2 * l) + exactPowerBits(lambda: problem.lambda, depth: l)
        guard bits <= exactPowerBudget else {
            throw SolverError.degenerate("gamma agrees with gamma_c to about 2^-2000 (relative); deciding gamma^{2L} against gamma_c^{2L} exactly needs about \(bits) bits, beyond the budget of \(exactPowerBudget)")
        }
        let difference = problem.gamma.power(2 * l) - criticalGammaPower(lambda: problem.lambda, depth: l)
        switch difference.signum {
        case 1: return .two
        case 0: return .doubleRoot
        default: return .none
        }
    }

    /// Enclosure of D = 2L ln gamma − ln gamma_c^{2L}
    /// = 2L ln gamma − (L+1) ln lambda − 2L ln(2L) + (L−1) ln(L−1) + (L+1) ln(L+1)   (A17), L >= 2, gamma > 0.
    static func logMargin(_ problem: WhitenedANTKProblem, precision p: Int) -> Interval {
        let l = problem.depth
        let bits = p + 2 * (Int.bitWidth - l.leadingZeroBitCount) + 8
        func ln(_ k: Int) -> Interval { Interval.log(Interval(k, precision: bits)) }
        let lnGamma = Interval.log(Interval(problem.gamma, precision: bits))
        let lnLambda = Interval.log(Interval(problem.lambda, precision: bits))
        return lnGamma * (2 * l) - lnLambda * (l + 1) - ln(2 * l) * (2 * l) + ln(l - 1) * (l - 1) + ln(l + 1) * (l + 1)
    }

    /// Rationals up to this many bits (numerator plus denominator) are formed exactly (about 1.3
    /// million decimal digits; GMP forms and compares them in well under a second).
    public static let exactPowerBudget = 1 << 22

    /// Bits of x^exponent (numerator plus denominator).
    static func exactPowerBits(_ x: BigRational, exponent: Int) -> Int {
        exponent * (x.numerator.bitWidth + x.denominator.bitWidth)
    }

    /// Bits of gamma_c^{2L} = lambda^{L+1} (2L)^{2L} / ((L−1)^{L−1} (L+1)^{L+1}).
    static func exactPowerBits(lambda: BigRational, depth l: Int) -> Int {
        let depthBits = Int.bitWidth - (2 * l).leadingZeroBitCount
        return exactPowerBits(lambda, exponent: l + 1) + 4 * l * depthBits
    }

    public enum BranchCount: Sendable, Equatable {
        case none, one, doubleRoot, two
    }
}
