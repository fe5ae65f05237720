import Dispatch
import Foundation
import Theory
import Numerics

/// `adaptive-kernels sweep --gamma LIST --beta LIST --depth LIST [--digits D] [--layers all|LIST] [--format table|csv|json]`
enum SweepCommand {
    static let subcommand = Subcommand(name: "sweep", summary: "the overlap table across gamma, beta and depth, in parallel",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels sweep --gamma LIST --beta LIST --depth LIST [--digits D] [--layers all|LIST] [--format table|csv|json] [--timings]
                                  [--shard I/N]
      The overlap table across parameters, solved in parallel on all cores. LIST: comma values and
      inclusive ranges, e.g. --depth 1...64 or 1...64:4 (1..64 is the same range), --gamma 0.5,1,2,
      --beta inf,10. One row per root (c_L), or per root and listed layer with --layers all|LIST
      (listed layers beyond a point's depth are left out for that point). Columns (csv, default): \(OverlapReport.csvHeader).
      --timings prints the wall time of reading the lists, solving and formatting on stderr (csv with
        more than one point: solving includes rendering the rows, which each worker does as it goes).
      --shard I/N: solve only block I of N of the parameter points (gamma outermost, then beta, then
        depth; contiguous blocks of equal size to within one), csv or json; 'adaptive-kernels merge'
        joins the N shard files into exactly the unsharded output. One run takes at most
        \(ParameterList.maximumCount) points; a larger sweep needs --shard.
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["gamma", "beta", "depth", "digits", "format", "layers", "shard"], switches: ["timings"])
        let started = DispatchTime.now()
        let gammas = try ParameterList.rationals(options.required("gamma"), option: "gamma")
        let betas = try ParameterList.betas(options.required("beta"))
        let depths = try ParameterList.rationals(options.required("depth"), option: "depth")
        let digits = try options.integer("digits", default: WhitenedOverlapSolver.defaultDigits, in: 1...WhitenedOverlapSolver.maximumDigits)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .csv)
        let shard = try ShardedOutput.parse(options)
        if shard != nil && format == .table { throw UsageError("--shard writes csv or json (for 'adaptive-kernels merge'), not a table") }
        // Each list item is read once; the problems are their product.
        let gammaValues = try gammas.map(parseGamma), betaValues = try betas.map(parseBeta)
        let depthValues = try depths.map(parseDepth)
        var layers: LayerSelection = .none
        if let text = options.value("layers") {
            if text.lowercased() == "all" {
                if let deepest = depthValues.max(), deepest > LayerSelection.maximumListedLayers {
                    throw UsageError("--layers all lists every layer, at most \(LayerSelection.maximumListedLayers) (depth \(deepest) asked); use a LIST")
                }
                layers = .all
            } else {
                layers = .layers(try ParameterList.integers(text, option: "layers", in: 1...max(1, depthValues.max() ?? 1), what: "a layer"))
            }
        }
        // Point i of the product, gamma outermost: (i / (nb nd), (i / nd) mod nb, i mod nd).
        let nb = betaValues.count, nd = depthValues.count
        let (total, overflow) = gammaValues.count.multipliedReportingOverflow(by: nb * nd)
        let block = overflow ? 0..<0 : (shard?.range(of: total) ?? 0..<total)
        guard !overflow, block.count <= ParameterList.maximumCount else {
            throw UsageError("the sweep has \(overflow ? "too many" : String(total)) parameter points\(shard == nil ? "" : " (\(block.count) in this shard)"); one run takes at most \(ParameterList.maximumCount): split it with --shard I/N")
        }
        let problems = try block.map { i in
            try makeProblem(gamma: gammaValues[i / (nb * nd)], beta: betaValues[(i / nd) % nb], depth: depthValues[i % nd])
        }
        let parsed = DispatchTime.now()
        func csvHead() -> String {
            var head = shard.map { shard in
                [ShardedOutput.csvMarker(command: "sweep", shard: shard, total: total,
                                         arguments: ShardedOutput.canonicalArguments(options, excluding: ["shard", "timings"]))]
            } ?? []
            head.append(OverlapReport.csvHeader)
            return head.joined(separator: "\n") + "\n"
        }
        // csv with several points: each solution is rendered by the worker that solved it, right
        // away (`solvedCSV`); one point is solved, then rendered (nothing to run beside it).
        let fused = format == .csv && problems.count > 1
        var text = "", solutions: [WhitenedSolution] = []
        if fused {
            text = try solvedCSV(problems, digits: digits, layers: layers, header: csvHead())
        } else {
            solutions = try solveAll(problems, digits: digits, layers: layers)
        }
        let solved = DispatchTime.now()
        defer {
            if options.has("timings") {
                func seconds(_ a: DispatchTime, _ b: DispatchTime) -> String {
                    String(format: "%.6f", Double(b.uptimeNanoseconds - a.uptimeNanoseconds) * 1e-9)
                }
                // csv with several points: "solve" includes rendering the rows (done by the workers as they go).
                let line = "sweep timings (s): parse \(seconds(started, parsed)), solve \(seconds(parsed, solved)), format \(seconds(solved, DispatchTime.now())) (\(problems.count) problems)\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        switch format {
        case .json:
            let arguments = ShardedOutput.canonicalArguments(options, excluding: ["shard", "timings"])
            return OutputContract.render(command: "sweep", (shard.map { [ShardedOutput.member($0, of: total, unit: "points", arguments: arguments)] } ?? []) + [
                ("digits", .integer(digits)),
                ("results", .array(solutions.map { .object(OverlapReport.members($0)) })),
            ])
        case .csv:
            if fused { return text }
            var bytes = Array(csvHead().utf8)
            let printer = DecimalPrinter(significantDigits: digits + 3)
            var parameters = OverlapReport.ParameterCells()
            for solution in solutions { OverlapReport.appendCSVRows(solution, printer: printer, parameters: &parameters, to: &bytes) }
            return String(decoding: bytes, as: UTF8.self)
        case .table:
            var rows = [OverlapReport.csvHeader.split(separator: ",").map(String.init)]
            for solution in solutions { rows += OverlapReport.csvRows(solution).map { $0.split(separator: ",").map(String.init) } }
            return alignedTable(rows)
        }
    }

