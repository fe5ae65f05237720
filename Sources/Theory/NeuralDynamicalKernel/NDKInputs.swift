import Foundation
import Core

/// The data the NDK sees: the input Gram entries x . x' / D of the training block (P x P), of test
/// against training points (Q x P) and the test diagonal (Q) (notes/neural-dynamical-kernel.md (NK7)).
public struct NDKInputs: Sendable {
    public let trainCount: Int
    public let testCount: Int
    public let trainGram: [Double]
    public let crossGram: [Double]
    public let testDiagonal: [Double]
    public let labels: [Double]
    public let testLabels: [Double]?

    /// From row-major data matrices (P x D and Q x D) and labels.
    public init(train: [Double], labels: [Double], test: [Double] = [], testLabels: [Double]? = nil, dimension d: Int) throws {
        guard d > 0 else { throw InputError("the input dimension must be positive") }
        guard !labels.isEmpty, train.count == labels.count * d else {
            throw InputError("the training inputs must be a P x D matrix with P = number of labels (got \(train.count) values for \(labels.count) labels)")
        }
        guard test.count % d == 0 else { throw InputError("the test inputs must have D = \(d) columns like the training inputs") }
        let p = labels.count, q = test.count / d
        if let testLabels, testLabels.count != q { throw InputError("\(q) test inputs but \(testLabels.count) test labels") }
        guard (train + test + labels + (testLabels ?? [])).allSatisfy(\.isFinite) else { throw InputError("inputs and labels must be finite numbers") }
        func dot(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int) -> Double {
            var s = 0.0
            for k in 0..<d { s += a[i * d + k] * b[j * d + k] }
            return s / Double(d)
        }
        var gram = [Double](repeating: 0, count: p * p)
        for i in 0..<p { for j in 0..<p { gram[i * p + j] = dot(train, i, train, j) } }
        var cross = [Double](repeating: 0, count: q * p)
        for i in 0..<q { for j in 0..<p { cross[i * p + j] = dot(test, i, train, j) } }
        self.init(trainGram: gram, crossGram: cross, testDiagonal: (0..<q).map { dot(test, $0, test, $0) },
                  labels: labels, testLabels: testLabels)
        guard (0..<p).allSatisfy({ gram[$0 * p + $0] > 0 }) else { throw InputError("every training input must be nonzero") }
    }

    /// From Gram entries directly.
    public init(trainGram: [Double], crossGram: [Double], testDiagonal: [Double], labels: [Double], testLabels: [Double]?) {
        trainCount = labels.count; testCount = testDiagonal.count
        self.trainGram = trainGram; self.crossGram = crossGram; self.testDiagonal = testDiagonal
        self.labels = labels; self.testLabels = testLabels
    }

    public var trainDiagonal: [Double] { (0..<trainCount).map { trainGram[$0 * trainCount + $0] } }
}
