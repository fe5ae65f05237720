import Core
import Numerics

/// Inputs that the theory does not define, rejected at the boundary with one clear sentence.
public enum TheoryInputError: Error, Equatable, CustomStringConvertible {
    case negativeGamma(String)
    case nonPositiveBeta(String)
    case depthOutOfRange(Int, maximum: Int)
    case digitsOutOfRange(Int, maximum: Int)
    case tooManyLayers(Int, maximum: Int)

    public var description: String {
        switch self {
        case .negativeGamma(let g): return "gamma must be >= 0 (got \(g))"
        case .nonPositiveBeta(let b): return "beta must be > 0 or inf (got \(b))"
        case .depthOutOfRange(let l, let maximum): return "depth L must be an integer in 1...\(maximum) (got \(l))"
        case .digitsOutOfRange(let d, let maximum): return "digits must be in 1...\(maximum) (got \(d))"
        case .tooManyLayers(let n, let maximum): return "at most \(maximum) layers can be listed (asked for \(n); the limit is 1000000 layers and 50000000 printed digits per root)"
        }
    }
}

extension TheoryInputError {
    /// The checks every Bayesian (aNBK) problem makes: gamma >= 0, beta > 0 or inf, 1 <= L <= maximum.
    static func validate(gamma: BigRational, beta: InverseTemperature, depth: Int, maximumDepth: Int) throws {
        guard gamma.signum >= 0 else { throw TheoryInputError.negativeGamma(gamma.description) }
        if case .finite(let value) = beta, value.signum <= 0 { throw TheoryInputError.nonPositiveBeta(value.description) }
        guard depth >= 1 && depth <= maximumDepth else { throw TheoryInputError.depthOutOfRange(depth, maximum: maximumDepth) }
    }
}

/// The exact solver could not certify an answer; it never returns an uncertified one instead.
public enum SolverError: Error, Equatable, CustomStringConvertible {
    case degenerate(String)
    case notConverged(String)

    public var description: String {
        switch self {
        case .degenerate(let what): return "degenerate input, no certified answer: \(what)"
        case .notConverged(let what): return "no convergence: \(what)"
        }
    }
}

/// Runs a certified refinement (`CertifiedRefinement.run`), reporting a spent precision budget as
/// `SolverError.notConverged` (exit status 3, with the reason).
func refinement<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let failure as CertifiedRefinement.Failure {
        throw SolverError.notConverged(failure.description)
    }
}
