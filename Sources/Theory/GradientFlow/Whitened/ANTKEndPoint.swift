import Foundation
import Core
import Numerics

/// Which fixed point gradient flow from a unit-variance (N(0,1)) start reaches, by the end-point
/// rule (A27)–(A32) of notes/antk-deep-linear.md.
public struct ANTKEndPoint: Sendable, Equatable {
    public enum Branch: String, Sendable { case collapse, upper }

    /// How far the verdict can be trusted (the project's three kinds of numbers).
    public enum Kind: String, Sendable {
        /// Decided by exact arithmetic on the inputs alone (L = 1, gamma <= gamma_c).
        case certified
        /// Decided by comparing gamma/lambda with (L-1) tau*_L where tau*_L is a DMFT estimate
        /// (value +- error): the verdict is as sure as that estimate's error bar (outside the band).
        case estimated
        /// A heuristic: gamma/lambda inside the error band of (L-1) tau*_L (decided by the central
        /// value), no tau*_L for this depth, the exact saddle node, or the upper branch (whose
        /// condition (A32) is necessary, not sufficient).
        case approximate
    }

    public let branch: Branch
    public let kind: Kind
    /// The rule applied, in words.
    public let rule: String

    /// True only for `kind == .certified` (kept for renderers that show a mark for non-certified verdicts).
    public var certified: Bool { kind == .certified }

    public init(branch: Branch, kind: Kind, rule: String) {
        self.branch = branch
        self.kind = kind
        self.rule = rule
    }

    /// Blow-up time tau*_L of the universal flow Psi_L at N = infinity (A31): value and error, from
    /// the deep linear DMFT with lambda = 0, gamma = 1, Delta = 1 (notes/verify-antk.md (GV15), (GV16);
    /// `adaptive-kernels antk-blowup`, Verify.ANTKBlowUpTime: Richardson-extrapolated Euler grids of
    /// 100...800 steps). The error is the Richardson difference plus the approach-to-blow-up bound.
    public static let blowUpTimes: [Int: (value: Double, error: Double)] = [
        2: (1.16803, 0.00011), 3: (0.59274, 0.00008), 4: (0.38734, 0.00008), 5: (0.28161, 0.00016),
        6: (0.21767, 0.00020), 7: (0.17518, 0.00021), 8: (0.14513, 0.00019),
    ]

    /// Half-width of the band around (L-1) tau*_L, in errors (three standard errors, as the verifier).
    public static let bandErrors = 3.0

    static func predict(_ problem: WhitenedANTKProblem, count: ANTKPolynomials.BranchCount) -> ANTKEndPoint {
        let l = problem.depth
        if l == 1 {
            // (A27): exact at N = infinity; no dynamical condition for L = 1 (Psi_1 = sinh 2 tau).
            return count == .one
                ? ANTKEndPoint(branch: .upper, kind: .certified, rule: "L = 1, gamma > lambda: the flow (A27) ends on u = 1 - lambda/gamma")
                : ANTKEndPoint(branch: .collapse, kind: .certified, rule: "L = 1, gamma <= lambda: collapse is the only fixed point (A10, A26)")
        }
        switch count {
        case .none, .one:
            return ANTKEndPoint(branch: .collapse, kind: .certified,
                                rule: "gamma < gamma_c (A17): collapse is the only fixed point of the gradient flow")
        case .doubleRoot:
            return ANTKEndPoint(branch: .collapse, kind: .approximate,
                                rule: "gamma = gamma_c exactly (A17): the only nontrivial point is a semistable saddle node; the balanced flow (A19) cannot reach it from below")
        case .two:
            let ratio = (problem.gamma / problem.lambda).doubleApproximation
            guard let tau = blowUpTimes[l] else {
                return ANTKEndPoint(branch: .upper, kind: .approximate,
                                    rule: "gamma > gamma_c (A17); tau*_\(l) (A31) is computed for L = 2...8 only, so the dynamical condition gamma/lambda >~ (L-1) tau*_L (A32) is not checked")
            }
            let low = Double(l - 1) * (tau.value - bandErrors * tau.error), high = Double(l - 1) * (tau.value + bandErrors * tau.error)
            let text = String(format: "gamma/lambda = %.6g vs (L-1) tau*_%d = %.6g (tau*_%d = %.5f +- %.1e at N = infinity, A31; band %.6g...%.6g)",
                              ratio, l, Double(l - 1) * tau.value, l, tau.value, tau.error, low, high)
            if ratio < low {
                // tau(t) <= gamma/(lambda (L-1)) < tau*_L: Psi_L stays finite and u -> 0 (A32).
                // Estimated, not certified: the side of (A32) rests on the DMFT estimate of tau*_L.
                return ANTKEndPoint(branch: .collapse, kind: .estimated,
                                    rule: "estimated (tau*_L is a DMFT estimate): learning budget gamma/(lambda (L-1)) below tau*_L: collapse (A32); " + text)
            }
            if ratio <= high {
                let central = Double(l - 1) * tau.value
                return ANTKEndPoint(branch: ratio < central ? .collapse : .upper, kind: .approximate,
                                    rule: "approximate: the learning budget is within the error band of tau*_L, so the side of (A32) is decided by the central value; " + text)
            }
            return ANTKEndPoint(branch: .upper, kind: .approximate,
                                rule: "gamma > gamma_c and the learning budget exceeds tau*_L: upper branch; " + text
                                    + "; approximate: the budget condition is necessary, not sufficient; the 1-D ODE (A30) with a finite-N Psi_2 puts the boundary higher (L = 2, lambda = 4: gamma 5.20 vs 4.67)")
        }
    }
}
