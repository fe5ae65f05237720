import Foundation
import Core
import Numerics

/// The certified path of the general-C theory: when C = X X^T / D is exactly lambda I (checked in
/// exact rational arithmetic from the Double entries, which are dyadic), the secular equation
/// (eq. G5) is the whitened one with g' = g |y|^2 / lambda and b' = b / lambda, and
/// y^T Phi^l y / |y|^2 = lambda c_l (eq. G13). The whitened certified solver then gives every root.
public struct ScalarKernelReduction: Sendable {
    public let lambda: BigRational
    public let labelNormSquared: BigRational

    /// Most multiply-adds spent on the exact check (P^2 D).
    public static let maximumWork = 4_000_000

    /// Whether the exact check for P x D features is affordable (P^2 D <= `maximumWork`); callers
    /// ask before copying the features out for it.
    public static func affordable(rows p: Int, columns d: Int) -> Bool { p > 0 && d > 0 && p * p * d <= maximumWork }

    /// nil unless X X^T / D equals lambda I exactly (lambda > 0) and the check is affordable.
    public init?(features x: [Double], rows p: Int, columns d: Int, labels y: [Double]) {
        guard ScalarKernelReduction.affordable(rows: p, columns: d), x.count == p * d, y.count == p else { return nil }
        // Cheap screen in Double first.
        let c = LinearAlgebra.multiplyTransposed(x, x, m: p, k: d, n: p)
        for i in 0..<p { for j in 0..<p where i != j && c[i * p + j] != 0 { if abs(c[i * p + j]) > 1e-12 * abs(c[0]) { return nil } } }
        let entries = x.map { Dyadic(exactly: $0).rational }
        func gram(_ i: Int, _ j: Int) -> BigRational {
            var sum = BigRational.zero
            for k in 0..<d { sum = sum + entries[i * d + k] * entries[j * d + k] }
            return sum
        }
        let first = gram(0, 0)
        guard first.signum > 0 else { return nil }
        for i in 0..<p {
            if i > 0 && gram(i, i) != first { return nil }
            for j in (i + 1)..<p where !gram(i, j).isZero { return nil }
        }
        lambda = first / BigRational(d)
        labelNormSquared = y.reduce(BigRational.zero) { let r = Dyadic(exactly: $1).rational; return $0 + r * r }
        guard labelNormSquared.signum > 0 else { return nil }
    }

    /// The whitened problem with gamma'^2 = g |y|^2 / lambda and beta' = lambda beta (b' = b/lambda),
    /// or nil when gamma' is not rational (the whitened solver takes gamma itself).
    public func whitenedProblem(gamma: BigRational, beta: InverseTemperature, depth: Int) throws -> WhitenedProblem? {
        guard let scaledGamma = ScalarKernelReduction.rationalSquareRoot(gamma * gamma * labelNormSquared / lambda) else { return nil }
        let scaledBeta: InverseTemperature
        switch beta {
        case .infinite: scaledBeta = .infinite
        case .finite(let value): scaledBeta = .finite(value * lambda)
        }
        return try WhitenedProblem(gamma: scaledGamma, beta: scaledBeta, depth: depth)
    }

    /// The exact square root of a nonnegative rational whose numerator and denominator are squares below 2^100.
    static func rationalSquareRoot(_ x: BigRational) -> BigRational? {
        func integerRoot(_ n: BigInt) -> BigInt? {
            let approximate = BigRational(n).doubleApproximation
            guard approximate < 0x1p100 else { return nil }
            let guess = Int(approximate.squareRoot().rounded())
            for candidate in [guess - 1, guess, guess + 1] where candidate >= 0 {
                if BigInt(candidate) * BigInt(candidate) == n { return BigInt(candidate) }
            }
            return nil
        }
        guard x.signum >= 0, let n = integerRoot(x.numerator), let d = integerRoot(x.denominator) else { return nil }
        return BigRational(n, d)
    }
}
