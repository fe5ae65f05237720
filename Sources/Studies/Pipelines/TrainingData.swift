import Numerics

/// Train (and optional test) data for the data pipelines: X (P x D, row-major), y (P), and
/// optionally Xt (Q x D) with yt (Q). The front end reads and validates the files; this value
/// only checks shapes and finiteness, so a library caller gets the same guarantees.
public struct TrainingData: Sendable {
    public struct Matrix: Sendable {
        public let values: [Double]
        public let rows: Int
        public let columns: Int
        public init(values: [Double], rows: Int, columns: Int) {
            self.values = values; self.rows = rows; self.columns = columns
        }
    }

    public let train: Matrix
    public let labels: [Double]
    public let test: Matrix?
    public let testLabels: [Double]?

    public init(train: Matrix, labels: [Double], test: Matrix? = nil, testLabels: [Double]? = nil) throws {
        guard train.rows > 0, train.columns > 0, train.values.count == train.rows * train.columns else {
            throw StudyInputError.shape("the training matrix is empty or its entries do not match its shape")
        }
        guard labels.count == train.rows else {
            throw StudyInputError.shape("\(labels.count) labels for \(train.rows) training points")
        }
        guard train.values.allSatisfy(\.isFinite), labels.allSatisfy(\.isFinite) else {
            throw StudyInputError.shape("the training data has an entry that is not finite")
        }
        switch (test, testLabels) {
        case (nil, nil): break
        case (let t?, let yt?):
            guard t.rows > 0, t.columns == train.columns, t.values.count == t.rows * t.columns, yt.count == t.rows,
                  t.values.allSatisfy(\.isFinite), yt.allSatisfy(\.isFinite) else {
                throw StudyInputError.shape("the test data does not match the training data (features, labels or finiteness)")
            }
        default: throw StudyInputError.shape("test points and test labels go together")
        }
        self.train = train; self.labels = labels; self.test = test; self.testLabels = testLabels
    }

    public var points: Int { train.rows }
    public var features: Int { train.columns }

    /// C = X X^T / D (P x P, row-major).
    public func inputKernel() -> [Double] {
        LinearAlgebra.multiplyTransposed(train.values, train.values, m: train.rows, k: train.columns, n: train.rows).map { $0 / Double(train.columns) }
    }

    /// diag C.
    public func inputDiagonal(_ c: [Double]) -> [Double] { (0..<train.rows).map { c[$0 * train.rows + $0] } }

    /// C(x*, X) = Xt X^T / D (Q x P) and its test diagonal x*.x*/D; nil without test data.
    public func testKernels() -> (cross: [Double], diagonal: [Double])? {
        guard let test else { return nil }
        let d = train.columns
        let cross = LinearAlgebra.multiplyTransposed(test.values, train.values, m: test.rows, k: d, n: train.rows).map { $0 / Double(d) }
        let diagonal = (0..<test.rows).map { i in (0..<d).reduce(0.0) { $0 + test.values[i * d + $1] * test.values[i * d + $1] } / Double(d) }
        return (cross, diagonal)
    }
}

/// Inputs a study cannot take, one sentence each (never a command-line flag: the front end adds those).
public enum StudyInputError: Error, Equatable, CustomStringConvertible {
    case shape(String)
    case singular(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .shape(let what), .singular(let what), .unsupported(let what): return what
        }
    }
}
