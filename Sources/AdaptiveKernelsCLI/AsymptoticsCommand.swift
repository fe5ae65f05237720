import Foundation
import Asymptotics
import Theory
import Numerics

/// `adaptive-kernels asymptotics --regime lazy|rich|deep|joint [--order K] [--gamma G] [--beta B]
/// [--depth L] [--layer l] [--digits D] [--decades N] [--per-decade P] [--coefficients] [--format ...]`
enum AsymptoticsCommand {
    static let subcommand = Subcommand(name: "asymptotics",
                                       summary: "how good is each asymptotic law (lazy, rich, deep, joint) and at what order it converges",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels asymptotics --regime lazy|rich|deep|joint [--order K] [--gamma G] [--beta B] [--depth L]
                                        [--layer l] [--digits D] [--decades N] [--per-decade P] [--coefficients]
                                        [--format table|csv|json]
      Along a geometric sequence of the small parameter: the exact overlap (certified solver, D digits,
      default 60), each order's prediction, its relative error prediction/exact - 1, and the measured
      convergence order (least-squares log-log slope of |error| against the small parameter) beside the
      predicted one. Notes: notes/asymptotics-lazy.md, -rich.md, -deep.md.
        lazy   gamma -> 0, L, beta fixed; gamma from G down N decades (default G = 0.01, beta = 10, L = 4).
               Orders K = 1..K: c_l = 1 + sum_{k<=K} e_k gamma^(2k), exact rational e_k; predicted order 2(K'+1).
        rich   gamma -> inf; gamma from G up N decades (default G = 1e10, beta = 10, L = 3). Orders 0..K:
               c_l = g^(l/(L+1)) sum_{n<=K} d_n eps^n, eps = gamma^(-2/(L+1)); predicted order 2(K'+1)/(L+1) in 1/gamma.
        deep   L -> inf at fixed gamma (default gamma = 1, beta = 100, L from 10000 up N decades): the paper's
               Lg/ln(Lg), Lg/(ln Lg - ln ln Lg), the Lambert form Lg/W(Lg) (n = 0) and corrections n = 1..K;
               predicted order: the slope of the leading error term |delta_{n+1}| h^(n+1) (D13), -> n+1 slowly.
        joint  L -> inf at fixed kappa = L gamma^2: points L = L0 m^2, gamma = G/m, m = 10..; c_L = c_inf + sum c_n/L^n
               (default G = 1, L0 = 100, so kappa = 100); predicted order n+1.
      --layer l: the overlap c_l (lazy, rich; default l = L). --coefficients (lazy, rich): print the exact
      rational coefficients instead (lazy: a_k of u = -chi and e_k of c_L and c_l; rich: d_n of c_L and c_l).
      Beta may be inf (b = 0).
    """

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["regime", "order", "gamma", "beta", "depth", "layer", "digits",
                                                              "decades", "per-decade", "format"],
                                          switches: ["coefficients"])
        guard let regime = AsymptoticRegime(rawValue: try options.required("regime").lowercased()) else {
            throw UsageError("--regime must be one of lazy|rich|deep|joint (got '\(options.value("regime")!)')")
        }
        let defaults: (gamma: String, beta: String, depth: String) = {
            switch regime {
            case .lazy: return ("0.01", "10", "4")
            case .rich: return ("1e10", "10", "3")
            case .deep: return ("1", "100", "10000")
            case .joint: return ("1", "100", "100")
            }
        }()
        let problem = try parseProblem(gamma: options.value("gamma") ?? defaults.gamma, beta: options.value("beta") ?? defaults.beta,
                                       depth: options.value("depth") ?? defaults.depth)
        guard problem.gamma.signum > 0 else { throw UsageError("--gamma must be > 0 for an asymptotic sequence") }
        let order = try options.integer("order", default: 4, in: 1...ScalingRequest.maximumOrder)
        let layer = try options.integer("layer", default: problem.depth, in: 1...problem.depth)
        if options.value("layer") != nil && (regime == .deep || regime == .joint) {
            throw UsageError("--layer applies to the lazy and rich regimes (deep and joint compare c_L)")
        }
        let digits = try options.integer("digits", default: 60, in: 10...1000)
        let decades = try options.integer("decades", default: 1, in: 1...20)
        let perDecade = try options.integer("per-decade", default: 4, in: 1...20)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        if options.has("coefficients") {
            guard regime == .lazy || regime == .rich else {
                throw UsageError("--coefficients applies to the lazy and rich regimes (their coefficients are exact rationals)")
            }
            return AsymptoticsReport.coefficients(regime: regime, problem: problem, layer: layer, order: order, format: format)
        }
        let request = ScalingRequest(regime: regime, gamma: problem.gamma, ridge: problem.ridge, depth: problem.depth, order: order,
                                     layer: layer, digits: digits, decades: decades, pointsPerDecade: perDecade)
        try validateRange(request)
        let study: ScalingStudy
        do { study = try ScalingStudy(request) } catch let error as JointLimitError {
            throw UsageError(error.description)
        }
        switch format {
        case .json: return AsymptoticsReport.json(study, beta: problem.beta).serialized() + "\n"
        case .csv: return AsymptoticsReport.csv(study)
        case .table: return AsymptoticsReport.table(study, beta: problem.beta)
        }
    }

    /// Rejects sequences that leave the solver's range or the regime's domain, before any work.
    static func validateRange(_ request: ScalingRequest) throws {
        let top = request.decades
        switch request.regime {
        case .deep:
            let deepest = Double(request.depth) * pow10(top)
            guard deepest <= Double(WhitenedProblem.maximumDepth) else {
                throw UsageError("the deep sequence reaches L = \(deepest) > \(WhitenedProblem.maximumDepth); lower --depth or --decades")
            }
            guard (BigRational(request.depth) * request.gamma * request.gamma) >= BigRational(3) else {
                throw UsageError("the deep regime needs L gamma^2 >= 3 at the first point (ln ln(L gamma^2) must be defined)")
            }
        case .joint:
            let m = (10 * pow10(Double(top) / 2)).rounded()
            guard Double(request.depth) * m * m <= Double(WhitenedProblem.maximumDepth) else {
                throw UsageError("the joint sequence L = L0 m^2 (m up to \(Int(m))) exceeds L = \(WhitenedProblem.maximumDepth); lower --depth or --decades")
            }
        case .lazy, .rich:
            break
        }
    }

    static func pow10(_ x: Int) -> Double { pow10(Double(x)) }
    static func pow10(_ x: Double) -> Double { Foundation.pow(10, x) }
}
