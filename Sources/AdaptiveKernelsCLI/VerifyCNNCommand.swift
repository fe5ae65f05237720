import Foundation
import Core
import Studies
import Simulation

/// `adaptive-kernels verify cnn [--quick] [--seed S] [--perturb-exact X] [--format table|json] [--data DIR] [--shard I/N]`:
/// the two-layer CNN's population DMFT against finite-width CNNs (notes/cnn-two-layer.md (CN11)-(CN12)).
enum VerifyCNNCommand: VerifyPlanCommand {
    static let command = "verify cnn"
    static let title = "Two-layer CNN: population DMFT vs finite-width CNNs extrapolated in 1/N (notes/cnn-two-layer.md)"

    static let usage = """
           adaptive-kernels verify cnn [--quick] [--activation A] [--widths LIST] [--seeds K] [--populations K] [--sites M]
                                       [--seed S] [--perturb-exact X] [--format table|json] [--data DIR] [--shard I/N]
      cnn: the two-layer CNN (8x8 digits, 3x3 patches at stride 2, global average pooling, first 10 training
        and 2 test points) trained by gradient flow with weight decay (fixed-step Euler, dt = 0.05, to t = 6):
        the population DMFT (mean over independent populations, finite-population allowance 2|a|/M from
        the networks' 1/N slope a) against finite-width CNNs trained the same way, the mean over seeds at
        each width extrapolated in 1/N; observables the test predictions, the train loss and the overlaps
        y^T K y/|y|^2 of the adapted NTK and of the feature kernel (notes/cnn-two-layer.md, CN11-CN12).
        A case passes when the two agree within k combined standard errors (Student t, Bonferroni over the
        cases) plus both systematic bounds. --quick: ReLU and erf at gamma = 2, lambda = 0.1, 10 populations
        of 1024 against 10 CNNs at N = 128, 512 (seconds). Full plan: identity, ReLU, erf at gamma = 2 and
        ReLU at gamma = 4, 12 populations of 2048 against 12 CNNs at N = 256, 512, 1024, 2048.
        --activation identity|relu|erf|tanh: that activation's groups only; --widths LIST, --seeds K (per
        width), --populations K, --sites M (sites per population) override the plan. --perturb-exact X multiplies the theory by 1 + X (a
        verifier must then fail). --data DIR: the digits directory (default: the package's fixture).
        Exit status 0 all pass, 3 any fail, 4 inconclusive without fail.
           adaptive-kernels verify cnn --bench [--sites M] [--points P] [--image-size H] [--patch K] [--stride S] [--steps N]
                                       [--activation A]
      --bench: time one population DMFT step of the CNN (bench/cnn_step.py; deterministic state, JSON on stdout).

    """

    /// `--bench`: one CNN population step (CNNStepBenchmark) on H x H x 1 images, JSON on stdout.
    static func bench(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["sites", "points", "image-size", "patch", "stride", "steps", "activation"], switches: ["bench"])
        let m = try options.integer("sites", default: 256, in: 1...(1 << 20)), p = try options.integer("points", default: 100, in: 1...100_000)
        let h = try options.integer("image-size", default: 8, in: 1...1024), k = try options.integer("patch", default: 3, in: 1...1024)
        let stride = try options.integer("stride", default: 1, in: 1...1024), steps = try options.integer("steps", default: 10, in: 1...10_000)
        guard k <= h else { throw UsageError("--patch must be at most --image-size (got \(k) > \(h))") }
        let positions = ((h - k) / stride + 1) * ((h - k) / stride + 1)
        guard m * p * positions <= 1 << 27 else { throw UsageError("--bench: sites x points x positions must be at most 2^27") }
        let activation = try options.activation(default: .relu)
        let r = try studyErrors { try CNNStepBenchmark.run(sites: m, points: p, height: h, width: h, patch: k, stride: stride, steps: steps, activation: activation) }
        return JSONValue.object([
            ("sites", .integer(r.sites)), ("points", .integer(r.points)), ("positions", .integer(r.positions)), ("dimension", .integer(r.dimension)),
            ("activation", .string(activation.rawValue)), ("steps", .integer(r.steps)),
            ("median_seconds", .number(r.medianSeconds)), ("minimum_seconds", .number(r.minimumSeconds)),
            ("predictions", .array(r.predictions.map { .number($0) })),
        ]).serialized() + "\n"
    }

    /// The plan selected by `arguments`, parsed once.
    static func plan(_ arguments: [String]) throws -> (plan: CNNVerification, common: VerifyOptions, name: String) {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["activation", "widths", "seeds", "populations", "sites"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: true)
        var settings = options.has("quick") ? CNNVerification.Settings.quick(seed: common.seed) : CNNVerification.Settings.full(seed: common.seed)
        if options.value("activation") != nil {
            let activation = try options.activation()
            let kept = settings.groups.filter { $0.activation == activation }
            settings.groups = kept.isEmpty ? [CNNVerification.Group(activation: activation, gamma: 2, lambda: 0.1)] : kept
        }
        if let text = options.value("widths") {
            settings.widths = try ParameterList.integers(text, option: "widths", in: 2...8192, what: "a width")
            guard Set(settings.widths).count >= 2 else { throw UsageError("verify cnn: --widths needs at least two different widths (the 1/N extrapolation)") }
        }
        if options.value("seeds") != nil { settings.seedsPerWidth = try options.integer("seeds", default: 10, in: 2...1000) }
        if options.value("populations") != nil { settings.populations = try options.integer("populations", default: 10, in: 2...1000) }
        if options.value("sites") != nil { settings.populationSize = try options.integer("sites", default: 1024, in: 16...65536) }
        settings.perturbation = common.perturbation
        return (CNNVerification(settings: settings, digitsDirectory: common.dataDirectory!), common, options.has("quick") ? "cnn --quick" : "cnn --full")
    }

    static func run(_ arguments: [String]) throws -> String {
        if arguments.contains("--bench") { return try bench(arguments) }
        return try render(arguments)
    }
}
