import Foundation
import Core

/// Blow-up time tau*_L of the lambda-free universal flow Psi_L (notes/antk-deep-linear.md (A29),
/// (A31)) at N = infinity, from the deep linear DMFT (GV5)-(GV12) with lambda = 0, gamma = 1 and the
/// residual held at Delta = 1 (notes/verify-antk.md (GV15)): then the flow of every weight is
/// d theta/dt = N grad F(theta), which is (A29) with tau = t, and f = F = Psi_L.
///
/// Method (notes/verify-antk.md (GV16)):
/// 1. Psi_L on grids with n0, 2 n0, 4 n0, ... steps over [0, H]; the Euler DMFT has an error
///    expansion in powers of dt, removed by Richardson extrapolation at the common (coarse) times.
/// 2. Blow-up estimator (A31): Psi ~ [(L-1)(tau* - tau)]^{-(L+1)/(L-1)}, so
///    est(tau) = tau + Psi(tau)^{-(L-1)/(L+1)} / (L-1) -> tau* as tau -> tau*.
/// 3. Errors at each coarse time: dt error = |est(best Richardson) - est(one level less)|;
///    convergence error = |est(tau) - est(tau')| with tau* - tau' = 2 (tau* - tau) (for a power-law
///    approach est - tau* ~ c (tau* - tau)^r, r >= 1, this bounds the remaining tail). The time with
///    the smallest sum is reported; its error is that sum.
public struct ANTKBlowUpTime: Sendable {
    public let depth: Int

    public init(depth: Int) {
        precondition(depth >= 2, "Psi_1 = sinh(2 tau) does not blow up")
        self.depth = depth
    }

    /// Psi_L(k dt), k = 0...steps (GV15).
    public static func psi(depth: Int, timeStep: Double, steps: Int) -> [Double] {
        ANTKDeepLinearDMFT(depth: depth, gamma: 1, lambda: 0, timeStep: timeStep, steps: steps, frozenResidual: 1).solve().predictions
    }

    public struct Estimate: Sendable {
        public let depth: Int
        public let value: Double
        public let error: Double
        /// Parts of the error: Richardson (time step) and approach to the blow-up.
        public let stepError: Double
        public let convergenceError: Double
        /// The time at which the estimator was read, the horizon H and the grids used.
        public let readAt: Double
        public let horizon: Double
        public let steps: [Int]
        /// Psi_L'(0) from the extrapolated first step (A29: L + 1).
        public let initialSlope: Double
        /// Local exponent check (A31): d ln Psi / d ln(tau* - tau) at readAt, expected -(L+1)/(L-1).
        public let exponent: Double
    }

    func estimator(_ psi: Double, _ tau: Double) -> Double {
        tau + pow(psi, -Double(depth - 1) / Double(depth + 1)) / Double(depth - 1)
    }

    /// Rough tau* (and so the horizon) from one coarse Euler grid: the minimum of est(tau).
    public func roughBlowUp(steps: Int = 200) -> Double {
        let horizon = 2.5 / Double(depth - 1), dt = horizon / Double(steps)
        let psi = ANTKBlowUpTime.psi(depth: depth, timeStep: dt, steps: steps)
        var best = Double.infinity
        for k in 1...steps where psi[k].isFinite && psi[k] > 0 { best = min(best, estimator(psi[k], Double(k) * dt)) }
        return best
    }

    /// Full estimate: horizon H = `reach` x rough tau*, grids n0 * 2^i steps, i < levels.
    public func estimate(coarseSteps n0: Int = 100, levels: Int = 4, reach: Double = 0.96, roughSteps: Int = 200) -> Estimate {
        precondition(levels >= 2 && n0 >= 10)
        let horizon = reach * roughBlowUp(steps: roughSteps)
        let steps = (0..<levels).map { n0 << $0 }
        let runs = steps.map { ANTKBlowUpTime.psi(depth: depth, timeStep: horizon / Double($0), steps: $0) }
        // Richardson table at the coarse times: R[0] = finest raw, R[i] uses i eliminations of dt^1..dt^i.
        var best = [Double](repeating: 0, count: n0 + 1), previous = best
        for k in 0...n0 {
            var column = (0..<levels).map { runs[$0][k << $0] }          // coarse -> fine
            var last = column.last!, beforeLast = column.last!
            for order in 1..<levels {
                let factor = pow(2.0, Double(order))
                column = (0..<(column.count - 1)).map { (factor * column[$0 + 1] - column[$0]) / (factor - 1) }
                beforeLast = last
                last = column.last!
            }
            best[k] = last
            previous[k] = beforeLast
        }
        let dt = horizon / Double(n0)
        var chosen = (k: n0, total: Double.infinity, step: 0.0, conv: 0.0)
        for k in 1...n0 {
            let tau = Double(k) * dt
            guard best[k] > 0, previous[k] > 0 else { continue }
            let e = estimator(best[k], tau)
            let step = abs(e - estimator(previous[k], tau))
            let far = 2 * tau - e                                     // tau* - far = 2 (tau* - tau)
            guard far > dt else { continue }
            let j = Int((far / dt).rounded(.down))
            let w = far / dt - Double(j)
            let eFar = (1 - w) * estimator(best[j], Double(j) * dt) + w * estimator(best[j + 1], Double(j + 1) * dt)
            let conv = abs(e - eFar)
            if step + conv < chosen.total { chosen = (k, step + conv, step, conv) }
        }
        let k = chosen.k, tau = Double(k) * dt
        let value = estimator(best[k], tau)
        let exponent = (log(best[k]) - log(best[k - 1])) / (log(value - tau) - log(value - tau + dt))
        return Estimate(depth: depth, value: value, error: chosen.total, stepError: chosen.step, convergenceError: chosen.conv,
                        readAt: tau, horizon: horizon, steps: steps, initialSlope: best[1] / dt, exponent: exponent)
    }
}
