import XCTest
import Core
import Numerics
@testable import Theory

/// The O(1/N) fluctuations of the whitened deep linear aNBK (notes/fluctuations-bayes.md (FB8)-(FB12)).
final class WhitenedFluctuationsTests: XCTestCase {
    func r(_ text: String) -> BigRational { try! BigRational(parsing: text) }

    func problem(gamma: String, beta: String, depth: Int) throws -> WhitenedProblem {
        try WhitenedProblem(gamma: r(gamma), beta: InverseTemperature(parsing: beta), depth: depth)
    }

    /// `reference` (25 digits) lies in the enclosure widened by 1e-23 relative; the enclosure is narrow.
    func assertEncloses(_ x: Interval, _ reference: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let value = r(reference), slack = r("1e-23") * (value.signum < 0 ? -value : value)
        XCTAssertLessThanOrEqual(x.lower.rational - slack, value, what, file: file, line: line)
        XCTAssertGreaterThanOrEqual(x.upper.rational + slack, value, what, file: file, line: line)
        XCTAssertLessThan(x.width.rational, r("1e-25"), what + " too wide", file: file, line: line)
    }

    /// Against notes/checks/fluctuations_bayes_reference.py: dense mpmath Hessians by numerical
    /// differentiation of (FB5) and of the exact 2 x 2 block form (FB1), dense inverses, numerical grad F
    /// (independent of the tridiagonal algebra (FB9) and of the hand-derived (FB6), (FB7)).
    func testAgreesWithTheDenseMpmathReference() throws {
        let cases: [(gamma: String, beta: String, depth: Int, points: Int, variance: [String], shift: [String], labelMean: String, orthogonalMean: String, kernel: String)] = [
            ("1", "2", 2, 3, ["2.382268849137103815000118", "7.48826980292200538208912"],
             ["-0.06765131233621508569867629", "-1.013140030059015749546459"],
             "0.06723230466436697907662783", "0.05783528688272277973234047", "1.720918866991333931343236"),
            ("3/2", "5", 3, 6, ["2.591027548284197866789727", "9.994360855969595902625939", "27.23546998792927714149189"],
             ["2.433184901608554402947646", "4.430439637557870807473765", "4.511613485236793448272809"],
             "0.004697437118432400679996266", "0.01025923142633169653538631", "1.589874166331368809485886"),
            ("1/2", "1", 1, 8, ["2.121111093099841159988031"], ["-0.5352464063045570450880586"],
             "0.1172292106405302281509857", "0.06055218851228208559776147", "0.251892360829685018124813"),
        ]
        for c in cases {
            let f = try WhitenedFluctuations.certified(problem: problem(gamma: c.gamma, beta: c.beta, depth: c.depth), points: c.points, digits: 30)
            for l in 0..<c.depth {
                assertEncloses(f.overlapVariance[l], c.variance[l], "N Var c_\(l + 1), gamma \(c.gamma)")
                assertEncloses(f.overlapMeanShift[l], c.shift[l], "N shift c_\(l + 1), gamma \(c.gamma)")
            }
            assertEncloses(f.labelPredictorMeanVariance, c.labelMean, "label-direction predictor variance")
            assertEncloses(f.orthogonalPredictorMeanVariance, c.orthogonalMean, "orthogonal predictor variance")
            assertEncloses(f.kernelDiagonalVariance, c.kernel, "kernel diagonal variance")
        }
    }

