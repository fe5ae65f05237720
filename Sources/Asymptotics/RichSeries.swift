import Numerics

/// Rich regime (gamma -> inf, L and b fixed): c_l = g^(l/(L+1)) sum_n d^(l)_n eps^n with
/// eps = g^(−1/(L+1)) = gamma^(−2/(L+1)) (notes/asymptotics-rich.md (R3), (R5), (R10)).
///
/// sigma(eps) = eps s solves Phi(sigma, eps) = (sigma − eps)(sigma^L + b eps^L)^2 − sigma^L = 0 (R4),
/// sigma(0) = 1, dPhi/dsigma(1, 0) = L + 1; its coefficients come from the order-by-order
/// algorithm (R7) in exact rationals, and d^(l)_n = [eps^n] sigma^l. The b-dependent terms enter
/// through b eps^L, first at n = L: d_L = (1 − 2bL)/(L+1) (R12).
public struct RichSeries: Sendable {
    public let depth: Int
    public let ridge: BigRational
    public let order: Int
    /// e_j = [eps^j] sigma, j = 0...order.
    public let sigma: [BigRational]

    public init(depth: Int, ridge: BigRational, order: Int) {
        precondition(depth >= 1 && order >= 0 && ridge.signum >= 0)
        self.depth = depth
        self.ridge = ridge
        self.order = order
        var e: [BigRational] = [.one]
        let leading = BigRational(depth + 1)
        for j in 0...order where j >= 1 {
            // (R7): with e_j = 0, e_j = −[eps^j] Phi(sigma_{<=j}, eps) / (L + 1).
            let count = j + 1
            let s = TruncatedSeries(e + [.zero])
            let epsilon = TruncatedSeries((0..<count).map { $0 == 1 ? BigRational.one : .zero })
            let sigmaToL = s.power(depth)
            var inner = sigmaToL
            if depth <= j { inner.coefficients[depth] = inner.coefficients[depth] + ridge }   // + b eps^L
            let phi = (s - epsilon) * inner * inner - sigmaToL
            e.append(BigRational.zero - phi.coefficients[j] / leading)
        }
        sigma = e
    }

    /// d^(l)_n = [eps^n] (c_l / g^(l/(L+1))) = [eps^n] sigma^l, n = 0...order (R8)–(R10).
    public func layer(_ l: Int) -> [BigRational] {
        precondition(l >= 1)
        return TruncatedSeries(sigma).power(l).coefficients
    }

    /// eps = g^(−1/(L+1)) enclosed at `precision` bits (certified exp and log).
    public static func epsilon(g: BigRational, depth: Int, precision: Int) -> Interval {
        Interval.exp(-Interval.log(Interval(g, precision: precision + 16)) / (depth + 1)).rounded(to: precision)
    }

    /// c_l^[K] = g^(l/(L+1)) sum_{n<=K} d^(l)_n eps^n (R10), enclosed at `precision` bits; works for
    /// g far outside Double's range (gamma = 1e100 and beyond).
    public static func evaluate(_ d: [BigRational], upTo order: Int, layer l: Int, depth: Int,
                                g: BigRational, precision: Int) -> Interval {
        let bits = precision + 32
        let logG = Interval.log(Interval(g, precision: bits))
        let eps = Interval.exp(-logG / (depth + 1))
        var sum = Interval(d[order], precision: bits)
        for n in stride(from: order - 1, through: 0, by: -1) {
            sum = sum * eps + Interval(d[n], precision: bits)
        }
        let scale = Interval.exp(logG * l / (depth + 1))
        return (scale * sum).rounded(to: precision)
    }
}
