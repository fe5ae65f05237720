import Foundation
import Core
import Numerics

/// Bad input to the gradient-flow verifier, one sentence each (the CLI maps it to exit status 2).
public struct ANTKVerifyInputError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Training inputs X (P x D), labels y (P), test inputs (Q x D) and test labels (Q), row-major.
/// Fields and kernels are indexed over all n = P + Q points, training points first.
public struct ANTKDataSet: Sendable {
    public let name: String
    public let trainCount: Int
    public let testCount: Int
    public let dimension: Int
    /// All inputs, training rows first: n x D.
    public let inputs: [Double]
    public let labels: [Double]
    public let testLabels: [Double]

    public init(name: String, train: [Double], labels: [Double], test: [Double], testLabels: [Double], dimension: Int) throws {
        guard dimension > 0, !labels.isEmpty, train.count == labels.count * dimension,
              test.count == testLabels.count * dimension else {
            throw ANTKVerifyInputError("data set '\(name)': shapes do not match (\(labels.count) labels, \(testLabels.count) test labels, D = \(dimension))")
        }
        guard (train + test + labels + testLabels).allSatisfy(\.isFinite) else {
            throw ANTKVerifyInputError("data set '\(name)': non-finite entry")
        }
        self.name = name
        trainCount = labels.count
        testCount = testLabels.count
        self.dimension = dimension
        inputs = train + test
        self.labels = labels
        self.testLabels = testLabels
    }

    public var count: Int { trainCount + testCount }

    /// C = X X^T / D over all n points (n x n); its training block is the input kernel C of notes/theory-overview.md (T1).
    public var inputKernel: [Double] {
        var c = [Double](repeating: 0, count: count * count)
        LinearAlgebra.flowProduct(inputs, transposeA: false, inputs, transposeB: true, m: count, k: dimension, n: count,
                                  alpha: 1 / Double(dimension), into: &c)
        return c
    }

    /// Whitened data (C = I, notes/antk-deep-linear.md (A14)): D = P, X = sqrt(P) I, the given unit label
    /// vector; no test points.
    public static func whitened(labels: [Double]) throws -> ANTKDataSet {
        let p = labels.count
        let norm = labels.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard abs(norm - 1) < 1e-12 else { throw ANTKVerifyInputError("whitened labels must have |y| = 1 (got \(norm))") }
        var x = [Double](repeating: 0, count: p * p)
        for i in 0..<p { x[i * p + i] = Double(p).squareRoot() }
        return try ANTKDataSet(name: "whitened P = \(p)", train: x, labels: labels, test: [], testLabels: [], dimension: p)
    }

    /// One point, C = 1, y = 1 (notes/theory-overview.md (T20)).
    public static var singlePoint: ANTKDataSet {
        try! ANTKDataSet(name: "single point C = 1, y = 1", train: [1], labels: [1], test: [], testLabels: [], dimension: 1)
    }

    /// Synthetic Gaussian inputs with labels of a fixed linear-plus-ReLU teacher, scaled so that
    /// |y|^2 = P/4 on the training set; deterministic for the seed.
    public static func synthetic(train p: Int, test q: Int, dimension d: Int, seed: UInt64) throws -> ANTKDataSet {
        var gauss = ANTKGaussian(seed: seed)
        let teacher = gauss.vector(d), second = gauss.vector(d)
        let x = gauss.vector((p + q) * d)
        func label(_ row: Int) -> Double {
            var a = 0.0, b = 0.0
            for j in 0..<d { a += teacher[j] * x[row * d + j]; b += second[j] * x[row * d + j] }
            return (a + 2 * max(b, 0) - 2 * (Double(d) / (2 * Double.pi)).squareRoot()) / Double(d).squareRoot()
        }
        let raw = (0..<(p + q)).map(label)
        let scale = (Double(p) / 4 / max(raw[0..<p].reduce(0) { $0 + $1 * $1 }, 1e-300)).squareRoot()
        return try ANTKDataSet(name: "synthetic Gaussian P = \(p), Q = \(q), D = \(d), seed \(seed)",
                               train: Array(x[0..<(p * d)]), labels: raw[0..<p].map { $0 * scale },
                               test: Array(x[(p * d)...]), testLabels: raw[p...].map { $0 * scale }, dimension: d)
    }

    /// The first `train` / `test` points of a .npy data set (Tests/Fixtures/digits layout:
    /// X_train.npy, y_train.npy, X_test.npy, y_test.npy).
    public static func npyDirectory(_ path: String, train: Int, test: Int) throws -> ANTKDataSet {
        func load(_ file: String) throws -> NPYArray {
            let full = (path as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: full) else { throw ANTKVerifyInputError("cannot read '\(full)'") }
            do { return try NPYArray(npyData: data) } catch { throw ANTKVerifyInputError("'\(full)': \(error)") }
        }
        let xTrain = try load("X_train.npy"), yTrain = try load("y_train.npy")
        let xTest = try load("X_test.npy"), yTest = try load("y_test.npy")
        guard xTrain.shape.count == 2, xTest.shape.count == 2, xTrain.shape[1] == xTest.shape[1] else {
            throw ANTKVerifyInputError("'\(path)': X_train / X_test must be 2-D with the same number of features")
        }
        let d = xTrain.shape[1]
        let p = min(train, xTrain.shape[0], yTrain.values.count), q = min(test, xTest.shape[0], yTest.values.count)
        return try ANTKDataSet(name: "\((path as NSString).lastPathComponent) (first \(p) train, \(q) test points, D = \(d))",
                               train: Array(xTrain.values[0..<(p * d)]), labels: Array(yTrain.values[0..<p]),
                               test: Array(xTest.values[0..<(q * d)]), testLabels: Array(yTest.values[0..<q]), dimension: d)
    }
}
