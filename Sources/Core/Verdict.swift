/// The outcome of one verification case, and of a whole plan (notes/verify-bayes.md section 5,
/// notes/verify-antk.md section 3).
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The estimates agree with the reference within the tolerance (or, for a negative control,
    /// differ from it by more).
    case pass
    /// Every run converged and the estimates disagree beyond the tolerance.
    case fail
    /// Some run spent its budget before its own stationarity test passed: no comparison is made.
    case inconclusive

    /// The plan's verdict: fail if any case fails, else inconclusive if any is, else pass.
    public static func combined<S: Sequence>(_ verdicts: S) -> Verdict where S.Element == Verdict {
        var sawInconclusive = false
        for v in verdicts {
            if v == .fail { return .fail }
            if v == .inconclusive { sawInconclusive = true }
        }
        return sawInconclusive ? .inconclusive : .pass
    }

    /// Exit status of a verification command: 0 all pass, 3 any fail, 4 inconclusive without fail.
    public var exitStatus: Int32 {
        switch self {
        case .pass: return 0
        case .fail: return 3
        case .inconclusive: return 4
        }
    }
}
