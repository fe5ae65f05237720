import Foundation
import Core
import Numerics

/// Two-layer mean-field DMFT (the paper's Algorithm 2; notes/verify-antk.md (GV1)-(GV3)):
/// a population of M sampled neurons, each carrying its preactivations h over all n = P + Q points
/// and its readout z, evolved by the mean-field gradient flow with weight decay
///
///     dh_nu/dt = gamma sum_mu Delta_mu z phi'(h_mu) C_{mu nu} - lambda h_nu        (GV1)
///     dz/dt    = gamma sum_mu Delta_mu phi(h_mu) - lambda z                        (GV2)
///     f_nu     = < z phi(h_nu) > / gamma,   Delta = y - f on the training points    (GV3)
///
/// with h(0) ~ N(0, C) and z(0) ~ N(0, 1) independently. Population averages replace the
/// infinite-width expectations; their sampling error is estimated from independent seeds.
public struct ANTKPopulation: Sendable {
    public let size: Int
    public let gamma: Double
    public let lambda: Double
    public let activation: Activation
    /// h, point-major over neurons: size x n (row i = neuron i's fields on all points).
    public var fields: [Double]
    public var readouts: [Double]
    public let count: Int

    public init(size: Int, data: LabelledData, gamma: Double, lambda: Double, activation: Activation, seed: UInt64) throws {
        let n = data.count
        guard let root = ANTKKernelAlgebra.symmetricSquareRoot(data.inputKernel, n: n) else {
            throw InputError("input kernel: eigen-decomposition failed")
        }
        let xi = NormalSampler.vector(size * n, seed: NormalSampler.derive(seed, 0))
        var h = [Double](repeating: 0, count: size * n)
        // h_i = S xi_i, i.e. row i of h = xi_i^T S^T (S symmetric).
        LinearAlgebra.flowProduct(xi, transposeA: false, root, transposeB: true, m: size, k: n, n: n, into: &h)
        self.size = size
        self.gamma = gamma
        self.lambda = lambda
        self.activation = activation
        fields = h
        readouts = NormalSampler.vector(size, seed: NormalSampler.derive(seed, 1))
        count = n
    }

    /// f on every point (GV3).
    public func predictions() -> [Double] {
        var f = [Double](repeating: 0, count: count)
        for i in 0..<size {
            let z = readouts[i]
            for nu in 0..<count { f[nu] += z * activation.value(fields[i * count + nu]) }
        }
        return f.map { $0 / (gamma * Double(size)) }
    }

    /// One Euler step of (GV1), (GV2); `kernelRows` is C restricted to training rows (P x n). The
    /// reference form of the step, term by term as written; `run` uses the fused, restructured form
    /// (`ANTKPopulationStepper`, notes/verify-antk.md (GV23)), which equals it to rounding (tested).
    mutating func step(_ data: LabelledData, kernelRows: [Double], predictions f: [Double], dt: Double) {
        let p = data.trainCount, n = count
        let delta = (0..<p).map { data.labels[$0] - f[$0] }
        var b = [Double](repeating: 0, count: size * p)
        var dz = [Double](repeating: 0, count: size)
        for i in 0..<size {
            let z = readouts[i]
            var s = 0.0
            for mu in 0..<p {
                let h = fields[i * n + mu]
                b[i * p + mu] = z * activation.derivative(h) * delta[mu]
                s += activation.value(h) * delta[mu]
            }
            dz[i] = s
        }
        LinearAlgebra.flowProduct(b, transposeA: false, kernelRows, transposeB: false, m: size, k: p, n: n,
                                  alpha: dt * gamma, beta: 1 - lambda * dt, into: &fields)
        for i in 0..<size { readouts[i] = (1 - lambda * dt) * readouts[i] + dt * gamma * dz[i] }
    }

    /// The RMS velocity of one Euler step from the stepper's refreshed state (this population's).
    func velocityNorm(_ stepper: ANTKPopulationStepper, predictions f: [Double], dt: Double) -> Double {
        var trial = self
        stepper.advance(&trial, predictions: f, dt: dt)
        var s = 0.0
        for j in fields.indices { let v = trial.fields[j] - fields[j]; s += v * v }
        for j in readouts.indices { let v = trial.readouts[j] - readouts[j]; s += v * v }
        return s.squareRoot() / dt
    }

