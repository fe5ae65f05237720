import Foundation
import Core
import Numerics

/// The deep aNTK fixed point by layered populations (notes/antk-nonlinear-data.md (AN9)-(AN12)): for
/// each hidden layer l = 1..L a population of M sampled sites, each carrying its preactivations h^l and
/// its backward field z^l on all n = P + Q points, relaxed by
///
///     dh^l/dt = gamma Phi^{l-1} (Delta (.) g^l) - lambda h^l,      g^l = phi'(h^l) (.) z^l
///     dz^l/dt = gamma G^{l+1} (Delta (.) phi(h^l)) - lambda z^l                                  (AN10)
///     f = < z^L phi(h^L) > / gamma,   Phi^l = < phi(h^l) phi(h^l)^T >,   G^l = < g^l g^l^T >
///
/// (Phi^0 = C, G^{L+1} = 1 1^T; Delta on the training points only, so the sums run over them and test
/// points are carried along without feeding back, (AN11)). Its stationary points are exactly the
/// t -> infinity fixed points of the deep DMFT with weight decay (AN9); at L = 1 it is the two-layer
/// mean-field flow (`ANTKPopulation`).
public struct ANTKDeepPopulation: Sendable {
    public let size: Int
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    public let activation: Activation
    /// fields[l], backward[l] (l = 0..L-1 for layers 1..L): size x n, row i = site i on all points, training first.
    public var fields: [[Double]]
    public var backward: [[Double]]
    public let trainCount: Int
    public let count: Int

    /// Layer-wise Gaussian start (AN10): h^1 ~ N(0, C), h^{l+1} ~ N(0, Phi^l) with Phi^l the population's
    /// own kernel, z^L = a ~ N(0, 1) on every point, z^l ~ N(0, G^{l+1}), all independent: the
    /// infinite-width initialisation, each kernel sampled from the layer below (above).
    public init(size: Int, depth: Int, data: LabelledData, gamma: Double, lambda: Double, activation: Activation, seed: UInt64) throws {
        let n = data.count
        var h: [[Double]] = [], kernel = data.inputKernel
        for l in 0..<depth {
            h.append(try ANTKDeepPopulation.sample(kernel, n: n, size: size, seed: NormalSampler.derive(seed, 0, UInt64(l))))
            kernel = ANTKDeepPopulation.gram(h[l].map(activation.value), size: size, n: n)
        }
        var z = [[Double]](repeating: [], count: depth)
        let a = NormalSampler.vector(size, seed: NormalSampler.derive(seed, 1))
        z[depth - 1] = (0..<(size * n)).map { a[$0 / n] }
        for l in stride(from: depth - 2, through: 0, by: -1) {
            let g = zip(h[l + 1], z[l + 1]).map { activation.derivative($0) * $1 }
            z[l] = try ANTKDeepPopulation.sample(ANTKDeepPopulation.gram(g, size: size, n: n), n: n, size: size,
                                                 seed: NormalSampler.derive(seed, 2, UInt64(l)))
        }
        self.init(depth: depth, gamma: gamma, lambda: lambda, activation: activation, fields: h, backward: z,
                  trainCount: data.trainCount, count: n)
    }

    /// A given state (e.g. a trained network's neurons, for the stability check (AN12)).
    public init(depth: Int, gamma: Double, lambda: Double, activation: Activation, fields: [[Double]], backward: [[Double]],
                trainCount p: Int, count n: Int) {
        precondition(depth >= 1 && fields.count == depth && backward.count == depth && p > 0 && n >= p)
        self.depth = depth
        self.gamma = gamma
        self.lambda = lambda
        self.activation = activation
        self.fields = fields
        self.backward = backward
        trainCount = p
        count = n
        size = fields[0].count / n
    }

    /// size x n samples of N(0, K) (K n x n, positive semidefinite).
    static func sample(_ k: [Double], n: Int, size: Int, seed: UInt64) throws -> [Double] {
        guard let root = ANTKKernelAlgebra.symmetricSquareRoot(k, n: n) else { throw InputError("kernel: eigen-decomposition failed") }
        let xi = NormalSampler.vector(size * n, seed: seed)
        var out = [Double](repeating: 0, count: size * n)
        LinearAlgebra.flowProduct(xi, transposeA: false, root, transposeB: true, m: size, k: n, n: n, into: &out)
        return out
    }

