import Dispatch
import Foundation
import Theory
import Numerics

/// Parameter lists: comma-separated items, each a value or an inclusive range `a...b`
/// (step 1) or `a...b:step`, all read exactly.
enum ParameterList {
    /// Most values one list may expand to, so a typo cannot ask for a billion solves.
    static let maximumCount = 100_000

    static func rationals(_ text: String, option: String) throws -> [String] {
        var values: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard !item.isEmpty else { throw UsageError("--\(option): empty item in list '\(text)'") }
            guard let rangeMarker = item.range(of: "...") else { values.append(item); continue }
            let start = String(item[..<rangeMarker.lowerBound])
            var rest = String(item[rangeMarker.upperBound...])
            var stepText = "1"
            if let colon = rest.firstIndex(of: ":") {
                stepText = String(rest[rest.index(after: colon)...])
                rest = String(rest[..<colon])
            }
            let low = try number(start, option: option), high = try number(rest, option: option)
            let step = try number(stepText, option: option)
            guard step.signum > 0 else { throw UsageError("--\(option): range step must be > 0 in '\(item)'") }
            guard low <= high else { throw UsageError("--\(option): empty range '\(item)'") }
            var value = low
            while value <= high {
                values.append(value.description)
                value = value + step
                guard values.count <= maximumCount else { throw UsageError("--\(option): more than \(maximumCount) values") }
            }
        }
        guard values.count <= maximumCount else { throw UsageError("--\(option): more than \(maximumCount) values") }
        return values
    }

    private static func number(_ text: String, option: String) throws -> BigRational {
        do { return try BigRational(parsing: text) } catch let error as RationalParseError {
            throw UsageError("--\(option): \(error)")
        }
    }
}

/// `adaptive-kernels sweep --gamma LIST --beta LIST --depth LIST [--digits D] [--layers] [--format csv|json]`
enum SweepCommand {
    static let subcommand = Subcommand(name: "sweep", summary: "the overlap table across gamma, beta and depth, in parallel",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels sweep --gamma LIST --beta LIST --depth LIST [--digits D] [--layers] [--format csv|json] [--timings]
      The overlap table across parameters, solved in parallel on all cores. LIST: comma values and
      inclusive ranges, e.g. --depth 1...64 or 1...64:4, --gamma 0.5,1,2. One row per root (c_L),
      or per root and layer with --layers. Columns: \(OverlapReport.csvHeader).
      --timings prints the wall time of reading the lists, solving and formatting on stderr.
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["gamma", "beta", "depth", "digits", "format"], switches: ["layers", "timings"])
        let started = DispatchTime.now()
        let gammas = try ParameterList.rationals(options.required("gamma"), option: "gamma")
        let betas = try options.required("beta").split(separator: ",").flatMap { item -> [String] in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            return trimmed.lowercased() == "inf" ? ["inf"] : try ParameterList.rationals(trimmed, option: "beta")
        }
        let depths = try ParameterList.rationals(options.required("depth"), option: "depth")
        let digits = try options.integer("digits", default: WhitenedOverlapSolver.defaultDigits, in: 1...WhitenedOverlapSolver.maximumDigits)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.csv, .json], default: .csv)
        let layers = options.has("layers")
        if layers, let deepest = depths.compactMap({ Int($0) }).max(), deepest > LayerSelection.maximumListedLayers {
            throw UsageError("--layers lists every layer, at most \(LayerSelection.maximumListedLayers) (depth \(deepest) asked); use overlaps --layers LIST")
        }
        // Each list item is read once; the problems are their product.
        let gammaValues = try gammas.map(parseGamma), betaValues = try betas.map(parseBeta)
        let depthValues = try depths.map(parseDepth)
        var problems: [WhitenedProblem] = []
        for gamma in gammaValues { for beta in betaValues { for depth in depthValues {
            problems.append(try makeProblem(gamma: gamma, beta: beta, depth: depth))
        } } }
        guard problems.count <= ParameterList.maximumCount else {
            throw UsageError("the sweep has \(problems.count) parameter points (at most \(ParameterList.maximumCount))")
        }
        let parsed = DispatchTime.now()
        let solutions = try solveAll(problems, digits: digits, layers: layers)
        let solved = DispatchTime.now()
        defer {
            if options.has("timings") {
                func seconds(_ a: DispatchTime, _ b: DispatchTime) -> String {
                    String(format: "%.6f", Double(b.uptimeNanoseconds - a.uptimeNanoseconds) * 1e-9)
                }
                let line = "sweep timings (s): parse \(seconds(started, parsed)), solve \(seconds(parsed, solved)), format \(seconds(solved, DispatchTime.now())) (\(problems.count) problems)\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        switch format {
        case .json:
            return JSONValue.object([
                ("digits", .integer(digits)),
                ("results", .array(solutions.map { OverlapReport.json($0) })),
            ]).serialized() + "\n"
        default:
            var lines = [OverlapReport.csvHeader]
            for solution in solutions { lines += OverlapReport.csvRows(solution) }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// Solves every problem on all cores, one worker per core taking every k-th problem with its
    /// own `WhitenedSolveCache` (state shared by consecutive solves with the same gamma and beta);
    /// the first failure (in input order) is rethrown.
    static func solveAll(_ problems: [WhitenedProblem], digits: Int, layers: Bool) throws -> [WhitenedSolution] {
        let results = ResultSlots<Result<WhitenedSolution, Error>>(count: problems.count)
        let solver = WhitenedOverlapSolver()
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, problems.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let cache = WhitenedSolveCache()
            for index in stride(from: worker, to: problems.count, by: workers) {
                results[index] = Result { try solver.solve(problems[index], digits: digits, layers: layers ? .all : .none, cache: cache) }
            }
        }
        return try results.values.map { try $0!.get() }
    }
}

/// Fixed slots written concurrently at distinct indices, read after the writers are done.
final class ResultSlots<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Value? {
        get { lock.lock(); defer { lock.unlock() }; return storage[index] }
        set { lock.lock(); storage[index] = newValue; lock.unlock() }
    }

    var values: [Value?] { lock.lock(); defer { lock.unlock() }; return storage }
}
