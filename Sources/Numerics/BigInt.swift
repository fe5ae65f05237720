import CGMP
import Foundation

/// Owner of one GMP `mpz_t`. Held only by `BigInt`, never mutated after the operation that
/// produced it returns, so `BigInt` has value semantics. The `mpz_t` lives in the object itself
/// (the header of a `ManagedBuffer` with no elements): one allocation per box, not two, and it
/// stays at the same address for the object's lifetime, which `pointer` relies on.
@usableFromInline
final class MPZBox: ManagedBuffer<__mpz_struct, UInt8> {
    /// A new box holding an initialized `mpz_t` of value 0.
    @usableFromInline static func fresh() -> MPZBox {
        let box = unsafeDowncast(MPZBox.create(minimumCapacity: 0) { _ in __mpz_struct() }, to: MPZBox.self)
        __gmpz_init(box.pointer)
        return box
    }

    /// The `mpz_t`, valid while the box is alive.
    @usableFromInline var pointer: UnsafeMutablePointer<__mpz_struct> {
        withUnsafeMutablePointerToHeader { $0 }
    }

    deinit {
        __gmpz_clear(pointer)
    }
}

/// An arbitrary-precision integer backed by GMP. Immutable: every operation returns a new value.
public struct BigInt: @unchecked Sendable {
    @usableFromInline let box: MPZBox

    @usableFromInline init(box: MPZBox) { self.box = box }

    /// Runs `body` on a fresh mpz and wraps it.
    @inlinable static func make(_ body: (UnsafeMutablePointer<__mpz_struct>) -> Void) -> BigInt {
        let box = MPZBox.fresh()
        body(box.pointer)
        return BigInt(box: box)
    }

    public init(_ value: Int) {
        box = MPZBox.fresh()
        __gmpz_set_si(box.pointer, value)
    }

