import Numerics

/// One positive root of the whitened overlap equation, with certified enclosures
/// (notes/whitened-overlaps.md). chi = −u, c_l = (1 + u)^l, c = c_L.
public struct WhitenedSaddle: Sendable {
    /// Kind of stationary point of the scalar action S along the solution family (eq. W8).
    public enum Stationarity: String, Sendable {
        /// S has a local minimum: a saddle of the full action the posterior can sit in.
        case minimum
        /// S has a local maximum: the unstable saddle between two minima.
        case maximum
    }

    public let problem: WhitenedProblem
    /// Enclosure of u = −chi (exact point [0, 0] when gamma = 0).
    public let negatedChi: Interval
    /// Enclosure of c_L.
    public let overlap: Interval
    /// Enclosure of the scalar action S at this root.
    public let action: Interval
    public let stationarity: Stationarity
    /// True for the root of smallest action (the one the posterior concentrates on, eq. W10).
    public internal(set) var isDominant: Bool
    /// c_1..c_L correctly rounded to the solution's digits, when the solve asked for them.
    public internal(set) var layerOverlapDecimals: [DecimalDigits]? = nil

    /// Enclosure of chi = −g c_L / (b + c_L)^2.
    public var chi: Interval { -negatedChi }

    /// Enclosures of c_1, ..., c_L (c_l = (1 − chi)^l, eq. W3), computed by repeated
    /// multiplication with outward rounding at the enclosure's precision.
    public func layerOverlaps() -> LayerOverlapSequence {
        LayerOverlapSequence(ratio: negatedChi + 1, depth: problem.depth)
    }
}

/// c_1, ..., c_L as a lazy sequence (L may be large).
public struct LayerOverlapSequence: Sequence, Sendable {
    let ratio: Interval
    public let depth: Int

    public struct Iterator: IteratorProtocol {
        let ratio: Interval
        let depth: Int
        var layer = 0
        var current: Interval

        public mutating func next() -> Interval? {
            guard layer < depth else { return nil }
            layer += 1
            current = current * ratio
            return current
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(ratio: ratio, depth: depth, current: Interval(1, precision: ratio.precision))
    }
}

/// Every positive root of the whitened overlap equation for one (gamma, beta, L).
public struct WhitenedSolution: Sendable {
    public let problem: WhitenedProblem
    /// Decimal digits the enclosures were refined to.
    public let digits: Int
    /// Roots in increasing order of c.
    public let roots: [WhitenedSaddle]
    /// How the roots were isolated and counted (which certificate applied), in words.
    public let isolation: String

    /// The dominant root, when the action enclosures decide it.
    public var dominant: WhitenedSaddle? { roots.first(where: \.isDominant) }
}
