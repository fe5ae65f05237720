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
    /// (two above, one double root at, none below).
    public static func branchCount(_ problem: WhitenedANTKProblem) -> BranchCount {
        let l = problem.depth
        if l == 1 { return problem.gamma > problem.lambda ? .one : .none }
        let difference = problem.gamma.power(2 * l) - criticalGammaPower(lambda: problem.lambda, depth: l)
        switch difference.signum {
        case 1: return .two
        case 0: return .doubleRoot
        default: return .none
        }
    }

    public enum BranchCount: Sendable, Equatable {
        case none, one, doubleRoot, two
    }
}