    /// A^T A / size for a site-major matrix A (size x n): the population average of a a^T (n x n).
    static func gram(_ a: [Double], size: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        LinearAlgebra.flowProduct(a, transposeA: true, a, transposeB: false, m: n, k: size, n: n, alpha: 1 / Double(size), into: &c)
        return c
    }

    /// The training columns of a site-major size x n matrix (size x P).
    func trainColumns(_ a: [Double]) -> [Double] {
        let p = trainCount, n = count
        if p == n { return a }
        var out = [Double](repeating: 0, count: size * p)
        for i in 0..<size { for mu in 0..<p { out[i * p + mu] = a[i * n + mu] } }
        return out
    }

    /// What both steppers read from the data (AN10): the training labels, the input kernel C on all points,
    /// its training rows (P x n, Phi^0 in the drives) and sqrt(#coordinates) of the state (2 L M n), the
    /// divisor of the RMS velocity.
    struct RelaxationProblem {
        let labels: [Double]
        let inputKernel: [Double]
        let inputRows: [Double]
        let coordinates: Double
    }

    func relaxationProblem(_ data: LabelledData) -> RelaxationProblem {
        precondition(data.trainCount == trainCount && data.count == count)
        let full = data.inputKernel
        return RelaxationProblem(labels: Array(data.labels[0..<trainCount]), inputKernel: full,
                                 inputRows: Array(full[0..<(trainCount * count)]),
                                 coordinates: Double(2 * depth * size * count).squareRoot())
    }

    struct Kernels {
        var post: [[Double]]
        var grad: [[Double]]
        /// Training rows over all points (P x n): Phi^0 = C, Phi^1..Phi^L; G^1..G^L (G^{L+1} = 1 is implicit).
        var phi: [[Double]]
        var g: [[Double]]
        /// f on all points.
        var f: [Double]
    }

    func kernels(inputRows c: [Double]) -> Kernels {
        let p = trainCount, n = count
        var post: [[Double]] = [], grad: [[Double]] = [], phi = [c], g: [[Double]] = []
        func rows(_ a: [Double]) -> [Double] {
            var k = [Double](repeating: 0, count: p * n)
            LinearAlgebra.flowProduct(trainColumns(a), transposeA: true, a, transposeB: false, m: p, k: size, n: n, alpha: 1 / Double(size), into: &k)
            return k
        }
        for l in 0..<depth {
            let a = activation == .identity ? fields[l] : fields[l].map(activation.value)
            let b = zip(fields[l], backward[l]).map { activation.derivative($0) * $1 }
            post.append(a); grad.append(b)
            phi.append(rows(a))
            g.append(rows(b))
        }
        var f = [Double](repeating: 0, count: n)
        let top = post[depth - 1], z = backward[depth - 1]
        for i in 0..<size { for nu in 0..<n { f[nu] += z[i * n + nu] * top[i * n + nu] } }
        return Kernels(post: post, grad: grad, phi: phi, g: g, f: f.map { $0 / (gamma * Double(size)) })
    }

    /// The right-hand side of (AN10) at the current state, on all points.
    func velocity(_ k: Kernels, labels y: [Double]) -> (h: [[Double]], z: [[Double]]) {
        let p = trainCount, n = count
        let delta = (0..<p).map { y[$0] - k.f[$0] }
        var vh: [[Double]] = [], vz: [[Double]] = []
        for l in 0..<depth {
            var b = trainColumns(k.grad[l]), a = trainColumns(k.post[l])
            for i in 0..<size { for mu in 0..<p { b[i * p + mu] *= delta[mu]; a[i * p + mu] *= delta[mu] } }
            var dh = fields[l]
            LinearAlgebra.flowProduct(b, transposeA: false, k.phi[l], transposeB: false, m: size, k: p, n: n,
                                      alpha: gamma, beta: -lambda, into: &dh)
            var dz = backward[l]
            if l == depth - 1 {
                // G^{L+1} = 1 1^T: the readout's drive is the same on every point.
                for i in 0..<size {
                    var s = 0.0
                    for mu in 0..<p { s += a[i * p + mu] }
                    for nu in 0..<n { dz[i * n + nu] = gamma * s - lambda * dz[i * n + nu] }
                }
            } else {
                LinearAlgebra.flowProduct(a, transposeA: false, k.g[l + 1], transposeB: false, m: size, k: p, n: n,
                                          alpha: gamma, beta: -lambda, into: &dz)
            }
            vh.append(dh); vz.append(dz)
        }
        return (vh, vz)
    }

