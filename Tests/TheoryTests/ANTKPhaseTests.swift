import XCTest
@testable import Core
import Numerics
@testable import Theory

/// The saddle node (A17) against the note's table (section 5) and the L = 1 threshold (A10).
final class ANTKPhaseTests: XCTestCase {
    func text(_ x: Interval, _ digits: Int) -> String { x.certifiedDecimal(significantDigits: digits)?.text ?? "undecided" }

    func testCriticalGammaTable() throws {
        let expected: [(Int, String, String)] = [
            (2, "1.754765350603323281092291869062665", "256/27"),
            (3, "1.889881574842309747150815910917343", "729/16"),
            (4, "1.937819240878384532463338929265458", "16777216/84375"),
            (8, "1.984395249018115762371340929973019", "\(BigInt.power(base: 16, exponent: 16))/\(BigInt.power(base: 7, exponent: 7) * BigInt.power(base: 9, exponent: 9))"),
        ]
        for (depth, gamma, power) in expected {
            let point = try ANTKPhase().critical(lambda: .one, depth: depth, digits: 34)
            XCTAssertEqual(text(point.gamma, 34), gamma)
            XCTAssertEqual(text(point.ratio, 34), gamma)
            XCTAssertEqual(point.gammaPower, try BigRational(parsing: power))
            XCTAssertEqual(point.criticalOverlap, BigRational(depth - 1, 2 * depth))
        }
        let half = try ANTKPhase().critical(lambda: BigRational(1, 2), depth: 2, digits: 34)
        XCTAssertEqual(text(half.gamma, 34), "1.043389720048858211056323666105793")
    }

    /// L = 1: gamma_c^2 y^T C y = lambda^2 with |y| = 1, i.e. gamma_c = lambda, and the solver's
    /// branch count switches there.
    func testDepthOneThresholdIsLambda() throws {
        for lambda in [BigRational(1), BigRational(7, 3), BigRational(1, 1000)] {
            let point = try ANTKPhase().critical(lambda: lambda, depth: 1, digits: 25)
            XCTAssertEqual(point.gammaPower, lambda * lambda)
            XCTAssertTrue(point.gamma.lower.rational <= lambda && lambda <= point.gamma.upper.rational)
            XCTAssertEqual(text(point.ratio, 25), "1.000000000000000000000000")
            let tiny = BigRational(1) / BigRational(BigInt.power(base: 10, exponent: 20))
            let below = try WhitenedANTKProblem(gamma: lambda * (.one - tiny), lambda: lambda, depth: 1)
            let above = try WhitenedANTKProblem(gamma: lambda * (.one + tiny), lambda: lambda, depth: 1)
            XCTAssertEqual(try ANTKPolynomials.branchCount(below), .none)
            XCTAssertEqual(try ANTKPolynomials.branchCount(above), .one)
            XCTAssertEqual(try ANTKPolynomials.branchCount(try WhitenedANTKProblem(gamma: lambda, lambda: lambda, depth: 1)), .none)
        }
    }

    /// gamma_c -> 2 sqrt(lambda) as L -> infinity (A17).
    func testLargeDepthLimit() throws {
        let point = try ANTKPhase().critical(lambda: BigRational(4), depth: 2000, digits: 15)
        XCTAssertEqual(point.gamma.midpoint.doubleApproximation, 4, accuracy: 0.01)
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try ANTKPhase().critical(lambda: .zero, depth: 2))
        XCTAssertThrowsError(try ANTKPhase().critical(lambda: .one, depth: 0))
    }
}
