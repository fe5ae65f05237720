import Core
import Simulation
import Theory
import Numerics

/// An independent check of the whitened overlap solver that shares none of its reasoning: the
/// dense integer-coefficient polynomial of notes/whitened-overlaps.md (W2), its positive roots counted by Sturm's
/// theorem, and exact rational sign evaluation at the solver's enclosure endpoints
/// (notes/whitened-overlaps.md, "Independent check"). Practical for small depths (degree 2L+1).
public struct WhitenedPolynomialCheck: Sendable {
    public let problem: WhitenedProblem
    /// P(c) = c (b+c)^(2L) − ((b+c)^2 + g c)^L (eq. W2).
    public let polynomial: RationalPolynomial

    public init(_ problem: WhitenedProblem) {
        self.problem = problem
        let b = RationalPolynomial(constant: problem.ridge)
        let c = RationalPolynomial.x
        let bPlusC = b + c
        polynomial = c * bPlusC.power(2 * problem.depth)
            - (bPlusC * bPlusC + problem.gammaSquared * c).power(problem.depth)
    }

    /// Number of distinct positive real roots, by Sturm's theorem on P with its roots at 0 removed.
    public var positiveRootCount: Int {
        polynomial.removingRootsAtZero.distinctRootCount(above: .zero)
    }

    /// True when P takes opposite signs (or 0) at the enclosure's endpoints, evaluated exactly.
    public func bracketsSignChange(_ enclosure: Interval) -> Bool {
        let low = polynomial.evaluate(at: enclosure.lower.rational).signum
        let high = polynomial.evaluate(at: enclosure.upper.rational).signum
        return low * high <= 0
    }
}
