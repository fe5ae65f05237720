import CGMP

/// Fixed-precision binary floating point for nonnegative numbers with directed rounding, kept in
/// preallocated registers on GMP's mpn layer: no allocation per operation
/// (notes/numerics-intervals.md, "Fixed-precision kernel").
///
/// Register r holds x = M · 2^e with M an n-limb integer whose top bit is set (n = `limbCount`),
/// or x = 0. Each operation computes the exact result of its operation on the registers' values
/// and rounds it down (toward 0) or up to n limbs. On nonnegative numbers + and × are increasing
/// in each argument, so a chain of them evaluated with one direction throughout bounds the exact
/// chain from that side (eq. K1 of the note): the building block of certified signs.
///
/// A workspace is a reference type with mutable storage: one per thread of work, never shared.
public final class DirectedFloatWorkspace {
    /// Limbs (64-bit words) per mantissa.
    public let limbCount: Int
    /// Registers the caller may use: 0 ..< registerCount.
    public let registerCount: Int
    private let limbs: UnsafeMutablePointer<mp_limb_t>
    private let exponents: UnsafeMutablePointer<Int>
    private let scratch: UnsafeMutablePointer<mp_limb_t>
    private let scratchCapacity: Int
    /// One extra register, private to `power`, for a copy of the base.
    private let powerBase: Int

    private static let zeroExponent = Int.min

    /// Mantissa bits: 64 · limbCount.
    public var precision: Int { 64 * limbCount }

    /// The smallest workspace whose mantissas carry at least `bits` bits.
    public convenience init(bits: Int, registers: Int) {
        self.init(limbs: max(1, (bits + 63) / 64), registers: registers)
    }

    public init(limbs: Int, registers: Int) {
        precondition(limbs >= 1 && registers >= 1)
        limbCount = limbs
        registerCount = registers
        powerBase = registers
        self.limbs = .allocate(capacity: (registers + 1) * limbs)
        self.limbs.initialize(repeating: 0, count: (registers + 1) * limbs)
        exponents = .allocate(capacity: registers + 1)
        exponents.initialize(repeating: DirectedFloatWorkspace.zeroExponent, count: registers + 1)
        // Products need 2n limbs, aligned sums at most 2n + 3, quotients (n + 1) + 2n + n.
        scratchCapacity = 4 * limbs + 4
        scratch = .allocate(capacity: scratchCapacity)
        scratch.initialize(repeating: 0, count: scratchCapacity)
    }

    deinit {
        limbs.deallocate()
        exponents.deallocate()
        scratch.deallocate()
    }

    @inline(__always) private func mantissa(_ r: Int) -> UnsafeMutablePointer<mp_limb_t> { limbs + r * limbCount }

    @inline(__always) public func isZero(_ r: Int) -> Bool { exponents[r] == DirectedFloatWorkspace.zeroExponent }

    public func setZero(_ r: Int) { exponents[r] = DirectedFloatWorkspace.zeroExponent }

    /// Register r := value rounded in `direction` (value >= 0).
    public func set(_ r: Int, _ value: Dyadic, _ direction: RoundingDirection) {
        precondition(value.signum >= 0, "DirectedFloatWorkspace holds nonnegative numbers")
        if value.isZero { setZero(r); return }
        // Mantissas that fit in the scratch limbs are rounded here, longer ones by Dyadic first.
        let fits = Int(value.mantissa.box.pointer.pointee._mp_size) <= scratchCapacity
        let source = fits ? value : value.rounded(toBits: precision, direction)
        let z = source.mantissa.box.pointer
        let count = Int(z.pointee._mp_size)
        scratch.update(from: z.pointee._mp_d, count: count)
        round(into: r, count: count, exponent: source.exponent, direction)
    }

    /// Register r := value (exact), value >= 0.
    public func set(_ r: Int, _ value: Int) {
        precondition(value >= 0)
        if value == 0 { setZero(r); return }
        let leadingZeros = UInt(value).leadingZeroBitCount
        let destination = mantissa(r)
        destination.update(repeating: 0, count: limbCount)
        destination[limbCount - 1] = UInt(value) &<< leadingZeros
        exponents[r] = -leadingZeros - 64 * (limbCount - 1)
    }

    public func copy(_ destination: Int, _ source: Int) {
        guard destination != source else { return }
        exponents[destination] = exponents[source]
        mantissa(destination).update(from: mantissa(source), count: limbCount)
    }

    /// The exact value of register r.
    public func dyadic(_ r: Int) -> Dyadic {
        if isZero(r) { return .zero }
        let source = mantissa(r), n = limbCount
        // The n limbs copied straight into the integer (its top limb is nonzero: a normalized mantissa).
        let integer = BigInt.make { z in
            __gmpz_limbs_write(z, n)!.update(from: source, count: n)
            __gmpz_limbs_finish(z, n)
        }
        return Dyadic(integer, exponent: exponents[r])
    }

