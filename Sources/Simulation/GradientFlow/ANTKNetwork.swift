import Foundation
import Core
import Numerics

/// A finite network of width N with L hidden layers in the mean-field (muP) parameterization of
/// notes/antk-deep-linear.md (A1), trained by gradient descent with weight decay
/// (A2): d theta/dt = gamma^2 N sum_mu Delta_mu df_mu/dtheta - lambda theta, forward Euler.
///
///     h^1 = W^0 x / sqrt(D),  h^{l+1} = W^l phi(h^l) / sqrt(N),  f = w . phi(h^L) / (gamma N)
///     g^L = w (.) phi'(h^L),  g^l = phi'(h^l) (.) W^l^T g^{l+1} / sqrt(N)           (A2)
///     dW^0/dt = (gamma/sqrt D) sum_mu Delta_mu g^1_mu x_mu^T - lambda W^0
///     dW^l/dt = (gamma/sqrt N) sum_mu Delta_mu g^{l+1}_mu phi(h^l_mu)^T - lambda W^l
///     dw/dt   = gamma sum_mu Delta_mu phi(h^L_mu) - lambda w
///
/// Fields are stored point-major (n x N, training rows first), so the training block of every
/// field matrix is its leading rows.
public struct ANTKNetwork: Sendable {
    public let depth: Int
    public let width: Int
    public let gamma: Double
    public let lambda: Double
    public let activation: Activation
    /// weights[0] = W^0 (N x D), weights[l] = W^l (N x N) for l = 1..L-1, weights[L] = w (N).
    public var weights: [[Double]]

    /// All weights i.i.d. N(0, 1) from the seed (A1).
    public init(depth: Int, width: Int, inputDimension d: Int, gamma: Double, lambda: Double,
                activation: Activation, seed: UInt64) {
        var w: [[Double]] = [NormalSampler.vector(width * d, seed: NormalSampler.derive(seed, 0))]
        for l in 1..<max(depth, 1) { w.append(NormalSampler.vector(width * width, seed: NormalSampler.derive(seed, UInt64(l)))) }
        w.append(NormalSampler.vector(width, seed: NormalSampler.derive(seed, UInt64(max(depth, 1)))))
        self.init(depth: depth, gamma: gamma, lambda: lambda, activation: activation, weights: w)
    }

    public init(depth: Int, gamma: Double, lambda: Double, activation: Activation, weights: [[Double]]) {
        precondition(depth >= 1 && weights.count == depth + 1)
        self.depth = depth
        width = weights[depth].count
        self.gamma = gamma
        self.lambda = lambda
        self.activation = activation
        self.weights = weights
    }

