import XCTest
@testable import Numerics

final class IntervalTests: XCTestCase {
    /// ln 2 to 100 digits (Abramowitz–Stegun / OEIS A002162).
    let ln2Digits = "0.6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875"

    func testDirectedRoundingBracketsOneThird() {
        let third = Interval(BigRational(1, 3), precision: 64)
        XCTAssertLessThan(third.lower.rational, BigRational(1, 3))
        XCTAssertGreaterThan(third.upper.rational, BigRational(1, 3))
        XCTAssertLessThanOrEqual(third.log2RelativeWidth, -62)
    }

    func testTinyTermsStillMoveTheBoundsOutward() {
        let one = Dyadic.one
        let tiny = Dyadic.powerOfTwo(-100_000)
        XCTAssertEqual(Dyadic.sum(one, tiny, bits: 53, .down), one)
        XCTAssertGreaterThan(Dyadic.sum(one, tiny, bits: 53, .up), one)
        XCTAssertLessThan(Dyadic.sum(one, tiny.negated, bits: 53, .down), one)
        XCTAssertEqual(Dyadic.sum(one, tiny.negated, bits: 53, .up), one)
    }

    func testLogTwoEncloseReferenceDigits() throws {
        let reference = try BigRational(parsing: ln2Digits)
        let halfUlp = BigRational(BigInt(1), BigInt.power(base: 10, exponent: 100)) / BigRational(2)
        let enclosure = Interval.log(Interval(2, precision: 300))
        XCTAssertLessThanOrEqual(enclosure.lower.rational, reference + halfUlp)
        XCTAssertGreaterThanOrEqual(enclosure.upper.rational, reference - halfUlp)
        XCTAssertLessThan(enclosure.log2RelativeWidth, -280)
        // 90 digits, correctly rounded (the 91st digit is 9).
        XCTAssertEqual(enclosure.certifiedDecimal(significantDigits: 90)?.text,
                       "0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863327")
    }

    func testLogOfTenAndOfNumbersNearOne() throws {
        // ln 10 = 2.302585092994045684017991454684364207601101488628772976033327900967572609677352...
        let ln10 = Interval.log(Interval(10, precision: 200))
        XCTAssertEqual(ln10.certifiedDecimal(significantDigits: 50)?.text, "2.3025850929940456840179914546843642076011014886288")
        // ln(1 + 2^-200) = 2^-200 - 2^-401 + ...: relative accuracy survives near 1.
        let u = Dyadic.powerOfTwo(-200)
        let nearOne = Interval.log(Interval(Dyadic.exactSum(.one, u), precision: 300))
        XCTAssertEqual(nearOne.certifiedDecimal(significantDigits: 30)?.text,
                       Interval(u, precision: 300).certifiedDecimal(significantDigits: 30)?.text)
        XCTAssertLessThan(nearOne.upper, Dyadic.exactSum(u, .zero).rounded(toBits: 300, .up))
    }

    func testPowerAndDivisionEnclosures() {
        let three = Interval(3, precision: 80)
        let cube = (Interval(1, precision: 80) / three).power(3)
        XCTAssertTrue(cube.lower.rational < BigRational(1, 27) && BigRational(1, 27) < cube.upper.rational)
        let negative = Interval(lower: Dyadic(-2), upper: Dyadic(3), precision: 64)
        XCTAssertEqual(negative.squared.lower, .zero)
        XCTAssertEqual(negative.squared.upper, Dyadic(9))
        XCTAssertNil(negative.definiteSign)
        XCTAssertEqual((negative * Interval(-1, precision: 64)).lower, Dyadic(-3))
    }

    func testDecimalFormatting() {
        let value = Dyadic(exactly: 1234.5)
        XCTAssertEqual(value.decimalString(significantDigits: 3, .nearest), "1230")
        XCTAssertEqual(value.decimalString(significantDigits: 5, .nearest), "1234.5")
        XCTAssertEqual(value.decimalString(significantDigits: 4, .nearest), "1234")   // tie to even
        XCTAssertEqual(value.decimalString(significantDigits: 4, .up), "1235")
        XCTAssertEqual(value.negated.decimalString(significantDigits: 4, .down), "-1235")
        XCTAssertEqual(Dyadic(exactly: 0.00048828125).decimalString(significantDigits: 3, .nearest), "0.000488")
        XCTAssertEqual(Dyadic(exactly: 9.9999).decimalString(significantDigits: 3, .nearest), "10.0")
        XCTAssertEqual(Dyadic.powerOfTwo(-100).decimalString(significantDigits: 6, .nearest), "7.88861e-31")
        XCTAssertEqual(Dyadic.powerOfTwo(100).decimalString(significantDigits: 6, .down), "1.26765e+30")
    }

