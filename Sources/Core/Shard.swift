/// Shard I of N of a list of M items (a sweep's parameter points, a plan's steps): the contiguous
/// block [floor((I-1) M / N), floor(I M / N)). Blocks are disjoint, cover the list in order, and
/// differ in size by at most one; concatenating the shards' outputs in index order gives the
/// unsharded order, which is what `merge` does. Deterministic: no state, no clock, no host.
public struct Shard: Sendable, Equatable, Codable {
    /// 1-based.
    public let index: Int
    public let count: Int

    /// nil unless 1 <= index <= count.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 1, index <= count else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses "I/N" (e.g. "3/8").
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    /// The items of this shard among `total` (possibly empty when N > M).
    public func range(of total: Int) -> Range<Int> {
        let lower = (index - 1) * total / count, upper = index * total / count
        return lower..<upper
    }

    public var description: String { "\(index)/\(count)" }
}
