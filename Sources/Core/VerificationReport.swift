import Foundation

/// The report of a verification plan (or of several, concatenated): the cases with their verdicts,
/// the plan's verdict and the per-verdict counts. Built once; renderers (table, JSON) only read it.
public struct VerificationReport: Sendable, Codable {
    public struct Summary: Sendable, Codable, Equatable {
        public var pass = 0, fail = 0, inconclusive = 0
        public init(_ verdicts: [Verdict]) {
            for v in verdicts {
                switch v { case .pass: pass += 1; case .fail: fail += 1; case .inconclusive: inconclusive += 1 }
            }
        }
    }

    /// Plans in the report, e.g. ["antk"] or ["antk", "bayes"].
    public var plans: [String]
    public var seed: UInt64
    /// The relative perturbation R of every exact value, as given (exact decimal text) and as a double.
    public var perturbExactText: String
    public var perturbExact: Double
    /// Family-wise two-sided false-alarm rate: the probability that some case fails when every
    /// estimate is right within its stated systematic bounds (Bonferroni; a sum over concatenated plans).
    public var falseAlarmRate: Double
    public var cases: [VerificationCase]
    public var verdicts: [Verdict]
    public var verdict: Verdict
    public var summary: Summary

    /// Puts `cases` in one family of size cases.count at rate `falseAlarmRate` and applies the perturbation.
    public init(plan: String, seed: UInt64, cases: [VerificationCase], falseAlarmRate: Double = VerificationCase.defaultFalseAlarmRate,
                perturbExact: Double = 0, perturbExactText: String = "0") {
        var family = cases
        for i in family.indices {
            family[i].familySize = cases.count
            family[i].falseAlarmRate = falseAlarmRate
            family[i].perturbation = perturbExact
        }
        self.init(plans: [plan], seed: seed, perturbExact: perturbExact, perturbExactText: perturbExactText,
                  falseAlarmRate: falseAlarmRate, cases: family)
    }

    private init(plans: [String], seed: UInt64, perturbExact: Double, perturbExactText: String, falseAlarmRate: Double,
                 cases: [VerificationCase]) {
        self.plans = plans; self.seed = seed; self.perturbExact = perturbExact; self.perturbExactText = perturbExactText
        self.falseAlarmRate = falseAlarmRate; self.cases = cases
        verdicts = cases.map(\.verdict)
        verdict = Verdict.combined(verdicts)
        summary = Summary(verdicts)
    }

    /// Several plans' reports as one: the cases in order, each keeping its own plan's family, so the
    /// verdicts are those of the separate reports and the rates add up (Bonferroni over the plans).
    public static func concatenated(_ reports: [VerificationReport]) -> VerificationReport {
        precondition(!reports.isEmpty)
        return VerificationReport(plans: reports.flatMap(\.plans), seed: reports[0].seed, perturbExact: reports[0].perturbExact,
                                  perturbExactText: reports[0].perturbExactText,
                                  falseAlarmRate: reports.map(\.falseAlarmRate).reduce(0, +), cases: reports.flatMap(\.cases))
    }

    /// The whole plan's report from its shards' reports, given in shard order: the cases
    /// concatenated and put back into one family (the plan's size, its false-alarm rate), so every
    /// tolerance and verdict is the unsharded run's. The shards must come from one plan, seed and
    /// perturbation (the caller checks).
    public static func merged(shards: [VerificationReport]) -> VerificationReport {
        precondition(!shards.isEmpty)
        let first = shards[0]
        return VerificationReport(plan: first.plans.joined(separator: " + "), seed: first.seed, cases: shards.flatMap(\.cases),
                                  falseAlarmRate: first.falseAlarmRate, perturbExact: first.perturbExact,
                                  perturbExactText: first.perturbExactText)
    }

    public var exitStatus: Int32 { verdict.exitStatus }
}
