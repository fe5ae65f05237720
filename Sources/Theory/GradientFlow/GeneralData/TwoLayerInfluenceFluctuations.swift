import Foundation
import Core
import Numerics

/// The O(1/N) initialization fluctuations of a two-layer network with any activation (identity, relu, tanh, erf)
/// trained by gradient flow with weight decay on data, from the influence function of one neuron
/// (notes/fluctuations-gradient-flow.md (FG18)-(FG23)).
///
/// In a two-layer mean-field network the neurons theta_i = (h_i(x_1..x_n), w_i) interact only through the P training
/// residuals Delta(t). To first order f_N = f_inf + (1/N) sum_i psi(theta_i(0)), so N Var f -> Var psi, where psi solves
/// the linear Volterra equation (FG19)
///     psi(t) = (w phi(h(t)) - E w phi(h(t)))/gamma - int_0^t chi(t, s) psi_train(s) ds,
///     chi(t, s) = E[D(w phi(h(t)))/gamma . R(t, s)],   R(t, s) = d theta(t)/d Delta(s)  (one neuron's response),
/// and likewise for the NTK's diagonal mean and the overlap (FG20). The population is sampled: M sites in R
/// independent replicas (antithetic pairs (h, w), (h, -w)), each replica a full solve; values are means over the
/// replicas with their standard error (estimated). Time: the Euler flow (the network's own scheme) with steps dt and
/// dt/2 on the same sites, Richardson 2 y_{dt/2} - y_dt, the size |y_{dt/2} - y_dt| as systematic error (FG22).
/// ReLU: the response crosses the kink of phi' by the saltation rule, and the NTK's jump w^2 1[h > 0] by a Gaussian
/// kernel of width 0.15 sqrt(C_mumu) (FG21).
public struct TwoLayerInfluenceFluctuations: Sendable {
    public struct Settings: Sendable {
        public var sites: Int
        public var replicas: Int
        public var timeStep: Double
        public var seed: UInt64
        public init(sites: Int = 1024, replicas: Int = 16, timeStep: Double = 0.04, seed: UInt64 = 1) {
            self.sites = sites; self.replicas = replicas; self.timeStep = timeStep; self.seed = seed
        }
    }

    public let activation: Activation
    public let gamma: Double
    public let lambda: Double
    public let trainCount: Int
    public let testCount: Int
    public let settings: Settings
    public let times: [Double]
    /// Euler steps per output interval of the coarse grid (the fine grid has twice as many).
    public let stepsPerInterval: Int
    /// [point][time] infinite-width predictions and N Var of each prediction (training points first).
    public let meanPredictions: [[Estimate]]
    public let predictionVariance: [[Estimate]]
    /// [time] the NTK's diagonal mean tr K/P on the training points and the overlap y^T Phi y/|y|^2, and their N Var.
    public let meanNTKDiagonal: [Estimate]
    public let meanOverlap: [Estimate]
    public let ntkVariance: [Estimate]
    public let overlapVariance: [Estimate]

