import Foundation
import Core
import Numerics

/// The secular equation of the exact reduction at working precision
/// (notes/general-kernel-reduction.md): with t = (1+u)^L,
///   E(u)  = u − g t Q(t),  Q(t) = Σ λ_k w_k / (t λ_k + b)^2                       (eq. G5)
///   E'(u) = 1 − g L (1+u)^(L−1) (Q(t) − 2 B(t)),  B(t) = Σ λ_k^2 w_k t / (t λ_k + b)^3  (eq. G10)
/// w_k = y_k^2. Sums of positive terms carry a relative rounding margin `margin`.
public struct SecularEquation: Sendable {
    public let eigenvalues: [Double]
    public let weights: [Double]
    public let gammaSquared: Double
    public let ridge: Double
    public let depth: Int
    /// Relative bound on the rounding error of every evaluated sum and power (eq. G10').
    public let margin: Double

    public init(eigenvalues: [Double], weights: [Double], gammaSquared: Double, ridge: Double, depth: Int) {
        // Keep only the terms that enter Q (λ_k w_k > 0).
        var l: [Double] = [], w: [Double] = []
        for k in eigenvalues.indices where eigenvalues[k] > 0 && weights[k] > 0 { l.append(eigenvalues[k]); w.append(weights[k]) }
        self.eigenvalues = l
        self.weights = w
        self.gammaSquared = gammaSquared
        self.ridge = ridge
        self.depth = depth
        margin = 8 * Double(l.count + depth + 16) * Double.ulpOfOne
    }

    /// t = (1+u)^L.
    public func spike(_ u: Double) -> Double { exp(Double(depth) * log1p(u)) }

    public func q(_ t: Double) -> Double {
        var sum = 0.0
        for k in eigenvalues.indices { let d = t * eigenvalues[k] + ridge; sum += eigenvalues[k] * weights[k] / (d * d) }
        return sum
    }

    /// E(u) (eq. G5).
    public func value(_ u: Double) -> Double { let t = spike(u); return u - gammaSquared * t * q(t) }

    /// E'(u) (eq. G10).
    public func derivative(_ u: Double) -> Double {
        let t = spike(u)
        var qs = 0.0, bs = 0.0
        for k in eigenvalues.indices {
            let d = t * eigenvalues[k] + ridge
            qs += eigenvalues[k] * weights[k] / (d * d)
            bs += eigenvalues[k] * eigenvalues[k] * weights[k] * t / (d * d * d)
        }
        return 1 - gammaSquared * Double(depth) * exp(Double(depth - 1) * log1p(u)) * (qs - 2 * bs)
    }

    /// The certified-up-to-rounding sign of E(u): nil when |E| is within the rounding margin.
    public func sign(at u: Double) -> Int? {
        let t = spike(u)
        let energy = gammaSquared * t * q(t)
        let difference = u - energy
        return abs(difference) > 2 * margin * (u + energy) ? (difference > 0 ? 1 : -1) : nil
    }

    /// True when E has no zero on [u1, u2]: E ∈ [u1 − g t2 Q(t1), u2 − g t1 Q(t2)] (eq. G10').
    public func excludesZero(_ u1: Double, _ u2: Double) -> Bool {
        let t1 = spike(u1), t2 = spike(u2)
        let high = gammaSquared * t2 * q(t1) * (1 + 3 * margin)
        let low = gammaSquared * t1 * q(t2) * (1 - 3 * margin)
        return u1 > high || u2 < low
    }

    /// A definite sign of E' over [u1, u2], nil if undecided (eq. G10').
    public func slopeSign(_ u1: Double, _ u2: Double) -> Int? {
        let t1 = spike(u1), t2 = spike(u2)
        var qLow = 0.0, qHigh = 0.0, bLow = 0.0, bHigh = 0.0
        for k in eigenvalues.indices {
            let l = eigenvalues[k], w = eigenvalues[k] * weights[k]
            let d1 = t1 * l + ridge, d2 = t2 * l + ridge
            qHigh += w / (d1 * d1); qLow += w / (d2 * d2)
            bHigh += w * l * t2 / (d1 * d1 * d1); bLow += w * l * t1 / (d2 * d2 * d2)
        }
        let up = 1 + 4 * margin, down = 1 - 4 * margin
        let dLow = qLow * down - 2 * bHigh * up, dHigh = qHigh * up - 2 * bLow * down
        let p1 = exp(Double(depth - 1) * log1p(u1)) * down, p2 = exp(Double(depth - 1) * log1p(u2)) * up
        let products = [p1 * dLow, p1 * dHigh, p2 * dLow, p2 * dHigh]
        let scale = gammaSquared * Double(depth)
        let slopeLow = 1 - scale * products.max()!, slopeHigh = 1 - scale * products.min()!
        let slack = 4 * margin * (1 + abs(scale * products.max()!))
        if slopeLow > slack { return 1 }
        if slopeHigh < -slack { return -1 }
        return nil
    }

