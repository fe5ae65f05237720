import Foundation
import Numerics
import Simulation
import Studies
import Core

/// `adaptive-kernels verify antk [--quick] [--seed S] [--format table|json] [--data DIR] [--case GROUP] [--perturb-exact R]`:
/// infinite-width gradient flow with weight decay (DMFT), finite networks (1/N extrapolated) and the
/// exact deep-linear fixed points, case by case (notes/verify-antk.md).
enum VerifyANTKCommand {
    static let usage = """
    usage: adaptive-kernels verify antk [--quick] [--seed S] [--format table|json] [--data DIR] [--case GROUP] [--activation relu|tanh|erf]
                                   [--perturb-exact R] [--shard I/N]
           adaptive-kernels verify antk --bench [--neurons M] [--points P] [--steps S] [--test-points Q]
                                   [--dimension D] [--activation relu|tanh|erf|identity] [--form auto|dense|rank]
      Cross-checks gradient flow with weight decay (aNTK): the deep linear DMFT and finite-width
      gradient descent (widths 256..4096 for two layers, 256..2048 deep, extrapolated in 1/N; --quick: 64..256) against every exact
      branch of notes/antk-deep-linear.md, the kernel-predictor identity f = K (K + lambda (L+1) I)^-1 y
      (and its failure at lambda = 0), the one-point ReLU fixed point f = 1 - lambda/gamma and ReLU and tanh DMFT vs
      finite width (the networks of 'train --lambda') on the digits data (--data DIR; default the package's
      Tests/Fixtures/digits, found from the executable's or the source tree's location; missing: exit 2).
      Every case ends pass, fail or inconclusive. Each flow runs until its stationarity test passes
      or its time budget is spent (then the case is inconclusive, never compared); a case passes when
      the estimate lies within k standard errors plus its systematic (convergence, dt) bounds of the
      exact value (for two estimates: of each other; for the lambda = 0 control: differs by more), k the
      Student t quantile for the estimates' degrees of freedom (seeds - 1) at the family-wise
      false-alarm rate 0.01 split over the cases (Bonferroni). Progress goes to stderr.
      Exit status 0 all pass, 3 any case fails, 4 some inconclusive and none fails.
      --case GROUP runs one group: linear (deep linear branches, unstable branch), identity (ReLU
      predictor identity), theory2b (one point, ReLU) or digits (DMFT vs finite width: ReLU at widths 256..4096,
      tanh at 512..4096; --quick: both at 64..256).
      --activation A: the digits group for activation A only (relu, tanh or erf; default relu and tanh).
      --perturb-exact R: multiply every exact reference value by (1 + R) before comparing (power check).
      --shard I/N: run only block I of N of the plan's steps and write a shard document (exit 0);
        'adaptive-kernels merge' joins the N documents into exactly the unsharded report and exit status.
      Expected duration: --quick well under 2 CPU-minutes; the ReLU digits group alone (--case digits --activation relu)
      13 min of CPU and wall clock on 2 shared cores (measured); the full suite about 20 min CPU, 25 min wall
      (estimated from its stages) plus the tanh digits cases (--case digits --activation tanh: not yet timed to the
      end; more than 13 CPU-minutes on 2 cores shared at load 13-16).
      --bench: times one two-layer population DMFT step (GV1)-(GV3) (default ReLU, M = 4096 neurons,
      P = 100 points, no test points, D = 64, 20 timed steps) from the deterministic state of
      bench/dmft_step.py; prints JSON with the median step time and the final predictions on all
      P + Q points (for the comparison with JAX and NumPy). --form: the product by C (dense), by the
      rank-D form of notes/verify-antk.md (GV23c) (rank), or whichever needs fewer flops (auto).
    """