    /// Three-way comparison of two registers' exact values.
    public func compare(_ a: Int, _ b: Int) -> Int {
        switch (isZero(a), isZero(b)) {
        case (true, true): return 0
        case (true, false): return -1
        case (false, true): return 1
        default:
            if exponents[a] != exponents[b] { return exponents[a] > exponents[b] ? 1 : -1 }
            return Int(__gmpn_cmp(mantissa(a), mantissa(b), limbCount).signum())
        }
    }

    /// destination := a · b rounded in `direction`.
    public func multiply(_ destination: Int, _ a: Int, _ b: Int, _ direction: RoundingDirection) {
        if isZero(a) || isZero(b) { setZero(destination); return }
        let n = limbCount
        if a == b {
            __gmpn_sqr(scratch, mantissa(a), n)
        } else {
            __gmpn_mul_n(scratch, mantissa(a), mantissa(b), n)
        }
        // `round` specialized to a product of two normalized mantissas: its 2n limbs have bit
        // 128n − 1 or 128n − 2 set, so n or n − 1 whole low limbs are dropped, then no shift or a
        // shift by 63 (the same bits, exponent and sticky test as `round`).
        let product = scratch, target = mantissa(destination)
        let exponent = exponents[a] &+ exponents[b]
        var inexact = false
        var i = 0
        if product[2 &* n &- 1] &>> 63 != 0 {
            while !inexact && i < n { inexact = product[i] != 0; i &+= 1 }
            target.update(from: product + n, count: n)
            exponents[destination] = exponent &+ 64 &* n
        } else {
            while !inexact && i < n &- 1 { inexact = product[i] != 0; i &+= 1 }
            if __gmpn_rshift(target, product + (n &- 1), n, 63) != 0 { inexact = true }
            target[n &- 1] |= product[2 &* n &- 1] &<< 1
            exponents[destination] = exponent &+ 64 &* n &- 1
        }
        if inexact && direction == .up { addUnit(destination) }
    }

    /// destination := a + b rounded in `direction`.
    public func add(_ destination: Int, _ a: Int, _ b: Int, _ direction: RoundingDirection) {
        if isZero(a) { copy(destination, b); return }
        if isZero(b) { copy(destination, a); return }
        let (high, low) = exponents[a] >= exponents[b] ? (a, b) : (b, a)
        let gap = exponents[high] - exponents[low]
        let n = limbCount
        if gap > 64 * n + 2 {
            // 0 < low < 2^(e_low + 64n) <= 2^(e_high - 3): below one unit of high's last place.
            copy(destination, high)
            if direction == .up { addUnit(destination) }
            return
        }
        // Exact sum at exponent e_low: (M_high << gap) + M_low, with one limb for the carry.
        let count = alignHigh(high, gap: gap) + 1
        scratch[count - 1] = __gmpn_add(scratch, scratch, count - 1, mantissa(low), n)
        round(into: destination, count: count, exponent: exponents[low], direction)
    }

    /// destination := |a − b| rounded in `direction`; returns the sign of a − b (−1, 0, +1).
    public func subtract(_ destination: Int, _ a: Int, _ b: Int, _ direction: RoundingDirection) -> Int {
        let order = compare(a, b)
        if order == 0 { setZero(destination); return 0 }
        let (high, low) = order > 0 ? (a, b) : (b, a)
        if isZero(low) { copy(destination, high); return order }
        let gap = exponents[high] - exponents[low]
        let n = limbCount
        if gap > 64 * n + 2 {
            // 0 < low < one unit of high's last place: high − low lies in (high − unit, high).
            copy(destination, high)
            if direction == .down { subtractUnit(destination) }
            return order
        }
        // Exact difference at exponent e_low: (M_high << gap) − M_low.
        let count = alignHigh(high, gap: gap)
        _ = __gmpn_sub(scratch, scratch, count, mantissa(low), n)
        round(into: destination, count: count, exponent: exponents[low], direction)
        return order
    }

    /// scratch := M_high · 2^gap (gap <= 64n + 2) in gap/64 + n + 1 limbs, the count returned.
    private func alignHigh(_ high: Int, gap: Int) -> Int {
        let n = limbCount
        let limbShift = gap / 64, bitShift = gap % 64
        let count = limbShift + n + 1
        // Limbs 0 ..< limbShift and count are zero; limbShift ..< limbShift + n + 1 are written below.
        var i = 0
        while i < limbShift { scratch[i] = 0; i &+= 1 }
        scratch[count] = 0
        if bitShift == 0 {
            (scratch + limbShift).update(from: mantissa(high), count: n)
            scratch[limbShift + n] = 0
        } else {
            scratch[limbShift + n] = __gmpn_lshift(scratch + limbShift, mantissa(high), n, UInt32(bitShift))
        }
        return count
    }

