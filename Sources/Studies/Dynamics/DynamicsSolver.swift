import Foundation
import Core
import Numerics
import Simulation
import Theory

/// A trajectory of approximate values: observables at each output time with the residual of their
/// time-step extrapolation (notes/dynamics-deep-linear.md (DY12)).
public struct DynamicsTrajectory: Sendable {
    public let approximation: DynamicsApproximation
    public let times: [Double]
    public let values: [DynamicsPoint]
    /// Residual bound of each value, same shape (the last Richardson elimination of (DY12), plus (DY19)'s gamma-extrapolation step).
    public let residuals: [DynamicsPoint]
    /// Steps of the coarse, middle and fine grids over [0, T].
    public let gridSteps: [Int]
    /// Frames at the output times on the finest grid (the N = infinity limit of Euler gradient descent with that step;
    /// for a sampled DMFT, those of the first replica).
    public let finestFrames: [KernelFrame]
    public var finestTimeStep: Double { times.last! / Double(gridSteps.last!) }
    /// Sampled DMFT (notes/dynamics-nonlinear.md (DN5)): standard errors of `values` over the replicas
    /// (nil for the deterministic deep linear DMFT and the static NTK).
    public var standardErrors: [DynamicsPoint]? = nil
    /// The observables on the finest grid (mean over replicas when sampled) and their standard errors.
    public var finestValues: [DynamicsPoint] = []
    public var finestStandardErrors: [DynamicsPoint]? = nil
    /// Replicas x sites per replica of a sampled DMFT (nil otherwise).
    public var sampling: (replicas: Int, sites: Int)? = nil
    /// Deep ReLU (notes/dynamics-nonlinear.md (DN24)): the residual of the smoothing extrapolation of `finestValues`
    /// (mean over replicas of |extrapolated - previous elimination|); nil otherwise.
    public var finestSmoothingResiduals: [DynamicsPoint]? = nil
}

/// Solves the infinite-width trajectory of a deep linear network (notes/dynamics-deep-linear.md):
/// the DMFT (DY10) on grids of m, 2m, 4m steps with Richardson extrapolation (DY12), or one of the
/// approximations (DY17)-(DY19).
public struct DynamicsSolver: Sendable {
    /// Target coarse time step (whitened data: the scalar reduction is cheap, so the grids are finer).
    public var coarseStep: Double?
    /// Solve whitened data by the scalar reduction (DY14) (false: as general data with C = I, for checks).
    public var reduceWhitened: Bool
    /// Number of grid levels (nil: `levelCount`'s default).
    public var levels: Int?
    /// Sampled DMFT (notes/dynamics-nonlinear.md (DN5)): antithetic pairs of sites per replica, replicas, seed.
    public var pairs: Int
    public var replicas: Int
    public var seed: UInt64
    /// Solve an identity-activation, L = 1 problem by sampling too (the check of (DN8) against the deep linear DMFT).
    public var sampleLinear: Bool
    public init(coarseStep: Double? = nil, reduceWhitened: Bool = true, levels: Int? = nil,
                pairs: Int = 2048, replicas: Int = 8, seed: UInt64 = 1, sampleLinear: Bool = false) {
        precondition(levels.map { (2...6).contains($0) } ?? true)
        precondition(pairs >= 1 && replicas >= 2)
        self.coarseStep = coarseStep
        self.reduceWhitened = reduceWhitened
        self.levels = levels
        self.pairs = pairs
        self.replicas = replicas
        self.seed = seed
        self.sampleLinear = sampleLinear
    }

    /// Whether the problem is solved by sampling: the two-layer DMFT (DN1)-(DN6) at L = 1, the deep DMFT with
    /// pathwise responses (DN15)-(DN19) at L >= 2.
    public func sampled(_ problem: DynamicsProblem) -> Bool {
        problem.activation != .identity || sampleLinear
    }

    /// Whether the problem is solved by the sampled deep DMFT (notes/dynamics-nonlinear.md (DN17)-(DN19)).
    public func deep(_ problem: DynamicsProblem) -> Bool { sampled(problem) && problem.depth >= 2 }

