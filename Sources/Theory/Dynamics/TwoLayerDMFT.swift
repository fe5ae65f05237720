import Foundation
import Core

/// The infinite-width DMFT of a two-layer network (L = 1) with any activation, solved by sampling the
/// single-site process (notes/dynamics-nonlinear.md (DN1)-(DN8)), on the forward-Euler grid of the
/// network's gradient descent (notes/dynamics-deep-linear.md (DY1)).
///
/// One site is a hidden neuron: its preactivations h_nu on all n points (training first) and its
/// readout a. Given the residuals Delta_k on the training points (DN3),
///
///     h_{k+1,nu} = rho h_{k,nu} + gamma dt a_k sum_mu Delta_{mu,k} phi'(h_{k,mu}) C_{mu nu}
///     a_{k+1}    = rho a_k      + gamma dt sum_mu Delta_{mu,k} phi(h_{k,mu}),      rho = 1 - lambda dt,
///
/// from h_0 ~ N(0, C), a_0 ~ N(0, 1). The order parameters are averages over the site distribution
/// (DN4): f_{nu,k} = <a_k phi(h_{k,nu})>/gamma, Phi_k = <phi(h_k) phi(h_k)^T>, G_k = <a_k^2 phi'(h_k) phi'(h_k)^T>,
/// and Delta_k = y - f_k closes the system. The averages are taken over M sampled sites (DN5);
/// sites come in antithetic pairs (h_0, a_0), (h_0, -a_0), so f_0 = 0 exactly and the sampled system
/// is even in gamma like the exact one (DN7).
public struct TwoLayerDMFT: Sendable {
    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    /// Input kernel C of all n points (n x n, row-major, training points first).
    public let kernel: [Double]
    public let pointCount: Int
    public let labels: [Double]
    public let timeStep: Double
    public let steps: Int

    public init(activation: Activation, gamma: Double, lambda: Double, kernel: [Double], pointCount: Int, labels: [Double],
                timeStep: Double, steps: Int) {
        precondition(kernel.count == pointCount * pointCount && labels.count <= pointCount && !labels.isEmpty && steps >= 1)
        self.activation = activation; self.gamma = gamma; self.lambda = lambda; self.kernel = kernel
        self.pointCount = pointCount; self.labels = labels; self.timeStep = timeStep; self.steps = steps
    }

    /// M sampled sites: initial preactivations (M x n, row-major) and readouts.
    public struct Sites: Sendable {
        public let fields: [Double]
        public let readouts: [Double]
        public var count: Int { readouts.count }
    }

    /// M = 2 * pairs sites: h_0 = L z with L L^T = C (a semidefinite Cholesky factor), z ~ N(0, I),
    /// a_0 ~ N(0, 1), each pair sharing h_0 with opposite readouts (DN5).
    public static func sample(kernel: [Double], pointCount n: Int, pairs: Int, seed: UInt64) -> Sites {
        precondition(pairs >= 1)
        let factor = semidefiniteCholesky(kernel, n)
        let z = NormalSampler.vector(pairs * n, seed: NormalSampler.derive(seed, 0))
        let a = NormalSampler.vector(pairs, seed: NormalSampler.derive(seed, 1))
        var fields = [Double](repeating: 0, count: 2 * pairs * n)
        var readouts = [Double](repeating: 0, count: 2 * pairs)
        for m in 0..<pairs {
            for i in 0..<n {
                var s = 0.0
                for j in 0...i { s += factor[i * n + j] * z[m * n + j] }
                fields[2 * m * n + i] = s
                fields[(2 * m + 1) * n + i] = s
            }
            readouts[2 * m] = a[m]
            readouts[2 * m + 1] = -a[m]
        }
        return Sites(fields: fields, readouts: readouts)
    }

