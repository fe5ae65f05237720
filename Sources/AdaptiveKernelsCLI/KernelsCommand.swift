import Foundation
import Theory
import Numerics

/// `adaptive-kernels kernels --train X --labels y [--test Xt --test-labels yt] --gamma G --beta B --depth L ...`
/// Deep linear aNBK on data (notes/theory-overview.md (T7)-(T9); notes/general-kernel-reduction.md).
enum KernelsCommand {
    static let subcommand = Subcommand(name: "kernels", summary: "adapted deep linear kernels on data (any C): alignment, overlaps, test loss vs NNGP/NTK",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels kernels --train X.npy --labels y.npy [--test Xt.npy --test-labels yt.npy]
                                    --gamma G --beta B --depth L [--out DIR] [--all-layers]
                                    [--format table|json] [--digits D] [--no-check] [--timings]
           adaptive-kernels kernels --exact (--train X.csv | --kernel C.csv) --labels y.csv
                                    --gamma G --beta B --depth L [--format table|json] [--digits D]
      Deep linear aNBK with input kernel C = X X^T / D (P x D data, .npy float64/float32 or .csv):
      every solution of the exact reduction (secular equation, notes/general-kernel-reduction.md),
      which one dominates (smallest action), per-layer alignment (cosine of Phi^l with y y^T) and
      overlap y^T Phi^l y / |y|^2, and train/test loss of aNBK vs the lazy NNGP and NTK kernels
      (linear and ReLU). Every kernel predictor uses the ridge b = 1/beta.
      The exact reduction is checked against a direct solver of the matrix equations
      (--no-check skips it). Values are at working precision (marked ~) unless C is exactly
      lambda I, where the overlaps are certified (D digits, default 30) as by 'overlaps'.
      --out DIR writes phi_1.npy, phi_L.npy (all layers with --all-layers), cross_L.npy
      (test x train adapted kernel), predictions.csv and summary.json, atomically.
      --timings adds the wall time of each stage (timings_s in JSON, a footer in the table).
      JSON carries "certified": false on this path: numbers are approximate (residuals given).
      --exact: certified path for exact inputs (notes/general-kernel-reduction.md, G16-G21). CSV
      entries are read exactly ("0.1" is 1/10, "1/3" allowed), .npy floats as the dyadic rationals
      they are; C = X X^T / D exactly, or C given directly with --kernel (P x P, checked symmetric
      and PSD exactly). P <= 64. Every root is isolated rigorously (no eigendecomposition) and
      u, chi, t, the action and the overlaps y^T Phi^l y/|y|^2 are printed as certified, correctly
      rounded D-digit decimals; the dominant root is decided by action enclosures. No test set,
      predictions, lazy baselines or --out on this path.
    """

    static let predictors = ["anbk", "nngp", "ntk", "nngp_relu", "ntk_relu"]

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["train", "labels", "test", "test-labels", "gamma", "beta", "depth", "out", "format", "digits", "kernel"],
                                          switches: ["no-check", "all-layers", "exact", "timings"])
        let parameters = try parseProblem(gamma: options.required("gamma"), beta: options.required("beta"), depth: options.required("depth"))
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let digits = try options.integer("digits", default: WhitenedOverlapSolver.defaultDigits, in: 1...200)
        if options.has("exact") { return try runExact(options, parameters: parameters, format: format, digits: digits) }
        guard options.value("kernel") == nil else { throw UsageError("--kernel (an input kernel given directly) needs --exact") }
        var timings: [(String, Double)] = []
        var clock = Date()
        func lap(_ name: String) { let now = Date(); timings.append((name, now.timeIntervalSince(clock))); clock = now }
        let data = try DataFiles.trainingData(options)
        let train = data.train, labels = data.labels, test = data.test, testLabels = data.testLabels
        let p = train.rows, d = train.columns, depth = parameters.depth
        lap("load")
        let c = data.inputKernel()
        lap("input_kernel")
        let problem: GeneralKernelProblem
        let solution: GeneralKernelSolution
        do {
            problem = try GeneralKernelProblem(inputKernel: c, labels: labels, gamma: parameters.gamma, beta: parameters.beta, depth: depth)
            // D < P: the reduced spectrum from the thin SVD of X (eq. G4'), O(P D^2) instead of dsyevd's O(P^3).
            let spectrum = d < p ? try KernelSpectrum(problem, features: train.values, rows: p, columns: d) : try KernelSpectrum(problem)
            lap(d < p ? "spectrum_svd" : "eigendecomposition")
            solution = try GeneralKernelSolver().solve(problem, spectrum: spectrum)
        } catch let error as GeneralKernelInputError { throw UsageError(error.description) }
        guard let dominant = solution.dominant else {
            throw SolverError.degenerate("two minima of the action are equal to working precision; dominance undecided")
        }

        // Certified overlaps when C = lambda I exactly (eq. G13).
        var certified: [String]? = nil
        if let scalar = ScalarKernelReduction(features: train.values, rows: p, columns: d, labels: labels),
           let whitened = try scalar.whitenedProblem(gamma: parameters.gamma, beta: parameters.beta, depth: depth) {
            let exact = try WhitenedOverlapSolver().solve(whitened, digits: digits)
            guard let root = exact.dominant else { throw SolverError.degenerate("certified solver: dominance undecided") }
            guard exact.roots.count == solution.roots.count,
                  abs(root.overlap.midpoint.doubleApproximation * scalar.lambda.doubleApproximation - dominant.overlap(depth)) <= 1e-8 * abs(dominant.overlap(depth)) else {
                throw SolverError.notConverged("certified and working-precision reductions disagree (roots \(exact.roots.count) vs \(solution.roots.count))")
            }
            let lambda = Interval(scalar.lambda, precision: root.overlap.precision + 64)
            var texts: [String] = []
            for layer in root.layerOverlaps() {
                guard let text = (layer * lambda).certifiedDecimal(significantDigits: digits) else {
                    throw SolverError.notConverged("certified overlap enclosure too wide for \(digits) digits")
                }
                texts.append(text.text)
            }
            certified = texts
        }

        lap("secular_roots_and_certified_overlaps")
        // Independent check: the dense matrix equations (eq. G14), from the lazy point and near every root.
        var checks: [(root: Int, iterations: Int, residual: Double, difference: Double)] = []
        if !options.has("no-check") {
            let solver = MatrixSaddleSolver()
            for (index, root) in solution.roots.enumerated() {
                let exactL = root.kernel(depth, inputKernel: c)
                // Start with the spike 3% short of the root's (the sweep is undefined far from a solution).
                var start = c
                LinearAlgebra.addOuterProduct(&start, 0.97 * root.kappa(depth), root.cv, root.cv, m: p, n: p)
                let result: MatrixSaddleSolver.Result
                do { result = try solver.solve(problem, start: start) } catch let error as SolverError {
                    throw SolverError.notConverged("matrix check for root \(index + 1): \(error.description)")
                }
                var diff = 0.0, norm = 0.0
                for i in 0..<(p * p) { diff += (result.kernelL[i] - exactL[i]) * (result.kernelL[i] - exactL[i]); norm += exactL[i] * exactL[i] }
                checks.append((index + 1, result.iterations, result.residual, (diff / norm).squareRoot()))
            }
        }

        if !checks.isEmpty { lap("matrix_check") }
        // Predictions and losses.
        let b = problem.ridge
        let diagonal = data.inputDiagonal(c)
        var trainPredictions: [String: [Double]] = ["anbk": dominant.predict(crossKernel: c, rows: p)]
        var testPredictions: [String: [Double]] = [:]
        var cross: [Double] = [], testDiagonal: [Double] = []
        if let test, let kernels = data.testKernels() {
            (cross, testDiagonal) = kernels
            testPredictions["anbk"] = dominant.predict(crossKernel: cross, rows: test.rows)
        }
        var lazyTrainKernels: [String: [Double]] = [:]
        // Linear lazy kernels in closed form (eq. G15): NNGP = C, NTK = (L+1) C; their ridge
        // predictors use the spectrum already computed (C = U diag(lambda) U^T), no new factorization.
        let spectrum = solution.spectrum
        for (name, scale) in [("nngp", 1.0), ("ntk", Double(depth + 1))] {
            lazyTrainKernels[name] = scale == 1 ? c : c.map { $0 * scale }
            guard b > 0 || spectrum.eigenvalues.allSatisfy({ $0 > 0 }) else {
                throw UsageError("the \(name) kernel plus b I is singular; give a finite beta")
            }
            let alpha = spectrum.apply(spectrum.eigenvalues.map { 1 / (scale * $0 + b) })
            trainPredictions[name] = LinearAlgebra.multiply(lazyTrainKernels[name]!, vector: alpha, m: p, n: p)
            if let test { testPredictions[name] = LinearAlgebra.multiply(cross, vector: alpha, m: test.rows, n: p).map { $0 * scale } }
        }
        lap("lazy_linear")
        do {
            let trainKernels = LazyKernels.kernels(input: c, rows: p, columns: p, rowDiagonal: diagonal, columnDiagonal: diagonal, depth: depth, activation: .relu, symmetric: true)
            lazyTrainKernels["nngp_relu"] = trainKernels.nngp
            lazyTrainKernels["ntk_relu"] = trainKernels.ntk
            var crossKernels: (nngp: [Double], ntk: [Double])? = nil
            if let test { crossKernels = LazyKernels.kernels(input: cross, rows: test.rows, columns: p, rowDiagonal: testDiagonal, columnDiagonal: diagonal, depth: depth, activation: .relu) }
            lap("lazy_relu_kernels")
            for (name, k, kx) in [("nngp_relu", trainKernels.nngp, crossKernels?.nngp), ("ntk_relu", trainKernels.ntk, crossKernels?.ntk)] {
                guard let fit = LazyKernels.predict(train: k, cross: k, rows: p, labels: labels, ridge: b) else {
                    throw UsageError("the \(name) kernel plus b I is singular; give a finite beta")
                }
                trainPredictions[name] = fit
                if let kx, let test { testPredictions[name] = LazyKernels.predict(train: k, cross: kx, rows: test.rows, labels: labels, ridge: b) }
            }
            lap("lazy_relu_ridge")
        }
        func loss(_ f: [Double], _ y: [Double]) -> Double { zip(f, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(y.count) }
        let trainLoss = predictors.map { ($0, loss(trainPredictions[$0]!, labels)) }
        let testLoss = testLabels.map { yt in predictors.map { ($0, loss(testPredictions[$0]!, yt)) } }

        // Per-layer alignment and overlap, aNBK (dominant root) and the lazy kernels.
        let yNorm2 = LinearAlgebra.dot(labels, labels)
        func lazyMeasures(_ k: [Double]) -> (overlap: Double, alignment: Double) {
            let ky = LinearAlgebra.multiply(k, vector: labels, m: p, n: p)
            let o = LinearAlgebra.dot(labels, ky)
            let f = k.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            return (o / yNorm2, o / (f * yNorm2))
        }
        let anbkOverlaps = (1...depth).map { dominant.overlap($0) }
        // Dense residuals once per root (each is O(L P^2)), shared by the table, JSON and --out.
        let residuals = solution.roots.map { (stationarity: $0.stationarityResidual(inputKernel: c), labels: $0.labelResidual(inputKernel: c, labels: labels)) }
        lap("dense_residuals")
        let anbkAlignments = (1...depth).map { dominant.alignment($0) }
        let inputMeasures = lazyMeasures(c)

        if let out = options.value("out") {
            var files: [(String, Data)] = []
            let layers = options.has("all-layers") ? Array(1...depth) : Array(Set([1, depth])).sorted()
            for l in layers { files.append(("phi_\(l).npy", NPYArray(shape: [p, p], values: dominant.kernel(l, inputKernel: c)).serialized())) }
            if let test { files.append(("cross_\(depth).npy", NPYArray(shape: [test.rows, p], values: dominant.crossKernel(depth, inputCross: cross, rows: test.rows)).serialized())) }
            var csv = ["set,index,label," + predictors.joined(separator: ",")]
            for i in 0..<p { csv.append("train,\(i),\(labels[i])," + predictors.map { String(trainPredictions[$0]![i]) }.joined(separator: ",")) }
            if let test, let yt = testLabels { for i in 0..<test.rows { csv.append("test,\(i),\(yt[i])," + predictors.map { String(testPredictions[$0]![i]) }.joined(separator: ",")) } }
            files.append(("predictions.csv", Data((csv.joined(separator: "\n") + "\n").utf8)))
            files.append(("summary.json", Data((summaryJSON().serialized() + "\n").utf8)))
            try DataFiles.writeAtomically(files, to: out)
        }

        func summaryJSON() -> JSONValue {
            var overlap: [(String, JSONValue)] = [("anbk", certified.map { .array($0.map(JSONValue.string)) } ?? .array(anbkOverlaps.map(JSONValue.number)))]
            var alignment: [(String, JSONValue)] = [("anbk", .array(anbkAlignments.map(JSONValue.number)))]
            for name in predictors.dropFirst() {
                let measures = lazyMeasures(lazyTrainKernels[name]!)
                overlap.append((name, .number(measures.overlap)))
                alignment.append((name, .number(measures.alignment)))
            }
            overlap.append(("input", .number(inputMeasures.overlap)))
            alignment.append(("input", .number(inputMeasures.alignment)))
            var members: [(String, JSONValue)] = [
                ("gamma", .string(parameters.gamma.description)), ("beta", .string(parameters.beta.description)),
                ("depth", .integer(depth)), ("train_points", .integer(p)), ("features", .integer(d)),
                ("test_points", .integer(test?.rows ?? 0)),
                ("certified", .bool(false)),
                ("precision", .string("working precision (double): approximate values with residuals; \(certified != nil ? "the anbk overlaps are certified (C = lambda I exactly)" : "nothing is certified")")),
                ("certified_overlaps", .bool(certified != nil)),
                ("isolation", .string(solution.isolation)),
                ("roots", .array(solution.roots.enumerated().map { index, root in .object([
                    ("u", .number(root.u)), ("chi", .number(root.chi)), ("spike_t", .number(root.spike)),
                    ("action", .number(root.action)), ("stationarity", .string(root.stationarity.rawValue)),
                    ("dominant", .bool(root.isDominant)), ("root_bracket_width", .number(root.rootWidth)),
                    ("secular_residual", .number(root.secularResidual)),
                    ("stationarity_residual", .number(residuals[index].stationarity)),
                    ("label_residual", .number(residuals[index].labels)),
                ]) })),
                ("overlap", .object(overlap)),
                ("alignment", .object(alignment)),
                ("train_loss", .object(trainLoss.map { ($0.0, .number($0.1)) })),
            ]
            if let testLoss { members.append(("test_loss", .object(testLoss.map { ($0.0, .number($0.1)) }))) }
            if options.has("timings") { members.append(("timings_s", .object(timings.map { ($0.0, .number(($0.1 * 1000).rounded() / 1000)) }))) }
            if !checks.isEmpty {
                members.append(("matrix_check", .array(checks.map { .object([
                    ("root", .integer($0.root)), ("iterations", .integer($0.iterations)),
                    ("residual", .number($0.residual)), ("relative_difference_phi_L", .number($0.difference)),
                ]) })))
            }
            return .object(members)
        }

        let agreementTolerance = 1e-6
        let disagreement = checks.first { $0.difference > agreementTolerance }
        let report: String
        switch format {
        case .json: report = summaryJSON().serialized() + "\n"
        default: report = table()
        }
        if let disagreement {
            throw CommandFailure(message: "exact reduction and matrix solver disagree for root \(disagreement.root) (relative difference \(disagreement.difference))", standardOutput: report)
        }
        return report

        func table() -> String {
            func f(_ x: Double) -> String { String(format: "%.10g", x) }
            var lines: [String] = []
            lines.append("Deep linear aNBK on data, general input kernel (notes/general-kernel-reduction.md)")
            lines.append("P = \(p) train points, D = \(d) features\(test.map { ", \($0.rows) test points" } ?? "")   gamma = \(parameters.gamma)   beta = \(parameters.beta)   L = \(depth)")
            lines.append("values marked ~ are at working precision (double); \(certified != nil ? "overlaps certified (C = lambda I exactly), \(digits) digits" : "nothing below is certified")")
            lines.append("isolation: \(solution.isolation)")
            for (index, root) in solution.roots.enumerated() {
                lines.append("root \(index + 1) of \(solution.roots.count)\(root.isDominant ? " (dominant)" : ""): local \(root.stationarity.rawValue) of S;  u = s-1 ~ \(f(root.u)) (bracket width \(String(format: "%.1e", root.rootWidth))),  t = s^L ~ \(f(root.spike)),  S ~ \(f(root.action))")
                lines.append("  residuals: secular \(String(format: "%.1e", root.secularResidual)), matrix stationarity \(String(format: "%.1e", residuals[index].stationarity)), labels \(String(format: "%.1e", residuals[index].labels))")
                if let check = checks.first(where: { $0.root == index + 1 }) {
                    lines.append("  matrix solver: \(check.iterations) iterations, residual \(String(format: "%.1e", check.residual)), |Phi^L - Phi^L_exact|/|Phi^L| = \(String(format: "%.1e", check.difference))")
                }
            }
            lines.append("")
            lines.append("layer  overlap y'Phi y/|y|^2     alignment (dominant root)")
            lines.append("    0  ~\(f(inputMeasures.overlap).leftPadded(to: 22))  ~\(f(inputMeasures.alignment))")
            for l in 1...depth {
                let o = certified?[l - 1] ?? "~" + f(anbkOverlaps[l - 1])
                lines.append(String(l).leftPadded(to: 5) + "  " + o.leftPadded(to: 23) + "  ~\(f(anbkAlignments[l - 1]))")
            }
            lines.append("")
            lines.append("predictor    alignment      train loss     test loss")
            for (name, trainValue) in trainLoss {
                let align = name == "anbk" ? anbkAlignments[depth - 1] : lazyMeasures(lazyTrainKernels[name]!).alignment
                let testValue = testLoss?.first(where: { $0.0 == name })?.1
                lines.append(name.padding(toLength: 11, withPad: " ", startingAt: 0) + "  ~" + f(align).padding(toLength: 12, withPad: " ", startingAt: 0)
                             + "  ~" + f(trainValue).padding(toLength: 12, withPad: " ", startingAt: 0) + (testValue.map { "  ~" + f($0) } ?? "  -"))
            }
            if options.has("timings") {
                lines.append("")
                lines.append("timings (s): " + timings.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "))
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
