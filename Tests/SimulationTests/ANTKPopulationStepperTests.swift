import XCTest
import Core
@testable import Simulation

/// The fused population step (notes/verify-antk.md (GV23)) against the term-by-term step (GV1)-(GV3).
final class ANTKPopulationStepperTests: XCTestCase {
    /// Both forms of the product (by C, and rank-D (GV23c)), unfused and fused per neuron block (GV23d),
    /// ReLU (dense: by sign bits (GV23e), with one group, and with several groups and a partial last one), tanh
    /// and erf, with test points (37 neurons: several chunks, uneven blocks):
    /// after several steps the fields, readouts and predictions agree with the reference step to
    /// rounding (1e-12 relative to the largest entry), and the state really moved.
    func testFusedStepEqualsTheReferenceStep() throws {
        for activation in [Activation.relu, .tanh, .erf] {
            for (p, q, d) in [(7, 3, 4), (6, 2, 20), (21, 5, 30), (50, 0, 8)] {
                let data = try ANTKStepBenchmark.data(points: p, testPoints: q, dimension: d)
                let start = try ANTKStepBenchmark.population(neurons: 37, data: data, activation: activation)
                let rows = Array(data.inputKernel[0..<(p * data.count)])
                for (reduced, blocked) in [(false, false), (true, false), (false, true), (true, true)] {
                    var reference = start, fused = start
                    let stepper = ANTKPopulationStepper(population: fused, data: data, reduced: reduced)
                    XCTAssertEqual(stepper.signs != nil, activation == .relu && !reduced)
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

    /// (GV23e) piece by piece against its definition: the sign bits (zeros of both signs and NaN give 0),
    /// the table sums against the sum of the selected rows (within the bound 2 gamma_P sum |terms|), and one
    /// row's step and refresh against the formulas of the step; P across one group, a partial last group, many
    /// groups, and n with SIMD tails.
    func testSignProductEqualsItsDefinition() {
        var generator = SystemRandomNumberGenerator()
        for (p, n) in [(1, 3), (5, 21), (8, 8), (13, 40), (64, 17), (100, 100), (130, 61)] {
            let signs = ReLUSignProduct(train: p, points: max(n, p))!
            let n = max(n, p)
            XCTAssertEqual(signs.groups, (p + signs.width - 1) / signs.width)
            XCTAssertLessThanOrEqual(signs.tableCount * 8, 1 << 20)
            let right = (0..<(p * n)).map { _ in Double.random(in: -1...1, using: &generator) }
            var tables = [Double](repeating: .nan, count: signs.tableCount)
            signs.tabulate(right, into: &tables)
            let delta = (0..<p).map { _ in Double.random(in: -1...1, using: &generator) }
            for trial in 0..<20 {
                var h = (0..<n).map { _ in Double.random(in: -1...1, using: &generator) }
                h[trial % n] = trial % 2 == 0 ? 0.0 : -0.0
                if trial == 3 { h[n - 1] = .nan }
                if trial == 4 { for j in 0..<p { h[j] = 1 } }
                var bits = [UInt8](repeating: 0xFF, count: signs.groups)
                signs.pack(h, into: &bits)
                for mu in 0..<p {
                    let s = mu / signs.width, j = mu % signs.width
                    XCTAssertEqual((bits[s] >> j) & 1 == 1, h[mu] > 0, "P = \(p), bit \(mu)")
                }
                for s in 0..<signs.groups where (s + 1) * signs.width > p { XCTAssertLessThan(Int(bits[s]), 1 << (p - s * signs.width)) }
                // One row's step and refresh.
                let z = Double.random(in: -2...2, using: &generator), decay = 0.975, rate = 0.05
                var row = h, newBits = bits, sum = (0..<n).map { Double($0) }
                let rows = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: signs.groups)
                defer { rows.deallocate() }
                let updated = tables.withUnsafeBufferPointer { t in
                    signs.step(&row, readout: z, bits: &newBits, tables: t.baseAddress!, delta: delta, decay: decay, rate: rate, sum: &sum, rows: rows)
                }
                var dz = 0.0
                for mu in 0..<p where h[mu] > 0 { dz += h[mu] * delta[mu] }
                XCTAssertEqual(updated, decay * z + rate * dz, accuracy: 1e-14 * Double(p))
                for nu in 0..<n {
                    var exact = 0.0, scale = 0.0
                    for mu in 0..<p where h[mu] > 0 { exact += right[mu * n + nu]; scale += abs(right[mu * n + nu]) }
                    let expected = decay * h[nu] + rate * z * exact
                    let bound = 2.2 * Double(p) * 0x1p-53 * rate * abs(z) * scale + 4 * 0x1p-53 * (abs(decay * h[nu]) + abs(expected))
                    if h[nu].isNaN { XCTAssertTrue(row[nu].isNaN); continue }
                    XCTAssertEqual(row[nu], expected, accuracy: bound, "P = \(p) n = \(n) column \(nu)")
                    XCTAssertEqual(sum[nu], Double(nu) + updated * max(row[nu], 0), accuracy: 1e-15 * (abs(sum[nu]) + 1))
                }
                var packed = [UInt8](repeating: 0, count: signs.groups)
                signs.pack(row, into: &packed)
                XCTAssertEqual(newBits, packed)
                // A trial step (no sum) leaves the bits alone.
                var trialRow = h, trialBits = bits
                _ = tables.withUnsafeBufferPointer { t in
                    signs.step(&trialRow, readout: z, bits: &trialBits, tables: t.baseAddress!, delta: delta, decay: decay, rate: rate, sum: nil, rows: rows)
                }
                XCTAssertEqual(trialBits, bits)
                XCTAssertEqual(trialRow.map(\.bitPattern), row.map(\.bitPattern))
            }
        }
        // Every pattern of eight signs (one group of k = 8): the multiplication that gathers the bytes is exact.
        let eight = ReLUSignProduct(train: 8, points: 8)!
        XCTAssertEqual(eight.width, 8)
        for pattern in 0..<256 {
            let h = (0..<8).map { (pattern >> $0) & 1 == 1 ? 0x1p-1074 : -0.0 }
            var bits: [UInt8] = [0]
            eight.pack(h, into: &bits)
            XCTAssertEqual(Int(bits[0]), pattern)
        }
        // k for the benchmark's size: 6 (17 tables of 64 rows of 100 doubles, 870 KB).
        XCTAssertEqual(ReLUSignProduct(train: 100, points: 100)?.width, 6)
        // Beyond 1 MiB of tables at k = 4 (32 P n bytes > 2^20): no product by sign bits; the stepper keeps dgemm.
        XCTAssertNotNil(ReLUSignProduct(train: 180, points: 180))
        XCTAssertNil(ReLUSignProduct(train: 181, points: 181))
    }

    /// A trial step (`advance`, by sign bits) leaves the stepper's caches alone: a real step after it is
    /// bitwise the real step without it.
    func testTrialStepLeavesTheSignBitsAlone() throws {
        let data = try ANTKStepBenchmark.data(points: 21, testPoints: 5, dimension: 30)
        let start = try ANTKStepBenchmark.population(neurons: 37, data: data)
        var a = start, b = start
        let first = ANTKPopulationStepper(population: a, data: data, reduced: false)
        let second = ANTKPopulationStepper(population: b, data: data, reduced: false)
        XCTAssertNotNil(first.signs)
        var f = first.refresh(a), g = second.refresh(b)
        for _ in 0..<3 {
            var trial = a
            first.advance(&trial, predictions: f, dt: 0.05)
            XCTAssertNotEqual(trial.fields, a.fields)
            f = first.step(&a, predictions: f, dt: 0.05)
            g = second.step(&b, predictions: g, dt: 0.05)
            XCTAssertEqual(a.fields.map(\.bitPattern), b.fields.map(\.bitPattern))
            XCTAssertEqual(f.map(\.bitPattern), g.map(\.bitPattern))
        }
    }

    func testRankFormChosenWhenCheaper() throws {
        // D (P + n) < P n: 8 (40 + 50) < 40 * 50; and 64 (10 + 10) > 10 * 10.
        let digitsLike = try ANTKStepBenchmark.data(points: 40, testPoints: 10, dimension: 8)
        let small = try ANTKStepBenchmark.data(points: 10, testPoints: 0, dimension: 64)
        XCTAssertTrue(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: digitsLike), data: digitsLike).reduced)
        XCTAssertFalse(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: small), data: small).reduced)
        // ReLU by sign bits (GV23e) only where its tables fit in 1 MiB: P = n = 10 yes, P = n = 200 (D = 512: dense) no.
        XCTAssertNotNil(ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: small), data: small).signs)
        let large = try ANTKStepBenchmark.data(points: 200, testPoints: 0, dimension: 512)
        let largeStepper = ANTKPopulationStepper(population: try ANTKStepBenchmark.population(neurons: 16, data: large), data: large)
        XCTAssertFalse(largeStepper.reduced)
        XCTAssertNil(largeStepper.signs)
    }
}