    /// (FB12) Lazy limit: N Var c_l = 2 l and N (E c_l - 1) = -l/(1 + b) exactly, for any P (the
    /// (P +- 1) terms and the cubic term cancel); the readout variance is unbounded (nil) at finite beta.
    func testLazyLimitIsTheUniversalStaticForm() throws {
        for (beta, points) in [("2", 1), ("1/3", 5), ("inf", 9)] {
            let depth = 6
            let f = try WhitenedFluctuations.certified(problem: problem(gamma: "0", beta: beta, depth: depth), points: points, digits: 30)
            let b = try InverseTemperature(parsing: beta).ridge
            for l in 1...depth {
                let variance = BigRational(2 * l), shift = -BigRational(l) / (BigRational(1) + b)
                XCTAssertTrue(f.overlapVariance[l - 1].lower.rational <= variance && variance <= f.overlapVariance[l - 1].upper.rational, "Var c_\(l), beta \(beta)")
                XCTAssertTrue(f.overlapMeanShift[l - 1].lower.rational <= shift && shift <= f.overlapMeanShift[l - 1].upper.rational, "shift c_\(l), beta \(beta), P \(points)")
            }
            if b.isZero {
                XCTAssertEqual(f.labelPredictionVariance?.upper.rational, BigRational(0))
            } else {
                XCTAssertNil(f.labelPredictionVariance)
            }
        }
    }

    /// L = 1 in closed form: H = 1/(2 c^2) + g/(c + b)^3 (FB6), so N Var c = 1/H.
    func testOneLayerClosedForm() throws {
        let p = try problem(gamma: "2", beta: "3", depth: 1)
        let f = try WhitenedFluctuations.certified(problem: p, points: 4, digits: 30)
        let c = f.overlaps[0], g = Interval(BigRational(4), precision: 256), b = Interval(r("1/3"), precision: 256)
        let expected = Interval(1, precision: 256) / (Interval(1, precision: 256) / (2 * (c * c)) + g / ((c + b) * (c + b) * (c + b)))
        let difference = f.overlapVariance[0].midpoint.rational - expected.midpoint.rational
        XCTAssertLessThan(abs(difference.doubleApproximation), 1e-25)
    }

    /// The deep-network claim of notes/fluctuations-bayes.md section 7: at large gamma N Var(c_l) grows
    /// across the layers (faster than the lazy 2 l), while the signal-to-noise ratio c_l / sqrt(N Var c_l)
    /// stays above the lazy 1/sqrt(2 l) at every layer (values at gamma = 4, beta = 10, L = 4, P = 4).
    func testKernelVarianceAccumulatesAcrossLayersWhileTheSignalToNoiseRatioImproves() throws {
        let f = try WhitenedFluctuations.certified(problem: problem(gamma: "4", beta: "10", depth: 4), points: 4, digits: 20)
        let variance = f.overlapVariance.map { $0.midpoint.rational.doubleApproximation }
        let overlap = f.overlaps.map { $0.midpoint.rational.doubleApproximation }
        for l in 1..<4 { XCTAssertGreaterThan(variance[l], 2 * variance[l - 1], "layer \(l + 1)") }
        XCTAssertGreaterThan(variance[3], 4 * 8, "far above the lazy 2 L")
        for l in 0..<4 {
            let snr = overlap[l] / variance[l].squareRoot(), lazy = 1 / (2 * Double(l + 1)).squareRoot()
            XCTAssertGreaterThan(snr, 1.5 * lazy, "layer \(l + 1): SNR \(snr) against the lazy \(lazy)")
        }
        XCTAssertEqual(variance[3], 339.673, accuracy: 1e-3)
    }

    /// Depth beyond the O(L) budget and P = 0 are refused with their own errors.
    func testRefusesOutOfRangeInput() throws {
        XCTAssertThrowsError(try WhitenedFluctuations.certified(problem: problem(gamma: "1", beta: "2", depth: 200_000), points: 2, digits: 10)) {
            XCTAssertEqual($0 as? WhitenedFluctuations.Failure, .depthTooLarge(200_000, maximum: WhitenedFluctuations.maximumDepth))
        }
        XCTAssertThrowsError(try WhitenedFluctuations.certified(problem: problem(gamma: "1", beta: "2", depth: 2), points: 0, digits: 10)) {
            XCTAssertEqual($0 as? WhitenedFluctuations.Failure, .pointsOutOfRange(0, maximum: WhitenedFluctuations.maximumPoints))
        }
    }
}
