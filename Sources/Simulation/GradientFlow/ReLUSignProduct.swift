/// The ReLU population step's product by sign bits (notes/verify-antk.md (GV23e), the method of the
/// four Russians): for ReLU, g = diag(z) B with B the 0/1 matrix of 1[h > 0], so a row of
/// g (diag(Delta) C_rows) is z_i times a sum of rows of R = diag(Delta) C_rows. The P rows of R are split
/// into `groups` groups of at most `width` consecutive rows; per step every subset sum of each group is
/// tabulated (`tabulate`), and a row of B R is the sum over groups of one table row, selected by the
/// row's `width` sign bits in that group (packed by `pack`). No multiplication; the same terms as the
/// dgemm form in another order (agreement to rounding, bound in (GV23e)).
///
/// Layout: table s, entry e at `tables + (s << width + e) * points` (n doubles); a row's sign bits are
/// `groups` bytes, byte s holding 1[h[s width + j] > 0] in bit j.
struct ReLUSignProduct: Sendable {
    let train: Int, points: Int
    /// k: rows of R per group (4 ... 8), and G = ceil(P / k).
    let width: Int, groups: Int
    /// Doubles of the tables: G 2^k n.
    var tableCount: Int { groups << width * points }

    /// k: the largest of 4 ... 8 whose tables fit in about 1 MiB (the core's L2 holds them beside the
    /// block of h being updated (GV23e)); nil when none does (P n > 32768 or so): then the tables would be
    /// read from farther than L2 for every row, and dgemm is the faster form.
    init?(train p: Int, points n: Int) {
        precondition(p > 0 && n > 0)
        train = p; points = n
        guard let k = (4...8).reversed().first(where: { ((p + $0 - 1) / $0) << $0 * n * 8 <= 1 << 20 }) else { return nil }
        width = k
        groups = (p + k - 1) / k
    }

    /// T_s[0] = 0, T_s[e] = T_s[e - l] + R[s k + log2 l] (l the lowest set bit of e) (GV23e): one vector
    /// addition per entry. `right`: R (P x n, row-major).
    func tabulate(_ right: UnsafePointer<Double>, into tables: UnsafeMutablePointer<Double>) {
        let (k, n) = (width, points)
        for s in 0..<groups {
            let rows = min(k, train - s * k), base = tables + (s << k) * n
            base.update(repeating: 0, count: n)
            for e in 1..<(1 << rows) {
                let low = e & -e, source = base + (e ^ low) * n, row = right + (s * k + low.trailingZeroBitCount) * n
                let target = base + e * n
                var nu = 0
                while nu &+ 8 <= n {
                    Self.store(Self.load(source + nu) + Self.load(row + nu), target + nu)
                    nu &+= 8
                }
                while nu < n { target[nu] = source[nu] + row[nu]; nu &+= 1 }
            }
        }
    }

    /// The sign bits of one row of h (its first P entries) (GV23e): byte s = sum_j 1[h[s k + j] > 0] 2^j.
    /// NaN and both zeros give 0, as phi'(h) = 1[h > 0] does.
    @inline(__always)
    func pack(_ h: UnsafePointer<Double>, into bits: UnsafeMutablePointer<UInt8>) {
        let (k, p) = (width, train), mask: UInt64 = (1 << UInt64(k)) - 1
        // sum_j 2^(56 - 7 j), j = 0 ... 7: times a word of eight bytes 0 or 1, bit 56 + j of the product is byte j.
        let gather: UInt64 = 0x0102_0408_1020_4080
        let zero = SIMD8<Double>(repeating: 0), one = SIMD8<Int64>(repeating: 1), none = SIMD8<Int64>(repeating: 0)
        // The signs as a bit string, eight at a time (at most 7 + 8 bits pending), cut into groups of k. Eight signs
        // become eight bytes 0 or 1, and one multiplication by sum_j 2^(56 - 7 j) gathers byte j into bit 56 + j
        // (the other partial products fall below bit 56 or beyond bit 63; checked for all 256 patterns in the tests).
        var pending: UInt64 = 0, filled = 0, s = 0, mu = 0
        while mu &+ 8 <= p {
            let bytes = SIMD8<UInt8>(truncatingIfNeeded: none.replacing(with: one, where: Self.load(h + mu) .> zero))
            pending |= ((unsafeBitCast(bytes, to: UInt64.self) &* gather) >> 56) << UInt64(filled)
            filled &+= 8; mu &+= 8
            while filled >= k { bits[s] = UInt8(truncatingIfNeeded: pending & mask); pending >>= UInt64(k); filled &-= k; s &+= 1 }
        }
        while mu < p {
            pending |= (h[mu] > 0 ? 1 : 0) << UInt64(filled)
            filled &+= 1; mu &+= 1
            if filled == k { bits[s] = UInt8(truncatingIfNeeded: pending); pending = 0; filled = 0; s &+= 1 }
        }
        if filled > 0 { bits[s] = UInt8(truncatingIfNeeded: pending) }
    }