    /// Largest tangent storage of one deep march (notes/dynamics-nonlinear.md (DN19)); beyond it the solver refuses.
    public static let maximumTangentBytes = 1 << 30

    /// Largest finest grid of the deep sampled DMFT within `maximumTangentBytes`.
    public func maximumDeepSteps(_ problem: DynamicsProblem) -> Int {
        var k = 1
        while DeepNonlinearDMFT.tangentBytes(depth: problem.depth, pointCount: problem.data.pointCount, steps: k + 1, sites: 2 * pairs)
                <= DynamicsSolver.maximumTangentBytes && k < DynamicsSolver.maximumSampledSteps { k += 1 }
        return k
    }

    /// Largest finest grid of the sampled DMFT (cost: sites x points^2 x steps).
    static let maximumSampledSteps = 8192

    /// Number of coarse steps per output interval, within `DeepLinearDMFT.maximumPairs` on the finest grid.
    public func stepsPerInterval(_ problem: DynamicsProblem) throws -> Int {
        let sampled = self.sampled(problem)
        let points = problem.data.whitenedSize != nil && reduceWhitened && !sampled ? 1 : problem.data.pointCount
        let target = coarseStep ?? (deep(problem) ? 0.1 : problem.data.whitenedSize != nil && !sampled ? 0.02 : 0.05)
        let wanted = max(1, Int((problem.time / (Double(problem.intervals) * target)).rounded(.up)))
        let finestCap = deep(problem) ? maximumDeepSteps(problem) : DynamicsSolver.maximumSampledSteps
        let allowed = sampled ? finestCap / ((1 << (levelCount(problem) - 1)) * problem.intervals)
            : (DeepLinearDMFT.maximumPairs / points - 1) / ((1 << (levelCount(problem) - 1)) * problem.intervals)
        if deep(problem) && allowed < 1 {
            throw InputError("\(problem.intervals) output intervals on \(levelCount(problem)) grids need more than the deep sampled DMFT's "
                             + "\(DynamicsSolver.maximumTangentBytes >> 20) MiB of response tangents at \(2 * pairs) sites "
                             + "(notes/dynamics-nonlinear.md (DN19)); use fewer output intervals, fewer points or fewer samples")
        }
        guard allowed >= 1 || !sampled else {
            throw InputError("\(problem.intervals) output intervals exceed the sampled solver's \(DynamicsSolver.maximumSampledSteps) "
                             + "steps on its finest grid; use fewer output intervals")
        }
        guard allowed >= 1 else {
            throw InputError("\(problem.data.pointCount) points x \(problem.intervals) output intervals exceed the solver's "
                             + "\(DeepLinearDMFT.maximumPairs) (time, point) pairs; use fewer output intervals or fewer data points")
        }
        return min(wanted, allowed)
    }

