import Core
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
    /// c_L, chi and S correctly rounded to the solution's digits (set by the solver).
    public internal(set) var overlapDecimal: DecimalDigits? = nil
    public internal(set) var chiDecimal: DecimalDigits? = nil
    public internal(set) var actionDecimal: DecimalDigits? = nil
    /// c_l correctly rounded to the solution's digits for the layers `WhitenedSolution.listedLayers`
    /// (empty unless the solve asked for layers).
    public internal(set) var layerOverlapDecimals: [DecimalDigits] = []

    /// Enclosure of chi = −g c_L / (b + c_L)^2.
    public var chi: Interval { -negatedChi }

    /// Enclosure of one layer's overlap c_l = (1 + u)^l (eq. W3), 1 <= l <= L.
    public func layerOverlap(_ layer: Int) -> Interval {
        precondition(layer >= 1 && layer <= problem.depth)
        return (negatedChi + 1).power(layer)
    }

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

    /// The layers whose overlaps were printed (ascending), aligned with `layerOverlapDecimals`.
    public let listedLayers: [Int]

    /// The dominant root, when the action enclosures decide it.
    public var dominant: WhitenedSaddle? { roots.first(where: \.isDominant) }
}

/// Which per-layer overlaps a solve prints certified.
public enum LayerSelection: Sendable, Equatable {
    case none
    case all
    /// Distinct layers in 1...L.
    case layers([Int])

    /// Listing every layer is limited to this depth (memory: one decimal string per layer).
    public static let maximumListedLayers = 1_000_000

    /// Printed digits of all listed layers together (per root) are limited to this (about 50 MB).
    public static let maximumListedDigits = 50_000_000

    /// How many layers may be listed at `digits` significant digits.
    public static func maximumListed(digits: Int) -> Int {
        min(maximumListedLayers, maximumListedDigits / max(1, digits))
    }

    /// How many layers `resolved(depth:)` lists, without listing them (at most the list's length).
    public func count(depth: Int) -> Int {
        switch self {
        case .none: return 0
        case .all: return max(0, depth)
        case .layers(let list): return list.count
        }
    }

    /// The ascending list of layers for depth L.
    public func resolved(depth: Int) -> [Int] {
        switch self {
        case .none: return []
        case .all: return Array(1...depth)
        case .layers(let list): return Array(Set(list.filter { $0 >= 1 && $0 <= depth })).sorted()
        }
    }

    /// All layers up to 100000 (and within `maximumListed(digits:)`); beyond, the powers of two and L itself.
    public static func automatic(depth: Int, digits: Int = 30) -> LayerSelection {
        if depth <= min(100_000, maximumListed(digits: digits)) { return .all }
        var list: [Int] = []
        var l = 1
        while l < depth { list.append(l); l *= 2 }
        list.append(depth)
        return .layers(list)
    }
}
