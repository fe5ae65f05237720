import XCTest
import Numerics
@testable import Asymptotics

/// The exact coefficients and 40-digit values tabulated in notes/asymptotics-{lazy,rich,deep}.md.
final class SeriesReferenceTests: XCTestCase {
    func q(_ text: String) -> BigRational { try! BigRational(parsing: text) }
    func qs(_ texts: [String]) -> [BigRational] { texts.map(q) }

    func testLazyCoefficientsMatchTheNoteTable() {
        let series = LazySeries(depth: 4, ridge: q("1/10"), order: 6)
        XCTAssertEqual(series.negatedChi, [.zero] + qs(["100/121", "-360000/161051", "1982000000/214358881", "-12766000000000/285311670611",
                                                        "8105190000000000/34522712143931", "-653647036000000000000/505447028499293771"]))
        XCTAssertEqual(series.layer(4), [.one] + qs(["400/121", "-780000/161051", "3660000000/214358881", "-21442100000000/285311670611",
                                                     "12692040000000000/34522712143931", "-966052860000000000000/505447028499293771"]))
        XCTAssertEqual(series.layer(2), [.one] + qs(["200/121", "-610000/161051", "3172000000/214358881", "-19746000000000/285311670611",
                                                     "12230140000000000/34522712143931", "-966830190000000000000/505447028499293771"]))
        // c_1 = 1 + u (Z5).
        XCTAssertEqual(Array(series.layer(1).dropFirst()), Array(series.negatedChi.dropFirst()))
        let b0 = LazySeries(depth: 3, ridge: .zero, order: 6)
        XCTAssertEqual(b0.negatedChi, [.zero] + qs(["1", "-3", "15", "-91", "612", "-4389"]))
        XCTAssertEqual(b0.layer(3), [.one] + qs(["3", "-6", "28", "-165", "1092", "-7752"]))
        XCTAssertEqual(b0.layer(2), [.one] + qs(["2", "-5", "24", "-143", "952", "-6783"]))
        // Leading term L g/(1+b)^2 (notes/theory-overview.md (T13)) for several (L, b), and (Z11)'s second term.
        for (l, b) in [(1, q("0")), (7, q("3/7")), (1000, q("1/100"))] {
            let c = LazySeries(depth: l, ridge: b, order: 2).layer(l)
            let onePlusB = BigRational.one + b
            XCTAssertEqual(c[1], BigRational(l) / (onePlusB * onePlusB))
            XCTAssertEqual(c[2], BigRational(l) * (BigRational(3 * l - 1) * b - BigRational(l + 1)) / (BigRational(2) * onePlusB.power(5)))
        }
    }

    func testRichCoefficientsMatchTheNoteTable() {
        XCTAssertEqual(RichSeries(depth: 1, ridge: q("1/10"), order: 6).layer(1),
                       qs(["1", "2/5", "7/40", "1/200", "-277/16000", "-19/20000", "10791/3200000"]))
        XCTAssertEqual(RichSeries(depth: 2, ridge: q("1"), order: 6).layer(2),
                       qs(["1", "2/3", "-1", "46/81", "-11/243", "2/3", "-3442/6561"]))
        XCTAssertEqual(RichSeries(depth: 3, ridge: q("1/10"), order: 6).layer(3),
                       qs(["1", "3/4", "15/32", "1/10", "1539/10240", "153/2560", "20031/1638400"]))
        XCTAssertEqual(RichSeries(depth: 4, ridge: .zero, order: 6).layer(4),
                       qs(["1", "4/5", "14/25", "44/125", "1/5", "1596/15625", "3588/78125"]))
        XCTAssertEqual(RichSeries(depth: 3, ridge: q("1/10"), order: 6).layer(1),
                       qs(["1", "1/4", "3/32", "-3/160", "459/10240", "0", "-11269/1638400"]))
        // (R11)-(R12) for L = 9, b = 5: d_1..d_4 and d_L = (1 − 2bL)/(L+1).
        let d = RichSeries(depth: 9, ridge: q("5"), order: 9).layer(9)
        XCTAssertEqual(d[1], q("9/10")); XCTAssertEqual(d[2], q("153/200"))
        XCTAssertEqual(d[9], BigRational(1 - 2 * 5 * 9, 10))
    }

