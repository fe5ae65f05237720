import XCTest
import Numerics
@testable import Simulation
@testable import Core

final class StatisticsTests: XCTestCase {
    /// Reference values: scipy.stats.t.isf(p / 2, dof).
    func testStudentTQuantilesMatchReference() {
        let cases: [(Double, Int, Double)] = [(0.05, 9, 2.2621571627982053), (0.003, 9, 4.023986653432177),
                                              (0.002, 19, 3.579400148954716), (0.002 / 72, 19, 5.475835731208372),
                                              (0.05, 1000, 1.9623390808264085), (0.01, 3, 5.840909309733357)]
        for (p, dof, expected) in cases {
            XCTAssertEqual(StudentT.twoSidedQuantile(p: p, dof: dof), expected, accuracy: 1e-6 * expected)
        }
        XCTAssertEqual(StudentT.normalUpperQuantile(0.025), 1.959963984540054, accuracy: 1e-8)
    }

    /// ControlVariateMean (notes/neural-dynamical-kernel.md (NK19)) on y = 2 + 3 (c - 1) + 0.1 e with c ~ N(1, 1)
    /// of known mean 1: the estimate is 2 within its bar, the bar is about 0.1/sqrt(n) (the plain mean's is
    /// about 3/sqrt(n)), and over 400 replications the two-sided 95% t interval covers 2 in 93-97% of them
    /// (binomial sd 1.1%).
    func testControlVariateMeanRemovesTheExplainedVarianceAndIsCalibrated() {
        let n = 40
        var covered = 0
        for replication in 0..<400 {
            let c = NormalSampler.vector(n, seed: NormalSampler.derive(11, UInt64(replication), 0)).map { $0 + 1 }
            let e = NormalSampler.vector(n, seed: NormalSampler.derive(11, UInt64(replication), 1))
            let y: [Double] = (0..<n).map { (i: Int) -> Double in 2.0 + 3.0 * (c[i] - 1.0) + 0.1 * e[i] }
            let result = ControlVariateMean.estimate(samples: y, controls: c.map { [$0] }, means: [1])
            XCTAssertEqual(result.estimate.degreesOfFreedom, n - 2)
            if replication == 0 {
                XCTAssertGreaterThan(result.varianceReduction, 0.99)
                XCTAssertEqual(result.estimate.standardError, 0.1 / Double(n).squareRoot(), accuracy: 0.01)
            }
            let k = StudentT.twoSidedQuantile(p: 0.05, dof: n - 2)
            if abs(result.estimate.value - 2) <= k * result.estimate.standardError { covered += 1 }
        }
        XCTAssertGreaterThanOrEqual(covered, 372)
        XCTAssertLessThanOrEqual(covered, 388)
        // degenerate controls (constant): the plain mean
        let plain = ControlVariateMean.estimate(samples: [1, 2, 3, 4, 5], controls: Array(repeating: [1], count: 5), means: [1])
        XCTAssertEqual(plain.controls, 0)
        XCTAssertEqual(plain.estimate.value, 3, accuracy: 1e-15)
        XCTAssertEqual(plain.estimate.standardError, (2.5 / 5).squareRoot(), accuracy: 1e-15)
    }

    func testInverseWidthFitRecoversALine() {
        let widths = [64, 128, 256, 512]
        let values = widths.map { 2.5 - 7 / Double($0) }
        let fit = InverseWidthFit(widths: widths, points: values.map { Estimate(value: $0, standardError: 0.01) })
        XCTAssertEqual(fit.intercept.value, 2.5, accuracy: 1e-12)
        XCTAssertEqual(fit.slope, -7, accuracy: 1e-9)
        XCTAssertEqual(fit.reducedChiSquare, 0, accuracy: 1e-12)
        XCTAssertGreaterThan(fit.intercept.standardError, 0.005) // extrapolating beyond the data widens the bar
        XCTAssertEqual(fit.coefficients.reduce(0, +), 1, accuracy: 1e-12)
    }

