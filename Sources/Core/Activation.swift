import Foundation
import Numerics

/// The pointwise activation phi of a network, with its derivative and (in Activation+LazyKernel.swift)
/// its lazy NNGP/NTK kernel maps. The one activation type of the package: the exact theory, the
/// simulators and the command line all use it. To add one: a case, `value`, `derivative`, `apply`
/// and its kernel map in Activation+LazyKernel.swift.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case identity, relu, tanh, erf

    /// Parses a name; "linear" is accepted for the identity.
    public init(name: String) throws {
        let key = name.lowercased()
        guard let activation = key == "linear" ? .identity : Activation(rawValue: key) else {
            throw InputError("unknown activation '\(name)' (known: \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = activation
    }

    /// Positively homogeneous of degree 1 (phi(a h) = a phi(h) for a > 0): identity and ReLU. A network
    /// of such units with L hidden layers is homogeneous of degree L + 1 in its weights.
    public var isPositivelyHomogeneous: Bool { self == .identity || self == .relu }

    @inline(__always) public func value(_ h: Double) -> Double {
        switch self {
        case .identity: return h
        case .relu: return h > 0 ? h : 0
        case .tanh: return Activation.fastTanh(h)
        case .erf: return Foundation.erf(h)
        }
    }

    /// tanh(x) = -expm1(-2|x|) / (2 + expm1(-2|x|)) with the sign of x: a few ulp everywhere (no
    /// cancellation near 0) and about twice as fast as glibc's tanh.
    @inline(__always) static func fastTanh(_ x: Double) -> Double {
        let e = expm1(-2 * abs(x))
        return copysign(-e / (2 + e), x)
    }

    @inline(__always) public func derivative(_ h: Double) -> Double {
        switch self {
        case .identity: return 1
        case .relu: return h > 0 ? 1 : 0
        case .tanh: let t = Activation.fastTanh(h); return 1 - t * t
        case .erf: return 2 / Double.pi.squareRoot() * exp(-h * h)
        }
    }

    /// The lazy kernel E_{h ~ N(0, K)} phi(h) phi(h)^T over all n points (eq. V42): the gamma -> 0 saddle
    /// (hatPhi = 0), where the min-max solver starts. K itself for the identity, the arc-cosine kernel
    /// for ReLU, a 2-D Gauss-Hermite rule (128 x 128 nodes, eq. V42b; for tanh the 1-D rule's error is
    /// 1e-13) for other activations.
    public func lazyKernel(_ k: [Double], n: Int) -> [Double] {
        if self == .identity { return k }
        var out = [Double](repeating: 0, count: n * n)
        if self == .erf {
            var out = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { out[i * n + j] = lazyStep(k[i * n + j], k[i * n + i], k[j * n + j]).value } }
            return out
        }
        let rule = self == .relu ? nil : Activation.gaussHermite(128)
        for i in 0..<n { for j in i..<n {
            let (a, b) = (k[i * n + i], k[j * n + j])
            let r = a > 0 && b > 0 ? max(-1, min(1, k[i * n + j] / (a * b).squareRoot())) : 0
            var e = 0.0
            if let (nodes, weights) = rule {
                // x = sqrt(a) z1, y = sqrt(b) (r z1 + sqrt(1 - r^2) z2), z ~ N(0, I_2).
                let s = (max(0, 1 - r * r)).squareRoot()
                for p in nodes.indices {
                    let x = value(a.squareRoot() * nodes[p])
                    if i == j { e += weights[p] * x * x; continue }
                    var inner = 0.0
                    for q in nodes.indices { inner += weights[q] * value(b.squareRoot() * (r * nodes[p] + s * nodes[q])) }
                    e += weights[p] * x * inner
                }
            } else {
                // Arc-cosine kernel of degree 1 (Cho & Saul): sqrt(ab) (sin t + (pi - t) cos t) / (2 pi), cos t = r.
                let t = acos(r)
                e = (a * b).squareRoot() * (sin(t) + (Double.pi - t) * r) / (2 * Double.pi)
            }
            out[i * n + j] = e; out[j * n + i] = e
        } }
        return out
    }

    /// Gauss-Hermite rule for E f(z), z ~ N(0, 1), with m nodes (Golub-Welsch: eigenvalues of the
    /// Jacobi matrix of the probabilists' Hermite polynomials, off-diagonal sqrt(k); weights from the
    /// first components of the eigenvectors) (eq. V42b).
    static func gaussHermite(_ m: Int) -> (nodes: [Double], weights: [Double]) {
        var jacobi = [Double](repeating: 0, count: m * m)
        for k in 1..<m { jacobi[k * m + k - 1] = Double(k).squareRoot(); jacobi[(k - 1) * m + k] = Double(k).squareRoot() }
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(jacobi, n: m) else { fatalError("Gauss-Hermite: eigensolver failed") }
        return (values, (0..<m).map { vectors[$0] * vectors[$0] })
    }

    /// phi(h) and phi'(h) for the first `count` entries of h: for tanh one branch-free tanh per entry
    /// (eq. V44 of notes/verify-bayes.md) and phi' = 1 - phi^2, instead of two libm-based evaluations.
    public func valuesAndDerivatives(_ h: UnsafeMutableBufferPointer<Double>, values: UnsafeMutableBufferPointer<Double>,
                                     derivatives: UnsafeMutableBufferPointer<Double>, count: Int) {
        switch self {
        case .tanh:
            for i in 0..<count { let t = Activation.tanhWithoutLibm(h[i]); values[i] = t; derivatives[i] = 1 - t * t }
        default:
            for i in 0..<count { let x = h[i]; values[i] = value(x); derivatives[i] = derivative(x) }
        }
    }

    /// phi applied in place to a buffer.
    public func apply(_ values: UnsafeMutableBufferPointer<Double>) {
        switch self {
        case .identity: return
        case .relu: for i in values.indices where values[i] < 0 { values[i] = 0 }
        case .tanh:
            // Branch-free per element (eq. V44), so the compiler can vectorize the loop.
            for i in values.indices { values[i] = Activation.tanhWithoutLibm(values[i]) }
        case .erf: for i in values.indices { values[i] = Foundation.erf(values[i]) }
        }
    }

    /// tanh without libm calls (eq. V44): for |x| < 0.625 Lambert's continued fraction truncated at 15,
    /// tanh x = x P(x^2) / Q(x^2) with P = 2027025 + 270270 z + 6930 z^2 + 36 z^3,
    /// Q = 2027025 + 945945 z + 51975 z^2 + 630 z^3 + z^4 (truncation error < 6.2e-18 relative on that
    /// interval, mpmath); otherwise (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29, which amplifies e's
    /// relative error by at most 0.6. Both branches are computed and one is selected (no branches, one
    /// division); the sign is restored at the end; |x| is capped at 40 (tanh = 1 there).
    @inline(__always) static func tanhWithoutLibm(_ x: Double) -> Double {
        let a = Swift.min(Swift.abs(x), 40)
        let z = a * a
        var p = 36 * z + 6930
        p = p * z + 270_270
        p = p * z + 2_027_025
        var q = z + 630
        q = q * z + 51_975
        q = q * z + 945_945
        q = q * z + 2_027_025
        let e = expNonPositive(-2 * a)
        let rational = a < 0.625
        let t = (rational ? a * p : 1 - e) / (rational ? q : 1 + e)
        return Double(signOf: x, magnitudeOf: t)
    }

    /// exp(y) for -80 <= y <= 0 without libm (eq. V44b): y = k ln 2 + r with k = round(y / ln 2) (to
    /// nearest, by adding 1.5 * 2^52, so k sits in the low mantissa bits) and ln 2 = ln2_hi + ln2_lo
    /// (fdlibm's split: k ln2_hi is exact for |k| < 2^20), |r| <= 0.35; exp(r) by its Taylor polynomial to
    /// degree 13 (remainder < 0.35^14 / 14! = 4e-18); 2^k from the exponent bits.
    @inline(__always) static func expNonPositive(_ y: Double) -> Double {
        let shifted = y * 1.4426950408889634 + 6_755_399_441_055_744.0
        let k = shifted - 6_755_399_441_055_744.0
        var r = y - k * 6.93147180369123816490e-01
        r = r - k * 1.90821492927058770002e-10
        var poly = r * (1.0 / 6_227_020_800) + 1.0 / 479_001_600      // 1/13!, 1/12!
        poly = poly * r + 1.0 / 39_916_800                               // 1/11!
        poly = poly * r + 1.0 / 3_628_800                                // 1/10!
        poly = poly * r + 1.0 / 362_880                                  // 1/9!
        poly = poly * r + 1.0 / 40_320                                   // 1/8!
        poly = poly * r + 1.0 / 5040
        poly = poly * r + 1.0 / 720
        poly = poly * r + 1.0 / 120
        poly = poly * r + 1.0 / 24
        poly = poly * r + 1.0 / 6
        poly = poly * r + 0.5
        poly = poly * r + 1
        poly = poly * r + 1
        // 2^k: the exponent field k + 1023 (the high bits of `shifted`'s pattern shift out).
        return poly * Double(bitPattern: (shifted.bitPattern &+ 1023) &<< 52)
    }
}

