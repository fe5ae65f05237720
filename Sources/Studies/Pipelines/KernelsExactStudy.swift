import Core
import Numerics
import Theory

/// The certified path of deep linear aNBK on exact rational inputs
/// (notes/general-kernel-reduction.md, "Certified path for exact inputs", G16-G21): C = X X^T / D
/// exactly or C given, every root isolated rigorously, u, chi, t, the action and the per-layer
/// overlaps as correctly rounded decimals with their enclosures; the dominant root decided by
/// action enclosures.
public enum KernelsExactStudy {
    public struct Problem: Sendable {
        public let inputKernel: [BigRational]
        public let labels: [BigRational]
        /// D when C = X X^T / D was formed from features, nil when C was given.
        public let features: Int?
        public let gamma: BigRational
        public let beta: InverseTemperature
        public let depth: Int

        /// C = X X^T / D exactly from a P x D matrix.
        public init(features x: [BigRational], rows: Int, columns: Int, labels: [BigRational], gamma: BigRational, beta: InverseTemperature, depth: Int) throws {
            guard rows > 0, columns > 0, x.count == rows * columns else { throw StudyInputError.shape("the feature matrix is empty or does not match its shape") }
            guard rows <= ExactKernelProblem.maximumPoints else {
                throw StudyInputError.unsupported("the certified path takes at most \(ExactKernelProblem.maximumPoints) points, got \(rows)")
            }
            self.init(kernel: ExactKernelProblem.gram(x, rows: rows, columns: columns), labels: labels, features: columns, gamma: gamma, beta: beta, depth: depth)
        }

        /// C given directly (P x P, checked symmetric and PSD exactly by the theory).
        public init(kernel: [BigRational], labels: [BigRational], features: Int? = nil, gamma: BigRational, beta: InverseTemperature, depth: Int) {
            self.inputKernel = kernel; self.labels = labels; self.features = features
            self.gamma = gamma; self.beta = beta; self.depth = depth
        }
    }

    public typealias CertifiedDecimal = KernelsStudy.CertifiedDecimal

    public struct Root: Codable, Sendable {
        public let u, chi, spikeT, action: CertifiedDecimal
        public let stationarity: String
        public let dominant: Bool
        /// y^T Phi^l y / |y|^2 for l in `Result.layers`.
        public let overlaps: [CertifiedDecimal]
    }

    public struct Result: Codable, Sendable {
        public let digits, points, depth, rank: Int
        public let features: Int?
        public let isolation: String
        /// The layer of each entry of `Root.overlaps`: every layer up to the solver's automatic limit,
        /// a selection beyond it (notes/general-kernel-reduction.md (G22)).
        public let layers: [Int]
        public let roots: [Root]
        public let dominantIndex: Int
        /// y^T C y / |y|^2 (exact rational, also as a certified decimal).
        public let inputOverlapExact: String
        public let inputOverlap: CertifiedDecimal
    }

    public static func run(_ problem: Problem, digits: Int = WhitenedOverlapSolver.defaultDigits) throws -> Result {
        let exact = try ExactKernelProblem(inputKernel: problem.inputKernel, labels: problem.labels, gamma: problem.gamma, beta: problem.beta, depth: problem.depth)
        let solution = try CertifiedGeneralKernelSolver().solve(exact, digits: digits)
        guard let dominantIndex = solution.roots.firstIndex(where: \.isDominant) else {
            throw SolverError.degenerate("the action enclosures of two minima overlap after refinement; dominance undecided")
        }
        func certified(_ x: Interval) throws -> CertifiedDecimal {
            let bounds = x.decimalBounds(significantDigits: digits + 3)
            if x.isPoint && x.lower.isZero { return CertifiedDecimal(value: "0", lower: bounds.lower, upper: bounds.upper) }
            guard let decimal = x.certifiedDecimal(significantDigits: digits) else {
                throw SolverError.notConverged("an enclosure is too wide for \(digits) certified digits")
            }
            return CertifiedDecimal(value: decimal.text, lower: bounds.lower, upper: bounds.upper)
        }
        let roots = try solution.roots.map { root in
            Root(u: try certified(root.u), chi: try certified(root.chi), spikeT: try certified(root.spike), action: try certified(root.action),
                 stationarity: root.stationarity.rawValue, dominant: root.isDominant, overlaps: try root.layerOverlaps.map(certified))
        }
        let input = Interval(solution.inputOverlap, precision: Int(Double(digits) * 3.33) + 64)
        return Result(digits: digits, points: exact.count, depth: problem.depth, rank: exact.rank, features: problem.features,
                      isolation: solution.isolation, layers: solution.listedLayers, roots: roots, dominantIndex: dominantIndex,
                      inputOverlapExact: solution.inputOverlap.description, inputOverlap: try certified(input))
    }
}