    static func settings(_ arguments: [String]) throws -> (ANTKVerifySettings, VerifyOptions) {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["case", "activation"]), switches: ["quick"])
        let common = try VerifyOptions(options, needsData: true)
        var settings = options.has("quick") ? ANTKVerifySettings.quick(seed: common.seed) : ANTKVerifySettings.full(seed: common.seed)
        settings.digitsDirectory = common.dataDirectory
        if let group = options.value("case") {
            guard ANTKVerifySettings.caseGroups.contains(group) else {
                throw UsageError("--case must be one of \(ANTKVerifySettings.caseGroups.joined(separator: ", ")) (got '\(group)')")
            }
            settings.caseGroup = group
        }
        if options.value("activation") != nil {
            let activation = try options.activation()
            guard ANTKVerifySettings.digitsActivationChoices.contains(activation) else {
                throw UsageError("--activation must be relu, tanh or erf (the digits group's activations; got '\(activation.rawValue)')")
            }
            settings.digitsActivations = [activation]
        }
        return (settings, common)
    }

    /// The report of the plan selected by `arguments` (no rendering).
    static func report(_ arguments: [String]) throws -> VerificationReport {
        let (settings, common) = try settings(arguments)
        return try report(settings, common)
    }

    static func report(_ settings: ANTKVerifySettings, _ common: VerifyOptions) throws -> VerificationReport {
        let cases: [VerificationCase]
        do {
            // Progress only when stderr is a terminal (one self-overwriting line), never in pipes or files.
            let progress = Progress(label: "verify antk")
            defer { progress.finish() }
            cases = try LinearAlgebra.withThreadCount(1) { try ANTKVerifier(settings: settings).run(shard: common.shard, progress: progress.reporter) }
        } catch let error as InputError { throw UsageError(error.description) }
        let plan = settings.widths.count > 3 ? "antk --full" : "antk --quick"
        return VerificationReport(plan: plan, seed: common.seed, cases: cases,
                                  perturbExact: common.perturbation, perturbExactText: common.perturbationText)
    }

    static func run(_ arguments: [String]) throws -> String {
        if arguments.contains("--bench") { return try bench(arguments) }
        let (settings, common) = try settings(arguments)
        let report = try report(settings, common)
        let title = "Gradient flow with weight decay (aNTK): DMFT, finite width (N -> inf) and exact fixed points (notes/verify-antk.md)"
        if let shard = common.shard {
            return try ShardedOutput.verifyDocument(report, command: "verify antk", shard: shard, steps: ANTKVerifier(settings: settings).steps().count,
                                                    arguments: common.canonical, json: common.json, title: title)
        }
        return try VerificationRendering.finish(report, command: "verify antk", json: common.json, title: title)
    }

    /// `--bench`: one population DMFT step (ANTKStepBenchmark), JSON on stdout.
    static func bench(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["neurons", "points", "steps", "test-points", "dimension", "activation", "form"],
                                          switches: ["bench"])
        func positive(_ name: String, _ fallback: Int, minimum: Int = 1) throws -> Int {
            let text = options.value(name) ?? String(fallback)
            guard let v = Int(text), v >= minimum, v <= 1 << 20 else {
                throw UsageError("--\(name) must be \(minimum == 0 ? "a non-negative" : "a positive") integer (got '\(text)')")
            }
            return v
        }
        let m = try positive("neurons", 4096), p = try positive("points", 100), steps = try positive("steps", 20)
        let q = try positive("test-points", 0, minimum: 0), d = try positive("dimension", ANTKStepBenchmark.dimension)
        guard m * (p + q) <= 1 << 26, (p + q) * d <= 1 << 26 else { throw UsageError("--bench: neurons x points and points x dimension must be at most 2^26") }
        let activationName = options.value("activation") ?? "relu"
        guard let activation = Activation(rawValue: activationName) else {
            throw UsageError("--activation must be relu, tanh, erf or identity (got '\(activationName)')")
        }
        let forms: [String: Bool?] = ["auto": nil, "dense": false, "rank": true]
        let formName = options.value("form") ?? "auto"
        guard let form = forms[formName] else { throw UsageError("--form must be auto, dense or rank (got '\(formName)')") }
        let r = try ANTKStepBenchmark.run(neurons: m, points: p, steps: steps, testPoints: q, dimension: d, activation: activation,
                                          rankReduced: form)
        return JSONValue.object([
            ("neurons", .integer(r.neurons)), ("points", .integer(r.points)), ("test_points", .integer(q)), ("dimension", .integer(d)),
            ("activation", .string(activation.rawValue)), ("form", .string(r.rankReduced ? "rank" : "dense")), ("steps", .integer(r.steps)),
            ("median_seconds", .number(r.medianSeconds)), ("minimum_seconds", .number(r.minimumSeconds)),
            ("predictions", .array(r.predictions.map { .number($0) })),
        ]).serialized() + "\n"
    }
}
