import Foundation
import Theory
import Numerics

/// `antk` on data: `--train X --labels y [--test Xt --test-labels yt] [--beta B] [--out DIR]`.
/// Deep linear aNTK with a general input kernel C = X X^T / D at working precision
/// (notes/antk-deep-linear.md (A6)–(A8), (A11), (A24)–(A26); section 7), compared on the same data
/// with the deep linear aNBK (notes/general-kernel-reduction.md (G5), (G12)) and the lazy NTK.
enum ANTKDataCommand {
    /// Predictor names, in the order reports list them (the `kernels` command's conventions).
    static let predictors = ["antk", "anbk", "ntk"]

    /// The default inverse temperature for the aNBK comparison, stated in the usage text and the
    /// note (section 7, "Data"): Langevin dynamics at temperature T = lambda on the same potential U (A1)
    /// has the stationary law exp(-U/lambda) = N(0,1) prior x exp(-(gamma^2 N/(2 lambda)) |f - y|^2),
    /// which is the aNBK posterior with beta = 1/lambda (ridge b = lambda).
    static let betaRule = "beta = 1/lambda (default): the Bayesian posterior with N(0,1) prior is the stationary law of Langevin dynamics at temperature T = lambda on the same potential U (A1)"

    struct Branch {
        let point: GeneralANTKFixedPoint
        let kind: String
        let kernels: ANTKKernels
        let trainPrediction: [Double]
        let testPrediction: [Double]?
    }

    /// Kinds of the nontrivial roots in increasing a: the largest is `upper` (always stable, A24),
    /// the smallest of two or more `lower` (always unstable for L >= 2, A24), any others `middle`;
    /// for whitened data this is the naming of the certified solver (A18).
    static func kinds(nontrivial n: Int) -> [String] {
        (0..<n).map { $0 == n - 1 ? "upper" : ($0 == 0 ? "lower" : "middle") }
    }

