import Foundation
import Core
import Numerics

/// The shared algebra of the two-layer CNN's gradient flow with weight decay (notes/cnn-two-layer.md
/// (CN3), (CN6)), for a DMFT population (`CNNPopulation`) and a finite network (`CNNNetwork`) alike:
/// M sites (sites of the population or filters of the network), each with fields h_{i,(nu,p)} on all
/// n points and |P| positions and a readout z_i,
///
///     f_nu = (1/(gamma M)) sum_i z_i psi_{i nu},  psi_{i nu} = |P|^-1 sum_p phi(h_{i,(nu,p)})      (CN3)
///     first-layer drive  g_i  = sum_{mu <= P, p} Delta_mu z_i phi'(h_{i,(mu,p)}) a_{(mu,p)} / |P|   (CN6)
///     readout drive      dz_i = sum_{mu <= P} Delta_mu psi_{i mu}
///
/// with a_{(nu,p)} = patch_p(x_nu)/sqrt(K^2 C) the rows of the scaled patch matrix A, so that the
/// patch-patch kernel is C = A A^T (CN2) and a field update by C is an update through A.
public struct PooledFlow: Sendable {
    /// A: (n |P|) x d, d = K^2 C, rows point-major (nu |P| + p), training points first.
    public let patches: [Double]
    public let count: Int
    public let positions: Int
    public let dimension: Int
    public let trainCount: Int
    public let labels: [Double]
    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    /// The training rows of A (P |P| x d).
    let trainPatches: [Double]

    public init(data: LabelledData, architecture: Architecture, activation: Activation, gamma: Double, lambda: Double) throws {
        switch architecture {
        case .mlp:
            // One position whose patch is the whole input: a = x/sqrt(D) (CN8).
            let scale = 1 / Double(data.dimension).squareRoot()
            patches = data.inputs.map { $0 * scale }
            positions = 1
            dimension = data.dimension
        case .cnn(let g):
            try g.validate(data)
            patches = g.scaledPatches(data)
            positions = g.positionCount
            dimension = g.patchDimension
        }
        count = data.count
        trainCount = data.trainCount
        labels = data.labels
        self.activation = activation
        self.gamma = gamma
        self.lambda = lambda
        trainPatches = Array(patches[0..<(data.trainCount * positions * dimension)])
    }

    /// Pseudo-points n |P| (the columns of a site's field row).
    public var width: Int { count * positions }

    /// The fields of a state with phi, phi' of every entry, the pooled features psi (M x n,
    /// site-major) and f on all points (CN3).
    struct Evaluation {
        var h: [Double]
        var phi: [Double]
        var dphi: [Double]
        var psi: [Double]
        var f: [Double]
    }

    func evaluate(_ h: [Double], readouts z: [Double]) -> Evaluation {
        let total = h.count, n = count, q = positions, m = width, sites = z.count
        var phi = [Double](repeating: 0, count: total), dphi = phi
        var psi = [Double](repeating: 0, count: sites * n), f = [Double](repeating: 0, count: n)
        let inverse = 1 / Double(q), activation = self.activation
        h.withUnsafeBufferPointer { hb in
            phi.withUnsafeMutableBufferPointer { pb in
                dphi.withUnsafeMutableBufferPointer { db in
                    switch activation {
                    case .relu: for j in 0..<total { let x = hb[j]; if x > 0 { pb[j] = x; db[j] = 1 } }
                    case .identity: for j in 0..<total { pb[j] = hb[j]; db[j] = 1 }
                    default: for j in 0..<total { pb[j] = activation.value(hb[j]); db[j] = activation.derivative(hb[j]) }
                    }
                }
                psi.withUnsafeMutableBufferPointer { sb in
                    f.withUnsafeMutableBufferPointer { fb in
                        for i in 0..<sites {
                            let zi = z[i]
                            for nu in 0..<n {
                                var s = 0.0
                                let base = i * m + nu * q
                                for p in 0..<q { s += pb[base + p] }
                                let pooled = q == 1 ? s : s * inverse
                                sb[i * n + nu] = pooled
                                fb[nu] += zi * pooled
                            }
                        }
                    }
                }
            }
        }
        let scale = 1 / (gamma * Double(sites))
        return Evaluation(h: h, phi: phi, dphi: dphi, psi: psi, f: f.map { $0 * scale })
    }

