import Foundation
import Core
import Numerics

/// Inputs the general-C theory rejects, each one sentence (exit status 2 at the CLI).
public enum GeneralKernelInputError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(String)
    case nonFinite(String)
    case notSymmetric(String)
    case notPositiveSemidefinite(String)
    case singularWithoutRidge(String)
    case empty(String)
    case outOfRange(String)

    /// The structural defects of a kernel, under this error's cases.
    public init(_ defect: KernelMatrixCheck.Defect) {
        switch defect {
        case .empty: self = .empty(defect.description)
        case .shape: self = .shapeMismatch(defect.description)
        case .nonFiniteLabel, .nonFiniteKernel: self = .nonFinite(defect.description)
        case .notSymmetric: self = .notSymmetric(defect.description)
        }
    }

    public var description: String {
        switch self {
        case .shapeMismatch(let s), .nonFinite(let s), .notSymmetric(let s), .notPositiveSemidefinite(let s),
             .singularWithoutRidge(let s), .empty(let s), .outOfRange(let s): return s
        }
    }
}

/// Deep linear aNBK with any PSD input kernel C (P x P, row-major) and any label vector y
/// (notes/theory-overview.md (T7); notes/general-kernel-reduction.md). gamma enters through g = gamma^2 and beta
/// through the ridge b = 1/beta.
public struct GeneralKernelProblem: Sendable {
    public let inputKernel: [Double]
    public let labels: [Double]
    public let count: Int
    public let gamma: BigRational
    public let beta: InverseTemperature
    public let depth: Int

    /// `symmetricByConstruction`: the caller formed C with C_ij and C_ji the same double (the Gram
    /// matrix of `LinearAlgebra.rowGram`, one triangle mirrored), so the symmetry pass of the input
    /// check is skipped; shape and finiteness are checked as always.
    public init(inputKernel: [Double], labels: [Double], gamma: BigRational, beta: InverseTemperature, depth: Int,
                symmetricByConstruction: Bool = false) throws {
        let p = labels.count
        if let defect = KernelMatrixCheck.defect(kernel: inputKernel, labels: labels, relativeSymmetry: symmetricByConstruction ? nil : 1e-12) {
            throw GeneralKernelInputError(defect)
        }
        try TheoryInputError.validate(gamma: gamma, beta: beta, depth: depth, maximumDepth: 100_000)
        // The working-precision path squares the labels (weights w_k = (u_k . y)^2, |y|^2): outside
        // this range they underflow to 0 or overflow, and the overlaps y^T Phi y / |y|^2 would be 0/0.
        let largestLabel = labels.reduce(0.0) { max($0, abs($1)) }
        if largestLabel > 0 && !(GeneralKernelProblem.labelRange).contains(largestLabel) {
            throw GeneralKernelInputError.outOfRange(
                "the largest label is \(largestLabel); the working-precision path needs it in [\(GeneralKernelProblem.labelRange.lowerBound), \(GeneralKernelProblem.labelRange.upperBound)] (its square must stay a normal double); rescale y by c and gamma by 1/c (u and the overlaps depend on gamma^2 |y|^2 only), or use the certified path (any magnitude)")
        }
        self.inputKernel = inputKernel
        self.labels = labels
        count = p
        self.gamma = gamma
        self.beta = beta
        self.depth = depth
    }

    /// Label magnitudes whose squares (and sums of P <= 10^6 of them) stay normal doubles.
    public static let labelRange: ClosedRange<Double> = 1e-150...1e150

    /// g = gamma^2 and b = 1/beta at working precision.
    public var gammaSquared: Double { (gamma * gamma).doubleApproximation }
    public var ridge: Double { beta.ridge.doubleApproximation }
}

/// C = U diag(lambda) U^T with y_k = (U^T y)_k (notes/general-kernel-reduction.md, eq. G4).
/// Eigenvalues within the PSD tolerance of 0 are set to 0; below it the kernel is rejected.
/// `init(_:)` never forms U or the tridiagonal eigenvectors (eq. G4'''): one reflector R with
/// R y = ±|y| e_1, R C R = Q T Q^T (dsytrd, Q e_1 = e_1), eigenvalues and y_k = ±|y| z_k(1) from an
/// implicit QL iteration on T that rotates the first row only, and the resolvents (s C + b I)^{-1} y
/// as tridiagonal solves (`FirstComponentSpectrum`), O(P^2) after the O(P^3) reduction. When an
/// eigenvalue falls inside the zero tolerance without being 0, the resolvents must use the
/// zeroed eigenvalue, which a solve with T cannot: then the tridiagonal eigenvectors of the same T
/// are computed (dstemr, eq. G4'') and U is applied to vectors (`TridiagonalEigenbasis`).
/// From features (`init(_:features:rows:columns:)`, D < P) the spectrum is reduced (eq. G4'):
/// the r nonzero eigenpairs from the thin SVD of X, plus one direction y_perm = y − U_r U_r^T y
/// standing for the whole null space (lambda = 0), which is all that functions f(C) y need.
public struct KernelSpectrum: Sendable {
    /// How U is held: explicit columns (reduced spectrum, eq. G4'), the tridiagonal factors
    /// (eq. G4'') or only the first components of the tridiagonal eigenvectors (eq. G4''').
    enum Basis: Sendable {
        /// Row-major P x n, directions as columns.
        case columns([Double])
        case tridiagonal(TridiagonalEigenbasis)
        case firstComponents(FirstComponentSpectrum)
    }

