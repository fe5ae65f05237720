import Foundation

/// The digits subset the verification plans run on (X_train.npy, y_train.npy, X_test.npy,
/// y_test.npy), found independently of the working directory: an explicit directory, else the
/// committed fixture Tests/Fixtures/digits above the running executable (a build folder inside the
/// package) or in the source tree this module was compiled from.
public enum DigitsFixture {
    public static let files = ["X_train.npy", "y_train.npy", "X_test.npy", "y_test.npy"]
    public static let relativePath = "Tests/Fixtures/digits"

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
        /// Whether the directory was given (a file is missing in it) or searched for.
        public let explicit: Bool
    }

    /// The directory to use, or `Missing` naming the file that is not there.
    public static func locate(explicit: String? = nil, executable: String? = nil) throws -> String {
        if let explicit {
            for file in files {
                let path = (explicit as NSString).appendingPathComponent(file)
                guard FileManager.default.fileExists(atPath: path) else { throw Missing(description: "the digits data directory lacks '\(path)'", explicit: true) }
            }
            return explicit
        }
        var tried: [String] = []
        for root in candidateRoots(executable: executable) {
            let directory = (root as NSString).appendingPathComponent(relativePath)
            if files.allSatisfy({ FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }) { return directory }
            tried.append((directory as NSString).appendingPathComponent(files[0]))
        }
        throw Missing(description: "the digits fixture was not found (no \(tried.joined(separator: ", "))); name the data directory explicitly", explicit: false)
    }

    /// Folders above the executable (at most six levels), then the package root of this source file.
    static func candidateRoots(executable: String?) -> [String] {
        var roots: [String] = []
        let exe = executable ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        if !exe.isEmpty {
            var url = URL(fileURLWithPath: exe).standardizedFileURL.deletingLastPathComponent()
            for _ in 0..<6 {
                let candidate = url.appendingPathComponent(relativePath).appendingPathComponent(files[0]).path
                if FileManager.default.fileExists(atPath: candidate) { roots.append(url.path); break }
                url.deleteLastPathComponent()
            }
        }
        // Sources/Studies/Verification/DigitsFixture.swift -> the package root.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        roots.append(source.path)
        return roots
    }
}
