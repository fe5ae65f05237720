import XCTest
@testable import Numerics

/// The fixed-precision kernel against exact dyadic arithmetic: every rounded-down result is a
/// lower bound, every rounded-up result an upper bound, and the two are within the rounding
/// error the note states (notes/numerics-intervals.md, eqs. K1 and K2).
final class DirectedFloatWorkspaceTests: XCTestCase {
    /// A positive dyadic with 1...bits random mantissa bits and an exponent in −200...200.
    private func randomDyadic(_ generator: inout SeededGenerator, maximumBits: Int = 300) -> Dyadic {
        let bits = Int.random(in: 1...maximumBits, using: &generator)
        var mantissa = BigInt(1)
        var remaining = bits - 1
        while remaining > 0 {
            let chunk = min(remaining, 60)
            mantissa = mantissa.shiftedLeft(chunk) + BigInt(Int(generator.next() >> UInt64(64 - chunk)))
            remaining -= chunk
        }
        return Dyadic(mantissa, exponent: Int.random(in: -200...200, using: &generator))
    }

    /// Asserts lower <= exact <= upper and upper − lower <= 2^(top(exact) + 1 − 64 n) · slack.
    private func assertBrackets(_ lower: Dyadic, _ exact: Dyadic, _ upper: Dyadic, limbs: Int, slack: Int = 2,
                                _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(lower, exact, "\(what): lower bound above the exact value", file: file, line: line)
        XCTAssertLessThanOrEqual(exact, upper, "\(what): upper bound below the exact value", file: file, line: line)
        let width = Dyadic.exactSum(upper, lower.negated)
        if !width.isZero {
            let allowed = Dyadic(BigInt(slack), exponent: exact.topBit + 1 - 64 * limbs)
            XCTAssertLessThanOrEqual(width, allowed, "\(what): bounds wider than the rounding error", file: file, line: line)
        }
    }

    func testLoadAndArithmeticBracketExactResults() {
        var generator = SeededGenerator(seed: 20261122)
        for limbs in 1...5 {
            let w = DirectedFloatWorkspace(limbs: limbs, registers: 8)
            for _ in 0..<150 {
                let a = randomDyadic(&generator), b = randomDyadic(&generator)
                w.set(0, a, .down); w.set(1, a, .up)
                assertBrackets(w.dyadic(0), a, w.dyadic(1), limbs: limbs, "load")
                w.set(0, a, .down); w.set(1, b, .down)
                w.set(4, a, .up); w.set(5, b, .up)
                // Exact operands (rounded loads would add their own error): use the down loads
                // only when they are exact.
                let exactA = w.dyadic(0) == a, exactB = w.dyadic(1) == b
                guard exactA && exactB else { continue }
                w.multiply(2, 0, 1, .down); w.multiply(3, 0, 1, .up)
                assertBrackets(w.dyadic(2), Dyadic(a.mantissa * b.mantissa, exponent: a.exponent + b.exponent), w.dyadic(3),
                               limbs: limbs, "product")
                w.add(2, 0, 1, .down); w.add(3, 0, 1, .up)
                assertBrackets(w.dyadic(2), Dyadic.exactSum(a, b), w.dyadic(3), limbs: limbs, slack: 4, "sum")
                let signDown = w.subtract(2, 0, 1, .down), signUp = w.subtract(3, 0, 1, .up)
                let difference = Dyadic.exactSum(a, b.negated)
                XCTAssertEqual(signDown, difference.signum)
                XCTAssertEqual(signUp, difference.signum)
                if !difference.isZero {
                    assertBrackets(w.dyadic(2), difference.magnitude, w.dyadic(3), limbs: limbs, slack: 4, "difference")
                }
                w.divide(2, 0, 1, .down); w.divide(3, 0, 1, .up)
                // a/b in [q_lo, q_hi]  <=>  q_lo · b <= a <= q_hi · b, exactly.
                let qLow = w.dyadic(2), qHigh = w.dyadic(3)
                XCTAssertLessThanOrEqual(Dyadic(qLow.mantissa * b.mantissa, exponent: qLow.exponent + b.exponent), a)
                XCTAssertLessThanOrEqual(a, Dyadic(qHigh.mantissa * b.mantissa, exponent: qHigh.exponent + b.exponent))
                let k = Int.random(in: 1...1_000_000, using: &generator)
                w.multiply(2, 0, integer: k, .down); w.multiply(3, 0, integer: k, .up)
                assertBrackets(w.dyadic(2), Dyadic(a.mantissa * k, exponent: a.exponent), w.dyadic(3), limbs: limbs, "integer product")
                w.divide(2, 0, integer: k, .down); w.divide(3, 0, integer: k, .up)
                let dLow = w.dyadic(2), dHigh = w.dyadic(3)
                XCTAssertLessThanOrEqual(Dyadic(dLow.mantissa * k, exponent: dLow.exponent), a)
                XCTAssertLessThanOrEqual(a, Dyadic(dHigh.mantissa * k, exponent: dHigh.exponent))
            }
        }
    }