    /// Frames at the K + 1 output times from a grid of `steps` steps (a multiple of K).
    func frames(_ problem: DynamicsProblem, _ approximation: DynamicsApproximation, steps: Int, gamma: Double? = nil,
                sites: TwoLayerDMFT.Sites? = nil, sourceSeed: UInt64 = 0) -> [KernelFrame] {
        let stride = steps / problem.intervals, dt = problem.time / Double(steps)
        if deep(problem) {
            switch approximation {
            case .staticNTK where problem.activation == .identity:
                return StaticNTKTrajectory(depth: problem.depth, lambda: problem.lambda, kernel: problem.data.kernel, labels: problem.data.labels,
                                           pointCount: problem.data.pointCount).frames(timeStep: dt, steps: steps, stride: stride)
            case .staticNTK:
                return StaticNTKTrajectory(activation: problem.activation, depth: problem.depth, lambda: problem.lambda, kernel: problem.data.kernel,
                                           labels: problem.data.labels, pointCount: problem.data.pointCount)
                    .frames(timeStep: dt, steps: steps, stride: stride)
            case .selfConsistent where problem.activation == .relu, .gradientIndependence where problem.activation == .relu:
                return smoothed(problem, approximation, steps: steps, gamma: gamma, sites: sites!, sourceSeed: sourceSeed).extrapolated
            case .selfConsistent, .gradientIndependence:
                return deepMarch(problem, approximation, steps: steps, gamma: gamma, sites: sites!, sourceSeed: sourceSeed, smoothing: nil)
            case .perturbative:
                return perturbative(problem, steps: steps, sites: sites, sourceSeed: sourceSeed).extrapolated
            }
        }
        if sampled(problem) {
            switch approximation {
            case .staticNTK:
                return StaticNTKTrajectory(activation: problem.activation, lambda: problem.lambda, kernel: problem.data.kernel,
                                           labels: problem.data.labels, pointCount: problem.data.pointCount)
                    .frames(timeStep: dt, steps: steps, stride: stride)
            case .selfConsistent, .gradientIndependence:
                // L = 1 has no hidden N x N matrix: gradient independence is the self-consistent DMFT (DN7).
                let dmft = TwoLayerDMFT(activation: problem.activation, gamma: gamma ?? problem.gamma, lambda: problem.lambda,
                                        kernel: problem.data.kernel, pointCount: problem.data.pointCount, labels: problem.data.labels,
                                        timeStep: dt, steps: steps)
                return dmft.march(sites!, stride: stride).map {
                    KernelFrame(predictions: $0.predictions, featureKernels: [$0.featureKernel], gradientKernels: [$0.gradientKernel[0]],
                                gradientMatrices: [$0.gradientKernel])
                }
            case .perturbative:
                return perturbative(problem, steps: steps, sites: sites).extrapolated
            }
        }
        let whitened = problem.data.whitenedSize != nil && reduceWhitened
        let kernel = whitened ? [1.0] : problem.data.kernel
        let labels = whitened ? [1.0] : problem.data.labels
        let points = whitened ? 1 : problem.data.pointCount
        switch approximation {
        case .staticNTK:
            return StaticNTKTrajectory(depth: problem.depth, lambda: problem.lambda, kernel: kernel, labels: labels, pointCount: points)
                .frames(timeStep: dt, steps: steps, stride: stride)
        case .selfConsistent, .gradientIndependence:
            let solution = DeepLinearDMFT(depth: problem.depth, gamma: gamma ?? problem.gamma, lambda: problem.lambda, kernel: kernel,
                                          labels: labels, pointCount: points, timeStep: dt, steps: steps,
                                          responses: approximation == .selfConsistent).solve()
            return (0...problem.intervals).map { solution.frame($0 * stride) }
        case .perturbative:
            return perturbative(problem, steps: steps).extrapolated
        }
    }

    /// The sampled deep DMFT's march (notes/dynamics-nonlinear.md (DN15)); gradient independence drops the responses A, B
    /// (notes/dynamics-deep-linear.md (DY18)); `smoothing`: ReLU through softplus_beta (DN22).
    func deepMarch(_ problem: DynamicsProblem, _ approximation: DynamicsApproximation, steps: Int, gamma: Double?,
                   sites: TwoLayerDMFT.Sites, sourceSeed: UInt64, smoothing: Double?) -> [KernelFrame] {
        let dmft = DeepNonlinearDMFT(depth: problem.depth, activation: problem.activation, gamma: gamma ?? problem.gamma,
                                     lambda: problem.lambda, kernel: problem.data.kernel, pointCount: problem.data.pointCount,
                                     labels: problem.data.labels, timeStep: problem.time / Double(steps), steps: steps,
                                     responses: approximation == .selfConsistent, smoothing: smoothing)
        return dmft.march(sites, seed: sourceSeed, stride: steps / problem.intervals).map {
            KernelFrame(predictions: $0.predictions, featureKernels: $0.featureKernels, gradientKernels: $0.gradientKernels.map { $0[0] },
                        gradientMatrices: $0.gradientKernels)
        }
    }

    /// Sharpnesses beta of the softplus smoothing of ReLU at L >= 2 (notes/dynamics-nonlinear.md (DN22)-(DN24)).
    public static let smoothingBetas: [Double] = [16, 32, 64]

    /// The sliding-site allowance on the NTK alignment of deep ReLU (notes/dynamics-nonlinear.md (DN23)): off-diagonal
    /// G entries where two points' kinks slide at once are not corrected by the smoothing; measured 0.0033 on the alignment
    /// (L = 1, after the extrapolation), bounded here by 0.01 (the tested bound) and added to its `systematic`.
    public static let slidingAlignmentAllowance = 0.01

