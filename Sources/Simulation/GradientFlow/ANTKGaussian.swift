import Foundation
import Core
import Numerics

/// Standard normal draws from the project's seeded SplitMix64 (Box–Muller), and correlated draws
/// N(0, C) through a symmetric square root of C. Deterministic for a given seed.
public struct ANTKGaussian: Sendable {
    private var generator: SeededGenerator
    private var spare: Double? = nil

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public mutating func next() -> Double {
        if let s = spare { spare = nil; return s }
        // u1 in (0, 1]: 53 random bits, shifted away from 0.
        let u1 = (Double(generator.next() >> 11) + 1) * 0x1p-53
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * Double.pi * u2)
        return r * cos(2 * Double.pi * u2)
    }

    public mutating func vector(_ count: Int) -> [Double] { (0..<count).map { _ in next() } }

    /// Row-major symmetric square root S (n x n, S S^T = C) of a positive semidefinite C; tiny
    /// negative eigenvalues from rounding are clipped to 0. nil if LAPACK fails.
    public static func squareRoot(_ c: [Double], n: Int) -> [Double]? {
        guard let (values, vectors) = LinearAlgebra.symmetricEigen(c, n: n) else { return nil }
        var s = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let root = max(values[k], 0).squareRoot()
            if root == 0 { continue }
            for i in 0..<n {
                let vi = vectors[i * n + k] * root
                for j in 0..<n { s[i * n + j] += vi * vectors[j * n + k] }
            }
        }
        return s
    }
}
