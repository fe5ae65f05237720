import Theory
import Numerics

/// Reads an exact rational option; every failure is one sentence.
func parseRational(_ options: ParsedArguments, _ name: String) throws -> BigRational {
    let text = try options.required(name)
    do { return try BigRational(parsing: text) } catch let error as RationalParseError {
        throw UsageError("--\(name): \(error)")
    }
}

/// Turns the aNTK input errors into usage errors (exit status 2).
func antkUsage<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ANTKInputError { throw UsageError(error.description) }
}

/// Certified decimal of an enclosure the solver refined to `digits`; "0" for the exact zero.
func antkDecimal(_ x: Interval, _ digits: Int) -> String {
    if x.isPoint && x.lower.isZero { return "0" }
    return x.certifiedDecimal(significantDigits: digits)!.text
}

/// The certified decimal when the enclosure decides it, otherwise the decimal enclosure [lo, hi].
func enclosureText(_ x: Interval, _ digits: Int) -> String {
    if let text = x.certifiedDecimal(significantDigits: digits) { return text.text }
    let bounds = x.decimalBounds(significantDigits: digits)
    return "[\(bounds.lower), \(bounds.upper)]"
}

/// `adaptive-kernels antk --gamma G --lambda LAM --depth L [--digits D] [--train X --labels y
/// [--test Xt --test-labels yt] [--beta B] [--out-dir DIR] [--all-layers]] [--format table|json]`
enum ANTKCommand {
    static let subcommand = Subcommand(name: "antk", summary: "every fixed point of gradient flow with weight decay (deep linear aNTK): certified (whitened) or on data",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels antk --gamma G --lambda LAM --depth L [--digits D] [--format table|json]
           adaptive-kernels antk --gamma G --lambda LAM --depth L --train X.npy --labels y.npy
                                 [--test Xt.npy --test-labels yt.npy] [--beta B] [--out-dir DIR] [--all-layers]
                                 [--digits D] [--format table|json]
      Without data: whitened data (C = I, |y| = 1, P = 4): every fixed point of gradient flow with weight
      decay of a deep linear network with L hidden layers (notes/antk-deep-linear.md): collapse f = 0 and the
      positive roots alpha of alpha^(2L) - gamma alpha^(L-1) + lambda = 0 (A14a), u = f.y = alpha^(L+1)/gamma,
      a = alpha^(2L)/lambda; their stability (A21, A26) and the end point of training from a unit-variance
      start (A32; marked approximate when it rests on the finite-N estimate of tau*_L). Certified digits.
      With data (.npy float64/float32 or .csv, read and validated as by 'kernels'): C = X X^T / D; every
      fixed point of the secular equation (A11) at working precision ("certified": false) with residuals
      (A8, A7) and stability (A24, A26); the kernels Phi^l, G^l, K (A6, A7) of the largest (stable) root;
      test predictions f(x*) = K(x*, X) Delta/(lambda (L+1)); train/test loss of antk, anbk (deep linear
      aNBK, dominant saddle, at the same gamma, L and beta = B, default B = 1/lambda: the Langevin
      posterior at temperature lambda of the same potential) and ntk (lazy NTK (L+1) C, ridgeless).
      --out-dir DIR writes phi_1.npy, phi_L.npy, grad_1.npy, grad_L.npy (all layers with --all-layers), ntk.npy,
      cross_phi_L.npy and cross_ntk.npy (test x train), train_predictions.csv, test_predictions.csv and
      summary.json (the JSON report), atomically.
      G, LAM: exact numbers (3, 0.1, 2.5e-3, 3/2), G >= 0, LAM > 0. D: significant digits (default 30;
      at most 17 are printed for data).
    """ + "\n" + ANTKPopulationCommand.usage

    static let dataOptions: Set<String> = ["train", "labels", "test", "test-labels", "beta", "out-dir"]

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: Set(["gamma", "lambda", "depth", "digits", "format"]).union(dataOptions)
                                            .union(ANTKPopulationCommand.options), switches: ["all-layers"])
        let gamma = try parseRational(options, "gamma"), lambda = try parseRational(options, "lambda")
        let depthText = try options.required("depth")
        guard let depth = Int(depthText) else { throw UsageError("--depth must be a positive integer (got '\(depthText)')") }
        let problem = try antkUsage { try WhitenedANTKProblem(gamma: gamma, lambda: lambda, depth: depth) }
        let digits = try options.integer("digits", default: WhitenedANTKSolver.defaultDigits, in: 1...WhitenedANTKSolver.maximumDigits)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        if try ANTKPopulationCommand.wanted(options) {
            return try ANTKPopulationCommand.run(options, gamma: gamma, lambda: lambda, depth: depth, format: format)
        }
        if let extra = ["population", "seeds", "seed", "time", "tolerance", "architecture", "image-shape", "patch", "stride"].first(where: { options.value($0) != nil }) {
            throw UsageError("--\(extra) belongs to the population DMFT (--activation relu|tanh|erf or --solver dmft)")
        }
        let withData = dataOptions.contains { options.value($0) != nil } || options.has("all-layers")
        if withData {
            return try ANTKDataCommand.run(options, gamma: gamma, lambda: lambda, depth: depth, digits: digits, format: format)
        }
        let solution = try WhitenedANTKSolver().solve(problem, digits: digits)
        let critical = try ANTKPhase().critical(lambda: lambda, depth: depth, digits: digits)
        switch format {
        case .json: return try ANTKReport.json(solution, critical: critical).serialized() + "\n"
        default: return ANTKReport.table(solution, critical: critical)
        }
    }
}

/// Renderings of a `WhitenedANTKSolution`; every printed digit is certified unless marked "~".
enum ANTKReport {
    static let whitenedCount = 4

    static func branchJSON(_ point: WhitenedANTKFixedPoint, digits: Int) throws -> JSONValue {
        var members: [(String, JSONValue)] = try OutputContract.certified("a", point.a, digits: digits)
        members += try OutputContract.certified("f_dot_y", point.fDotY, digits: digits)
        members += [
            ("stable", .bool(point.stability.isStable)),
            ("kind", .string(point.kind.rawValue)),
            ("stability", .string(point.stability.verdict.rawValue)),
        ]
        members += try OutputContract.certified("eigenvalue", point.stability.decidingEigenvalue, digits: digits)
        members += try OutputContract.certified("layer_norm", point.layerNorm, digits: digits)
        return .object(members)
    }

    static func json(_ solution: WhitenedANTKSolution, critical: ANTKCriticalPoint) throws -> JSONValue {
        let p = solution.problem, digits = solution.digits
        return OutputContract.document(command: "antk", [
            ("gamma", OutputContract.exact(p.gamma)),
            ("lambda", OutputContract.exact(p.lambda)),
            ("depth", .integer(p.depth)),
            ("digits", .integer(digits)),
            ("data", .string("whitened: C = I, |y| = 1, P = \(whitenedCount)")),
        ] + (try OutputContract.certified("gamma_c", critical.gamma, digits: digits)) + [
            ("isolation", .string(solution.isolation)),
            ("branches", .array(try solution.fixedPoints.map { try branchJSON($0, digits: digits) })),
            ("predicted_end_point", .object([
                ("kind", .string(solution.endPoint.branch.rawValue)),
                ("certified", .bool(solution.endPoint.certified)),
                ("certainty", .string(solution.endPoint.kind.rawValue)),
                ("rule", .string(solution.endPoint.rule)),
            ])),
        ])
    }

    static func table(_ solution: WhitenedANTKSolution, critical: ANTKCriticalPoint) -> String {
        let p = solution.problem, digits = solution.digits
        var lines: [String] = []
        lines.append("Deep linear aNTK fixed points, whitened data (C = I, |y| = 1, P = \(whitenedCount)); notes/antk-deep-linear.md")
        lines.append("gamma = \(p.gamma)   lambda = \(p.lambda)   depth L = \(p.depth)   digits = \(digits) (certified unless marked ~)")
        lines.append("gamma_c = \(antkDecimal(critical.gamma, digits))  (A17; nontrivial branches exist for gamma > gamma_c)")
        lines.append("isolation: \(solution.isolation)")
        for point in solution.fixedPoints {
            lines.append("")
            lines.append("\(point.kind.rawValue): \(point.stability.verdict.rawValue)")
            lines.append("  f.y        = \(antkDecimal(point.fDotY, digits))")
            lines.append("  a          = \(antkDecimal(point.a, digits))")
            lines.append("  E = |W|^2/N = \(antkDecimal(point.layerNorm, digits))")
            let name = point.kind == .collapse ? (p.depth == 1 ? "gamma - lambda (A26)" : "-lambda (A26)") : "mu_bal (A21)"
            lines.append("  \(name) = \(antkDecimal(point.stability.decidingEigenvalue, digits))")
            if let perpendicular = point.stability.perpendicularEigenvalue {
                lines.append("  mu_perp (A22, x\(whitenedCount - 1)) = \(enclosureText(perpendicular, min(digits, 12)))")
            }
        }
        lines.append("")
        let mark = solution.endPoint.certified ? "" : "~ "
        lines.append("predicted end point from a unit-variance start: \(mark)\(solution.endPoint.branch.rawValue)\(solution.endPoint.certified ? "" : " (\(solution.endPoint.kind.rawValue))")")
        lines.append("  rule: \(solution.endPoint.rule)")
        lines.append("kernels at a fixed point (A16): Phi^l = E^l y y^T, G^l = E^(L+1-l) 1 1^T, K = lambda a (I + L y y^T), f = a y/(1+a)")
        return lines.joined(separator: "\n") + "\n"
    }
}
