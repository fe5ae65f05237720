import Core
import Numerics

/// Inputs the deep linear aNTK theory does not define (notes/antk-deep-linear.md, section 1),
/// rejected at the boundary with one sentence each.
public enum ANTKInputError: Error, Equatable, CustomStringConvertible {
    case negativeGamma(String)
    case nonPositiveLambda(String)
    case depthOutOfRange(Int, maximum: Int)
    case digitsOutOfRange(Int, maximum: Int)
    case invalidData(String)

    public var description: String {
        switch self {
        case .negativeGamma(let g): return "gamma must be >= 0 (got \(g))"
        case .nonPositiveLambda(let l): return "lambda (weight decay) must be > 0 (got \(l))"
        case .depthOutOfRange(let l, let maximum): return "depth L must be an integer in 1...\(maximum) (got \(l))"
        case .digitsOutOfRange(let d, let maximum): return "digits must be in 1...\(maximum) (got \(d))"
        case .invalidData(let what): return "invalid data: \(what)"
        }
    }
}

/// Gradient flow with weight decay of a deep linear network on whitened data (C = I, |y| = 1),
/// notes/theory-overview.md (T18) / notes/antk-deep-linear.md (A14). gamma >= 0 is the feature strength, lambda > 0
/// the weight decay, L >= 1 the number of hidden layers (L + 1 weight matrices).
public struct WhitenedANTKProblem: Sendable, Equatable {
    public let gamma: BigRational
    public let lambda: BigRational
    public let depth: Int

    /// The whitened solver works with interval powers alpha^{2L} (binary powering) and decides the
    /// branch count on certified logarithms (A17), so depth is limited only as the overlap solver's.
    public static let maximumDepth = 1_000_000_000

    public init(gamma: BigRational, lambda: BigRational, depth: Int) throws {
        guard gamma.signum >= 0 else { throw ANTKInputError.negativeGamma(gamma.description) }
        guard lambda.signum > 0 else { throw ANTKInputError.nonPositiveLambda(lambda.description) }
        guard depth >= 1 && depth <= WhitenedANTKProblem.maximumDepth else {
            throw ANTKInputError.depthOutOfRange(depth, maximum: WhitenedANTKProblem.maximumDepth)
        }
        self.gamma = gamma
        self.lambda = lambda
        self.depth = depth
    }

    /// kappa = lambda^{L+1} / gamma^{2L} (A14): for L >= 2 the fixed points depend on gamma and
    /// lambda only through it. nil for gamma = 0.
    public var kappa: BigRational? {
        gamma.isZero ? nil : lambda.power(depth + 1) / gamma.power(2 * depth)
    }
}
