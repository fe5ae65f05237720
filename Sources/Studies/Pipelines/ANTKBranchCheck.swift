import Foundation

/// Whether independent populations ended on one fixed point or on several (notes/antk-nonlinear-data.md (AN18)).
/// The distance between populations k and l is that of their training predictions relative to the labels,
///
///     d_kl = |f_k - f_l|_2 / |y|_2,
///
/// whose one-branch size is the Monte Carlo scatter of a population of M sites, O(M^{-1/2}) (AN4), while two
/// distinct fixed points of the deep ReLU relaxation differ by O(1) (the collapse f = 0 against a fit). Populations
/// are joined into one branch when a chain of pairs with d_kl <= `threshold` links them (single linkage): a run is
/// split when some population is farther than the threshold from every population of another group; a branch is a
/// collapse when its populations have |f|_2 <= `collapseLevel` |y|_2.
public struct ANTKBranchCheck: Sendable, Codable, Equatable {
    /// The separation threshold and the collapse level of (AN18).
    public static let defaultThreshold = 0.1
    public static let collapseLevel = 1e-3

    public struct Branch: Sendable, Codable, Equatable {
        /// "collapse" (f = 0) or "nontrivial".
        public let kind: String
        /// 1-based population indices on this branch.
        public let populations: [Int]
        /// Mean train loss (T25) of its populations.
        public let trainLoss: Double
    }

    /// Branches ordered by their first population.
    public let branches: [Branch]
    /// The largest d_kl between two populations of one branch (0 with one population per branch): the scatter
    /// the threshold must exceed.
    public let largestWithin: Double
    /// The smallest d_kl between populations of different branches (nil with one branch).
    public let smallestBetween: Double?
    public let threshold: Double

    public var mixed: Bool { branches.count > 1 }

    /// `predictions[k]`: the predictions on the P training points of the population numbered `populations[k]`
    /// (default k + 1); `labels`: y on them. Only populations at a fixed point (stationary or settled) belong here:
    /// an end state that is still moving is on no branch (AN18)(ii). With none, there is no branch.
    public init(predictions: [[Double]], populations: [Int]? = nil, labels: [Double], threshold: Double = ANTKBranchCheck.defaultThreshold) {
        precondition(predictions.allSatisfy { $0.count == labels.count } && threshold > 0)
        precondition(populations == nil || populations?.count == predictions.count)
        let k = predictions.count, number = populations ?? Array(1...max(k, 1))
        // |y| = 0 (all labels zero) leaves no scale: distances are then absolute.
        let size = labels.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), scale = size > 0 ? size : 1
        func norm(_ a: [Double]) -> Double { a.reduce(0.0) { $0 + $1 * $1 }.squareRoot() / scale }
        var distance = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k { for b in 0..<k where b > a {
            let d = norm(zip(predictions[a], predictions[b]).map { $0 - $1 })
            distance[a][b] = d; distance[b][a] = d
        } }
        // Single linkage: label every population by the smallest index it is chained to.
        var label = Array(0..<k)
        var changed = true
        while changed {
            changed = false
            for a in 0..<k { for b in 0..<k where a != b && distance[a][b] <= threshold && label[b] < label[a] {
                label[a] = label[b]; changed = true
            } }
        }
        let roots = Array(Set(label)).sorted()
        branches = roots.map { root in
            let members = (0..<k).filter { label[$0] == root }
            let collapse = members.allSatisfy { norm(predictions[$0]) <= ANTKBranchCheck.collapseLevel }
            let loss = members.reduce(0.0) { $0 + TrainStudy.loss(predictions[$1][...], labels) } / Double(members.count)
            return Branch(kind: collapse ? "collapse" : "nontrivial", populations: members.map { number[$0] }, trainLoss: loss)
        }
        var within = 0.0, between = Double.infinity
        for a in 0..<k { for b in 0..<k where a < b {
            if label[a] == label[b] { within = max(within, distance[a][b]) } else { between = min(between, distance[a][b]) }
        } }
        largestWithin = within
        smallestBetween = between.isFinite ? between : nil
        self.threshold = threshold
    }

    /// One line naming the branches, e.g. "2 branches: collapse (f = 0) populations 2, 3 (train loss 1);
    /// nontrivial populations 1, 4 (train loss 0.0405)".
    public var summary: String {
        "\(branches.count) branches: " + branches.map { b in
            (b.kind == "collapse" ? "collapse (f = 0)" : "nontrivial") + " populations " + b.populations.map(String.init).joined(separator: ", ")
                + String(format: " (train loss %.4g)", b.trainLoss)
        }.joined(separator: "; ")
    }
}
