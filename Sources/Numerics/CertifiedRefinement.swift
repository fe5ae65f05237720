/// The one "refine until printable" loop of the certified solvers, with its named bit allowances
/// (notes/numerics-intervals.md, "Refinement until printable", (N1)–(N5)).
///
/// A certified solver isolates its roots, then asks for enclosures of relative width 2^-T with
/// T = `digitBits(digits)` + a depth allowance, evaluates every printed quantity and checks that its
/// enclosure decides the correctly rounded decimal. When one does not (a value extremely close to
/// a rounding boundary, or an enclosure widened by cancellation), T is raised by 64 · 2^k on the
/// k-th retry, at most `retries` times; past that the precision budget is spent and the solver
/// reports it (exit status 3) with the reason.
public enum CertifiedRefinement {
    /// (N1) Bits for `digits` significant decimal digits plus three guard digits:
    /// ceil((D + 3) log2 10), so that the enclosure of a value not within 10^-(D+3) (relative) of a
    /// rounding boundary decides its D-digit rounding at the first try.
    public static func digitBits(_ digits: Int) -> Int { Int((Double(digits) + 3) * 3.3219280948873623) }

    /// (N2) Bits of the depth L: ceil(log2(L + 1)); powers s^L lose up to about 2L units of the last
    /// place (eq. K2), i.e. depthBits + 1 bits, so allowances are stated as multiples of it.
    public static func depthBits(_ depth: Int) -> Int { Int.bitWidth - max(depth, 0).leadingZeroBitCount }

    /// (N3) Guard bits of root refinement beyond the target: 48 + 2 depthBits (the derivative of a
    /// degree-2L function and the power both lose up to depthBits + 1 bits; 48 more absorb the
    /// Newton step's own rounding with the 16-bit margin of the probe).
    public static func rootGuardBits(depthBits: Int) -> Int { 48 + 2 * depthBits }

    /// (N4) Retries after the first attempt: the target grows by 64 (2^retries − 1) = 4032 bits in all.
    public static let retries = 6

    /// (N4) The increase of the target before retry k (k = 0, 1, ...): 64 · 2^k bits.
    public static func increment(retry k: Int) -> Int { 64 << k }

    /// (N5) Precision of the enclosures of derived quantities at a refined root: the target plus
    /// 32 bits plus the power's loss 2 depthBits (the same as the root's guard less its Newton part).
    public static func derivedPrecision(targetBits: Int, depthBits: Int) -> Int { targetBits + 32 + 2 * depthBits }

    /// What one attempt at a target produced.
    public enum Outcome<Value> {
        /// Every printed quantity is decided.
        case printable(Value)
        /// Every digit is decided but an order between equal-looking values (dominance) is not;
        /// accepted once the budget is spent (a tie to the working precision, reported as such).
        case orderUndecided(Value)
        /// Some printed quantity is not decided; the reason names it.
        case undecided(String)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The precision budget (N4) was spent before the enclosures decided the printed digits.
        case budgetSpent(String)

        public var description: String {
            switch self {
            case .budgetSpent(let what): return "precision budget spent: \(what)"
            }
        }
    }

    /// Runs `attempt` at `initialTargetBits`, raising the target by `increment(retry:)` until the
    /// outcome is printable (or only an order is undecided after the last retry).
    public static func run<Value>(initialTargetBits: Int, retries: Int = CertifiedRefinement.retries,
                                  _ attempt: (Int) throws -> Outcome<Value>) throws -> Value {
        var targetBits = initialTargetBits
        for retry in 0...retries {
            switch try attempt(targetBits) {
            case .printable(let value):
                return value
            case .orderUndecided(let value):
                if retry == retries { return value }
            case .undecided(let what):
                if retry == retries {
                    throw Failure.budgetSpent("\(what) after \(targetBits) bits (budget: the digits' bits + \(64 * ((1 << retries) - 1)))")
                }
            }
            targetBits += increment(retry: retry)
        }
        throw Failure.budgetSpent("no attempt made")
    }
}
