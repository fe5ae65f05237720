import Foundation
import Numerics
import Core
import Studies

/// Loading matrices and vectors from .npy or CSV, and writing outputs atomically (a folder of files
/// for --out-dir, one file for --out).
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

    /// Reads --train, --labels and the optional --test/--test-labels pair (both or neither).
    /// Every shape and entry is validated here, with the option names in the messages.
    static func trainingData(_ options: ParsedArguments) throws -> LabelledData {
        let train = try matrix(load(options.required("train"), option: "train"), option: "train")
        let labels = try vector(load(options.required("labels"), option: "labels"), count: train.rows, option: "labels", against: "--train")
        switch (options.value("test"), options.value("test-labels")) {
        case (nil, nil):
            return try studyErrors { try LabelledData(train: train.values, labels: labels, dimension: train.columns) }
        case (let t?, let tl?):
            let loaded = try matrix(load(t, option: "test"), option: "test")
            guard loaded.columns == train.columns else {
                throw UsageError("--test has \(loaded.columns) features per point, --train has \(train.columns)")
            }
            let testLabels = try vector(load(tl, option: "test-labels"), count: loaded.rows, option: "test-labels", against: "--test")
            return try studyErrors {
                try LabelledData(train: train.values, labels: labels, test: loaded.values, testLabels: testLabels, dimension: train.columns)
            }
        default: throw UsageError("--test and --test-labels go together")
        }
    }

    /// Writes every file into a fresh temporary sibling folder, then renames it to `directory`
    /// (which must be absent or an empty folder): nothing is half-written on failure.
    static func writeAtomically(_ files: [(String, Data)], to directory: String, option: String = "out-dir") throws {
        let manager = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: target.path, isDirectory: &isFolder) {
            guard isFolder.boolValue, (try? manager.contentsOfDirectory(atPath: target.path))?.isEmpty == true else {
                throw UsageError("--\(option) '\(directory)' exists and is not an empty folder")
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
            throw UsageError("--\(option) '\(directory)': cannot write (\(error.localizedDescription))")
        }
    }

    /// Writes one file whole: a temporary file beside the target, then a rename over it.
    static func writeFileAtomically(_ data: Data, to path: String, option: String = "out") throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: temporary)
        } catch {
            throw UsageError("cannot write --\(option) '\(path)' (\(error.localizedDescription))")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw UsageError("cannot write --\(option) '\(path)' (\(reason))")
        }
    }
}

extension DigitsFixture {
    /// The library's message in the command line's words (`--data DIR`).
    static func flagged(_ missing: Missing) -> String {
        missing.explicit ? "--data: " + missing.description : missing.description + " (--data DIR)"
    }
}
