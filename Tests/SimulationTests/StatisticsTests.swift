import XCTest
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

    func testInverseWidthFitRecoversALine() {
        let widths = [64, 128, 256, 512]
        let values = widths.map { 2.5 - 7 / Double($0) }
        let fit = InverseWidthFit(widths: widths, values: values, standardErrors: [0.01, 0.01, 0.01, 0.01])
        XCTAssertEqual(fit.intercept, 2.5, accuracy: 1e-12)
        XCTAssertEqual(fit.slope, -7, accuracy: 1e-9)
        XCTAssertEqual(fit.reducedChiSquare, 0, accuracy: 1e-12)
        XCTAssertGreaterThan(fit.interceptStandardError, 0.005) // extrapolating beyond the data widens the bar
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
}