    /// Two widths N and 2N: the fit is exact and the intercept is 2 O(2N) - O(N) (c = (-1, 2)), so by
    /// hand se = sqrt(se_1^2 + 4 se_2^2), systematic = sys_1 + 2 sys_2, dof = the smaller of the two.
    func testInverseWidthFitOfTwoWidthsByHand() {
        let a = Estimate(value: 1.3, standardError: 0.03, systematic: 0.01, degreesOfFreedom: 4)
        let b = Estimate(value: 1.2, standardError: 0.02, systematic: 0.005, degreesOfFreedom: 9)
        let fit = InverseWidthFit(widths: [100, 200], points: [a, b])
        XCTAssertEqual(fit.intercept.value, 2 * 1.2 - 1.3, accuracy: 1e-12)
        XCTAssertEqual(fit.intercept.standardError, (0.03 * 0.03 + 4 * 0.02 * 0.02).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(fit.intercept.systematic, 0.01 + 2 * 0.005, accuracy: 1e-12)
        XCTAssertEqual(fit.intercept.degreesOfFreedom, 4)
        XCTAssertEqual(fit.coefficients[0], -1, accuracy: 1e-12)
        XCTAssertEqual(fit.coefficients[1], 2, accuracy: 1e-12)
        XCTAssertTrue(fit.reducedChiSquare.isNaN)
    }

    /// Mean over seeds: values 1, 3 (bounds 0.1, 0.2): mean 2, se = sd / sqrt(2) = 1, 1 dof, systematic the larger bound.
    func testMeanOfIndependentRunsByHand() {
        let m = Estimate.mean(ofIndependent: [.bounded(1, systematic: 0.1), .bounded(3, systematic: 0.2)])
        XCTAssertEqual(m.value, 2)
        XCTAssertEqual(m.standardError, 1, accuracy: 1e-12)
        XCTAssertEqual(m.systematic, 0.2)
        XCTAssertEqual(m.degreesOfFreedom, 1)
        // Runs with their own standard errors: var/n + sum se_i^2 / n^2 = 0 + (0.3^2 + 0.4^2) / 4.
        let s = Estimate.mean(ofIndependent: [Estimate(value: 5, standardError: 0.3), Estimate(value: 5, standardError: 0.4)])
        XCTAssertEqual(s.standardError, 0.25, accuracy: 1e-12)
    }

    func testBatchMeansOfIndependentNoise() {
        var buffer = [Double](repeating: 0, count: 40_000)
        buffer.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: 7) }
        let e = BatchMeans.estimate(buffer)
        XCTAssertEqual(e.standardError, 1 / 200, accuracy: 0.4 / 200) // 20 batches: se of se ~ 16%
        XCTAssertLessThan(abs(e.mean), 5 * e.standardError)
    }

    func testNormalSamplerIsDeterministicAndStandard() {
        var a = [Double](repeating: 0, count: 100_001), b = a
        a.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: 42) }
        b.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: 42) }
        XCTAssertEqual(a, b)
        let n = Double(a.count)
        let mean = a.reduce(0, +) / n
        let variance = a.reduce(0) { $0 + $1 * $1 } / n - mean * mean
        let fourth = a.reduce(0) { $0 + pow($1, 4) } / n
        XCTAssertLessThan(abs(mean), 5 / n.squareRoot())
        XCTAssertLessThan(abs(variance - 1), 5 * (2 / n).squareRoot())
        XCTAssertLessThan(abs(fourth - 3), 5 * (96 / n).squareRoot())
        var c = a
        c.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: 43) }
        XCTAssertNotEqual(a, c)
    }

    func testNormalSamplerDistribution() {
        // Kolmogorov-Smirnov against the normal CDF on 10^6 draws: sqrt(n) D < 1.95 at p = 0.001; and the
        // ziggurat's tail (|z| > r = 3.4426, reached only through layer 0) with its binomial frequency.
        let n = 1_000_000
        var a = [Double](repeating: 0, count: n)
        a.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: 7) }
        a.sort()
        var d = 0.0
        for (i, z) in a.enumerated() {
            let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
            d = max(d, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
        }
        XCTAssertLessThan(d * Double(n).squareRoot(), 1.95)
        let tail = erfc(NormalSampler.zigguratR / 2.0.squareRoot())      // P(|z| > r) = 5.8e-4
        let count = Double(a.filter { abs($0) > NormalSampler.zigguratR }.count)
        XCTAssertLessThan(abs(count - tail * Double(n)), 5 * (tail * Double(n)).squareRoot())
        XCTAssertGreaterThan(a.last!, 4.0)   // the tail is reached (P(max < 4) = 1e-14 for 10^6 draws)
    }

    /// The fast loop of `fillSerial` (inline rectangle test, rejections out of line) draws exactly what the
    /// one-draw ziggurat loop of eq. V45 (written out here as the reference: rectangle, tail, wedge, retry)
    /// draws: the same values bit for bit and the generator left in the same state, over 3 x 10^5 draws
    /// (about 3000 rejections, some of them in the tail); `ziggurat` (one draw) agrees as well.
    func testZigguratFastLoopIsBitwiseTheOneDrawLoop() {
        let n = 300_000
        let x = NormalSampler.zigguratX, ratio = NormalSampler.zigguratRatio, r = NormalSampler.zigguratR
        func open01(_ g: inout SeededGenerator) -> Double { Double((g.next() >> 11) + 1) * 0x1p-53 }
        func reference(_ g: inout SeededGenerator) -> Double {
            while true {
                let bits = g.next()
                let layer = Int(truncatingIfNeeded: bits & 0x7F)
                let u = Double(bits >> 11) * 0x1p-52 - 1.0
                if abs(u) < ratio[layer] { return u * x[layer] }
                if layer == 0 {
                    var a = 0.0, b = 0.0
                    repeat { a = -log(open01(&g)) / r; b = -log(open01(&g)) } while b + b < a * a
                    return u < 0 ? -(r + a) : r + a
                }
                let value = u * x[layer]
                let f0 = exp(-0.5 * (x[layer] * x[layer] - value * value))
                let f1 = exp(-0.5 * (x[layer + 1] * x[layer + 1] - value * value))
                if f1 + open01(&g) * (f0 - f1) < 1 { return value }
            }
        }
        var fast = [Double](repeating: .nan, count: n)
        var g1 = SeededGenerator(seed: 11), g2 = SeededGenerator(seed: 11), g3 = SeededGenerator(seed: 11)
        fast.withUnsafeMutableBufferPointer { NormalSampler.fillSerial($0.baseAddress!, count: n, generator: &g1) }
        let slow = (0..<n).map { _ in reference(&g2) }
        let single = x.withUnsafeBufferPointer { xp in
            ratio.withUnsafeBufferPointer { rp in (0..<n).map { _ in NormalSampler.ziggurat(&g3, xp.baseAddress!, rp.baseAddress!) } }
        }
        XCTAssertEqual(fast.map(\.bitPattern), slow.map(\.bitPattern))
        XCTAssertEqual(single.map(\.bitPattern), slow.map(\.bitPattern))
        XCTAssertEqual(g1.next(), g2.next())
        XCTAssertGreaterThan(fast.filter { abs($0) > r }.count, 50)
    }
}
