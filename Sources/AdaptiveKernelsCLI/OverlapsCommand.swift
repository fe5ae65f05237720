import LinearTheory
import Numerics

/// Output formats a command may offer.
enum OutputFormat: String, CaseIterable {
    case table, csv, json

    static func parse(_ text: String?, allowed: [OutputFormat], default fallback: OutputFormat) throws -> OutputFormat {
        guard let text else { return fallback }
        guard let format = OutputFormat(rawValue: text.lowercased()), allowed.contains(format) else {
            throw UsageError("--format must be one of \(allowed.map(\.rawValue).joined(separator: "|")) (got '\(text)')")
        }
        return format
    }
}

/// Reads gamma, beta and depth into a validated problem; every failure is one sentence.
func parseProblem(gamma gammaText: String, beta betaText: String, depth depthText: String) throws -> WhitenedProblem {
    let gamma: BigRational
    do { gamma = try BigRational(parsing: gammaText) } catch let error as RationalParseError {
        throw UsageError("--gamma: \(error)")
    }
    let beta: InverseTemperature
    do { beta = try InverseTemperature(parsing: betaText) } catch let error as RationalParseError {
        throw UsageError("--beta: \(error) (or 'inf')")
    }
    guard let depth = Int(depthText.trimmingCharacters(in: .whitespaces)) else {
        throw UsageError("--depth must be a positive integer (got '\(depthText)')")
    }
    do {
        return try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
    } catch let error as TheoryInputError {
        throw UsageError(error.description)
    }
}

/// `adaptive-kernels overlaps --gamma G --beta B --depth L [--digits D] [--format table|csv|json]`
enum OverlapsCommand {
    static let subcommand = Subcommand(name: "overlaps", summary: "every positive root of the whitened overlap equation, certified (THEORY 1b)",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels overlaps --gamma G --beta B --depth L [--digits D] [--format table|csv|json]
      Every positive root c of c (b+c)^(2L) = ((b+c)^2 + gamma^2 c)^L, b = 1/beta (THEORY 1b),
      with certified enclosures, chi, per-layer overlaps c_1..c_L and the action S.
      G, B: exact numbers (12, 0.1, 2.5e-3, 3/2); B may be inf. D: significant digits (default 30).
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["gamma", "beta", "depth", "digits", "format"], switches: [])
        let problem = try parseProblem(gamma: options.required("gamma"), beta: options.required("beta"),
                                       depth: options.required("depth"))
        let digits = try options.integer("digits", default: WhitenedOverlapSolver.defaultDigits,
                                         in: 1...WhitenedOverlapSolver.maximumDigits)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let solution = try WhitenedOverlapSolver().solve(problem, digits: digits, layerDecimals: true)
        switch format {
        case .json: return OverlapReport.json(solution).serialized() + "\n"
        case .csv: return OverlapReport.csv(solution)
        case .table: return OverlapReport.table(solution)
        }
    }
}

/// Renderings of a `WhitenedSolution`; every printed digit is certified by an enclosure.
enum OverlapReport {
    static func certified(_ interval: Interval, _ digits: Int) -> String {
        // The solver refined every reported enclosure until it decides `digits` digits.
        interval.certifiedDecimal(significantDigits: digits)!.text
    }

    static func layerTexts(_ root: WhitenedSaddle, _ digits: Int) -> [String] {
        root.layerOverlapDecimals.map { $0.map(\.text) } ?? []
    }

    static func rootJSON(_ root: WhitenedSaddle, digits: Int, includeLayers: Bool) -> JSONValue {
        let bounds = root.overlap.decimalBounds(significantDigits: digits + 3)
        var members: [(String, JSONValue)] = [
            ("c", .string(certified(root.overlap, digits))),
            ("lower", .string(bounds.lower)),
            ("upper", .string(bounds.upper)),
            ("chi", .string(certified(root.chi, digits))),
            ("action", .string(certified(root.action, digits))),
            ("dominant", .bool(root.isDominant)),
            ("stationarity", .string(root.stationarity.rawValue)),
        ]
        if includeLayers { members.append(("overlaps", .array(layerTexts(root, digits).map(JSONValue.string)))) }
        return .object(members)
    }

