import Foundation
import Core
import Numerics
import Theory

/// Deep linear aNBK on data (notes/general-kernel-reduction.md): every solution of the exact
/// reduction (secular equation, G5-G8) at working precision, the dominant one's per-layer
/// alignment and overlap, the lazy NNGP/NTK baselines (G15, linear and ReLU) and the
/// train/test losses of every predictor (ridge b = 1/beta), certified overlaps when C = lambda I
/// exactly (G13), and an independent check of every root by the dense matrix equations (G14).
///
/// Check policy: the check never discards an answer. Each root's check ends `agrees`,
/// `disagrees` (relative difference of Phi^L above `agreementTolerance`), or `unchecked` with the
/// reason (the matrix solver did not converge, ran past its time budget, or was not requested).
public enum KernelsStudy {
    public struct Problem: Sendable {
        public let data: LabelledData
        public let gamma: BigRational
        public let beta: InverseTemperature
        public let depth: Int
        public init(data: LabelledData, gamma: BigRational, beta: InverseTemperature, depth: Int) {
            self.data = data; self.gamma = gamma; self.beta = beta; self.depth = depth
        }
    }

    public struct Options: Sendable {
        /// Significant digits of the certified overlaps (C = lambda I exactly).
        public var digits = WhitenedOverlapSolver.defaultDigits
        /// Run the independent matrix check of every root.
        public var check = true
        /// Wall-clock budget of the whole matrix check, in seconds; roots left when it runs out
        /// are reported unchecked.
        public var checkTimeLimit: Double = 10
        /// Relative Frobenius difference of Phi^L above which the check disagrees.
        public var agreementTolerance = 1e-6
        /// Compute the lazy ReLU baselines (nngp_relu, ntk_relu: O(L P^2) arc-cosine maps and two
        /// O(P^3) ridge fits, more than the rest of the pipeline at P = 2000). The linear baselines
        /// come from the spectrum already computed and are always reported.
        public var reluBaselines = true
        public init() {}
    }

    /// The predictors, in the order reports list them.
    public static let predictors = ["anbk", "nngp", "ntk", "nngp_relu", "ntk_relu"]
    /// The predictors without the ReLU baselines (`Options.reluBaselines` false).
    public static let linearPredictors = ["anbk", "nngp", "ntk"]

    public struct Root: Codable, Sendable {
        public let u, chi, spikeT, action: Double
        public let stationarity: String
        public let dominant: Bool
        public let rootBracketWidth, secularResidual, stationarityResidual, labelResidual: Double
        public let check: RootCheck
    }

    /// One root's independent check (G14).
    public struct RootCheck: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable { case agrees, disagrees, unchecked }
        public let status: Status
        /// Why the check could not decide (status `unchecked`).
        public let reason: String?
        public let iterations: Int?
        /// |C - Phi^0[Phi^L]|_F / |C|_F at the matrix solver's answer.
        public let residual: Double?
        /// |Phi^L - Phi^L_exact|_F / |Phi^L_exact|_F.
        public let relativeDifference: Double?

