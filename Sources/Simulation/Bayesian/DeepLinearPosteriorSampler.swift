import Foundation
import Core
import Numerics

/// Exact Markov chain Monte Carlo for the posterior of a width-N deep linear network on P training
/// points (notes/verify-bayes.md (V21)-(V22); notes/fluctuations-bayes.md (FB1)), for checking
/// finite-width fluctuations: no time-step bias, so N x (E c - c_inf) can be measured at large N.
///
/// The network's preactivations on the training points are written in non-centred form,
/// h^1 = Z^1 R_0^T and h^{l+1} = Z^{l+1} R_l^T with R_l R_l^T = Phi^l = h^{lT} h^l / N (Cholesky),
/// Z^l i.i.d. N(0, 1) (N x P each): under the N(0, 1) weight prior this is the exact joint law of the
/// preactivations, the weights integrated out (FB13). The posterior tilts it by the readout marginal
/// (V22), exp(ell) with ell = -1/2 ln det(Phi^L + b I) - gamma^2 N/2 y^T (Phi^L + b I)^{-1} y, which
/// depends on Z^l only through its Gram matrix Z^{lT} Z^l = T_l T_l^T (Bartlett factor T_l, lower
/// triangular: (T_l)_aa^2 ~ chi^2_{N-a}, (T_l)_ab ~ N(0, 1) below the diagonal, all independent under
/// the prior). So R_l = R_0 T_1 ... T_l / N^{l/2} exactly, and the chain runs on the L P (P + 1)/2
/// Bartlett variables instead of the L N P preactivation variables (FB22): one sweep costs O(L^2 P^5)
/// whatever the width, and each variable's posterior spread is a width-independent multiple of the
/// walk's tuned step, so the chain decorrelates in a number of sweeps that does not grow with N (FB23).
/// Each sweep updates every variable once by Metropolis-Hastings with a Gaussian random walk: below the
/// diagonal on t itself (prior N(0, 1), ratio exp(ell' - ell - (t'^2 - t^2)/2)); on the diagonal on
/// u = ln (T_l)_aa^2, with the prior density of u, exp(k u/2 - e^u/2) for k = N - a degrees of freedom,
/// in the ratio. The two step sizes are tuned during burn-in only (acceptance 0.3-0.6), then frozen, so
/// the measured chain is exact.
///
/// Failure modes: a kernel that is not numerically positive definite ends the run with `failure` set;
/// nothing is silently dropped.
public struct DeepLinearPosteriorSampler: Sendable {
    public struct Settings: Sendable {
        public var width: Int
        /// Sweeps (one Metropolis-Hastings update of each of the L P (P + 1)/2 variables).
        public var burnInSweeps: Int
        public var measuredSweeps: Int
        public var recordEvery: Int
        public var seed: UInt64
        public init(width: Int, burnInSweeps: Int, measuredSweeps: Int, recordEvery: Int = 1, seed: UInt64) {
            self.width = width; self.burnInSweeps = burnInSweeps; self.measuredSweeps = measuredSweeps
            self.recordEvery = recordEvery; self.seed = seed
        }
    }

    /// Recorded overlaps y^T Phi^l y / |y|^2 per layer (l = 1...L), the acceptance rate after burn-in
    /// (all updates) and the frozen step of the off-diagonal variables' random walk.
    public struct Run: Sendable {
        public var overlapSeries: [[Double]]
        public var acceptance: Double
        public var proposalScale: Double
        public var failure: String?
    }

    public let inputKernel: [Double]
    public let labels: [Double]
    public let gamma: Double
    public let ridge: Double
    public let depth: Int
    public let settings: Settings
    let inputRoot: [Double]

