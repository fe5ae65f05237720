import Core
import Numerics

/// Whitened deep linear network in the Bayesian (aNBK) limit: C = I, |y| = 1 (notes/theory-overview.md (T10)).
/// The overlaps depend on gamma only through gamma^2 and on beta through the ridge b = 1/beta.
public struct WhitenedProblem: Sendable, Equatable {
    public let gamma: BigRational
    public let beta: InverseTemperature
    public let depth: Int

    public static let maximumDepth = 1_000_000_000

    public init(gamma: BigRational, beta: InverseTemperature, depth: Int) throws {
        try TheoryInputError.validate(gamma: gamma, beta: beta, depth: depth, maximumDepth: WhitenedProblem.maximumDepth)
        self.gamma = gamma
        self.beta = beta
        self.depth = depth
    }

    /// g = gamma^2.
    public var gammaSquared: BigRational { gamma * gamma }
    /// b = 1/beta (0 when beta = inf).
    public var ridge: BigRational { beta.ridge }
}
