import Core
import Numerics
import Theory

/// Deep linear aNTK on data: gradient flow with weight decay and a general input kernel
/// C = X X^T / D at working precision (notes/antk-deep-linear.md (A6)-(A8), (A11), (A24)-(A26);
/// section 7), compared on the same data with the deep linear aNBK (notes/general-kernel-reduction.md
/// (G5), (G12)) and the lazy NTK (A29).
public enum ANTKDataStudy {
    public struct Problem: Sendable {
        public let data: LabelledData
        public let gamma: BigRational
        public let lambda: BigRational
        public let depth: Int
        /// Inverse temperature of the aNBK comparison; nil: the documented default 1/lambda.
        public let beta: InverseTemperature?
        public init(data: LabelledData, gamma: BigRational, lambda: BigRational, depth: Int, beta: InverseTemperature? = nil) {
            self.data = data; self.gamma = gamma; self.lambda = lambda; self.depth = depth; self.beta = beta
        }
    }

    /// Predictor names, in the order reports list them.
    public static let predictors = ["antk", "anbk", "ntk"]

    /// The default inverse temperature of the aNBK comparison (note, section 7, "Data"): Langevin
    /// dynamics at temperature T = lambda on the same potential U (A1) has the stationary law
    /// exp(-U/lambda) = N(0,1) prior x exp(-(gamma^2 N/(2 lambda)) |f - y|^2), the aNBK posterior with
    /// beta = 1/lambda (ridge b = lambda).
    public static let betaRule = "beta = 1/lambda (default): the Bayesian posterior with N(0,1) prior is the stationary law of Langevin dynamics at temperature T = lambda on the same potential U (A1)"

    public static let isolation = "roots of ln H(a) (A11) between the critical points of (A25), located on a grid of step 0.005 in ln a and bisected"

    public struct Branch: Codable, Sendable {
        public let kind: String
        public let a, fDotY, layerNorm, s, stabilityExponent: Double
        public let stable, isCollapse: Bool
        public let equationResidual, predictorResidual: Double
        public let trainLoss: Double
        public let testLoss: Double?
    }

    public struct ANBKComparison: Codable, Sendable {
        public let beta: String
        public let betaRule: String
        public let u, spikeT, secularResidual, effectiveRidge: Double
        public let roots: Int
    }

    public struct Result: Codable, Sendable {
        public let trainPoints, features, testPoints, depth: Int
        public let branches: [Branch]
        public let selectedIndex: Int
        public let selectionRule: String
        /// G^l entries, l = 1...L+1, of the selected branch (G^l = E^(L+1-l) 1 1^T).
        public let gradientKernelEntries: [Double]
        /// 1/a of the selected branch (nil at the collapse).
        public let effectiveRidge: Double?
        public let anbk: ANBKComparison
        public let trainLoss: [String: Double]
        public let testLoss: [String: Double]?
        public let trainPredictions: [String: [Double]]
        public let testPredictions: [String: [Double]]?

        /// Kernels for files (not encoded).
        public var kernels: Kernels? = nil

        enum CodingKeys: String, CodingKey {
            case trainPoints, features, testPoints, depth, branches, selectedIndex, selectionRule, gradientKernelEntries,
                 effectiveRidge, anbk, trainLoss, testLoss, trainPredictions, testPredictions
        }
    }

    /// The selected branch's kernels on demand.
    public struct Kernels: Sendable {
        let kernels: ANTKKernels
        let cross: [Double]?
        public let points: Int
        public let testPoints: Int
        public func feature(layer: Int) -> [Double] { kernels.featureKernel(layer: layer) }
        /// G^l as a P x P matrix (every entry equal).
        public func gradient(layer: Int) -> [Double] { [Double](repeating: kernels.gradientKernelEntry(layer: layer), count: points * points) }
        public var ntk: [Double] { kernels.ntk }
        public func crossFeature(layer: Int) -> [Double]? { cross.map { kernels.testFeatureKernel(layer: layer, testKernel: $0) } }
        public var crossNTK: [Double]? { cross.map { kernels.testNTK(testKernel: $0) } }
    }

    /// Kinds of the nontrivial roots in increasing a: the largest is `upper` (always stable, A24),
    /// the smallest of two or more `lower` (always unstable for L >= 2, A24), any others `middle`;
    /// for whitened data this is the naming of the certified solver (A18).
    public static func kinds(nontrivial n: Int) -> [String] {
        (0..<n).map { $0 == n - 1 ? "upper" : ($0 == 0 ? "lower" : "middle") }
    }

    static func branchTestLoss(_ prediction: [Double]?, _ labels: [Double]?) -> Double? {
        guard let prediction, let labels else { return nil }
        return ANTKPredictors.meanSquaredError(prediction, labels)
    }

