import CGMP
import Foundation

/// How a value is rounded to a decimal string.
public enum DecimalRounding: Sendable {
    case down      // toward −∞ (a certified lower bound)
    case up        // toward +∞ (a certified upper bound)
    case nearest   // to nearest, ties to even
}

/// A decimal number digits · 10^exponent10 with exactly `significantDigits` digits in `digits`.
public struct DecimalDigits: Sendable, Equatable {
    public let negative: Bool
    public let digits: String
    public let exponent10: Int   // the power of ten of the leading digit

    /// Plain positional notation for moderate exponents, otherwise d.ddd…e±k. All digits are kept:
    /// trailing zeros are significant.
    public var text: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.utf8.count + 28)
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as UTF-8 bytes (ASCII) without building intermediate strings.
    public func append(to bytes: inout [UInt8]) {
        let done: Void? = digits.utf8.withContiguousStorageIfAvailable {
            DecimalDigits.appendText(negative: negative, digits: $0, exponent10: exponent10, to: &bytes)
        }
        if done == nil {
            Array(digits.utf8).withUnsafeBufferPointer { DecimalDigits.appendText(negative: negative, digits: $0, exponent10: exponent10, to: &bytes) }
        }
    }

    /// The rendering of `text` for the ASCII digits `digits` (one byte per digit), assembled in a
    /// scratch buffer and appended in one copy.
    static func appendText(negative: Bool, digits: UnsafeBufferPointer<UInt8>, exponent10: Int, to bytes: inout [UInt8]) {
        let count = digits.count
        // The longest rendering: a sign, the digits, and at most 21 more bytes ("0." and five
        // zeros; up to 20 trailing zeros; a point, "e", a sign and at most 19 exponent digits).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count + 24) { buffer in
            let start = buffer.baseAddress!
            var out = start
            func put(_ byte: UInt8) { out.pointee = byte; out += 1 }
            func put(_ run: UnsafeBufferPointer<UInt8>.SubSequence) {
                guard !run.isEmpty else { return }
                out.update(from: digits.baseAddress! + run.startIndex, count: run.count)
                out += run.count
            }
            func zeros(_ n: Int) {
                guard n > 0 else { return }
                out.update(repeating: UInt8(ascii: "0"), count: n)
                out += n
            }
            if negative { put(UInt8(ascii: "-")) }
            if exponent10 >= -6 && exponent10 < max(count, 21) {
                if exponent10 >= count - 1 {
                    // integer with no fractional part needed
                    put(digits[...])
                    zeros(exponent10 - count + 1)
                } else if exponent10 >= 0 {
                    put(digits[0..<(exponent10 + 1)])
                    put(UInt8(ascii: "."))
                    put(digits[(exponent10 + 1)...])
                } else {
                    put(UInt8(ascii: "0")); put(UInt8(ascii: "."))
                    zeros(-exponent10 - 1)
                    put(digits[...])
                }
            } else {
                if count > 0 { put(digits[0..<1]) }
                if count > 1 { put(UInt8(ascii: ".")); put(digits[1...]) }
                put(UInt8(ascii: "e"))
                put(exponent10 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
                // |exponent10| < 10^19: its digits, from the last one up.
                var magnitude = exponent10.magnitude, width = 1
                while magnitude >= 10 { magnitude /= 10; width += 1 }
                magnitude = exponent10.magnitude
                for position in stride(from: width - 1, through: 0, by: -1) {
                    out[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                    magnitude /= 10
                }
                out += width
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: out - start))
        }
    }
}

/// The powers 10^(D−1) and 10^D that bound a D-digit integer, the last power of five used to
/// scale a value, and GMP integers the roundings work in: one per run of conversions at the same
/// D (both ends of an interval, every value of a table), so nothing is allocated per conversion.
/// Mutable: never shared between threads.
final class DecimalDecade {
    let significantDigits: Int
    private let lowest = MPZBox.fresh(), highest = MPZBox.fresh(), scaled = MPZBox.fresh()
    /// The last few powers 5^shift used (a table's c, chi and S use different shifts), replaced
    /// round-robin: exact integers, only computed less often.
    private let fivePowers = [MPZBox.fresh(), MPZBox.fresh(), MPZBox.fresh(), MPZBox.fresh()]
    /// The shift of each power in `fivePowers` (−1: none yet). Raw memory rather than a stored
    /// array: reading it is a plain load, without the run-time exclusivity check of a class's `var`.
    private let fiveShifts: UnsafeMutablePointer<Int> = {
        let shifts = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        shifts.initialize(repeating: -1, count: 4)
        return shifts
    }()
    private var nextFive = 0
    /// Two result slots: the rounded digits of up to two values (the ends of an interval).
    private let slots = [MPZBox.fresh(), MPZBox.fresh()]
    /// GMP's digit output, reused.
    private var digitBuffer: [CChar] = []