    /// Sums, differences and products of loaded operands whose leading bits are at most 64 n + 2
    /// apart are the exact result rounded to 64 n bits in the direction asked, bit for bit (the
    /// limb-by-limb alignment and the shifts of the kernel must reproduce exactly that), at 1...5
    /// limbs, with gaps across limb boundaries and all-ones mantissas (carries through every limb).
    func testRegularOperationsAreTheExactResultRounded() {
        var generator = SeededGenerator(seed: 20261208)
        for limbs in 1...5 {
            let w = DirectedFloatWorkspace(limbs: limbs, registers: 4)
            let bits = 64 * limbs
            for trial in 0..<300 {
                func operand() -> Dyadic {
                    if trial % 5 == 0 {
                        // 2^k − 1 with k up to the full width: every limb all ones.
                        let k = Int.random(in: 1...bits, using: &generator)
                        return Dyadic(BigInt(1).shiftedLeft(k) - BigInt(1), exponent: 0)
                    }
                    return randomDyadic(&generator, maximumBits: bits)
                }
                let first = operand(), second = operand()
                let gap = Int.random(in: -(bits + 2)...(bits + 2), using: &generator)
                let a = first, b = Dyadic(second.mantissa, exponent: second.exponent + (first.topBit - second.topBit) - gap)
                w.set(0, a, .down); w.set(1, b, .down)
                XCTAssertEqual(w.dyadic(0), a); XCTAssertEqual(w.dyadic(1), b)
                for direction in [RoundingDirection.down, .up] {
                    w.add(2, 0, 1, direction)
                    XCTAssertEqual(w.dyadic(2), Dyadic.exactSum(a, b).rounded(toBits: bits, direction), "sum, limbs \(limbs), gap \(gap)")
                    let sign = w.subtract(3, 0, 1, direction)
                    let difference = Dyadic.exactSum(a, b.negated)
                    XCTAssertEqual(sign, difference.signum)
                    if !difference.isZero {
                        XCTAssertEqual(w.dyadic(3), difference.magnitude.rounded(toBits: bits, direction), "difference, limbs \(limbs), gap \(gap)")
                    }
                    w.multiply(2, 0, 1, direction)
                    XCTAssertEqual(w.dyadic(2), Dyadic(a.mantissa * b.mantissa, exponent: a.exponent + b.exponent).rounded(toBits: bits, direction),
                                   "product, limbs \(limbs)")
                    w.multiply(2, 0, 0, direction)
                    XCTAssertEqual(w.dyadic(2), Dyadic(a.mantissa * a.mantissa, exponent: 2 * a.exponent).rounded(toBits: bits, direction),
                                   "square, limbs \(limbs)")
                }
            }
        }
    }