    public let eigenvalues: [Double]
    let basis: Basis
    public let projections: [Double]
    /// Eigenvalues at or below this count as zero (rank deficiency).
    public let zeroTolerance: Double
    /// Rows of U (P).
    public let points: Int

    /// Row-major P x n (n = eigenvalues.count), eigenvectors (directions) as columns, consistent
    /// with `projections`. Formed on demand: O(P^3) for the full spectrum (the pipeline never
    /// needs it; `resolvent` does not use it). Throws `FirstComponentSpectrum.SecondStageNotStored`
    /// after the two-stage reduction (build the spectrum with `reduction: .oneStage` for U).
    public var eigenvectors: [Double] {
        get throws {
            switch basis {
            case .columns(let vectors): return vectors
            case .tridiagonal(let factors): return factors.denseEigenvectors()
            case .firstComponents(let factors): return try factors.denseEigenvectors()
            }
        }
    }

    /// Which LAPACK routines produced the spectrum.
    public var method: String {
        switch basis {
        case .columns: return "dgesdd (thin SVD of X)"
        case .tridiagonal(let factors): return "dsytrd + \(factors.tridiagonalSolver) (no back-transformed eigenvectors)"
        case .firstComponents(let factors):
            switch factors.reduction {
            case .oneStage: return "dsytrd + implicit QL on the first components (no eigenvectors)"
            case .twoStage(let kd): return "dsytrd_sy2sb (band \(kd)) + dsytrd_sb2st + implicit QL on the first components (no eigenvectors)"
            }
        }
    }

    /// `reduction`: how C is brought to tridiagonal form (default: the two-stage reduction from
    /// P = `FirstComponentSpectrum.Reduction.twoStageMinimumOrder` on, eq. G23).
    public init(_ problem: GeneralKernelProblem, reduction: FirstComponentSpectrum.Reduction? = nil) throws {
        let p = problem.count
        func reduce(_ reduction: FirstComponentSpectrum.Reduction?) throws -> FirstComponentSpectrum {
            do {
                return try FirstComponentSpectrum(symmetric: problem.inputKernel, n: p, vector: problem.labels, reduction: reduction)
            } catch let failure as TridiagonalQL.Failure {
                throw SolverError.notConverged("the spectrum of the input kernel: \(failure.description)")
            } catch {
                throw SolverError.notConverged("LAPACK failed on the input kernel: \(error)")
            }
        }
        let factors = try reduce(reduction)
        let values = factors.eigenvalues
        let largest = max(abs(values.first ?? 0), abs(values.last ?? 0))
        // Backward error of a symmetric eigensolver: O(P eps |C|); 64 P eps |C| is a generous margin.
        let tolerance = 64 * Double(p) * Double.ulpOfOne * max(largest, .leastNormalMagnitude)
        if let smallest = values.first, smallest < -tolerance {
            throw GeneralKernelInputError.notPositiveSemidefinite(
                "input kernel is not positive semidefinite (smallest eigenvalue \(smallest), tolerance \(tolerance))")
        }
        zeroTolerance = tolerance
        points = p
        if values.contains(where: { $0 != 0 && $0 <= tolerance }) {
            // Eigenvalues set to 0 (eq. G4''): the resolvents need the eigenvectors of T, and so
            // the one-stage reduction (the two-stage one keeps no Q2, eq. G23).
            let oneStage = factors.reduction == .oneStage ? factors : try reduce(.oneStage)
            guard let vectors = oneStage.eigenbasis() else {
                throw SolverError.notConverged("LAPACK (dstemr, dstedc) failed on the input kernel's tridiagonal form")
            }
            eigenvalues = vectors.eigenvalues.map { $0 <= tolerance ? 0 : $0 }
            basis = .tridiagonal(vectors)
            projections = vectors.coordinates(of: problem.labels)
        } else {
            eigenvalues = values
            basis = .firstComponents(factors)
            projections = factors.coordinates
        }
        try KernelSpectrum.checkRidge(problem, eigenvalues)
    }