    init(significantDigits: Int) {
        precondition(significantDigits >= 1)
        self.significantDigits = significantDigits
        __gmpz_ui_pow_ui(lowest.pointer, 10, UInt(significantDigits - 1))
        __gmpz_mul_ui(highest.pointer, lowest.pointer, 10)
    }

    deinit {
        fiveShifts.deallocate()
    }

    /// Rounds `value` to D significant digits in `mode`: the digits, an integer in
    /// [10^(D−1), 10^D) (0 for zero), go to slot `slot`; returns the sign and the power of ten of
    /// the leading digit. The scaled value |value| · 10^shift has D digits before the point; for
    /// shift >= 0 it is (|m| 5^shift) 2^(e + shift): a shift and bit tests decide the dropped
    /// fraction, no division.
    func round(_ value: Dyadic, _ mode: DecimalRounding, slot: Int) -> (negative: Bool, exponent10: Int) {
        let result = slots[slot].pointer
        if value.isZero { __gmpz_set_ui(result, 0); return (false, 0) }
        let negative = value.signum < 0
        // Round the magnitude; directions flip for negative values.
        let magnitudeMode: DecimalRounding
        switch mode {
        case .nearest: magnitudeMode = .nearest
        case .down: magnitudeMode = negative ? .up : .down
        case .up: magnitudeMode = negative ? .down : .up
        }
        let mantissa = value.mantissa.box.pointer
        var exponent10 = Int((value.log2Magnitude * 0.30102999566398119521).rounded(.down))
        for _ in 0..<8 {
            let shift = significantDigits - 1 - exponent10
            let fraction = scaleByPowerOfTen(mantissa, exponent: value.exponent, shift: shift, into: result)
            if __gmpz_cmp(result, lowest.pointer) < 0 { exponent10 -= 1; continue }
            if __gmpz_cmp(result, highest.pointer) >= 0 { exponent10 += 1; continue }
            let roundsUp: Bool
            switch magnitudeMode {
            case .down: roundsUp = false
            case .up: roundsUp = fraction != .zero
            case .nearest: roundsUp = fraction == .aboveHalf || (fraction == .half && ak_mpz_odd_p(result) != 0)
            }
            if roundsUp {
                __gmpz_add_ui(result, result, 1)
                if __gmpz_cmp(result, highest.pointer) == 0 {
                    // 99…9 rounded up to the next decade.
                    __gmpz_set(result, lowest.pointer)
                    return (negative, exponent10 + 1)
                }
            }
            return (negative, exponent10)
        }
        preconditionFailure("decimal exponent search did not settle")
    }

