import Foundation
import Theory
import Numerics
import Studies

/// `adaptive-kernels kernels --exact`: the certified path for exact rational inputs
/// (notes/general-kernel-reduction.md, "Certified path for exact inputs", eqs. G16-G21); the
/// computation is `KernelsExactStudy`.
extension KernelsCommand {
    static func runExact(_ options: ParsedArguments, parameters: WhitenedProblem, format: OutputFormat, digits: Int) throws -> String {
        for unsupported in ["test", "test-labels", "out-dir", "check-time"] where options.value(unsupported) != nil {
            throw UsageError("--\(unsupported) is not available with --exact (the certified path reports roots, actions and overlaps)")
        }
        for unsupported in ["no-check", "all-layers", "timings", "no-relu-baselines"] where options.has(unsupported) {
            throw UsageError("--\(unsupported) is not available with --exact")
        }
        let depth = parameters.depth
        let problem: KernelsExactStudy.Problem
        let labelsFile = try DataFiles.loadExact(options.required("labels"), option: "labels")
        func labels(_ p: Int, against: String) throws -> [BigRational] {
            guard labelsFile.shape == [p] || labelsFile.shape == [p, 1] || labelsFile.shape == [1, p] else {
                throw UsageError("--labels: shape \(labelsFile.shape) does not match the \(p) points of \(against)")
            }
            return labelsFile.values
        }
        switch (options.value("train"), options.value("kernel")) {
        case (let x?, nil):
            let loaded = try DataFiles.loadExact(x, option: "train")
            guard loaded.shape.count <= 2, let rows = loaded.shape.first, rows > 0 else { throw UsageError("--train: expected a 2-D array (points x features), got shape \(loaded.shape)") }
            let d = loaded.shape.count == 2 ? loaded.shape[1] : 1
            guard rows <= ExactKernelProblem.maximumPoints else {
                throw UsageError("--exact takes at most \(ExactKernelProblem.maximumPoints) points, --train has \(rows); drop --exact for the working-precision path")
            }
            problem = try studyErrors {
                try KernelsExactStudy.Problem(features: loaded.values, rows: rows, columns: d, labels: try labels(rows, against: "--train"),
                                              gamma: parameters.gamma, beta: parameters.beta, depth: depth)
            }
        case (nil, let k?):
            let loaded = try DataFiles.loadExact(k, option: "kernel")
            guard loaded.shape.count == 2, loaded.shape[0] == loaded.shape[1], loaded.shape[0] > 0 else {
                throw UsageError("--kernel: expected a square P x P matrix, got shape \(loaded.shape)")
            }
            problem = KernelsExactStudy.Problem(kernel: loaded.values, labels: try labels(loaded.shape[0], against: "--kernel"),
                                                gamma: parameters.gamma, beta: parameters.beta, depth: depth)
        case (nil, nil): throw UsageError("--exact needs --train X or --kernel C")
        default: throw UsageError("give either --train or --kernel, not both")
        }
        let result = try studyErrors { try KernelsExactStudy.run(problem, digits: digits) }
        let dominant = result.roots[result.dominantIndex]

        switch format {
        case .json:
            func certified(_ key: String, _ x: KernelsExactStudy.CertifiedDecimal) -> [(String, JSONValue)] {
                [(key, .string(x.value)), (key + "_lower", .string(x.lower)), (key + "_upper", .string(x.upper))]
            }
            func certifiedArray(_ key: String, _ xs: [KernelsExactStudy.CertifiedDecimal]) -> [(String, JSONValue)] {
                [(key, .array(xs.map { .string($0.value) })), (key + "_lower", .array(xs.map { .string($0.lower) })),
                 (key + "_upper", .array(xs.map { .string($0.upper) }))]
            }
            let members: [(String, JSONValue)] = [
                ("gamma", OutputContract.exact(parameters.gamma)), ("beta", OutputContract.exact(parameters.beta)),
                ("depth", .integer(depth)), ("digits", .integer(digits)),
                ("certified", .bool(true)),
                ("precision", .string("certified: every number is the correctly rounded \(digits)-digit decimal of the exact solution for the exact rational inputs, with its enclosure")),
                ("train_points", .integer(result.points)),
                ("features", result.features.map { .integer($0) } ?? .null),
                ("input_kernel_rank", .integer(result.rank)),
                ("isolation", .string(result.isolation)),
                ("layers", .array(result.layers.map(JSONValue.integer))),
                ("roots", .array(result.roots.map { row in .object(
                    certified("u", row.u) + certified("chi", row.chi) + certified("spike_t", row.spikeT) + certified("action", row.action)
                    + [("stationarity", .string(row.stationarity)), ("dominant", .bool(row.dominant))]
                    + certifiedArray("overlaps", row.overlaps)) })),
                ("overlap", .object(certifiedArray("anbk", dominant.overlaps) + certified("input", result.inputOverlap)
                                    + [("input_exact", .string(OutputContract.exactText(try BigRational(parsing: result.inputOverlapExact))))])),
            ]
            return OutputContract.render(command: "kernels --exact", members)
        default:
            var lines: [String] = []
            lines.append("Deep linear aNBK, exact rational inputs, certified (notes/general-kernel-reduction.md, G16-G21)")
            lines.append("P = \(result.points)\(result.features.map { " train points, D = \($0) features (C = X X^T / D exactly)" } ?? " points, input kernel C given")   rank C = \(result.rank)   gamma = \(parameters.gamma)   beta = \(parameters.beta)   L = \(depth)")
            lines.append("certified: every number below is correctly rounded to \(digits) significant digits")
            lines.append("isolation: \(result.isolation)")
            for (index, row) in result.roots.enumerated() {
                lines.append("root \(index + 1) of \(result.roots.count)\(row.dominant ? " (dominant)" : ""): local \(row.stationarity) of S")
                lines.append("  u = s-1 = \(row.u.value)   chi = \(row.chi.value)")
                lines.append("  t = s^L = \(row.spikeT.value)   S = \(row.action.value)")
            }
            lines.append("")
            lines.append("layer  overlap y'Phi y/|y|^2 (dominant root)")
            lines.append("    0  " + result.inputOverlap.value)
            for (l, o) in zip(result.layers, dominant.overlaps) { lines.append(String(l).leftPadded(to: 5) + "  " + o.value) }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