    /// Every root lies in [lower, upper] (eq. G9); nil when u = 0 is the only root (g Q ≡ 0).
    public func rootBounds() -> (lower: Double, upper: Double)? {
        guard gammaSquared > 0, !eigenvalues.isEmpty else { return nil }
        var inverse = 0.0, total = 0.0
        for k in eigenvalues.indices { inverse += weights[k] / eigenvalues[k]; total += weights[k] }
        let g = gammaSquared * inverse
        var upper = min(g, pow(g, 1 / Double(depth + 1)))
        if ridge > 0 { upper = min(upper, gammaSquared * total / (4 * ridge)) }
        upper *= 1 + 16 * margin
        let tHigh = spike(upper)
        var lowSum = 0.0
        for k in eigenvalues.indices {
            func term(_ t: Double) -> Double { let d = t * eigenvalues[k] + ridge; return eigenvalues[k] * weights[k] * t / (d * d) }
            lowSum += min(term(1), term(tHigh))
        }
        let lower = gammaSquared * lowSum * (1 - 16 * margin)
        return (max(lower, .leastNormalMagnitude), upper)
    }

    /// S(u) = (L/2)(u − ln(1+u)) + (g/2) Σ w_k / (t λ_k + b) over all k (eq. G8); `allWeights`
    /// includes the directions with λ_k = 0 (they contribute w_k / b).
    public func action(_ u: Double, eigenvalues allEigenvalues: [Double], weights allWeights: [Double]) -> Double {
        let t = spike(u)
        var sum = 0.0
        for k in allEigenvalues.indices where allWeights[k] > 0 { sum += allWeights[k] / (t * allEigenvalues[k] + ridge) }
        let entropic = u < 1e-4 ? u * u / 2 - u * u * u / 3 + u * u * u * u / 4 : u - log1p(u)
        return Double(depth) / 2 * entropic + gammaSquared / 2 * sum
    }
}

/// A cell [lower, upper] holding exactly one root, with the sign of E at lower.
public struct RootCell<Point>: Sendable where Point: Sendable {
    public let lower: Point
    public let upper: Point
    public let signAtLower: Int
}

/// What the cell-based isolation needs from an evaluation of E (eq. G10'), exact or at working precision.
protocol SecularCellOracle {
    associatedtype Point: Sendable
    func sign(at u: Point) -> Int?
    func excludesZero(_ a: Point, _ b: Point) -> Bool
    func slopeSign(_ a: Point, _ b: Point) -> Int?
    /// Candidate split points strictly inside (a, b), best first.
    func splits(_ a: Point, _ b: Point) -> [Point]
    func describe(_ u: Point) -> String
}

/// Isolates every root of E in the union of the grid cells: a cell is dropped when its enclosure
/// of E excludes 0, accepted when E is monotone on it with opposite endpoint signs, dropped when
/// monotone with equal signs, and otherwise split (notes/general-kernel-reduction.md, "Finding every root").
func isolateRoots<O: SecularCellOracle>(_ oracle: O, grid: [O.Point], maximumDepth: Int = 60,
                                         maximumCells: Int = 200_000) throws -> [RootCell<O.Point>] {
    var found: [RootCell<O.Point>] = []
    var stack: [(O.Point, Int?, O.Point, Int?, Int)] = []
    var signs = grid.map { oracle.sign(at: $0) }
    for i in stride(from: grid.count - 2, through: 0, by: -1) { stack.append((grid[i], signs[i], grid[i + 1], signs[i + 1], 0)) }
    signs = []
    var visited = 0
    while let (a, sa, b, sb, depth) = stack.popLast() {
        visited += 1
        if visited > maximumCells { throw SolverError.notConverged("root isolation visited \(maximumCells) cells without finishing") }
        if oracle.excludesZero(a, b) { continue }
        if oracle.slopeSign(a, b) != nil, let sa, let sb, sa != 0, sb != 0 {
            if sa != sb { found.append(RootCell(lower: a, upper: b, signAtLower: sa)) }
            continue
        }
        guard depth < maximumDepth else {
            throw SolverError.degenerate("cannot isolate the roots near u = \(oracle.describe(a)) (a double root or one at the limit of precision)")
        }
        let candidates = oracle.splits(a, b)
        var middle = candidates[0], sm = oracle.sign(at: middle)
        for c in candidates.dropFirst() where sm == nil || sm == 0 { middle = c; sm = oracle.sign(at: c) }
        stack.append((middle, sm, b, sb, depth + 1))
        stack.append((a, sa, middle, sm, depth + 1))
    }
    return found
}

/// Working-precision oracle over Double points.
struct DoubleSecularOracle: SecularCellOracle {
    let equation: SecularEquation
    func sign(at u: Double) -> Int? { equation.sign(at: u) }
    func excludesZero(_ a: Double, _ b: Double) -> Bool { equation.excludesZero(a, b) }
    func slopeSign(_ a: Double, _ b: Double) -> Int? { equation.slopeSign(a, b) }
    func splits(_ a: Double, _ b: Double) -> [Double] {
        let m = b > 4 * a && a > 0 ? (a * b).squareRoot() : 0.5 * (a + b)
        return [m, a + 0.382 * (b - a), a + 0.618 * (b - a)]
    }
    func describe(_ u: Double) -> String { String(u) }
}