    /// One row of the step (GV1), (GV2) by the tables (GV23e), and, when `sum` is given, its refresh (GV23a):
    ///     dz = sum_mu max(h[mu], 0) Delta[mu] (the old row), z' = decay z + rate dz,
    ///     h <- decay h + (rate z) sum_s T_s[bits[s]],
    ///     then sum[nu] += z' max(h[nu], 0) on all n columns and bits <- the new row's sign bits.
    /// Without `sum` (a trial step) the bits are left alone. `rows`: G pointers of scratch. Returns z'.
    @inline(__always)
    func step(_ h: UnsafeMutablePointer<Double>, readout z: Double, bits: UnsafeMutablePointer<UInt8>,
              tables: UnsafePointer<Double>, delta: UnsafePointer<Double>, decay: Double, rate: Double,
              sum: UnsafeMutablePointer<Double>?, rows: UnsafeMutablePointer<UnsafePointer<Double>>) -> Double {
        typealias Lanes = SIMD8<Double>
        let (k, n, p, g) = (width, points, train, groups)
        let zero = Lanes(repeating: 0)
        // dz from the old row (GV2), eight partial sums.
        var lanes = zero, mu = 0
        while mu &+ 8 <= p {
            let x = Self.load(h + mu)
            lanes += zero.replacing(with: x, where: x .> zero) * Self.load(delta + mu)
            mu &+= 8
        }
        var dz = lanes.sum()
        while mu < p { let x = h[mu]; dz += (x > 0 ? x : 0) * delta[mu]; mu &+= 1 }
        let updated = decay * z + rate * dz
        for s in 0..<g { rows[s] = tables + ((s << k) + Int(bits[s])) * n }
        let c = Lanes(repeating: rate * z), d = Lanes(repeating: decay), w = Lanes(repeating: updated)
        var nu = 0
        while nu &+ 16 <= n {
            var a0 = zero, a1 = zero
            for s in 0..<g { let r = rows[s] + nu; a0 += Self.load(r); a1 += Self.load(r + 8) }
            let x0 = d * Self.load(h + nu) + c * a0, x1 = d * Self.load(h + nu + 8) + c * a1
            Self.store(x0, h + nu); Self.store(x1, h + nu + 8)
            if let sum {
                Self.store(Self.load(sum + nu) + w * zero.replacing(with: x0, where: x0 .> zero), sum + nu)
                Self.store(Self.load(sum + nu + 8) + w * zero.replacing(with: x1, where: x1 .> zero), sum + nu + 8)
            }
            nu &+= 16
        }
        if nu &+ 8 <= n {
            var a = zero
            for s in 0..<g { a += Self.load(rows[s] + nu) }
            let x = d * Self.load(h + nu) + c * a
            Self.store(x, h + nu)
            if let sum { Self.store(Self.load(sum + nu) + w * zero.replacing(with: x, where: x .> zero), sum + nu) }
            nu &+= 8
        }
        while nu < n {
            var a = 0.0
            for s in 0..<g { a += rows[s][nu] }
            let x = decay * h[nu] + rate * z * a
            h[nu] = x
            if let sum { sum[nu] += updated * (x > 0 ? x : 0) }
            nu &+= 1
        }
        if sum != nil { pack(UnsafePointer(h), into: bits) }
        return updated
    }

    /// The refresh (GV23a) of one row without a step: sum[nu] += z max(h[nu], 0) on all n, and the sign bits.
    @inline(__always)
    func refresh(_ h: UnsafePointer<Double>, readout z: Double, bits: UnsafeMutablePointer<UInt8>, sum: UnsafeMutablePointer<Double>) {
        typealias Lanes = SIMD8<Double>
        let zero = Lanes(repeating: 0), w = Lanes(repeating: z)
        var nu = 0
        while nu &+ 8 <= points {
            let x = Self.load(h + nu)
            Self.store(Self.load(sum + nu) + w * zero.replacing(with: x, where: x .> zero), sum + nu)
            nu &+= 8
        }
        while nu < points { let x = h[nu]; sum[nu] += z * (x > 0 ? x : 0); nu &+= 1 }
        pack(h, into: bits)
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Double>) -> SIMD8<Double> { UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Double>.self) }
    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Double>) -> SIMD8<Double> { load(UnsafePointer(pointer)) }
    @inline(__always)
    static func store(_ lanes: SIMD8<Double>, _ pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD8<Double>.self)
    }
}
