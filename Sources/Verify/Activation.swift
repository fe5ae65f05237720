import Numerics
import Foundation

/// A pointwise activation phi with its derivative. To add one: a case, its name, `value`, `derivative`.
public enum Activation: String, Sendable, CaseIterable {
    case identity, relu, tanh

    public init(name: String) throws {
        guard let activation = Activation(rawValue: name.lowercased()) else {
            throw VerificationInputError("unknown activation '\(name)' (known: \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = activation
    }

    @inline(__always) public func value(_ h: Double) -> Double {
        switch self {
        case .identity: return h
        case .relu: return h > 0 ? h : 0
        case .tanh: return Activation.fastTanh(h)
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
        }
    }

    /// The lazy kernel E_{h ~ N(0, K)} phi(h) phi(h)^T over all n points (eq. V42): the gamma -> 0 saddle
    /// (hatPhi = 0), where the min-max solver starts. K itself for the identity, the arc-cosine kernel
    /// for ReLU, a 2-D Gauss-Hermite rule (128 x 128 nodes, eq. V42b; for tanh the 1-D rule's error is
    /// 1e-13) for other activations.
    public func lazyKernel(_ k: [Double], n: Int) -> [Double] {
        if self == .identity { return k }
        var out = [Double](repeating: 0, count: n * n)
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

    /// phi applied in place to a buffer.
    public func apply(_ values: UnsafeMutableBufferPointer<Double>) {
        switch self {
        case .identity: return
        case .relu: for i in values.indices where values[i] < 0 { values[i] = 0 }
        case .tanh: for i in values.indices { values[i] = Activation.fastTanh(values[i]) }
        }
    }
}

/// Bad input to the verifier (reported as one line, exit status 2).
public struct VerificationInputError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
