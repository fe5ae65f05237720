import Dispatch
import Foundation
import Core
import Numerics

/// Finite-width networks of standard parameterization trained by Langevin dynamics on
/// E = 1/2 sum (f - y)^2 + T/(2 sigma^2) |theta|^2 from theta(0) ~ N(0, sigma_0^2)
/// (notes/neural-dynamical-kernel.md (NK1), (NK2), (NK18)): the independent check of the NDK theory.
///
/// Time step (NK18): the prior (Ornstein-Uhlenbeck) part is integrated exactly and the loss force by
/// Heun's predictor-corrector with the same noise,
///     theta* = e^{-lambda dt} theta - F g(theta) + s xi,   theta' = theta* - F/2 (g(theta*) - g(theta)),
/// F = (1 - e^{-lambda dt})/lambda, s = sqrt(sigma^2 (1 - e^{-2 lambda dt})): the prior statistics
/// are exact and the scheme is of weak order 2 (additive noise).
///
/// Antithetic pairs (shared hidden weights and hidden noise, readout and its noise flipped) estimate
/// the mean predictor; pairs are independent. Each pair also carries a shadow network that follows
/// the prior process only, with the pair's noise (common random numbers): its empirical NTK at the
/// recorded times and at t = 0 are control variates with known means (NK18), (NK19).
public struct LangevinTrainingEnsemble: Sendable {
    public struct Settings: Sendable {
        public var activation: Activation
        public var depth: Int
        public var width: Int
        public var temperature: Double
        public var priorVariance: Double
        public var initVariance: Double
        public var timeStep: Double = 0.02
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

