import Foundation
import Numerics
import Simulation
import Studies
import Core

/// `adaptive-kernels verify bayes|antk|all ...`: independent numerical verification of the exact theory.
/// Dispatches on the first argument: `bayes`, `antk` (VerifyANTKCommand), `all`.
enum VerifyCommand {
    static let subcommand = Subcommand(name: "verify", summary: "numerical cross-checks of the exact theory (bayes: min-max and Langevin networks; antk: DMFT and gradient flow)",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels verify bayes [--quick | --smoke] [--seed S] [--format table|json] [--data DIR] [--case TEXT]
                                         [--perturb-exact R] [--shard I/N]
           adaptive-kernels verify minmax-step [--points P] [--depth L] [--samples N] [--activation A] [--repeat R] [--solver verifier|data] [--seed S]
           adaptive-kernels verify minmax-trace [--gamma G] [--beta B] [--depth L] [--samples N] [--iterations T] [--every K] [--seed S]
           adaptive-kernels verify bayes-kernels [--method langevin|minmax] [--activation A] [--gamma G] [--beta B] [--depth L]
                                                 [--width N] [--time T] [--samples N] [--iterations T] [--seed S] [--data DIR]
      bayes: min-max aNBK solver (Algorithm 1, importance sampling) and finite-width Langevin networks
        (widths 256..2048, extrapolated in 1/N) against the certified exact overlaps, a direct general-C
        saddle, and each other for ReLU/tanh (notes/verify-bayes.md). Every case ends pass, fail or
        inconclusive: pass when the difference is within k combined standard errors plus the stated
        systematic bounds, k the Student t quantile (the estimates' degrees of freedom) at the
        family-wise false-alarm rate 0.01 split over the reported cases (Bonferroni; also over the
        entries a case tests at once); inconclusive when a run spent its budget (runs that drift are
        rerun with a doubled budget first) before its stationarity test passed: no comparison is made.
        --quick: a reduced plan (at most about 2 CPU-minutes); --smoke: toy sizes, seconds (pipeline check).
        --data DIR: the digits subset (X_train.npy, y_train.npy, X_test.npy, y_test.npy) for the ReLU/tanh
        cases, first 8 training and 2 test points; default: the package's Tests/Fixtures/digits, found
        from the executable's or the source tree's location (not the working directory); missing: exit 2.
        --case TEXT: run only the cases whose name contains TEXT (case-insensitive); seeds are those of
        the whole plan (the Bonferroni family is the reported cases). No match: exit status 2.
        --perturb-exact R: multiply every exact reference value by (1 + R) before comparing (a power
        check: R = 0.05 must make every case with a nonzero exact value fail; the JSON gives each case's
        smallest detectable R, and why a case cannot detect it).
        --shard I/N: block I of N of the plan's steps (one per case or per group of cases sharing a run), as a
        shard document for 'adaptive-kernels merge', which gives the unsharded report and exit status.
        Exit status 0 all pass, 3 any case fails, 4 some inconclusive and none fails.
      minmax-step: time one min-max iteration (benchmark; bench/minmax_step.py; --solver data: the iteration of
        `anbk`, population sampler and CG inner step, bench/anbk_step.py; --seed S: the random numbers, default 1).
      minmax-trace: c_L at every K-th iteration of one min-max run, whitened linear problem (P = 3), from
        the lazy start (relaxation time for the burn-in).
      bayes-kernels: mean kernels Phi^1..Phi^L (JSON) of one Langevin run (width N, measured time T) or
        one min-max run (n samples, T iterations, the second half averaged) on the digits subset.
           adaptive-kernels verify all [--quick] [--seed S] [--format table|json] [--data DIR] [--perturb-exact R]
      all: the six verifiers with the same seed; one report (the aNTK cases, then the Bayesian, dynamics,
        NDK, fluctuations and CNN ones; each plan keeps its own family, so the false-alarm rate is the sum, 0.06);
        exit status as above.

    """ + VerifyANTKCommand.usage + "\n" + VerifyNDKCommand.usage + "\n" + VerifyDynamicsCommand.usage + "\n" + VerifyFluctuationsCommand.usage
        + "\n" + VerifyCNNCommand.usage

    static func run(_ arguments: [String]) throws -> String {
        guard let side = arguments.first else { throw UsageError("verify needs a side: bayes, antk, dynamics, ndk, fluctuations, cnn or all") }
        let rest = Array(arguments.dropFirst())
        switch side {
        case "bayes": return try VerifyBayes.run(rest)
        case "minmax-step": return try MinMaxStepBenchmark.run(rest)
        case "minmax-trace": return try MinMaxTrace.run(rest)
        case "bayes-kernels": return try BayesKernels.run(rest)
        case "antk": return try VerifyANTKCommand.run(rest)
        case "ndk": return try VerifyNDKCommand.run(rest)
        case "dynamics": return try VerifyDynamicsCommand.run(rest)
        case "fluctuations": return try VerifyFluctuationsCommand.run(rest)
        case "cnn": return try VerifyCNNCommand.run(rest)
        case "all": return try VerifyAll.run(rest)
        default: throw UsageError("unknown verify side '\(side)' (known: bayes, antk, dynamics, ndk, fluctuations, cnn, all)")
        }
    }
}

/// Options shared by `verify bayes`, `verify antk` and `verify all`.
struct VerifyOptions {
    var seed: UInt64 = 1
    var json = false
    var perturbation = 0.0
    var perturbationText = "0"
    /// The digits directory (explicit --data, else the package fixture).
    var dataDirectory: String? = nil
    /// `--shard I/N`: only that block of the plan's steps, written as a shard document for `merge`.
    var shard: Shard? = nil
    /// The options that define the run, for the shard document (ShardedOutput.canonicalArguments).
    var canonical = ""

    static let valued: Set<String> = ["seed", "format", "data", "perturb-exact", "shard"]

    /// Parses the shared options; `needsData`: locate the digits fixture (an error names the missing file).
    init(_ options: ParsedArguments, needsData: Bool) throws {
        if let text = options.value("seed") {
            guard let value = UInt64(text) else { throw UsageError("--seed must be a non-negative integer (got '\(text)')") }
            seed = value
        }
        json = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table) == .json
        shard = try ShardedOutput.parse(options)
        canonical = ShardedOutput.canonicalArguments(options)
        if let text = options.value("perturb-exact") {
            let r: BigRational
            do { r = try BigRational(parsing: text) } catch { throw UsageError("--perturb-exact: '\(text)' is not a number") }
            guard r > BigRational(-1), r < BigRational(1) else { throw UsageError("--perturb-exact must lie in (-1, 1) (got '\(text)')") }
            perturbation = r.doubleApproximation
            perturbationText = OutputContract.exactText(r)
        }
        if needsData || options.value("data") != nil {
            do { dataDirectory = try DigitsFixture.locate(explicit: options.value("data")) } catch let e as DigitsFixture.Missing {
                throw UsageError(DigitsFixture.flagged(e))
            }
        }
    }
}

enum VerifyBayes: VerifyPlanCommand {
    static let command = "verify bayes"
    static let title = "Bayesian verifier (notes/verify-bayes.md): exact theory vs min-max (Algorithm 1) vs Langevin networks (N -> inf)"

    /// The plan selected by `arguments`, parsed once.
    static func plan(_ arguments: [String]) throws -> (plan: BayesVerification, common: VerifyOptions, name: String) {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued.union(["case"]), switches: ["quick", "smoke"])
        guard !(options.has("quick") && options.has("smoke")) else { throw UsageError("--quick and --smoke exclude each other") }
        let common = try VerifyOptions(options, needsData: !options.has("smoke"))
        let planName = options.has("smoke") ? "smoke" : options.has("quick") ? "quick" : "full"
        var plan = options.has("smoke") ? BayesVerification.Plan.smoke(seed: common.seed)
            : options.has("quick") ? BayesVerification.Plan.quick(seed: common.seed) : BayesVerification.Plan.full(seed: common.seed)
        plan.digitsDirectory = common.dataDirectory
        if let filter = options.value("case") {
            guard !filter.isEmpty else { throw UsageError("--case needs a non-empty text") }
            plan.caseFilter = filter
        }
        return (BayesVerification(plan: plan), common, planName)
    }

    static func report(_ verification: BayesVerification, _ common: VerifyOptions, name: String) throws -> VerificationReport {
        guard try !verification.steps().isEmpty else {
            throw UsageError("--case '\(verification.plan.caseFilter ?? "")' matches no case of the \(name) plan")
        }
        let progress = Progress(label: command)
        defer { progress.finish() }
        let cases = try LinearAlgebra.withThreadCount(1) { try verification.run(shard: common.shard, progress: progress.reporter) }
        return VerificationReport(plan: "bayes --\(name)", seed: common.seed, cases: cases,
                                  perturbExact: common.perturbation, perturbExactText: common.perturbationText)
    }
}

/// Table and JSON renderings of a `VerificationReport` (output contract "adaptive-kernels/2"), and the exit status.
enum VerificationRendering {
    /// Decimal string with 17 significant digits (round-trips the double).
    static func decimal(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.17g", x) }

    static func short(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "-" }

    static func approximate(_ x: Double?) -> JSONValue {
        guard let x, x.isFinite else { return .null }
        return .object([("value", .string(decimal(x))), ("float", .number(x)), ("kind", .string("approximate"))])
    }

    static func estimated(_ e: Estimate) -> JSONValue {
        guard e.value.isFinite, e.standardError.isFinite, e.systematic.isFinite else { return .null }
        return .object([("value", .string(decimal(e.value))), ("float", .number(e.value)), ("kind", .string("estimated")),
                        ("standard_error", .string(decimal(e.standardError))), ("systematic", .string(decimal(e.systematic))),
                        ("degrees_of_freedom", .integer(e.degreesOfFreedom))])
    }

    static func optionalDecimal(_ x: Double?) -> JSONValue {
        guard let x, x.isFinite else { return .null }
        return .string(decimal(x))
    }

    static func caseJSON(_ c: VerificationCase) -> JSONValue {
        .object([
            ("name", .string(c.name)),
            ("group", .string(c.group)),
            ("verdict", .string(c.verdict.rawValue)),
            ("comparison", .string(c.comparison.rawValue)),
            ("exact", approximate(c.exact)),
            ("reference", c.exact == nil ? .null : approximate(c.reference)),
            ("estimates", .object(c.estimates.map { ($0.name, estimated($0.estimate)) })),
            ("tolerance", optionalDecimal(c.tolerance)),
            ("k", optionalDecimal(c.k)),
            ("comparisons", .integer(c.comparisons)),
            ("distance", optionalDecimal(c.distance)),
            ("smallest_detectable_perturbation", optionalDecimal(c.smallestDetectablePerturbation)),
            ("perturbation_note", c.perturbationNote.map { .string($0) } ?? .null),
            ("unconverged", c.unconverged.map { .string($0) } ?? .null),
            ("note", .string(c.note)),
        ])
    }

    static func json(_ report: VerificationReport, command: String) -> JSONValue {
        .object([
            ("schema", .string("adaptive-kernels/2")),
            ("version", .string(AdaptiveKernelsCommandLine.version)),
            ("command", .string(command)),
            ("plans", .array(report.plans.map { .string($0) })),
            ("seed", .integer(Int(clamping: report.seed))),
            ("perturb_exact", .string(report.perturbExactText)),
            ("false_alarm_rate", .string(decimal(report.falseAlarmRate))),
            ("verdict", .string(report.verdict.rawValue)),
            ("summary", .object([("pass", .integer(report.summary.pass)), ("fail", .integer(report.summary.fail)),
                                 ("inconclusive", .integer(report.summary.inconclusive))])),
            ("cases", .array(report.cases.map(caseJSON))),
        ])
    }

    static func cell(_ e: Estimate) -> String {
        guard e.value.isFinite else { return "-" }
        var s = String(format: "%.10g ± %.2g", e.value, e.standardError)
        if e.systematic > 0 { s += String(format: " +sys %.2g", e.systematic) }
        return s
    }

    static func table(_ report: VerificationReport, title: String) -> String {
        var lines = [title, "plans \(report.plans.joined(separator: ", ")), seed \(report.seed)"
                     + (report.perturbExact != 0 ? ", every exact value multiplied by (1 + \(report.perturbExactText))" : ""), ""]
        for c in report.cases {
            let verdict = c.verdict == .pass ? "pass" : c.verdict == .fail ? "FAIL" : "INCONCLUSIVE"
            lines.append("[\(verdict)] \(c.name)")
            var parts: [String] = []
            if let exact = c.exact { parts.append("exact " + short(exact) + (report.perturbExact != 0 ? " (reference \(short(c.reference)))" : "")) }
            parts += c.estimates.map { "\($0.name) \(cell($0.estimate))" }
            parts.append(String(format: "|diff| %@, tolerance %@ (k = %.2f)", short(c.distance), short(c.tolerance), c.k))
            if c.comparison == .differsFromExact { parts.append("must differ") }
            lines.append("    " + parts.joined(separator: " | "))
            if let u = c.unconverged { lines.append("    not converged: " + u) }
            if !c.note.isEmpty { lines.append("    " + c.note) }
        }
        lines.append("")
        lines.append("\(report.summary.pass) pass, \(report.summary.fail) fail, \(report.summary.inconclusive) inconclusive of \(report.cases.count) cases: \(report.verdict.rawValue)")
        lines.append(String(format: "family-wise false-alarm rate %@ (two-sided; Bonferroni over each plan's cases and over the entries a case tests at once; tolerance = k se + systematic, k the Student t quantile for the estimates' degrees of freedom)", decimal(report.falseAlarmRate)))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rendered report; a report that does not pass is thrown as a CommandFailure (exit 3 or 4) carrying it.
    static func finish(_ report: VerificationReport, command: String, json: Bool, title: String) throws -> String {
        let output = json ? VerificationRendering.json(report, command: command).serialized() + "\n" : table(report, title: title)
        guard report.verdict == .pass else {
            let failed = report.cases.filter { $0.verdict == .fail }.map(\.name)
            let message = report.verdict == .fail
                ? "\(command): \(failed.count) of \(report.cases.count) cases failed: " + failed.joined(separator: "; ")
                : "\(command): \(report.summary.inconclusive) of \(report.cases.count) cases inconclusive (a run did not reach stationarity), none failed"
            throw CommandFailure(message: message, standardOutput: output, exitCode: report.exitStatus)
        }
        return output
    }
}

/// `verify all`: the aNTK, Bayesian, dynamics, NDK, fluctuations and CNN verifiers in one run and one report.
enum VerifyAll {
    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: VerifyOptions.valued, switches: ["quick"])
        let common = try VerifyOptions(options, needsData: true)
        guard common.shard == nil else { throw UsageError("--shard: shard each plan (verify antk|bayes|dynamics|ndk ... --shard I/N), not verify all") }
        let antk = try VerifyANTKCommand.report(arguments)
        let bayes = try VerifyBayes.report(arguments)
        let dynamics = try VerifyDynamicsCommand.report(arguments)
        // The NDK plan has no digits data and no --data option: it gets the shared options without it.
        var ndkArguments: [String] = options.has("quick") ? ["--quick"] : []
        for key in ["seed", "format", "perturb-exact"] { if let value = options.value(key) { ndkArguments += ["--\(key)", value] } }
        let ndk = try VerifyNDKCommand.report(ndkArguments)
        // The fluctuations plan likewise takes the shared options without --data.
        let fluctuations = try VerifyFluctuationsCommand.report(ndkArguments)
        let cnn = try VerifyCNNCommand.report(arguments)
        let report = VerificationReport.concatenated([antk, bayes, dynamics, ndk, fluctuations, cnn])
        return try VerificationRendering.finish(report, command: "verify all", json: common.json,
                                                title: "aNTK, Bayesian, dynamics, NDK, fluctuations and CNN verifiers (notes/verify-antk.md, notes/verify-bayes.md, notes/dynamics-deep-linear.md, notes/neural-dynamical-kernel.md, notes/fluctuations-bayes.md, notes/cnn-two-layer.md)")
    }
}
