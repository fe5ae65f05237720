import Foundation
import Core
import Numerics

/// The deep aNTK fixed point by layered populations (notes/antk-nonlinear-data.md (AN9)-(AN12)): for
/// each hidden layer l = 1..L a population of M sampled sites, each carrying its preactivations h^l and
/// its backward field z^l on the P training points, relaxed by
///
///     dh^l/dt = gamma Phi^{l-1} (Delta (.) g^l) - lambda h^l,      g^l = phi'(h^l) (.) z^l
///     dz^l/dt = gamma G^{l+1} (Delta (.) phi(h^l)) - lambda z^l                                  (AN10)
///     f = < z^L phi(h^L) > / gamma,   Phi^l = < phi(h^l) phi(h^l)^T >,   G^l = < g^l g^l^T >
///
/// (Phi^0 = C, G^{L+1} = 1 1^T). Its stationary points are exactly the t -> infinity fixed points of the
/// deep DMFT with weight decay (AN9); at L = 1 it is the two-layer mean-field flow (`ANTKPopulation`).
/// Test points are attached at the end by the fixed-point map (AN11).
public struct ANTKDeepPopulation: Sendable {
    public let size: Int
    public let depth: Int
    public let gamma: Double
    public let lambda: Double
    public let activation: Activation
    /// fields[l], backward[l] (l = 0..L-1 for layers 1..L): size x P, row i = site i on the training points.
    public var fields: [[Double]]
    public var backward: [[Double]]
    let trainCount: Int

    /// Layer-wise Gaussian start (AN10): h^1 ~ N(0, C), h^{l+1} ~ N(0, Phi^l) with Phi^l the population's
    /// own kernel, z^L = a ~ N(0, 1) on every point, z^l ~ N(0, G^{l+1}), all independent: the
    /// infinite-width initialisation, each kernel sampled from the layer below (above).
    public init(size: Int, depth: Int, data: LabelledData, gamma: Double, lambda: Double, activation: Activation, seed: UInt64) throws {
        let p = data.trainCount
        var h: [[Double]] = [], kernel = data.trainKernel()
        for l in 0..<depth {
            h.append(try ANTKDeepPopulation.sample(kernel, p: p, size: size, seed: NormalSampler.derive(seed, 0, UInt64(l))))
            kernel = ANTKDeepPopulation.kernel(h[l].map(activation.value), size: size, p: p)
        }
        var z = [[Double]](repeating: [], count: depth)
        let a = NormalSampler.vector(size, seed: NormalSampler.derive(seed, 1))
        z[depth - 1] = (0..<(size * p)).map { a[$0 / p] }
        for l in stride(from: depth - 2, through: 0, by: -1) {
            let g = zip(h[l + 1], z[l + 1]).map { activation.derivative($0) * $1 }
            z[l] = try ANTKDeepPopulation.sample(ANTKDeepPopulation.kernel(g, size: size, p: p), p: p, size: size,
                                                 seed: NormalSampler.derive(seed, 2, UInt64(l)))
        }
        self.init(depth: depth, gamma: gamma, lambda: lambda, activation: activation, fields: h, backward: z, trainCount: p)
    }

    /// A given state (e.g. a trained network's neurons, for the stability check (AN12)).
    public init(depth: Int, gamma: Double, lambda: Double, activation: Activation, fields: [[Double]], backward: [[Double]], trainCount p: Int) {
        precondition(depth >= 1 && fields.count == depth && backward.count == depth && p > 0)
        self.depth = depth
        self.gamma = gamma
        self.lambda = lambda
        self.activation = activation
        self.fields = fields
        self.backward = backward
        trainCount = p
        size = fields[0].count / p
    }

    /// size x p samples of N(0, K) (K p x p, positive semidefinite).
    static func sample(_ k: [Double], p: Int, size: Int, seed: UInt64) throws -> [Double] {
        guard let root = ANTKKernelAlgebra.symmetricSquareRoot(k, n: p) else { throw InputError("kernel: eigen-decomposition failed") }
        let xi = NormalSampler.vector(size * p, seed: seed)
        var out = [Double](repeating: 0, count: size * p)
        LinearAlgebra.flowProduct(xi, transposeA: false, root, transposeB: true, m: size, k: p, n: p, into: &out)
        return out
    }

    /// A^T A / size for a site-major matrix A (size x p): the population average of a a^T.
    static func kernel(_ a: [Double], size: Int, p: Int) -> [Double] {
        var c = [Double](repeating: 0, count: p * p)
        LinearAlgebra.flowProduct(a, transposeA: true, a, transposeB: false, m: p, k: size, n: p, alpha: 1 / Double(size), into: &c)
        return c
    }

