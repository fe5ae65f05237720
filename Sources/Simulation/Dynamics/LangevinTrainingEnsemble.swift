import Dispatch
import Foundation
import Core
import Numerics

/// Finite-width networks of standard parameterization trained by Langevin dynamics on
/// E = 1/2 sum (f - y)^2 + T/(2 sigma^2) |theta|^2 from theta(0) ~ N(0, sigma_0^2)
/// (notes/neural-dynamical-kernel.md (NK1), (NK2), (NK18)): the independent check of the NDK theory.
/// The prior (Ornstein-Uhlenbeck) part of each step is integrated exactly, the loss force by Euler:
/// theta <- e^{-lambda dt} theta - (1 - e^{-lambda dt})/lambda grad L + sqrt(sigma^2 (1 - e^{-2 lambda dt})) xi,
/// which keeps the prior statistics exact and, for a model linear in theta, the stationary mean too.
/// Antithetic pairs (shared hidden weights and noise, readout and its noise flipped) estimate the
/// mean predictor; pairs are independent.
public struct LangevinTrainingEnsemble: Sendable {
    public struct Settings: Sendable {
        public var activation: Activation
        public var depth: Int
        public var width: Int
        public var temperature: Double
        public var priorVariance: Double
        public var initVariance: Double
        public var timeStep: Double = 0.01
        public var pairs: Int = 64
        public var seed: UInt64 = 1
        /// Representational drift (notes/neural-dynamical-kernel.md (NK16)): from this time on the loss is
        /// switched off (every weight follows the prior process) and the output uses the readout
        /// frozen at this time with the current hidden weights. nil: ordinary training.
        public var freezeTime: Double? = nil
        public init(activation: Activation, depth: Int, width: Int, temperature: Double, priorVariance: Double, initVariance: Double) {
            self.activation = activation; self.depth = depth; self.width = width; self.temperature = temperature
            self.priorVariance = priorVariance; self.initVariance = initVariance
        }
    }

    /// Mean predictions at the recorded times (estimated: mean and standard error over pairs).
    public struct Result: Sendable {
        public let times: [Double]
        public let train: [[Estimate]]
        public let test: [[Estimate]]
    }

    public let settings: Settings
    public init(settings: Settings) throws {
        guard settings.depth >= 1 else { throw InputError("the simulated network needs at least one hidden layer") }
        guard settings.width >= 2, settings.pairs >= 2 else { throw InputError("width and number of pairs must be at least 2") }
        guard settings.timeStep > 0, settings.temperature > 0, settings.priorVariance > 0, settings.initVariance > 0 else {
            throw InputError("time step, temperature and variances must be positive")
        }
        self.settings = settings
    }