    public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } }

    /// Forward and backward fields at the current weights: pre[l], post[l] = phi(pre[l]) and
    /// grad[l] = g^l for l = 1..L (index 0 unused), each n x N, and f on all points.
    public struct Fields {
        public var pre: [[Double]]
        public var post: [[Double]]
        public var grad: [[Double]]
        /// back[l] = z^l, the backward field before phi'(h^l): g^l = phi'(h^l) (.) z^l (z^L = w on every point).
        public var back: [[Double]]
        public var predictions: [Double]
    }

    public func fields(_ data: LabelledData) -> Fields {
        let n = data.count, nn = width, d = data.dimension
        var pre = [[Double]](repeating: [], count: depth + 1), post = pre, grad = pre, back = pre
        var h = [Double](repeating: 0, count: n * nn)
        LinearAlgebra.flowProduct(data.inputs, transposeA: false, weights[0], transposeB: true, m: n, k: d, n: nn,
                                  alpha: 1 / Double(d).squareRoot(), into: &h)
        for l in 1...depth {
            if l > 1 {
                h = [Double](repeating: 0, count: n * nn)
                LinearAlgebra.flowProduct(post[l - 1], transposeA: false, weights[l - 1], transposeB: true, m: n, k: nn, n: nn,
                                          alpha: 1 / Double(nn).squareRoot(), into: &h)
            }
            pre[l] = h
            post[l] = activation == .identity ? h : h.map(activation.value)
        }
        var f = [Double](repeating: 0, count: n)
        let readout = weights[depth]
        for nu in 0..<n {
            var s = 0.0
            for i in 0..<nn { s += post[depth][nu * nn + i] * readout[i] }
            f[nu] = s / (gamma * Double(nn))
        }
        var g = [Double](repeating: 0, count: n * nn)
        for nu in 0..<n { for i in 0..<nn { g[nu * nn + i] = readout[i] * activation.derivative(pre[depth][nu * nn + i]) } }
        back[depth] = (0..<(n * nn)).map { readout[$0 % nn] }
        grad[depth] = g
        if depth > 1 {
            for l in stride(from: depth - 1, through: 1, by: -1) {
                var t = [Double](repeating: 0, count: n * nn)
                LinearAlgebra.flowProduct(grad[l + 1], transposeA: false, weights[l], transposeB: false, m: n, k: nn, n: nn,
                                          alpha: 1 / Double(nn).squareRoot(), into: &t)
                back[l] = t
                if activation != .identity { for j in 0..<(n * nn) { t[j] *= activation.derivative(pre[l][j]) } }
                grad[l] = t
            }
        }
        return Fields(pre: pre, post: post, grad: grad, back: back, predictions: f)
    }

    /// One Euler step of (A2) from the given fields (computed at the current weights).
    mutating func step(_ data: LabelledData, _ fields: Fields, dt: Double) {
        let p = data.trainCount, nn = width, d = data.dimension
        let delta = (0..<p).map { data.labels[$0] - fields.predictions[$0] }
        let decay = 1 - lambda * dt
        func weighted(_ g: [Double]) -> [Double] {
            var b = [Double](repeating: 0, count: p * nn)
            for mu in 0..<p { for i in 0..<nn { b[mu * nn + i] = g[mu * nn + i] * delta[mu] } }
            return b
        }
        LinearAlgebra.flowProduct(weighted(fields.grad[1]), transposeA: true, data.inputs, transposeB: false, m: nn, k: p, n: d,
                                  alpha: dt * gamma / Double(d).squareRoot(), beta: decay, into: &weights[0])
        if depth > 1 {
            for l in 1..<depth {
                LinearAlgebra.flowProduct(weighted(fields.grad[l + 1]), transposeA: true, fields.post[l], transposeB: false,
                                          m: nn, k: p, n: nn, alpha: dt * gamma / Double(nn).squareRoot(), beta: decay, into: &weights[l])
            }
        }
        let post = fields.post[depth]
        for i in 0..<nn {
            var s = 0.0
            for mu in 0..<p { s += post[mu * nn + i] * delta[mu] }
            weights[depth][i] = decay * weights[depth][i] + dt * gamma * s
        }
    }

    /// |d theta/dt| at the current weights (Euclidean), from one trial step that is then undone.
    func velocityNorm(_ data: LabelledData, _ fields: Fields, dt: Double) -> Double {
        var trial = self
        trial.step(data, fields, dt: dt)
        var s = 0.0
        for (a, b) in zip(trial.weights, weights) { for j in a.indices { let v = a[j] - b[j]; s += v * v } }
        return s.squareRoot() / dt
    }

    /// Trains to stationarity or to the step budget; `progress` (if any) gets a fraction in [0, 1].
    public mutating func train(_ data: LabelledData, _ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        var dt = settings.timeStep
        let budget = settings.stepBudget, adaptive = settings.relativeStepLimit
        var fields = self.fields(data)
        var previous = fields.predictions
        var steps = 0, residual = Double.infinity, stationary = false, time = 0.0
        // (ANTKFlowSettings.relativeStepLimit): the step from the state's norm and velocity at each check.
        // Per layer: no weight matrix moves by more than the limit times its own norm per step.
        func adapt() {
            guard let limit = adaptive else { return }
            var trial = self
            trial.step(data, fields, dt: dt)
            var smallest = Double.infinity
            for (a, b) in zip(trial.weights, weights) {
                var change = 0.0, norm = 0.0
                for j in a.indices { change += (a[j] - b[j]) * (a[j] - b[j]); norm += b[j] * b[j] }
                if change > 0 { smallest = min(smallest, limit * norm.squareRoot() / (change.squareRoot() / dt)) }
            }
            if smallest.isFinite { dt = min(settings.timeStep, smallest) }
        }
        adapt()
        var history = [(time: 0.0, velocity: velocityNorm(data, fields, dt: dt))]
        // Adaptive: the budget is flow time, and at most ANTKFlowSettings.adaptiveStepFactor times the fixed-step count of steps.
        func done() -> Bool { adaptive == nil ? steps >= budget : (time >= settings.maximumTime || steps >= ANTKFlowSettings.adaptiveStepFactor * budget) }
        while !done() {
            step(data, fields, dt: dt)
            steps += 1
            time = adaptive == nil ? Double(steps) * dt : time + dt
            fields = self.fields(data)
            if steps % settings.checkInterval == 0 || done() {
                let speed = velocityNorm(data, fields, dt: dt)
                history.append((time, speed))
                residual = speed / Double(parameterCount).squareRoot()
                if residual < settings.tolerance { stationary = true }
                progress?(adaptive == nil ? Double(steps) / Double(budget) : time / settings.maximumTime)
                if stationary || done() { break }
                previous = fields.predictions
                adapt()
            }
        }
        let velocity = velocityNorm(data, fields, dt: dt)
        residual = velocity / Double(parameterCount).squareRoot()
        return result(data, fields, previous: previous, time: time, steps: steps,
                      velocity: velocity, residual: residual, stationary: residual < settings.tolerance,
                      decayRate: ANTKFlowResult.decayRate(history))
    }

    func result(_ data: LabelledData, _ fields: Fields, previous: [Double], time: Double, steps: Int,
                velocity: Double, residual: Double, stationary: Bool, decayRate rate: Double = 0) -> ANTKFlowResult {
        let n = data.count
        // (GV19), two-layer ReLU: pairs (i, nu) with |h_inu| <= sqrt(C_nunu) d, d = |v| / kappa_eff (h = w_i.x/sqrt D moves
        // by at most |x|/sqrt(D) |dw_i| = sqrt(C_nunu) |dw_i|); each can flip phi'(h) and change G_nunu C_nunu by w_i^2 C_nunu / N.
        var kink = 0.0
        if activation == .relu && depth == 1 {
            let kappa = rate > 0 ? (lambda > 0 ? min(lambda, rate) : rate) : 0
            let reach = kappa > 0 ? velocity / kappa : Double.infinity
            let c = data.inputKernel, readout = weights[1], pre = fields.pre[1]
            for nu in 0..<n {
                let cc = c[nu * n + nu], r = cc.squareRoot() * reach
                for i in 0..<width where abs(pre[nu * width + i]) <= r { kink += readout[i] * readout[i] * cc }
            }
            kink /= Double(width * n)
        }
        let phi = (1...depth).map { ANTKKernelAlgebra.gram(fields.post[$0], rows: n, columns: width) }
        let gk = (1...depth).map { ANTKKernelAlgebra.gram(fields.grad[$0], rows: n, columns: width) }
        let ntk = ANTKKernelAlgebra.ntk(input: data.inputKernel, feature: phi, gradient: gk, count: n)
        let norms = weights.map { w in w.reduce(0) { $0 + $1 * $1 } / Double(width) }
        return ANTKFlowResult(predictions: fields.predictions, previousPredictions: previous, time: time, steps: steps,
                              residual: residual, velocityNorm: velocity,
                              stateNorm: (norms.reduce(0, +) * Double(width)).squareRoot(), neurons: width, stationary: stationary,
                              layerNorms: norms, featureKernels: phi, gradientKernels: gk, ntk: ntk, trainCount: data.trainCount,
                              decayRate: rate, kinkDiagonalBound: kink)
    }
}