    /// Deep ReLU (DN23), (DN24): the march with softplus_beta at beta = 16, 32, 64 on the same sites and source innovations
    /// (common random numbers), Richardson-extrapolated in 1/beta (the expansion X(beta) = X + c_1/beta + c_2/beta^2 + ...):
    /// `extrapolated` eliminates c_1 and c_2, `plain` only c_1 on the two sharpest betas (their difference is the residual).
    func smoothed(_ problem: DynamicsProblem, _ approximation: DynamicsApproximation, steps: Int, gamma: Double?,
                  sites: TwoLayerDMFT.Sites, sourceSeed: UInt64) -> (extrapolated: [KernelFrame], plain: [KernelFrame]) {
        let levels = DynamicsSolver.smoothingBetas.map {
            deepMarch(problem, approximation, steps: steps, gamma: gamma, sites: sites, sourceSeed: sourceSeed, smoothing: $0)
        }
        return DynamicsSolver.extrapolateSmoothing(levels)
    }

    /// Richardson table in h = 1/beta for betas doubling from level to level (DN24): column j eliminates the h^j term,
    /// r_j(a) = (2^j r_{j-1}(a+1) - r_{j-1}(a)) / (2^j - 1). Returns the last column and the previous column's sharpest entry.
    public static func extrapolateSmoothing(_ levels: [[KernelFrame]]) -> (extrapolated: [KernelFrame], plain: [KernelFrame]) {
        precondition(levels.count >= 2)
        var extrapolated = [KernelFrame](), plain = [KernelFrame]()
        for i in levels[0].indices {
            var column = levels.map { $0[i] }, previous = column
            for j in 1..<levels.count {
                previous = column
                let f = Double(1 << j)
                column = (0..<(column.count - 1)).map { KernelFrame.combine(f / (f - 1), column[$0 + 1], -1 / (f - 1), column[$0]) }
            }
            extrapolated.append(column[0])
            plain.append(previous[previous.count - 1])
        }
        return (extrapolated, plain)
    }

    /// gamma_s of (DY19) and the perturbative frames: X(gamma_0) + gamma^2 f_1 with f_1 from the
    /// differences at gamma_s and gamma_s/2, one Richardson step in gamma_s^2; `plain` uses the
    /// gamma_s/2 difference alone (the residual of that step).
    static let perturbationGamma = 1.0 / 16

    func perturbative(_ problem: DynamicsProblem, steps: Int, sites: TwoLayerDMFT.Sites? = nil,
                      sourceSeed: UInt64 = 0) -> (extrapolated: [KernelFrame], plain: [KernelFrame]) {
        let gs = DynamicsSolver.perturbationGamma, g0 = gs * 1e-4
        let base = frames(problem, .selfConsistent, steps: steps, gamma: g0, sites: sites, sourceSeed: sourceSeed)
        let big = frames(problem, .selfConsistent, steps: steps, gamma: gs, sites: sites, sourceSeed: sourceSeed)
        let small = frames(problem, .selfConsistent, steps: steps, gamma: gs / 2, sites: sites, sourceSeed: sourceSeed)
        let g2 = problem.gamma * problem.gamma
        var extrapolated = [KernelFrame](), plain = [KernelFrame]()
        for i in base.indices {
            let dBig = KernelFrame.combine(1 / (gs * gs - g0 * g0), big[i], -1 / (gs * gs - g0 * g0), base[i])
            let s2 = gs * gs / 4
            let dSmall = KernelFrame.combine(1 / (s2 - g0 * g0), small[i], -1 / (s2 - g0 * g0), base[i])
            let first = KernelFrame.combine(4.0 / 3, dSmall, -1.0 / 3, dBig)
            extrapolated.append(KernelFrame.combine(1, base[i], g2, first))
            plain.append(KernelFrame.combine(1, base[i], g2, dSmall))
        }
        return (extrapolated, plain)
    }