    /// Mean predictions at the recorded times (estimated: mean and standard error over pairs), and the
    /// per-pair records for control-variate estimators.
    public struct Result: Sendable {
        public let times: [Double]
        public let train: [[Estimate]]
        public let test: [[Estimate]]
        /// samples[pair][k * (P + Q) + a]: the pair's mean output at recorded time k, point a (train, then test).
        public let samples: [[Double]]
        /// priorKernels[pair][k * (P + Q) * P + a * P + mu]: the empirical NTK of the pair's shadow prior
        /// network at recorded time k between point a (train, then test) and training point mu.
        public let priorKernels: [[Double]]
        /// initialKernels[pair][a * P + mu]: the same at t = 0 (the initial network's empirical NTK).
        public let initialKernels: [[Double]]
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
        let s = settings, p = y.count, q = xt.count / d, m = p + q
        let steps = times.map { max(1, Int(($0 / s.timeStep).rounded())) }
        let recorded = steps.map { Double($0) * s.timeStep }
        var records = [PairRecord](repeating: PairRecord(samples: [], kernels: [], initial: []), count: s.pairs)
        records.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: s.pairs) { pair in
                base[pair] = runPair(pair: pair, x: x, y: y, xt: xt, d: d, steps: steps)
            }
        }
        var train = [[Estimate]](), test = [[Estimate]]()
        for k in 0..<times.count {
            var rowTrain = [Estimate](), rowTest = [Estimate]()
            for a in 0..<m {
                let values = records.map { $0.samples[k * m + a] }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
                let e = Estimate(value: mean, standardError: (variance / Double(values.count)).squareRoot(), degreesOfFreedom: values.count - 1)
                if a < p { rowTrain.append(e) } else { rowTest.append(e) }
            }
            train.append(rowTrain); test.append(rowTest)
        }
        return Result(times: recorded, train: train, test: test, samples: records.map(\.samples),
                      priorKernels: records.map(\.kernels), initialKernels: records.map(\.initial))
    }

    struct PairRecord { var samples: [Double]; var kernels: [Double]; var initial: [Double] }

    /// The weights of one network: W_l (N x fan-in, row-major) and the readout a.
    struct Network { var hidden: [[Double]]; var readout: [Double] }

    /// Work buffers of one network evaluation (points x N per layer), reused across steps.
    struct Workspace {
        var h: [[Double]], phi: [[Double]], g: [Double], back: [Double], out: [Double]
        var gradHidden: [[Double]], gradReadout: [Double]
        init(depth: Int, width n: Int, points: Int, fanIns: [Int]) {
            h = (0..<depth).map { _ in [Double](repeating: 0, count: points * n) }; phi = h
            g = [Double](repeating: 0, count: points * n); back = g
            out = [Double](repeating: 0, count: points)
            gradHidden = fanIns.map { [Double](repeating: 0, count: n * $0) }
            gradReadout = [Double](repeating: 0, count: n)
        }
    }

    /// One antithetic pair with its shadow prior network.
    func runPair(pair: Int, x: [Double], y: [Double], xt: [Double], d: Int, steps: [Int]) -> PairRecord {
        let s = settings, n = s.width, depth = s.depth, p = y.count, q = xt.count / d, m = p + q
        let seed = NormalSampler.derive(s.seed, UInt64(pair))
        let fanIns = (0..<depth).map { $0 == 0 ? d : n }
        let all = x + xt
        var initial = Network(hidden: fanIns.enumerated().map { (l, fan) -> [Double] in
            var w = [Double](repeating: 0, count: n * fan)
            w.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 0, UInt64(l))) }
            return w.map { $0 * s.initVariance.squareRoot() }
        }, readout: [])
        initial.readout = NormalSampler.vector(n, seed: NormalSampler.derive(seed, 1)).map { $0 * s.initVariance.squareRoot() }
        var a = initial, b = initial, shadow = initial
        b.readout = initial.readout.map { -$0 }
        var workTrain = Workspace(depth: depth, width: n, points: p, fanIns: fanIns)
        var workAll = Workspace(depth: depth, width: n, points: m, fanIns: fanIns)
        var record = PairRecord(samples: [Double](repeating: 0, count: steps.count * m),
                                kernels: [Double](repeating: 0, count: steps.count * m * p), initial: [])
        record.initial = empiricalKernel(shadow, points: all, count: m, trainCount: p, d: d, work: &workAll)

        let lambda = s.temperature / s.priorVariance
        let decay = exp(-lambda * s.timeStep), force = -expm1(-lambda * s.timeStep) / lambda
        let noiseScale = (s.priorVariance * -expm1(-2 * lambda * s.timeStep)).squareRoot()
        var noise = fanIns.map { [Double](repeating: 0, count: n * $0) }
        var noiseReadout = [Double](repeating: 0, count: n)
        var gradA0 = Network(hidden: fanIns.map { [Double](repeating: 0, count: n * $0) }, readout: [Double](repeating: 0, count: n))
        var gradB0 = gradA0
        let freezeStep = s.freezeTime.map { Int(($0 / s.timeStep).rounded()) } ?? Int.max
        var frozenA = a.readout, frozenB = b.readout
        let last = steps.max() ?? 0
        var next = 0
        if freezeStep == 0 { frozenA = a.readout; frozenB = b.readout }
        for step in 1...max(1, last) where last > 0 {
            for l in 0..<depth {
                noise[l].withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 2, UInt64(step), UInt64(l))) }
            }
            noiseReadout.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 3, UInt64(step))) }
            let learning = step <= freezeStep
            // the shadow: the prior process with the pair's noise (member a's readout noise)
            ornsteinUhlenbeck(&shadow, decay: decay, scale: noiseScale, noise: noise, noiseReadout: noiseReadout, readoutSign: 1)
            if learning {
                heunStep(&a, gradient0: &gradA0, decay: decay, force: force, scale: noiseScale, noise: noise, noiseReadout: noiseReadout,
                         readoutSign: 1, x: x, y: y, d: d, work: &workTrain)
                heunStep(&b, gradient0: &gradB0, decay: decay, force: force, scale: noiseScale, noise: noise, noiseReadout: noiseReadout,
                         readoutSign: -1, x: x, y: y, d: d, work: &workTrain)
            } else {
                ornsteinUhlenbeck(&a, decay: decay, scale: noiseScale, noise: noise, noiseReadout: noiseReadout, readoutSign: 1)
                ornsteinUhlenbeck(&b, decay: decay, scale: noiseScale, noise: noise, noiseReadout: noiseReadout, readoutSign: -1)
            }
            if step == freezeStep { frozenA = a.readout; frozenB = b.readout }
            while next < steps.count && steps[next] == step {
                let frozen = step >= freezeStep
                var outA = a, outB = b
                if frozen { outA.readout = frozenA; outB.readout = frozenB }
                let fa = outputs(outA, points: all, count: m, d: d, work: &workAll)
                let fb = outputs(outB, points: all, count: m, d: d, work: &workAll)
                for i in 0..<m { record.samples[next * m + i] = (fa[i] + fb[i]) / 2 }
                let kernel = empiricalKernel(shadow, points: all, count: m, trainCount: p, d: d, work: &workAll)
                for i in 0..<(m * p) { record.kernels[next * m * p + i] = kernel[i] }
                next += 1
            }
        }
        return record
    }

    /// theta <- e^{-lambda dt} theta + s xi (the exact prior step; the readout noise with `readoutSign`).
    func ornsteinUhlenbeck(_ net: inout Network, decay: Double, scale: Double, noise: [[Double]], noiseReadout: [Double], readoutSign: Double) {
        for l in 0..<net.hidden.count {
            net.hidden[l].withUnsafeMutableBufferPointer { w in
                noise[l].withUnsafeBufferPointer { z in for i in 0..<w.count { w[i] = decay * w[i] + scale * z[i] } }
            }
        }
        let sr = readoutSign * scale
        for i in 0..<net.readout.count { net.readout[i] = decay * net.readout[i] + sr * noiseReadout[i] }
    }

    /// One step of (NK18): exact prior part, Heun (predictor-corrector) loss force, the same noise in both stages.
    func heunStep(_ net: inout Network, gradient0 g0: inout Network, decay: Double, force: Double, scale: Double,
                  noise: [[Double]], noiseReadout: [Double], readoutSign: Double, x: [Double], y: [Double], d: Int, work: inout Workspace) {
        gradient(net, x: x, y: y, d: d, work: &work)
        for l in 0..<net.hidden.count { swap(&g0.hidden[l], &work.gradHidden[l]) }
        swap(&g0.readout, &work.gradReadout)
        // predictor
        for l in 0..<net.hidden.count {
            net.hidden[l].withUnsafeMutableBufferPointer { w in
                noise[l].withUnsafeBufferPointer { z in
                    g0.hidden[l].withUnsafeBufferPointer { g in
                        for i in 0..<w.count { w[i] = decay * w[i] - force * g[i] + scale * z[i] }
                    }
                }
            }
        }
        let sr = readoutSign * scale
        for i in 0..<net.readout.count { net.readout[i] = decay * net.readout[i] - force * g0.readout[i] + sr * noiseReadout[i] }
        // corrector: theta' = theta* - F/2 (g(theta*) - g(theta))
        gradient(net, x: x, y: y, d: d, work: &work)
        let half = force / 2
        for l in 0..<net.hidden.count {
            net.hidden[l].withUnsafeMutableBufferPointer { w in
                work.gradHidden[l].withUnsafeBufferPointer { g1 in
                    g0.hidden[l].withUnsafeBufferPointer { g in
                        for i in 0..<w.count { w[i] -= half * (g1[i] - g[i]) }
                    }
                }
            }
        }
        for i in 0..<net.readout.count { net.readout[i] -= half * (work.gradReadout[i] - g0.readout[i]) }
    }

    /// Forward pass of `count` points (row-major count x D) into work.h / work.phi.
    func forward(_ net: Network, points: [Double], count: Int, d: Int, work: inout Workspace) {
        let s = settings, n = s.width
        for l in 0..<s.depth {
            let fan = l == 0 ? d : n
            if l == 0 {
                LinearAlgebra.flowProduct(points, transposeA: false, net.hidden[0], transposeB: true, m: count, k: d, n: n,
                                          alpha: 1 / Double(d).squareRoot(), into: &work.h[0])
            } else {
                LinearAlgebra.flowProduct(work.phi[l - 1], transposeA: false, net.hidden[l], transposeB: true, m: count, k: fan, n: n,
                                          alpha: 1 / Double(n).squareRoot(), into: &work.h[l])
            }
            let activation = s.activation
            work.h[l].withUnsafeBufferPointer { h in
                work.phi[l].withUnsafeMutableBufferPointer { phi in for i in 0..<(count * n) { phi[i] = activation.value(h[i]) } }
            }
        }
    }

    /// f at `count` points (the readout of the last layer).
    func outputs(_ net: Network, points: [Double], count: Int, d: Int, work: inout Workspace) -> [Double] {
        forward(net, points: points, count: count, d: d, work: &work)
        let n = settings.width
        LinearAlgebra.flowProduct(work.phi[settings.depth - 1], transposeA: false, net.readout, transposeB: false, m: count, k: n, n: 1,
                                  alpha: 1 / Double(n).squareRoot(), into: &work.out)
        return Array(work.out[0..<count])
    }

    /// grad of L = 1/2 sum (f - y)^2 by backpropagation into work.gradHidden / work.gradReadout.
    func gradient(_ net: Network, x: [Double], y: [Double], d: Int, work: inout Workspace) {
        let s = settings, n = s.width, p = y.count, root = Double(n).squareRoot(), depth = s.depth
        let f = outputs(net, points: x, count: p, d: d, work: &work)
        let c = (0..<p).map { f[$0] - y[$0] }
        // dL/da = Phi_L^T c / sqrt(N)
        LinearAlgebra.flowProduct(work.phi[depth - 1], transposeA: true, c, transposeB: false, m: n, k: p, n: 1, alpha: 1 / root, into: &work.gradReadout)
        // G_L = c a phi'(H_L) / sqrt(N): dL/dH_L
        let activation = s.activation
        for mu in 0..<p { for i in 0..<n { work.g[mu * n + i] = c[mu] * net.readout[i] * activation.derivative(work.h[depth - 1][mu * n + i]) / root } }
        for l in stride(from: depth - 1, through: 0, by: -1) {
            let fan = l == 0 ? d : n
            // dL/dW_l = G_l^T In_l / sqrt(fan-in)
            if l == 0 {
                LinearAlgebra.flowProduct(work.g, transposeA: true, x, transposeB: false, m: n, k: p, n: fan, alpha: 1 / Double(fan).squareRoot(), into: &work.gradHidden[l])
            } else {
                LinearAlgebra.flowProduct(work.g, transposeA: true, work.phi[l - 1], transposeB: false, m: n, k: p, n: fan, alpha: 1 / Double(fan).squareRoot(), into: &work.gradHidden[l])
                // dL/dH_{l-1} = phi'(H_{l-1}) * (G_l W_l) / sqrt(N)
                LinearAlgebra.flowProduct(work.g, transposeA: false, net.hidden[l], transposeB: false, m: p, k: n, n: n, alpha: 1 / root, into: &work.back)
                for i in 0..<(p * n) { work.g[i] = work.back[i] * activation.derivative(work.h[l - 1][i]) }
            }
        }
    }

    /// The empirical NTK grad f(x_a) . grad f(x_mu) between all `count` points and the first
    /// `trainCount` of them (count x trainCount, row-major): readout part Phi_L Phi_L^T / N plus, per
    /// layer, (Delta_l Delta_l^T) (In_l In_l^T) / fan-in with Delta_l = df/dH_l.
    func empiricalKernel(_ net: Network, points: [Double], count: Int, trainCount p: Int, d: Int, work: inout Workspace) -> [Double] {
        let s = settings, n = s.width, root = Double(n).squareRoot(), depth = s.depth
        forward(net, points: points, count: count, d: d, work: &work)
        var kernel = [Double](repeating: 0, count: count * count)
        var block = kernel, inputs = kernel
        LinearAlgebra.flowProduct(work.phi[depth - 1], transposeA: false, work.phi[depth - 1], transposeB: true, m: count, k: n, n: count,
                                  alpha: 1 / Double(n), into: &kernel)
        let activation = s.activation
        for mu in 0..<count { for i in 0..<n { work.g[mu * n + i] = net.readout[i] * activation.derivative(work.h[depth - 1][mu * n + i]) / root } }
        for l in stride(from: depth - 1, through: 0, by: -1) {
            let fan = l == 0 ? d : n
            LinearAlgebra.flowProduct(work.g, transposeA: false, work.g, transposeB: true, m: count, k: n, n: count, into: &block)
            if l == 0 {
                LinearAlgebra.flowProduct(points, transposeA: false, points, transposeB: true, m: count, k: d, n: count, alpha: 1 / Double(fan), into: &inputs)
            } else {
                LinearAlgebra.flowProduct(work.phi[l - 1], transposeA: false, work.phi[l - 1], transposeB: true, m: count, k: n, n: count, alpha: 1 / Double(fan), into: &inputs)
                LinearAlgebra.flowProduct(work.g, transposeA: false, net.hidden[l], transposeB: false, m: count, k: n, n: n, alpha: 1 / root, into: &work.back)
                for i in 0..<(count * n) { work.g[i] = work.back[i] * activation.derivative(work.h[l - 1][i]) }
            }
            for i in 0..<(count * count) { kernel[i] += block[i] * inputs[i] }
        }
        var out = [Double](repeating: 0, count: count * p)
        for a in 0..<count { for mu in 0..<p { out[a * p + mu] = kernel[a * count + mu] } }
        return out
    }
}