    /// `header` followed by the csv rows of every problem's solution, in order, solved and rendered
    /// on all cores (`solveEach`): each worker renders a solution with its own printer right after
    /// solving it, so that rendering and freeing the solutions run in parallel with the other
    /// workers' solves; the rows are then copied in input order into the text: the same bytes as
    /// rendering `solveAll`'s solutions one after the other. The first failure (in input order) is
    /// rethrown. `cores` (tests): the cores to use instead of this process's.
    static func solvedCSV(_ problems: [WhitenedProblem], digits: Int, layers: LayerSelection, header: String,
                          cores: Int? = nil) throws -> String {
        let workers = problems.count <= 1 ? 1 : max(1, min(cores ?? availableCores(), problems.count))
        // One worker's rows; where each problem's rows lie (its worker, their start and end there).
        struct Block {
            let worker: Int
            let printer: DecimalPrinter
            var parameters = OverlapReport.ParameterCells()
            var bytes: [UInt8] = []
        }
        struct Place { let worker: Int, start: Int, end: Int }
        let places = UnsafeMutableBufferPointer<Place>.allocate(capacity: problems.count)
        defer { places.deallocate() }
        // A row holds 9 decimals of at most D + 3 digits and about 40 other bytes: room for twice a
        // worker's share of rows (pages reserved but not written cost nothing), so the buffer is
        // rarely copied as it grows.
        let share = min(problems.count, 2 * ((problems.count + workers - 1) / workers))
        let blocks = try solveEach(problems, digits: digits, layers: layers, workers: workers, makeContext: { worker in
            var block = Block(worker: worker, printer: DecimalPrinter(significantDigits: digits + 3))
            block.bytes.reserveCapacity(share * (10 * digits + 128))
            return block
        }, handle: { block, index, solution in
            let start = block.bytes.count
            OverlapReport.appendCSVRows(solution, printer: block.printer, parameters: &block.parameters, to: &block.bytes)
            places[index] = Place(worker: block.worker, start: start, end: block.bytes.count)
        })
        // The text is written in place: the header, then each problem's rows from its worker's block.
        var header = header
        return header.withUTF8 { head in
            let total = blocks.reduce(head.count) { $0 + $1.bytes.count }
            return String(unsafeUninitializedCapacity: total) { text in
                var offset = head.count
                if offset > 0 { text.baseAddress!.update(from: head.baseAddress!, count: offset) }
                for place in places {
                    blocks[place.worker].bytes.withUnsafeBufferPointer { bytes in
                        let count = place.end - place.start
                        if count > 0 { (text.baseAddress! + offset).update(from: bytes.baseAddress! + place.start, count: count) }
                        offset += count
                    }
                }
                return offset
            }
        }
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func alignedTable(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// Solves every problem on all cores (`solveEach`); the first failure (in input order) is rethrown.
    static func solveAll(_ problems: [WhitenedProblem], digits: Int, layers: LayerSelection) throws -> [WhitenedSolution] {
        // One point, or one core: solved on this thread, in order.
        let workers = problems.count <= 1 ? 1 : max(1, min(availableCores(), problems.count))
        if workers == 1 {
            let solver = WhitenedOverlapSolver(), cache = WhitenedSolveCache()
            return try problems.map { try solver.solve($0, digits: digits, layers: layers, cache: cache) }
        }
        // Each worker's solutions and their indices.
        struct Solved { var indices: [Int] = [], solutions: [WhitenedSolution] = [] }
        let solved = try solveEach(problems, digits: digits, layers: layers, workers: workers, makeContext: { _ in Solved() },
                                   handle: { list, index, solution in list.indices.append(index); list.solutions.append(solution) })
        var solutions = [WhitenedSolution?](repeating: nil, count: problems.count)
        for list in solved { for (index, solution) in zip(list.indices, list.solutions) { solutions[index] = solution } }
        return solutions.map { $0! }
    }

    /// Solves every problem on `workers` threads (this one among them), each with its own
    /// `WhitenedSolveCache` and `context` (made by `makeContext` on that worker's thread), and
    /// passes each solution to `handle` on the thread that solved it, right away. Workers claim
    /// runs of consecutive problems from a shared counter, in increasing order, until none are
    /// left: a worker slowed down (a core shared with another process) holds up at most one run
    /// while the others take the rest; consecutive depths in a run keep the warm start of the
    /// cache. A worker stops at its first failure and no worker claims a run after it, so every
    /// problem before the first failure (in input order) is solved: that failure is rethrown. One
    /// worker solves everything in order on this thread, without threads or locks.
    static func solveEach<Context>(_ problems: [WhitenedProblem], digits: Int, layers: LayerSelection, workers: Int,
                                   makeContext: (Int) -> Context,
                                   handle: (inout Context, Int, WhitenedSolution) -> Void) throws -> [Context] {
        let solver = WhitenedOverlapSolver()
        if workers <= 1 {
            let cache = WhitenedSolveCache()
            var context = makeContext(0)
            for index in problems.indices {
                handle(&context, index, try solver.solve(problems[index], digits: digits, layers: layers, cache: cache))
            }
            return [context]
        }
        // Runs of `run` problems: short enough that a straggler costs little, long enough for warm starts.
        let run = max(1, min(8, problems.count / (4 * workers)))
        let queue = ProblemQueue(count: problems.count, run: run)
        let contexts = ResultSlots<Context>(count: workers)
        let failures = ResultSlots<SolveFailure>(count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let cache = WhitenedSolveCache()
            var context = makeContext(worker)
            claiming: while let claimed = queue.next() {
                for index in claimed {
                    do {
                        handle(&context, index, try solver.solve(problems[index], digits: digits, layers: layers, cache: cache))
                    } catch {
                        failures[worker] = SolveFailure(index: index, error: error)
                        queue.stop()
                        break claiming
                    }
                }
            }
            contexts[worker] = context
        }
        if let first = failures.values.compactMap({ $0 }).min(by: { $0.index < $1.index }) { throw first.error }
        return contexts.values.map { $0! }
    }

    /// A worker's first failure (`solveEach`).
    private struct SolveFailure {
        let index: Int
        let error: Error
    }

    /// The cores this process may run on (its affinity mask, as `taskset` sets it), read with one
    /// system call; the online processor count when the mask cannot be read.
    static func availableCores() -> Int {
        // sched_getaffinity is a GNU extension the Glibc module does not export: looked up by name.
        typealias Affinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32
        if let symbol = dlsym(nil, "sched_getaffinity") {
            let getAffinity = unsafeBitCast(symbol, to: Affinity.self)
            var mask = [UInt64](repeating: 0, count: 16)             // 1024 CPUs, as cpu_set_t
            let read = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) }
            let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
            if read == 0 && count > 0 { return count }
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
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
