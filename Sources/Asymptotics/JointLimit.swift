import Foundation
import Numerics

/// Joint limit L -> inf with kappa = L g fixed (notes/asymptotics-deep.md, Part C):
/// c_L = c_inf + c_1/L + c_2/L^2 + ... (D22), c_inf the largest root of
/// G(c) = ln c − kappa c/(b+c)^2 = 0 (D21). The coefficients solve
/// H(c, eps) = ln c − ln(1 + a(c) eps)/eps = 0 (D20), a(c) = kappa c/(b+c)^2, eps = 1/L, order by
/// order: [eps^n] H is linear in c_n with coefficient G'(c_inf) (D23)–(D24).
public struct JointLimit: Sendable {
    public let kappa: BigRational
    public let ridge: BigRational
    /// c_inf, c_1, ..., c_order, enclosed.
    public let coefficients: [Interval]
    public let precision: Int

    public init(kappa: BigRational, ridge b: BigRational, order: Int, precision: Int) throws {
        precondition(kappa.signum > 0 && b.signum >= 0 && order >= 0)
        self.kappa = kappa
        self.ridge = b
        self.precision = precision
        let bits = precision + 32
        let k = Interval(kappa, precision: bits), bb = Interval(b, precision: bits)
        let root = try JointLimit.largestRoot(kappa: kappa, ridge: b, precision: bits)
        let one = Interval(1, precision: bits)
        // G'(c) = 1/c − a'(c), a'(c) = kappa (b − c)/(b + c)^3 (D23).
        let slope = one / root - k * (bb - root) / (bb + root).power(3)
        guard slope.definiteSign == 1 || slope.definiteSign == -1 else {
            throw JointLimitError.degenerateRoot(kappa.description, b.description)
        }
        var c = [root]
        for n in 0...order where n >= 1 {
            let count = n + 2
            let zero = Interval(0, precision: bits)
            let cSeries = TruncatedSeries(c + Array(repeating: zero, count: count - c.count))   // c_n = 0
            let bPlusC = cSeries + TruncatedSeries(constant: bb, count: count)
            let a = (cSeries * (bPlusC * bPlusC).reciprocal).scaled(by: k)
            // ln c − ln c_inf = log1p((c − c_inf)/c_inf); ln(1 + a eps)/eps.
            let relative = (cSeries - TruncatedSeries(constant: root, count: count)).scaled(by: one / root)
            let h = relative.log1p - a.shifted(by: 1).log1p.shifted(by: -1)
            c.append(zero - h[n] / slope)
        }
        coefficients = c
    }

    /// c_inf + c_1/L + ... + c_n/L^n (D22).
    public func truncation(_ n: Int, depth: Int) -> Interval {
        let eps = Interval(BigRational(1, depth), precision: coefficients[0].precision)
        var sum = coefficients[n]
        for j in stride(from: n - 1, through: 0, by: -1) { sum = sum * eps + coefficients[j] }
        return sum.rounded(to: precision)
    }

    /// |c_{n+1}| / (L^(n+1) c_inf): the model of the relative error of the n-th truncation.
    public func errorModel(_ n: Int, depth: Int) -> Interval {
        let term = coefficients[n + 1] / coefficients[0] / Interval(BigRational(BigInt(depth).power(n + 1)), precision: coefficients[0].precision)
        return term.definiteSign == -1 ? -term : term
    }

    /// The largest root of G (D21), in y = ln c: kappa = k(y) = y e^(−y) (b + e^y)^2 (D26), and
    /// every root has y <= W(kappa) since k(y) >= y e^y. A Double scan from W(kappa) downward
    /// finds the last sign change; certified signs of G then bracket it and `CertifiedRootFinder`
    /// refines it.
    static func largestRoot(kappa: BigRational, ridge b: BigRational, precision: Int) throws -> Interval {
        let kd = kappa.doubleApproximation, bd = b.doubleApproximation
        let yMax = lambertW(kd)
        func excess(_ y: Double) -> Double { y * exp(-y) * (b.isZero ? exp(2 * y) : (bd + exp(y)) * (bd + exp(y))) - kd }
        let steps = 4000
        var high = yMax * (1 + 1e-9) + 1e-12
        var low = high
        var found = false
        for i in 1...steps {
            low = yMax * (1 - Double(i) / Double(steps)) * (1 + 1e-9)
            if excess(low) <= 0 { found = true; break }
            high = low
        }
        guard found else { throw JointLimitError.noRoot(kappa.description, b.description) }
        let k = Interval(kappa, precision: precision), bb = Interval(b, precision: precision)
        let f = IntervalFunction(
            value: { c in
                let kk = k.withPrecision(c.precision), bw = bb.withPrecision(c.precision)
                return Interval.log(c) - kk * c / (bw + c).squared
            },
            derivative: { c in
                let kk = k.withPrecision(c.precision), bw = bb.withPrecision(c.precision)
                return Interval(1, precision: c.precision) / c - kk * (bw - c) / (bw + c).power(3)
            })
        let finder = CertifiedRootFinder()
        let lowC = Dyadic(exponentialOf: low), highC = Dyadic(exponentialOf: high)
        guard let sLow = finder.sign(of: f.value, at: lowC, precision: precision),
              let sHigh = finder.sign(of: f.value, at: highC, precision: precision), sLow == -sHigh, sLow != 0 else {
            throw JointLimitError.degenerateRoot(kappa.description, b.description)
        }
        let bracket = try finder.refine(f, bracket: SignBracket(lower: lowC, upper: highC, signAtLower: sLow),
                                        start: nil, targetBits: precision)
        return bracket.interval(precision: precision)
    }
}

public enum JointLimitError: Error, Equatable, CustomStringConvertible {
    case noRoot(String, String)
    case degenerateRoot(String, String)

    public var description: String {
        switch self {
        case .noRoot(let k, let b): return "no root of ln c = kappa c/(b+c)^2 found for kappa = \(k), b = \(b)"
        case .degenerateRoot(let k, let b):
            return "the joint-limit root for kappa = \(k), b = \(b) is at (or too close to) a fold (G'(c_inf) = 0, D23)"
        }
    }
}
