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

/// Data for a trajectory: inputs (for finite networks), the input kernel of all points, labels.
/// Whitened data of `whitenedSize` points with labels along one direction is solved by the scalar
/// reduction (DY14), (DY15); its inputs are sqrt(P) e_mu in R^P (C = I) and y = e_1.
public struct DynamicsData: Sendable {
    public let inputs: [Double]
    public let dimension: Int
    public let labels: [Double]
    public let testLabels: [Double]
    /// C = X X^T / D over training then test points.
    public let kernel: [Double]
    /// Set for whitened single-direction data: the number of training points.
    public let whitenedSize: Int?

    public var trainCount: Int { labels.count }
    public var testCount: Int { testLabels.count }
    public var pointCount: Int { trainCount + testCount }

    public init(train: [Double], labels: [Double], test: [Double] = [], testLabels: [Double] = [], dimension: Int) throws {
        let data = try ANTKDataSet(name: "dynamics", train: train, labels: labels, test: test, testLabels: testLabels, dimension: dimension)
        guard labels.contains(where: { $0 != 0 }) else { throw InputError("dynamics: the labels are all zero") }
        inputs = data.inputs
        self.dimension = dimension
        self.labels = labels
        self.testLabels = testLabels
        kernel = data.inputKernel
        whitenedSize = nil
    }

    /// Whitened single-direction data: P points, C = I, y = e_1 (|y| = 1).
    public static func whitened(size: Int) -> DynamicsData { DynamicsData(whitenedSize: size) }

    private init(whitenedSize p: Int) {
        precondition(p >= 1)
        var x = [Double](repeating: 0, count: p * p)
        for i in 0..<p { x[i * p + i] = Double(p).squareRoot() }
        inputs = x
        dimension = p
        labels = (0..<p).map { $0 == 0 ? 1 : 0 }
        testLabels = []
        var c = [Double](repeating: 0, count: p * p)
        for i in 0..<p { c[i * p + i] = 1 }
        kernel = c
        whitenedSize = p
    }

    var dataSet: ANTKDataSet {
        // Shapes were checked on construction.
        try! ANTKDataSet(name: "dynamics", train: Array(inputs[0..<(trainCount * dimension)]), labels: labels,
                         test: Array(inputs[(trainCount * dimension)...]), testLabels: testLabels, dimension: dimension)
    }
}

/// Network, flow and output grid: depth L, activation, gamma, weight decay lambda, horizon T, K output intervals.
public struct DynamicsProblem: Sendable {
    public let depth: Int
    /// identity: the deep linear DMFT (notes/dynamics-deep-linear.md); relu, tanh, erf: the two-layer
    /// DMFT by sampling (notes/dynamics-nonlinear.md), L = 1 only.
    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    public let time: Double
    public let intervals: Int
    public let data: DynamicsData

    public init(depth: Int, gamma: Double, lambda: Double, time: Double, intervals: Int, data: DynamicsData,
                activation: Activation = .identity) throws {
        guard depth >= 1 else { throw InputError("dynamics: --depth must be at least 1") }
        guard activation == .identity || depth == 1 else {
            throw InputError("dynamics: --activation \(activation.rawValue) is implemented for --depth 1 (the two-layer DMFT by sampling); "
                             + "the deep nonlinear DMFT (L >= 2, with response functions) is not implemented")
        }
        guard gamma > 0, gamma.isFinite else { throw InputError("dynamics: --gamma must be positive") }
        guard lambda >= 0, lambda.isFinite else { throw InputError("dynamics: --lambda must be >= 0") }
        guard time > 0, time.isFinite else { throw InputError("dynamics: --time must be positive") }
        guard intervals >= 1 else { throw InputError("dynamics: --points must be at least 1") }
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
