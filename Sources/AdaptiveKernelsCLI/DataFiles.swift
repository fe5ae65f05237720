import Foundation
import Numerics

/// Loading matrices and vectors from .npy or CSV, and writing outputs atomically.
enum DataFiles {
    static func load(_ path: String, option: String) throws -> NPYArray {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("--\(option): cannot read '\(path)'") }
        do {
            switch url.pathExtension.lowercased() {
            case "npy": return try NPYArray(npyData: data)
            case "csv", "txt":
                guard let text = String(data: data, encoding: .utf8) else { throw DataFileError.malformed("not UTF-8 text") }
                return try CSVMatrix.parse(text)
            default: throw DataFileError.unsupportedType("unknown file type '.\(url.pathExtension)' (need .npy or .csv)")
            }
        } catch let error as DataFileError {
            throw UsageError("--\(option) '\(path)': \(error.description)")
        }
    }

    /// A file read exactly: CSV entries by `BigRational(parsing:)`, .npy floats as the exact dyadic
    /// rationals they are (for `kernels --exact`).
    static func loadExact(_ path: String, option: String) throws -> (shape: [Int], values: [BigRational]) {
        let url = URL(fileURLWithPath: path)
        guard url.pathExtension.lowercased() != "npy" else {
            let array = try load(path, option: option)
            if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
                throw UsageError("--\(option): entry \(bad) is not finite (\(array.values[bad]))")
            }
            return (array.shape, array.values.map { Dyadic(exactly: $0).rational })
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("--\(option): cannot read '\(path)'") }
        do {
            guard ["csv", "txt"].contains(url.pathExtension.lowercased()) else {
                throw DataFileError.unsupportedType("unknown file type '.\(url.pathExtension)' (need .npy or .csv)")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw DataFileError.malformed("not UTF-8 text") }
            return try CSVMatrix.parseExact(text)
        } catch let error as DataFileError {
            throw UsageError("--\(option) '\(path)': \(error.description)")
        }
    }

    /// A P x D matrix (a 1-D array is one feature per point).
    static func matrix(_ array: NPYArray, option: String) throws -> (values: [Double], rows: Int, columns: Int) {
        let (rows, columns): (Int, Int)
        switch array.shape.count {
        case 1: (rows, columns) = (array.shape[0], 1)
        case 2: (rows, columns) = (array.shape[0], array.shape[1])
        default: throw UsageError("--\(option): expected a 2-D array (points x features), got shape \(array.shape)")
        }
        guard rows > 0, columns > 0 else { throw UsageError("--\(option): empty array (shape \(array.shape))") }
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
            throw UsageError("--\(option): entry (\(bad / columns), \(bad % columns)) is not finite (\(array.values[bad]))")
        }
        return (array.values, rows, columns)
    }

    /// A vector of `count` entries (shape (P,), (P,1) or (1,P)).
    static func vector(_ array: NPYArray, count: Int, option: String, against: String) throws -> [Double] {
        let ok = array.shape == [count] || array.shape == [count, 1] || array.shape == [1, count]
        guard ok else { throw UsageError("--\(option): shape \(array.shape) does not match the \(count) points of \(against)") }
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
            throw UsageError("--\(option): entry \(bad) is not finite (\(array.values[bad]))")
        }
        return array.values
    }

    /// Train (and optional test) data as `kernels` and `antk` read them: --train X (P x D),
    /// --labels y (P), optionally --test Xt (Q x D) with --test-labels yt (Q), every shape and entry
    /// validated here; C = X X^T / D and the test-train kernel C(x*, X) = Xt X^T / D.
    struct TrainingData {
        let train: (values: [Double], rows: Int, columns: Int)
        let labels: [Double]
        let test: (values: [Double], rows: Int, columns: Int)?
        let testLabels: [Double]?

        var points: Int { train.rows }
        var features: Int { train.columns }

        /// C = X X^T / D (P x P, row-major).
        func inputKernel() -> [Double] {
            LinearAlgebra.multiplyTransposed(train.values, train.values, m: train.rows, k: train.columns, n: train.rows).map { $0 / Double(train.columns) }
        }

        /// diag C.
        func inputDiagonal(_ c: [Double]) -> [Double] { (0..<train.rows).map { c[$0 * train.rows + $0] } }

        /// C(x*, X) = Xt X^T / D (Q x P) and its test diagonal x*.x*/D; nil without test data.
        func testKernels() -> (cross: [Double], diagonal: [Double])? {
            guard let test else { return nil }
            let d = train.columns
            let cross = LinearAlgebra.multiplyTransposed(test.values, train.values, m: test.rows, k: d, n: train.rows).map { $0 / Double(d) }
            let diagonal = (0..<test.rows).map { i in (0..<d).reduce(0.0) { $0 + test.values[i * d + $1] * test.values[i * d + $1] } / Double(d) }
            return (cross, diagonal)
        }
    }

    /// Reads --train, --labels and the optional --test/--test-labels pair (both or neither).
    static func trainingData(_ options: ParsedArguments) throws -> TrainingData {
        let train = try matrix(load(options.required("train"), option: "train"), option: "train")
        let labels = try vector(load(options.required("labels"), option: "labels"), count: train.rows, option: "labels", against: "--train")
        switch (options.value("test"), options.value("test-labels")) {
        case (nil, nil):
            return TrainingData(train: train, labels: labels, test: nil, testLabels: nil)
        case (let t?, let tl?):
            let loaded = try matrix(load(t, option: "test"), option: "test")
            guard loaded.columns == train.columns else {
                throw UsageError("--test has \(loaded.columns) features per point, --train has \(train.columns)")
            }
            let testLabels = try vector(load(tl, option: "test-labels"), count: loaded.rows, option: "test-labels", against: "--test")
            return TrainingData(train: train, labels: labels, test: loaded, testLabels: testLabels)
        default: throw UsageError("--test and --test-labels go together")
        }
    }

    /// Writes every file into a fresh temporary sibling folder, then renames it to `directory`
    /// (which must be absent or an empty folder): nothing is half-written on failure.
    static func writeAtomically(_ files: [(String, Data)], to directory: String) throws {
        let manager = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: target.path, isDirectory: &isFolder) {
            guard isFolder.boolValue, (try? manager.contentsOfDirectory(atPath: target.path))?.isEmpty == true else {
                throw UsageError("--out '\(directory)' exists and is not an empty folder")
            }
        }
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
            for (name, data) in files { try data.write(to: temporary.appendingPathComponent(name)) }
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
            try manager.moveItem(at: temporary, to: target)
        } catch {
            try? manager.removeItem(at: temporary)
            throw UsageError("--out '\(directory)': cannot write (\(error.localizedDescription))")
        }
    }
}
