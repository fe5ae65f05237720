import Foundation
import XCTest
import Numerics
@testable import Theory

/// notes/fluctuations-gradient-flow.md (FG40)-(FG43): the Taylor integrator against the lazy limit's closed forms and
/// mpmath's odefun (notes/checks/fluctuations_gradient_flow_digits.py) to 28 digits, against the RK4 solver within the
/// two methods' residuals, and its residual against its actual error.
final class HighPrecisionGradientFlowFluctuationsTests: XCTestCase {
    typealias HP = HighPrecisionGradientFlowFluctuations

    /// |x - reference| <= tolerance, in multiprecision.
    func assertClose(_ x: Dyadic, _ reference: Dyadic, _ tolerance: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let difference = Dyadic.sum(x, reference.negated, bits: 256, .up).magnitude
        XCTAssertTrue(difference.isZero || difference.log2Magnitude <= log2(tolerance),
                      "\(message): \(x.decimalString(significantDigits: 35, .nearest)) vs \(reference.decimalString(significantDigits: 35, .nearest))",
                      file: file, line: line)
    }

    func decimal(_ text: String) -> Dyadic { Dyadic(try! BigRational(parsing: text), bits: 256, .down) }

    /// (FG11) at gamma = 0, lambda = 0, t = 1/2 (P = 2): I_1 = I_2 = e^{-4t}, K_1 = 4 t^2 e^{-4t}, K_2 = t^2 e^{-4t},
    /// N Var(tr K/P) = 2 + 2/P, N Var c_1 = 2, N Var f* = 1/gamma^2 (its initial part 1), N (E c_1 - c_1) = -(1 - e^{-4t})/2.
    func testLazyLimitToThirtyDigits() throws {
        let hp = try HP(gamma: BigRational(0), lambda: BigRational(0), time: BigRational(1, 2), intervals: 1, points: 2, digits: 30)
        XCTAssertNil(hp.labelPrediction.total)
        let bits = 300
        let e = Interval.exp(Interval(Dyadic(-2), precision: bits)).midpoint   // e^{-4t}, enclosure far below 1e-30
        func scaled(_ x: Dyadic, _ num: Int, _ den: Int) -> Dyadic {
            Dyadic.quotient(Dyadic.product(x, Dyadic(num), bits: bits, .down), Dyadic(den), bits: bits, .down)
        }
        let cases: [(Dyadic, Dyadic, String)] = [
            (hp.labelPrediction.initial.values[1], e, "I_1"), (hp.orthogonalPrediction!.initial.values[1], e, "I_2"),
            (hp.labelPrediction.kernel.values[1], e, "K_1"), (hp.orthogonalPrediction!.kernel.values[1], scaled(e, 1, 4), "K_2"),
            (hp.testPrediction.initial.values[1], .one, "I*"), (hp.ntkVariance.values[1], Dyadic(3), "tr K/P"),
            (hp.overlapVariance.values[1], Dyadic(2), "c_1"),
            (hp.overlapMeanShift.values[1], scaled(Dyadic.sum(e, Dyadic(-1), bits: bits, .down), 1, 2), "shift"),
        ]
        for (value, exact, name) in cases { assertClose(value, exact, 1e-29, name) }
        for s in [hp.labelPrediction.kernel, hp.ntkVariance, hp.overlapMeanShift] {
            XCTAssertTrue(s.residuals[1].isZero || s.residuals[1].log2Magnitude < log2(1e-30))
        }
    }

    /// gamma = 1, lambda = 1/2, P = 2, t = 1/2 and 1: mpmath's odefun at 32 and 42 digits on the full Gram formulation with
    /// one second-order tangent per direction (`fluctuations_gradient_flow_digits.py 1 1/2 1 2 2 32`, agreement 1e-33).
    func testMpmathReferenceToTwentyEightDigits() throws {
        let hp = try HP(gamma: BigRational(1), lambda: BigRational(1, 2), time: BigRational(1), intervals: 2, points: 2, digits: 30)
        let reference: [(HP.Series, [String], String)] = [
            (hp.labelPrediction.total!, REFERENCE_F1, "N Var f_1"),
            (hp.orthogonalPrediction!.total!, REFERENCE_F2, "N Var f_2"),
            (hp.testPrediction.total!, REFERENCE_FSTAR, "N Var f*"),
            (hp.ntkVariance, REFERENCE_NTK, "N Var(tr K/P)"),
            (hp.overlapVariance, REFERENCE_C1, "N Var c_1"),
            (hp.overlapMeanShift, REFERENCE_SHIFT, "N (E c_1 - c_1)"),
            (hp.meanPrediction, REFERENCE_MEAN, "f_1"),
        ]
        for (series, values, name) in reference {
            for (i, text) in values.enumerated() {
                assertClose(series.values[i + 1], decimal(text), 1e-28, "\(name) at t = \(i + 1)/2")
                // The stated residual is below 10^-30 |value| (FG43).
                let r = series.residuals[i + 1]
                XCTAssertTrue(r.isZero || r.log2Magnitude - series.values[i + 1].log2Magnitude <= log2(1e-30), name)
            }
        }
    }