    /// Grid levels m, 2m, ..., 2^(levels-1) m: four for whitened data (the cheap scalar reduction, three
    /// Richardson eliminations), three otherwise (DY12).
    public func levelCount(_ problem: DynamicsProblem) -> Int {
        levels ?? (problem.data.whitenedSize != nil && reduceWhitened && !sampled(problem) ? 4 : 3)
    }

    public func solve(_ problem: DynamicsProblem, approximation: DynamicsApproximation = .selfConsistent) throws -> DynamicsTrajectory {
        guard sampled(problem) else { return try solveOne(problem, approximation: approximation, sites: nil) }
        if approximation == .staticNTK {
            guard problem.lambda == 0 || problem.activation == .relu || problem.activation == .identity else {
                throw InputError("the static-NTK approximation with weight decay lambda > 0 is defined for homogeneous activations "
                                 + "(identity, relu) only (notes/dynamics-nonlinear.md (DN9), (DN25)); use lambda = 0")
            }
            return try solveOne(problem, approximation: approximation, sites: nil)
        }
        // Independent replicas (DN5): mean and standard error over replicas; residuals averaged.
        var runs = [DynamicsTrajectory]()
        for r in 0..<replicas {
            let sites = TwoLayerDMFT.sample(kernel: problem.data.kernel, pointCount: problem.data.pointCount, pairs: pairs,
                                            seed: NormalSampler.derive(seed, UInt64(r), 0xD1))
            runs.append(try solveOne(problem, approximation: approximation, sites: sites, sourceSeed: NormalSampler.derive(seed, UInt64(r), 0xD4)))
        }
        func pool(_ pick: (DynamicsTrajectory) -> [DynamicsPoint]) -> (mean: [DynamicsPoint], se: [DynamicsPoint]) {
            let n = Double(runs.count), first = pick(runs[0])
            var means = [DynamicsPoint](), errors = [DynamicsPoint]()
            for i in first.indices {
                let samples = runs.map { pick($0)[i].components }
                var mean = [Double](repeating: 0, count: samples[0].count), se = mean
                for c in mean.indices {
                    let xs = samples.map { $0[c] }
                    let mu = xs.reduce(0, +) / n
                    mean[c] = mu
                    se[c] = (xs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / (n - 1) / n).squareRoot()
                }
                means.append(DynamicsPoint(components: mean, shape: first[i]))
                errors.append(DynamicsPoint(components: se, shape: first[i]))
            }
            return (means, errors)
        }
        let values = pool(\.values), residuals = pool(\.residuals), finest = pool(\.finestValues)
        var out = DynamicsTrajectory(approximation: approximation, times: runs[0].times, values: values.mean, residuals: residuals.mean,
                                     gridSteps: runs[0].gridSteps, finestFrames: runs[0].finestFrames)
        out.standardErrors = values.se
        out.finestValues = finest.mean
        out.finestStandardErrors = finest.se
        out.sampling = (replicas, 2 * pairs)
        if runs[0].finestSmoothingResiduals != nil { out.finestSmoothingResiduals = pool { $0.finestSmoothingResiduals! }.mean }
        return out
    }

