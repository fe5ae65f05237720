import Foundation
import Core
import Studies
import Numerics

/// `adaptive-kernels verify fluctuations [--quick] [--seed S] [--perturb-exact X] [--format table|json] [--shard I/N]`:
/// the certified O(1/N) fluctuations of the Bayesian deep linear network against exact posterior
/// samples of finite-width networks (notes/fluctuations-bayes.md (FB13)), and the gradient-flow fluctuations of the
/// two-layer linear network against trained finite-width networks (notes/fluctuations-gradient-flow.md (FG12)).
enum VerifyFluctuationsCommand: VerifyPlanCommand {
    static let command = "verify fluctuations"
    static let title = "Finite-width fluctuations: O(1/N) theory vs exact posterior samples and trained finite-width networks (notes/fluctuations-bayes.md, notes/fluctuations-gradient-flow.md)"

    static let usage = """
           adaptive-kernels verify fluctuations [--quick] [--setting bayes|bayes-data|gradient-flow|deep-linear|all] [--activation identity|relu|all]
                                       [--widths LIST] [--chains K]
                                       [--seed S] [--perturb-exact X] [--format table|json] [--shard I/N]
      fluctuations: N Var(c_l) and N (E c_l - c_l) of the certified theory (whitened data, deep linear,
        FB8) against K independent exact posterior chains of width-N networks per width (Metropolis-Hastings
        on the Bartlett factors of the layers' Gram matrices, weights integrated out, FB22; no time-step
        bias), extrapolated in 1/N. A case passes when the difference is within k standard errors (Student
        t with K - 1 degrees of freedom, Bonferroni over the cases); inconclusive when a chain's halves
        disagree (not stationary). --quick: gamma = 2, beta = 10, L = 2, P = 6 at N = 64, 128, 256 with 32
        chains. Full plan: gamma = 1, beta = 2, L = 2, P = 3 and gamma = 3/2, beta = 5, L = 3, P = 6 at
        N = 128...2048 with 64 chains. General data (groups data_..., FB15-FB19, theory approximate): four
        points in four features, gamma = 6/5, beta = 2, L = 2, in both plans at their widths and chains.
        Gradient flow (group gradient_flow, FG12): N Var of the predictions (labelled point, orthogonal training
        point, orthogonal test input), of the NTK's diagonal mean and of c_1, and N (E c_1 - c_1) of the two-layer
        linear network along training, against that many trained networks (Euler, dt <= 0.01) per width,
        extrapolated in 1/N. --quick: gamma = 1, lambda = 1/2, T = 1, P = 3 at N = 32, 64, 256 with 512 seeds;
        full: gamma = 3/2, lambda = 1/4, T = 2, P = 3 at N = 64...1024 with 1024 seeds.
        ReLU (group gradient_flow_relu, FG19-FG22): N Var of the predictions, of tr K/P and of c of the two-layer
        ReLU network (whitened P points and an orthogonal test input), the sampled influence-function theory
        (estimated; its errors join the comparison) against trained networks. --quick: gamma = 1, lambda = 1/2,
        T = 1, P = 2 at N = 64, 256 with 1024 seeds (theory 1024 sites x 16 replicas); full: gamma = 3/2,
        lambda = 1/4, T = 2, P = 3 at N = 128...2048 with 1024 seeds (theory 2048 sites x 32 replicas).
        Deep linear (group gradient_flow_deep_linear, FG29-FG31): N Var of the predictions, of tr K/P and of every
        layer's overlap H^l_11 along the Euler flow, the delta method of the conditioning representation on the
        networks' own grid against trained networks. --quick: L = 2, gamma = 3/2, lambda = 1/4, T = 0.9, P = 2,
        dt = 0.1 at N = 32, 64, 128 with 512 seeds; full: L = 3, gamma = 2, lambda = 1/4, T = 1.2, P = 2, dt = 0.1
        at N = 128...2048 with 256 seeds.
        --activation selects the gradient-flow groups (identity: the linear ones, relu: the ReLU one; default all).
        --setting selects the groups (default all; bayes-data: the general-data group only; deep-linear: the deep linear group only). --widths LIST and --chains K (seeds) override every group. --perturb-exact X multiplies the
        theory by 1 + X (a verifier must then fail). Exit status 0 all pass, 3 any fail, 4 inconclusive.

    """

    static func plan(_ arguments: [String]) throws -> (plan: FluctuationsVerification, common: VerifyOptions, name: String) {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["widths", "chains", "setting", "activation"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: false)
        var settings = options.has("quick") ? FluctuationsVerification.Settings.quick(seed: common.seed) : FluctuationsVerification.Settings.full(seed: common.seed)
        switch options.value("setting") ?? "all" {
        case "all": break
        case "bayes": settings.gradientFlow = []; settings.nonlinear = []; settings.deepLinear = []
        case "bayes-data": settings.gradientFlow = []; settings.nonlinear = []; settings.deepLinear = []; settings.groups = settings.groups.filter { $0.data != nil }
        case "gradient-flow": settings.groups = []
        case "deep-linear": settings.groups = []; settings.gradientFlow = []; settings.nonlinear = []
        case let other: throw UsageError("--setting must be bayes, bayes-data, gradient-flow, deep-linear or all (got '\(other)')")
        }
        switch options.value("activation") ?? "all" {
        case "all": break
        case "identity": settings.nonlinear = []
        case "relu": settings.gradientFlow = []; settings.deepLinear = []
        case let other: throw UsageError("--activation must be identity, relu or all (got '\(other)'); it selects the gradient-flow groups")
        }
        if let text = options.value("widths") {
            let widths = try ParameterList.integers(text, option: "widths", in: 8...8192, what: "a width")
            guard widths.count >= 2 else { throw UsageError("--widths needs two widths or more (a 1/N extrapolation)") }
            for g in settings.groups.indices { settings.groups[g].widths = widths }
            for g in settings.gradientFlow.indices { settings.gradientFlow[g].widths = widths }
            for g in settings.nonlinear.indices { settings.nonlinear[g].widths = widths }
            for g in settings.deepLinear.indices { settings.deepLinear[g].widths = widths }
        }
        if options.value("chains") != nil {
            let chains = try options.integer("chains", default: 32, in: 4...4096)
            for g in settings.groups.indices { settings.groups[g].chains = chains }
            for g in settings.gradientFlow.indices { settings.gradientFlow[g].seeds = chains }
            for g in settings.nonlinear.indices { settings.nonlinear[g].seeds = chains }
            for g in settings.deepLinear.indices { settings.deepLinear[g].seeds = chains }
        }
        return (FluctuationsVerification(settings: settings), common, options.has("quick") ? "fluctuations --quick" : "fluctuations --full")
    }

}