    public init(inputKernel: [Double], labels: [Double], gamma: Double, ridge: Double, depth: Int, settings: Settings) throws {
        let p = labels.count
        guard p >= 1, inputKernel.count == p * p else { throw InputError("the input kernel must be P x P for P labels") }
        guard inputKernel.allSatisfy(\.isFinite), labels.allSatisfy(\.isFinite) else { throw InputError("the input kernel and labels must be finite") }
        guard labels.contains(where: { $0 != 0 }) else { throw InputError("the labels must not all be zero") }
        guard gamma >= 0, gamma.isFinite else { throw InputError("gamma must be finite and >= 0") }
        guard ridge > 0, ridge.isFinite else { throw InputError("b = 1/beta must be finite and > 0") }
        guard depth >= 1 else { throw InputError("depth must be >= 1") }
        guard settings.width > p else { throw InputError("the width must exceed the number of points (got N = \(settings.width), P = \(p))") }
        guard settings.measuredSweeps >= 1, settings.burnInSweeps >= 0, settings.recordEvery >= 1 else { throw InputError("sweep counts must be positive") }
        guard let root = LinearAlgebra.cholesky(inputKernel, n: p) else { throw InputError("the input kernel must be positive definite") }
        self.inputKernel = inputKernel
        self.labels = labels
        self.gamma = gamma
        self.ridge = ridge
        self.depth = depth
        self.settings = settings
        self.inputRoot = root
    }

    /// The overlaps and the log tilt ell of a state (the L Bartlett factors, P x P lower triangular,
    /// row-major, concatenated), or nil when Phi^L + b I is not numerically positive definite.
    func evaluate(_ factors: [Double]) -> (overlaps: [Double], logTilt: Double)? {
        let p = labels.count, n = Double(settings.width)
        let scale = 1 / n.squareRoot()
        let yy = labels.reduce(0) { $0 + $1 * $1 }
        var root = inputRoot, next = [Double](repeating: 0, count: p * p)
        var overlaps: [Double] = []
        overlaps.reserveCapacity(depth)
        for l in 0..<depth {
            // (FB22) R_l = R_{l-1} T_l / sqrt(N): a product of lower triangular factors.
            let base = l * p * p
            for a in 0..<p {
                for b in 0...a {
                    var s = 0.0
                    for k in b...a { s += root[a * p + k] * factors[base + k * p + b] }
                    next[a * p + b] = s * scale
                }
            }
            swap(&root, &next)
            // c_l = |R_l^T y|^2 / |y|^2.
            var q = 0.0
            for k in 0..<p {
                var s = 0.0
                for a in k..<p { s += root[a * p + k] * labels[a] }
                q += s * s
            }
            overlaps.append(q / yy)
        }
        // Phi^L + b I = R_L R_L^T + b I.
        var shifted = [Double](repeating: 0, count: p * p)
        for a in 0..<p {
            for b in 0...a {
                var s = 0.0
                for k in 0...b { s += root[a * p + k] * root[b * p + k] }
                shifted[a * p + b] = s; shifted[b * p + a] = s
            }
            shifted[a * p + a] += ridge
        }
        // In-place lower Cholesky factor of the P x P matrix (no library call: the chains of a width run
        // on several threads, and P is small).
        var logDet = 0.0
        for a in 0..<p {
            for b in 0...a {
                var s = shifted[a * p + b]
                for k in 0..<b { s -= shifted[a * p + k] * shifted[b * p + k] }
                if a == b {
                    guard s > 0 else { return nil }
                    shifted[a * p + a] = s.squareRoot()
                    logDet += log(s)
                } else {
                    shifted[a * p + b] = s / shifted[b * p + b]
                }
            }
        }
        // y^T (Phi + b)^{-1} y = |C^{-1} y|^2 by forward substitution.
        var v = labels
        for a in 0..<p {
            var s = v[a]
            for k in 0..<a { s -= shifted[a * p + k] * v[k] }
            v[a] = s / shifted[a * p + a]
        }
        let quadratic = v.reduce(0) { $0 + $1 * $1 }
        guard logDet.isFinite, quadratic.isFinite else { return nil }
        return (overlaps, -0.5 * logDet - 0.5 * gamma * gamma * n * quadratic)
    }

