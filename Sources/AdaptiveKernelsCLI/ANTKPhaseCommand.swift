import Theory
import Numerics

/// `adaptive-kernels antk-phase --depth LIST --lambda LAM [--digits D] [--format table|json]`
enum ANTKPhaseCommand {
    static let subcommand = Subcommand(name: "antk-phase", summary: "critical feature strength gamma_c per depth (aNTK saddle node), certified",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels antk-phase --depth LIST --lambda LAM [--digits D] [--format table|csv|json]
      Whitened data (|y| = 1). Where feature learning switches on (notes/antk-deep-linear.md (A17)):
      L = 1, the collapse threshold gamma_c = lambda (gamma^2 y^T C y = lambda^2);
      L >= 2, the saddle node where the lower and upper branches are born,
        gamma_c^(2L) = lambda^(L+1) (2L)^(2L) / ((L-1)^(L-1) (L+1)^(L+1)),   u_c = f.y = (L-1)/(2L).
      LIST: depths such as 4, 1...8, 1..8 or 1,2,4,16...20. LAM > 0 exact (1, 0.5, 3/2).
      Prints gamma_c and gamma_c/lambda certified to D digits (default 30) and gamma_c^(2L) exactly.
    """

    static let maximumDepthCount = 10_000
    /// Exact gamma_c^(2L) is printed in full up to this many characters, else in factored form only.
    static let maximumExactLength = 400

    /// Parses a depth LIST ("4", "1...8", "1..8", "1,2,4,16...20"), in the order given.
    static func parseDepths(_ text: String) throws -> [Int] {
        let depths = try ParameterList.integers(text, option: "depth", in: 1...WhitenedANTKProblem.maximumDepth, what: "a depth")
        guard depths.count <= maximumDepthCount else { throw UsageError("--depth lists at most \(maximumDepthCount) depths") }
        return depths
    }

    /// lambda^(L+1) (2L)^(2L) / ((L-1)^(L-1) (L+1)^(L+1)) with the numbers written in.
    static func factored(lambda: BigRational, depth l: Int) -> String {
        let lambdaText = lambda.isInteger ? lambda.description : "(\(lambda))"
        return "\(lambdaText)^\(l + 1) * \(2 * l)^\(2 * l) / (\(l - 1)^\(l - 1) * \(l + 1)^\(l + 1))"
    }

    /// gamma_c^(2L) exactly (decimal or p/q), nil when longer than `maximumExactLength`.
    static func exactPower(_ point: ANTKCriticalPoint) -> String? { exactPowerText(point.gammaPower) }

    static func exactPowerText(_ power: BigRational) -> String? {
        let text = OutputContract.exactText(power)
        return text.count <= maximumExactLength ? text : nil
    }

    /// A power the theory did not form exactly (too large) has no exact text.
    static func exactPowerText(_ power: BigRational?) -> String? { power.flatMap { exactPowerText($0) } }

    static func exact(_ point: ANTKCriticalPoint) -> String {
        guard let power = point.gammaPower else { return factored(lambda: point.lambda, depth: point.depth) }
        let text = power.description
        return text.count <= maximumExactLength ? text : factored(lambda: point.lambda, depth: point.depth)
    }

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["depth", "lambda", "digits", "format"], switches: [])
        let depths = try parseDepths(try options.required("depth"))
        let lambda = try parseRational(options, "lambda")
        let digits = try options.integer("digits", default: WhitenedANTKSolver.defaultDigits, in: 1...WhitenedANTKSolver.maximumDigits)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let points = try depths.map { depth in try antkUsage { try ANTKPhase().critical(lambda: lambda, depth: depth, digits: digits) } }
        if format == .json {
            return OutputContract.render(command: "antk-phase", [
                ("lambda", OutputContract.exact(lambda)),
                ("digits", .integer(digits)),
                ("critical", .array(try points.map { point in
                    .object([("depth", .integer(point.depth))]
                        + (try OutputContract.certified("gamma_c", point.gamma, digits: digits))
                        + (try OutputContract.certified("gamma_c_over_lambda", point.ratio, digits: digits))
                        + [
                            ("u_c", OutputContract.exact(point.criticalOverlap)),
                            ("gamma_c_power", exactPower(point).map { .string($0) } ?? .null),
                            ("gamma_c_power_factored", .string(factored(lambda: lambda, depth: point.depth))),
                            ("kind", .string(point.depth == 1 ? "collapse threshold" : "saddle node")),
                        ])
                })),
            ])
        }
        if format == .csv {
            // Numeric cells only: u_c and gamma_c^(2L) exact (decimal or p/q; empty when too long).
            var rows = ["depth,gamma_c,gamma_c_lower,gamma_c_upper,gamma_c_over_lambda,gamma_c_over_lambda_lower,gamma_c_over_lambda_upper,u_c,gamma_c_power"]
            for point in points {
                let g = point.gamma.decimalBounds(significantDigits: digits + 3), r = point.ratio.decimalBounds(significantDigits: digits + 3)
                rows.append([String(point.depth), try OutputContract.certifiedText(point.gamma, digits: digits), g.lower, g.upper,
                             try OutputContract.certifiedText(point.ratio, digits: digits), r.lower, r.upper,
                             OutputContract.exactText(point.criticalOverlap), exactPower(point) ?? ""].joined(separator: ","))
            }
            return rows.joined(separator: "\n") + "\n"
        }
        var lines = ["Critical feature strength of the deep linear aNTK, whitened |y| = 1 (notes/antk-deep-linear.md A17)",
                     "lambda = \(lambda)   digits = \(digits) (all certified)",
                     "L = 1: collapse threshold gamma_c = lambda; L >= 2: saddle node, branches exist for gamma > gamma_c", ""]
        let width = String(depths.max() ?? 1).count
        for point in points {
            lines.append("L = \(String(point.depth).leftPadded(to: width))   gamma_c = \(antkDecimal(point.gamma, digits))   gamma_c/lambda = \(antkDecimal(point.ratio, digits))   u_c = \(point.criticalOverlap)")
            lines.append(String(repeating: " ", count: width + 7) + "gamma_c^\(2 * point.depth) = \(exact(point))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