    /// result := floor(|m| 2^e 10^shift); returns the class of the dropped fraction.
    private func scaleByPowerOfTen(_ m: UnsafeMutablePointer<__mpz_struct>, exponent e: Int, shift: Int,
                                   into result: UnsafeMutablePointer<__mpz_struct>) -> TruncatedFraction {
        let s = scaled.pointer
        if shift >= 0 {
            var slot = 0
            while slot < fivePowers.count && fiveShifts[slot] != shift { slot += 1 }
            if slot == fivePowers.count {
                slot = nextFive
                nextFive = (nextFive + 1) % fivePowers.count
                __gmpz_ui_pow_ui(fivePowers[slot].pointer, 5, UInt(shift))
                fiveShifts[slot] = shift
            }
            let five = fivePowers[slot].pointer
            let binaryExponent = e + shift
            let mSize = Int(Swift.abs(m.pointee._mp_size)), fiveSize = Int(five.pointee._mp_size)
            if binaryExponent < 0 && mSize + fiveSize <= DecimalDecade.productLimbs {
                // The usual case (a value below 10^D with a fractional part): on limbs, in a buffer on the stack.
                return withUnsafeTemporaryAllocation(of: mp_limb_t.self, capacity: DecimalDecade.productLimbs) { product in
                    DecimalDecade.truncatedProduct(m.pointee._mp_d, mSize, five.pointee._mp_d, fiveSize, dropped: -binaryExponent,
                                                   product: product.baseAddress!, into: result)
                }
            }
            __gmpz_mul(s, m, five)
            __gmpz_abs(s, s)
            if binaryExponent >= 0 {
                __gmpz_mul_2exp(result, s, mp_bitcnt_t(binaryExponent))
                return .zero
            }
            let dropped = -binaryExponent
            __gmpz_fdiv_q_2exp(result, s, mp_bitcnt_t(dropped))
            let lowestSetBit = Int(__gmpz_scan1(s, 0))
            if lowestSetBit >= dropped { return .zero }
            if __gmpz_tstbit(s, mp_bitcnt_t(dropped - 1)) == 0 { return .belowHalf }
            return lowestSetBit == dropped - 1 ? .half : .aboveHalf
        }
        // |m| 2^e / 10^(−shift): an integer division (values above 10^D only).
        let numerator = MPZBox.fresh(), denominator = MPZBox.fresh(), remainder = MPZBox.fresh()
        __gmpz_abs(numerator.pointer, m)
        if e >= 0 { __gmpz_mul_2exp(numerator.pointer, numerator.pointer, mp_bitcnt_t(e)) }
        __gmpz_ui_pow_ui(denominator.pointer, 10, UInt(-shift))
        if e < 0 { __gmpz_mul_2exp(denominator.pointer, denominator.pointer, mp_bitcnt_t(-e)) }
        __gmpz_fdiv_qr(result, remainder.pointer, numerator.pointer, denominator.pointer)
        if ak_mpz_sgn(remainder.pointer) == 0 { return .zero }
        __gmpz_mul_2exp(remainder.pointer, remainder.pointer, 1)
        let order = __gmpz_cmp(remainder.pointer, denominator.pointer)
        return order < 0 ? .belowHalf : (order == 0 ? .half : .aboveHalf)
    }

    /// Products of at most this many limbs (mantissas up to about 900 bits at 50 digits) take the
    /// limb path of `scaleByPowerOfTen`.
    private static let productLimbs = 16

    /// result := floor(a b / 2^dropped) for the nonzero limb vectors a (an limbs) and b (bn limbs),
    /// an + bn <= `productLimbs`, with `product` as scratch; returns the class of the dropped
    /// fraction. Exact integer arithmetic: the same as `mpz_mul`, `mpz_fdiv_q_2exp`, `mpz_scan1`
    /// and `mpz_tstbit` on |a| |b|, without their calls and checks.
    private static func truncatedProduct(_ a: UnsafePointer<mp_limb_t>, _ an: Int, _ b: UnsafePointer<mp_limb_t>, _ bn: Int,
                                         dropped: Int, product p: UnsafeMutablePointer<mp_limb_t>,
                                         into result: UnsafeMutablePointer<__mpz_struct>) -> TruncatedFraction {
        // mpn_mul wants the longer operand first; its n limbs are the whole product (the top one may be 0).
        if an >= bn { _ = __gmpn_mul(p, a, an, b, bn) } else { _ = __gmpn_mul(p, b, bn, a, an) }
        var n = an + bn
        while n > 0 && p[n - 1] == 0 { n -= 1 }
        // The lowest set bit (the product is nonzero).
        var low = 0
        while p[low] == 0 { low += 1 }
        let lowestSetBit = low << 6 + p[low].trailingZeroBitCount
        let limbShift = dropped >> 6, bitShift = dropped & 63
        if limbShift >= n {
            __gmpz_set_ui(result, 0)
        } else {
            let count = n - limbShift
            let r = __gmpz_limbs_write(result, count)!
            if bitShift == 0 {
                r.update(from: p + limbShift, count: count)
            } else {
                _ = __gmpn_rshift(r, p + limbShift, count, UInt32(bitShift))
            }
            __gmpz_limbs_finish(result, count)
        }
        if lowestSetBit >= dropped { return .zero }
        let half = dropped - 1
        if half >> 6 >= n || (p[half >> 6] >> UInt64(half & 63)) & 1 == 0 { return .belowHalf }
        return lowestSetBit == half ? .half : .aboveHalf
    }