    public static func run(_ problem: Problem) throws -> Result {
        let data = problem.data, depth = problem.depth
        let beta = problem.beta ?? .finite(problem.lambda.reciprocal)
        if case .finite(let value) = beta, value.signum <= 0 { throw TheoryInputError.nonPositiveBeta(value.description) }
        let p = data.trainCount, labels = data.labels
        let c = data.trainKernel()
        let testKernels = data.testKernels()

        // aNTK: every fixed point (A11), stability (A24, A26), kernels (A6, A7).
        let antk = try GeneralANTKProblem(kernel: c, labels: labels, gamma: problem.gamma.doubleApproximation,
                                          lambda: problem.lambda.doubleApproximation, depth: depth)
        let solver = GeneralANTKSolver()
        let points = try solver.solve(antk)
        let names = ["collapse"] + kinds(nontrivial: points.count - 1)
        var kernels: [ANTKKernels] = [], train: [[Double]] = [], test: [[Double]?] = []
        for point in points {
            let k = try solver.kernels(antk, at: point)
            kernels.append(k)
            // f(x*) = K(x*, X) Delta/(lambda (L+1)) (A7); on the training set this is f = a C Delta (A8).
            train.append(k.predict(testKernel: c))
            test.append(testKernels.map { k.predict(testKernel: $0.cross) })
        }
        // Reported branch: the largest root (stable, A24); collapse when there is none. Not certified:
        // for general C the basin gradient flow reaches is not derived (note, end of section 4).
        let selected = points.count - 1
        let selectionRule = points.count > 1
            ? "largest nontrivial root (always stable, A24); which stable root gradient flow reaches from a unit-variance start is not derived for general C (A32 covers whitened data only)"
            : "collapse is the only fixed point"

        // aNBK at the same gamma and depth, dominant saddle (G8), predictor = ridge b/t (G12).
        let anbkProblem = try GeneralKernelProblem(inputKernel: c, labels: labels, gamma: problem.gamma, beta: beta, depth: depth)
        let anbk = try GeneralKernelSolver().solve(anbkProblem)
        guard let dominant = anbk.dominant else {
            throw SolverError.degenerate("aNBK comparison: two minima of the action are equal to working precision; dominance undecided")
        }

        var trainPredictions: [String: [Double]] = ["antk": train[selected], "anbk": dominant.predict(crossKernel: c, rows: p)]
        trainPredictions["ntk"] = try ANTKPredictors.lazyNTK(kernel: c, labels: labels, testKernel: c)
        var testPredictions: [String: [Double]]? = nil
        if let testKernels, case let rows = data.testCount {
            testPredictions = ["antk": test[selected]!, "anbk": dominant.predict(crossKernel: testKernels.cross, rows: rows),
                               "ntk": try ANTKPredictors.lazyNTK(kernel: c, labels: labels, testKernel: testKernels.cross)]
        }
        var trainLoss: [String: Double] = [:]
        for name in predictors { trainLoss[name] = ANTKPredictors.meanSquaredError(trainPredictions[name]!, labels) }
        var testLoss: [String: Double]? = nil
        if data.hasTest, case let yt = data.testLabels, let testPredictions {
            var losses: [String: Double] = [:]
            for name in predictors { losses[name] = ANTKPredictors.meanSquaredError(testPredictions[name]!, yt) }
            testLoss = losses
        }
        let branches = points.indices.map { i in
            Branch(kind: names[i], a: points[i].a, fDotY: points[i].fDotY, layerNorm: points[i].layerNorm, s: points[i].s,
                   stabilityExponent: points[i].stabilityExponent, stable: points[i].stable, isCollapse: points[i].isCollapse,
                   equationResidual: points[i].equationResidual, predictorResidual: points[i].predictorResidual,
                   trainLoss: ANTKPredictors.meanSquaredError(train[i], labels),
                   testLoss: branchTestLoss(test[i], data.hasTest ? data.testLabels : nil))
        }
        let chosen = kernels[selected]
        var result = Result(
            trainPoints: p, features: data.dimension, testPoints: data.testCount, depth: depth,
            branches: branches, selectedIndex: selected, selectionRule: selectionRule,
            gradientKernelEntries: (1...(depth + 1)).map { chosen.gradientKernelEntry(layer: $0) },
            effectiveRidge: points[selected].a > 0 ? 1 / points[selected].a : nil,
            anbk: ANBKComparison(beta: beta.description, betaRule: problem.beta == nil ? betaRule : "given",
                                 u: dominant.u, spikeT: dominant.spike, secularResidual: dominant.secularResidual,
                                 effectiveRidge: anbkProblem.ridge / dominant.spike, roots: anbk.roots.count),
            trainLoss: trainLoss, testLoss: testLoss, trainPredictions: trainPredictions, testPredictions: testPredictions)
        result.kernels = Kernels(kernels: chosen, cross: testKernels?.cross, points: p, testPoints: data.testCount)
        return result
    }
}
