import Core
import Numerics

/// The O(1/N) finite-width fluctuations of the whitened deep linear aNBK around its dominant saddle
/// (notes/fluctuations-bayes.md): N x the posterior covariance of the layer overlaps c_l, N x their
/// mean shift, N x the variance of the predictions and of the kernel's diagonal mean, for P training
/// points. Every value is an interval enclosure of the N -> infinity limit of N x (the finite-width
/// quantity); the O(1/N^2) remainder of the Laplace expansion (FB3) is not part of it.
///
/// Error bound: each entry is computed in outward-rounded interval arithmetic from an enclosure of
/// the root u (eq. W4), so it contains the exact value of (FB8)-(FB11). Failure modes: a forward
/// pivot of the tridiagonal Hessians (FB9) whose enclosure is not positive (the root is not a
/// nondegenerate maximum of (FB5), or the precision is too low to tell): `Failure.notPositiveDefinite`;
/// depth above `maximumDepth` (the cost is O(L) interval operations): `Failure.depthTooLarge`.
public struct WhitenedFluctuations: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notPositiveDefinite(layer: Int)
        case depthTooLarge(Int, maximum: Int)
        case pointsOutOfRange(Int, maximum: Int)
        case undecided(digits: Int)

        public var description: String {
            switch self {
            case .notPositiveDefinite(let l):
                return "the Hessian of the action at the dominant root is not certified positive definite (pivot of layer \(l)): the 1/N expansion does not apply there"
            case .depthTooLarge(let l, let maximum):
                return "finite-width fluctuations are computed for depth L <= \(maximum) (got \(l)): the cost is O(L) interval operations"
            case .pointsOutOfRange(let p, let maximum):
                return "the number of training points P must be an integer in 1...\(maximum) (got \(p))"
            case .undecided(let digits):
                return "the enclosures of the fluctuations did not decide \(digits) digits within the precision budget"
            }
        }
    }

    public static let maximumDepth = 100_000
    public static let maximumPoints = 1_000_000_000

    public let problem: WhitenedProblem
    public let points: Int
    /// c_l = s^l, l = 1...L (notes/whitened-overlaps.md (W3)).
    public let overlaps: [Interval]
    /// N Var(c_l), l = 1...L: the diagonal of H^{-1} (FB8).
    public let overlapVariance: [Interval]
    /// N (E c_l - c_l), l = 1...L (FB8).
    public let overlapMeanShift: [Interval]
    /// N Var(y^T E[f | Phi]) and N Var(e^T E[f | Phi]) for a unit e orthogonal to y (FB10): the part of
    /// the prediction variance that comes from the kernels.
    public let labelPredictorMeanVariance: Interval
    public let orthogonalPredictorMeanVariance: Interval
    /// N Var(y^T f) and N Var(e^T f) including the readout's posterior noise (FB10); nil at gamma = 0
    /// with finite beta, where the readout's prior variance 1/(gamma^2 N) is unbounded.
    public let labelPredictionVariance: Interval?
    public let orthogonalPredictionVariance: Interval?
    /// N Var(tr Phi^L / P) (FB11).
    public let kernelDiagonalVariance: Interval

    /// The fluctuations at a root u (an enclosure of the dominant root of (W4)), at `precision` bits.
    public init(problem: WhitenedProblem, points: Int, negatedChi: Interval, precision: Int) throws {
        let depth = problem.depth
        guard depth <= WhitenedFluctuations.maximumDepth else {
            throw Failure.depthTooLarge(depth, maximum: WhitenedFluctuations.maximumDepth)
        }
        guard points >= 1 && points <= WhitenedFluctuations.maximumPoints else {
            throw Failure.pointsOutOfRange(points, maximum: WhitenedFluctuations.maximumPoints)
        }
        self.problem = problem
        self.points = points
        let one = Interval(1, precision: precision)
        let g = Interval(problem.gammaSquared, precision: precision)
        let b = Interval(problem.ridge, precision: precision)
        let s = negatedChi.withPrecision(precision) + one
        var c: [Interval] = []
        c.reserveCapacity(depth)
        var power = one
        for _ in 0..<depth { power = power * s; c.append(power) }
        overlaps = c
        let cL = c[depth - 1], cb = cL + b, onePlusB = one + b

        // (FB6) H and (FB7) h_w: diagonals and off-diagonals.
        var hDiagonal: [Interval] = [], hOff: [Interval] = [], wDiagonal: [Interval] = [], wOff: [Interval] = []
        for l in 0..<depth {
            if l < depth - 1 {
                let cubed = c[l] * c[l] * c[l], squared = c[l] * c[l]
                hDiagonal.append(c[l + 1] / cubed)
                hOff.append(-(one / (2 * squared)))
                wDiagonal.append((c[l + 1] + c[l]) / squared)
                wOff.append(-(one / c[l]))
            } else {
                hDiagonal.append(one / (2 * (cL * cL)) + g / (cb * cb * cb))
                wDiagonal.append(one / cL + g / (cb * cb * onePlusB))
            }
        }
        let h = try Tridiagonal(diagonal: hDiagonal, off: hOff)
        let w = try Tridiagonal(diagonal: wDiagonal, off: wOff)

        // grad F (FB8): the B terms, then -(P-1)/2 d ln det h_w - 1/2 d ln det H, each a sum over the
        // entries that depend on c_j of (inverse entry) x (derivative of the entry), off-diagonals twice.
        let pPlusOne = Interval(points + 1, precision: precision), pMinusOne = Interval(points - 1, precision: precision)
        var gradient: [Interval] = []
        gradient.reserveCapacity(depth)
        for j in 0..<depth {
            let cj = c[j], cj2 = cj * cj, cj3 = cj2 * cj
            var dH = Interval(0, precision: precision), dW = Interval(0, precision: precision)
            if j < depth - 1 {
                dH = dH + h.inverseDiagonal[j] * (-(3 * c[j + 1]) / (cj3 * cj)) + 2 * h.inverseOff[j] / cj3
                dW = dW + w.inverseDiagonal[j] * (-(2 * c[j + 1]) / cj3 - one / cj2) + 2 * w.inverseOff[j] / cj2
            } else {
                dH = dH + h.inverseDiagonal[j] * (-(one / cj3) - 3 * g / (cb * cb * cb * cb))
                dW = dW + w.inverseDiagonal[j] * (-(one / cj2) - 2 * g / (cb * cb * cb * onePlusB))
            }
            if j > 0 {
                let cp = c[j - 1], cp2 = cp * cp
                dH = dH + h.inverseDiagonal[j - 1] / (cp2 * cp)
                dW = dW + w.inverseDiagonal[j - 1] / cp2
            }
            var dB = -(pPlusOne / (2 * cj))
            if j == depth - 1 { dB = dB - one / (2 * cb) }
            gradient.append(dB - pMinusOne * dW / 2 - dH / 2)
        }
        overlapVariance = h.inverseDiagonal
        overlapMeanShift = h.solve(gradient)

        // (FB10) predictions, (FB11) the kernel's diagonal mean.
        let slopeY = b / (cb * cb), slopePerp = b / (cb * onePlusB)
        labelPredictorMeanVariance = slopeY * slopeY * h.inverseDiagonal[depth - 1]
        orthogonalPredictorMeanVariance = slopePerp * slopePerp * w.inverseDiagonal[depth - 1]
        if problem.ridge.isZero {
            labelPredictionVariance = labelPredictorMeanVariance
            orthogonalPredictionVariance = orthogonalPredictorMeanVariance
        } else if problem.gammaSquared.isZero {
            labelPredictionVariance = nil
            orthogonalPredictionVariance = nil
        } else {
            labelPredictionVariance = labelPredictorMeanVariance + b * cL / (g * cb)
            orthogonalPredictionVariance = orthogonalPredictorMeanVariance + b / (g * onePlusB)
        }
        let p = Interval(points, precision: precision)
        kernelDiagonalVariance = (h.inverseDiagonal[depth - 1] + Interval(2 * depth, precision: precision) * pMinusOne) / (p * p)
    }

    /// Every interval this value holds, in a fixed order (for deciding printed digits).
    public var enclosures: [Interval] {
        overlaps + overlapVariance + overlapMeanShift
            + [labelPredictorMeanVariance, orthogonalPredictorMeanVariance, kernelDiagonalVariance]
            + [labelPredictionVariance, orthogonalPredictionVariance].compactMap { $0 }
    }

    /// Solves the overlap equation (notes/whitened-overlaps.md) and evaluates the fluctuations at the
    /// dominant root until every enclosure decides `digits` correctly rounded digits (zero exactly is
    /// decided), raising the root's digits and the working precision up to four times.
    public static func certified(problem: WhitenedProblem, points: Int, digits: Int) throws -> WhitenedFluctuations {
        guard problem.depth <= maximumDepth else { throw Failure.depthTooLarge(problem.depth, maximum: maximumDepth) }
        let depthBits = CertifiedRefinement.depthBits(problem.depth)
        for attempt in 0..<4 {
            let rootDigits = min(digits + 10 + 20 * attempt + depthBits, WhitenedOverlapSolver.maximumDigits)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: rootDigits)
            guard let root = solution.dominant else { throw Failure.undecided(digits: digits) }
            let precision = CertifiedRefinement.digitBits(rootDigits) + 64 + 4 * depthBits
            let value = try WhitenedFluctuations(problem: problem, points: points, negatedChi: root.negatedChi, precision: precision)
            if value.enclosures.allSatisfy({ ($0.isPoint && $0.lower.isZero) || $0.certifiedDecimal(significantDigits: digits) != nil }) {
                return value
            }
        }
        throw Failure.undecided(digits: digits)
    }
}