    /// Parses a base-10 integer (optional leading '-'); nil if malformed.
    public init?(decimalDigits text: String) {
        var body = Substring(text)
        var negative = false
        if body.first == "-" { negative = true; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        box = MPZBox.fresh()
        let status = __gmpz_set_str(box.pointer, String(body), 10)
        guard status == 0 else { return nil }
        if negative { __gmpz_neg(box.pointer, box.pointer) }
    }

    public static let zero = BigInt(0)
    public static let one = BigInt(1)

    @inlinable public var signum: Int { Int(ak_mpz_sgn(box.pointer)) }
    @inlinable public var isZero: Bool { signum == 0 }
    @inlinable public var isOdd: Bool { ak_mpz_odd_p(box.pointer) != 0 }

    /// Number of bits of |self| (0 for zero).
    @inlinable public var bitWidth: Int {
        isZero ? 0 : Int(__gmpz_sizeinbase(box.pointer, 2))
    }

    /// Index of the lowest set bit (self ≠ 0): the number of trailing zero bits.
    public var trailingZeroBitCount: Int {
        precondition(!isZero)
        return Int(__gmpz_scan1(box.pointer, 0))
    }

    /// Bit `index` of the two's-complement value (index >= 0).
    public func bit(_ index: Int) -> Bool {
        precondition(index >= 0)
        return __gmpz_tstbit(box.pointer, mp_bitcnt_t(index)) != 0
    }

    /// The value as an Int when it fits.
    public var intValue: Int? {
        guard __gmpz_fits_slong_p(box.pointer) != 0 else { return nil }
        return __gmpz_get_si(box.pointer)
    }

    /// (mantissa in [0.5, 1), exponent) with self ≈ mantissa · 2^exponent (truncated toward zero).
    public var doubleAndExponent: (Double, Int) {
        var exponent = 0
        let mantissa = __gmpz_get_d_2exp(&exponent, box.pointer)
        return (mantissa, exponent)
    }

    public var magnitude: BigInt { BigInt.make { __gmpz_abs($0, box.pointer) } }

    @inlinable public static prefix func - (x: BigInt) -> BigInt { make { __gmpz_neg($0, x.box.pointer) } }
    @inlinable public static func + (a: BigInt, b: BigInt) -> BigInt { make { __gmpz_add($0, a.box.pointer, b.box.pointer) } }
    @inlinable public static func - (a: BigInt, b: BigInt) -> BigInt { make { __gmpz_sub($0, a.box.pointer, b.box.pointer) } }
    @inlinable public static func * (a: BigInt, b: BigInt) -> BigInt { make { __gmpz_mul($0, a.box.pointer, b.box.pointer) } }
    @inlinable public static func * (a: BigInt, b: Int) -> BigInt { make { __gmpz_mul_si($0, a.box.pointer, b) } }

    /// self · 2^shift for shift >= 0.
    @inlinable public func shiftedLeft(_ shift: Int) -> BigInt {
        precondition(shift >= 0)
        return BigInt.make { __gmpz_mul_2exp($0, box.pointer, mp_bitcnt_t(shift)) }
    }

    /// floor(self / 2^shift), shift >= 0.
    @inlinable public func floorShiftedRight(_ shift: Int) -> BigInt {
        precondition(shift >= 0)
        return BigInt.make { __gmpz_fdiv_q_2exp($0, box.pointer, mp_bitcnt_t(shift)) }
    }

    /// ceil(self / 2^shift), shift >= 0.
    @inlinable public func ceilShiftedRight(_ shift: Int) -> BigInt {
        precondition(shift >= 0)
        return BigInt.make { __gmpz_cdiv_q_2exp($0, box.pointer, mp_bitcnt_t(shift)) }
    }

    /// (a · 2^aShift) + (b · 2^bShift) for shifts >= 0, built in one GMP integer.
    @inlinable public static func shiftedSum(_ a: BigInt, _ aShift: Int, _ b: BigInt, _ bShift: Int) -> BigInt {
        precondition(aShift >= 0 && bShift >= 0)
        return make { r in
            if aShift == 0 && bShift == 0 {
                __gmpz_add(r, a.box.pointer, b.box.pointer)
            } else if bShift == 0 {
                __gmpz_mul_2exp(r, a.box.pointer, mp_bitcnt_t(aShift))
                __gmpz_add(r, r, b.box.pointer)
            } else if aShift == 0 {
                __gmpz_mul_2exp(r, b.box.pointer, mp_bitcnt_t(bShift))
                __gmpz_add(r, r, a.box.pointer)
            } else {
                __gmpz_mul_2exp(r, a.box.pointer, mp_bitcnt_t(aShift))
                let t = MPZBox.fresh()
                __gmpz_mul_2exp(t.pointer, b.box.pointer, mp_bitcnt_t(bShift))
                __gmpz_add(r, r, t.pointer)
            }
        }
    }

    /// Three-way comparison of a · 2^aShift with b · 2^bShift (shifts >= 0).
    @inlinable public static func compareShifted(_ a: BigInt, _ aShift: Int, _ b: BigInt, _ bShift: Int) -> Int {
        let common = min(aShift, bShift)
        let (ra, rb) = (aShift - common, bShift - common)
        if ra == 0 && rb == 0 { return Int(__gmpz_cmp(a.box.pointer, b.box.pointer).signum()) }
        let t = MPZBox.fresh()
        if ra > 0 {
            __gmpz_mul_2exp(t.pointer, a.box.pointer, mp_bitcnt_t(ra))
            return Int(__gmpz_cmp(t.pointer, b.box.pointer).signum())
        }
        __gmpz_mul_2exp(t.pointer, b.box.pointer, mp_bitcnt_t(rb))
        return Int(__gmpz_cmp(a.box.pointer, t.pointer).signum())
    }

    /// a · b with the low bits beyond `bits` significant bits dropped toward −∞ (.down) or +∞
    /// (.up), in one GMP integer; returns the result and the number of bits dropped.
    @inlinable public static func roundedProduct(_ a: BigInt, _ b: BigInt, bits: Int, roundUp: Bool) -> (BigInt, Int) {
        var dropped = 0
        let value = make { r in
            __gmpz_mul(r, a.box.pointer, b.box.pointer)
            let width = ak_mpz_sgn(r) == 0 ? 0 : Int(__gmpz_sizeinbase(r, 2))
            if width > bits {
                dropped = width - bits
                if roundUp { __gmpz_cdiv_q_2exp(r, r, mp_bitcnt_t(dropped)) } else { __gmpz_fdiv_q_2exp(r, r, mp_bitcnt_t(dropped)) }
            }
        }
        return (value, dropped)
    }

    /// base^n for base >= 0, n >= 0, every intermediate cut to `bits` significant bits toward −∞
    /// (roundUp false) or +∞ (true), computed in three reused GMP integers. Returns the mantissa and
    /// the total number of bits dropped (the result is mantissa · 2^dropped times the exact scale).
    public static func roundedPower(_ base: BigInt, _ n: Int, bits: Int, roundUp: Bool) -> (BigInt, Int) {
        precondition(n >= 0 && base.signum >= 0)
        let result = MPZBox.fresh(), square = MPZBox.fresh(), scratch = MPZBox.fresh()
        __gmpz_set_ui(result.pointer, 1)
        __gmpz_set(square.pointer, base.box.pointer)
        var resultShift = 0, squareShift = 0
        func cut(_ z: UnsafeMutablePointer<__mpz_struct>) -> Int {
            let width = ak_mpz_sgn(z) == 0 ? 0 : Int(__gmpz_sizeinbase(z, 2))
            guard width > bits else { return 0 }
            let drop = width - bits
            if roundUp { __gmpz_cdiv_q_2exp(z, z, mp_bitcnt_t(drop)) } else { __gmpz_fdiv_q_2exp(z, z, mp_bitcnt_t(drop)) }
            return drop
        }
        squareShift = cut(square.pointer)
        var remaining = n
        while remaining > 0 {
            if remaining & 1 == 1 {
                __gmpz_mul(scratch.pointer, result.pointer, square.pointer)
                __gmpz_swap(scratch.pointer, result.pointer)
                resultShift += squareShift + cut(result.pointer)
            }
            remaining >>= 1
            if remaining > 0 {
                __gmpz_mul(scratch.pointer, square.pointer, square.pointer)
                __gmpz_swap(scratch.pointer, square.pointer)
                squareShift = 2 * squareShift + cut(square.pointer)
            }
        }
        return (BigInt(box: result), resultShift)
    }

    /// Fixed-point atanh: with X = x · 2^w (0 <= x <= 1/2 given as the integer X), returns an
    /// integer A with A · 2^-w <= atanh(x) (roundUp false) or >= atanh(x) (roundUp true).
    /// Every truncation is directed, all terms are positive, and for the upper bound the omitted
    /// tail (at most a third of the last term kept, since x^2 <= 1/4) is added as twice that term
    /// (notes/numerics-intervals.md, "Logarithm").
    public static func fixedPointAtanh(_ x: BigInt, scaleBits w: Int, roundUp: Bool) -> BigInt {
        precondition(x.signum >= 0 && w > 0)
        let square = MPZBox.fresh(), term = MPZBox.fresh(), sum = MPZBox.fresh(), piece = MPZBox.fresh()
        func cut(_ z: UnsafeMutablePointer<__mpz_struct>, _ shift: Int) {
            if roundUp { __gmpz_cdiv_q_2exp(z, z, mp_bitcnt_t(shift)) } else { __gmpz_fdiv_q_2exp(z, z, mp_bitcnt_t(shift)) }
        }
        __gmpz_mul(square.pointer, x.box.pointer, x.box.pointer)
        cut(square.pointer, w)
        __gmpz_set(term.pointer, x.box.pointer)
        __gmpz_set(sum.pointer, x.box.pointer)
        var k = 0
        // Stop once the term is below 2^2 (a few units in the last place of the fixed point).
        while __gmpz_sizeinbase(term.pointer, 2) > 2 && ak_mpz_sgn(term.pointer) != 0 {
            k += 1
            __gmpz_mul(piece.pointer, term.pointer, square.pointer)
            __gmpz_swap(piece.pointer, term.pointer)
            cut(term.pointer, w)
            if roundUp {
                __gmpz_cdiv_q_ui(piece.pointer, term.pointer, UInt(2 * k + 1))
            } else {
                __gmpz_fdiv_q_ui(piece.pointer, term.pointer, UInt(2 * k + 1))
            }
            __gmpz_add(sum.pointer, sum.pointer, piece.pointer)
        }
        if roundUp {
            __gmpz_addmul_ui(sum.pointer, term.pointer, 2)
        }
        return BigInt(box: sum)
    }

    /// floor(a / b), b != 0.
    public static func floorDivide(_ a: BigInt, _ b: BigInt) -> BigInt {
        precondition(!b.isZero, "division by zero")
        return make { __gmpz_fdiv_q($0, a.box.pointer, b.box.pointer) }
    }

    /// ceil(a / b), b != 0.
    public static func ceilDivide(_ a: BigInt, _ b: BigInt) -> BigInt {
        precondition(!b.isZero, "division by zero")
        return make { __gmpz_cdiv_q($0, a.box.pointer, b.box.pointer) }
    }

    /// a / b for b dividing a exactly.
    public static func exactDivide(_ a: BigInt, _ b: BigInt) -> BigInt {
        precondition(!b.isZero, "division by zero")
        return make { __gmpz_divexact($0, a.box.pointer, b.box.pointer) }
    }

    public static func gcd(_ a: BigInt, _ b: BigInt) -> BigInt {
        make { __gmpz_gcd($0, a.box.pointer, b.box.pointer) }
    }

    /// self^exponent, exponent >= 0.
    public func power(_ exponent: Int) -> BigInt {
        precondition(exponent >= 0)
        return BigInt.make { __gmpz_pow_ui($0, box.pointer, UInt(exponent)) }
    }

    /// base^exponent for small nonnegative base and exponent.
    public static func power(base: Int, exponent: Int) -> BigInt {
        precondition(base >= 0 && exponent >= 0)
        return make { __gmpz_ui_pow_ui($0, UInt(base), UInt(exponent)) }
    }

    /// Decimal digits of the value (with '-' when negative).
    public var decimalString: String {
        guard let cString = __gmpz_get_str(nil, 10, box.pointer) else { return "?" }
        defer { free(cString) }
        return String(cString: cString)
    }
}

extension BigInt: Equatable, Comparable, Hashable {
    public static func == (a: BigInt, b: BigInt) -> Bool { __gmpz_cmp(a.box.pointer, b.box.pointer) == 0 }
    public static func < (a: BigInt, b: BigInt) -> Bool { __gmpz_cmp(a.box.pointer, b.box.pointer) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(decimalString) }
    /// Three-way comparison with a machine integer.
    public func compare(to value: Int) -> Int { Int(ak_mpz_cmp_si(box.pointer, value)) }
}

extension BigInt: CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var description: String { decimalString }
    public init(integerLiteral value: Int) { self.init(value) }
}

