import XCTest
import Core
@testable import Simulation

/// The fused population step (notes/verify-antk.md (GV23)) against the term-by-term step (GV1)-(GV3).
final class ANTKPopulationStepperTests: XCTestCase {
    /// Both forms of the product (by C, and rank-D (GV23c)), unfused and fused per neuron block (GV23d),
    /// ReLU, tanh and erf, with test points (37 neurons: several chunks, uneven blocks):
    /// after several steps the fields, readouts and predictions agree with the reference step to
    /// rounding (1e-12 relative to the largest entry), and the state really moved.
    func testFusedStepEqualsTheReferenceStep() throws {
        for activation in [Activation.relu, .tanh, .erf] {
            for (p, q, d) in [(7, 3, 4), (6, 2, 20)] {
                let data = try ANTKStepBenchmark.data(points: p, testPoints: q, dimension: d)
                let start = try ANTKStepBenchmark.population(neurons: 37, data: data, activation: activation)
                let rows = Array(data.inputKernel[0..<(p * data.count)])
                for (reduced, blocked) in [(false, false), (true, false), (false, true), (true, true)] {
                    var reference = start, fused = start
                    let stepper = ANTKPopulationStepper(population: fused, data: data, reduced: reduced)
                    var f = reference.predictions(), g = stepper.refresh(fused)
                    for _ in 0..<5 {
                        reference.step(data, kernelRows: rows, predictions: f, dt: 0.05)
                        f = reference.predictions()
                        if blocked {
                            g = stepper.step(&fused, predictions: g, dt: 0.05)   // (GV23d)
                        } else {
                            stepper.advance(&fused, predictions: g, dt: 0.05)
                            g = stepper.refresh(fused)
                        }
                    }
                    let label = "\(activation) P = \(p) Q = \(q) D = \(d) reduced \(reduced) blocked \(blocked)"
                    let scale = reference.fields.map(abs).max()!
                    XCTAssertGreaterThan(zip(reference.fields, start.fields).map { abs($0 - $1) }.max()!, 1e-3 * scale, label)
                    for (a, b) in zip(fused.fields, reference.fields) { XCTAssertEqual(a, b, accuracy: 1e-12 * scale, label) }
                    for (a, b) in zip(fused.readouts, reference.readouts) { XCTAssertEqual(a, b, accuracy: 1e-12, label) }
                    XCTAssertEqual(g.count, p + q)
                    for (a, b) in zip(g, f) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b)), label) }
                }
            }
        }
    }

    /// The automatic choice of the product (GV23c): rank-D exactly when D (P + n) < P n.
    /// The SIMD ReLU refresh row and the four-row readout forces are bitwise the scalar loops they
    /// replaced (the solver's outputs at fixed seeds must not change): odd lengths (SIMD tails), signed
    /// zeros, and values of every magnitude.
    func testVectorizedLoopsAreBitwiseTheScalarLoops() {
        var generator = SystemRandomNumberGenerator()
        for (n, p) in [(21, 13), (100, 100), (37, 8), (5, 3)] {
            var h = (0..<n).map { _ in Double.random(in: -2...2, using: &generator) * pow(10, Double.random(in: -300...300, using: &generator)) }
            h[0] = -0.0; h[n - 1] = 0.0
            let zi = Double.random(in: -3...3, using: &generator)
            let start = (0..<n).map { _ in Double.random(in: -1...1, using: &generator) }
            var v = [Double](repeating: .nan, count: p), g = v, sum = start
            ANTKPopulationStepper.reluRow(h, zi, values: &v, gains: &g, sum: &sum, points: n, train: p)
            var sumScalar = start
            for nu in 0..<n {
                let x = h[nu], value = x > 0 ? x : 0
                if nu < p {
                    XCTAssertEqual(v[nu].bitPattern, value.bitPattern)
                    XCTAssertEqual(g[nu].bitPattern, (x > 0 ? zi : 0).bitPattern)
                }
                sumScalar[nu] += zi * value
            }
            XCTAssertEqual(sum.map(\.bitPattern), sumScalar.map(\.bitPattern))
            // Readout forces on rows 2..<(2 + rows) of a rows x p matrix (a start offset and a tail).
            let rows = n, values = (0..<(rows + 2) * p).map { _ in Double.random(in: -1...1, using: &generator) }
            let delta = (0..<p).map { _ in Double.random(in: -1...1, using: &generator) }
            var dz = [Double](repeating: .nan, count: rows)
            ANTKPopulationStepper.readoutForces(2, 2 + rows, values: values, delta: delta, into: &dz, train: p)
            for i in 0..<rows {
                var q = 0.0
                for mu in 0..<p { q += values[(i + 2) * p + mu] * delta[mu] }
                XCTAssertEqual(dz[i].bitPattern, q.bitPattern, "row \(i)")
            }
        }
    }

    func testRankFormChosenWhenCheaper() throws {
        // D (P + n) < P n: 8 (40 + 50) < 40 * 50; and 64 (10 + 10) > 10 * 10.
        let digitsLike = try ANTKStepBenchmark.data(points: 40, testPoints: 10, dimension: 8)
        let small = try ANTKStepBenchmark.data(points: 10, testPoints: 0, dimension: 64)
        XCTAssertTrue(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: digitsLike), data: digitsLike).reduced)
        XCTAssertFalse(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: small), data: small).reduced)
    }
}