    static func json(_ solution: WhitenedSolution, includeLayers: Bool = true) -> JSONValue {
        .object([
            ("gamma", .string(solution.problem.gamma.description)),
            ("beta", .string(solution.problem.beta.description)),
            ("depth", .integer(solution.problem.depth)),
            ("digits", .integer(solution.digits)),
            ("isolation", .string(solution.isolation)),
            ("roots", .array(solution.roots.map { rootJSON($0, digits: solution.digits, includeLayers: includeLayers) })),
        ])
    }

    static let csvHeader = "gamma,beta,depth,root,roots,dominant,stationarity,chi,action,layer,overlap"

    /// One row per (root, layer).
    static func csvRows(_ solution: WhitenedSolution, layers: Bool) -> [String] {
        var rows: [String] = []
        let p = solution.problem
        for (index, root) in solution.roots.enumerated() {
            let prefix = "\(p.gamma),\(p.beta),\(p.depth),\(index + 1),\(solution.roots.count),\(root.isDominant),\(root.stationarity.rawValue),\(certified(root.chi, solution.digits)),\(certified(root.action, solution.digits))"
            if layers {
                for (layer, text) in layerTexts(root, solution.digits).enumerated() { rows.append("\(prefix),\(layer + 1),\(text)") }
            } else {
                rows.append("\(prefix),\(p.depth),\(certified(root.overlap, solution.digits))")
            }
        }
        return rows
    }

    static func csv(_ solution: WhitenedSolution) -> String {
        ([csvHeader] + csvRows(solution, layers: true)).joined(separator: "\n") + "\n"
    }

    /// Layers shown in full up to this depth; beyond it the table shows both ends.
    static let tableLayerLimit = 64

    static func table(_ solution: WhitenedSolution) -> String {
        let p = solution.problem
        let digits = solution.digits
        var lines: [String] = []
        lines.append("Whitened deep linear aNBK overlaps (THEORY 1b): c (b+c)^(2L) = ((b+c)^2 + gamma^2 c)^L")
        lines.append("gamma = \(p.gamma)   beta = \(p.beta)   b = 1/beta = \(p.ridge)   depth L = \(p.depth)   digits = \(digits) (all certified)")
        lines.append("isolation: \(solution.isolation)")
        if solution.roots.count > 1 && solution.dominant == nil {
            lines.append("warning: the two minima have equal action to working precision; dominance undecided")
        }
        for (index, root) in solution.roots.enumerated() {
            let role = root.isDominant ? "dominant, " : ""
            lines.append("")
            lines.append("root \(index + 1) of \(solution.roots.count) (\(role)local \(root.stationarity.rawValue) of the action S)")
            let bounds = root.overlap.decimalBounds(significantDigits: digits + 3)
            lines.append("  c_L      = \(certified(root.overlap, digits))")
            lines.append("  enclosure  [\(bounds.lower), \(bounds.upper)]")
            lines.append("  chi      = \(certified(root.chi, digits))")
            lines.append("  action S = \(certified(root.action, digits))")
            let texts = layerTexts(root, digits)
            let width = String(p.depth).count
            lines.append("  " + "l".leftPadded(to: width) + "  c_l")
            for (layer, text) in texts.enumerated() {
                let l = layer + 1
                if texts.count > tableLayerLimit && l > 16 && l <= texts.count - 16 {
                    if l == 17 { lines.append("  " + "…".leftPadded(to: width) + "  (\(texts.count - 32) layers omitted here; --format csv or json lists all)") }
                    continue
                }
                lines.append("  " + String(l).leftPadded(to: width) + "  \(text)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

import Foundation
