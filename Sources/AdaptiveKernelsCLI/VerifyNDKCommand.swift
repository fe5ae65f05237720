import Foundation
import Core
import Studies
import Numerics

/// `adaptive-kernels verify ndk [--quick] [--seed S] [--perturb-exact X] [--format table|json]`:
/// the NDK mean predictor against finite-width Langevin networks (notes/neural-dynamical-kernel.md).
enum VerifyNDKCommand {
    static let usage = """
           adaptive-kernels verify ndk [--quick] [--depth L] [--seed S] [--perturb-exact X] [--format table|json]
      ndk: the mean test predictor of the neural dynamical kernel theory (Volterra solution) against
        finite-width networks trained by Langevin dynamics (antithetic pairs), identity and ReLU, along
        time (T = 0.5, sigma^2 = 1, sigma_0^2 = 0.25 on a 4-point task, so both phases are crossed;
        notes/neural-dynamical-kernel.md, NK18 and section 9). A case passes when the difference is
        within k pair standard errors (Student t, Bonferroni over the cases) plus 4|f|/N (finite width)
        plus the solver's stated error; inconclusive when the solver's error control did not converge.
        --quick: L = 1, width 512, 32 pairs, 3 times (seconds); the full plan: L = 1, 2, widths 512
        and 1024 extrapolated in 1/N, 64 pairs, 4 times (long: N x N layers for L = 2). --perturb-exact X multiplies the theory by 1 + X (a
        verifier must then fail). --depth L (1..4) runs that depth only (L >= 2 is slow: N x N layers, over 8 minutes for --quick). Exit status 0 all pass, 3 any fail, 4 inconclusive without fail.

    """

    /// The report of the plan selected by `arguments` (no rendering); `verify all` concatenates it.
    static func report(_ arguments: [String]) throws -> VerificationReport {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["depth"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: false)
        guard common.shard == nil else { throw UsageError("--shard: verify ndk is not split into steps yet; it runs as one job") }
        var settings = options.has("quick") ? NDKVerification.Settings.quick(seed: common.seed) : NDKVerification.Settings.full(seed: common.seed)
        if options.value("depth") != nil { settings.depths = [try options.integer("depth", default: 1, in: 1...4)] }
        let progress = Progress(label: "verify ndk")
        defer { progress.finish() }
        let cases = try NDKVerification(settings: settings).run(progress: { progress.detail($0) })
        return VerificationReport(plan: options.has("quick") ? "ndk --quick" : "ndk --full", seed: common.seed, cases: cases,
                                  perturbExact: common.perturbation, perturbExactText: common.perturbationText)
    }

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["depth"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: false)
        return try VerificationRendering.finish(try report(arguments), command: "verify ndk", json: common.json,
            title: "Neural dynamical kernel: mean test predictor, theory (Volterra) vs finite-width Langevin networks (notes/neural-dynamical-kernel.md)")
    }
}
