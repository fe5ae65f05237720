import Foundation
import Core
import Numerics
import Simulation

/// The infinite-width trajectory to compute (notes/dynamics-deep-linear.md (DY13)): which solution of
/// the DMFT, or which of the approximations the DMFT paper compares against (DY17)-(DY19).
public enum DynamicsApproximation: String, Sendable, CaseIterable {
    case selfConsistent = "self-consistent"
    case staticNTK = "static-ntk"
    case gradientIndependence = "gradient-independence"
    case perturbative
}

/// Data for a trajectory: a labelled data set (inputs for finite networks, C = X X^T / D over all
/// points), and whether it is whitened single-direction data of `whitenedSize` points, which the
/// scalar reduction (DY14), (DY15) solves; its inputs are sqrt(P) e_mu in R^P (C = I) and y = e_1.
public struct DynamicsData: Sendable {
    public let dataSet: LabelledData
    /// C = X X^T / D over training then test points.
    public let kernel: [Double]
    /// Set for whitened single-direction data: the number of training points.
    public let whitenedSize: Int?

    public var inputs: [Double] { dataSet.inputs }
    public var dimension: Int { dataSet.dimension }
    public var labels: [Double] { dataSet.labels }
    public var testLabels: [Double] { dataSet.testLabels }
    public var trainCount: Int { dataSet.trainCount }
    public var testCount: Int { dataSet.testCount }
    public var pointCount: Int { dataSet.count }

    public init(_ data: LabelledData) throws {
        guard data.labels.contains(where: { $0 != 0 }) else { throw InputError("the training labels are all zero") }
        dataSet = data
        kernel = data.inputKernel
        whitenedSize = nil
    }

    public init(train: [Double], labels: [Double], test: [Double] = [], testLabels: [Double] = [], dimension: Int) throws {
        try self.init(LabelledData(name: "dynamics", train: train, labels: labels, test: test, testLabels: testLabels, dimension: dimension))
    }

    /// Whitened single-direction data: P points, C = I, y = e_1 (|y| = 1).
    public static func whitened(size: Int) -> DynamicsData { DynamicsData(whitenedSize: size) }

    private init(whitenedSize p: Int) {
        precondition(p >= 1)
        dataSet = try! LabelledData.whitened(labels: (0..<p).map { $0 == 0 ? 1 : 0 })
        var c = [Double](repeating: 0, count: p * p)
        for i in 0..<p { c[i * p + i] = 1 }
        kernel = c
        whitenedSize = p
    }
}

/// Network, flow and output grid: depth L, activation, gamma, weight decay lambda, horizon T, K output intervals.
public struct DynamicsProblem: Sendable {
    public let depth: Int
    /// identity: the deep linear DMFT (notes/dynamics-deep-linear.md); relu, tanh, erf: the two-layer
    /// DMFT by sampling (notes/dynamics-nonlinear.md); tanh, erf at L >= 2: the deep DMFT with pathwise responses (DN17)-(DN19);
    /// relu at L >= 2: the same through softplus smoothing, extrapolated in the sharpness (DN22)-(DN24).
    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    public let time: Double
    public let intervals: Int
    public let data: DynamicsData

    public init(depth: Int, gamma: Double, lambda: Double, time: Double, intervals: Int, data: DynamicsData,
                activation: Activation = .identity) throws {
        guard depth >= 1 else { throw InputError("the depth must be at least 1") }
        guard gamma > 0, gamma.isFinite else { throw InputError("gamma must be positive and finite") }
        guard lambda >= 0, lambda.isFinite else { throw InputError("the weight decay lambda must be finite and >= 0") }
        guard time > 0, time.isFinite else { throw InputError("the training time must be positive and finite") }
        guard intervals >= 1 else { throw InputError("the number of output intervals must be at least 1") }
        self.depth = depth
        self.activation = activation
        self.gamma = gamma
        self.lambda = lambda
        self.time = time
        self.intervals = intervals
        self.data = data
    }

    /// Output times t_i = i T / K, i = 0...K.
    public var times: [Double] { (0...intervals).map { Double($0) * time / Double(intervals) } }
}