    /// Relaxes (AN10) by forward Euler to stationarity (RMS velocity per coordinate below the tolerance) or
    /// to the budget, with the step control of (AN10).
    public mutating func run(_ data: LabelledData, _ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        let problem = relaxationProblem(data)
        let p = trainCount, n = count, y = problem.labels, c = problem.inputRows
        let coordinates = problem.coordinates
        var dt = settings.timeStep, steps = 0, time = 0.0
        var k = kernels(inputRows: c)
        var previous = k.f
        var v = velocity(k, labels: y)
        func speed() -> Double { (v.h + v.z).reduce(0.0) { $0 + $1.reduce(0.0) { $0 + $1 * $1 } }.squareRoot() }
        // (AN10) step control: no layer's h or z moves by more than the relative limit of its norm per step, and
        // dt <= 0.5 / (lambda_max(K) + lambda (L + 1)) with K the current adapted NTK on the training block.
        func adapt() {
            var step = settings.timeStep
            if let limit = settings.relativeStepLimit {
                for (x, dx) in zip(fields + backward, v.h + v.z) {
                    let norm = x.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), rate = dx.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                    if rate > 0 { step = min(step, limit * norm / rate) }
                }
            }
            func block(_ a: [Double]) -> [Double] { (0..<p).flatMap { i in a[(i * n)..<(i * n + p)] } }
            let ntk = ANTKKernelAlgebra.ntk(input: block(c), feature: k.phi[1...].map(block), gradient: k.g.map(block), count: p)
            let top = LinearAlgebra.symmetricEigen(ntk, n: p)?.values.max() ?? (0..<p).reduce(0.0) { $0 + ntk[$1 * p + $1] }
            if top.isFinite { step = min(step, 0.5 / (top + lambda * Double(depth + 1))) }
            if step.isFinite && step > 0 { dt = step }
        }
        adapt()
        var history = [(time: 0.0, velocity: speed())]
        let stepCap = settings.maximumSteps ?? ANTKFlowSettings.adaptiveStepFactor * settings.stepBudget
        var residual = history[0].velocity / coordinates
        var window = settleWindow(settings)
        window?.record(time: 0, observables: observables(k))
        while time < settings.maximumTime && steps < stepCap && residual.isFinite {
            for l in 0..<depth {
                for j in fields[l].indices { fields[l][j] += dt * v.h[l][j]; backward[l][j] += dt * v.z[l][j] }
            }
            steps += 1
            time += dt
            k = kernels(inputRows: c)
            v = velocity(k, labels: y)
            window?.record(time: time, observables: observables(k))
            if steps % settings.checkInterval == 0 {
                let s = speed()
                history.append((time, s))
                residual = s / coordinates
                progress?(time / settings.maximumTime)
                if residual < settings.tolerance || window?.settled == true { break }
                previous = k.f
                adapt()
            }
        }
        let stateNorm = (fields + backward).reduce(0.0) { $0 + $1.reduce(0.0) { $0 + $1 * $1 } }.squareRoot()
        return endResult(k, previous: previous, time: time, steps: steps, velocityNorm: speed(), stateNorm: stateNorm,
                         problem: problem, settings: settings, history: history, window: window)
    }

    /// The result of either stepper at its end state (the population's current fields): RMS velocity per
    /// coordinate, the kernels on all points, and the settling test's drift (AN16) when it ran.
    func endResult(_ k: Kernels, previous: [Double], time: Double, steps: Int, velocityNorm: Double, stateNorm: Double,
                   problem: RelaxationProblem, settings: ANTKFlowSettings, history: [(time: Double, velocity: Double)],
                   window: ANTKDriftWindow?) -> ANTKFlowResult {
        let residual = velocityNorm / problem.coordinates
        let phi = featureKernels, g = gradientKernels
        var result = ANTKFlowResult(predictions: k.f, previousPredictions: previous, time: time, steps: steps,
                                    residual: residual, velocityNorm: velocityNorm, stateNorm: stateNorm, neurons: size,
                                    stationary: residual < settings.tolerance,
                                    layerNorms: backward.map { $0.reduce(0.0) { $0 + $1 * $1 } / Double(size * count) },
                                    featureKernels: phi, gradientKernels: g,
                                    ntk: ANTKKernelAlgebra.ntk(input: problem.inputKernel, feature: phi, gradient: g, count: count),
                                    trainCount: trainCount, decayRate: ANTKFlowResult.decayRate(history), kinkDiagonalBound: 0)
        if let window { result.windowDrift = window.drift; result.settled = window.settled }
        return result
    }

    /// The settling test of (AN16), (AN17) when the settings ask for it: windows of `driftWindow` weight-decay
    /// times 1/lambda (default 3).
    func settleWindow(_ settings: ANTKFlowSettings) -> ANTKDriftWindow? {
        guard let tolerance = settings.driftTolerance, lambda > 0 else { return nil }
        return ANTKDriftWindow(length: settings.driftWindow / lambda, tolerance: tolerance)
    }

    /// The observables whose drift (AN16) measures: f on all points and the training rows of Phi^1..Phi^L and
    /// G^1..G^L (every kernel the drives of (AN10) read).
    func observables(_ k: Kernels) -> [[Double]] { [k.f] + Array(k.phi[1...]) + k.g }

    /// Phi^l = <phi(h^l) phi(h^l)^T> on all points (n x n), l = 1..L.
    public var featureKernels: [[Double]] {
        fields.map { h in ANTKDeepPopulation.gram(activation == .identity ? h : h.map(activation.value), size: size, n: count) }
    }

    /// G^l = <g^l g^l^T> on all points (n x n), l = 1..L.
    public var gradientKernels: [[Double]] {
        zip(fields, backward).map { h, z in ANTKDeepPopulation.gram(zip(h, z).map { activation.derivative($0) * $1 }, size: size, n: count) }
    }
}

