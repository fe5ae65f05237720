import Foundation
import XCTest
@testable import Theory

/// notes/fluctuations-gradient-flow.md (FG27), (FG28): the deep linear closed forms at t = 0 and in the lazy limit.
final class DeepLinearLazyFluctuationsTests: XCTestCase {
    /// Depth 1 through the new path reproduces the two-layer closed forms (FG11) of `GradientFlowFluctuations.lazyLimit`.
    func testDepthOneIsTheTwoLayerLazyLimit() throws {
        for lambda in [0.0, 0.5] {
            for t in [0.0, 0.3, 1.0, 2.5] {
                let old = GradientFlowFluctuations.lazyLimit(lambda: lambda, time: t, points: 3)
                let new = try DeepLinearLazyFluctuations(depth: 1, lambda: lambda, points: 3).lazyLimit(time: t)
                XCTAssertEqual(new.labelInitial, old.labelInitial, accuracy: 1e-14)
                XCTAssertEqual(new.testInitial, old.testInitial, accuracy: 1e-14)
                XCTAssertEqual(new.ntkVariance, old.ntkVariance, accuracy: 1e-13)
                XCTAssertEqual(new.overlapVariance, old.overlapVariance, accuracy: 1e-14)
                XCTAssertEqual(new.labelKernel == nil, old.labelKernel == nil)
                if let a = new.labelKernel, let b = old.labelKernel { XCTAssertEqual(a, b, accuracy: 1e-14) }
                if let a = new.orthogonalKernel, let b = old.orthogonalKernel { XCTAssertEqual(a, b, accuracy: 1e-14) }
            }
        }
    }

    /// (FG27) at t = 0: N Var(tr K/P) = (2 + 2/P) L (L + 1)(2L + 1)/6, N Var(H^l_11) = 2l; (FG28) the decay rates.
    func testInitialValuesAndDecay() throws {
        let f = try DeepLinearLazyFluctuations(depth: 3, lambda: 0.25, points: 2)
        let v0 = f.initial
        XCTAssertEqual(v0.ntkVariance, 3 * 14, accuracy: 1e-12)
        XCTAssertEqual(v0.layerOverlapVariance, [2, 4, 6])
        XCTAssertEqual(v0.labelInitial, 1)
        let v = f.lazyLimit(time: 2)
        XCTAssertEqual(v.ntkVariance, 42 * exp(-4 * 0.25 * 3 * 2), accuracy: 1e-12)
        XCTAssertEqual(v.testInitial, exp(-2 * 0.25 * 4 * 2), accuracy: 1e-15)
        // phi_L(t)^2 = exp(-2 (L + 1) ((1 - e^{-2 lambda L t})/(2 lambda L) + lambda t)).
        XCTAssertEqual(v.labelInitial, exp(-8 * ((1 - exp(-3.0)) / 1.5 + 0.5)), accuracy: 1e-15)
        // lambda = 0: K_1 = 4 S t^2 e^{-2(L+1)t}, K_2 = S t^2 e^{-2(L+1)t}, S = 14 at L = 3.
        let z = try DeepLinearLazyFluctuations(depth: 3, lambda: 0, points: 2).lazyLimit(time: 0.5)
        XCTAssertEqual(z.labelKernel!, 4 * 14 * 0.25 * exp(-4), accuracy: 1e-14)
        XCTAssertEqual(z.orthogonalKernel!, 14 * 0.25 * exp(-4), accuracy: 1e-14)
        XCTAssertThrowsError(try DeepLinearLazyFluctuations(depth: 0, lambda: 0, points: 2))
    }
}
