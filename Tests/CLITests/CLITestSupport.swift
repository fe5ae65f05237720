import Foundation
import XCTest
@testable import Core
import Numerics

/// Helpers shared by the CLI test cases: JSON decoding, temporary folders, .npy fixtures.
extension XCTestCase {
    /// The committed digits subset (Tests/Fixtures/digits).
    var digitsFixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/digits")
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A fresh folder removed when the test ends.
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Writes an array as .npy into `folder` and returns its path.
    func write(_ array: NPYArray, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try array.serialized().write(to: url)
        return url.path
    }
}
