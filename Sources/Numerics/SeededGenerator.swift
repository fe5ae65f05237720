/// SplitMix64: a small, fast, seeded generator for reproducible property tests and sampling.
/// Value type: copying it forks the stream, so no generator state is ever shared implicitly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random rational p/q with 1 <= q <= maxDenominator and low <= p/q <= high.
    public mutating func rational(in range: ClosedRange<Int>, maxDenominator: Int) -> BigRational {
        let q = Int.random(in: 1...maxDenominator, using: &self)
        let p = Int.random(in: (range.lowerBound * q)...(range.upperBound * q), using: &self)
        return BigRational(p, q)
    }
}