    /// The drives (g: M x d, dz: M) of (CN6) at an evaluated state with readouts z.
    func drives(_ e: Evaluation, readouts z: [Double]) -> (g: [Double], dz: [Double]) {
        let p = trainCount, q = positions, m = width, n = count, sites = z.count, rows = p * q
        let delta = (0..<p).map { labels[$0] - e.f[$0] }
        var b = [Double](repeating: 0, count: sites * rows), dz = [Double](repeating: 0, count: sites)
        let inverse = q == 1 ? 1 : 1 / Double(q)
        for i in 0..<sites {
            var s = 0.0
            for mu in 0..<p {
                let weight = z[i] * delta[mu] * inverse
                for pos in 0..<q { b[i * rows + mu * q + pos] = weight * e.dphi[i * m + mu * q + pos] }
                s += e.psi[i * n + mu] * delta[mu]
            }
            dz[i] = s
        }
        var g = [Double](repeating: 0, count: sites * dimension)
        LinearAlgebra.flowProduct(b, transposeA: false, trainPatches, transposeB: false, m: sites, k: rows, n: dimension, into: &g)
        return (g, dz)
    }

    /// H = W A^T (M x n|P|) for first-layer weights W (M x d).
    public func fields(weights w: [Double], sites: Int) -> [Double] {
        var h = [Double](repeating: 0, count: sites * width)
        LinearAlgebra.flowProduct(w, transposeA: false, patches, transposeB: true, m: sites, k: dimension, n: width, into: &h)
        return h
    }

    /// Pooled kernels over all n points (CN4): Phi = <psi psi>, the first-layer term
    /// T = <u(x).u(x')> with u_i(x) = |P|^-1 sum_p z_i phi'(h_{i,p}(x)) a_p(x), and the NTK K = T + Phi.
    func kernels(_ e: Evaluation, readouts z: [Double]) -> (phi: [Double], tangent: [Double], ntk: [Double]) {
        let n = count, q = positions, m = width, d = dimension, sites = z.count, psi = e.psi
        let inverse = q == 1 ? 1 : 1 / Double(q)
        var phi = [Double](repeating: 0, count: n * n)
        // psi^T psi / M
        LinearAlgebra.flowProduct(psi, transposeA: true, psi, transposeB: false, m: n, k: sites, n: n, alpha: 1 / Double(sites), into: &phi)
        // u: n x (M d), point-major.
        var u = [Double](repeating: 0, count: n * sites * d)
        for i in 0..<sites { for nu in 0..<n {
            let row = nu * sites * d + i * d
            for pos in 0..<q {
                let weight = z[i] * e.dphi[i * m + nu * q + pos] * inverse
                if weight == 0 { continue }
                let a = (nu * q + pos) * d
                for k in 0..<d { u[row + k] += weight * patches[a + k] }
            }
        } }
        var tangent = [Double](repeating: 0, count: n * n)
        LinearAlgebra.flowProduct(u, transposeA: false, u, transposeB: true, m: n, k: sites * d, n: n, alpha: 1 / Double(sites), into: &tangent)
        return (phi, tangent, zip(phi, tangent).map { $0 + $1 })
    }

    /// Diagonal of C over the pseudo-points, a_{(nu,p)}.a_{(nu,p)}.
    public var patchNorms: [Double] {
        (0..<width).map { r in (0..<dimension).reduce(0.0) { $0 + patches[r * dimension + $1] * patches[r * dimension + $1] } }
    }
}

/// A state the pooled flow moves: the first layer (fields or weights) and the readouts.
protocol PooledFlowState {
    var first: [Double] { get set }
    var readouts: [Double] { get set }
    /// The fields H (M x n|P|) at the current state.
    func fields(_ flow: PooledFlow) -> [Double]
    /// One Euler step by the drives (CN6).
    mutating func apply(_ flow: PooledFlow, g: [Double], dz: [Double], dt: Double)
    /// The scale r_(nu,p) of a field's move per unit move of the state (GV19): 1 for the population
    /// (its state holds h), sqrt(C_(nu,p),(nu,p)) for a network (h = w.a).
    var fieldReachIsPatchNorm: Bool { get }
}

