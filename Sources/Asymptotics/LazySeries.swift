import Numerics

/// Lazy regime (gamma -> 0, L and b fixed): exact rational Taylor coefficients in g = gamma^2 of
/// u = −chi and of every layer overlap c_l (notes/asymptotics-lazy.md).
///
/// u = g phi(u), phi(w) = (1+w)^L / (b + (1+w)^L)^2 (Z3); by Lagrange inversion (Z4)
/// a_k = [g^k] u = (1/k)[w^(k−1)] phi^k (Z6) and
/// e^(l)_k = [g^k] c_l = (l/k)[w^(k−1)] (1+w)^(l−1) phi^k (Z7), computed by algorithm (Z8).
public struct LazySeries: Sendable {
    public let depth: Int
    public let ridge: BigRational
    /// Highest power of g computed.
    public let order: Int
    /// [w^(k−1)] phi(w)^k for k = 1...order (index k − 1): the columns (Z8) step 4 needs.
    private let powerColumns: [[BigRational]]

    public init(depth: Int, ridge: BigRational, order: Int) {
        precondition(depth >= 1 && order >= 1 && ridge.signum >= 0)
        self.depth = depth
        self.ridge = ridge
        self.order = order
        // (Z8) 1: T_j = binom(L, j), j < K.
        var t: [BigRational] = [.one]
        for j in 1..<order { t.append(t[j - 1] * BigRational(depth - j + 1, j)) }
        let tSeries = TruncatedSeries(t)
        // (Z8) 2–3: D2 = (b + T)^2, phi = T / D2.
        var d = t
        d[0] = d[0] + ridge
        let dSeries = TruncatedSeries(d)
        let phi = tSeries * (dSeries * dSeries).reciprocal
        // (Z8) 4: P = phi^k; keep P's coefficients 0...k−1 for each k.
        var p = TruncatedSeries(constant: BigRational.one, count: order)
        var columns: [[BigRational]] = []
        for k in 1...order {
            p = p * phi
            columns.append(Array(p.coefficients[0..<k]))
        }
        powerColumns = columns
    }

    /// a_k = [g^k] u, u = −chi (Z6); index 0 holds a_0 = 0.
    public var negatedChi: [BigRational] {
        [.zero] + (1...order).map { k in powerColumns[k - 1][k - 1] / BigRational(k) }
    }

    /// e^(l)_k = [g^k] c_l for k = 0...order, e^(l)_0 = 1 (Z7):
    /// e^(l)_k = (l/k) sum_{j=0}^{min(l−1,k−1)} binom(l−1, j) [w^(k−1−j)] phi^k.
    public func layer(_ l: Int) -> [BigRational] {
        precondition(l >= 1 && l <= depth)
        var binomials: [BigRational] = [.one]     // binom(l−1, j)
        for j in 1..<order { binomials.append(binomials[j - 1] * BigRational(l - j, j)) }
        var out: [BigRational] = [.one]
        for k in 1...order {
            var s = BigRational.zero
            for j in 0...min(l - 1, k - 1) { s = s + binomials[j] * powerColumns[k - 1][k - 1 - j] }
            out.append(s * BigRational(l, k))
        }
        return out
    }

    /// The partial sum sum_{k<=K} coefficients[k] g^k enclosed at `precision` bits (Horner).
    public static func evaluate(_ coefficients: [BigRational], upTo order: Int, at g: BigRational, precision: Int) -> Interval {
        let x = Interval(g, precision: precision)
        var sum = Interval(coefficients[order], precision: precision)
        for k in stride(from: order - 1, through: 0, by: -1) {
            sum = sum * x + Interval(coefficients[k], precision: precision)
        }
        return sum
    }

    /// The predicted log-log slope of the truncation error of sum_{k<=K} against g (Z15): K' + 1
    /// with K' the first index >= K whose next coefficient is nonzero (nil if none within the
    /// computed order). Against gamma the slope doubles.
    public static func predictedSlope(_ coefficients: [BigRational], truncatedAt order: Int) -> Int? {
        var next = order + 1
        while next < coefficients.count {
            if !coefficients[next].isZero { return next }
            next += 1
        }
        return nil
    }
}