    /// Lower-triangular L with L L^T = C for a positive semidefinite C: a pivot below 1e-13 of the
    /// largest diagonal entry is a direction C does not span, and its column is set to zero.
    static func semidefiniteCholesky(_ c: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        let scale = (0..<n).map { c[$0 * n + $0] }.max() ?? 0
        for j in 0..<n {
            var d = c[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            guard d > 1e-13 * scale else { continue }
            let pivot = d.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<n {
                var s = c[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / pivot
            }
        }
        return l
    }

    /// The order parameters at one recorded grid time: f (n), Phi and G (n x n, row-major).
    public struct Frame: Sendable, Equatable {
        public var predictions: [Double]
        public var featureKernel: [Double]
        public var gradientKernel: [Double]
    }

    /// The self-consistent solution on the given sites (DN6): the march that closes Delta_k = y - f_k at
    /// each step, frames at k = 0, stride, 2 stride, ..., steps.
    public func march(_ sites: Sites, stride: Int) -> [Frame] {
        simulate(sites, stride: stride) { _, f in (0..<labels.count).map { labels[$0] - f[$0] } }.frames
    }

    /// The alternating procedure of the DMFT paper (DN6): simulate the sites with a fixed residual
    /// trajectory, re-estimate f, damp, repeat until the largest change of Delta is below `tolerance`.
    /// Starts from Delta = y (the untrained residual). Returns the frames of the last simulation, the
    /// iterations and the last change.
    public func alternating(_ sites: Sites, stride: Int, damping: Double = 1, tolerance: Double,
                            maximumIterations: Int = 1000) -> (frames: [Frame], iterations: Int, change: Double) {
        precondition(damping > 0 && damping <= 1)
        let p = labels.count
        var delta = [[Double]](repeating: labels, count: steps)
        var change = Double.infinity, iterations = 0
        var frames = [Frame]()
        while iterations < maximumIterations {
            let run = simulate(sites, stride: stride) { k, _ in delta[k] }
            frames = run.frames
            iterations += 1
            change = 0
            for k in 0..<steps {
                for mu in 0..<p {
                    let fresh = labels[mu] - run.predictions[k][mu]
                    change = max(change, abs(fresh - delta[k][mu]))
                    delta[k][mu] += damping * (fresh - delta[k][mu])
                }
            }
            if change < tolerance { break }
        }
        return (frames, iterations, change)
    }

    /// Runs the sites through the Euler map (DN3) with Delta_k = residual(k, f_k), where f_k is the
    /// sampled predictor of step k. Returns the frames at multiples of `stride` and f at every step.
    func simulate(_ sites: Sites, stride: Int, residual: (Int, [Double]) -> [Double]) -> (frames: [Frame], predictions: [[Double]]) {
        precondition(stride >= 1 && steps % stride == 0)
        let n = pointCount, p = labels.count, count = sites.count
        let rho = 1 - lambda * timeStep, rate = gamma * timeStep
        var h = sites.fields, a = sites.readouts
        var phi = [Double](repeating: 0, count: count * n), dphi = phi
        var frames = [Frame](), predictions = [[Double]]()
        let c = kernel, act = activation
        for k in 0...steps {
            let record = k % stride == 0
            var f = [Double](repeating: 0, count: n)
            var phiKernel = [Double](repeating: 0, count: record ? n * n : 0), gradKernel = phiKernel
            h.withUnsafeBufferPointer { h in a.withUnsafeBufferPointer { a in
                phi.withUnsafeMutableBufferPointer { phi in dphi.withUnsafeMutableBufferPointer { dphi in
                    for m in 0..<count {
                        let base = m * n, am = a[m]
                        for nu in 0..<n {
                            let x = h[base + nu]
                            let v = act.value(x), d = act.derivative(x)
                            phi[base + nu] = v; dphi[base + nu] = d
                            f[nu] += am * v
                        }
                        if record {
                            let a2 = am * am
                            for i in 0..<n {
                                let pi = phi[base + i], di = a2 * dphi[base + i]
                                for j in 0..<n {
                                    phiKernel[i * n + j] += pi * phi[base + j]
                                    gradKernel[i * n + j] += di * dphi[base + j]
                                }
                            }
                        }
                    }
                } }
            } }
            let inverse = 1 / Double(count)
            for nu in 0..<n { f[nu] *= inverse / gamma }
            predictions.append(f)
            if record {
                frames.append(Frame(predictions: f, featureKernel: phiKernel.map { $0 * inverse }, gradientKernel: gradKernel.map { $0 * inverse }))
            }
            if k == steps { break }
            let delta = residual(k, f)
            h.withUnsafeMutableBufferPointer { h in a.withUnsafeMutableBufferPointer { a in
                phi.withUnsafeBufferPointer { phi in dphi.withUnsafeBufferPointer { dphi in
                    var weighted = [Double](repeating: 0, count: p)
                    for m in 0..<count {
                        let base = m * n, am = a[m]
                        var da = 0.0
                        for mu in 0..<p {
                            weighted[mu] = delta[mu] * dphi[base + mu]
                            da += delta[mu] * phi[base + mu]
                        }
                        for nu in 0..<n {
                            var s = 0.0
                            for mu in 0..<p { s += weighted[mu] * c[mu * n + nu] }
                            h[base + nu] = rho * h[base + nu] + rate * am * s
                        }
                        a[m] = rho * am + rate * da
                    }
                } }
            } }
        }
        return (frames, predictions)
    }

    /// The lazy NTK at t = 0 (notes/dynamics-nonlinear.md (DN9)): K_0 = Phi_0 + G_0 (.) C with
    /// Phi_0 = E phi(u) phi(v), G_0 = E phi'(u) phi'(v) (E a^2 = 1) under (u, v) ~ N(0, C); from Core's lazy kernel maps.
    public static func lazyKernels(_ activation: Activation, kernel c: [Double], pointCount n: Int) -> (feature: [Double], gradient: [Double]) {
        let maps = lazyKernels(activation, kernel: c, pointCount: n, depth: 1)
        return (maps.features[0], maps.gradients[0])
    }

    /// The lazy kernels of L hidden layers (notes/dynamics-nonlinear.md (DN20)): Phi^l_0 = E phi(u) phi(v) under
    /// (u, v) ~ N(0, Phi^{l-1}_0), Phi^0 = C, and G^l_0 = G^{l+1}_0 (.) E phi'(u) phi'(v), G^{L+1} = 1.
    public static func lazyKernels(_ activation: Activation, kernel c: [Double], pointCount n: Int,
                                   depth: Int) -> (features: [[Double]], gradients: [[Double]]) {
        var features = [[Double]](), derivatives = [[Double]]()
        var previous = c
        for _ in 0..<depth {
            var phi = [Double](repeating: 0, count: n * n), grad = phi
            for i in 0..<n { for j in 0..<n {
                let step = activation.lazyStep(previous[i * n + j], previous[i * n + i], previous[j * n + j])
                phi[i * n + j] = step.value
                grad[i * n + j] = step.derivative
            } }
            features.append(phi); derivatives.append(grad)
            previous = phi
        }
        var gradients = [[Double]](repeating: [], count: depth)
        var above = [Double](repeating: 1, count: n * n)
        for l in (0..<depth).reversed() {
            above = zip(above, derivatives[l]).map { $0 * $1 }
            gradients[l] = above
        }
        return (features, gradients)
    }
}
