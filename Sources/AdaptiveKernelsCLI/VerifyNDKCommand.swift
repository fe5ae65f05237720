import Foundation
import Core
import Studies
import Numerics

/// `adaptive-kernels verify ndk [--quick] [--seed S] [--perturb-exact X] [--format table|json]`:
/// the NDK mean predictor against finite-width Langevin networks (notes/neural-dynamical-kernel.md).
enum VerifyNDKCommand: VerifyPlanCommand {
    static let command = "verify ndk"
    static let title = "Neural dynamical kernel: mean test predictor, theory (Volterra) vs finite-width Langevin networks (notes/neural-dynamical-kernel.md)"

    static let usage = """
           adaptive-kernels verify ndk [--quick] [--depth L] [--activation A] [--widths LIST] [--pairs P]
                                       [--seed S] [--perturb-exact X] [--format table|json] [--shard I/N]
      ndk: the mean predictor of the neural dynamical kernel theory (Volterra solution) on 3 training
        and 2 test points at t = 0.5, 1.5, 4 (T = 0.5, sigma^2 = 1, sigma_0^2 = 0.25: both phases) against
        finite-width networks trained by Langevin dynamics (exact prior step + Heun force, dt = 0.02;
        antithetic pairs; two control variates per case: the empirical NTK of a shadow prior network
        with the pair's noise, at t and at 0, of known mean; notes/neural-dynamical-kernel.md, NK18-NK19).
        A case passes when the difference is within k standard errors (Student t, Bonferroni over the
        cases) plus 4|f|/N (one width) or the 1/N extrapolation's bound (several), plus the solver's
        error; inconclusive when the solver's error control did not converge.
        --quick: identity, ReLU, erf at L = 1, N = 1024, 96 pairs (about 20 CPU-seconds); a 5% change of
        the theory fails every case. Full plan: L = 1 at N = 1024, 2048 (128 pairs) and L = 2, 3 at
        N = 128, 256 (96 pairs), extrapolated in 1/N (about 10 CPU-minutes). --depth L (1..4) runs that
        depth only (L >= 2 at N = 128, 256); --activation identity|relu|erf one activation; --widths LIST
        and --pairs P override every group. --perturb-exact X multiplies the theory by 1 + X (a verifier
        must then fail). --shard I/N: block I of N of the plan's groups, as a shard document for
        'adaptive-kernels merge'. Exit status 0 all pass, 3 any fail, 4 inconclusive without fail.

    """

    /// The plan selected by `arguments`, parsed once.
    static func plan(_ arguments: [String]) throws -> (plan: NDKVerification, common: VerifyOptions, name: String) {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["depth", "activation", "widths", "pairs"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: false)
        var settings = options.has("quick") ? NDKVerification.Settings.quick(seed: common.seed) : NDKVerification.Settings.full(seed: common.seed)
        if options.value("depth") != nil { settings.restrict(depth: try options.integer("depth", default: 1, in: 1...4)) }
        if options.value("activation") != nil {
            let activation = try options.activation()
            guard [.identity, .relu, .erf].contains(activation) else { throw UsageError("verify ndk: --activation must be identity, relu or erf") }
            settings.groups = settings.groups.filter { $0.activation == activation }
        }
        if let text = options.value("widths") {
            let widths = try ParameterList.integers(text, option: "widths", in: 2...4096, what: "a width")
            for g in settings.groups.indices { settings.groups[g].widths = widths }
        }
        if options.value("pairs") != nil {
            let pairs = try options.integer("pairs", default: 96, in: 8...4096)
            for g in settings.groups.indices { settings.groups[g].pairs = pairs }
        }
        return (NDKVerification(settings: settings), common, options.has("quick") ? "ndk --quick" : "ndk --full")
    }

}