    static func run(_ options: ParsedArguments, gamma: BigRational, lambda: BigRational, depth: Int,
                    digits: Int, format: OutputFormat) throws -> String {
        // Inverse temperature of the aNBK comparison (documented default 1/lambda).
        let beta: InverseTemperature
        if let text = options.value("beta") {
            do { beta = try InverseTemperature(parsing: text) } catch let error as RationalParseError {
                throw UsageError("--beta: \(error) (or 'inf')")
            }
            if case .finite(let value) = beta, value.signum <= 0 { throw UsageError(TheoryInputError.nonPositiveBeta(value.description).description) }
        } else {
            beta = .finite(lambda.reciprocal)
        }
        let data = try DataFiles.trainingData(options)
        let p = data.points, labels = data.labels
        let c = data.inputKernel()
        let testKernels = data.testKernels()

        // aNTK: every fixed point (A11), stability (A24, A26), kernels (A6, A7).
        let problem = try antkUsage {
            try GeneralANTKProblem(kernel: c, labels: labels, gamma: gamma.doubleApproximation, lambda: lambda.doubleApproximation, depth: depth)
        }
        let solver = GeneralANTKSolver()
        let points = try antkUsage { try solver.solve(problem) }
        let names = ["collapse"] + kinds(nontrivial: points.count - 1)
        var branches: [Branch] = []
        for (point, kind) in zip(points, names) {
            let kernels = try solver.kernels(problem, at: point)
            // f(x*) = K(x*, X) Delta/(lambda (L+1)) (A7); on the training set this is f = a C Delta (A8).
            branches.append(Branch(point: point, kind: kind, kernels: kernels, trainPrediction: kernels.predict(testKernel: c),
                                   testPrediction: testKernels.map { kernels.predict(testKernel: $0.cross) }))
        }
        // Reported branch: the largest root (stable, A24); collapse when there is none. Not certified:
        // for general C the basin gradient flow reaches is not derived (note, end of section 4).
        let selected = branches.count - 1
        let selectionRule = branches.count > 1
            ? "largest nontrivial root (always stable, A24); which stable root gradient flow reaches from a unit-variance start is not derived for general C (A32 covers whitened data only)"
            : "collapse is the only fixed point"

        // aNBK at the same gamma and depth, dominant saddle (G8), predictor = ridge b/t (G12).
        let anbkProblem: GeneralKernelProblem
        let anbk: GeneralKernelSolution
        do {
            anbkProblem = try GeneralKernelProblem(inputKernel: c, labels: labels, gamma: gamma, beta: beta, depth: depth)
            anbk = try GeneralKernelSolver().solve(anbkProblem)
        } catch let error as GeneralKernelInputError { throw UsageError(error.description) }
        guard let dominant = anbk.dominant else {
            throw SolverError.degenerate("aNBK comparison: two minima of the action are equal to working precision; dominance undecided")
        }

        // Train / test predictions and mean squared losses.
        var train: [String: [Double]] = ["antk": branches[selected].trainPrediction, "anbk": dominant.predict(crossKernel: c, rows: p)]
        train["ntk"] = try ANTKPredictors.lazyNTK(kernel: c, labels: labels, testKernel: c)
        var test: [String: [Double]] = [:]
        if let testKernels, let rows = data.test?.rows {
            test["antk"] = branches[selected].testPrediction
            test["anbk"] = dominant.predict(crossKernel: testKernels.cross, rows: rows)
            test["ntk"] = try ANTKPredictors.lazyNTK(kernel: c, labels: labels, testKernel: testKernels.cross)
        }
        let trainLoss = predictors.map { ($0, ANTKPredictors.meanSquaredError(train[$0]!, labels)) }
        let testLoss = data.testLabels.map { yt in predictors.map { ($0, ANTKPredictors.meanSquaredError(test[$0]!, yt)) } }

        let significant = min(digits, 17)
        func decimal(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.\(significant)g", x) }
        let chosen = branches[selected]
        let gradientEntries = (1...(depth + 1)).map { chosen.kernels.gradientKernelEntry(layer: $0) }

        // Files for --out: Phi^l (layers 1 and L, or all), G^l (same layers), K, and the test-train kernels.
        if let out = options.value("out") {
            let layers = options.has("all-layers") ? Array(1...depth) : Array(Set([1, depth])).sorted()
            var files: [(String, Data)] = []
            for l in layers {
                files.append(("phi_\(l).npy", NPYArray(shape: [p, p], values: chosen.kernels.featureKernel(layer: l)).serialized()))
                files.append(("grad_\(l).npy", NPYArray(shape: [p, p], values: [Double](repeating: gradientEntries[l - 1], count: p * p)).serialized()))
            }
            files.append(("ntk.npy", NPYArray(shape: [p, p], values: chosen.kernels.ntk).serialized()))
            if let testKernels, let rows = data.test?.rows {
                files.append(("cross_phi_\(depth).npy", NPYArray(shape: [rows, p], values: chosen.kernels.testFeatureKernel(layer: depth, testKernel: testKernels.cross)).serialized()))
                files.append(("cross_ntk.npy", NPYArray(shape: [rows, p], values: chosen.kernels.testNTK(testKernel: testKernels.cross)).serialized()))
            }
            var csv = ["set,index,label," + predictors.joined(separator: ",")]
            for i in 0..<p { csv.append("train,\(i),\(labels[i])," + predictors.map { String(train[$0]![i]) }.joined(separator: ",")) }
            if let yt = data.testLabels { for i in 0..<yt.count { csv.append("test,\(i),\(yt[i])," + predictors.map { String(test[$0]![i]) }.joined(separator: ",")) } }
            files.append(("predictions.csv", Data((csv.joined(separator: "\n") + "\n").utf8)))
            files.append(("summary.json", Data((summary().serialized() + "\n").utf8)))
            try DataFiles.writeAtomically(files, to: out)
        }

        func branchJSON(_ branch: Branch) -> JSONValue {
            let point = branch.point
            var members: [(String, JSONValue)] = [
                ("a", .string(decimal(point.a))),
                ("f_dot_y", .string(decimal(point.fDotY))),
                ("stable", .bool(point.stable)),
                ("kind", .string(branch.kind)),
                ("stability_exponent", .number(point.stabilityExponent)),
                ("layer_norm", .string(decimal(point.layerNorm))),
                ("s", .number(point.s)),
                ("equation_residual", .number(point.equationResidual)),
                ("predictor_residual", .number(point.predictorResidual)),
                ("train_loss", .number(ANTKPredictors.meanSquaredError(branch.trainPrediction, labels))),
            ]
            if let prediction = branch.testPrediction, let yt = data.testLabels {
                members.append(("test_loss", .number(ANTKPredictors.meanSquaredError(prediction, yt))))
            }
            return .object(members)
        }

        func summary() -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("gamma", .string(gamma.description)), ("lambda", .string(lambda.description)), ("depth", .integer(depth)),
                ("data", .string("C = X X^T / D from --train: P = \(p), D = \(data.features)\(data.test.map { ", test Q = \($0.rows)" } ?? "")")),
                ("train_points", .integer(p)), ("features", .integer(data.features)), ("test_points", .integer(data.test?.rows ?? 0)),
                ("certified", .bool(false)),
                ("precision", .string("working precision (double), \(significant) significant digits printed; residuals below")),
                ("isolation", .string("roots of ln H(a) (A11) between the critical points of (A25), located on a grid of step 0.005 in ln a and bisected")),
                ("branches", .array(branches.map(branchJSON))),
                ("selected_branch", .object([
                    ("index", .integer(selected)), ("kind", .string(chosen.kind)),
                    ("certified", .bool(false)), ("rule", .string(selectionRule)),
                ])),
                ("kernels", .object([
                    ("layer_norm", .string(decimal(chosen.point.layerNorm))),
                    ("phi", .string("Phi^l = (E^l/s) C Delta Delta^T C, rank one along v = C Delta (A6)")),
                    ("gradient_kernel_entries", .array(gradientEntries.map(JSONValue.number))),
                    ("ntk", .string("K = lambda a (C + (L/s) v v^T) (A7)")),
                    ("effective_ridge", chosen.point.a > 0 ? .number(1 / chosen.point.a) : .null),
                ])),
                ("anbk", .object([
                    ("beta", .string(beta.description)), ("beta_rule", .string(options.value("beta") == nil ? betaRule : "given with --beta")),
                    ("u", .number(dominant.u)), ("spike_t", .number(dominant.spike)), ("roots", .integer(anbk.roots.count)),
                    ("secular_residual", .number(dominant.secularResidual)),
                    ("effective_ridge", .number(anbkProblem.ridge / dominant.spike)),
                ])),
                ("ntk_baseline", .string("lazy NTK (L+1) C, ridgeless kernel regression C* C^+ y (A29)")),
                ("train_loss", .object(trainLoss.map { ($0.0, .number($0.1)) })),
            ]
            if let testLoss { members.append(("test_loss", .object(testLoss.map { ($0.0, .number($0.1)) }))) }
            return .object(members)
        }