    func slotsAreEqual() -> Bool { __gmpz_cmp(slots[0].pointer, slots[1].pointer) == 0 }

    /// The D digits in `slot` as text ("00…0" for zero).
    func digits(slot: Int) -> String {
        withDigits(slot: slot) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the D digits in `slot` as ASCII bytes ("00…0" for zero), written into a
    /// buffer reused between calls (no allocation per conversion).
    func withDigits<R>(slot: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let z = slots[slot].pointer
        if ak_mpz_sgn(z) == 0 {
            return Array(repeating: UInt8(ascii: "0"), count: significantDigits).withUnsafeBufferPointer(body)
        }
        let size = Int(Swift.abs(z.pointee._mp_size))
        if size <= DecimalDecade.shortLimbs && significantDigits <= DecimalDecade.shortDigits {
            // Up to four limbs (the 50-digit tables): chunks of 19 digits by single-limb divisions
            // by 10^19 (exact integer arithmetic) from the last chunk up, each chunk's digits four
            // and two at a time. The value lies in [10^(D−1), 10^D) (`round`): exactly D digits, the first
            // nonzero (notes/numerics-intervals.md (K4)).
            return withUnsafeTemporaryAllocation(of: mp_limb_t.self, capacity: DecimalDecade.shortLimbs) { limbs in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalDecade.shortDigits) { text in
                    let quotient = limbs.baseAddress!, output = text.baseAddress!
                    quotient.update(from: z.pointee._mp_d, count: size)
                    var n = size, end = significantDigits
                    while end > 0 {
                        // quotient := quotient / 10^19 limb by limb from the top, the remainder is the chunk.
                        var chunk: UInt64 = 0
                        var i = n - 1
                        while i >= 0 {
                            let (q, r) = DecimalDecade.chunkBase.dividingFullWidth((high: chunk, low: UInt64(quotient[i])))
                            quotient[i] = mp_limb_t(q)
                            chunk = r
                            i -= 1
                        }
                        while n > 0 && quotient[n - 1] == 0 { n -= 1 }
                        // 19 digits, zero-padded, except for the leading chunk (the rest of the D).
                        let count = Swift.min(19, end)
                        DecimalDecade.writeDigits(chunk, count: count, endingAt: output + end)
                        end -= count
                    }
                    return body(UnsafeBufferPointer(start: output, count: significantDigits))
                }
            }
        }
        // mpz_get_str writes at most sizeinbase + 1 bytes (its digit count may exceed the true one by one).
        let capacity = Int(__gmpz_sizeinbase(z, 10)) + 2
        if digitBuffer.count < capacity { digitBuffer = [CChar](repeating: 0, count: capacity) }
        return digitBuffer.withUnsafeMutableBufferPointer { buffer in
            _ = __gmpz_get_str(buffer.baseAddress!, 10, z)
            let length = strlen(buffer.baseAddress!)
            return UnsafeRawPointer(buffer.baseAddress!).withMemoryRebound(to: UInt8.self, capacity: length) {
                body(UnsafeBufferPointer(start: $0, count: length))
            }
        }
    }

    /// The short path of `withDigits`: integers of at most four limbs (< 2^256 < 10^78, 5 chunks of 19 digits).
    private static let shortLimbs = 4, shortDigits = 95
    private static let chunkBase: UInt64 = 10_000_000_000_000_000_000

