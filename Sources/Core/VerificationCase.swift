import Foundation

/// One pass/fail cross-check: an exact value (or none, when a numerical solver is the reference),
/// named estimates with error bars, the tolerance derived from them and the verdict.
public struct VerificationCase: Sendable {
    public struct NamedEstimate: Sendable {
        public let name: String
        public let estimate: Estimate
        public init(name: String, estimate: Estimate) { self.name = name; self.estimate = estimate }
    }

    public init(name: String, exact: Double?, estimates: [NamedEstimate], tolerance: Double, pass: Bool, note: String) {
        self.name = name; self.exact = exact; self.estimates = estimates; self.tolerance = tolerance; self.pass = pass; self.note = note
    }

    public let name: String
    public let exact: Double?
    public let estimates: [NamedEstimate]
    public let tolerance: Double
    public let pass: Bool
    public let note: String

    /// Familywise two-sided false-failure probability of one case (notes eq. V20).
    public static let falseFailureProbability = 0.002

    /// Standard errors allowed for a case of `comparisons` simultaneous comparisons: the Student t
    /// quantile (batch means with B batches: B - 1 degrees of freedom) at p / comparisons (Bonferroni).
    public static func standardErrors(comparisons: Int = 1) -> Double {
        StudentT.twoSidedQuantile(p: falseFailureProbability / Double(max(1, comparisons)), dof: BatchMeans.defaultBatches - 1)
    }

    /// Compares `measured` against an exact value: |m - exact| <= k se + systematic.
    public static func against(exact: Double, name: String, measured: NamedEstimate, failure: String?, note: String = "",
                               comparisons: Int = 1) -> VerificationCase {
        let tolerance = measured.estimate.tolerance(k: standardErrors(comparisons: comparisons))
        let ok = failure == nil && abs(measured.estimate.value - exact) <= tolerance
        return VerificationCase(name: name, exact: exact, estimates: [measured], tolerance: tolerance, pass: ok,
                                note: failure.map { "NOT CONVERGED: " + $0 } ?? note)
    }

    /// Compares two estimates: |a - b| <= k sqrt(se_a^2 + se_b^2) + sys_a + sys_b.
    public static func between(_ a: NamedEstimate, _ b: NamedEstimate, name: String, exact: Double? = nil, failure: String?,
                               note: String = "") -> VerificationCase {
        let se = (a.estimate.standardError * a.estimate.standardError + b.estimate.standardError * b.estimate.standardError).squareRoot()
        let k = standardErrors()
        let tolerance = k * se + a.estimate.systematic + b.estimate.systematic
        var ok = failure == nil && abs(a.estimate.value - b.estimate.value) <= tolerance
        if let exact, ok {
            ok = abs(a.estimate.value - exact) <= a.estimate.tolerance(k: k)
                && abs(b.estimate.value - exact) <= b.estimate.tolerance(k: k)
        }
        return VerificationCase(name: name, exact: exact, estimates: [a, b], tolerance: tolerance, pass: ok,
                                note: failure.map { "NOT CONVERGED: " + $0 } ?? note)
    }
}