    public init(data: LabelledData, activation: Activation, gamma: Double, lambda: Double, time: Double, intervals: Int,
                settings: Settings = Settings()) throws {
        typealias Failure = GradientFlowFluctuations.Failure
        guard gamma.isFinite, gamma > 0 else { throw Failure.invalid("gamma must be a finite number > 0 (got \(gamma))") }
        guard lambda.isFinite, lambda >= 0 else { throw Failure.invalid("lambda must be a finite number >= 0 (got \(lambda))") }
        guard time.isFinite, time > 0 else { throw Failure.invalid("the time T must be a finite number > 0 (got \(time))") }
        guard (1...1000).contains(intervals) else { throw Failure.invalid("the number of output intervals K must be in 1...1000 (got \(intervals))") }
        guard settings.sites >= 16, settings.sites % 2 == 0 else { throw Failure.invalid("the population needs an even number of sites >= 16") }
        guard settings.replicas >= 2 else { throw Failure.invalid("at least two replicas are needed for a standard error") }
        guard settings.timeStep > 0, settings.timeStep.isFinite else { throw Failure.invalid("the time step must be > 0") }
        guard data.labels.contains(where: { $0 != 0 }) else { throw Failure.invalid("the labels are all zero (the overlap y^T Phi y/|y|^2 is undefined)") }
        self.activation = activation; self.gamma = gamma; self.lambda = lambda
        trainCount = data.trainCount; testCount = data.testCount; self.settings = settings
        times = (0...intervals).map { time * Double($0) / Double(intervals) }
        let interval = time / Double(intervals)
        stepsPerInterval = max(1, Int((interval / settings.timeStep).rounded(.up)))
        let solver = try Solver(data: data, activation: activation, gamma: gamma, lambda: lambda, interval: interval, intervals: intervals)
        let n = data.count
        // values[replica][observable][time] (Richardson) and their time-step corrections.
        var values: [[[Double]]] = [], corrections: [[[Double]]] = []
        for r in 0..<settings.replicas {
            let sites = solver.initialSites(settings.sites, seed: NormalSampler.derive(settings.seed, 77, UInt64(r)))
            let coarse = try solver.run(sites, stepsPerInterval: stepsPerInterval)
            let fine = try solver.run(sites, stepsPerInterval: 2 * stepsPerInterval)
            values.append(zip(coarse, fine).map { c, f in zip(c, f).map { 2 * $1 - $0 } })
            corrections.append(zip(coarse, fine).map { c, f in zip(c, f).map { abs($1 - $0) } })
        }
        let replicas = Double(settings.replicas), replicaCount = settings.replicas, timeIndices = times.indices
        func estimate(_ o: Int) -> [Estimate] {
            timeIndices.map { t in
                let xs = values.map { $0[o][t] }, mean = xs.reduce(0, +) / replicas
                let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (replicas - 1)).squareRoot()
                let systematic = corrections.reduce(0) { $0 + $1[o][t] } / replicas
                return Estimate(value: mean, standardError: sd / replicas.squareRoot(), systematic: systematic,
                                degreesOfFreedom: replicaCount - 1)
            }
        }
        typealias L = Solver.Layout
        meanPredictions = (0..<n).map { estimate(L.mean(n, $0)) }
        predictionVariance = (0..<n).map { estimate(L.variance(n, $0)) }
        meanNTKDiagonal = estimate(L.ntkMean(n))
        meanOverlap = estimate(L.overlapMean(n))
        ntkVariance = estimate(L.ntkVariance(n))
        overlapVariance = estimate(L.overlapVariance(n))
    }

    /// The predictions reported as `prediction_variance`: the test inputs', or the training inputs' without test data.
    public var reportedPredictions: ArraySlice<[Estimate]> {
        testCount > 0 ? predictionVariance[trainCount...] : predictionVariance[..<trainCount]
    }
}

extension TwoLayerInfluenceFluctuations {
    /// One replica's solve on a given grid (FG18)-(FG22).
    struct Solver {
        let activation: Activation
        let gamma: Double, lambda: Double, interval: Double, intervals: Int
        let n: Int, p: Int
        let kernel: [Double], labels: [Double], labelNorm: Double
        /// A with A A^T = C (n x k, row-major), for sampling h(0) ~ N(0, C).
        let factor: [Double], rank: Int
        /// (FG21) the Gaussian kernel widths for the NTK's kink (ReLU), 0.15 sqrt(C_mumu).
        let bandwidths: [Double]

