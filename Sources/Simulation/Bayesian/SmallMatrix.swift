import Core
import Numerics

/// Small dense row-major square-matrix helpers (P x P kernels) used by the verifier.
public enum SmallMatrix {
    public static func identity(_ n: Int) -> [Double] {
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { m[i * n + i] = 1 }
        return m
    }

    public static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        LinearAlgebra.multiply(a, b, m: n, k: n, n: n)
    }

    /// a b a (for symmetric a, b): the sandwich used by every preconditioned step.
    public static func sandwich(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        multiply(multiply(a, b, n), a, n)
    }

    public static func symmetrized(_ a: [Double], _ n: Int) -> [Double] {
        var s = a
        for i in 0..<n { for j in 0..<n { s[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]) } }
        return s
    }

    public static func add(_ a: [Double], _ b: [Double], scale: Double = 1) -> [Double] {
        zip(a, b).map { $0 + scale * $1 }
    }

    public static func frobeniusNorm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    public static func quadraticForm(_ a: [Double], _ x: [Double], _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { for j in 0..<n { s += x[i] * a[i * n + j] * x[j] } }
        return s
    }

    public static func matrixVector(_ a: [Double], _ x: [Double], rows: Int, columns: Int) -> [Double] {
        (0..<rows).map { i in (0..<columns).reduce(0.0) { $0 + a[i * columns + $1] * x[$1] } }
    }

    /// The leading (k x k) block of an n x n matrix.
    public static func leadingBlock(_ a: [Double], _ n: Int, _ k: Int) -> [Double] {
        var b = [Double](repeating: 0, count: k * k)
        for i in 0..<k { for j in 0..<k { b[i * k + j] = a[i * n + j] } }
        return b
    }

    /// A k x k matrix placed in the leading block of an n x n zero matrix.
    public static func embedded(_ b: [Double], _ k: Int, in n: Int) -> [Double] {
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<k { for j in 0..<k { a[i * n + j] = b[i * k + j] } }
        return a
    }
}
