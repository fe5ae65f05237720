import XCTest
import Numerics
@testable import Simulation

/// The general-data deep linear DMFT (notes/dynamics-deep-linear.md (DY1)-(DY10)).
final class DeepLinearDMFTTests: XCTestCase {
    /// One point, C = 1: the general solver is the single-input march of notes/verify-antk.md (V5)-(V12).
    func testOnePointIsTheSingleInputMarch() {
        for (depth, gamma, lambda) in [(1, 2.0, 1.0), (2, 3.0, 1.0), (3, 1.5, 0.25)] {
            let old = ANTKDeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, label: 0.8, timeStep: 0.05, steps: 60).solve()
            let new = DeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, kernel: [1], labels: [0.8], pointCount: 1,
                                     timeStep: 0.05, steps: 60).solve()
            for k in 0...60 { XCTAssertEqual(new.predictions[k][0], old.predictions[k], accuracy: 1e-12 * max(1, abs(old.predictions[k]))) }
            for l in 0..<depth {
                XCTAssertEqual(new.featureKernels[60][l][0], old.featureNorms[l], accuracy: 1e-11 * old.featureNorms[l])
                XCTAssertEqual(new.gradientKernels[60][l], old.gradientNorms[l], accuracy: 1e-11 * old.gradientNorms[l])
            }
        }
    }
}