        /// "agrees", "disagrees" or "unchecked: <reason>".
        public var text: String { status == .unchecked ? "unchecked: \(reason ?? "no reason given")" : status.rawValue }
    }

    /// A certified value: its correctly rounded decimal and a decimal enclosure rounded outward.
    public struct CertifiedDecimal: Codable, Sendable, Equatable {
        public let value: String
        public let lower: String
        public let upper: String
    }

    public struct Timing: Codable, Sendable {
        public let stage: String
        public let seconds: Double
        public init(stage: String, seconds: Double) { self.stage = stage; self.seconds = seconds }
    }

    public struct Result: Codable, Sendable {
        public let trainPoints, features, testPoints, depth: Int
        public let isolation: String
        /// The predictors reported (`predictors` or `linearPredictors`), in order.
        public let predictors: [String]
        public let roots: [Root]
        /// Index into `roots` of the dominant root.
        public let dominantIndex: Int
        /// Per-layer overlaps y^T Phi^l y / |y|^2 of the dominant root, l = 1...L (working precision).
        public let overlaps: [Double]
        /// The same, certified (present when C = lambda I exactly).
        public let certifiedOverlaps: [CertifiedDecimal]?
        /// Per-layer alignment (cosine of Phi^l with y y^T) of the dominant root.
        public let alignments: [Double]
        /// Overlap and alignment of the input kernel C and of each lazy kernel (train block).
        public let inputOverlap, inputAlignment: Double
        public let lazyOverlap, lazyAlignment: [String: Double]
        public let trainLoss: [String: Double]
        public let testLoss: [String: Double]?
        public let trainPredictions: [String: [Double]]
        public let testPredictions: [String: [Double]]?
        /// Overall check: `disagrees` if any root disagrees, `agrees` if all agree, else unchecked.
        public let check: RootCheck
        public let timings: [Timing]

        /// Kernels for files (not encoded).
        public var kernels: Kernels? = nil

        enum CodingKeys: String, CodingKey {
            case trainPoints, features, testPoints, depth, isolation, predictors, roots, dominantIndex, overlaps, certifiedOverlaps, alignments,
                 inputOverlap, inputAlignment, lazyOverlap, lazyAlignment, trainLoss, testLoss, trainPredictions, testPredictions, check, timings
        }
    }

    /// The dominant root's adapted kernels on demand (P x P, Q x P).
    public struct Kernels: Sendable {
        let root: GeneralKernelSaddle
        let inputKernel: [Double]
        let cross: [Double]?
        public let points: Int
        public let testPoints: Int
        /// Phi^l on the training set.
        public func feature(layer: Int) -> [Double] { root.kernel(layer, inputKernel: inputKernel) }
        /// Phi^L(x*, X), test x train; nil without test data.
        public func crossFeature(layer: Int) -> [Double]? {
            cross.map { root.crossKernel(layer, inputCross: $0, rows: testPoints) }
        }
    }

    public static func run(_ problem: Problem, options: Options = Options()) throws -> Result {
        var timings: [Timing] = []
        var clock = Date()
        func lap(_ name: String) { let now = Date(); timings.append(Timing(stage: name, seconds: now.timeIntervalSince(clock))); clock = now }
        let data = problem.data
        let p = data.trainCount, d = data.dimension, depth = problem.depth, labels = data.labels
        let c = data.trainKernel()
        lap("input_kernel")
        // C from `trainKernel` (dsyrk, one triangle mirrored) is exactly symmetric: no symmetry pass.
        let general = try GeneralKernelProblem(inputKernel: c, labels: labels, gamma: problem.gamma, beta: problem.beta, depth: depth,
                                               symmetricByConstruction: true)
        // D < P: the reduced spectrum from the thin SVD of X (eq. G4'), O(P D^2) instead of dsyevd's O(P^3).
        let spectrum = d < p ? try KernelSpectrum(general, features: data.trainInputs, rows: p, columns: d) : try KernelSpectrum(general)
        lap(d < p ? "spectrum_svd" : "spectrum_tridiagonal")
        let solution = try GeneralKernelSolver().solve(general, spectrum: spectrum)
        guard let dominant = solution.dominant, let dominantIndex = solution.roots.firstIndex(where: \.isDominant) else {
            throw SolverError.degenerate("two minima of the action are equal to working precision; dominance undecided")
        }

        // Certified overlaps when C = lambda I exactly (eq. G13).
        var certified: [CertifiedDecimal]? = nil
        if ScalarKernelReduction.affordable(rows: p, columns: d),
           let scalar = ScalarKernelReduction(features: data.trainInputs, rows: p, columns: d, labels: labels),
           let whitened = try scalar.whitenedProblem(gamma: problem.gamma, beta: problem.beta, depth: depth) {
            let exact = try WhitenedOverlapSolver().solve(whitened, digits: options.digits)
            guard let root = exact.dominant else { throw SolverError.degenerate("certified solver: dominance undecided") }
            guard exact.roots.count == solution.roots.count,
                  abs(root.overlap.midpoint.doubleApproximation * scalar.lambda.doubleApproximation - dominant.overlap(depth)) <= 1e-8 * abs(dominant.overlap(depth)) else {
                throw SolverError.notConverged("certified and working-precision reductions disagree (roots \(exact.roots.count) vs \(solution.roots.count))")
            }
            let lambda = Interval(scalar.lambda, precision: root.overlap.precision + 64)
            certified = try root.layerOverlaps().map { layer in
                let value = layer * lambda
                guard let text = value.certifiedDecimal(significantDigits: options.digits) else {
                    throw SolverError.notConverged("certified overlap enclosure too wide for \(options.digits) digits")
                }
                let bounds = value.decimalBounds(significantDigits: options.digits + 3)
                return CertifiedDecimal(value: text.text, lower: bounds.lower, upper: bounds.upper)
            }
        }
        lap("secular_roots_and_certified_overlaps")

        // Independent check: the dense matrix equations (eq. G14), started near every root.
        var checks: [RootCheck] = []
        if options.check {
            let deadline = Date().addingTimeInterval(options.checkTimeLimit)
            for (index, root) in solution.roots.enumerated() {
                checks.append(check(general, root: root, index: index, deadline: deadline, tolerance: options.agreementTolerance))
            }
            lap("matrix_check")
        } else {
            checks = solution.roots.map { _ in RootCheck(status: .unchecked, reason: "not requested", iterations: nil, residual: nil, relativeDifference: nil) }
        }

        // Predictions and losses.
        let b = general.ridge
        let diagonal = (0..<p).map { c[$0 * p + $0] }
        // C v once per root: the dominant root's train predictions and every root's dense
        // residuals below use the same product.
        let kernelTimesV = solution.roots.map { LinearAlgebra.multiply(c, vector: $0.v, m: p, n: p) }
        var trainPredictions: [String: [Double]] = ["anbk": dominant.predict(crossKernelTimesV: kernelTimesV[dominantIndex])]
        var testPredictions: [String: [Double]] = [:]
        let testKernels = data.testKernels()
        if let testKernels {
            testPredictions["anbk"] = dominant.predict(crossKernel: testKernels.cross, rows: data.testCount)
        }
        var lazyTrainKernels: [String: [Double]] = [:]
        // Linear lazy kernels in closed form (eq. G15): NNGP = C, NTK = (L+1) C; their ridge
        // predictors use the spectrum already computed (C = U diag(lambda) U^T), no new factorization.
        // The scaled kernel (L+1) C is never formed: its predictions are (L+1) (C alpha) and its
        // overlap and alignment follow from C's (below).
        for (name, scale) in [("nngp", 1.0), ("ntk", Double(depth + 1))] {
            guard b > 0 || spectrum.eigenvalues.allSatisfy({ $0 > 0 }) else {
                throw StudyInputError.singular("the \(name) kernel plus b I is singular; give a finite beta")
            }
            let alpha = spectrum.resolvent(scale: scale, ridge: b)
            let fit = LinearAlgebra.multiply(c, vector: alpha, m: p, n: p)
            trainPredictions[name] = scale == 1 ? fit : fit.map { $0 * scale }
            if let testKernels {
                testPredictions[name] = LinearAlgebra.multiply(testKernels.cross, vector: alpha, m: data.testCount, n: p).map { $0 * scale }
            }
        }
        lap("lazy_linear")
        if options.reluBaselines {
            let trainReLU = LazyKernels.kernels(input: c, rows: p, columns: p, rowDiagonal: diagonal, columnDiagonal: diagonal, depth: depth, activation: .relu, symmetric: true)
            lazyTrainKernels["nngp_relu"] = trainReLU.nngp
            lazyTrainKernels["ntk_relu"] = trainReLU.ntk
            var crossReLU: (nngp: [Double], ntk: [Double])? = nil
            if let testKernels {
                crossReLU = LazyKernels.kernels(input: testKernels.cross, rows: data.testCount, columns: p, rowDiagonal: testKernels.diagonal, columnDiagonal: diagonal, depth: depth, activation: .relu)
            }
            lap("lazy_relu_kernels")
            for (name, k, kx) in [("nngp_relu", trainReLU.nngp, crossReLU?.nngp), ("ntk_relu", trainReLU.ntk, crossReLU?.ntk)] {
                guard let fit = LazyKernels.predict(train: k, cross: k, rows: p, labels: labels, ridge: b) else {
                    throw StudyInputError.singular("the \(name) kernel plus b I is singular; give a finite beta")
                }
                trainPredictions[name] = fit
                if let kx { testPredictions[name] = LazyKernels.predict(train: k, cross: kx, rows: data.testCount, labels: labels, ridge: b) }
            }
            lap("lazy_relu_ridge")
        }
        let predictors = options.reluBaselines ? KernelsStudy.predictors : KernelsStudy.linearPredictors
        func loss(_ f: [Double], _ y: [Double]) -> Double { zip(f, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(y.count) }
        var trainLoss: [String: Double] = [:]
        for name in predictors { trainLoss[name] = loss(trainPredictions[name]!, labels) }
        var testLoss: [String: Double]? = nil
        if data.hasTest, case let yt = data.testLabels {
            var losses: [String: Double] = [:]
            for name in predictors { losses[name] = loss(testPredictions[name]!, yt) }
            testLoss = losses
        }

        // Per-layer alignment and overlap: aNBK (dominant root), the input kernel and the lazy kernels.
        let yNorm2 = LinearAlgebra.dot(labels, labels)
        func measures(_ k: [Double]) -> (overlap: Double, alignment: Double) {
            let ky = LinearAlgebra.multiply(k, vector: labels, m: p, n: p)
            let o = LinearAlgebra.dot(labels, ky)
            let f = k.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            return (o / yNorm2, o / (f * yNorm2))
        }
        var lazyOverlap: [String: Double] = [:], lazyAlignment: [String: Double] = [:]
        let input = measures(c)
        for name in predictors.dropFirst() {
            // Linear lazy kernels s C (eq. G15): overlap s times C's, alignment C's (scale-free).
            let m = name == "nngp" ? input : name == "ntk" ? (overlap: Double(depth + 1) * input.overlap, alignment: input.alignment)
                : measures(lazyTrainKernels[name]!)
            lazyOverlap[name] = m.overlap
            lazyAlignment[name] = m.alignment
        }
        // Dense residuals once per root (each is O(L P^2)).
        let roots = solution.roots.indices.map { index in
            let root = solution.roots[index], product = kernelTimesV[index]
            return Root(u: root.u, chi: root.chi, spikeT: root.spike, action: root.action, stationarity: root.stationarity.rawValue,
                        dominant: root.isDominant, rootBracketWidth: root.rootWidth, secularResidual: root.secularResidual,
                        stationarityResidual: root.stationarityResidual(inputKernel: c, kernelTimesV: product),
                        labelResidual: root.labelResidual(inputKernel: c, labels: labels, kernelTimesV: product),
                        check: checks[index])
        }
        lap("dense_residuals")
        var result = Result(
            trainPoints: p, features: d, testPoints: data.testCount, depth: depth, isolation: solution.isolation,
            predictors: predictors, roots: roots, dominantIndex: dominantIndex,
            overlaps: (1...depth).map { dominant.overlap($0) }, certifiedOverlaps: certified,
            alignments: (1...depth).map { dominant.alignment($0) },
            inputOverlap: input.overlap, inputAlignment: input.alignment, lazyOverlap: lazyOverlap, lazyAlignment: lazyAlignment,
            trainLoss: trainLoss, testLoss: testLoss, trainPredictions: trainPredictions,
            testPredictions: data.hasTest ? testPredictions : nil,
            check: overall(checks), timings: timings)
        result.kernels = Kernels(root: dominant, inputKernel: c, cross: testKernels?.cross, points: p, testPoints: data.testCount)
        return result
    }

    /// The overall verdict of the per-root checks.
    static func overall(_ checks: [RootCheck]) -> RootCheck {
        if let bad = checks.first(where: { $0.status == .disagrees }) { return bad }
        if let undecided = checks.first(where: { $0.status == .unchecked }) { return undecided }
        let worst = checks.compactMap(\.relativeDifference).max()
        return RootCheck(status: .agrees, reason: nil, iterations: checks.compactMap(\.iterations).max(),
                         residual: checks.compactMap(\.residual).max(), relativeDifference: worst)
    }

    /// One root against the matrix solver, started with the spike 3% short of the root's (the
    /// sweep is undefined far from a solution), within the shared deadline.
    static func check(_ problem: GeneralKernelProblem, root: GeneralKernelSaddle, index: Int, deadline: Date, tolerance: Double) -> RootCheck {
        let p = problem.count, c = problem.inputKernel
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else {
            return RootCheck(status: .unchecked, reason: "root \(index + 1): the check's time budget ran out before this root", iterations: nil, residual: nil, relativeDifference: nil)
        }
        let exactL = root.kernel(problem.depth, inputKernel: c)
        var start = c
        LinearAlgebra.addOuterProduct(&start, 0.97 * root.kappa(problem.depth), root.cv, root.cv, m: p, n: p)
        var solver = MatrixSaddleSolver()
        solver.timeLimit = remaining
        let result: MatrixSaddleSolver.Result
        do { result = try solver.solve(problem, start: start) } catch let error as SolverError {
            return RootCheck(status: .unchecked, reason: "matrix solver for root \(index + 1): \(error.description)", iterations: nil, residual: nil, relativeDifference: nil)
        } catch {
            return RootCheck(status: .unchecked, reason: "matrix solver for root \(index + 1): \(error)", iterations: nil, residual: nil, relativeDifference: nil)
        }
        var diff = 0.0, norm = 0.0
        for i in 0..<(p * p) { diff += (result.kernelL[i] - exactL[i]) * (result.kernelL[i] - exactL[i]); norm += exactL[i] * exactL[i] }
        let difference = (diff / norm).squareRoot()
        guard difference.isFinite else {
            return RootCheck(status: .unchecked, reason: "matrix solver for root \(index + 1): the difference is not finite", iterations: result.iterations, residual: result.residual, relativeDifference: nil)
        }
        return RootCheck(status: difference <= tolerance ? .agrees : .disagrees, reason: nil, iterations: result.iterations,
                         residual: result.residual, relativeDifference: difference)
    }
}
