import Dispatch
import Foundation
import Core
import Numerics

/// Settings of a finite-width Langevin run (notes/verify-bayes.md, section 3).
public struct LangevinSettings: Sendable {
    public var width: Int = 256
    public var timeStep: Double = 0.1
    public var burnInTime: Double = 100
    public var measuredTime: Double = 400
    /// Record the observables every this many steps.
    public var recordEvery: Int = 5
    /// Start with an extra rank-one spike along y so that y^T Phi^L y starts near this value
    /// (geometric profile over layers); nil: start from the prior (the lazy, NNGP end).
    public var initialOverlap: Double? = nil
    public var seed: UInt64 = 1
    public init() {}
}

/// One run's recorded series (same layout as `MinMaxRun`).
public struct LangevinRun: Sendable {
    public var kernelSeries: [[[Double]]]
    public var predictionSeries: [[Double]]
    public var failure: String?
}

/// Langevin dynamics of a width-N network sampling the posterior of notes/verify-bayes.md section 1, written in the
/// pre-activations h^l (N x (P+Q) per layer) with every weight matrix integrated out exactly
/// (eq. V21): p(h^{l+1} | h^l) = prod_i N(h^{l+1}_i; 0, Phi^l(h^l)), readout marginal eq. V22.
/// Leimkuhler-Matthews discretization (O(dt^2) bias of stationary averages), constant
/// per-layer preconditioner frozen after burn-in (eq. V24).
public struct LangevinNetwork: Sendable {
    public let problem: BayesProblem
    public let settings: LangevinSettings

    public init(problem: BayesProblem, settings: LangevinSettings) throws {
        guard settings.width > problem.pointCount + 1 else {
            throw InputError("width must exceed the number of points + 1")
        }
        self.problem = problem
        self.settings = settings
    }

    struct Failure: Error { let reason: String }

    final class Layer: @unchecked Sendable {
        let h, phi, dphi, grad, noise, previousNoise: UnsafeMutableBufferPointer<Double>
        var preconditioner: [Double]
        var preconditionerRoot: [Double]
        init(count: Int, points: Int) {
            h = .allocate(capacity: count); phi = .allocate(capacity: count); dphi = .allocate(capacity: count)
            grad = .allocate(capacity: count); noise = .allocate(capacity: count); previousNoise = .allocate(capacity: count)
            preconditioner = SmallMatrix.identity(points)
            preconditionerRoot = SmallMatrix.identity(points)
        }
        deinit { [h, phi, dphi, grad, noise, previousNoise].forEach { $0.deallocate() } }
    }

    /// Phi = phi^T phi / N over all points.
    func kernel(_ x: UnsafeMutableBufferPointer<Double>) -> [Double] {
        let pa = problem.pointCount, n = settings.width
        var k = [Double](repeating: 0, count: pa * pa)
        k.withUnsafeMutableBufferPointer { LinearAlgebra.gram(x.baseAddress!, $0.baseAddress!, rows: n, columns: pa) }
        return k.map { $0 / Double(n) }
    }

    /// out (N x pa) = x (N x pa) * m (pa x pa).
    func times(_ x: UnsafeMutableBufferPointer<Double>, _ m: [Double], into out: UnsafeMutableBufferPointer<Double>) {
        let pa = problem.pointCount
        m.withUnsafeBufferPointer { LinearAlgebra.gemm(x.baseAddress!, $0.baseAddress!, out.baseAddress!, m: settings.width, k: pa, n: pa) }
    }

    /// Fills every layer's gradient of the potential U (eq. V23); returns the kernels Phi^1..Phi^L.
    func gradients(_ layers: [Layer]) throws -> [[Double]] {
        let L = problem.depth, pa = problem.pointCount, p = problem.trainCount, n = settings.width
        let act = problem.activation
        var kernels: [[Double]] = [problem.inputKernel]
        for layer in layers {
            act.valuesAndDerivatives(layer.h, values: layer.phi, derivatives: layer.dphi, count: n * pa)
            kernels.append(kernel(layer.phi))
        }
        for l in 1...L {
            let layer = layers[l - 1]
            guard let inputInverse = LinearAlgebra.inverseSPD(kernels[l - 1], n: pa) else { throw Failure(reason: "Phi^\(l - 1) singular") }
            var b: [Double]
            if l < L {
                guard let inverse = LinearAlgebra.inverseSPD(kernels[l], n: pa) else { throw Failure(reason: "Phi^\(l) singular") }
                let g = kernel(layers[l].h)
                b = SmallMatrix.add(inverse, SmallMatrix.sandwich(inverse, g, pa), scale: -1)
            } else {
                var k = SmallMatrix.leadingBlock(kernels[L], pa, p)
                for i in 0..<p { k[i * p + i] += problem.ridge }
                guard let kInverse = LinearAlgebra.inverseSPD(k, n: p), let v = LinearAlgebra.solveSPD(k, problem.labels, n: p) else {
                    throw Failure(reason: "Phi^L + b I singular")
                }
                let g2 = problem.gamma * problem.gamma
                b = SmallMatrix.embedded((0..<(p * p)).map { kInverse[$0] / Double(n) - g2 * v[$0 / p] * v[$0 % p] }, p, in: pa)
            }
            times(layer.h, inputInverse, into: layer.grad)
            times(layer.phi, b, into: layer.noise) // scratch: noise is refilled after the gradient is used
            for i in 0..<(n * pa) { layer.grad[i] += layer.noise[i] * layer.dphi[i] }
        }
        return Array(kernels.dropFirst())
    }

