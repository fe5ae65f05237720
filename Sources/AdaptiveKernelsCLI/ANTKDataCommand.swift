import Foundation
import Theory
import Numerics
import Studies

/// `antk` on data: `--train X --labels y [--test Xt --test-labels yt] [--beta B] [--out-dir DIR]`.
/// Parses, calls `ANTKDataStudy` (notes/antk-deep-linear.md, section 7), renders, writes files.
enum ANTKDataCommand {
    static let predictors = ANTKDataStudy.predictors

    static func run(_ options: ParsedArguments, gamma: BigRational, lambda: BigRational, depth: Int,
                    digits: Int, format: OutputFormat) throws -> String {
        var beta: InverseTemperature? = nil
        if let text = options.value("beta") {
            do { beta = try InverseTemperature(parsing: text) } catch let error as RationalParseError {
                throw UsageError("--beta: \(error) (or 'inf')")
            }
        }
        let data = try DataFiles.trainingData(options)
        let result = try studyErrors {
            try ANTKDataStudy.run(ANTKDataStudy.Problem(data: data, gamma: gamma, lambda: lambda, depth: depth, beta: beta))
        }
        let json = ANTKDataReport.json(result, gamma: gamma, lambda: lambda, beta: beta ?? .finite(lambda.reciprocal), betaGiven: beta != nil)

        // Files for --out-dir: Phi^l and G^l (layers 1 and L, or all), K, and the test-train kernels.
        if let out = options.value("out-dir"), let kernels = result.kernels {
            let p = kernels.points
            let layers = options.has("all-layers") ? Array(1...depth) : Array(Set([1, depth])).sorted()
            var files: [(String, Data)] = []
            for l in layers {
                files.append(("phi_\(l).npy", NPYArray(shape: [p, p], values: kernels.feature(layer: l)).serialized()))
                files.append(("grad_\(l).npy", NPYArray(shape: [p, p], values: kernels.gradient(layer: l)).serialized()))
            }
            files.append(("ntk.npy", NPYArray(shape: [p, p], values: kernels.ntk).serialized()))
            if let crossPhi = kernels.crossFeature(layer: depth), let crossNTK = kernels.crossNTK {
                files.append(("cross_phi_\(depth).npy", NPYArray(shape: [kernels.testPoints, p], values: crossPhi).serialized()))
                files.append(("cross_ntk.npy", NPYArray(shape: [kernels.testPoints, p], values: crossNTK).serialized()))
            }
            files += PredictionsCSV.files(predictors: predictors, trainLabels: data.labels, train: result.trainPredictions,
                                          testLabels: data.testLabels, test: result.testPredictions)
            files.append(("summary.json", Data((json.serialized() + "\n").utf8)))
            try DataFiles.writeAtomically(files, to: out, option: "out-dir")
        }
        switch format {
        case .json: return json.serialized() + "\n"
        default: return ANTKDataReport.table(result, gamma: gamma, lambda: lambda, digits: digits)
        }
    }
}