    /// The reduced spectrum of C = X X^T / D from the thin SVD X = U S V^T (eq. G4'):
    /// lambda_k = s_k^2 / D for the r singular values above the tolerance, and, when r < P, one
    /// lambda = 0 direction y_perp/|y_perp| (y_perp = y − U_r U_r^T y) with projection |y_perp|.
    /// f(C) y = U_r f(Lambda_r) U_r^T y + f(0) y_perp, so every use of the spectrum (G4-G12 on y,
    /// sums over k) is unchanged. O(P D^2) instead of O(P^3).
    public init(_ problem: GeneralKernelProblem, features x: [Double], rows p: Int, columns d: Int) throws {
        precondition(p == problem.count && x.count == p * d)
        guard let (singular, left) = LinearAlgebra.thinSVD(x, m: p, n: d) else {
            throw SolverError.notConverged("LAPACKE_dgesdd failed on the features")
        }
        let k = singular.count
        let values = singular.map { $0 * $0 / Double(d) }
        let largest = values.first ?? 0
        let tolerance = 64 * Double(p) * Double.ulpOfOne * max(largest, .leastNormalMagnitude)
        let kept = (0..<k).filter { values[$0] > tolerance }.reversed()   // ascending, like dsyevd
        var lambda: [Double] = [], projected: [Double] = []
        var columns: [[Double]] = []
        var residual = problem.labels
        for index in kept {
            let column = (0..<p).map { left[$0 * k + index] }
            let projection = LinearAlgebra.dot(column, problem.labels)
            for i in 0..<p { residual[i] -= projection * column[i] }
            lambda.append(values[index]); projected.append(projection); columns.append(column)
        }
        if kept.count < p {
            // The null space of C, represented by the one direction of y in it.
            let norm = LinearAlgebra.dot(residual, residual).squareRoot()
            lambda.insert(0, at: 0); projected.insert(norm, at: 0)
            columns.insert(norm > 0 ? residual.map { $0 / norm } : [Double](repeating: 0, count: p), at: 0)
        }
        var vectors = [Double](repeating: 0, count: p * columns.count)
        for (j, column) in columns.enumerated() { for i in 0..<p { vectors[i * columns.count + j] = column[i] } }
        eigenvalues = lambda
        basis = .columns(vectors)
        points = p
        projections = projected
        zeroTolerance = tolerance
        try KernelSpectrum.checkRidge(problem, lambda)
    }

    static func checkRidge(_ problem: GeneralKernelProblem, _ eigenvalues: [Double]) throws {
        if problem.ridge == 0, eigenvalues.contains(0) {
            let rank = eigenvalues.filter { $0 > 0 }.count
            throw GeneralKernelInputError.singularWithoutRidge(
                "beta = inf (b = 0) needs a nonsingular input kernel, but C has rank \(rank) < P = \(problem.count): Phi^L + b I is singular; give a finite beta")
        }
    }

    /// (s C + b I)^{-1} y, or C (s C + b I)^{-1} y when `timesKernel` (eq. G4; the eigenvalues
    /// within the zero tolerance count as 0). s > 0, b >= 0, and s C + b I nonsingular
    /// (`checkRidge`).
    public func resolvent(scale s: Double, ridge b: Double, timesKernel: Bool = false) -> [Double] {
        let n = eigenvalues.count
        switch basis {
        case .columns(let vectors):
            let diagonal = timesKernel ? eigenvalues.map { $0 / (s * $0 + b) } : eigenvalues.map { 1 / (s * $0 + b) }
            return LinearAlgebra.multiply(vectors, vector: (0..<n).map { diagonal[$0] * projections[$0] }, m: points, n: n)
        case .tridiagonal(let factors):
            let diagonal = timesKernel ? eigenvalues.map { $0 / (s * $0 + b) } : eigenvalues.map { 1 / (s * $0 + b) }
            return factors.combination((0..<n).map { diagonal[$0] * projections[$0] })
        case .firstComponents(let factors):
            // Eq. G4''': a tridiagonal solve; nonsingular here (no eigenvalue inside the zero
            // tolerance, and b > 0 or every eigenvalue > 0 by `checkRidge`).
            guard let result = factors.resolvent(scale: s, shift: b, timesMatrix: timesKernel) else {
                preconditionFailure("s T + b I is singular although checkRidge passed")
            }
            return result
        }
    }
}
