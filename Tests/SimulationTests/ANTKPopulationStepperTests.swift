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
    func testRankFormChosenWhenCheaper() throws {
        // D (P + n) < P n: 8 (40 + 50) < 40 * 50; and 64 (10 + 10) > 10 * 10.
        let digitsLike = try ANTKStepBenchmark.data(points: 40, testPoints: 10, dimension: 8)
        let small = try ANTKStepBenchmark.data(points: 10, testPoints: 0, dimension: 64)
        XCTAssertTrue(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: digitsLike), data: digitsLike).reduced)
        XCTAssertFalse(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: small), data: small).reduced)
    }
}
