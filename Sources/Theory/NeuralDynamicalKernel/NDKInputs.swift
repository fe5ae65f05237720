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

    /// From a data set: its Gram blocks (notes/neural-dynamical-kernel.md (NK7)). Every training input
    /// must be nonzero.
    public init(_ data: LabelledData) throws {
        let cross = data.testKernels()
        self.init(trainGram: data.trainKernel(), crossGram: cross?.cross ?? [], testDiagonal: cross?.diagonal ?? [],
                  labels: data.labels, testLabels: data.hasTest ? data.testLabels : nil)
        guard trainDiagonal.allSatisfy({ $0 > 0 }) else { throw InputError("every training input must be nonzero") }
    }

    /// From row-major data matrices (P x D and Q x D) and labels; without test labels the test
    /// points still get predictions.
    public init(train: [Double], labels: [Double], test: [Double] = [], testLabels: [Double]? = nil, dimension d: Int) throws {
        guard d > 0, test.count % d == 0 else { throw InputError("the test inputs must have D = \(d) columns like the training inputs") }
        let q = test.count / d
        if let testLabels, testLabels.count != q { throw InputError("\(q) test inputs but \(testLabels.count) test labels") }
        let data = try LabelledData(train: train, labels: labels, test: test, testLabels: testLabels ?? [Double](repeating: 0, count: q), dimension: d)
        let cross = data.testKernels()
        self.init(trainGram: data.trainKernel(), crossGram: cross?.cross ?? [], testDiagonal: cross?.diagonal ?? [],
                  labels: labels, testLabels: testLabels)
        guard trainDiagonal.allSatisfy({ $0 > 0 }) else { throw InputError("every training input must be nonzero") }
    }

    /// From Gram entries directly.
    public init(trainGram: [Double], crossGram: [Double], testDiagonal: [Double], labels: [Double], testLabels: [Double]?) {
        trainCount = labels.count; testCount = testDiagonal.count
        self.trainGram = trainGram; self.crossGram = crossGram; self.testDiagonal = testDiagonal
        self.labels = labels; self.testLabels = testLabels
    }

    public var trainDiagonal: [Double] { (0..<trainCount).map { trainGram[$0 * trainCount + $0] } }
}
