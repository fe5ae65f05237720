import Core
import Numerics

/// Linear stability of a fixed point under the reduced gradient flow (A19) on the balanced
/// rank-one manifold, together with the transverse directions (A22), (A23), (A26).
public struct ANTKStability: Sendable {
    public enum Verdict: String, Sendable {
        /// Every relevant Jacobian eigenvalue is negative (or, L = 1 at gamma = lambda, the flow
        /// decays cubically along the zero mode, d alpha/dt = −alpha^3).
        case stable
        /// The balanced mode grows (mu_bal > 0): the lower branch, or collapse for L = 1, gamma > lambda.
        case unstable
        /// A saddle node (double root): mu_bal = 0; attracts from above, repels below.
        case semistable
    }

    public let verdict: Verdict
    /// Enclosure of the eigenvalue that decides the verdict: mu_bal (A21) at a nontrivial root,
    /// −lambda (L >= 2, A26) or gamma − lambda (L = 1, A26; whitened |y| = 1) at collapse.
    public let decidingEigenvalue: Interval
    /// Enclosure of mu_perp = −lambda/(1 − u) (A22), multiplicity P − 1; nil at collapse.
    public let perpendicularEigenvalue: Interval?

    public var isStable: Bool { verdict == .stable }

    /// Collapse f = 0 (A26): L >= 2, Hess U(0) = lambda I, stable; L = 1, eigenvalues
    /// −lambda ± gamma |y| (|y| = 1), stable iff gamma <= lambda.
    /// The eigenvalue is an exact rational, enclosed so that it prints at `digits` digits: the
    /// difference gamma − lambda is formed exactly first (enclosing gamma and lambda separately
    /// cancels their common leading digits, e.g. gamma = 1 − 10^-21, lambda = 1).
    static func collapse(_ problem: WhitenedANTKProblem, digits: Int) throws -> ANTKStability {
        if problem.depth >= 2 {
            return ANTKStability(verdict: .stable, decidingEigenvalue: try exactEnclosure(-problem.lambda, digits: digits),
                                 perpendicularEigenvalue: nil)
        }
        let mu = try exactEnclosure(problem.gamma - problem.lambda, digits: digits)
        let verdict: Verdict = problem.gamma > problem.lambda ? .unstable : .stable
        return ANTKStability(verdict: verdict, decidingEigenvalue: mu, perpendicularEigenvalue: nil)
    }

    /// An enclosure of an exact rational that decides its `digits`-digit rounding: the point 0 for
    /// 0 (and a point for every dyadic), otherwise the directed roundings at (N1) bits, raised by
    /// the schedule (N4) (notes/numerics-intervals.md). Only a non-dyadic rational lying exactly on
    /// a decimal rounding boundary (a tie, e.g. 0.15 at one digit) stays undecided; that is reported.
    static func exactEnclosure(_ r: BigRational, digits: Int) throws -> Interval {
        if r.isZero { return Interval(0, precision: 64) }
        return try refinement {
            try CertifiedRefinement.run(initialTargetBits: CertifiedRefinement.digitBits(digits) + 64) { bits in
                let x = Interval(r, precision: bits)
                return x.certifiedDecimal(significantDigits: digits) != nil
                    ? .printable(x) : .undecided("the exact value \(r) lies on a \(digits)-digit decimal rounding boundary")
            }
        }
    }

    /// mu_bal = lambda ((L−1) − 2 L u)/(1 − u) (A21) and mu_perp = −lambda/(1 − u) (A22) at a
    /// nontrivial root with enclosure u of f.y. nil when the enclosure does not decide the sign
    /// (the caller refines); a known double root is passed with `isDoubleRoot`.
    static func nontrivial(_ problem: WhitenedANTKProblem, u: Interval, isDoubleRoot: Bool) -> ANTKStability? {
        let l = problem.depth
        let lambda = Interval(problem.lambda, precision: u.precision)
        let oneMinusU = Interval(1, precision: u.precision) - u
        guard oneMinusU.definiteSign == 1 else { return nil }
        let perpendicular = -lambda / oneMinusU
        if isDoubleRoot {
            // (A17)/(A21): at the double root u = u_c exactly, so mu_bal = 0 exactly.
            return ANTKStability(verdict: .semistable, decidingEigenvalue: Interval(0, precision: u.precision),
                                 perpendicularEigenvalue: perpendicular)
        }
        let balanced = lambda * (Interval(l - 1, precision: u.precision) - u * (2 * l)) / oneMinusU
        switch balanced.definiteSign {
        case .some(-1): return ANTKStability(verdict: .stable, decidingEigenvalue: balanced, perpendicularEigenvalue: perpendicular)
        case .some(1): return ANTKStability(verdict: .unstable, decidingEigenvalue: balanced, perpendicularEigenvalue: perpendicular)
        default: return nil
        }
    }
}