/// Renderings of an `ANTKDataStudy.Result` (working precision: every value approximate).
enum ANTKDataReport {
    static func json(_ r: ANTKDataStudy.Result, gamma: BigRational, lambda: BigRational, beta: InverseTemperature, betaGiven: Bool) -> JSONValue {
        let approximate = { (x: Double) in OutputContract.approximate(x) }
        let chosen = r.branches[r.selectedIndex]
        func branch(_ b: ANTKDataStudy.Branch) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("a", OutputContract.approximate(b.a, residual: b.isCollapse ? nil : b.equationResidual)),
                ("f_dot_y", approximate(b.fDotY)),
                ("stable", .bool(b.stable)),
                ("kind", .string(b.kind)),
                ("stability_exponent", approximate(b.stabilityExponent)),
                ("layer_norm", approximate(b.layerNorm)),
                ("s", approximate(b.s)),
                ("equation_residual", .string(OutputContract.decimal17(b.equationResidual))),
                ("predictor_residual", .string(OutputContract.decimal17(b.predictorResidual))),
                ("train_loss", approximate(b.trainLoss)),
            ]
            if let testLoss = b.testLoss { members.append(("test_loss", approximate(testLoss))) }
            return .object(members)
        }
        var members: [(String, JSONValue)] = [
            ("gamma", OutputContract.exact(gamma)), ("lambda", OutputContract.exact(lambda)), ("depth", .integer(r.depth)),
            ("data", .string("C = X X^T / D from the training features: P = \(r.trainPoints), D = \(r.features)\(r.testPoints > 0 ? ", test Q = \(r.testPoints)" : "")")),
            ("train_points", .integer(r.trainPoints)), ("features", .integer(r.features)), ("test_points", .integer(r.testPoints)),
            ("certified", .bool(false)),
            ("precision", .string("working precision (double): approximate values with residuals")),
            ("isolation", .string(ANTKDataStudy.isolation)),
            ("branches", .array(r.branches.map(branch))),
            ("selected_branch", .object([
                ("index", .integer(r.selectedIndex)), ("kind", .string(chosen.kind)),
                ("certified", .bool(false)), ("rule", .string(r.selectionRule)),
            ])),
            ("kernels", .object([
                ("layer_norm", approximate(chosen.layerNorm)),
                ("phi", .string("Phi^l = (E^l/s) C Delta Delta^T C, rank one along v = C Delta (A6)")),
                ("gradient_kernel_entries", OutputContract.approximateArray(r.gradientKernelEntries)),
                ("ntk", .string("K = lambda a (C + (L/s) v v^T) (A7)")),
                ("effective_ridge", r.effectiveRidge.map(approximate) ?? .null),
            ])),
            ("anbk", .object([
                ("beta", OutputContract.exact(beta)), ("beta_rule", .string(betaGiven ? "given with --beta" : ANTKDataStudy.betaRule)),
                ("u", OutputContract.approximate(r.anbk.u, residual: r.anbk.secularResidual)), ("spike_t", approximate(r.anbk.spikeT)),
                ("roots", .integer(r.anbk.roots)),
                ("secular_residual", .string(OutputContract.decimal17(r.anbk.secularResidual))),
                ("effective_ridge", approximate(r.anbk.effectiveRidge)),
            ])),
            ("ntk_baseline", .string("lazy NTK (L+1) C, ridgeless kernel regression C* C^+ y (A29)")),
            ("train_loss", .object(ANTKDataStudy.predictors.map { ($0, approximate(r.trainLoss[$0]!)) })),
        ]
        if let testLoss = r.testLoss { members.append(("test_loss", .object(ANTKDataStudy.predictors.map { ($0, approximate(testLoss[$0]!)) }))) }
        return OutputContract.document(command: "antk --train", members)
    }

    static func table(_ r: ANTKDataStudy.Result, gamma: BigRational, lambda: BigRational, digits: Int) -> String {
        let significant = min(digits, 17)
        func decimal(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.\(significant)g", x) }
        func f(_ x: Double) -> String { String(format: "%.10g", x) }
        func e(_ x: Double) -> String { String(format: "%.1e", x) }
        let chosen = r.branches[r.selectedIndex]
        var lines: [String] = []
        lines.append("Deep linear aNTK on data, general input kernel C = X X^T / D (notes/antk-deep-linear.md, A11, A24)")
        lines.append("P = \(r.trainPoints) train points, D = \(r.features) features\(r.testPoints > 0 ? ", \(r.testPoints) test points" : "")   gamma = \(gamma)   lambda = \(lambda)   L = \(r.depth)")
        lines.append("working precision (double): nothing below is certified; residuals are printed per root")
        for (index, branch) in r.branches.enumerated() {
            lines.append("")
            lines.append("\(branch.kind): \(branch.stable ? "stable" : "unstable")\(index == r.selectedIndex ? "  (reported below)" : "")")
            lines.append("  f.y/|y|^2  ~ \(decimal(branch.fDotY))")
            lines.append("  a          ~ \(decimal(branch.a))")
            lines.append("  E = |W|^2/N ~ \(decimal(branch.layerNorm))")
            let name = branch.isCollapse ? "largest Jacobian eigenvalue (A26)" : "d ln H/d ln a (A24)"
            lines.append("  \(name) ~ \(f(branch.stabilityExponent))")
            if !branch.isCollapse { lines.append("  residuals: (A8) \(e(branch.equationResidual)), (A7) \(e(branch.predictorResidual))") }
        }
        lines.append("")
        lines.append("reported branch: \(chosen.kind) (\(r.selectionRule))")
        lines.append("kernels: Phi^l = (E^l/s) v v^T with v = C Delta (A6), G^l = E^(L+1-l) 1 1^T, K = lambda a (C + (L/s) v v^T) (A7)")
        lines.append("aNBK at beta = \(r.anbk.beta): u ~ \(f(r.anbk.u)), predictor = ridge regression on C with ridge b/t ~ \(f(r.anbk.effectiveRidge)) (G12)")
        if let ridge = r.effectiveRidge { lines.append("aNTK predictor = ridge regression on C with ridge 1/a ~ \(f(ridge)) (A8)") }
        lines.append("lazy NTK: (L+1) C, ridgeless (A29)")
        lines.append("")
        lines.append("predictor    train loss      test loss")
        for name in ANTKDataStudy.predictors {
            let testValue = r.testLoss?[name]
            lines.append(name.padding(toLength: 11, withPad: " ", startingAt: 0) + "  ~" + f(r.trainLoss[name]!).padding(toLength: 14, withPad: " ", startingAt: 0)
                         + (testValue.map { "  ~" + f($0) } ?? "  -"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
