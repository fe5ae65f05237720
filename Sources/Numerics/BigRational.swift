import Foundation

/// An exact rational number p/q in lowest terms with q > 0.
public struct BigRational: Sendable, Hashable {
    public let numerator: BigInt
    public let denominator: BigInt

    /// Builds numerator/denominator reduced to lowest terms; denominator must be nonzero.
    public init(_ numerator: BigInt, _ denominator: BigInt) {
        precondition(!denominator.isZero, "zero denominator")
        var p = numerator, q = denominator
        if q.signum < 0 { p = -p; q = -q }
        let g = BigInt.gcd(p, q)
        if g.compare(to: 1) != 0 && !g.isZero {
            p = BigInt.exactDivide(p, g)
            q = BigInt.exactDivide(q, g)
        }
        self.numerator = p
        self.denominator = q
    }

    public init(_ value: BigInt) { numerator = value; denominator = .one }
    public init(_ value: Int) { self.init(BigInt(value)) }
    public init(_ numerator: Int, _ denominator: Int) { self.init(BigInt(numerator), BigInt(denominator)) }

    public static let zero = BigRational(0)
    public static let one = BigRational(1)

    public var signum: Int { numerator.signum }
    public var isZero: Bool { numerator.isZero }
    public var isInteger: Bool { denominator.compare(to: 1) == 0 }

    public static prefix func - (x: BigRational) -> BigRational {
        BigRational(unreduced: -x.numerator, x.denominator)
    }
    public static func + (a: BigRational, b: BigRational) -> BigRational {
        BigRational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func - (a: BigRational, b: BigRational) -> BigRational { a + (-b) }
    public static func * (a: BigRational, b: BigRational) -> BigRational {
        BigRational(a.numerator * b.numerator, a.denominator * b.denominator)
    }
    public static func / (a: BigRational, b: BigRational) -> BigRational {
        precondition(!b.isZero, "division by zero")
        return BigRational(a.numerator * b.denominator, a.denominator * b.numerator)
    }

    /// self^n for any integer n (n < 0 requires self != 0).
    public func power(_ n: Int) -> BigRational {
        if n >= 0 { return BigRational(unreduced: numerator.power(n), denominator.power(n)) }
        return BigRational.one / power(-n)
    }

    public var reciprocal: BigRational { .one / self }

    /// Used where the parts are already coprime with a positive denominator.
    init(unreduced numerator: BigInt, _ denominator: BigInt) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Nearest-ish Double (for hints and display only; never for certified output).
    public var doubleApproximation: Double {
        if isZero { return 0 }
        return exp(naturalLogMagnitude) * Double(signum)
    }

    /// ln|self| as a Double, valid far beyond Double's exponent range (self != 0).
    public var naturalLogMagnitude: Double {
        precondition(!isZero)
        return BigRational.lnMagnitude(numerator) - BigRational.lnMagnitude(denominator)
    }

    static func lnMagnitude(_ x: BigInt) -> Double {
        let (mantissa, exponent) = x.doubleAndExponent
        return log(Swift.abs(mantissa)) + Double(exponent) * 0.693147180559945309417232121458
    }
}

extension BigRational: Comparable {
    public static func < (a: BigRational, b: BigRational) -> Bool {
        a.numerator * b.denominator < b.numerator * a.denominator
    }
}

extension BigRational: CustomStringConvertible {
    /// "p/q", or "p" for integers.
    public var description: String {
        isInteger ? numerator.decimalString : "\(numerator.decimalString)/\(denominator.decimalString)"
    }
}