extension ANTKDeepPopulation {
    /// The neurons of a width-N network as N sites on all points of the data (AN12): h^l and z^l of every
    /// neuron. At a stationary point of the network's flow with weight decay this state is a stationary
    /// point of (AN10) with M = N (the network's own kernels are the population averages).
    public init(network: ANTKNetwork, data: LabelledData) {
        let fields = network.fields(data), n = data.count, width = network.width
        func sites(_ a: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: width * n)
            for nu in 0..<n { for i in 0..<width { out[i * n + nu] = a[nu * width + i] } }
            return out
        }
        self.init(depth: network.depth, gamma: network.gamma, lambda: network.lambda, activation: network.activation,
                  fields: (1...network.depth).map { sites(fields.pre[$0]) }, backward: (1...network.depth).map { sites(fields.back[$0]) },
                  trainCount: data.trainCount, count: n)
    }

    /// Every h and z multiplied by (1 + epsilon xi), xi i.i.d. N(0, 1) from the seed (AN12): a perturbation
    /// of relative size epsilon of every site and, through them, of every kernel.
    public func perturbed(by epsilon: Double, seed: UInt64) -> ANTKDeepPopulation {
        var copy = self
        for l in 0..<depth {
            let a = NormalSampler.vector(fields[l].count, seed: NormalSampler.derive(seed, 0, UInt64(l)))
            let b = NormalSampler.vector(backward[l].count, seed: NormalSampler.derive(seed, 1, UInt64(l)))
            for j in fields[l].indices { copy.fields[l][j] *= 1 + epsilon * a[j]; copy.backward[l][j] *= 1 + epsilon * b[j] }
        }
        return copy
    }
}