    public func run() -> Run {
        let p = labels.count, n = settings.width
        var generator = SeededGenerator(seed: NormalSampler.derive(settings.seed, 1))
        func uniform() -> Double { Double(generator.next() >> 11) * 0x1p-53 }
        func normal() -> Double {   // Box-Muller
            let u1 = Double((generator.next() >> 11) + 1) * 0x1p-53, u2 = Double(generator.next() >> 11) * 0x1p-53
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        // Start from the prior: (T_l)_aa^2 ~ chi^2_{N-a} as a sum of squares, (T_l)_ab ~ N(0, 1) (a > b).
        var factors = [Double](repeating: 0, count: depth * p * p)
        var logDiagonal = [Double](repeating: 0, count: depth * p)   // u = ln (T_l)_aa^2
        for l in 0..<depth {
            let draws = NormalSampler.vector(n * p, seed: NormalSampler.derive(settings.seed, 0, UInt64(l)))
            for a in 0..<p {
                var chiSquared = 0.0
                for i in 0..<(n - a) { chiSquared += draws[a * n + i] * draws[a * n + i] }
                logDiagonal[l * p + a] = log(chiSquared)
                factors[l * p * p + a * p + a] = chiSquared.squareRoot()
                for b in 0..<a { factors[l * p * p + a * p + b] = draws[a * n + n - 1 - b] }
            }
        }
        var series = Array(repeating: [Double](), count: depth)
        guard var current = evaluate(factors) else { return Run(overlapSeries: series, acceptance: 0, proposalScale: 0, failure: "degenerate initial kernels") }
        var step = 1.0
        var walk = (2 / Double(n)).squareRoot()
        var accepted = 0, updates = 0
        var offAccepted = 0, offTried = 0, diagonalAccepted = 0, diagonalTried = 0
        let total = settings.burnInSweeps + settings.measuredSweeps
        for sweep in 0..<total {
            let measuring = sweep >= settings.burnInSweeps
            for l in 0..<depth {
                for a in 0..<p {
                    for b in 0...a {
                        let index = l * p * p + a * p + b, old = factors[index]
                        var logRatio: Double
                        var newLog = 0.0
                        if a == b {
                            // (FB22) Random walk in u = ln t^2, prior density exp(k u/2 - e^u/2), k = N - a.
                            let u = logDiagonal[l * p + a], k = Double(n - a)
                            newLog = u + walk * normal()
                            factors[index] = exp(newLog / 2)
                            logRatio = 0.5 * k * (newLog - u) - 0.5 * (exp(newLog) - exp(u))
                            diagonalTried += 1
                        } else {
                            // (FB22) Random walk on an N(0, 1) variable (its posterior mean is O(sqrt(N)) away
                            // from the prior's on general data, (FB23)).
                            let proposed = old + step * normal()
                            factors[index] = proposed
                            logRatio = -0.5 * (proposed * proposed - old * old)
                            offTried += 1
                        }
                        if let candidate = evaluate(factors), log(uniform()) < candidate.logTilt - current.logTilt + logRatio {
                            current = candidate
                            if a == b { logDiagonal[l * p + a] = newLog; diagonalAccepted += 1 } else { offAccepted += 1 }
                            if measuring { accepted += 1 }
                        } else {
                            factors[index] = old
                        }
                        if measuring { updates += 1 }
                    }
                }
            }
            if !measuring {
                if (sweep + 1) % 50 == 0 {
                    // Burn-in only: aim at acceptance 0.3-0.6 (the frozen scales keep the chain exact).
                    if offTried > 0 {
                        let rate = Double(offAccepted) / Double(offTried)
                        if rate < 0.3 { step *= 0.7 } else if rate > 0.6 { step = min(10, step * 1.3) }
                    }
                    let rate = Double(diagonalAccepted) / Double(diagonalTried)
                    if rate < 0.3 { walk *= 0.7 } else if rate > 0.6 { walk = min(1, walk * 1.3) }
                    offAccepted = 0; offTried = 0; diagonalAccepted = 0; diagonalTried = 0
                }
            } else if (sweep - settings.burnInSweeps) % settings.recordEvery == 0 {
                for l in 0..<depth { series[l].append(current.overlaps[l]) }
            }
        }
        return Run(overlapSeries: series, acceptance: Double(accepted) / Double(max(updates, 1)), proposalScale: step, failure: nil)
    }
}