    func solveOne(_ problem: DynamicsProblem, approximation: DynamicsApproximation, sites: TwoLayerDMFT.Sites?,
                  sourceSeed: UInt64 = 0) throws -> DynamicsTrajectory {
        let q = try stepsPerInterval(problem)
        let m = q * problem.intervals
        let count = levelCount(problem)
        let steps = (0..<count).map { m << $0 }
        // Deep ReLU (DN24): the smoothing extrapolation per grid; the last elimination's change on the finest grid joins the residual.
        let smoothing = deep(problem) && problem.activation == .relu && [.selfConsistent, .gradientIndependence].contains(approximation)
            ? steps.map { smoothed(problem, approximation, steps: $0, gamma: nil, sites: sites!, sourceSeed: sourceSeed) } : nil
        let levels = smoothing?.map(\.extrapolated) ?? steps.map { frames(problem, approximation, steps: $0, sites: sites, sourceSeed: sourceSeed) }
        let finest = levels[count - 1]
        let times = problem.times
        var values = [DynamicsPoint](), residuals = [DynamicsPoint]()
        let pert = approximation == .perturbative ? perturbative(problem, steps: steps[count - 1], sites: sites, sourceSeed: sourceSeed).plain : nil
        let pertR = approximation == .perturbative ? finest : nil
        for i in times.indices {
            // Richardson table: column j eliminates the dt^j term, r_j(a) = (2^j r_{j-1}(a+1) - r_{j-1}(a)) / (2^j - 1).
            var column = levels.map { $0[i] }
            var previous = column
            for j in 1..<count {
                previous = column
                let f = Double(1 << j)
                column = (0..<(column.count - 1)).map { KernelFrame.combine(f / (f - 1), column[$0 + 1], -1 / (f - 1), column[$0]) }
            }
            // best: the fully extrapolated value; check: the previous elimination on the finest pair of grids.
            let best = approximation == .staticNTK ? finest[i] : column[0]
            let check = approximation == .staticNTK ? levels[count - 2][i] : previous[previous.count - 1]
            let v = DynamicsPoint.observe(best, data: problem.data, lambda: problem.lambda, time: times[i])
            let c = DynamicsPoint.observe(check, data: problem.data, lambda: problem.lambda, time: times[i])
            var res = zip(v.components, c.components).map { abs($0 - $1) }
            if let pert, let pertR {
                let a = DynamicsPoint.observe(pertR[i], data: problem.data, lambda: problem.lambda, time: times[i])
                let b = DynamicsPoint.observe(pert[i], data: problem.data, lambda: problem.lambda, time: times[i])
                res = zip(res, zip(a.components, b.components)).map { $0 + abs($1.0 - $1.1) }
            }
            if let smoothing {
                let b = DynamicsPoint.observe(smoothing[count - 1].plain[i], data: problem.data, lambda: problem.lambda, time: times[i])
                res = zip(res, zip(v.components, b.components)).map { $0 + abs($1.0 - $1.1) }
                res[res.count - 1] += DynamicsSolver.slidingAlignmentAllowance  // the alignment is the last component
            }
            values.append(v)
            residuals.append(DynamicsPoint(components: res, shape: v))
        }
        guard (values + residuals).allSatisfy({ $0.components.allSatisfy(\.isFinite) }) else {
            throw InputError("the Euler march diverged on the coarse grid (dt = \(problem.time / Double(m))); "
                             + "use a shorter training time, fewer output intervals or fewer data points")
        }
        var out = DynamicsTrajectory(approximation: approximation, times: times, values: values, residuals: residuals,
                                     gridSteps: steps, finestFrames: finest)
        out.finestValues = zip(finest, times).map { DynamicsPoint.observe($0, data: problem.data, lambda: problem.lambda, time: $1) }
        if let smoothing {
            out.finestSmoothingResiduals = times.indices.map { i in
                let b = DynamicsPoint.observe(smoothing[count - 1].plain[i], data: problem.data, lambda: problem.lambda, time: times[i])
                return DynamicsPoint(components: zip(out.finestValues[i].components, b.components).map { abs($0 - $1) }, shape: b)
            }
        }
        return out
    }
}

/// The static-NTK (lazy) trajectory (notes/dynamics-deep-linear.md (DY17)):
/// df/dt = (L+1) e^{-2 lambda L t} C(., X) (y - f_X) - lambda (L+1) f, with H^l = e^{-2 lambda l t} C and
/// G^l = e^{-2 lambda (L+1-l) t}; classical RK4.
public struct StaticNTKTrajectory: Sendable {
    public let depth: Int
    public let lambda: Double
    public let kernel: [Double]
    public let labels: [Double]
    public let pointCount: Int

    /// Nonlinear networks (notes/dynamics-nonlinear.md (DN9), (DN20)): the lazy Phi^l_0, G^l_0 (l = 1...L) and the NTK
    /// K_0 = sum_{l=0}^{L} G^{l+1}_0 (.) Phi^l_0 (Phi^0 = C, G^{L+1} = 1).
    let lazy: (features: [[Double]], gradients: [[Double]], ntk: [Double])?

    public init(depth: Int, lambda: Double, kernel: [Double], labels: [Double], pointCount: Int) {
        self.depth = depth; self.lambda = lambda; self.kernel = kernel; self.labels = labels; self.pointCount = pointCount
        lazy = nil
    }