    /// Rounding up an all-ones mantissa carries into a new leading bit; far-apart sums and
    /// differences keep the larger operand and move one unit outward.
    func testCarryAndFarApartOperands() {
        let w = DirectedFloatWorkspace(limbs: 2, registers: 4)
        let allOnesPlus = Dyadic(BigInt(1).shiftedLeft(129) - BigInt(1), exponent: -10)   // 129 ones then... 129 bits
        w.set(0, allOnesPlus, .up)
        XCTAssertEqual(w.dyadic(0), Dyadic(BigInt(1), exponent: 129 - 10))
        w.set(0, allOnesPlus, .down)
        XCTAssertEqual(w.dyadic(0), Dyadic(BigInt(1).shiftedLeft(128) - BigInt(1), exponent: -9))
        w.set(1, 1)
        w.set(2, Dyadic(BigInt(3), exponent: -500), .down)
        w.add(3, 1, 2, .down)
        XCTAssertEqual(w.dyadic(3), .one)
        w.add(3, 1, 2, .up)
        XCTAssertEqual(w.dyadic(3), Dyadic.exactSum(.one, Dyadic(BigInt(1), exponent: -127)))
        XCTAssertEqual(w.subtract(3, 1, 2, .up), 1)
        XCTAssertEqual(w.dyadic(3), .one)
        XCTAssertEqual(w.subtract(3, 1, 2, .down), 1)
        // 1 − tiny rounded down: 1 − 2^-128 needs 128 bits: exact at two limbs after renormalizing.
        XCTAssertLessThan(w.dyadic(3), .one)
        XCTAssertGreaterThanOrEqual(w.dyadic(3), Dyadic.exactSum(.one, Dyadic(BigInt(-1), exponent: -127)))
        w.setZero(2)
        w.multiply(3, 1, 2, .up)
        XCTAssertTrue(w.isZero(3))
        w.add(3, 2, 1, .up)
        XCTAssertEqual(w.dyadic(3), .one)
    }

    /// Powers bracket the exact power, and the a-priori bound of eq. K2 turns the rounded-down
    /// power into a valid upper bound.
    func testPowersAndTheAPrioriBound() {
        var generator = SeededGenerator(seed: 7)
        for limbs in 1...4 {
            let w = DirectedFloatWorkspace(limbs: limbs, registers: 6)
            for _ in 0..<40 {
                let base = Dyadic.exactSum(.one, randomDyadic(&generator, maximumBits: 40 * limbs).magnitude.rounded(toBits: 30, .down))
                guard base.mantissa.bitWidth <= 64 * limbs else { continue }
                let n = Int.random(in: 0...300, using: &generator)
                w.set(0, base, .down)
                let errorExponent = w.power(1, 0, n, .down)
                w.power(2, 0, n, .up)
                let exact = Dyadic(base.mantissa.power(n), exponent: base.exponent * n)
                XCTAssertLessThanOrEqual(w.dyadic(1), exact)
                XCTAssertLessThanOrEqual(exact, w.dyadic(2))
                XCTAssertLessThanOrEqual(errorExponent, 2 * max(n, 1))
                w.upperBound(3, fromLowerBound: 1, errorExponent: errorExponent, using: 4)
                XCTAssertLessThanOrEqual(exact, w.dyadic(3), "K2 bound below the exact power (n = \(n), limbs = \(limbs))")
            }
        }
    }

    /// Square roots (eq. K3): lower^2 <= x <= upper^2 exactly, the two one unit apart, at 1...5
    /// limbs with even and odd exponents, exact squares exact.
    func testSquareRootBracketsTheExactRoot() {
        var generator = SeededGenerator(seed: 20261207)
        for limbs in 1...5 {
            let w = DirectedFloatWorkspace(limbs: limbs, registers: 4)
            for trial in 0..<120 {
                var x = randomDyadic(&generator, maximumBits: 64 * limbs)
                if trial % 2 == 1 { x = Dyadic(x.mantissa, exponent: x.exponent + 1) }
                w.set(0, x, .down)
                guard w.dyadic(0) == x else { continue }
                w.squareRoot(1, 0, .down); w.squareRoot(2, 0, .up)
                let lower = w.dyadic(1), upper = w.dyadic(2)
                XCTAssertLessThanOrEqual(Dyadic(lower.mantissa * lower.mantissa, exponent: 2 * lower.exponent), x, "sqrt lower")
                XCTAssertLessThanOrEqual(x, Dyadic(upper.mantissa * upper.mantissa, exponent: 2 * upper.exponent), "sqrt upper")
                let width = Dyadic.exactSum(upper, lower.negated)
                if !width.isZero {
                    XCTAssertLessThanOrEqual(width, Dyadic(BigInt(2), exponent: upper.topBit - 64 * limbs), "sqrt width")
                }
            }
            // An exact square: (3 · 2^-7)^2 has root 3 · 2^-7 on both sides.
            w.set(0, Dyadic(BigInt(9), exponent: -14), .down)
            w.squareRoot(1, 0, .down); w.squareRoot(2, 0, .up)
            XCTAssertEqual(w.dyadic(1), Dyadic(BigInt(3), exponent: -7))
            XCTAssertEqual(w.dyadic(2), Dyadic(BigInt(3), exponent: -7))
        }
    }
}
