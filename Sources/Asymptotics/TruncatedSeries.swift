import Numerics

/// A coefficient field for truncated power series: exact rationals (lazy and rich coefficients)
/// or certified intervals (deep and joint coefficients, which involve W and logarithms).
public protocol SeriesScalar: Sendable {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    /// The integer n in the same field (and, for intervals, at the same precision) as self.
    func integer(_ n: Int) -> Self
}

extension BigRational: SeriesScalar {
    public func integer(_ n: Int) -> BigRational { BigRational(n) }
}

extension Interval: SeriesScalar {
    public func integer(_ n: Int) -> Interval { Interval(n, precision: precision) }
}

/// sum_{n < count} coefficients[n] x^n, every operation truncated mod x^count (count = order + 1).
public struct TruncatedSeries<Scalar: SeriesScalar>: Sendable {
    public var coefficients: [Scalar]

    public init(_ coefficients: [Scalar]) {
        precondition(!coefficients.isEmpty)
        self.coefficients = coefficients
    }

    /// The constant c, as a series with `count` coefficients.
    public init(constant c: Scalar, count: Int) {
        self.coefficients = [c] + Array(repeating: c.integer(0), count: count - 1)
    }

    public var count: Int { coefficients.count }
    public subscript(n: Int) -> Scalar { n < coefficients.count ? coefficients[n] : coefficients[0].integer(0) }

    var zero: Scalar { coefficients[0].integer(0) }

    public static func + (a: Self, b: Self) -> Self {
        Self((0..<Swift.min(a.count, b.count)).map { a.coefficients[$0] + b.coefficients[$0] })
    }

    public static func - (a: Self, b: Self) -> Self {
        Self((0..<Swift.min(a.count, b.count)).map { a.coefficients[$0] - b.coefficients[$0] })
    }

    public static func * (a: Self, b: Self) -> Self {
        let n = Swift.min(a.count, b.count)
        var out = Array(repeating: a.zero, count: n)
        for i in 0..<n {
            for j in 0..<(n - i) { out[i + j] = out[i + j] + a.coefficients[i] * b.coefficients[j] }
        }
        return Self(out)
    }

    public func scaled(by c: Scalar) -> Self { Self(coefficients.map { $0 * c }) }

    /// x^shift · self (shift > 0) or the series divided by x^(−shift) (shift < 0, dropping the
    /// first coefficients, which the caller knows to vanish); the count is kept.
    public func shifted(by shift: Int) -> Self {
        Self((0..<count).map { n in
            let source = n - shift
            return source >= 0 && source < count ? coefficients[source] : zero
        })
    }

    /// 1 / self (constant term nonzero): r_0 = 1/a_0, r_n = −(sum_{i=1..n} a_i r_{n−i}) / a_0.
    public var reciprocal: Self {
        var r = [coefficients[0].integer(1) / coefficients[0]]
        for n in 1..<count {
            var s = zero
            for i in 1...n { s = s + coefficients[i] * r[n - i] }
            r.append(zero - s / coefficients[0])
        }
        return Self(r)
    }

    /// self^n, n >= 0, by binary powering.
    public func power(_ n: Int) -> Self {
        precondition(n >= 0)
        var result = Self(constant: coefficients[0].integer(1), count: count)
        var base = self
        var e = n
        while e > 0 {
            if e & 1 == 1 { result = result * base }
            e >>= 1
            if e > 0 { base = base * base }
        }
        return result
    }

    /// ln(1 + self) for a series with zero constant term: (1+f) L' = f', so
    /// n L_n = n f_n − sum_{i=1}^{n−1} i L_i f_{n−i}.
    public var log1p: Self {
        var l = [zero]
        for n in 1..<count {
            var s = coefficients[n].integer(n) * coefficients[n]
            for i in 1..<n { s = s - coefficients[n].integer(i) * l[i] * coefficients[n - i] }
            l.append(s / coefficients[n].integer(n))
        }
        return Self(l)
    }
}