        init(data: LabelledData, activation: Activation, gamma: Double, lambda: Double, interval: Double, intervals: Int) throws {
            self.activation = activation; self.gamma = gamma; self.lambda = lambda; self.interval = interval; self.intervals = intervals
            n = data.count; p = data.trainCount
            kernel = data.inputKernel; labels = data.labels
            labelNorm = data.labels.reduce(0) { $0 + $1 * $1 }
            guard let eigen = LinearAlgebra.symmetricEigen(kernel, n: n) else {
                throw GradientFlowFluctuations.Failure.invalid("the input kernel's eigendecomposition failed")
            }
            let largest = eigen.values.max() ?? 0
            let kept = (0..<n).filter { eigen.values[$0] > 1e-12 * max(largest, 1e-300) }
            rank = kept.count
            var a = [Double](repeating: 0, count: n * kept.count)
            for (c, j) in kept.enumerated() {
                let s = eigen.values[j].squareRoot()
                for i in 0..<n { a[i * kept.count + c] = eigen.vectors[i * n + j] * s }
            }
            factor = a
            let count = data.count, c = data.inputKernel
            bandwidths = (0..<count).map { 0.15 * max(c[$0 * count + $0], 0).squareRoot() }
        }

        var dimension: Int { n + 1 }

        /// M sites (h(0) ~ N(0, C), w ~ N(0, 1)) in antithetic pairs (h, w), (h, -w): the replica's f(0) is exactly 0.
        func initialSites(_ m: Int, seed: UInt64) -> [Double] {
            let d = dimension, k = rank
            let z = NormalSampler.vector((m / 2) * (k + 1), seed: seed)
            var out = [Double](repeating: 0, count: m * d)
            for pair in 0..<(m / 2) {
                for i in 0..<n {
                    var s = 0.0
                    for c in 0..<k { s += factor[i * k + c] * z[pair * (k + 1) + c] }
                    out[(2 * pair) * d + i] = s; out[(2 * pair + 1) * d + i] = s
                }
                let w = z[pair * (k + 1) + k]
                out[(2 * pair) * d + n] = w; out[(2 * pair + 1) * d + n] = -w
            }
            return out
        }

        @inline(__always) func second(_ h: Double) -> Double {
            switch activation {
            case .identity, .relu: return 0
            case .tanh: let t = activation.value(h); return -2 * t * (1 - t * t)
            case .erf: return -2 * h * activation.derivative(h)
            }
        }

        enum Layout {
            static func mean(_ n: Int, _ i: Int) -> Int { i }
            static func variance(_ n: Int, _ i: Int) -> Int { n + i }
            static func ntkMean(_ n: Int) -> Int { 2 * n }
            static func overlapMean(_ n: Int) -> Int { 2 * n + 1 }
            static func ntkVariance(_ n: Int) -> Int { 2 * n + 2 }
            static func overlapVariance(_ n: Int) -> Int { 2 * n + 3 }
            static func count(_ n: Int) -> Int { 2 * n + 4 }
        }

