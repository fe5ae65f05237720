import Foundation
import Numerics

/// The one labelled data set of the package: training inputs X (P x D) with labels y (P), and
/// optional test inputs (Q x D) with test labels (Q), row-major; training rows first in `inputs`.
/// Kernels, fields and predictions elsewhere are indexed over the n = P + Q points in this order.
/// The input kernel is C = X X^T / D (notes/theory-overview.md (T1), (T27)).
///
/// Construction checks shapes and finiteness and throws `InputError` (one sentence) otherwise.
public struct LabelledData: Sendable {
    /// What the data is, for reports ("digits (first 8 train, 2 test points, D = 64)").
    public let name: String
    public let trainCount: Int
    public let testCount: Int
    public let dimension: Int
    /// All inputs, training rows first: n x D.
    public let inputs: [Double]
    public let labels: [Double]
    /// Empty when there are no test points.
    public let testLabels: [Double]

    public init(name: String = "data", train: [Double], labels: [Double], test: [Double] = [], testLabels: [Double] = [],
                dimension: Int) throws {
        guard dimension > 0 else { throw InputError("data set '\(name)': the input dimension must be positive") }
        guard !labels.isEmpty, train.count == labels.count * dimension else {
            throw InputError("data set '\(name)': the training inputs must be P x D with P = \(labels.count) labels and D = \(dimension) (got \(train.count) values)")
        }
        guard test.count == testLabels.count * dimension else {
            throw InputError("data set '\(name)': the test inputs must be Q x D with Q = \(testLabels.count) test labels and D = \(dimension) (got \(test.count) values)")
        }
        guard train.allSatisfy(\.isFinite), test.allSatisfy(\.isFinite), labels.allSatisfy(\.isFinite), testLabels.allSatisfy(\.isFinite) else {
            throw InputError("data set '\(name)': an input or label is not finite")
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
    public var hasTest: Bool { testCount > 0 }
    public var trainInputs: [Double] { Array(inputs[0..<(trainCount * dimension)]) }
    public var testInputs: [Double] { Array(inputs[(trainCount * dimension)...]) }

    /// C = X X^T / D over all n points (n x n); its leading P x P block is `trainKernel()`.
    public var inputKernel: [Double] {
        LinearAlgebra.multiplyTransposed(inputs, inputs, m: count, k: dimension, n: count).map { $0 / Double(dimension) }
    }

    /// C = X X^T / D over the training points (P x P).
    /// One triangle by dsyrk, mirrored (`LinearAlgebra.rowGram`), read from the first P rows of
    /// `inputs` in place (no copy of the training inputs).
    public func trainKernel() -> [Double] {
        LinearAlgebra.rowGram(inputs, rows: trainCount, columns: dimension, divisor: Double(dimension))
    }

    /// C(x*, X) = Xt X^T / D (Q x P) and the test diagonal x*.x*/D (Q); nil without test points.
    public func testKernels() -> (cross: [Double], diagonal: [Double])? {
        guard hasTest else { return nil }
        let d = dimension, test = testInputs
        let cross = LinearAlgebra.multiplyTransposed(test, trainInputs, m: testCount, k: d, n: trainCount).map { $0 / Double(d) }
        let diagonal = (0..<testCount).map { i in (0..<d).reduce(0.0) { $0 + test[i * d + $1] * test[i * d + $1] } / Double(d) }
        return (cross, diagonal)
    }

    /// The first `train` training points and the first `test` test points (at most all of them), in order.
    public func first(train p: Int, test q: Int) throws -> LabelledData {
        let p = min(max(p, 1), trainCount), q = min(max(q, 0), testCount), d = dimension
        let test = Array(testInputs[0..<(q * d)])
        return try LabelledData(name: name, train: Array(inputs[0..<(p * d)]), labels: Array(labels[0..<p]),
                                test: test, testLabels: Array(testLabels[0..<q]), dimension: d)
    }

    /// Whitened data (C = I, notes/antk-deep-linear.md (A14)): D = P, X = sqrt(P) I, the given unit
    /// label vector; no test points.
    public static func whitened(labels: [Double]) throws -> LabelledData {
        let p = labels.count
        let norm = labels.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard abs(norm - 1) < 1e-12 else { throw InputError("whitened labels must have |y| = 1 (got \(norm))") }
        var x = [Double](repeating: 0, count: p * p)
        for i in 0..<p { x[i * p + i] = Double(p).squareRoot() }
        return try LabelledData(name: "whitened P = \(p)", train: x, labels: labels, dimension: p)
    }

    /// One point, C = 1, y = 1 (notes/verify-antk.md section 4, item 4).
    /// P whitened training inputs sqrt(D) e_mu with labels y = e_1 and one test input sqrt(D) e_{P+1}, D = P + 1 (X X^T/D = I,
    /// the test input orthogonal to every training input, |x*|^2/D = 1): the data of notes/fluctuations-gradient-flow.md (FG1), (FG9).
    public static func whitenedWithOrthogonalTest(points p: Int) throws -> LabelledData {
        guard p >= 1 else { throw InputError("whitened data need P >= 1 points") }
        let d = p + 1, scale = Double(d).squareRoot()
        var x = [Double](repeating: 0, count: p * d)
        for mu in 0..<p { x[mu * d + mu] = scale }
        var test = [Double](repeating: 0, count: d)
        test[p] = scale
        return try LabelledData(name: "whitened: P = \(p) points, X X^T/D = I, y = e_1; test input orthogonal to the training inputs, |x*|^2/D = 1",
                                train: x, labels: (0..<p).map { $0 == 0 ? 1 : 0 }, test: test, testLabels: [0], dimension: d)
    }

    public static var singlePoint: LabelledData {
        try! LabelledData(name: "single point C = 1, y = 1", train: [1], labels: [1], dimension: 1)
    }

    /// Synthetic Gaussian inputs with labels of a fixed linear-plus-ReLU teacher, scaled so that
    /// |y|^2 = P/4 on the training set; deterministic for the seed.
    public static func synthetic(train p: Int, test q: Int, dimension d: Int, seed: UInt64) throws -> LabelledData {
        let teacher = NormalSampler.vector(d, seed: NormalSampler.derive(seed, 0))
        let second = NormalSampler.vector(d, seed: NormalSampler.derive(seed, 1))
        let x = NormalSampler.vector((p + q) * d, seed: NormalSampler.derive(seed, 2))
        func label(_ row: Int) -> Double {
            var a = 0.0, b = 0.0
            for j in 0..<d { a += teacher[j] * x[row * d + j]; b += second[j] * x[row * d + j] }
            return (a + 2 * max(b, 0) - 2 * (Double(d) / (2 * Double.pi)).squareRoot()) / Double(d).squareRoot()
        }
        let raw = (0..<(p + q)).map(label)
        let scale = (Double(p) / 4 / max(raw[0..<p].reduce(0) { $0 + $1 * $1 }, 1e-300)).squareRoot()
        return try LabelledData(name: "synthetic Gaussian P = \(p), Q = \(q), D = \(d), seed \(seed)",
                                train: Array(x[0..<(p * d)]), labels: raw[0..<p].map { $0 * scale },
                                test: Array(x[(p * d)...]), testLabels: raw[p...].map { $0 * scale }, dimension: d)
    }

    /// The first `train` / `test` points of a .npy data set (the layout of Tests/Fixtures/digits:
    /// X_train.npy, y_train.npy, X_test.npy, y_test.npy).
    public static func npyDirectory(_ path: String, train: Int, test: Int) throws -> LabelledData {
        func load(_ file: String) throws -> NPYArray {
            let full = (path as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: full) else { throw InputError("cannot read '\(full)'") }
            do { return try NPYArray(npyData: data) } catch { throw InputError("'\(full)': \(error)") }
        }
        let xTrain = try load("X_train.npy"), yTrain = try load("y_train.npy")
        let xTest = try load("X_test.npy"), yTest = try load("y_test.npy")
        guard xTrain.shape.count == 2, xTest.shape.count == 2, xTrain.shape[1] == xTest.shape[1] else {
            throw InputError("'\(path)': X_train / X_test must be 2-D with the same number of features")
        }
        let d = xTrain.shape[1]
        let p = min(train, xTrain.shape[0], yTrain.values.count), q = min(test, xTest.shape[0], yTest.values.count)
        return try LabelledData(name: "\((path as NSString).lastPathComponent) (first \(p) train, \(q) test points, D = \(d))",
                                train: Array(xTrain.values[0..<(p * d)]), labels: Array(yTrain.values[0..<p]),
                                test: Array(xTest.values[0..<(q * d)]), testLabels: Array(yTest.values[0..<q]), dimension: d)
    }
}
