import Foundation
import Theory
import Numerics
import Studies

/// `adaptive-kernels kernels --train X --labels y [--test Xt --test-labels yt] --gamma G --beta B --depth L ...`
/// Deep linear aNBK on data (notes/theory-overview.md (T7)-(T9); notes/general-kernel-reduction.md): parses,
/// calls `KernelsStudy` (or `KernelsExactStudy` with --exact), renders, writes the files of --out-dir.
enum KernelsCommand {
    static let subcommand = Subcommand(name: "kernels", summary: "adapted deep linear kernels on data (any C): alignment, overlaps, test loss vs NNGP/NTK",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels kernels --train X.npy --labels y.npy [--test Xt.npy --test-labels yt.npy]
                                    --gamma G --beta B --depth L [--out-dir DIR] [--all-layers]
                                    [--format table|json] [--digits D] [--no-check] [--check-time S]
                                    [--no-relu-baselines] [--timings]
           adaptive-kernels kernels --exact (--train X.csv | --kernel C.csv) --labels y.csv
                                    --gamma G --beta B --depth L [--format table|json] [--digits D]
      Deep linear aNBK with input kernel C = X X^T / D (P x D data, .npy float64/float32 or .csv):
      every solution of the exact reduction (secular equation, notes/general-kernel-reduction.md),
      which one dominates (smallest action), per-layer alignment (cosine of Phi^l with y y^T) and
      overlap y^T Phi^l y / |y|^2, and train/test loss of aNBK vs the lazy NNGP and NTK kernels
      (linear and ReLU). Every kernel predictor uses the ridge b = 1/beta. --no-relu-baselines
      leaves out the ReLU baselines (nngp_relu, ntk_relu: L P^2 arc-cosine maps and two P^3
      ridge fits, the largest cost after the spectrum; their JSON values are then null); the
      linear ones are always reported.
      Every root is checked against a direct solver of the matrix equations (G14), within S seconds
      in all (--check-time, default 10): the report says "check": agrees, disagrees, or
      "unchecked: <reason>" (the matrix solver did not converge in time, e.g. for an
      ill-conditioned C; --no-check skips it). The answer is always printed; the exit status is 3
      only when the check disagrees. Values are at working precision (marked ~) unless C is exactly
      lambda I, where the overlaps are certified (D digits, default 30) as by 'overlaps'.
      --out-dir DIR writes phi_1.npy, phi_L.npy (all layers with --all-layers), cross_L.npy
      (test x train adapted kernel), train_predictions.csv, test_predictions.csv and summary.json (the JSON report), atomically.
      --timings adds the wall time of each stage (timings_s in JSON, a footer in the table).
      --exact: certified path for exact inputs (notes/general-kernel-reduction.md, G16-G21). CSV
      entries are read exactly ("0.1" is 1/10, "1/3" allowed), .npy floats as the dyadic rationals
      they are; C = X X^T / D exactly, or C given directly with --kernel (P x P, checked symmetric
      and PSD exactly). P <= 64. Every root is isolated rigorously (no eigendecomposition) and
      u, chi, t, the action and the overlaps y^T Phi^l y/|y|^2 are printed as certified, correctly
      rounded D-digit decimals; the dominant root is decided by action enclosures. No test set,
      predictions, lazy baselines or --out-dir on this path.
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["train", "labels", "test", "test-labels", "gamma", "beta", "depth", "out-dir", "format", "digits", "kernel", "check-time"],
                                          switches: ["no-check", "all-layers", "exact", "timings", "no-relu-baselines"])
        let parameters = try parseProblem(gamma: options.required("gamma"), beta: options.required("beta"), depth: options.required("depth"))
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let digits = try options.integer("digits", default: WhitenedOverlapSolver.defaultDigits, in: 1...200)
        if options.has("exact") { return try runExact(options, parameters: parameters, format: format, digits: digits) }
        guard options.value("kernel") == nil else { throw UsageError("--kernel (an input kernel given directly) needs --exact") }
        var studyOptions = KernelsStudy.Options()
        studyOptions.digits = digits
        studyOptions.check = !options.has("no-check")
        studyOptions.reluBaselines = !options.has("no-relu-baselines")
        if let text = options.value("check-time") {
            guard !options.has("no-check") else { throw UsageError("--check-time and --no-check exclude each other") }
            guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                throw UsageError("--check-time must be a number of seconds in (0, 86400] (got '\(text)')")
            }
            studyOptions.checkTimeLimit = seconds
        }
        let loadStart = Date()
        let data = try DataFiles.trainingData(options)
        let loadTime = Date().timeIntervalSince(loadStart)
        let problem = KernelsStudy.Problem(data: data, gamma: parameters.gamma, beta: parameters.beta, depth: parameters.depth)
        let result = try studyErrors { try KernelsStudy.run(problem, options: studyOptions) }
        let timings = options.has("timings") ? [KernelsStudy.Timing(stage: "load", seconds: loadTime)] + result.timings : nil
        let json = KernelsReport.json(result, parameters: parameters, digits: digits, timings: timings)

        if let out = options.value("out-dir"), let kernels = result.kernels {
            var files: [(String, Data)] = []
            let depth = parameters.depth, p = kernels.points
            let layers = options.has("all-layers") ? Array(1...depth) : Array(Set([1, depth])).sorted()
            for l in layers { files.append(("phi_\(l).npy", NPYArray(shape: [p, p], values: kernels.feature(layer: l)).serialized())) }
            if let cross = kernels.crossFeature(layer: depth) {
                files.append(("cross_\(depth).npy", NPYArray(shape: [kernels.testPoints, p], values: cross).serialized()))
            }
            files += PredictionsCSV.files(predictors: result.predictors, trainLabels: data.labels, train: result.trainPredictions,
                                          testLabels: data.testLabels, test: result.testPredictions)
            files.append(("summary.json", Data((json.serialized() + "\n").utf8)))
            try DataFiles.writeAtomically(files, to: out, option: "out-dir")
        }
        let report = format == .json ? json.serialized() + "\n" : KernelsReport.table(result, parameters: parameters, digits: digits, timings: timings)
        if result.check.status == .disagrees {
            let root = result.roots.firstIndex { $0.check.status == .disagrees }.map { $0 + 1 } ?? 0
            throw CommandFailure(message: "exact reduction and matrix solver disagree for root \(root) (relative difference \(result.check.relativeDifference.map { String(format: "%.2e", $0) } ?? "?"))",
                                 standardOutput: report)
        }
        return report
    }
}

