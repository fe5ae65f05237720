import Foundation
import Theory
import Numerics

/// `kernels --exact`: the certified path for exact rational inputs
/// (notes/general-kernel-reduction.md, "Certified path for exact inputs", eqs. G16-G21).
extension KernelsCommand {
    static func runExact(_ options: ParsedArguments, parameters: WhitenedProblem, format: OutputFormat, digits: Int) throws -> String {
        for unsupported in ["test", "test-labels", "out"] where options.value(unsupported) != nil {
            throw UsageError("--\(unsupported) is not available with --exact (the certified path reports roots, actions and overlaps)")
        }
        for unsupported in ["no-check", "all-layers", "timings"] where options.has(unsupported) {
            throw UsageError("--\(unsupported) is not available with --exact")
        }
        let depth = parameters.depth
        let c: [BigRational], p: Int, features: Int?
        switch (options.value("train"), options.value("kernel")) {
        case (let x?, nil):
            let loaded = try DataFiles.loadExact(x, option: "train")
            guard loaded.shape.count <= 2, let rows = loaded.shape.first, rows > 0 else { throw UsageError("--train: expected a 2-D array (points x features), got shape \(loaded.shape)") }
            let d = loaded.shape.count == 2 ? loaded.shape[1] : 1
            guard rows <= ExactKernelProblem.maximumPoints else {
                throw UsageError("--exact takes at most \(ExactKernelProblem.maximumPoints) points, --train has \(rows); drop --exact for the working-precision path")
            }
            c = ExactKernelProblem.gram(loaded.values, rows: rows, columns: d)
            (p, features) = (rows, d)
        case (nil, let k?):
            let loaded = try DataFiles.loadExact(k, option: "kernel")
            guard loaded.shape.count == 2, loaded.shape[0] == loaded.shape[1], loaded.shape[0] > 0 else {
                throw UsageError("--kernel: expected a square P x P matrix, got shape \(loaded.shape)")
            }
            c = loaded.values
            (p, features) = (loaded.shape[0], nil)
        case (nil, nil): throw UsageError("--exact needs --train X or --kernel C")
        default: throw UsageError("give either --train or --kernel, not both")
        }
        let labelsFile = try DataFiles.loadExact(options.required("labels"), option: "labels")
        guard labelsFile.shape == [p] || labelsFile.shape == [p, 1] || labelsFile.shape == [1, p] else {
            throw UsageError("--labels: shape \(labelsFile.shape) does not match the \(p) points of \(features == nil ? "--kernel" : "--train")")
        }
        let problem: ExactKernelProblem
        do {
            problem = try ExactKernelProblem(inputKernel: c, labels: labelsFile.values, gamma: parameters.gamma, beta: parameters.beta, depth: depth)
        } catch let error as GeneralKernelInputError { throw UsageError(error.description) }
        let solution: CertifiedGeneralKernelSolution
        do { solution = try CertifiedGeneralKernelSolver().solve(problem, digits: digits) } catch let error as GeneralKernelInputError {
            throw UsageError(error.description)
        }
        guard let dominant = solution.dominant else {
            throw SolverError.degenerate("the action enclosures of two minima overlap after refinement; dominance undecided")
        }
        func text(_ x: Interval) throws -> String {
            guard let decimal = x.certifiedDecimal(significantDigits: digits) else {
                throw SolverError.notConverged("an enclosure is too wide for \(digits) certified digits")
            }
            return decimal.text
        }
        let inputOverlap = try text(Interval(solution.inputOverlap, precision: Int(Double(digits) * 3.33) + 64))
        struct Row { let u, chi, t, action: String; let overlaps: [String]; let root: CertifiedGeneralKernelSaddle }
        let rows = try solution.roots.map { root in
            Row(u: try text(root.u), chi: try text(root.chi), t: try text(root.spike), action: try text(root.action),
                overlaps: try root.layerOverlaps.map(text), root: root)
        }
        let dominantRow = rows.first { $0.root.isDominant }!
        _ = dominant

        switch format {
        case .json:
            let object: JSONValue = .object([
                ("certified", .bool(true)),
                ("precision", .string("certified: every number is the correctly rounded \(digits)-digit decimal of the exact solution for the exact rational inputs")),
                ("digits", .integer(digits)),
                ("gamma", .string(parameters.gamma.description)), ("beta", .string(parameters.beta.description)),
                ("depth", .integer(depth)), ("train_points", .integer(p)),
                ("features", features.map { .integer($0) } ?? .null),
                ("input_kernel_rank", .integer(problem.rank)),
                ("isolation", .string(solution.isolation)),
                ("roots", .array(rows.map { row in .object([
                    ("u", .string(row.u)), ("chi", .string(row.chi)), ("spike_t", .string(row.t)), ("action", .string(row.action)),
                    ("stationarity", .string(row.root.stationarity.rawValue)), ("dominant", .bool(row.root.isDominant)),
                    ("overlaps", .array(row.overlaps.map(JSONValue.string))),
                ]) })),
                ("overlap", .object([("anbk", .array(dominantRow.overlaps.map(JSONValue.string))), ("input", .string(inputOverlap))])),
            ] + (solution.listedLayers.count == depth ? [] : [("layers", .array(solution.listedLayers.map { JSONValue.integer($0) }))]))
            return object.serialized() + "\n"
        default:
            var lines: [String] = []
            lines.append("Deep linear aNBK, exact rational inputs, certified (notes/general-kernel-reduction.md, G16-G21)")
            lines.append("P = \(p)\(features.map { " train points, D = \($0) features (C = X X^T / D exactly)" } ?? " points, input kernel C given")   rank C = \(problem.rank)   gamma = \(parameters.gamma)   beta = \(parameters.beta)   L = \(depth)")
            lines.append("certified: every number below is correctly rounded to \(digits) significant digits")
            lines.append("isolation: \(solution.isolation)")
            for (index, row) in rows.enumerated() {
                lines.append("root \(index + 1) of \(rows.count)\(row.root.isDominant ? " (dominant)" : ""): local \(row.root.stationarity.rawValue) of S")
                lines.append("  u = s-1 = \(row.u)   chi = \(row.chi)")
                lines.append("  t = s^L = \(row.t)   S = \(row.action)")
            }
            lines.append("")
            lines.append("layer  overlap y'Phi y/|y|^2 (dominant root)")
            lines.append("    0  " + inputOverlap)
            for (l, o) in zip(solution.listedLayers, dominantRow.overlaps) { lines.append(String(l).leftPadded(to: 5) + "  " + o) }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
