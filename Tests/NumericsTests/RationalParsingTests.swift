import XCTest
@testable import Numerics

final class RationalParsingTests: XCTestCase {
    func testDecimalsAreReadExactly() throws {
        XCTAssertEqual(try BigRational(parsing: "0.1"), BigRational(1, 10))
        XCTAssertEqual(try BigRational(parsing: "2.5e-3"), BigRational(1, 400))
        XCTAssertEqual(try BigRational(parsing: "3/2"), BigRational(3, 2))
        XCTAssertEqual(try BigRational(parsing: "-4"), BigRational(-4))
        XCTAssertEqual(try BigRational(parsing: "1e5/3"), BigRational(100_000, 3))
        XCTAssertEqual(try BigRational(parsing: " .5 "), BigRational(1, 2))
        XCTAssertEqual(try BigRational(parsing: "7."), BigRational(7))
        XCTAssertEqual(try BigRational(parsing: "1.25E+2"), BigRational(125))
        XCTAssertEqual(try BigRational(parsing: "0.1/0.3"), BigRational(1, 3))
        XCTAssertEqual(try BigRational(parsing: "6/4").description, "3/2")
    }

    func testLargeExponentsStayExact() throws {
        let big = try BigRational(parsing: "1e100")
        XCTAssertEqual(big.numerator, BigInt.power(base: 10, exponent: 100))
        let tiny = try BigRational(parsing: "3e-60")
        XCTAssertEqual(tiny.denominator, BigInt.power(base: 10, exponent: 60))
        XCTAssertEqual(tiny.numerator, BigInt(3))
    }

    func testMalformedNumbersAreRejected() {
        for text in ["", " ", "abc", "1/0", "1..2", "1e", "--1", "1/2/3", "0x10", "1,5", "nan", "inf", "1e+", "e5", ".", "1 2", "1/", "/2", "1e9999999"] {
            XCTAssertThrowsError(try BigRational(parsing: text), "accepted '\(text)'")
        }
    }

    func testArithmeticAndOrdering() {
        let a = BigRational(1, 3), b = BigRational(1, 6)
        XCTAssertEqual(a + b, BigRational(1, 2))
        XCTAssertEqual(a - b, BigRational(1, 6))
        XCTAssertEqual(a * b, BigRational(1, 18))
        XCTAssertEqual(a / b, BigRational(2))
        XCTAssertEqual(BigRational(-2, 3).power(-2), BigRational(9, 4))
        XCTAssertTrue(BigRational(-1, 2) < BigRational(1, 3))
        XCTAssertEqual(BigRational(1, 4).doubleApproximation, 0.25, accuracy: 1e-15)
        XCTAssertEqual(try BigRational(parsing: "1e400").naturalLogMagnitude, 400 * log(10.0), accuracy: 1e-9)
    }
}