    struct Kernels {
        var post: [[Double]]
        var grad: [[Double]]
        /// Phi^0 = C, Phi^1..Phi^L; G^1..G^L (G^{L+1} = 1 is implicit).
        var phi: [[Double]]
        var g: [[Double]]
        var f: [Double]
    }

    func kernels(input c: [Double]) -> Kernels {
        let p = trainCount
        var post: [[Double]] = [], grad: [[Double]] = [], phi = [c], g: [[Double]] = []
        for l in 0..<depth {
            let a = activation == .identity ? fields[l] : fields[l].map(activation.value)
            let b = zip(fields[l], backward[l]).map { activation.derivative($0) * $1 }
            post.append(a); grad.append(b)
            phi.append(ANTKDeepPopulation.kernel(a, size: size, p: p))
            g.append(ANTKDeepPopulation.kernel(b, size: size, p: p))
        }
        var f = [Double](repeating: 0, count: p)
        let top = post[depth - 1], z = backward[depth - 1]
        for i in 0..<size { for mu in 0..<p { f[mu] += z[i * p + mu] * top[i * p + mu] } }
        return Kernels(post: post, grad: grad, phi: phi, g: g, f: f.map { $0 / (gamma * Double(size)) })
    }

    /// The right-hand side of (AN10) at the current state.
    func velocity(_ k: Kernels, labels y: [Double]) -> (h: [[Double]], z: [[Double]]) {
        let p = trainCount
        let delta = (0..<p).map { y[$0] - k.f[$0] }
        var vh: [[Double]] = [], vz: [[Double]] = []
        for l in 0..<depth {
            var b = k.grad[l], a = k.post[l]
            for i in 0..<size { for mu in 0..<p { b[i * p + mu] *= delta[mu]; a[i * p + mu] *= delta[mu] } }
            var dh = fields[l]
            LinearAlgebra.flowProduct(b, transposeA: false, k.phi[l], transposeB: false, m: size, k: p, n: p,
                                      alpha: gamma, beta: -lambda, into: &dh)
            var dz = backward[l]
            if l == depth - 1 {
                // G^{L+1} = 1 1^T: the readout's drive is the same on every point.
                for i in 0..<size {
                    var s = 0.0
                    for mu in 0..<p { s += a[i * p + mu] }
                    for mu in 0..<p { dz[i * p + mu] = gamma * s - lambda * dz[i * p + mu] }
                }
            } else {
                LinearAlgebra.flowProduct(a, transposeA: false, k.g[l + 1], transposeB: false, m: size, k: p, n: p,
                                          alpha: gamma, beta: -lambda, into: &dz)
            }
            vh.append(dh); vz.append(dz)
        }
        return (vh, vz)
    }