    /// Writes the last `count` decimal digits of `value` (zero-padded) to the `count` bytes before
    /// `end`, four digits per division by 10^4 and two per division by 100.
    @inline(__always)
    private static func writeDigits(_ value: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var value = value, position = end, left = count
        while left >= 4 {
            // Four digits per division by 10^4, then two pairs in 32-bit arithmetic.
            let quotient = value / 10_000
            let four = UInt32(truncatingIfNeeded: value &- quotient &* 10_000)
            let high = Int(truncatingIfNeeded: four / 100) &* 2
            let low = Int(truncatingIfNeeded: four % 100) &* 2
            position -= 4
            position[0] = pairs[high]
            position[1] = pairs[high &+ 1]
            position[2] = pairs[low]
            position[3] = pairs[low &+ 1]
            value = quotient
            left -= 4
        }
        while left >= 2 {
            let quotient = value / 100
            let pair = Int(truncatingIfNeeded: value &- quotient &* 100) &* 2
            position -= 2
            position[0] = pairs[pair]
            position[1] = pairs[pair &+ 1]
            value = quotient
            left -= 2
        }
        if left == 1 {
            position -= 1
            position[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
        }
    }

    /// "00", "01", ..., "99": the two digits of every number below 100.
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// Appends the text of the value in `slot` (sign and power of ten from `round`), as `DecimalDigits.text` renders it.
    func appendText(slot: Int, _ rounded: (negative: Bool, exponent10: Int), to bytes: inout [UInt8]) {
        withDigits(slot: slot) { DecimalDigits.appendText(negative: rounded.negative, digits: $0, exponent10: rounded.exponent10, to: &bytes) }
    }
}

/// Certified decimal printing of many intervals at one number of digits (the solvers' tables):
/// `Interval.certifiedDecimal` with the powers of ten and five and the work integers shared
/// between calls. Mutable: one per thread.
public final class DecimalPrinter {
    public let significantDigits: Int
    private let decade: DecimalDecade

    public init(significantDigits: Int) {
        precondition(significantDigits >= 1)
        self.significantDigits = significantDigits
        decade = DecimalDecade(significantDigits: significantDigits)
    }

    /// The correctly rounded decimal of the enclosed value when both ends round to it, else nil.
    public func certified(_ x: Interval) -> DecimalDigits? {
        let low = decade.round(x.lower, .nearest, slot: 0)
        let high = decade.round(x.upper, .nearest, slot: 1)
        guard low == high && decade.slotsAreEqual() else { return nil }
        return DecimalDigits(negative: low.negative, digits: decade.digits(slot: 0), exponent10: low.exponent10)
    }

    /// Lower endpoint rounded down and upper endpoint rounded up: a decimal enclosure
    /// (`Interval.decimalBounds` without a new printer per call).
    /// The decimal enclosure of `bounds` appended as "lower,upper" (UTF-8), without intermediate strings.
    public func appendBounds(_ x: Interval, to bytes: inout [UInt8]) {
        let low = decade.round(x.lower, .down, slot: 0)
        let high = decade.round(x.upper, .up, slot: 1)
        decade.appendText(slot: 0, low, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        decade.appendText(slot: 1, high, to: &bytes)
    }

    public func bounds(_ x: Interval) -> (lower: String, upper: String) {
        let low = decade.round(x.lower, .down, slot: 0)
        let high = decade.round(x.upper, .up, slot: 1)
        return (DecimalDigits(negative: low.negative, digits: decade.digits(slot: 0), exponent10: low.exponent10).text,
                DecimalDigits(negative: high.negative, digits: decade.digits(slot: 1), exponent10: high.exponent10).text)
    }
}

extension Dyadic {
    /// The value rounded to `significantDigits` decimal digits in the given mode.
    public func decimalDigits(significantDigits: Int, _ mode: DecimalRounding) -> DecimalDigits {
        let decade = DecimalDecade(significantDigits: significantDigits)
        let rounded = decade.round(self, mode, slot: 0)
        return DecimalDigits(negative: rounded.negative, digits: decade.digits(slot: 0), exponent10: rounded.exponent10)
    }

    /// Shorthand for `decimalDigits(...).text`.
    public func decimalString(significantDigits: Int, _ mode: DecimalRounding) -> String {
        decimalDigits(significantDigits: significantDigits, mode).text
    }
}

/// Where the dropped fraction of a truncation lies: it decides directed and nearest rounding.
enum TruncatedFraction: Equatable {
    case zero, belowHalf, half, aboveHalf
}

extension Interval {
    /// The value rounded to nearest at `significantDigits` digits when the enclosure decides it
    /// (both endpoints round to the same decimal); nil when the enclosure is too wide to certify it.
    public func certifiedDecimal(significantDigits: Int) -> DecimalDigits? {
        DecimalPrinter(significantDigits: significantDigits).certified(self)
    }

    /// Lower endpoint rounded down and upper endpoint rounded up: a decimal enclosure.
    public func decimalBounds(significantDigits: Int) -> (lower: String, upper: String) {
        DecimalPrinter(significantDigits: significantDigits).bounds(self)
    }
}