/// Library errors of the data pipelines as usage errors (exit status 2), worded for the command line.
func studyErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as GeneralKernelInputError {
        throw UsageError(error.description)
    } catch let error as StudyInputError {
        throw UsageError(error.description)
    } catch let error as ANTKInputError {
        throw UsageError(error.description)
    } catch let error as TheoryInputError {
        throw UsageError(error.description)
    }
}

/// train_predictions.csv and test_predictions.csv: `index,label,<predictor>...` (numeric-only cells).
enum PredictionsCSV {
    static func render(predictors: [String], labels: [Double], predictions: [String: [Double]]) -> String {
        var csv = ["index,label," + predictors.joined(separator: ",")]
        for i in labels.indices { csv.append("\(i),\(labels[i])," + predictors.map { String(predictions[$0]![i]) }.joined(separator: ",")) }
        return csv.joined(separator: "\n") + "\n"
    }

    static func files(predictors: [String], trainLabels: [Double], train: [String: [Double]], testLabels: [Double]?, test: [String: [Double]]?) -> [(String, Data)] {
        var files = [("train_predictions.csv", Data(render(predictors: predictors, labels: trainLabels, predictions: train).utf8))]
        if let test, let testLabels { files.append(("test_predictions.csv", Data(render(predictors: predictors, labels: testLabels, predictions: test).utf8))) }
        return files
    }
}

