import Core
import Numerics

/// The posterior's inverse temperature beta (notes/theory-overview.md (T4)); beta = inf is the zero-noise limit.
/// The theory uses it through the ridge b = 1/beta (notes/whitened-overlaps.md, eq. W1).
public enum InverseTemperature: Sendable, Equatable, CustomStringConvertible {
    case finite(BigRational)
    case infinite

    /// Reads "inf" / "infinity" (any case) or an exact rational as `BigRational(parsing:)` does.
    /// Does not check positivity; `WhitenedProblem` does.
    public init(parsing text: String) throws {
        switch text.lowercased().filter({ !$0.isWhitespace }) {
        case "inf", "+inf", "infinity", "+infinity", "∞": self = .infinite
        default: self = .finite(try BigRational(parsing: text))
        }
    }

    /// b = 1/beta, and 0 for beta = inf.
    public var ridge: BigRational {
        switch self {
        case .infinite: return .zero
        case .finite(let beta): return beta.reciprocal
        }
    }

    public var description: String {
        switch self {
        case .infinite: return "inf"
        case .finite(let beta): return beta.description
        }
    }
}
