import Foundation
import XCTest

/// The verifier's independence is structural: the independent solvers (Simulation) may not see the
/// exact theory, so a verification plan can never check the theory against itself. Package.swift
/// enforces it through target dependencies; this test keeps the manifest and the sources honest.
final class ArchitectureTests: XCTestCase {
    private var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// Modules each layer may import (besides Foundation, Dispatch, Glibc and the C shims).
    private let allowed: [String: Set<String>] = [
        "Numerics": ["CGMP", "CLAPACKE"],
        "Core": ["Numerics"],
        "Theory": ["Numerics", "Core"],
        "Asymptotics": ["Numerics", "Core", "Theory"],
        "Simulation": ["Numerics", "Core"],
        "Studies": ["Numerics", "Core", "Theory", "Asymptotics", "Simulation"],
    ]
    private let system: Set<String> = ["Foundation", "Dispatch", "Glibc", "XCTest"]

    func testEveryModuleImportsOnlyTheLayersBelowIt() throws {
        for (module, permitted) in allowed {
            let directory = root.appendingPathComponent("Sources").appendingPathComponent(module)
            let files = try XCTUnwrap(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            XCTAssertFalse(files.isEmpty, module)
            for file in files {
                let text = try String(contentsOf: file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    let name = String(line.split(separator: " ").last!)
                    XCTAssertTrue(permitted.contains(name) || system.contains(name),
                                  "\(module)/\(file.lastPathComponent) imports \(name)")
                }
            }
        }
    }

    func testManifestKeepsSimulationIndependentOfTheTheory() throws {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let line = try XCTUnwrap(manifest.split(separator: "\n").first { $0.contains(".target(name: \"Simulation\"") })
        XCTAssertFalse(line.contains("\"Theory\""))
        XCTAssertFalse(line.contains("\"Asymptotics\""))
        XCTAssertTrue(line.contains("\"Core\""))
    }
}