        /// [observable][output time] for one replica on the grid with `stepsPerInterval` Euler steps per output interval.
        func run(_ sites: [Double], stepsPerInterval s: Int) throws -> [[Double]] {
            let d = dimension, m = sites.count / d, steps = intervals * s, dt = interval / Double(s)
            let g = gamma, c = kernel, y = labels, phi = activation
            // (FG18) The mean-field Euler flow of the population: theta[k][site][.], Delta[k] at every step 0...steps.
            var theta = [Double](repeating: 0, count: (steps + 1) * m * d)
            for i in 0..<sites.count { theta[i] = sites[i] }
            var delta = [Double](repeating: 0, count: (steps + 1) * p)
            for k in 0...steps {
                let base = k * m * d
                for mu in 0..<p {
                    var s = 0.0
                    for i in 0..<m { s += theta[base + i * d + n] * phi.value(theta[base + i * d + mu]) }
                    delta[k * p + mu] = y[mu] - s / (g * Double(m))
                }
                guard k < steps else { break }
                let next = base + m * d, decay = 1 - lambda * dt
                var drive = [Double](repeating: 0, count: p)
                for i in 0..<m {
                    let o = base + i * d, w = theta[o + n]
                    var dw = 0.0
                    for mu in 0..<p {
                        let dl = delta[k * p + mu], h = theta[o + mu]
                        dw += dl * phi.value(h)
                        drive[mu] = dl * phi.derivative(h)
                    }
                    for a in 0..<n {
                        var s = 0.0
                        for mu in 0..<p { s += drive[mu] * c[mu * n + a] }
                        theta[next + i * d + a] = decay * theta[o + a] + dt * g * w * s
                    }
                    theta[next + i * d + n] = decay * w + dt * g * dw
                }
                guard delta[(k * p)..<((k + 1) * p)].allSatisfy(\.isFinite) else { throw GradientFlowFluctuations.Failure.notFinite }
            }
            // Rows of the response: the P training predictions at every step; at output steps also the test predictions,
            // the NTK's diagonal mean and the overlap. rows = n + 2: predictions 0..<n, ntk n, overlap n + 1.
            let rows = n + 2
            // chi[k][j][row][mu] for k > j: rows < p at every k; all rows at output steps (k = t s).
            var chiTrain = [Double](repeating: 0, count: (steps + 1) * steps * p * p)
            var chiOut = [Double](repeating: 0, count: (intervals + 1) * steps * rows * p)
            // Sources per site at every step: the training rows at every step, all rows at output steps.
            var sourceTrain = [Double](repeating: 0, count: m * (steps + 1) * p)
            var sourceOut = [Double](repeating: 0, count: m * (intervals + 1) * rows)
            var jac = [Double](repeating: 0, count: steps * d * d)
            var grads = [Double](repeating: 0, count: (steps + 1) * rows * d)
            var t = [Double](repeating: 0, count: d * p), tn = t
            let invM = 1 / Double(m)
            for i in 0..<m {
                var saltations = [[(mu: Int, jump: [Double], speed: Double)]](repeating: [], count: steps)
                // Per step k: J_k (d x d), gradient rows at k, sources.
                for k in 0...steps {
                    let o = k * m * d + i * d, w = theta[o + n]
                    let gb = k * rows * d
                    for r in 0..<(rows * d) { grads[gb + r] = 0 }
                    // (FG19) predictions: F_a/gamma = w phi(h_a)/gamma.
                    for a in 0..<n {
                        grads[gb + a * d + a] = w * phi.derivative(theta[o + a]) / g
                        grads[gb + a * d + n] = phi.value(theta[o + a]) / g
                    }
                    // (FG20) NTK diagonal mean k = (1/P) sum_mu (phi(h_mu)^2 + w^2 phi'(h_mu)^2 C_mumu); overlap (y.phi)^2/|y|^2.
                    var ntk = 0.0, yphi = 0.0
                    for mu in 0..<p {
                        let h = theta[o + mu], v = phi.value(h), dv = phi.derivative(h), cc = c[mu * n + mu]
                        ntk += v * v + w * w * dv * dv * cc
                        yphi += y[mu] * v
                        var dh = 2 * v * dv + 2 * w * w * dv * second(h) * cc
                        if phi == .relu, bandwidths[mu] > 0 {
                            // (FG21) the jump of w^2 1[h > 0] C_mumu at h = 0, smoothed by a Gaussian kernel.
                            let b = bandwidths[mu]
                            dh += w * w * cc * exp(-h * h / (2 * b * b)) / (b * (2 * Double.pi).squareRoot())
                        }
                        grads[gb + n * d + mu] = dh / Double(p)
                        grads[gb + n * d + n] += 2 * w * dv * dv * cc / Double(p)
                    }
                    for mu in 0..<p { grads[gb + (n + 1) * d + mu] = 2 * yphi * y[mu] * phi.derivative(theta[o + mu]) / labelNorm }
                    ntk /= Double(p)
                    let overlap = yphi * yphi / labelNorm
                    for mu in 0..<p { sourceTrain[(i * (steps + 1) + k) * p + mu] = w * phi.value(theta[o + mu]) / g }
                    if k % s == 0 {
                        let so = (i * (intervals + 1) + k / s) * rows
                        for a in 0..<n { sourceOut[so + a] = w * phi.value(theta[o + a]) / g }
                        sourceOut[so + n] = ntk; sourceOut[so + n + 1] = overlap
                    }
                    guard k < steps else { break }
                    // (FG18) J_k = (1 - lambda dt) I + dt d(A(theta) Delta_k)/d theta.
                    let jb = k * d * d
                    for r in 0..<(d * d) { jac[jb + r] = 0 }
                    for r in 0..<d { jac[jb + r * d + r] = 1 - lambda * dt }
                    for a in 0..<n {
                        var sw = 0.0
                        for mu in 0..<p {
                            let dl = delta[k * p + mu], h = theta[o + mu]
                            sw += dl * phi.derivative(h) * c[mu * n + a]
                            jac[jb + a * d + mu] += dt * g * w * dl * second(h) * c[mu * n + a]
                        }
                        jac[jb + a * d + n] += dt * g * sw
                    }
                    for mu in 0..<p { jac[jb + n * d + mu] += dt * g * delta[k * p + mu] * phi.derivative(theta[o + mu]) }
                    if phi == .relu {
                        // (FG21) saltation: h_mu crosses 0 between steps k and k + 1; the field's jump dv_a = gamma w Delta_mu C_{mu a}
                        // (s_new - s_old), and delta theta += dv (delta h_mu)/hdot_mu with hdot_mu the step's velocity.
                        let on = o + m * d
                        for mu in 0..<p {
                            let before = theta[o + mu], after = theta[on + mu]
                            guard (before > 0) != (after > 0) else { continue }
                            let speed = (after - before) / dt
                            guard speed != 0 else { continue }
                            let sign: Double = after > 0 ? 1 : -1
                            let wn = theta[on + n], dl = delta[(k + 1) * p + mu]
                            var jump = [Double](repeating: 0, count: d)
                            for a in 0..<n { jump[a] = sign * g * wn * dl * c[mu * n + a] }
                            saltations[k].append((mu, jump, speed))
                        }
                    }
                }
                // (FG19) chi(k, j) += D row(theta_k) T_k, T_{j+1} = S_j (dt A_j), T_{k+1} = S_k J_k T_k.
                let salted = saltations
                jac.withUnsafeBufferPointer { J in grads.withUnsafeBufferPointer { G in
                chiTrain.withUnsafeMutableBufferPointer { CT in chiOut.withUnsafeMutableBufferPointer { CO in
                t.withUnsafeMutableBufferPointer { T0 in tn.withUnsafeMutableBufferPointer { T1 in
                    var tp = T0.baseAddress!, tq = T1.baseAddress!
                    let J = J.baseAddress!, G = G.baseAddress!, CT = CT.baseAddress!, CO = CO.baseAddress!
                    func salt(_ k: Int, _ t: UnsafeMutablePointer<Double>) {
                        for kick in salted[k] {
                            for col in 0..<p {
                                let x = t[kick.mu * p + col] / kick.speed
                                for a in 0..<d { t[a * p + col] += kick.jump[a] * x }
                            }
                        }
                    }
                    for j in 0..<steps {
                        let o = j * m * d + i * d, w = theta[o + n]
                        for mu in 0..<p {
                            let h = theta[o + mu], dv = phi.derivative(h)
                            for a in 0..<n { tp[a * p + mu] = dt * g * w * dv * c[mu * n + a] }
                            tp[n * p + mu] = dt * g * phi.value(h)
                        }
                        if !salted[j].isEmpty { salt(j, tp) }
                        var k = j + 1
                        while true {
                            let gb = G + k * rows * d
                            // training rows at every step
                            let cb = CT + (k * steps + j) * p * p
                            for r in 0..<p {
                                for col in 0..<p {
                                    var sum = 0.0
                                    for a in 0..<d { sum += gb[r * d + a] * tp[a * p + col] }
                                    cb[r * p + col] += sum * invM
                                }
                            }
                            if k % s == 0 {
                                let ob = CO + ((k / s) * steps + j) * rows * p
                                for r in 0..<rows {
                                    for col in 0..<p {
                                        var sum = 0.0
                                        for a in 0..<d { sum += gb[r * d + a] * tp[a * p + col] }
                                        ob[r * p + col] += sum * invM
                                    }
                                }
                            }
                            guard k < steps else { break }
                            let jb = J + k * d * d
                            for a in 0..<d {
                                for col in 0..<p {
                                    var sum = 0.0
                                    for b in 0..<d { sum += jb[a * d + b] * tp[b * p + col] }
                                    tq[a * p + col] = sum
                                }
                            }
                            swap(&tp, &tq)
                            if !salted[k].isEmpty { salt(k, tp) }
                            k += 1
                        }
                    }
                } }
                } }
                } }
            }
            // Means over the sites at the output steps.
            var means = [Double](repeating: 0, count: (intervals + 1) * rows)
            for i in 0..<m { for q in 0..<((intervals + 1) * rows) { means[q] += sourceOut[i * (intervals + 1) * rows + q] * invM } }
            var trainMeans = [Double](repeating: 0, count: (steps + 1) * p)
            for i in 0..<m { for q in 0..<((steps + 1) * p) { trainMeans[q] += sourceTrain[i * (steps + 1) * p + q] * invM } }
            // (FG19) psi per site (the sites as probes): psi_train,k = src_k - mean_k - sum_{j<k} chi(k, j) psi_train,j.
            var sums = [Double](repeating: 0, count: (intervals + 1) * rows), squares = sums
            var psi = [Double](repeating: 0, count: (steps + 1) * p)
            chiTrain.withUnsafeBufferPointer { CT in chiOut.withUnsafeBufferPointer { CO in psi.withUnsafeMutableBufferPointer { PS in
                let CT = CT.baseAddress!, CO = CO.baseAddress!, psi = PS.baseAddress!
                for i in 0..<m {
                    for k in 0...steps {
                        for r in 0..<p {
                            var v = sourceTrain[(i * (steps + 1) + k) * p + r] - trainMeans[k * p + r]
                            for j in 0..<k {
                                let cb = CT + (k * steps + j) * p * p + r * p, pj = psi + j * p
                                for col in 0..<p { v -= cb[col] * pj[col] }
                            }
                            psi[k * p + r] = v
                        }
                    }
                    for q in 0...intervals {
                        let k = q * s
                        for r in 0..<rows {
                            var v = sourceOut[(i * (intervals + 1) + q) * rows + r] - means[q * rows + r]
                            for j in 0..<k {
                                let ob = CO + (q * steps + j) * rows * p + r * p, pj = psi + j * p
                                for col in 0..<p { v -= ob[col] * pj[col] }
                            }
                            sums[q * rows + r] += v
                            squares[q * rows + r] += v * v
                        }
                    }
                }
            } } }
            var out = [[Double]](repeating: [Double](repeating: 0, count: intervals + 1), count: Layout.count(n))
            for q in 0...intervals {
                for a in 0..<n {
                    out[Layout.mean(n, a)][q] = means[q * rows + a]
                    let mean = sums[q * rows + a] * invM
                    out[Layout.variance(n, a)][q] = squares[q * rows + a] * invM - mean * mean
                }
                out[Layout.ntkMean(n)][q] = means[q * rows + n]
                out[Layout.overlapMean(n)][q] = means[q * rows + n + 1]
                let mk = sums[q * rows + n] * invM, mo = sums[q * rows + n + 1] * invM
                out[Layout.ntkVariance(n)][q] = squares[q * rows + n] * invM - mk * mk
                out[Layout.overlapVariance(n)][q] = squares[q * rows + n + 1] * invM - mo * mo
            }
            guard out.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw GradientFlowFluctuations.Failure.notFinite }
            return out
        }
    }
}