    /// A nonlinear activation (DN9): df/dt = e^{-2 lambda t} K_0 (y - f) - 2 lambda f at L = 1, defined for
    /// lambda = 0 or a homogeneous activation (relu); Phi(t) = e^{-2 lambda t} Phi_0, G(t) = e^{-2 lambda t} G_0.
    /// L >= 2 (DN20): df/dt = K_0 (y - f) with the lazy kernels of the layer recursion; relu with lambda > 0 (DN25):
    /// df/dt = e^{-2 lambda L t} K_0 (y - f) - lambda (L + 1) f, Phi^l(t) = e^{-2 lambda l t} Phi^l_0, G^l(t) = e^{-2 lambda (L+1-l) t} G^l_0.
    public init(activation: Activation, depth: Int = 1, lambda: Double, kernel: [Double], labels: [Double], pointCount: Int) {
        precondition(depth == 1 || lambda == 0 || activation == .relu)
        self.depth = depth; self.lambda = lambda; self.kernel = kernel; self.labels = labels; self.pointCount = pointCount
        let maps = TwoLayerDMFT.lazyKernels(activation, kernel: kernel, pointCount: pointCount, depth: depth)
        var ntk = [Double](repeating: 0, count: kernel.count)
        for l in 0...depth {
            let phi = l == 0 ? kernel : maps.features[l - 1]
            for i in ntk.indices { ntk[i] += (l == depth ? 1 : maps.gradients[l][i]) * phi[i] }
        }
        lazy = (maps.features, maps.gradients, ntk)
    }

    func velocity(_ f: [Double], _ t: Double) -> [Double] {
        let np = pointCount, p = labels.count, a = Double(depth + 1)
        let decay = exp(-2 * lambda * Double(depth) * t)   // lazy (nonlinear): depth 1, lambda = 0 or relu (DN25)
        return (0..<np).map { nu in
            var s = 0.0
            if let lazy {
                for mu in 0..<p { s += lazy.ntk[nu * np + mu] * (labels[mu] - f[mu]) }
                return decay * s - lambda * a * f[nu]
            }
            for mu in 0..<p { s += kernel[nu * np + mu] * (labels[mu] - f[mu]) }
            return a * decay * s - lambda * a * f[nu]
        }
    }

    public func frames(timeStep dt: Double, steps: Int, stride: Int) -> [KernelFrame] {
        var f = [Double](repeating: 0, count: pointCount)
        func frame(_ t: Double) -> KernelFrame {
            if let lazy {
                // Homogeneous decay of layer l's kernels (DN9), (DN25): Phi^l ~ e^{-2 lambda l t}, G^l ~ e^{-2 lambda (L+1-l) t}.
                let feature = (1...depth).map { exp(-2 * lambda * Double($0) * t) }
                let gradient = (1...depth).map { exp(-2 * lambda * Double(depth + 1 - $0) * t) }
                return KernelFrame(predictions: f, featureKernels: zip(lazy.features, feature).map { k, d in k.map { $0 * d } },
                                   gradientKernels: zip(lazy.gradients, gradient).map { $0[0] * $1 },
                                   gradientMatrices: zip(lazy.gradients, gradient).map { k, d in k.map { $0 * d } })
            }
            return KernelFrame(predictions: f,
                        featureKernels: (1...depth).map { l in kernel.map { $0 * exp(-2 * lambda * Double(l) * t) } },
                        gradientKernels: (1...depth).map { l in exp(-2 * lambda * Double(depth + 1 - l) * t) })
        }
        var out = [frame(0)]
        for k in 0..<steps {
            let t = Double(k) * dt
            let k1 = velocity(f, t)
            let k2 = velocity(zip(f, k1).map { $0 + 0.5 * dt * $1 }, t + 0.5 * dt)
            let k3 = velocity(zip(f, k2).map { $0 + 0.5 * dt * $1 }, t + 0.5 * dt)
            let k4 = velocity(zip(f, k3).map { $0 + dt * $1 }, t + dt)
            for i in f.indices { f[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
            if (k + 1) % stride == 0 { out.append(frame(Double(k + 1) * dt)) }
        }
        return out
    }
}