/// A symmetric tridiagonal matrix in interval arithmetic with its forward and backward pivots,
/// the diagonal and first off-diagonal of its inverse, and solves (notes/fluctuations-bayes.md (FB9)).
/// Throws when a forward pivot is not certified positive (the matrix is not certified positive definite).
struct Tridiagonal {
    let diagonal: [Interval]
    let off: [Interval]
    let forwardPivots: [Interval]
    let inverseDiagonal: [Interval]
    let inverseOff: [Interval]

    init(diagonal: [Interval], off: [Interval]) throws {
        let n = diagonal.count
        var p: [Interval] = [], q = diagonal
        p.reserveCapacity(n)
        for i in 0..<n {
            let pivot = i == 0 ? diagonal[0] : diagonal[i] - off[i - 1] * off[i - 1] / p[i - 1]
            guard pivot.definiteSign == 1 else { throw WhitenedFluctuations.Failure.notPositiveDefinite(layer: i + 1) }
            p.append(pivot)
        }
        if n >= 2 {
            for i in stride(from: n - 2, through: 0, by: -1) {
                q[i] = diagonal[i] - off[i] * off[i] / q[i + 1]
                guard q[i].definiteSign == 1 else { throw WhitenedFluctuations.Failure.notPositiveDefinite(layer: i + 1) }
            }
        }
        var inverse: [Interval] = []
        inverse.reserveCapacity(n)
        for i in 0..<n {
            let denominator = p[i] + q[i] - diagonal[i]
            guard denominator.definiteSign == 1 else { throw WhitenedFluctuations.Failure.notPositiveDefinite(layer: i + 1) }
            inverse.append(Interval(1, precision: denominator.precision) / denominator)
        }
        var inverseOff: [Interval] = []
        for i in 0..<max(n - 1, 0) { inverseOff.append(-(off[i] / p[i]) * inverse[i + 1]) }
        self.diagonal = diagonal
        self.off = off
        forwardPivots = p
        inverseDiagonal = inverse
        self.inverseOff = inverseOff
    }

    /// x with M x = r, by the forward pivots (FB9).
    func solve(_ r: [Interval]) -> [Interval] {
        let n = diagonal.count
        var z = r
        for i in 1..<max(n, 1) where i < n { z[i] = z[i] - off[i - 1] / forwardPivots[i - 1] * z[i - 1] }
        var x = z
        for i in stride(from: n - 1, through: 0, by: -1) {
            x[i] = (i < n - 1 ? z[i] - off[i] * x[i + 1] : z[i]) / forwardPivots[i]
        }
        return x
    }
}
