import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI
import Studies

/// `plot features`: the two panels and the separations (notes/antk-nonlinear-data.md (AN7)).
final class PlotFeaturesTests: XCTestCase {
    func testFeaturePlotHasTwoPanels() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [8, 12], values: (0..<96).map { sin(Double($0) * 1.7) }), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [8], values: [1, -1, 1, -1, 1, 1, -1, -1]), "y.npy", in: folder)
        let svg = folder.appendingPathComponent("f.svg").path
        let r = AdaptiveKernelsCommandLine.run(["plot", "features", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--train", x, "--labels", y,
                                                "--population", "64", "--time", "5", "--out", svg])
        XCTAssertEqual(r.exitCode, 0, r.standardError)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "<svg").count - 1, 3)   // the document and two panels
        XCTAssertTrue(text.contains("lazy NNGP (relu): class separation"))
        XCTAssertTrue(text.contains("adapted Phi, gamma = 1, lambda = 0.5"))
        XCTAssertEqual(AdaptiveKernelsCommandLine.run(["plot", "features", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--train", x,
                                                       "--labels", y, "--out", folder.appendingPathComponent("f.png").path]).exitCode, 2)
    }

    /// Two well separated classes: the separation is the class-mean distance over the spread.
    func testSeparationOfAKnownConfiguration() throws {
        // Kernel of points (1, 0), (1.1, 0) [y > 0] and (0, 1), (0, 1.1) [y < 0] (Gram matrix X X^T).
        let points = [[1.0, 0], [1.1, 0], [0, 1], [0, 1.1]]
        let k = points.flatMap { a in points.map { b in a[0] * b[0] + a[1] * b[1] } }
        let map = try FeatureSpaceStudy.map(kernel: k, labels: [1, 1, -1, -1])
        // Means (1.05, 0) and (0, 1.05) up to rotation: distance 1.05 sqrt 2; spread 0.05^2 each.
        XCTAssertEqual(map.separation, 1.05 * 2.0.squareRoot() / 0.05, accuracy: 1e-9)
    }
}
