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
/// preactivations, the weights integrated out. The posterior tilts it by the readout marginal
/// (V22), exp(ell(Z)) with ell = -1/2 ln det(Phi^L + b I) - gamma^2 N/2 y^T (Phi^L + b I)^{-1} y.
/// Preconditioned Crank-Nicolson proposals Z' = sqrt(1 - rho^2) Z + rho xi leave the N(0, 1) prior
/// invariant, so accepting with probability min(1, exp(ell(Z') - ell(Z))) samples the posterior
/// exactly; rho is tuned during burn-in only (acceptance 0.25-0.6), then frozen. Each step also makes
/// one radial Metropolis-Hastings move per layer (the first column of Z^l scaled by a log-normal
/// factor, eq. FB14), which moves the overlap along the first point in O(1) steps instead of O(N).
///
/// Failure modes: a kernel that is not numerically positive definite (N < P or a degenerate draw)
/// ends the run with `failure` set; nothing is silently dropped.
public struct DeepLinearPosteriorSampler: Sendable {
    public struct Settings: Sendable {
        public var width: Int
        public var burnInSteps: Int
        public var measuredSteps: Int
        public var recordEvery: Int
        public var seed: UInt64
        public init(width: Int, burnInSteps: Int, measuredSteps: Int, recordEvery: Int = 1, seed: UInt64) {
            self.width = width; self.burnInSteps = burnInSteps; self.measuredSteps = measuredSteps
            self.recordEvery = recordEvery; self.seed = seed
        }
    }

    /// Recorded overlaps y^T Phi^l y / |y|^2 per layer (l = 1...L), the acceptance rate after burn-in
    /// and the frozen proposal scale.
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

    public init(inputKernel: [Double], labels: [Double], gamma: Double, ridge: Double, depth: Int, settings: Settings) throws {
        let p = labels.count
        guard p >= 1, inputKernel.count == p * p else { throw InputError("the input kernel must be P x P for P labels") }
        guard inputKernel.allSatisfy(\.isFinite), labels.allSatisfy(\.isFinite) else { throw InputError("the input kernel and labels must be finite") }
        guard gamma >= 0, gamma.isFinite else { throw InputError("gamma must be finite and >= 0") }
        guard ridge > 0, ridge.isFinite else { throw InputError("b = 1/beta must be finite and > 0") }
        guard depth >= 1 else { throw InputError("depth must be >= 1") }
        guard settings.width > p else { throw InputError("the width must exceed the number of points (got N = \(settings.width), P = \(p))") }
        guard settings.measuredSteps >= 1, settings.burnInSteps >= 0, settings.recordEvery >= 1 else { throw InputError("step counts must be positive") }
        guard LinearAlgebra.cholesky(inputKernel, n: p) != nil else { throw InputError("the input kernel must be positive definite") }
        self.inputKernel = inputKernel
        self.labels = labels
        self.gamma = gamma
        self.ridge = ridge
        self.depth = depth
        self.settings = settings
    }

    /// The layer kernels of a state (P x P each, row-major) and the log tilt ell, or nil when a kernel
    /// is not numerically positive definite.
    func evaluate(_ z: [Double]) -> (overlaps: [Double], logTilt: Double)? {
        let p = labels.count, n = settings.width
        var phi = inputKernel
        var overlaps: [Double] = []
        let yy = labels.reduce(0) { $0 + $1 * $1 }
        for l in 0..<depth {
            guard let root = LinearAlgebra.cholesky(phi, n: p) else { return nil }   // lower, row-major
            var next = [Double](repeating: 0, count: p * p)
            var h = [Double](repeating: 0, count: p)
            let base = l * n * p
            for i in 0..<n {
                // h_i = R z_i (the i-th neuron's preactivations on the P points).
                for a in 0..<p {
                    var s = 0.0
                    for k in 0...a { s += root[a * p + k] * z[base + i * p + k] }
                    h[a] = s
                }
                for a in 0..<p { for b in a..<p { next[a * p + b] += h[a] * h[b] } }
            }
            for a in 0..<p { for b in a..<p { next[a * p + b] /= Double(n); next[b * p + a] = next[a * p + b] } }
            phi = next
            var q = 0.0
            for a in 0..<p { for b in 0..<p { q += labels[a] * phi[a * p + b] * labels[b] } }
            overlaps.append(q / yy)
        }
        var shifted = phi
        for a in 0..<p { shifted[a * p + a] += ridge }
        guard let root = LinearAlgebra.cholesky(shifted, n: p) else { return nil }
        var logDet = 0.0
        for a in 0..<p { logDet += 2 * log(root[a * p + a]) }
        // y^T (Phi + b)^{-1} y = |R^{-1} y|^2 by forward substitution.
        var v = labels
        for a in 0..<p {
            var s = v[a]
            for k in 0..<a { s -= root[a * p + k] * v[k] }
            v[a] = s / root[a * p + a]
        }
        let quadratic = v.reduce(0) { $0 + $1 * $1 }
        return (overlaps, -0.5 * logDet - 0.5 * gamma * gamma * Double(n) * quadratic)
    }