    /// The printer writes integers of up to four limbs by divisions by 10^19 and longer ones through
    /// GMP's mpz_get_str: every D-digit integer n printed at D digits must read as GMP's decimal of n,
    /// including chunks with leading zeros, powers of ten and the four/five-limb boundary.
    func testDecimalDigitsAgreeWithGMPAcrossChunkBoundaries() {
        var generator = SeededGenerator(seed: 17)
        var values: [BigInt] = []
        for exponent in [1, 18, 19, 20, 37, 38, 39, 52, 57, 76, 77, 78, 100] {
            let power = BigInt.power(base: 10, exponent: exponent)
            values += [power, power + BigInt(7), power * 3 + BigInt(1), power * 10 + BigInt(-1)]
        }
        for _ in 0..<200 {
            var n = BigInt(Int(generator.next() >> 2) | 1)
            for _ in 0..<Int(generator.next() % 5) { n = n * BigInt(Int(generator.next() >> 1) | 1) + BigInt(Int(generator.next() >> 40)) }
            values.append(n)
        }
        for n in values where n.signum > 0 {
            let reference = n.decimalString
            let printed = Dyadic(n).decimalString(significantDigits: reference.count, .nearest)
            XCTAssertEqual(printed, reference)
            XCTAssertEqual(Dyadic(n).negated.decimalString(significantDigits: reference.count, .down), "-" + reference)
        }
    }

    /// Every rounding mode against exact rational arithmetic: for x = m 2^e with m up to about 300
    /// bits and e < 0 (the printer's limb path, and its integer-call path for long mantissas), the
    /// digits n and leading power k must satisfy n 10^(k-D+1) <= |x| < (n + 1) 10^(k-D+1) for the
    /// magnitude rounded down, the next one up for up (unless exact), and the nearer one (ties to even)
    /// for nearest; n has exactly D digits.
    func testDecimalRoundingAgreesWithExactRationals() {
        var generator = SeededGenerator(seed: 23)
        func power10(_ k: Int) -> BigRational {
            k >= 0 ? BigRational(BigInt.power(base: 10, exponent: k)) : BigRational(.one, BigInt.power(base: 10, exponent: -k))
        }
        for trial in 0..<400 {
            var m = BigInt(Int(generator.next() >> 1) | 1)
            for _ in 0..<Int(generator.next() % 5) { m = m * BigInt(Int(generator.next() >> 1)) + BigInt(Int(generator.next() >> 33)) }
            if trial % 3 == 0 { m = m * BigInt(-1) }
            // Exact ties and exact values too: multiples of 10^j shifted by a small power of two.
            if trial % 7 == 0 { m = BigInt.power(base: 10, exponent: Int(generator.next() % 40)) * BigInt(Int(generator.next() % 999) + 1) }
            let e = -Int(generator.next() % 400)
            let x = Dyadic(m, exponent: e)
            let magnitude = BigRational(m.signum < 0 ? m * BigInt(-1) : m, BigInt.power(base: 2, exponent: -e))
            for digits in [1, 2, 5, 19, 20, 53, 78, 90] {
                for mode in [DecimalRounding.down, .up, .nearest] {
                    let rounded = x.decimalDigits(significantDigits: digits, mode)
                    XCTAssertEqual(rounded.digits.count, digits)
                    XCTAssertNotEqual(rounded.digits.first, "0")
                    XCTAssertEqual(rounded.negative, m.signum < 0)
                    let n = BigRational(BigInt(decimalDigits: rounded.digits)!)
                    let unit = power10(rounded.exponent10 - digits + 1)
                    let value = n * unit
                    // The magnitude's mode: directed modes flip for negative values.
                    let magnitudeMode = mode == .nearest ? mode : ((mode == .down) == (m.signum >= 0) ? DecimalRounding.down : .up)
                    switch magnitudeMode {
                    case .down:
                        XCTAssertTrue(value <= magnitude && magnitude < value + unit, "trial \(trial), D = \(digits), down")
                    case .up:
                        XCTAssertTrue(value - unit < magnitude && magnitude <= value, "trial \(trial), D = \(digits), up")
                    case .nearest:
                        let distance = value < magnitude ? magnitude - value : value - magnitude
                        let half = unit * BigRational(1, 2)
                        XCTAssertTrue(distance < half || (distance == half && rounded.digits.last!.wholeNumberValue! % 2 == 0),
                                      "trial \(trial), D = \(digits), nearest")
                    }
                }
            }
        }
    }

    func testSeededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        let first = (0..<5).map { _ in a.next() }
        XCTAssertEqual(first, (0..<5).map { _ in b.next() })
        XCTAssertEqual(Set(first).count, 5)
        var c = SeededGenerator(seed: 7)
        for _ in 0..<100 {
            let r = c.rational(in: 0...5, maxDenominator: 9)
            XCTAssertTrue(r >= .zero && r <= BigRational(5))
        }
    }
}
