import Foundation

/// The lazy (gamma -> 0) kernel maps of an activation: one layer of the NNGP recursion and the
/// derivative kernel the NTK recursion needs (notes/general-kernel-reduction.md, eq. G15).
extension Activation {
    /// For a pair of preactivations (u, v) ~ N(0, [[d1, k], [k, d2]]): E phi(u) phi(v) (the next
    /// layer's NNGP entry) and E phi'(u) phi'(v) (the derivative kernel dotPhi).
    /// identity: (k, 1). ReLU: arc-cosine kernels of degree 1 and 0 (Cho & Saul). erf: the arcsine
    /// kernel (2/pi) asin(2k / sqrt((1 + 2 d1)(1 + 2 d2))) and (4/pi) / sqrt((1 + 2 d1)(1 + 2 d2) - 4k^2)
    /// (Williams). tanh: 2-D Gauss-Hermite quadrature with 64 x 64 nodes (eq. V42b).
    /// Error: closed forms to a few ulp; tanh's rule to about 1e-12 for d1, d2 <= 10.
    @inline(__always)
    public func lazyStep(_ k: Double, _ d1: Double, _ d2: Double) -> (value: Double, derivative: Double) {
        switch self {
        case .identity: return (k, 1)
        case .relu:
            let norm = (d1 * d2).squareRoot()
            guard norm > 0 else { return (0, 0.5) }
            let cosine = min(1, max(-1, k / norm)), theta = acos(cosine)
            // sin(acos x) = sqrt(1 - x^2), cheaper than sin
            return (norm * ((1 - cosine * cosine).squareRoot() + (Double.pi - theta) * cosine) / (2 * Double.pi), (Double.pi - theta) / (2 * Double.pi))
        case .erf:
            let a = 1 + 2 * d1, b = 1 + 2 * d2
            let s = min(1, max(-1, 2 * k / (a * b).squareRoot()))
            return (2 / Double.pi * asin(s), 4 / Double.pi / max(a * b - 4 * k * k, .leastNormalMagnitude).squareRoot())
        case .tanh:
            return Activation.quadratureStep(self, k, d1, d2)
        }
    }

    /// E phi(u) phi(v) and E phi'(u) phi'(v) by a 64 x 64 Gauss-Hermite product rule on
    /// u = sqrt(d1) z1, v = sqrt(d2) (r z1 + sqrt(1 - r^2) z2).
    static func quadratureStep(_ activation: Activation, _ k: Double, _ d1: Double, _ d2: Double) -> (value: Double, derivative: Double) {
        let (nodes, weights) = gaussHermite64
        let r = d1 > 0 && d2 > 0 ? max(-1, min(1, k / (d1 * d2).squareRoot())) : 0
        let s = max(0, 1 - r * r).squareRoot(), a = d1.squareRoot(), b = d2.squareRoot()
        var value = 0.0, derivative = 0.0
        for p in nodes.indices {
            let u = a * nodes[p]
            let pu = activation.value(u), du = activation.derivative(u)
            var iv = 0.0, id = 0.0
            for q in nodes.indices {
                let v = b * (r * nodes[p] + s * nodes[q])
                iv += weights[q] * activation.value(v); id += weights[q] * activation.derivative(v)
            }
            value += weights[p] * pu * iv; derivative += weights[p] * du * id
        }
        return (value, derivative)
    }

    static let gaussHermite64 = Activation.gaussHermite(64)

    /// E phi(h) for h ~ N(0, q): 0 for the odd activations (identity, tanh, erf), sqrt(q / (2 pi)) for
    /// ReLU (notes/neural-dynamical-kernel.md (NK16)).
    public func gaussianMean(variance q: Double) -> Double {
        switch self {
        case .identity, .tanh, .erf: return 0
        case .relu: return (max(0, q) / (2 * Double.pi)).squareRoot()
        }
    }
}