    func initialize(_ layers: [Layer]) throws {
        let L = problem.depth, pa = problem.pointCount, n = settings.width, p = problem.trainCount
        var input = problem.inputKernel
        let norm = problem.labels.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for l in 1...L {
            let layer = layers[l - 1]
            guard let lower = LinearAlgebra.cholesky(input, n: pa) else { throw Failure(reason: "initial kernel singular") }
            NormalSampler.fill(layer.h, seed: NormalSampler.derive(settings.seed, 0x1417, UInt64(l)))
            lower.withUnsafeBufferPointer { LinearAlgebra.multiplyByLowerTransposed(layer.h.baseAddress!, lower: $0.baseAddress!, rows: n, columns: pa) }
            if let target = settings.initialOverlap, target > 1 {
                let amplitude = (pow(target, Double(l) / Double(L)) - 1).squareRoot()
                NormalSampler.fill(layer.noise, seed: NormalSampler.derive(settings.seed, 0x5b1e, UInt64(l)))
                for i in 0..<n { for mu in 0..<p { layer.h[i * pa + mu] += amplitude * layer.noise[i * pa] * problem.labels[mu] / norm } }
            }
            for i in 0..<(n * pa) { layer.phi[i] = problem.activation.value(layer.h[i]) }
            input = kernel(layer.phi)
            NormalSampler.fill(layer.previousNoise, seed: NormalSampler.derive(settings.seed, 0x9015e, UInt64(l)))
        }
    }

    /// Sets each layer's preconditioner to its current pre-activation covariance h^T h / N.
    func adaptPreconditioners(_ layers: [Layer]) throws {
        for layer in layers {
            let m = kernel(layer.h)
            guard let root = LinearAlgebra.cholesky(m, n: problem.pointCount) else { throw Failure(reason: "pre-activations degenerate") }
            layer.preconditioner = m
            layer.preconditionerRoot = root
        }
    }

    public func run(progress: ((Int, Int) -> Void)? = nil) -> LangevinRun {
        let L = problem.depth, pa = problem.pointCount, n = settings.width, count = n * pa
        let layers = (0..<L).map { _ in Layer(count: count, points: pa) }
        var series = Array(repeating: Array(repeating: [Double](), count: pa * pa), count: L)
        var predictions = Array(repeating: [Double](), count: problem.testCount)
        let dt = settings.timeStep
        let burnSteps = Int((settings.burnInTime / dt).rounded()), measuredSteps = Int((settings.measuredTime / dt).rounded())
        let total = burnSteps + measuredSteps
        let noiseScale = (dt / 2).squareRoot()
        do {
            try initialize(layers)
            try adaptPreconditioners(layers)
            for step in 0..<total {
                if step < burnSteps && step % 200 == 199 { try adaptPreconditioners(layers) }
                let kernels = try gradients(layers)
                if step >= burnSteps && (step - burnSteps) % settings.recordEvery == 0 {
                    for l in 0..<L { for e in 0..<(pa * pa) { series[l][e].append(kernels[l][e]) } }
                    if let f = problem.predictions(kernels[L - 1]) { for q in f.indices { predictions[q].append(f[q]) } }
                }
                for (l, layer) in layers.enumerated() {
                    // h <- h - dt grad M + sqrt(dt/2) (xi_k + xi_{k+1}) R^T   (eq. V24)
                    NormalSampler.fill(layer.noise, seed: NormalSampler.derive(settings.seed, UInt64(step), UInt64(l + 1)))
                    for i in 0..<count { let x = layer.noise[i]; layer.noise[i] += layer.previousNoise[i]; layer.previousNoise[i] = x }
                    layer.preconditionerRoot.withUnsafeBufferPointer {
                        LinearAlgebra.multiplyByLowerTransposed(layer.noise.baseAddress!, lower: $0.baseAddress!, rows: n, columns: pa)
                    }
                    times(layer.grad, layer.preconditioner, into: layer.phi)
                    for i in 0..<count { layer.h[i] += -dt * layer.phi[i] + noiseScale * layer.noise[i] }
                }
                if !layers[L - 1].h[0].isFinite { throw Failure(reason: "dynamics diverged (time step too large?)") }
                if step % 100 == 0 { progress?(step, total) }
            }
        } catch let failure as Failure {
            return LangevinRun(kernelSeries: series, predictionSeries: predictions, failure: failure.reason)
        } catch { return LangevinRun(kernelSeries: series, predictionSeries: predictions, failure: "\(error)") }
        return LangevinRun(kernelSeries: series, predictionSeries: predictions, failure: nil)
    }
}
