import Foundation
import Numerics

/// Which fixed point gradient flow from a unit-variance (N(0,1)) start reaches, by the end-point
/// rule (A27)–(A32) of notes/antk-deep-linear.md.
public struct ANTKEndPoint: Sendable, Equatable {
    public enum Branch: String, Sendable { case collapse, upper }

    public let branch: Branch
    /// False when the verdict rests on the finite-N estimate of tau*_L (A31) or on none at all.
    public let certified: Bool
    /// The rule applied, in words.
    public let rule: String

    /// Finite-N estimates of the blow-up time tau*_L of the universal flow Psi_L (A31):
    /// value and spread over seeds / widths. Not certified.
    public static let blowUpTimeEstimates: [Int: (value: Double, spread: Double)] = [2: (1.14, 0.02), 3: (0.61, 0.02)]

    static func predict(_ problem: WhitenedANTKProblem, count: ANTKPolynomials.BranchCount) -> ANTKEndPoint {
        let l = problem.depth
        if l == 1 {
            // (A27): exact at N = infinity; no dynamical condition for L = 1 (Psi_1 = sinh 2 tau).
            return count == .one
                ? ANTKEndPoint(branch: .upper, certified: true, rule: "L = 1, gamma > lambda: the flow (A27) ends on u = 1 - lambda/gamma")
                : ANTKEndPoint(branch: .collapse, certified: true, rule: "L = 1, gamma <= lambda: collapse is the only fixed point (A10, A26)")
        }
        switch count {
        case .none, .one:
            return ANTKEndPoint(branch: .collapse, certified: true,
                                rule: "gamma < gamma_c (A17): collapse is the only fixed point of the gradient flow")
        case .doubleRoot:
            return ANTKEndPoint(branch: .collapse, certified: false,
                                rule: "gamma = gamma_c exactly (A17): the only nontrivial point is a semistable saddle node; the balanced flow (A19) cannot reach it from below")
        case .two:
            let ratio = (problem.gamma / problem.lambda).doubleApproximation
            guard let tau = blowUpTimeEstimates[l] else {
                return ANTKEndPoint(branch: .upper, certified: false,
                                    rule: "gamma > gamma_c (A17); tau*_\(l) (A31) is not estimated for L >= 4, so the dynamical condition gamma/lambda >~ (L-1) tau*_L (A32) is not checked")
            }
            let threshold = Double(l - 1) * tau.value
            let text = String(format: "gamma/lambda = %.6g vs (L-1) tau*_%d ~ %.3g (tau* = %.2f +- %.2f, finite-N estimate, A31-A32)",
                              ratio, l, threshold, tau.value, tau.spread)
            if ratio < threshold {
                return ANTKEndPoint(branch: .collapse, certified: false,
                                    rule: "learning budget gamma/(lambda (L-1)) below tau*_L: collapse; " + text)
            }
            return ANTKEndPoint(branch: .upper, certified: false,
                                rule: "gamma > gamma_c and the learning budget exceeds tau*_L: upper branch; " + text
                                    + "; near the boundary the 1-D ODE (A30) puts it higher (L = 2, lambda = 4: 5.20 vs 4.59)")
        }
    }
}