extension PooledFlowState {
    /// Runs to stationarity or to the budget, with the step rule and stopping test of
    /// `ANTKFlowSettings` (fixed or relative step limit; `stallTime` is not used here).
    mutating func runPooled(_ flow: PooledFlow, _ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        var dt = settings.timeStep
        let budget = settings.stepBudget, adaptive = settings.relativeStepLimit, sites = readouts.count
        let coordinates = Double(first.count + readouts.count).squareRoot()
        var e = flow.evaluate(fields(flow), readouts: readouts)
        var previous = e.f
        func velocity() -> Double {
            let (g, dz) = flow.drives(e, readouts: readouts)
            var trial = self
            trial.apply(flow, g: g, dz: dz, dt: dt)
            var s = 0.0
            for j in first.indices { let v = trial.first[j] - first[j]; s += v * v }
            for j in readouts.indices { let v = trial.readouts[j] - readouts[j]; s += v * v }
            return s.squareRoot() / dt
        }
        func adapt() {
            guard let limit = adaptive else { return }
            let (g, dz) = flow.drives(e, readouts: readouts)
            var trial = self
            trial.apply(flow, g: g, dz: dz, dt: dt)
            var smallest = Double.infinity
            for (a, b) in [(trial.first, first), (trial.readouts, readouts)] {
                var change = 0.0, norm = 0.0
                for j in a.indices { change += (a[j] - b[j]) * (a[j] - b[j]); norm += b[j] * b[j] }
                if change > 0 { smallest = min(smallest, limit * norm.squareRoot() / (change.squareRoot() / dt)) }
            }
            if smallest.isFinite { dt = min(settings.timeStep, smallest) }
        }
        adapt()
        var history = [(time: 0.0, velocity: velocity())]
        var steps = 0, time = 0.0
        func done() -> Bool { adaptive == nil ? steps >= budget : (time >= settings.maximumTime || steps >= ANTKFlowSettings.adaptiveStepFactor * budget) }
        while !done() {
            let (g, dz) = flow.drives(e, readouts: readouts)
            e.h = []   // release the fields before the state moves (no copy on write)
            apply(flow, g: g, dz: dz, dt: dt)
            steps += 1
            time = adaptive == nil ? Double(steps) * dt : time + dt
            e = flow.evaluate(fields(flow), readouts: readouts)
            if !e.f.allSatisfy(\.isFinite) { break }
            if steps % settings.checkInterval == 0 || done() {
                let speed = velocity()
                history.append((time, speed))
                progress?(adaptive == nil ? Double(steps) / Double(budget) : time / settings.maximumTime)
                if speed / coordinates < settings.tolerance || done() { break }
                previous = e.f
                adapt()
            }
        }
        let speed = velocity(), residual = speed / coordinates
        let rate = ANTKFlowResult.decayRate(history)
        // (GV19) with positions: (site, point, position) triples within reach of the ReLU kink, each
        // weighted by z^2 C_(nu,p),(nu,p) (notes/cnn-two-layer.md (CN6)).
        var kink = 0.0
        if flow.activation == .relu {
            let kappa = rate > 0 ? (flow.lambda > 0 ? min(flow.lambda, rate) : rate) : 0
            let reach = kappa > 0 ? speed / kappa : Double.infinity
            let norms = flow.patchNorms, m = flow.width
            for i in 0..<sites {
                let z2 = readouts[i] * readouts[i]
                for r in 0..<m {
                    let bound = fieldReachIsPatchNorm ? norms[r].squareRoot() * reach : reach
                    if abs(e.h[i * m + r]) <= bound { kink += z2 * norms[r] }
                }
            }
            kink /= Double(sites * m)
        }
        let (phi, tangent, ntk) = flow.kernels(e, readouts: readouts)
        let norm = (first.reduce(0) { $0 + $1 * $1 } + readouts.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return ANTKFlowResult(predictions: e.f, previousPredictions: previous, time: time, steps: steps,
                              residual: residual, velocityNorm: speed, stateNorm: norm, neurons: sites,
                              stationary: residual < settings.tolerance,
                              layerNorms: [first.reduce(0) { $0 + $1 * $1 } / Double(sites), readouts.reduce(0) { $0 + $1 * $1 } / Double(sites)],
                              featureKernels: [phi], gradientKernels: [tangent], ntk: ntk, trainCount: flow.trainCount,
                              decayRate: rate, kinkDiagonalBound: kink)
    }
}