    func testRichValuesMatchTheNoteTable() {
        let d = RichSeries(depth: 3, ridge: q("1/10"), order: 5).layer(3)
        let value = RichSeries.evaluate(d, upTo: 5, layer: 3, depth: 3, g: q("100"), precision: 200)
        XCTAssertEqual(value.certifiedDecimal(significantDigits: 40)?.text, "40.75859762714357206733164235153082248018")
        let d4 = RichSeries(depth: 4, ridge: .zero, order: 5).layer(4)
        XCTAssertEqual(RichSeries.evaluate(d4, upTo: 2, layer: 4, depth: 4, g: q("1e6"), precision: 200)
                        .certifiedDecimal(significantDigits: 40)?.text, "66421.25745261183943581879389873316514927")
    }

    func testDeepTruncationsMatchTheNoteTable() throws {
        let deep = try DeepSeries(gammaSquared: .one, ridge: q("0.01"), depth: 1000, order: 4, precision: 200)
        XCTAssertEqual(deep.truncation(0).certifiedDecimal(significantDigits: 40)?.text, "190.4906005494336571417975853124310228987")
        XCTAssertEqual(deep.truncation(1).certifiedDecimal(significantDigits: 40)?.text, "190.0538058365984526609669493307633234161")
        XCTAssertEqual(deep.truncation(2).certifiedDecimal(significantDigits: 40)?.text, "190.0542835223390313894840649526040722996")
        XCTAssertEqual(deep.truncation(3).certifiedDecimal(significantDigits: 40)?.text, "190.0542833246120300551974058754486345613")
        // (D10): delta_1 = −(2b + g/2) W/(1+W) = −0.43679 at W(1000).
        XCTAssertEqual(deep.deltas[1].midpoint.doubleApproximation, -0.43679, accuracy: 1e-5)
        XCTAssertEqual(deep.deltas[2].midpoint.doubleApproximation, 0.090995, accuracy: 1e-6)
        XCTAssertEqual(deep.logarithmicForm(-1).midpoint.doubleApproximation, 144.764827301, accuracy: 1e-8)
    }

    func testJointLimitCoefficientsMatchTheNoteTable() throws {
        let joint = try JointLimit(kappa: BigRational(10), ridge: q("0.01"), order: 2, precision: 200)
        XCTAssertEqual(joint.coefficients[0].certifiedDecimal(significantDigits: 40)?.text, "5.716210073357652729827007325351348867619")
        XCTAssertEqual(joint.coefficients[1].certifiedDecimal(significantDigits: 25)?.text, "-3.173336951486615891611745")
        XCTAssertEqual(joint.coefficients[2].certifiedDecimal(significantDigits: 25)?.text, "1.612994679953885116470603")
        // Multi-root case (kappa = 383, b = 30): the largest root.
        let multi = try JointLimit(kappa: BigRational(383), ridge: BigRational(30), order: 2, precision: 200)
        XCTAssertEqual(multi.coefficients[0].certifiedDecimal(significantDigits: 40)?.text, "23.01950979366848177792320059171468713948")
        XCTAssertEqual(multi.coefficients[1].certifiedDecimal(significantDigits: 25)?.text, "-192.8506382312079742300508")
        // b = 0: c_inf = kappa / W(kappa); c_inf(e) = e.
        let e = try JointLimit(kappa: .one, ridge: .zero, order: 1, precision: 100)
        XCTAssertEqual(e.coefficients[0].midpoint.doubleApproximation, 1 / lambertW(1), accuracy: 1e-14)
    }
}