    /// destination := a / b (b ≠ 0) rounded in `direction`.
    public func divide(_ destination: Int, _ a: Int, _ b: Int, _ direction: RoundingDirection) {
        precondition(!isZero(b), "division by zero")
        if isZero(a) { setZero(destination); return }
        let n = limbCount
        // Quotient (n + 1 limbs) at scratch, numerator M_a · 2^(64n) (2n limbs) and remainder (n
        // limbs) after it.
        let numerator = scratch + (n + 1)
        let remainder = numerator + 2 * n
        numerator.update(repeating: 0, count: n)
        (numerator + n).update(from: mantissa(a), count: n)
        __gmpn_tdiv_qr(scratch, remainder, 0, numerator, 2 * n, mantissa(b), n)
        var inexact = false
        for i in 0..<n where remainder[i] != 0 { inexact = true; break }
        round(into: destination, count: n + 1, exponent: exponents[a] - exponents[b] - 64 * n, direction, sticky: inexact)
    }

    /// destination := sqrt(a) rounded in `direction` (notes/numerics-intervals.md (K3)): the
    /// integer square root of M_a · 2^s (s = 64n or 64n + 1, so that e_a − s is even) in n + 1
    /// limbs, with a nonzero remainder as the sticky bit.
    public func squareRoot(_ destination: Int, _ a: Int, _ direction: RoundingDirection) {
        if isZero(a) { setZero(destination); return }
        let n = limbCount
        let shift = 64 * n + (exponents[a] & 1 == 0 ? 0 : 1)
        // Radicand M_a · 2^shift in 2n + 1 limbs after the root's n + 1 limbs.
        let radicand = scratch + (n + 1)
        radicand.update(repeating: 0, count: n)
        if shift == 64 * n {
            (radicand + n).update(from: mantissa(a), count: n)
            radicand[2 * n] = 0
        } else {
            radicand[2 * n] = __gmpn_lshift(radicand + n, mantissa(a), n, 1)
        }
        let size = radicand[2 * n] == 0 ? 2 * n : 2 * n + 1
        scratch[n] = 0
        let remainderSize = __gmpn_sqrtrem(scratch, nil, radicand, size)
        round(into: destination, count: n + 1, exponent: (exponents[a] - shift) / 2, direction, sticky: remainderSize != 0)
    }

    /// destination := a · k for an integer k >= 1, rounded in `direction`.
    public func multiply(_ destination: Int, _ a: Int, integer k: Int, _ direction: RoundingDirection) {
        precondition(k >= 1)
        if isZero(a) { setZero(destination); return }
        let n = limbCount
        scratch[n] = __gmpn_mul_1(scratch, mantissa(a), n, UInt(k))
        round(into: destination, count: n + 1, exponent: exponents[a], direction)
    }

    /// destination := a / k for an integer k >= 1, rounded in `direction`.
    public func divide(_ destination: Int, _ a: Int, integer k: Int, _ direction: RoundingDirection) {
        precondition(k >= 1)
        if isZero(a) { setZero(destination); return }
        let n = limbCount
        // One fraction limb: quotient floor(M_a · 2^64 / k) in n + 1 limbs.
        let remainder = __gmpn_divrem_1(scratch, 1, mantissa(a), n, UInt(k))
        round(into: destination, count: n + 1, exponent: exponents[a] - 64, direction, sticky: remainder != 0)
    }

    /// destination := a · 2^power (exact).
    public func scale(_ destination: Int, _ a: Int, byPowerOfTwo power: Int) {
        copy(destination, a)
        if !isZero(destination) { exponents[destination] += power }
    }

    /// floor(log2 x) + 1 for x ≠ 0 (the position just above the leading bit).
    public func topBit(_ r: Int) -> Int {
        precondition(!isZero(r))
        return exponents[r] + 64 * limbCount
    }

    /// destination := base^exponent (exponent >= 0) by left-to-right binary powering, every
    /// product rounded in `direction`. Returns the error exponent e of eq. K2 for an exact base:
    /// the result lies within a factor (1 ∓ ε)^e of base^exponent, ε = 2^(1 − 64 n), where a
    /// square of a quantity with exponent e has 2e + 1 and a product with the base e + 1.
    @discardableResult
    public func power(_ destination: Int, _ base: Int, _ exponent: Int, _ direction: RoundingDirection) -> Int {
        precondition(exponent >= 0)
        if exponent == 0 { set(destination, 1); return 0 }
        copy(powerBase, base)
        copy(destination, powerBase)
        var errorExponent = 0
        var bit = Int.bitWidth - exponent.leadingZeroBitCount - 2
        while bit >= 0 {
            multiply(destination, destination, destination, direction)
            errorExponent = 2 * errorExponent + 1
            if (exponent >> bit) & 1 == 1 {
                multiply(destination, destination, powerBase, direction)
                errorExponent += 1
            }
            bit -= 1
        }
        return errorExponent
    }

