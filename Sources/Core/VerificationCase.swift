import Foundation

/// One cross-check of a verification plan: a reference (an exact value, or a second estimate), the
/// estimates with their error bars, the tolerance derived from them and the verdict.
///
/// Tolerance (notes/verify-bayes.md (V20)): k standard errors plus the systematic bounds, with k the
/// two-sided Student t quantile (the estimates' degrees of freedom) at p = alpha / (m c): alpha the
/// plan's family-wise false-alarm rate, m the number of cases in the plan and c the comparisons made
/// inside this case at once (Bonferroni). A case whose run did not reach stationarity is
/// inconclusive: it is never compared, so non-convergence is never a disagreement nor a pass.
public struct VerificationCase: Sendable, Codable {
    public struct NamedEstimate: Sendable, Codable {
        public let name: String
        public let estimate: Estimate
        public init(name: String, estimate: Estimate) { self.name = name; self.estimate = estimate }
    }

    public enum Comparison: String, Sendable, Codable {
        /// The estimate lies within the tolerance of the exact value.
        case agreesWithExact = "agrees_with_exact"
        /// Two estimates lie within the tolerance of each other (no exact value).
        case estimatesAgree = "estimates_agree"
        /// A negative control: the estimate differs from the exact value by more than the tolerance.
        case differsFromExact = "differs_from_exact"
        /// The estimate lies inside the basin around the exact value by k standard errors: the
        /// tolerance is the basin's half-width (`fixedTolerance`) minus k se minus the systematic bound.
        case insideBasin = "inside_basin"
    }

    /// Family-wise false-alarm rate of one plan when none is given (two-sided, all cases together).
    public static let defaultFalseAlarmRate = 0.01

    public var name: String
    /// The plan's group of the case (e.g. "linear", "minmax_whitened").
    public var group: String
    public var comparison: Comparison
    public var exact: Double?
    public var estimates: [NamedEstimate]
    /// Comparisons made inside this case at once (e.g. every kernel entry): a Bonferroni factor.
    public var comparisons: Int
    /// A tolerance that is not built from the error bars (a deterministic comparison, a basin width).
    public var fixedTolerance: Double?
    /// Non-nil when some run spent its budget before its stationarity test passed: what was reached.
    public var unconverged: String?
    public var note: String
    /// Why a relative perturbation of the exact value cannot be detected here (nil: it can be).
    public var perturbationNote: String?

    /// Set by `VerificationReport`: cases in the family, the family-wise rate, and the relative
    /// perturbation R applied to the exact value (the reference is exact (1 + R)).
    public var familySize: Int = 1
    public var falseAlarmRate: Double = VerificationCase.defaultFalseAlarmRate
    public var perturbation: Double = 0

    public init(name: String, group: String, comparison: Comparison, exact: Double?, estimates: [NamedEstimate],
                comparisons: Int = 1, fixedTolerance: Double? = nil, unconverged: String? = nil, note: String = "",
                perturbationNote: String? = nil) {
        precondition(comparison == .estimatesAgree ? estimates.count == 2 && exact == nil : estimates.count == 1 && exact != nil,
                     "a comparison with an exact value has one estimate, one between estimates has two")
        self.name = name; self.group = group; self.comparison = comparison; self.exact = exact; self.estimates = estimates
        self.comparisons = max(1, comparisons); self.fixedTolerance = fixedTolerance; self.unconverged = unconverged
        self.note = note
        self.perturbationNote = perturbationNote ?? (exact == 0 ? "the exact value is 0: a relative perturbation leaves it unchanged" : nil)
    }

    /// The estimate `measured` against an exact value; `failure` (a run that did not converge) makes it inconclusive.
    public static func against(exact: Double, name: String, group: String = "", measured: NamedEstimate, failure: String?,
                               note: String = "", comparisons: Int = 1, perturbationNote: String? = nil) -> VerificationCase {
        VerificationCase(name: name, group: group, comparison: .agreesWithExact, exact: exact, estimates: [measured],
                         comparisons: comparisons, unconverged: failure, note: note, perturbationNote: perturbationNote)
    }

    /// Two estimates against each other.
    public static func between(_ a: NamedEstimate, _ b: NamedEstimate, name: String, group: String = "", failure: String?,
                               note: String = "") -> VerificationCase {
        VerificationCase(name: name, group: group, comparison: .estimatesAgree, exact: nil, estimates: [a, b],
                         unconverged: failure, note: note)
    }

    /// Student t quantile for `comparisons` simultaneous comparisons in a family of `familySize`
    /// cases at family-wise rate `rate`, with `degreesOfFreedom` (V20).
    public static func standardErrors(comparisons: Int = 1, familySize: Int = 1, rate: Double = defaultFalseAlarmRate,
                                      degreesOfFreedom: Int = Estimate.batchMeansDegreesOfFreedom) -> Double {
        StudentT.twoSidedQuantile(p: rate / Double(max(1, comparisons) * max(1, familySize)), dof: max(1, degreesOfFreedom))
    }

    /// The k of this case's tolerance (degrees of freedom: the smallest among its estimates).
    public var k: Double {
        VerificationCase.standardErrors(comparisons: comparisons, familySize: familySize, rate: falseAlarmRate,
                                        degreesOfFreedom: estimates.map(\.estimate.degreesOfFreedom).min() ?? 1)
    }

    public var tolerance: Double {
        let e = estimates.map(\.estimate)
        if comparison == .insideBasin { return (fixedTolerance ?? 0) - e[0].tolerance(k: k) }
        if let fixedTolerance { return fixedTolerance }
        if comparison == .estimatesAgree {
            let se = (e[0].standardError * e[0].standardError + e[1].standardError * e[1].standardError).squareRoot()
            return k * se + e[0].systematic + e[1].systematic
        }
        return e[0].tolerance(k: k)
    }

    /// The value compared against: exact (1 + R), or the first estimate for a comparison of two estimates.
    public var reference: Double {
        if let exact { return exact * (1 + perturbation) }
        return estimates[0].estimate.value
    }

    /// |estimate - reference| (or |a - b|).
    public var distance: Double {
        comparison == .estimatesAgree ? abs(estimates[0].estimate.value - estimates[1].estimate.value)
            : abs(estimates[0].estimate.value - reference)
    }

    public var verdict: Verdict {
        if unconverged != nil { return .inconclusive }
        let d = distance, t = tolerance
        guard d.isFinite, t.isFinite else { return .fail }
        return comparison == .differsFromExact ? (d > t ? .pass : .fail) : (d <= t ? .pass : .fail)
    }

    /// The smallest |R| for which exact (1 + R) is certain to flip this run's verdict to fail
    /// ((tolerance + |estimate - exact|) / |exact|); nil without a nonzero exact value or for a negative control.
    public var smallestDetectablePerturbation: Double? {
        guard comparison == .agreesWithExact, let exact, exact != 0 else { return nil }
        return (tolerance + abs(estimates[0].estimate.value - exact)) / abs(exact)
    }
}
