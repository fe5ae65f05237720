import Core
/// A Bayesian (aNBK) problem: input kernel over training then test points, labels on the training
/// points, feature strength gamma, ridge b = 1/beta, depth L and activation phi (notes/verify-bayes.md section 1).
public struct BayesProblem: Sendable {
    /// Input kernel C over all P + Q points (training first), row-major.
    public let inputKernel: [Double]
    public let trainCount: Int
    public let labels: [Double]
    public let gamma: Double
    public let ridge: Double
    public let depth: Int
    public let activation: Activation
    /// The Bayesian two-layer CNN (notes/cnn-bayes.md (CB5)): the site is a filter seen through its
    /// patches, the feature the pooled activation; `inputKernel` is then C_pool (CB1a). nil: the MLP.
    public let site: PooledSite?

    public var pointCount: Int { inputKernel.count.squareRootInt }
    public var testCount: Int { pointCount - trainCount }

    public init(inputKernel: [Double], trainCount: Int, labels: [Double], gamma: Double, ridge: Double,
                depth: Int, activation: Activation, site: PooledSite? = nil) throws {
        let n = inputKernel.count.squareRootInt
        guard n * n == inputKernel.count, n >= trainCount, trainCount >= 1 else {
            throw InputError("input kernel must be square over at least the training points")
        }
        guard labels.count == trainCount else { throw InputError("need one label per training point") }
        guard gamma >= 0, gamma.isFinite else { throw InputError("gamma must be finite and >= 0") }
        guard ridge > 0, ridge.isFinite else { throw InputError("b = 1/beta must be finite and > 0") }
        guard depth >= 1 else { throw InputError("depth must be >= 1") }
        if let site {
            guard depth == 1 else { throw InputError("the Bayesian CNN is a two-layer network (depth 1)") }
            guard site.points == n else { throw InputError("the patch matrix must cover the kernel's \(n) points (got \(site.points))") }
        }
        self.site = site
        self.inputKernel = inputKernel
        self.trainCount = trainCount
        self.labels = labels
        self.gamma = gamma
        self.ridge = ridge
        self.depth = depth
        self.activation = activation
    }

    /// Whitened training data (C = I on P points, y = e_1): the setting of notes/whitened-overlaps.md.
    public static func whitened(points: Int, gamma: Double, ridge: Double, depth: Int,
                                activation: Activation = .identity) throws -> BayesProblem {
        var y = [Double](repeating: 0, count: points)
        y[0] = 1
        return try BayesProblem(inputKernel: SmallMatrix.identity(points), trainCount: points, labels: y,
                                gamma: gamma, ridge: ridge, depth: depth, activation: activation)
    }

    /// The Bayesian two-layer CNN on the points of `site` (notes/cnn-bayes.md (CB5)): input kernel
    /// C_pool (CB1a), labels as given.
    public static func convolutional(site: PooledSite, trainCount: Int, labels: [Double], gamma: Double, ridge: Double,
                                     activation: Activation) throws -> BayesProblem {
        try BayesProblem(inputKernel: site.pooledKernel, trainCount: trainCount, labels: labels, gamma: gamma, ridge: ridge,
                         depth: 1, activation: activation, site: site)
    }

    /// A problem on raw data scaled to the theory's conventions: C divided by the mean of its training
    /// diagonal (unit input variance) and |y| = 1.
    public static func normalized(inputKernel: [Double], trainCount: Int, labels: [Double], gamma: Double, ridge: Double,
                                  depth: Int, activation: Activation) throws -> BayesProblem {
        let n = inputKernel.count.squareRootInt
        let scale = (0..<trainCount).reduce(0.0) { $0 + inputKernel[$1 * n + $1] } / Double(trainCount)
        let norm = labels.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard scale > 0, norm > 0 else { throw InputError("data with zero inputs or zero labels") }
        return try BayesProblem(inputKernel: inputKernel.map { $0 / scale }, trainCount: trainCount, labels: labels.map { $0 / norm },
                                gamma: gamma, ridge: ridge, depth: depth, activation: activation)
    }

    /// y^T A y / y^T y for a kernel over all points (its training block is used).
    public func overlap(_ kernel: [Double]) -> Double {
        let n = pointCount
        var s = 0.0
        for i in 0..<trainCount { for j in 0..<trainCount { s += labels[i] * kernel[i * n + j] * labels[j] } }
        return s / labels.reduce(0) { $0 + $1 * $1 }
    }

    /// Kernel-regression predictions on the test points, f = K_{*X} (K_XX + b I)^{-1} y (notes/verify-bayes.md section 1).
    public func predictions(_ kernel: [Double]) -> [Double]? {
        let n = pointCount, p = trainCount
        guard testCount > 0 else { return [] }
        var k = SmallMatrix.leadingBlock(kernel, n, p)
        for i in 0..<p { k[i * p + i] += ridge }
        guard let alpha = LinearAlgebra.solveSPD(k, labels, n: p) else { return nil }
        return (p..<n).map { q in (0..<p).reduce(0.0) { $0 + kernel[q * n + $1] * alpha[$1] } }
    }
}

extension Int {
    var squareRootInt: Int { Int(Double(self).squareRoot().rounded()) }
}

import Numerics