    /// Relaxes (AN10) by forward Euler to stationarity (RMS velocity per coordinate below the tolerance) or
    /// to the budget, with the step control of (AN10); then attaches the test points by (AN11).
    public mutating func run(_ data: LabelledData, _ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        let p = trainCount, y = Array(data.labels[0..<p]), c = data.trainKernel()
        let coordinates = Double(2 * depth * size * p).squareRoot()
        var dt = settings.timeStep, steps = 0, time = 0.0
        var k = kernels(input: c)
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
            let ntk = ANTKKernelAlgebra.ntk(input: c, feature: Array(k.phi[1...]), gradient: k.g, count: p)
            let top = LinearAlgebra.symmetricEigen(ntk, n: p)?.values.max() ?? (0..<p).reduce(0.0) { $0 + ntk[$1 * p + $1] }
            if top.isFinite { step = min(step, 0.5 / (top + lambda * Double(depth + 1))) }
            if step.isFinite && step > 0 { dt = step }
        }
        adapt()
        var history = [(time: 0.0, velocity: speed())]
        let stepCap = ANTKFlowSettings.adaptiveStepFactor * settings.stepBudget
        var residual = history[0].velocity / coordinates
        while time < settings.maximumTime && steps < stepCap && residual.isFinite {
            for l in 0..<depth {
                for j in fields[l].indices { fields[l][j] += dt * v.h[l][j]; backward[l][j] += dt * v.z[l][j] }
            }
            steps += 1
            time += dt
            k = kernels(input: c)
            v = velocity(k, labels: y)
            if steps % settings.checkInterval == 0 {
                let s = speed()
                history.append((time, s))
                residual = s / coordinates
                progress?(time / settings.maximumTime)
                if residual < settings.tolerance { break }
                previous = k.f
                adapt()
            }
        }
        let velocity = speed()
        residual = velocity / coordinates
        let stateNorm = (fields + backward).reduce(0.0) { $0 + $1.reduce(0.0) { $0 + $1 * $1 } }.squareRoot()
        let all = attachTest(data, k)
        var trainPrevious = previous
        if data.hasTest { trainPrevious += Array(all.f[p...]) }
        return ANTKFlowResult(predictions: all.f, previousPredictions: trainPrevious, time: time, steps: steps,
                              residual: residual, velocityNorm: velocity, stateNorm: stateNorm, neurons: size,
                              stationary: residual < settings.tolerance,
                              layerNorms: backward.map { $0.reduce(0.0) { $0 + $1 * $1 } / Double(size * p) },
                              featureKernels: all.phi, gradientKernels: all.g,
                              ntk: ANTKKernelAlgebra.ntk(input: data.inputKernel, feature: all.phi, gradient: all.g, count: data.count),
                              trainCount: p, decayRate: ANTKFlowResult.decayRate(history), kinkDiagonalBound: 0)
    }

    /// (AN11) The test points by the fixed-point map: upward h^l_* = (gamma/lambda) (Delta (.) g^l) Phi^{l-1}(X, x_*),
    /// downward z^l_* = (gamma/lambda) (Delta (.) phi(h^l)) G^{l+1}(X, x_*) (G^{L+1} = 1), f_* = <z^L_* phi(h^L_*)>/gamma;
    /// kernels and f over all n = P + Q points (training first).
    func attachTest(_ data: LabelledData, _ k: Kernels) -> (f: [Double], phi: [[Double]], g: [[Double]]) {
        let p = trainCount, q = data.testCount, n = p + q, m = size
        let delta = (0..<p).map { data.labels[$0] - k.f[$0] }
        let scale = gamma / lambda
        let c = data.inputKernel
        // Site-major fields over all points: columns 0..<p training (the state), p..<n test.
        func joined(_ train: [Double], _ test: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for mu in 0..<p { out[i * n + mu] = train[i * p + mu] }
                for j in 0..<q { out[i * n + p + j] = test[i * q + j] }
            }
            return out
        }
        var hTest: [[Double]] = []
        var crossPhi = (0..<p).flatMap { mu in (0..<q).map { c[mu * n + p + $0] } }   // Phi^{l-1}(X, x_*), P x Q
        for l in 0..<depth {
            var b = k.grad[l]
            for i in 0..<m { for mu in 0..<p { b[i * p + mu] *= delta[mu] } }
            var h = [Double](repeating: 0, count: m * q)
            if q > 0 { LinearAlgebra.flowProduct(b, transposeA: false, crossPhi, transposeB: false, m: m, k: p, n: q, alpha: scale, into: &h) }
            hTest.append(h)
            let post = h.map(activation.value)
            crossPhi = [Double](repeating: 0, count: p * q)
            if q > 0 { LinearAlgebra.flowProduct(k.post[l], transposeA: true, post, transposeB: false, m: p, k: m, n: q, alpha: 1 / Double(m), into: &crossPhi) }
        }
        var zTest = [[Double]](repeating: [], count: depth)
        var gTest = [[Double]](repeating: [], count: depth)
        for l in stride(from: depth - 1, through: 0, by: -1) {
            var a = k.post[l]
            for i in 0..<m { for mu in 0..<p { a[i * p + mu] *= delta[mu] } }
            var z = [Double](repeating: 0, count: m * q)
            if l == depth - 1 {
                for i in 0..<m {
                    var s = 0.0
                    for mu in 0..<p { s += a[i * p + mu] }
                    for j in 0..<q { z[i * q + j] = scale * s }
                }
            } else if q > 0 {
                var crossG = [Double](repeating: 0, count: p * q)
                LinearAlgebra.flowProduct(k.grad[l + 1], transposeA: true, gTest[l + 1], transposeB: false, m: p, k: m, n: q, alpha: 1 / Double(m), into: &crossG)
                LinearAlgebra.flowProduct(a, transposeA: false, crossG, transposeB: false, m: m, k: p, n: q, alpha: scale, into: &z)
            }
            zTest[l] = z
            gTest[l] = zip(hTest[l], z).map { activation.derivative($0) * $1 }
        }
        var phi: [[Double]] = [], g: [[Double]] = []
        for l in 0..<depth {
            let post = joined(k.post[l], hTest[l].map(activation.value))
            let grad = joined(k.grad[l], gTest[l])
            phi.append(ANTKDeepPopulation.kernel(post, size: m, p: n))
            g.append(ANTKDeepPopulation.kernel(grad, size: m, p: n))
        }
        var f = k.f
        let top = hTest[depth - 1].map(activation.value), z = zTest[depth - 1]
        for j in 0..<q {
            var s = 0.0
            for i in 0..<m { s += z[i * q + j] * top[i * q + j] }
            f.append(s / (gamma * Double(m)))
        }
        return (f, phi, g)
    }
}