    /// Runs the ensemble on row-major inputs (P x D train, Q x D test) and records at `times`
    /// (rounded to the nearest step).
    public func run(train x: [Double], labels y: [Double], test xt: [Double], dimension d: Int, times: [Double]) -> Result {
        let s = settings, p = y.count, q = xt.count / d
        let steps = times.map { max(1, Int(($0 / s.timeStep).rounded())) }
        let recorded = steps.map { Double($0) * s.timeStep }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: times.count * (p + q)), count: s.pairs)
        sums.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: s.pairs) { pair in
                base[pair] = runPair(pair: pair, x: x, y: y, xt: xt, d: d, steps: steps)
            }
        }
        var train = [[Estimate]](), test = [[Estimate]]()
        for k in 0..<times.count {
            var rowTrain = [Estimate](), rowTest = [Estimate]()
            for a in 0..<(p + q) {
                let values = sums.map { $0[k * (p + q) + a] }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
                let e = Estimate(value: mean, standardError: (variance / Double(values.count)).squareRoot(), degreesOfFreedom: values.count - 1)
                if a < p { rowTrain.append(e) } else { rowTest.append(e) }
            }
            train.append(rowTrain); test.append(rowTest)
        }
        return Result(times: recorded, train: train, test: test)
    }

    /// One antithetic pair: the mean of its two outputs at every recorded step, time-major, train then test.
    func runPair(pair: Int, x: [Double], y: [Double], xt: [Double], d: Int, steps: [Int]) -> [Double] {
        let s = settings, n = s.width, depth = s.depth, p = y.count, q = xt.count / d
        let seed = NormalSampler.derive(s.seed, UInt64(pair))
        // hidden weights W_1 (N x D), W_l (N x N); readouts a (+) and -a (-)
        let sizes = (0..<depth).map { $0 == 0 ? n * d : n * n }
        var hidden = sizes.enumerated().map { (l, size) -> [Double] in
            var w = [Double](repeating: 0, count: size)
            w.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 0, UInt64(l))) }
            return w.map { $0 * s.initVariance.squareRoot() }
        }
        var readout = [Double](repeating: 0, count: n)
        readout.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 1)) }
        readout = readout.map { $0 * s.initVariance.squareRoot() }
        // the two members share hidden weights only at t = 0: afterwards each has its own copy
        var hiddenB = hidden
        var readoutA = readout, readoutB = readout.map { -$0 }
        let lambda = s.temperature / s.priorVariance
        let decay = exp(-lambda * s.timeStep), force = -expm1(-lambda * s.timeStep) / lambda
        let noiseScale = (s.priorVariance * -expm1(-2 * lambda * s.timeStep)).squareRoot()
        var out = [Double](repeating: 0, count: steps.count * (p + q))
        var noise = sizes.map { [Double](repeating: 0, count: $0) }
        var noiseA = [Double](repeating: 0, count: n)
        let last = steps.max() ?? 0
        var next = 0
        let freezeStep = s.freezeTime.map { Int(($0 / s.timeStep).rounded()) } ?? Int.max
        var frozenA = readoutA, frozenB = readoutB
        let zero = (hidden: sizes.map { [Double](repeating: 0, count: $0) }, readout: [Double](repeating: 0, count: n))
        for step in 1...last {
            if step - 1 == freezeStep { frozenA = readoutA; frozenB = readoutB }
            let learning = step - 1 < freezeStep
            let gradA = learning ? gradient(hidden: hidden, readout: readoutA, x: x, y: y, d: d) : zero
            let gradB = learning ? gradient(hidden: hiddenB, readout: readoutB, x: x, y: y, d: d) : zero
            for l in 0..<depth {
                noise[l].withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 2, UInt64(step), UInt64(l))) }
                for i in 0..<sizes[l] {
                    hidden[l][i] = decay * hidden[l][i] - force * gradA.hidden[l][i] + noiseScale * noise[l][i]
                    hiddenB[l][i] = decay * hiddenB[l][i] - force * gradB.hidden[l][i] + noiseScale * noise[l][i]
                }
            }
            noiseA.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 3, UInt64(step))) }
            for i in 0..<n {
                readoutA[i] = decay * readoutA[i] - force * gradA.readout[i] + noiseScale * noiseA[i]
                readoutB[i] = decay * readoutB[i] - force * gradB.readout[i] - noiseScale * noiseA[i]
            }
            while next < steps.count && steps[next] == step {
                let frozen = step >= freezeStep
                let fa = outputs(hidden: hidden, readout: frozen ? (step == freezeStep ? readoutA : frozenA) : readoutA, x: x + xt, d: d)
                let fb = outputs(hidden: hiddenB, readout: frozen ? (step == freezeStep ? readoutB : frozenB) : readoutB, x: x + xt, d: d)
                for a in 0..<(p + q) { out[next * (p + q) + a] = (fa[a] + fb[a]) / 2 }
                next += 1
            }
        }
        return out
    }

    /// Forward pass: preactivations H_l and activations Phi_l (points x N) for every layer.
    func forward(hidden: [[Double]], x: [Double], d: Int) -> (h: [[Double]], phi: [[Double]]) {
        let s = settings, n = s.width, points = x.count / d
        var hs = [[Double]](), phis = [[Double]]()
        var input = x, inputWidth = d
        for l in 0..<s.depth {
            let h = LinearAlgebra.multiplyTransposed(input, hidden[l], m: points, k: inputWidth, n: n).map { $0 / Double(inputWidth).squareRoot() }
            let phi = h.map { s.activation.value($0) }
            hs.append(h); phis.append(phi); input = phi; inputWidth = n
        }
        return (hs, phis)
    }

    func outputs(hidden: [[Double]], readout: [Double], x: [Double], d: Int) -> [Double] {
        let n = settings.width, phi = forward(hidden: hidden, x: x, d: d).phi.last!
        return LinearAlgebra.multiply(phi, vector: readout, m: x.count / d, n: n).map { $0 / Double(n).squareRoot() }
    }

    /// grad of L = 1/2 sum (f - y)^2 by backpropagation.
    func gradient(hidden: [[Double]], readout: [Double], x: [Double], y: [Double], d: Int) -> (hidden: [[Double]], readout: [Double]) {
        let s = settings, n = s.width, p = y.count, root = Double(n).squareRoot()
        let (hs, phis) = forward(hidden: hidden, x: x, d: d)
        let f = LinearAlgebra.multiply(phis[s.depth - 1], vector: readout, m: p, n: n).map { $0 / root }
        let c = (0..<p).map { f[$0] - y[$0] }
        var gradReadout = [Double](repeating: 0, count: n)
        for mu in 0..<p { for i in 0..<n { gradReadout[i] += c[mu] * phis[s.depth - 1][mu * n + i] / root } }
        // g_L[mu] = c_mu a phi'(h_L) / sqrt(N): dL/dh_L
        var g = [Double](repeating: 0, count: p * n)
        for mu in 0..<p { for i in 0..<n { g[mu * n + i] = c[mu] * readout[i] * s.activation.derivative(hs[s.depth - 1][mu * n + i]) / root } }
        var grads = [[Double]](repeating: [], count: s.depth)
        for l in stride(from: s.depth - 1, through: 0, by: -1) {
            let inputWidth = l == 0 ? d : n
            let input = l == 0 ? x : phis[l - 1]
            var gw = [Double](repeating: 0, count: n * inputWidth)
            let scale = 1 / Double(inputWidth).squareRoot()
            for mu in 0..<p {
                LinearAlgebra.addOuterProduct(&gw, scale, Array(g[(mu * n)..<((mu + 1) * n)]), Array(input[(mu * inputWidth)..<((mu + 1) * inputWidth)]), m: n, n: inputWidth)
            }
            grads[l] = gw
            if l > 0 {
                // dL/dh_{l} = phi'(h_l) * (W_{l+1}^T g) / sqrt(N)
                let back = LinearAlgebra.multiply(g, hidden[l], m: p, k: n, n: n)
                for k in 0..<(p * n) { g[k] = back[k] * s.activation.derivative(hs[l - 1][k]) / root }
            }
        }
        return (grads, gradReadout)
    }
}