    /// destination := an upper bound of x from a lower bound `a` = x (1 − θ) with θ <= 1 − (1 − ε)^e
    /// (eq. K2): a (1 + 2 e ε), rounded up; valid for e ε <= 1/2. `temporary` is clobbered.
    public func upperBound(_ destination: Int, fromLowerBound a: Int, errorExponent e: Int, using temporary: Int) {
        precondition(e >= 0 && e < 1 << 40)
        if e == 0 || isZero(a) { copy(destination, a); return }
        multiply(temporary, a, integer: 2 * e, .up)
        scale(temporary, temporary, byPowerOfTwo: 1 - precision)
        add(destination, a, temporary, .up)
    }

    /// M := M − 1 (one unit in the last place), renormalizing when the top bit clears.
    private func subtractUnit(_ r: Int) {
        _ = __gmpn_sub_1(mantissa(r), mantissa(r), limbCount, 1)
        if mantissa(r)[limbCount - 1] >> 63 == 0 {
            // M was 2^(64n−1): M − 1 has 64n − 1 bits; one exact left shift renormalizes it.
            _ = __gmpn_lshift(mantissa(r), mantissa(r), limbCount, 1)
            exponents[r] -= 1
        }
    }

    /// M := M + 1 (one unit in the last place), renormalizing on carry.
    private func addUnit(_ r: Int) {
        if __gmpn_add_1(mantissa(r), mantissa(r), limbCount, 1) != 0 {
            mantissa(r)[limbCount - 1] = 1 << 63
            exponents[r] += 1
        }
    }

    /// Register r := the `count`-limb integer in `scratch` times 2^exponent, rounded to n limbs in
    /// `direction`; `sticky` says the integer is a truncation of a larger exact value (a
    /// division's quotient with a nonzero remainder). Clobbers `scratch`.
    private func round(into r: Int, count: Int, exponent: Int, _ direction: RoundingDirection, sticky: Bool = false) {
        // Wrapping index arithmetic throughout: counts and shifts are bounded by the scratch size.
        let source = scratch, n = limbCount
        var count = count
        while count > 0 && source[count &- 1] == 0 { count &-= 1 }
        if count == 0 { setZero(r); return }
        let bitLength = (count &<< 6) &- source[count &- 1].leadingZeroBitCount
        let destination = limbs + r &* n
        let capacity = n &<< 6
        if bitLength <= capacity {
            // Exact: shift left so the top bit lands in bit 64n − 1 (the shifted value ends in limb n − 1).
            let shift = capacity &- bitLength
            let limbShift = shift &>> 6, bitShift = shift & 63
            var i = 0
            while i < limbShift { destination[i] = 0; i &+= 1 }
            if bitShift == 0 {
                i = 0
                while i < count { destination[limbShift &+ i] = source[i]; i &+= 1 }
            } else {
                var carry: mp_limb_t = 0
                i = 0
                while i < count {
                    let limb = source[i]
                    destination[limbShift &+ i] = (limb &<< bitShift) | carry
                    carry = limb &>> (64 &- bitShift)
                    i &+= 1
                }
                if limbShift &+ count < n { destination[limbShift &+ count] = carry }
            }
            exponents[r] = exponent &- shift
            if sticky && direction == .up { addUnit(r) }
            return
        }
        // Drop the low `shift` bits: whole limbs first, then bitShift bits while copying n limbs.
        let shift = bitLength &- capacity
        let limbShift = shift &>> 6, bitShift = shift & 63
        var inexact = sticky
        var i = 0
        while !inexact && i < limbShift { inexact = source[i] != 0; i &+= 1 }
        let kept = source + limbShift
        let available = count &- limbShift                   // n or n + 1 limbs
        if bitShift == 0 {
            i = 0
            while i < n { destination[i] = kept[i]; i &+= 1 }
        } else {
            // The n limbs shifted right (the bits shifted out returned: the sticky part), then the
            // low bits of limb n, when present, into the top limb.
            if __gmpn_rshift(destination, kept, n, UInt32(bitShift)) != 0 { inexact = true }
            if available > n { destination[n &- 1] |= kept[n] &<< (64 &- bitShift) }
        }
        exponents[r] = exponent &+ shift
        if inexact && direction == .up { addUnit(r) }
    }
}
