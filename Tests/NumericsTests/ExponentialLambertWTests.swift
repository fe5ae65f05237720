import XCTest
@testable import Numerics

final class ExponentialLambertWTests: XCTestCase {
    /// e, e^-1, e^100 and Omega = W(1) from published tables (OEIS A001113, A068985, A030178).
    let eDigits = "2.718281828459045235360287471352662497757247093699959574966967627724076630353547594571382178525166427"
    let inverseEDigits = "0.3678794411714423215955237701614608674458111310317678345078368016974614957448998033571472743459196437"
    let exp100Digits = "2.6881171418161354484126255515800135873611118773741922415191608615280287034909564914158871097219845710811e43"
    let omegaDigits = "0.5671432904097838729999686622103555497538157871865125081351310792230457930866845666932194469617522946"

    func assertEncloses(_ x: Interval, _ digits: String, places: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try BigRational(parsing: digits)
        let slack = reference.magnitudeTimes(BigRational(BigInt(1), BigInt.power(base: 10, exponent: places)))
        XCTAssertLessThanOrEqual(x.lower.rational, reference + slack, file: file, line: line)
        XCTAssertGreaterThanOrEqual(x.upper.rational, reference - slack, file: file, line: line)
    }

    func testExpMatchesPublishedDigits() throws {
        let e = Interval.exp(Interval(1, precision: 340))
        try assertEncloses(e, eDigits, places: 98)
        XCTAssertLessThan(e.log2RelativeWidth, -320)
        XCTAssertEqual(e.certifiedDecimal(significantDigits: 60)?.text, "2.71828182845904523536028747135266249775724709369995957496697")
        try assertEncloses(Interval.exp(Interval(-1, precision: 340)), inverseEDigits, places: 98)
        let big = Interval.exp(Interval(100, precision: 340))
        try assertEncloses(big, exp100Digits, places: 95)
        XCTAssertLessThan(big.log2RelativeWidth, -320)
    }

    func testExpInvertsLogFarOutsideDoubleRange() throws {
        // exp(ln(10^5000)) encloses 10^5000 (a Double would overflow).
        let x = Interval(BigRational(BigInt.power(base: 10, exponent: 5000)), precision: 256)
        let roundTrip = Interval.exp(Interval.log(x))
        XCTAssertTrue(roundTrip.lower.rational <= x.lower.rational && x.upper.rational <= roundTrip.upper.rational)
        XCTAssertLessThan(roundTrip.log2RelativeWidth, -200)
        // An interval argument: exp is increasing.
        let wide = Interval.exp(Interval(lower: Dyadic(-3), upper: Dyadic(2), precision: 64))
        XCTAssertEqual(wide.lower.doubleApproximation, Foundation.exp(-3.0), accuracy: 1e-15)
        XCTAssertEqual(wide.upper.doubleApproximation, Foundation.exp(2.0), accuracy: 1e-14)
    }

    func testLambertWMatchesOmegaAndInvertsAtExtremes() throws {
        let omega = try Interval.lambertW(Interval(1, precision: 340))
        try assertEncloses(omega, omegaDigits, places: 98)
        XCTAssertLessThan(omega.log2RelativeWidth, -320)
        // W(e) = 1 exactly: the enclosure of W(e) (e itself an enclosure) contains 1.
        XCTAssertTrue(try Interval.lambertW(Interval.exp(Interval(1, precision: 200))).contains(.one))
        for x in [BigRational(1, 1_000_000), BigRational(1000), BigRational(BigInt.power(base: 10, exponent: 300))] {
            let w = try Interval.lambertW(Interval(x, precision: 200))
            let check = w * Interval.exp(w)          // encloses x
            XCTAssertTrue(check.lower.rational <= x && x <= check.upper.rational, "x = \(x)")
            XCTAssertLessThan(w.log2RelativeWidth, -180)
        }
    }
}

extension BigRational {
    /// |self| · factor (test helper).
    func magnitudeTimes(_ factor: BigRational) -> BigRational {
        (signum < 0 ? -self : self) * factor
    }
}