/// Renderings of a `KernelsStudy.Result`.
enum KernelsReport {
    static func check(_ c: KernelsStudy.RootCheck) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("check", .string(c.text))]
        if let i = c.iterations { members.append(("check_iterations", .integer(i))) }
        if let r = c.residual { members.append(("check_residual", .string(OutputContract.decimal17(r)))) }
        if let d = c.relativeDifference { members.append(("check_relative_difference_phi_l", .string(OutputContract.decimal17(d)))) }
        return members
    }

    static func json(_ r: KernelsStudy.Result, parameters: WhitenedProblem, digits: Int, timings: [KernelsStudy.Timing]?) -> JSONValue {
        let approximate = { (x: Double) in OutputContract.approximate(x) }
        var overlap: [(String, JSONValue)] = []
        if let certified = r.certifiedOverlaps {
            overlap.append(("anbk", .array(certified.map { .string($0.value) })))
            overlap.append(("anbk_lower", .array(certified.map { .string($0.lower) })))
            overlap.append(("anbk_upper", .array(certified.map { .string($0.upper) })))
        } else {
            overlap.append(("anbk", OutputContract.approximateArray(r.overlaps)))
        }
        var alignment: [(String, JSONValue)] = [("anbk", OutputContract.approximateArray(r.alignments))]
        // Baselines left out (--no-relu-baselines) are null: every key of the contract stays present.
        for name in KernelsStudy.predictors.dropFirst() {
            overlap.append((name, r.lazyOverlap[name].map(approximate) ?? .null))
            alignment.append((name, r.lazyAlignment[name].map(approximate) ?? .null))
        }
        overlap.append(("input", approximate(r.inputOverlap)))
        alignment.append(("input", approximate(r.inputAlignment)))
        var members: [(String, JSONValue)] = [
            ("gamma", OutputContract.exact(parameters.gamma)), ("beta", OutputContract.exact(parameters.beta)),
            ("depth", .integer(r.depth)), ("digits", .integer(digits)),
            ("train_points", .integer(r.trainPoints)), ("features", .integer(r.features)), ("test_points", .integer(r.testPoints)),
            ("certified", .bool(false)),
            ("precision", .string("working precision (double): approximate values with residuals; \(r.certifiedOverlaps != nil ? "the anbk overlaps are certified (C = lambda I exactly)" : "nothing is certified")")),
            ("certified_overlaps", .bool(r.certifiedOverlaps != nil)),
            ("isolation", .string(r.isolation)),
        ] + check(r.check) + [
            ("roots", .array(r.roots.map { root in .object([
                ("u", OutputContract.approximate(root.u, residual: root.secularResidual)),
                ("chi", approximate(root.chi)), ("spike_t", approximate(root.spikeT)), ("action", approximate(root.action)),
                ("stationarity", .string(root.stationarity)), ("dominant", .bool(root.dominant)),
                ("root_bracket_width", .string(OutputContract.decimal17(root.rootBracketWidth))),
                ("secular_residual", .string(OutputContract.decimal17(root.secularResidual))),
                ("stationarity_residual", .string(OutputContract.decimal17(root.stationarityResidual))),
                ("label_residual", .string(OutputContract.decimal17(root.labelResidual))),
            ] + check(root.check)) })),
            ("overlap", .object(overlap)),
            ("alignment", .object(alignment)),
            ("train_loss", .object(KernelsStudy.predictors.map { ($0, r.trainLoss[$0].map(approximate) ?? .null) })),
        ]
        if let testLoss = r.testLoss { members.append(("test_loss", .object(KernelsStudy.predictors.map { ($0, testLoss[$0].map(approximate) ?? .null) }))) }
        if let timings { members.append(("timings_s", .object(timings.map { ($0.stage, .string(String(format: "%.3f", $0.seconds))) }))) }
        return OutputContract.document(command: "kernels", members)
    }

    static func table(_ r: KernelsStudy.Result, parameters: WhitenedProblem, digits: Int, timings: [KernelsStudy.Timing]?) -> String {
        func f(_ x: Double) -> String { String(format: "%.10g", x) }
        func e(_ x: Double) -> String { String(format: "%.1e", x) }
        let depth = r.depth
        var lines: [String] = []
        lines.append("Deep linear aNBK on data, general input kernel (notes/general-kernel-reduction.md)")
        lines.append("P = \(r.trainPoints) train points, D = \(r.features) features\(r.testPoints > 0 ? ", \(r.testPoints) test points" : "")   gamma = \(parameters.gamma)   beta = \(parameters.beta)   L = \(depth)")
        lines.append("values marked ~ are at working precision (double); \(r.certifiedOverlaps != nil ? "overlaps certified (C = lambda I exactly), \(digits) digits" : "nothing below is certified")")
        lines.append("isolation: \(r.isolation)")
        for (index, root) in r.roots.enumerated() {
            lines.append("root \(index + 1) of \(r.roots.count)\(root.dominant ? " (dominant)" : ""): local \(root.stationarity) of S;  u = s-1 ~ \(f(root.u)) (bracket width \(e(root.rootBracketWidth))),  t = s^L ~ \(f(root.spikeT)),  S ~ \(f(root.action))")
            lines.append("  residuals: secular \(e(root.secularResidual)), matrix stationarity \(e(root.stationarityResidual)), labels \(e(root.labelResidual))")
            var check = "  matrix check: \(root.check.text)"
            if let iterations = root.check.iterations, let residual = root.check.residual {
                check += " (\(iterations) iterations, residual \(e(residual))\(root.check.relativeDifference.map { ", |Phi^L - Phi^L_exact|/|Phi^L| = \(e($0))" } ?? ""))"
            }
            lines.append(check)
        }
        lines.append("")
        lines.append("layer  overlap y'Phi y/|y|^2     alignment (dominant root)")
        lines.append("    0  ~\(f(r.inputOverlap).leftPadded(to: 22))  ~\(f(r.inputAlignment))")
        for l in 1...depth {
            let o = r.certifiedOverlaps?[l - 1].value ?? "~" + f(r.overlaps[l - 1])
            lines.append(String(l).leftPadded(to: 5) + "  " + o.leftPadded(to: 23) + "  ~\(f(r.alignments[l - 1]))")
        }
        lines.append("")
        lines.append("predictor    alignment      train loss     test loss")
        for name in r.predictors {
            let align = name == "anbk" ? r.alignments[depth - 1] : r.lazyAlignment[name]!
            let testValue = r.testLoss?[name]
            lines.append(name.padding(toLength: 11, withPad: " ", startingAt: 0) + "  ~" + f(align).padding(toLength: 12, withPad: " ", startingAt: 0)
                         + "  ~" + f(r.trainLoss[name]!).padding(toLength: 12, withPad: " ", startingAt: 0) + (testValue.map { "  ~" + f($0) } ?? "  -"))
        }
        lines.append("")
        lines.append("check (matrix equations, G14): \(r.check.text)")
        if r.check.status == .unchecked, r.check.reason?.contains("time") == true {
            lines.append("  (the answer above stands; a longer --check-time S lets the check finish)")
        }
        if let timings {
            lines.append("")
            lines.append("timings (s): " + timings.map { "\($0.stage) \(String(format: "%.3f", $0.seconds))" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