    public func run() -> Run {
        let p = labels.count, n = settings.width, count = depth * n * p
        var z = NormalSampler.vector(count, seed: NormalSampler.derive(settings.seed, 0))
        var uniforms = SeededGenerator(seed: NormalSampler.derive(settings.seed, 1))
        var radialUniforms = SeededGenerator(seed: NormalSampler.derive(settings.seed, 3))
        func uniform() -> Double { Double(uniforms.next() >> 11) * 0x1p-53 }
        func radialNormal() -> Double {   // Box-Muller
            let u1 = Double((radialUniforms.next() >> 11) + 1) * 0x1p-53, u2 = Double(radialUniforms.next() >> 11) * 0x1p-53
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        var series = Array(repeating: [Double](), count: depth)
        guard var current = evaluate(z) else { return Run(overlapSeries: series, acceptance: 0, proposalScale: 0, failure: "degenerate initial kernels") }
        var rho = min(0.5, 1.5 / Double(n).squareRoot())
        var radialScale = 1 / Double(n).squareRoot()
        var accepted = 0, windowAccepted = 0, radialWindowAccepted = 0, window = 0
        let total = settings.burnInSteps + settings.measuredSteps
        for step in 0..<total {
            // (FB13) pCN move of every variable.
            let xi = NormalSampler.vector(count, seed: NormalSampler.derive(settings.seed, 2, UInt64(step)))
            let keep = (1 - rho * rho).squareRoot()
            var proposal = z
            for k in 0..<count { proposal[k] = keep * z[k] + rho * xi[k] }
            if let candidate = evaluate(proposal), log(uniform()) < candidate.logTilt - current.logTilt {
                z = proposal
                current = candidate
                if step >= settings.burnInSteps { accepted += 1 } else { windowAccepted += 1 }
            }
            // (FB14) Radial move per layer: the first column of Z^l (the first point's direction)
            // scaled by a = exp(sigma eta), eta ~ N(0, 1); Metropolis-Hastings with the prior ratio
            // exp(-(a^2 - 1)|v|^2/2) and the Jacobian a^N of the scaling.
            for l in 0..<depth {
                let base = l * n * p
                var squared = 0.0
                for i in 0..<n { squared += z[base + i * p] * z[base + i * p] }
                let logA = radialScale * radialNormal(), a = exp(logA)
                var scaled = z
                for i in 0..<n { scaled[base + i * p] *= a }
                if let candidate = evaluate(scaled),
                   log(uniform()) < candidate.logTilt - current.logTilt - (a * a - 1) * squared / 2 + Double(n) * logA {
                    z = scaled
                    current = candidate
                    if step < settings.burnInSteps { radialWindowAccepted += 1 }
                }
            }
            if step < settings.burnInSteps {
                window += 1
                if window == 100 {
                    // Burn-in only: aim at acceptance 0.25-0.6 (the frozen scales keep the chain exact).
                    let rate = Double(windowAccepted) / 100, radialRate = Double(radialWindowAccepted) / Double(100 * depth)
                    if rate < 0.25 { rho *= 0.7 } else if rate > 0.6 { rho = min(0.9, rho * 1.3) }
                    if radialRate < 0.25 { radialScale *= 0.7 } else if radialRate > 0.6 { radialScale = min(1, radialScale * 1.3) }
                    window = 0; windowAccepted = 0; radialWindowAccepted = 0
                }
            } else if (step - settings.burnInSteps) % settings.recordEvery == 0 {
                for l in 0..<depth { series[l].append(current.overlaps[l]) }
            }
        }
        return Run(overlapSeries: series, acceptance: Double(accepted) / Double(settings.measuredSteps), proposalScale: rho, failure: nil)
    }
}
