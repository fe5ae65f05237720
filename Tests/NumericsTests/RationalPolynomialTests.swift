import XCTest
@testable import Numerics

final class RationalPolynomialTests: XCTestCase {
    func testSturmCountsPositiveRoots() {
        let x = RationalPolynomial.x
        func constant(_ v: Int) -> RationalPolynomial { RationalPolynomial(constant: BigRational(v)) }
        // (x − 1)(x − 2)(x + 3): two positive roots.
        let p = (x - constant(1)) * (x - constant(2)) * (x + constant(3))
        XCTAssertEqual(p.distinctRootCount(above: .zero), 2)
        XCTAssertEqual(p.distinctRootCount(above: BigRational(3, 2)), 1)
        // (x^2 + 1)(x − 5)^2: one distinct positive root (double).
        let q = (x * x + constant(1)) * (x - constant(5)).power(2)
        XCTAssertEqual(q.distinctRootCount(above: .zero), 1)
        XCTAssertEqual(q.evaluate(at: BigRational(5)), .zero)
        XCTAssertEqual(q.degree, 4)
        XCTAssertEqual((x.power(3) * constant(2)).removingRootsAtZero, constant(2))
    }

    func testDerivativeAndRemainder() {
        let x = RationalPolynomial.x
        let p = x.power(3) + RationalPolynomial(constant: BigRational(2)) * x
        XCTAssertEqual(p.derivative, RationalPolynomial([BigRational(2), .zero, BigRational(3)]))
        let r = p.remainder(dividingBy: x * x + RationalPolynomial(constant: .one))
        XCTAssertEqual(r, x)   // x^3 + 2x = x (x^2 + 1) + x
    }
}
