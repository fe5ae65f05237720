import Theory
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
    try makeProblem(gamma: parseGamma(gammaText), beta: parseBeta(betaText), depth: parseDepth(depthText))
}

func parseGamma(_ text: String) throws -> BigRational {
    do { return try BigRational(parsing: text) } catch let error as RationalParseError {
        throw UsageError("--gamma: \(error)")
    }
}

func parseBeta(_ text: String) throws -> InverseTemperature {
    do { return try InverseTemperature(parsing: text) } catch let error as RationalParseError {
        throw UsageError("--beta: \(error) (or 'inf')")
    }
}

func parseDepth(_ text: String) throws -> Int {
    guard let depth = Int(ParameterList.trimmingWhitespace(Substring(text))) else {
        throw UsageError("--depth must be a positive integer (got '\(text)')")
    }
    return depth
}

/// The whitened problem, with the theory's range checks reported as usage errors.
func makeProblem(gamma: BigRational, beta: InverseTemperature, depth: Int) throws -> WhitenedProblem {
    do {
        return try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
    } catch let error as TheoryInputError {
        throw UsageError(error.description)
    }
}

/// `adaptive-kernels overlaps --gamma G --beta B --depth L [--digits D] [--format table|csv|json]`
enum OverlapsCommand {
    static let subcommand = Subcommand(name: "overlaps", summary: "every positive root of the whitened overlap equation, certified",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels overlaps --gamma G --beta B --depth L [--digits D] [--layers all|LIST] [--format table|csv|json]
      Every positive root c of c (b+c)^(2L) = ((b+c)^2 + gamma^2 c)^L, b = 1/beta (notes/whitened-overlaps.md (W1)),
      with certified enclosures, chi, per-layer overlaps c_l and the action S.
      G, B: exact numbers (12, 0.1, 2.5e-3, 3/2); B may be inf. D: significant digits (default 30).
      --layers all|LIST: which c_l to list (default: all up to L = 100000, beyond that 1, 2, 4, ... and L);
      LIST as for sweep: 1,8...9,16 or 1...16:5.
    """

    /// `all`, a LIST of layers (values and ranges, as for sweep), or nil for the automatic choice.
    static func layerSelection(_ text: String?, depth: Int) throws -> LayerSelection {
        guard let text else { return .automatic(depth: depth) }
        if text.lowercased() == "all" { return .all }
        let values = try ParameterList.rationals(text, option: "layers").map { item -> Int in
            guard let layer = Int(item), layer >= 1, layer <= depth else {
                throw UsageError("--layers: '\(item)' is not a layer in 1...\(depth)")
            }
            return layer
        }
        return .layers(values)
    }

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["gamma", "beta", "depth", "digits", "format", "layers"], switches: [])
        let problem = try parseProblem(gamma: options.required("gamma"), beta: options.required("beta"),
                                       depth: options.required("depth"))
        let digits = try options.integer("digits", default: WhitenedOverlapSolver.defaultDigits,
                                         in: 1...WhitenedOverlapSolver.maximumDigits)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let layers = try layerSelection(options.value("layers"), depth: problem.depth)
        let solution = try WhitenedOverlapSolver().solve(problem, digits: digits, layers: layers)
        switch format {
        case .json: return OverlapReport.json(solution).serialized() + "\n"
        case .csv: return OverlapReport.csv(solution)
        case .table: return OverlapReport.table(solution)
        }
    }
}

/// Renderings of a `WhitenedSolution`; every printed digit is certified by an enclosure.
enum OverlapReport {
    static func layerTexts(_ root: WhitenedSaddle) -> [String] {
        root.layerOverlapDecimals.map(\.text)
    }

    /// Enclosures of the listed layers' overlaps (in the order of `listedLayers`).
    static func layerEnclosures(_ root: WhitenedSaddle, layers: [Int]) -> [Interval] {
        // Every layer listed (layers are distinct and ascending): one pass of repeated products.
        if layers.count == root.problem.depth && layers.first == 1 && layers.last == root.problem.depth { return Array(root.layerOverlaps()) }
        return layers.map { root.layerOverlap($0) }
    }

    static func rootJSON(_ root: WhitenedSaddle, layers: [Int], digits: Int) -> JSONValue {
        func certified(_ key: String, _ x: Interval, _ text: String) -> [(String, JSONValue)] {
            let bounds = x.decimalBounds(significantDigits: digits + 3)
            return [(key, .string(text)), (key + "_lower", .string(bounds.lower)), (key + "_upper", .string(bounds.upper))]
        }
        let enclosures = layerEnclosures(root, layers: layers).map { $0.decimalBounds(significantDigits: digits + 3) }
        var members: [(String, JSONValue)] = certified("c", root.overlap, root.overlapDecimal!.text)
        members += certified("chi", root.chi, root.chiDecimal!.text)
        members += certified("action", root.action, root.actionDecimal!.text)
        members += [
            ("dominant", .bool(root.isDominant)),
            ("stationarity", .string(root.stationarity.rawValue)),
            ("overlaps", .array(layerTexts(root).map(JSONValue.string))),
            ("overlaps_lower", .array(enclosures.map { .string($0.lower) })),
            ("overlaps_upper", .array(enclosures.map { .string($0.upper) })),
        ]
        return .object(members)
    }

    /// The members of one solution (parameters, isolation, layers, roots) without the envelope.
    /// `layers` lists the layer index of each entry of every root's `overlaps`.
    static func members(_ solution: WhitenedSolution) -> [(String, JSONValue)] {
        [
            ("gamma", OutputContract.exact(solution.problem.gamma)),
            ("beta", OutputContract.exact(solution.problem.beta)),
            ("depth", .integer(solution.problem.depth)),
            ("digits", .integer(solution.digits)),
            ("isolation", .string(solution.isolation)),
            ("layers", .array(solution.listedLayers.map(JSONValue.integer))),
            ("roots", .array(solution.roots.map { rootJSON($0, layers: solution.listedLayers, digits: solution.digits) })),
        ]
    }

    static func json(_ solution: WhitenedSolution) -> JSONValue {
        OutputContract.document(command: "overlaps", members(solution))
    }

    static let csvHeader = "gamma,beta,depth,root,roots,dominant,local_minimum,chi,chi_lower,chi_upper,action,action_lower,action_upper,layer,overlap,overlap_lower,overlap_upper"

    /// One row per root and listed layer; one row per root (layer = L) when no layer is listed.
    /// Numeric cells only: dominant and local_minimum are 1/0; parameters are exact (decimal, or p/q).
    static func csvRows(_ solution: WhitenedSolution) -> [String] {
        var bytes: [UInt8] = []
        appendCSVRows(solution, printer: DecimalPrinter(significantDigits: solution.digits + 3), to: &bytes)
        return bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The cells "gamma,beta," of a point as csv bytes, kept while consecutive rows (a sweep's
    /// worker going through depths) have the same gamma and beta: their exact text is written once.
    struct ParameterCells {
        private var gamma: BigRational? = nil
        private var beta: InverseTemperature? = nil
        private var text: [UInt8] = []

        mutating func cells(of problem: WhitenedProblem) -> [UInt8] {
            if gamma != problem.gamma || beta != problem.beta {
                gamma = problem.gamma
                beta = problem.beta
                text = Array((OutputContract.exactText(problem.gamma) + "," + OutputContract.exactText(problem.beta) + ",").utf8)
            }
            return text
        }
    }

    /// The rows of `csvRows`, each ended by a newline, appended as UTF-8 bytes; `printer` prints at
    /// solution.digits + 3 significant digits (one printer serves every solution of a sweep).
    static func appendCSVRows(_ solution: WhitenedSolution, printer: DecimalPrinter, to bytes: inout [UInt8]) {
        var parameters = ParameterCells()
        appendCSVRows(solution, printer: printer, parameters: &parameters, to: &bytes)
    }

    /// `appendCSVRows` with the gamma and beta cells from `parameters` (kept between solutions).
    static func appendCSVRows(_ solution: WhitenedSolution, printer: DecimalPrinter, parameters: inout ParameterCells,
                              to bytes: inout [UInt8]) {
        precondition(printer.significantDigits == solution.digits + 3)
        let p = solution.problem
        let parameterCells = parameters.cells(of: p)
        let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        // Every cell up to the layer column, then the layer cells: written straight into `bytes`
        // when each root has one row (no listed layers), else kept and repeated per layer.
        func appendRoot(_ index: Int, _ root: WhitenedSaddle, to out: inout [UInt8]) {
            out += parameterCells
            appendInteger(p.depth, to: &out)
            out.append(comma)
            appendInteger(index + 1, to: &out)
            out.append(comma)
            appendInteger(solution.roots.count, to: &out)
            out.append(comma)
            out.append(root.isDominant ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            out.append(comma)
            out.append(root.stationarity == .minimum ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            out.append(comma)
            root.chiDecimal!.append(to: &out)
            out.append(comma)
            printer.appendBounds(root.chi, to: &out)
            out.append(comma)
            root.actionDecimal!.append(to: &out)
            out.append(comma)
            printer.appendBounds(root.action, to: &out)
            out.append(comma)
        }
        var prefix: [UInt8] = []
        for index in solution.roots.indices {
            let root = solution.roots[index]
            if !solution.listedLayers.isEmpty {
                prefix.removeAll(keepingCapacity: true)
                appendRoot(index, root, to: &prefix)
                let enclosures = layerEnclosures(root, layers: solution.listedLayers)
                for ((layer, text), enclosure) in zip(zip(solution.listedLayers, root.layerOverlapDecimals), enclosures) {
                    bytes += prefix
                    appendInteger(layer, to: &bytes)
                    bytes.append(comma)
                    text.append(to: &bytes)
                    bytes.append(comma)
                    printer.appendBounds(enclosure, to: &bytes)
                    bytes.append(newline)
                }
            } else {
                appendRoot(index, root, to: &bytes)
                appendInteger(p.depth, to: &bytes)
                bytes.append(comma)
                root.overlapDecimal!.append(to: &bytes)
                bytes.append(comma)
                printer.appendBounds(root.overlap, to: &bytes)
                bytes.append(newline)
            }
        }
    }

    /// Appends the decimal digits of `value` (with '-' when negative), as `String(value)` writes them.
    static func appendInteger(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude, power: UInt = 1
        while magnitude / power >= 10 { power *= 10 }
        while power > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / power))
            magnitude %= power
            power /= 10
        }
    }

    static func csv(_ solution: WhitenedSolution) -> String {
        ([csvHeader] + csvRows(solution)).joined(separator: "\n") + "\n"
    }

    /// Layers shown in full up to this depth; beyond it the table shows both ends.
    static let tableLayerLimit = 64

    static func table(_ solution: WhitenedSolution) -> String {
        let p = solution.problem
        let digits = solution.digits
        var lines: [String] = []
        lines.append("Whitened deep linear aNBK overlaps: c (b+c)^(2L) = ((b+c)^2 + gamma^2 c)^L")
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
            lines.append("  c_L      = \(root.overlapDecimal!.text)")
            lines.append("  enclosure  [\(bounds.lower), \(bounds.upper)]")
            lines.append("  chi      = \(root.chiDecimal!.text)")
            lines.append("  action S = \(root.actionDecimal!.text)")
            let texts = layerTexts(root)
            let layers = solution.listedLayers
            let width = String(p.depth).count
            if layers.count < p.depth { lines.append("  (\(layers.count) of \(p.depth) layers listed; choose them with --layers)") }
            lines.append("  " + "l".leftPadded(to: width) + "  c_l")
            for (index, (layer, text)) in zip(layers, texts).enumerated() {
                if texts.count > tableLayerLimit && index >= 16 && index < texts.count - 16 {
                    if index == 16 { lines.append("  " + "…".leftPadded(to: width) + "  (\(texts.count - 32) rows omitted here; --format csv or json lists them)") }
                    continue
                }
                lines.append("  " + String(layer).leftPadded(to: width) + "  \(text)")
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
