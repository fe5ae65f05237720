import Foundation
import Core
import Numerics

/// Deep linear aNBK with an input kernel C and labels y given exactly as rationals (notes/theory-overview.md (T7);
/// notes/general-kernel-reduction.md, "Certified path for exact inputs", eqs. G16-G21).
/// Construction checks symmetry and positive semidefiniteness exactly (eq. G21: rational LDL^T
/// with diagonal pivoting), and that C is nonsingular when b = 0.
public struct ExactKernelProblem: Sendable {
    /// Largest P accepted: the certified solver does O(P^3) interval work per evaluation.
    public static let maximumPoints = 64

    /// Row-major P x P.
    public let inputKernel: [BigRational]
    public let labels: [BigRational]
    public let count: Int
    public let gamma: BigRational
    public let beta: InverseTemperature
    public let depth: Int
    /// rank C (number of positive pivots of the exact LDL^T, eq. G21).
    public let rank: Int

    public init(inputKernel: [BigRational], labels: [BigRational], gamma: BigRational, beta: InverseTemperature, depth: Int) throws {
        let p = labels.count
        guard p > 0 else { throw GeneralKernelInputError.empty("no training points (empty label vector)") }
        guard p <= ExactKernelProblem.maximumPoints else {
            throw GeneralKernelInputError.shapeMismatch("the certified (exact) path takes at most \(ExactKernelProblem.maximumPoints) points, got \(p); use the working-precision path")
        }
        guard inputKernel.count == p * p else {
            throw GeneralKernelInputError.shapeMismatch("input kernel has \(inputKernel.count) entries, \(p) labels need \(p) x \(p)")
        }
        try TheoryInputError.validate(gamma: gamma, beta: beta, depth: depth, maximumDepth: WhitenedProblem.maximumDepth)
        for i in 0..<p { for j in (i + 1)..<p where inputKernel[i * p + j] != inputKernel[j * p + i] {
            throw GeneralKernelInputError.notSymmetric("input kernel is not symmetric at (\(i), \(j)): \(inputKernel[i * p + j]) vs \(inputKernel[j * p + i]) (exact comparison)")
        } }
        let rank: Int
        switch ExactKernelProblem.semidefiniteRank(inputKernel, n: p) {
        case .success(let r): rank = r
        case .failure(let error): throw error
        }
        if beta == .infinite && rank < p {
            throw GeneralKernelInputError.singularWithoutRidge(
                "beta = inf (b = 0) needs a nonsingular input kernel, but C has rank \(rank) < P = \(p) (exact): Phi^L + b I is singular; give a finite beta")
        }
        self.inputKernel = inputKernel
        self.labels = labels
        count = p
        self.gamma = gamma
        self.beta = beta
        self.depth = depth
        self.rank = rank
    }

    /// g = gamma^2 and b = 1/beta, exactly.
    public var gammaSquared: BigRational { gamma * gamma }
    public var ridge: BigRational { beta.ridge }

    /// C = X X^T / D exactly, from a P x D rational matrix (row-major).
    public static func gram(_ x: [BigRational], rows p: Int, columns d: Int) -> [BigRational] {
        var c = [BigRational](repeating: .zero, count: p * p)
        let scale = BigRational(1, d)
        for i in 0..<p { for j in i..<p {
            var sum = BigRational.zero
            for k in 0..<d { sum = sum + x[i * d + k] * x[j * d + k] }
            c[i * p + j] = sum * scale; c[j * p + i] = c[i * p + j]
        } }
        return c
    }

    /// Exact PSD test and rank (eq. G21): Gaussian elimination on the symmetric matrix with a
    /// positive diagonal pivot at each step. A negative diagonal entry of a Schur complement, or a
    /// zero diagonal entry with a nonzero entry in its row, proves C is not PSD (a 1x1 or 2x2
    /// principal minor of the complement is negative); otherwise C = L D L^T with D >= 0.
    static func semidefiniteRank(_ c: [BigRational], n: Int) -> Result<Int, GeneralKernelInputError> {
        var a = c
        var active = Array(0..<n)
        var rank = 0
        while !active.isEmpty {
            if let bad = active.first(where: { a[$0 * n + $0].signum < 0 }) {
                return .failure(.notPositiveSemidefinite("input kernel is not positive semidefinite: a Schur complement of the exact LDL^T has diagonal entry \(a[bad * n + bad].doubleApproximation) < 0 at index \(bad)"))
            }
            guard let pivot = active.first(where: { a[$0 * n + $0].signum > 0 }) else {
                // Every remaining diagonal entry is 0: PSD only if the whole complement is 0.
                for i in active { for j in active where !a[i * n + j].isZero {
                    return .failure(.notPositiveSemidefinite("input kernel is not positive semidefinite: a Schur complement of the exact LDL^T has zero diagonal at \(i) but entry (\(i), \(j)) = \(a[i * n + j].doubleApproximation) (exact)"))
                } }
                break
            }
            rank += 1
            active.removeAll { $0 == pivot }
            let d = a[pivot * n + pivot]
            for i in active where !a[i * n + pivot].isZero {
                let factor = a[i * n + pivot] / d
                for j in active { a[i * n + j] = a[i * n + j] - factor * a[pivot * n + j] }
            }
        }
        return .success(rank)
    }
}