        switch format {
        case .json: return summary().serialized() + "\n"
        default: return table()
        }

        func table() -> String {
            func f(_ x: Double) -> String { String(format: "%.10g", x) }
            func e(_ x: Double) -> String { String(format: "%.1e", x) }
            var lines: [String] = []
            lines.append("Deep linear aNTK on data, general input kernel C = X X^T / D (notes/antk-deep-linear.md, A11, A24)")
            lines.append("P = \(p) train points, D = \(data.features) features\(data.test.map { ", \($0.rows) test points" } ?? "")   gamma = \(gamma)   lambda = \(lambda)   L = \(depth)")
            lines.append("working precision (double): nothing below is certified; residuals are printed per root")
            for (index, branch) in branches.enumerated() {
                let point = branch.point
                lines.append("")
                lines.append("\(branch.kind): \(point.stable ? "stable" : "unstable")\(index == selected ? "  (reported below)" : "")")
                lines.append("  f.y/|y|^2  ~ \(decimal(point.fDotY))")
                lines.append("  a          ~ \(decimal(point.a))")
                lines.append("  E = |W|^2/N ~ \(decimal(point.layerNorm))")
                let name = point.isCollapse ? "largest Jacobian eigenvalue (A26)" : "d ln H/d ln a (A24)"
                lines.append("  \(name) ~ \(f(point.stabilityExponent))")
                if !point.isCollapse { lines.append("  residuals: (A8) \(e(point.equationResidual)), (A7) \(e(point.predictorResidual))") }
            }
            lines.append("")
            lines.append("reported branch: \(chosen.kind) (\(selectionRule))")
            lines.append("kernels: Phi^l = (E^l/s) v v^T with v = C Delta (A6), G^l = E^(L+1-l) 1 1^T, K = lambda a (C + (L/s) v v^T) (A7)")
            lines.append("aNBK at beta = \(beta): u ~ \(f(dominant.u)), predictor = ridge regression on C with ridge b/t ~ \(f(anbkProblem.ridge / dominant.spike)) (G12)")
            if chosen.point.a > 0 { lines.append("aNTK predictor = ridge regression on C with ridge 1/a ~ \(f(1 / chosen.point.a)) (A8)") }
            lines.append("lazy NTK: (L+1) C, ridgeless (A29)")
            lines.append("")
            lines.append("predictor    train loss      test loss")
            for (name, value) in trainLoss {
                let testValue = testLoss?.first(where: { $0.0 == name })?.1
                lines.append(name.padding(toLength: 11, withPad: " ", startingAt: 0) + "  ~" + f(value).padding(toLength: 14, withPad: " ", startingAt: 0)
                             + (testValue.map { "  ~" + f($0) } ?? "  -"))
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
