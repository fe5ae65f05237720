import Numerics

/// Deep regime (L -> inf, g = gamma^2 and b fixed): c_L = (K/W)(1 + sum_j delta_j h^j) with
/// K = L g, W = W0(K), h = W/K (notes/asymptotics-deep.md (D6), (D11)); c^[0] = K/W is the
/// Lambert form (D5). Also the logarithmic forms K / W^[p] (D18), p = −1 being the paper's
/// L g / ln(L g).
public struct DeepSeries: Sendable {
    public let gammaSquared: BigRational
    public let ridge: BigRational
    /// K = L g.
    public let scale: BigRational
    /// Enclosure of W0(K).
    public let lambertW: Interval
    /// delta_j, j = 0...order (delta_0 = 0), enclosed (D8).
    public let deltas: [Interval]
    public let precision: Int

    /// r_j = [z^j] R(z), R(z) = ln(1 + g z/(1+bz)^2)/(g z) (D2)–(D3), exactly, j = 0...count−1.
    public static func rCoefficients(gammaSquared g: BigRational, ridge b: BigRational, count: Int) -> [BigRational] {
        let n = count + 1
        let z = TruncatedSeries((0..<n).map { $0 == 1 ? BigRational.one : .zero })
        let onePlusBz = TruncatedSeries((0..<n).map { $0 == 0 ? BigRational.one : ($0 == 1 ? b : .zero) })
        let q = (z * (onePlusBz * onePlusBz).reciprocal).scaled(by: g)
        let logSeries = q.log1p.shifted(by: -1).scaled(by: BigRational.one / g)   // ln(1+q) / (g z)
        return Array(logSeries.coefficients[0..<count])
    }

    /// delta_1...delta_order by the order-by-order solution of (D7) E(delta, h) = 0, algorithm (D8).
    public init(gammaSquared g: BigRational, ridge b: BigRational, depth: Int, order: Int, precision: Int) throws {
        precondition(g.signum > 0 && b.signum >= 0 && depth >= 1 && order >= 0)
        self.gammaSquared = g
        self.ridge = b
        self.scale = g * BigRational(depth)
        self.precision = precision
        let bits = precision + 32
        let w = try Interval.lambertW(Interval(scale, precision: bits))
        lambertW = w
        let r = DeepSeries.rCoefficients(gammaSquared: g, ridge: b, count: order + 1).map { Interval($0, precision: bits) }
        let one = Interval(1, precision: bits)
        let omega = one + one / w                                     // E_delta(0, 0) = 1 + 1/W
        var delta = [Interval(0, precision: bits)]
        for j in 0...order where j >= 1 {
            let d = TruncatedSeries(delta + [Interval(0, precision: bits)])  // delta_j = 0, count j + 1
            let onePlusDelta = d + TruncatedSeries(constant: one, count: j + 1)
            // A = (1+delta)(1 + ln(1+delta)/W) (D9)
            let a = onePlusDelta * (TruncatedSeries(constant: one, count: j + 1) + d.log1p.scaled(by: one / w))
            // B = sum_m r_m h^m (1+delta)^(−m) (D9)
            let inverse = onePlusDelta.reciprocal
            var power = TruncatedSeries(constant: one, count: j + 1)
            var bSeries = TruncatedSeries(constant: Interval(0, precision: bits), count: j + 1)
            for m in 0...j {
                if m > 0 { power = power * inverse }
                bSeries = bSeries + power.scaled(by: r[m]).shifted(by: m)
            }
            delta.append(Interval(0, precision: bits) - (a - bSeries)[j] / omega)
        }
        deltas = delta
    }

    /// h = W/K.
    public var h: Interval { lambertW / Interval(scale, precision: lambertW.precision) }

    /// c^[n] = (K/W)(1 + sum_{j<=n} delta_j h^j) (D11); n = 0 is the Lambert form K/W(K) (D5).
    public func truncation(_ n: Int) -> Interval {
        let hValue = h
        var sum = deltas[n]
        for j in stride(from: n - 1, through: 0, by: -1) { sum = sum * hValue + deltas[j] }
        let one = Interval(1, precision: lambertW.precision)
        return ((one + sum - deltas[0]) / hValue).rounded(to: precision)
    }

    /// |delta_{n+1}| h^(n+1): the model of the relative error of c^[n] (D13).
    public func errorModel(_ n: Int) -> Interval {
        let term = deltas[n + 1] * h.power(n + 1)
        return term.definiteSign == -1 ? -term : term
    }

    /// The logarithmic forms c_p = K / W^[p] (D16)–(D18): p = −1 is the paper's K / ln K,
    /// p = 0 is K / (ln K − ln ln K). Requires K > e.
    public func logarithmicForm(_ p: Int) -> Interval {
        precondition(p == -1 || p == 0)
        let k = Interval(scale, precision: lambertW.precision)
        let l1 = Interval.log(k)
        let wApprox = p == -1 ? l1 : l1 - Interval.log(l1)
        return (k / wApprox).rounded(to: precision)
    }

    /// |T_{p+1}| / l1, the model of the relative error of c_p (D19), T_0 = −l2, T_1 = l2/l1.
    public func logarithmicErrorModel(_ p: Int) -> Interval {
        let l1 = Interval.log(Interval(scale, precision: lambertW.precision))
        let l2 = Interval.log(l1)
        return p == -1 ? l2 / l1 : l2 / (l1 * l1)
    }
}