    /// Runs to stationarity (RMS velocity per neuron coordinate below the tolerance) or to the budget.
    public mutating func run(_ data: LabelledData, _ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        let n = count, p = data.trainCount, budget = settings.stepBudget, adaptive = settings.relativeStepLimit
        var dt = settings.timeStep
        let kernel = data.inputKernel
        // (GV23): the fused step; its caches always belong to the current state (refresh after every step).
        let stepper = ANTKPopulationStepper(population: self, data: data)
        let coordinates = Double(size * (n + 1)).squareRoot()
        var f = stepper.refresh(self), previous = f
        var steps = 0, time = 0.0
        var settled = false
        // (ANTKFlowSettings.relativeStepLimit): the step from the state's norm and velocity at each check.
        // Fields and readouts separately: neither moves by more than the limit times its own norm per step.
        func adapt() {
            guard let limit = adaptive else { return }
            var trial = self
            stepper.advance(&trial, predictions: f, dt: dt)
            var smallest = Double.infinity
            for (a, b) in [(trial.fields, fields), (trial.readouts, readouts)] {
                var change = 0.0, norm = 0.0
                for j in a.indices { change += (a[j] - b[j]) * (a[j] - b[j]); norm += b[j] * b[j] }
                if change > 0 { smallest = min(smallest, limit * norm.squareRoot() / (change.squareRoot() / dt)) }
            }
            if smallest.isFinite { dt = min(settings.timeStep, smallest) }
        }
        adapt()
        var history = [(time: 0.0, velocity: velocityNorm(stepper, predictions: f, dt: dt))]
        // Adaptive: the budget is flow time, and at most ANTKFlowSettings.adaptiveStepFactor times the fixed-step count of steps.
        func done() -> Bool { adaptive == nil ? steps >= budget : (time >= settings.maximumTime || steps >= ANTKFlowSettings.adaptiveStepFactor * budget) }
        while !done() {
            f = stepper.step(&self, predictions: f, dt: dt)
            steps += 1
            time = adaptive == nil ? Double(steps) * dt : time + dt
            if steps % settings.checkInterval == 0 || done() {
                let speed = velocityNorm(stepper, predictions: f, dt: dt)
                history.append((time, speed))
                let residual = speed / coordinates
                progress?(adaptive == nil ? Double(steps) / Double(budget) : time / settings.maximumTime)
                if residual < settings.tolerance || done() { break }
                // Stall or futility (V22 cases only): after stallTime, stop when the velocity no longer
                // decays, or decays too slowly to reach the tolerance within the budget.
                if let stall = settings.stallTime, time >= stall {
                    let rate = ANTKFlowResult.decayRate(history)
                    let needed = rate > 0 ? log(residual / settings.tolerance) / rate : .infinity
                    if rate < 1e-3 || time + needed > settings.maximumTime { settled = true; break }
                }
                previous = f
                adapt()
            }
        }
        let velocity = velocityNorm(stepper, predictions: f, dt: dt)
        let residual = velocity / coordinates
        let rate = ANTKFlowResult.decayRate(history)
        // (GV19): pairs within reach d = |v| / kappa_eff of the kink (population coordinates are h itself).
        var kink = 0.0
        if activation == .relu {
            let kappa = rate > 0 ? (lambda > 0 ? min(lambda, rate) : rate) : 0
            let reach = kappa > 0 ? velocity / kappa : Double.infinity
            for i in 0..<size {
                let z2 = readouts[i] * readouts[i]
                for nu in 0..<n where abs(fields[i * n + nu]) <= reach { kink += z2 * kernel[nu * n + nu] }
            }
            kink /= Double(size * n)
        }
        // Kernels (GV4): Phi = <phi(h) phi(h)>, G^1 = <z^2 phi'(h) phi'(h)>, K = G^1 (.) C + Phi.
        var post = [Double](repeating: 0, count: size * n), grad = post
        for i in 0..<size {
            for nu in 0..<n {
                let h = fields[i * n + nu]
                post[i * n + nu] = activation.value(h)
                grad[i * n + nu] = readouts[i] * activation.derivative(h)
            }
        }
        let phi = ANTKKernelAlgebra.gram(ANTKPopulation.transposed(post, rows: size, columns: n), rows: n, columns: size)
        let g = ANTKKernelAlgebra.gram(ANTKPopulation.transposed(grad, rows: size, columns: n), rows: n, columns: size)
        let ntk = ANTKKernelAlgebra.ntk(input: kernel, feature: [phi], gradient: [g], count: n)
        let zNorm = readouts.reduce(0) { $0 + $1 * $1 } / Double(size)
        var result = ANTKFlowResult(predictions: f, previousPredictions: previous, time: time, steps: steps,
                              residual: residual, velocityNorm: velocity,
                              stateNorm: (fields.reduce(0) { $0 + $1 * $1 } + readouts.reduce(0) { $0 + $1 * $1 }).squareRoot(), neurons: size,
                              stationary: residual < settings.tolerance || settled,
                              layerNorms: [zNorm], featureKernels: [phi], gradientKernels: [g], ntk: ntk, trainCount: p,
                              decayRate: rate, kinkDiagonalBound: kink)
        result.stalled = settled && residual >= settings.tolerance
        return result
    }

    static func transposed(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: a.count)
        for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = a[i * columns + j] } }
        return t
    }
}
