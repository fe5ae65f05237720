import XCTest
import Numerics
@testable import Simulation

/// The general-data deep linear DMFT (notes/dynamics-deep-linear.md (DY1)-(DY10)).
final class DeepLinearDMFTTests: XCTestCase {
    /// One point, C = 1: the values of the single-input march of notes/verify-antk.md (GV5)-(GV12) as it was
    /// coded before it became this solver's one-point case (recorded from that code, 17 digits).
    func testOnePointReproducesTheSingleInputMarch() {
        let cases: [(Int, Double, Double, Double, Double, Int, Double?, [Double])] = [
            (2, 3, 1, 1, 0.1, 150, nil, [0.74505783802360703, 0.74505783802360603, 1.7095199042087639, 1.7095199042087641]),
            (3, 1.5, 0.25, 0.8, 0.05, 60, nil, [0.66370110702945995, 0.64031497085278921, 0.90163499584833562, 0.9016349958483354]),
            (3, 1, 0, 1, 0.01, 50, 1, [1.5123676165985165, 21.290364898633154, 4.2531330354403192, 4.2531330354403192]),
        ]
        for (depth, gamma, lambda, label, dt, steps, frozen, reference) in cases {
            let s = ANTKDeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, label: label, timeStep: dt, steps: steps,
                                       frozenResidual: frozen).solve()
            let got = [s.predictions[steps / 2], s.predictions[steps], s.featureNorms[0], s.gradientNorms[depth - 1]]
            for (x, r) in zip(got, reference) { XCTAssertEqual(x, r, accuracy: 1e-12 * max(1, abs(r))) }
        }
    }

    /// Whitened data (DY14), (DY15): f = f_1 y/|y| with f_1 the one-input solution at label |y|; the directions
    /// orthogonal to y keep H^l_aa(t_k, t_k) = rho^{2 l k} and zero overlap with y; a test point sees c* = C(x*, X) y/|y|.
    func testWhitenedDataReducesToOneInput() {
        let y = [1.0, -0.5, 0.25], norm = (y.reduce(0) { $0 + $1 * $1 }).squareRoot()
        let yhat = y.map { $0 / norm }
        let cStar = [0.3, 0.2, -0.4]   // C(x*, X); C(x*, x*) = 1
        var c = [Double](repeating: 0, count: 16)
        for i in 0..<3 { c[i * 4 + i] = 1; c[i * 4 + 3] = cStar[i]; c[3 * 4 + i] = cStar[i] }
        c[15] = 1
        let dt = 0.05, steps = 40, lambda = 0.5
        for depth in [1, 2] {
            let full = DeepLinearDMFT(depth: depth, gamma: 2, lambda: lambda, kernel: c, labels: y, pointCount: 4,
                                      timeStep: dt, steps: steps).solve()
            let one = DeepLinearDMFT(depth: depth, gamma: 2, lambda: lambda, kernel: [1], labels: [norm], pointCount: 1,
                                     timeStep: dt, steps: steps).solve()
            let rho = 1 - lambda * dt
            let projection = zip(cStar, yhat).reduce(0) { $0 + $1.0 * $1.1 }
            for k in [1, 10, steps] {
                let f1 = one.predictions[k][0]
                for mu in 0..<3 { XCTAssertEqual(full.predictions[k][mu], f1 * yhat[mu], accuracy: 1e-12) }
                XCTAssertEqual(full.predictions[k][3], f1 * projection, accuracy: 1e-12)
                for l in 0..<depth {
                    let h = full.featureKernels[k][l]
                    var yhy = 0.0
                    for a in 0..<3 { for b in 0..<3 { yhy += yhat[a] * h[a * 4 + b] * yhat[b] } }
                    XCTAssertEqual(yhy, one.featureKernels[k][l][0], accuracy: 1e-11 * yhy)
                    // An orthogonal direction e = (0.5, 1, 0) / |.|: (e.y = 0).
                    let o = [0.5, 1.0, 0.0].map { $0 / 1.25.squareRoot() }
                    var oho = 0.0, ohy = 0.0
                    for a in 0..<3 { for b in 0..<3 { oho += o[a] * h[a * 4 + b] * o[b]; ohy += o[a] * h[a * 4 + b] * yhat[b] } }
                    XCTAssertEqual(oho, pow(rho, Double(2 * (l + 1) * k)), accuracy: 1e-12)
                    XCTAssertEqual(ohy, 0, accuracy: 1e-12)
                    XCTAssertEqual(full.gradientKernels[k][l], one.gradientKernels[k][l], accuracy: 1e-11 * one.gradientKernels[k][l])
                }
            }
        }
    }

    /// Rotating the training points (C -> O C O^T, y -> O y) rotates the predictions (f -> O f): the loss and the
    /// flow are invariant, a check of the point indices in (DY5)-(DY9) on non-whitened data.
    func testRotationCovariance() {
        let c = [1.0, 0.6, 0.2, 0.6, 1.5, -0.3, 0.2, -0.3, 0.8], y = [1.0, 0.3, -0.7]
        let a = 0.7, b = 0.4   // O = rotation by a in the (0,1) plane, then by b in the (1,2) plane
        let r1 = [cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1.0], r2 = [1.0, 0, 0, 0, cos(b), -sin(b), 0, sin(b), cos(b)]
        let o = LinearAlgebra.multiply(r2, r1, m: 3, k: 3, n: 3)
        let oc = LinearAlgebra.multiply(o, c, m: 3, k: 3, n: 3)
        var rotated = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for m in 0..<3 { rotated[i * 3 + j] += oc[i * 3 + m] * o[j * 3 + m] } } }
        let oy = (0..<3).map { i in (0..<3).reduce(0) { $0 + o[i * 3 + $1] * y[$1] } }
        for depth in [1, 3] {
            let base = DeepLinearDMFT(depth: depth, gamma: 1.5, lambda: 0.2, kernel: c, labels: y, pointCount: 3, timeStep: 0.05, steps: 30).solve()
            let turned = DeepLinearDMFT(depth: depth, gamma: 1.5, lambda: 0.2, kernel: rotated, labels: oy, pointCount: 3, timeStep: 0.05, steps: 30).solve()
            for k in [5, 30] {
                let of = (0..<3).map { i in (0..<3).reduce(0) { $0 + o[i * 3 + $1] * base.predictions[k][$1] } }
                for i in 0..<3 { XCTAssertEqual(turned.predictions[k][i], of[i], accuracy: 1e-12) }
                XCTAssertGreaterThan(abs(base.predictions[k][1] - base.predictions[k][0] * y[1] / y[0]), 1e-3)  // not along y
            }
        }
    }
}