    /// The RK4 solver (FG10) agrees within its residual (Richardson) plus the Taylor residual and double rounding.
    func testAgreesWithRungeKuttaWithinResiduals() throws {
        for (gamma, lambda, p) in [(1, BigRational(1, 2), 2), (2, BigRational(0), 1)] {
            let hp = try HP(gamma: BigRational(gamma), lambda: lambda, time: BigRational(1), intervals: 2, points: p, digits: 16)
            let rk = try GradientFlowFluctuations(gamma: Double(gamma), lambda: lambda.doubleApproximation, time: 1, intervals: 2, points: p)
            var pairs: [(HP.Series, GradientFlowFluctuations.Series, String)] = [
                (hp.labelPrediction.total!, rk.labelPrediction.total!, "f_1"), (hp.labelPrediction.kernel, rk.labelPrediction.kernel, "K_1"),
                (hp.testPrediction.total!, rk.testPrediction.total!, "f*"), (hp.ntkVariance, rk.ntkVariance, "tr K/P"),
                (hp.overlapVariance, rk.overlapVariance, "c_1"), (hp.overlapMeanShift, rk.overlapMeanShift, "shift"),
                (hp.meanPrediction, rk.meanPrediction, "mean f_1"), (hp.meanOverlap, rk.meanOverlap, "mean c_1"),
            ]
            if p >= 2 { pairs.append((hp.orthogonalPrediction!.total!, rk.orthogonalPrediction!.total!, "f_2")) }
            for (a, b, name) in pairs {
                for i in 0..<3 {
                    let x = a.values[i].doubleApproximation, tolerance = b.residuals[i] + a.residuals[i].doubleApproximation + 1e-13 * max(1, abs(x))
                    XCTAssertEqual(x, b.values[i], accuracy: tolerance, "gamma \(gamma) \(name) t = \(i)/2")
                }
            }
        }
    }

    /// The residual of a 12-digit run bounds its actual error (measured against a 24-digit run), and the error is
    /// below 10^-12 relative; the order and the bits grow with D (FG42).
    func testResidualBoundsTheError() throws {
        let low = try HP(gamma: BigRational(3, 2), lambda: BigRational(1, 4), time: BigRational(2), intervals: 2, points: 2, digits: 12)
        let high = try HP(gamma: BigRational(3, 2), lambda: BigRational(1, 4), time: BigRational(2), intervals: 2, points: 2, digits: 24)
        XCTAssertLessThan(low.order, high.order)
        XCTAssertLessThan(low.bits, high.bits)
        var largestError = 0.0
        for (a, b) in [(low.labelPrediction.total!, high.labelPrediction.total!), (low.ntkVariance, high.ntkVariance),
                       (low.overlapVariance, high.overlapVariance), (low.overlapMeanShift, high.overlapMeanShift),
                       (low.orthogonalPrediction!.kernel, high.orthogonalPrediction!.kernel)] {
            for i in 1...2 {
                let error = Dyadic.sum(a.values[i], b.values[i].negated, bits: 128, .up).magnitude
                guard !error.isZero else { continue }
                XCTAssertLessThanOrEqual(error, a.residuals[i])
                largestError = max(largestError, error.doubleApproximation / abs(b.values[i].doubleApproximation))
            }
        }
        XCTAssertLessThan(largestError, 1e-12)
        XCTAssertGreaterThan(largestError, 0)   // the two runs differ: the comparison is not vacuous
    }

    func testBadInput() {
        XCTAssertThrowsError(try HP(gamma: BigRational(1), lambda: BigRational(0), time: BigRational(1), intervals: 1, points: 7, digits: 10))
        XCTAssertThrowsError(try HP(gamma: BigRational(1), lambda: BigRational(0), time: BigRational(1), intervals: 1, points: 2, digits: 0))
        XCTAssertThrowsError(try HP(gamma: BigRational(-1), lambda: BigRational(0), time: BigRational(1), intervals: 1, points: 2, digits: 10))
    }
}

// `python3 notes/checks/fluctuations_gradient_flow_digits.py 1 1/2 1 2 2 32` (P = 2, gamma = 1, lambda = 1/2; t = 1/2, 1).
private let REFERENCE_F1 = ["0.1914949537373724338158006343573", "0.070010787360919652940058035021087"]
private let REFERENCE_F2 = ["0.10141982666809984310636174405094", "0.024977282003394057860340071632453"]
private let REFERENCE_FSTAR = ["0.46304381138517688847579122373921", "0.24244475981523872632660068136242"]
private let REFERENCE_NTK = ["1.3439230427135583958104053096246", "0.47786281882637273638575117325733"]
private let REFERENCE_C1 = ["0.84255209087587639031275153994078", "0.30260699719168523298966685142936"]
private let REFERENCE_SHIFT = ["-0.34494225084817469201115941518917", "-0.28816133216172945407346214747443"]
private let REFERENCE_MEAN = ["0.4636229073698251379847467685113", "0.54679928283509448045406085543092"]
