import Dispatch
import Foundation
import Core
import Numerics

/// Settings of the stochastic min-max solver (notes/verify-bayes.md, section 2).
public struct MinMaxSettings: Sendable {
    /// Fresh Gaussian samples per layer and iteration.
    public var samples: Int = 20_000
    public var burnIn: Int = 200
    public var measured: Int = 200
    /// Outer (Phi) step eta and inner (hatPhi) Newton-step fraction (eqs. V9, V10).
    public var outerStep: Double = 0.5
    public var innerStep: Double = 0.5
    /// Trust radius on the whitened outer step (eq. V11).
    public var trustRadius: Double = 0.5
    /// Lag bound of the outer step with the CG inner step (notes/anbk-data.md (NB17c)): lambda_max(A^-1 Phi^l_tt)
    /// after the step at most max(this, its value before the step).
    public var lagLimit: Double = 8
    /// Training points up to which the inner step of a nonlinear activation is the Fisher-Newton step
    /// (eq. V41, P(P+1)/2 dual entries); above, and for phi = h, the Gaussian-preconditioned step (eq. V10).
    public var newtonPoints: Int = 12
    /// Levenberg-Marquardt weight of the Gaussian Fisher added to the sampled one (eq. V41c).
    public var newtonDamping: Double = 0.1
    /// Above `newtonPoints` training points, a nonlinear activation's inner step is the same damped
    /// Fisher-Newton step solved matrix-free by preconditioned conjugate gradients (notes/anbk-data.md
    /// (NB2)-(NB4)): at most this many iterations (0: the Gaussian step V10 instead), stopped when the
    /// preconditioned residual has fallen by `conjugateGradientTolerance`.
    public var conjugateGradientSteps: Int = 8
    public var conjugateGradientTolerance: Double = 0.1
    /// Samples (the first of the iteration's, weights renormalized) on which the CG step applies the
    /// Fisher operator (NB5b): the operator sets the path, not the fixed point (r = 0 there whatever it is).
    public var fisherSamples: Int = 2000
    /// Whether every kernel entry's time series is kept (verify plans check each entry). Off, only
    /// the running means of the kernels and the overlap series are kept (O(n^2) memory instead of
    /// O(n^2 T): what data runs with hundreds of points need; notes/anbk-data.md (NB6)).
    public var recordKernelSeries: Bool = true
    /// Whether the proposal (V6b) keeps only its training block and draws the test components from
    /// the prior's conditional law given the training ones (notes/anbk-data.md (NB8)): the density
    /// ratio then lives on the P training dimensions instead of P + Q.
    public var conditionalTestProposal: Bool = false
    /// Feasibility floor of the inner step (eq. V46): a dual whose tilted moment on the current samples
    /// has an effective sample size below this fraction of n, or a training block that is not positive
    /// definite, is pulled back toward hatPhi = 0 (always integrable) until it is feasible.
    public var feasibleESSFraction: Double = 0.02
    /// Iterations over which gamma^2 is ramped up from 0 (eq. V43); nil: a quarter of the burn-in.
    public var gammaRamp: Int? = nil
    public var batches: Int = BatchMeans.defaultBatches
    public var seed: UInt64 = 1
    /// How the inner expectation over the tilted law is taken: fresh importance samples from the Gaussian
    /// proposal (V6)-(V6b), or a population of walkers carried across iterations (notes/anbk-data.md (NB12)-(NB14)).
    public var sampler: InnerSampler = .importance
    /// Elliptical slice sampling sweeps per walker at every tempering temperature and at each iteration's target (NB13).
    public var populationMoves: Int = 2
    /// The Gaussian reference of the elliptical slice moves (notes/anbk-data.md (NB31)).
    public var sliceReference: SliceReference = .fitted
    /// How the top layer's pair (Phi^L, hatPhi^L) moves (notes/anbk-data.md (NB22)-(NB24)).
    public var scheme: SaddleScheme = .minmax
    /// Mixing a of the fixed-point scheme (NB23): Phi <- Phi + a delta with delta the preconditioned Newton step.
    public var fixedPointMixing: Double = 0.3
    /// Called once per iteration with a line of diagnostics (NB22): the iteration, then per layer the overlap and
    /// largest eigenvalue of Phi^l_tt, the relative residual |A_tt - Phi_tt|_F / |Phi_tt|_F, the smallest ESS, the
    /// fraction of the inner step taken (the fixed-point scheme: of the dual's move toward T, (NB24)), the outer step
    /// size (the fixed-point scheme: the mixing a) and the dual along the labels y^T hatPhi y / |y|^2.
    public var trace: (@Sendable (String) -> Void)? = nil
    public init() {}
}

/// How the min-max moves the top layer (notes/anbk-data.md (NB22)-(NB24)).
public enum SaddleScheme: String, Sendable, CaseIterable {
    /// Algorithm 1: inner ascent on hatPhi^l (V10, NB2-NB4), outer descent on Phi^l (V11) with the lag bound (NB17c).
    case minmax
    /// Depth 1 (MLP) only: hatPhi^1 moved toward its outer stationarity -gamma^2 v v^T, v = (Phi^1_tt + b I)^-1 y (NB24),
    /// and Phi^1 toward the tilted moment A(hatPhi^1) by a damped Newton step with the Gaussian Jacobian (NB23); same saddle.
    case fixedPoint
}

/// The inner sampler of the min-max (notes/anbk-data.md (NB12)-(NB16)).
public enum InnerSampler: String, Sendable, CaseIterable {
    /// Self-normalized importance sampling from a fresh Gaussian proposal each iteration (V6)-(V6b).
    case importance
    /// Sequential Monte Carlo: reweight, resample, elliptical slice moves (NB12)-(NB14).
    case smc
}

/// The Gaussian of the population's elliptical slice moves (notes/anbk-data.md (NB13), (NB31)).
public enum SliceReference: String, Sendable, CaseIterable {
    /// The prior N(0, I) of the walkers, the likelihood the tilt (NB13).
    case prior
    /// N(m, S) fitted to the other half of the walkers, the likelihood target / reference (NB31).
    case fitted
}

/// One min-max run: time series of every kernel entry and prediction over the measured iterations.
public struct MinMaxRun: Sendable {
    /// series[l-1][entry][t]: Phi^l entries (row-major over all points) at measured iteration t.
    public var kernelSeries: [[[Double]]]
    public var predictionSeries: [[Double]]
    /// overlapSeries[l-1][t] = y^T Phi^l_tt y / y^T y, and the sums of Phi^l over the measured iterations.
    public var overlapSeries: [[Double]] = []
    public var kernelSums: [[Double]] = []
    /// observableSeries[k][t]: the caller's observables of the kernels (see `MinMaxSolver.run`).
    public var observableSeries: [[Double]] = []
    public var minimumESS: Double
    public var finalGradientNorm: Double
    /// Feasibility retreats of a dual (eq. V46): over the whole run and during the measured iterations.
    public var retreats = 0
    public var measuredRetreats = 0
    public var failure: String?
    /// Population counters of the `.smc` sampler over the run (NB15), zero for `.importance`.
    public var population = PopulationCounters()
    /// Where the run ended, to continue it (notes/anbk-data.md (NB25)); nil after a failure.
    public var continuation: MinMaxSolver.Continuation?
}

/// What the population sampler did over a run (notes/anbk-data.md (NB15)).
public struct PopulationCounters: Sendable {
    public var resamplings = 0, temperingSteps = 0, evaluations = 0, moves = 0, stalls = 0
    public init() {}
    /// Slice evaluations per elliptical slice move (1 when every first proposal is accepted).
    public var evaluationsPerMove: Double { moves > 0 ? Double(evaluations) / Double(moves) : 0 }
    public static func + (a: Self, b: Self) -> Self {
        var c = a
        c.resamplings += b.resamplings; c.temperingSteps += b.temperingSteps; c.evaluations += b.evaluations
        c.moves += b.moves; c.stalls += b.stalls
        return c
    }
}

/// Algorithm 1 of the paper for any activation: inner ascent on the duals hatPhi^l, outer descent on
/// the kernels Phi^l, with Z_l's moments by self-normalized importance sampling on fresh samples.
public struct MinMaxSolver: Sendable {
    public let problem: BayesProblem
    public let settings: MinMaxSettings

    public init(problem: BayesProblem, settings: MinMaxSettings) {
        self.problem = problem
        self.settings = settings
    }

    /// Mutable iteration state: Phi^l over all points (l = 0...L), hatPhi^l on the training block,
    /// and the Gaussian proposal of layer l's importance sampler (eq. V6b).
    public struct State: Sendable {
        public var kernels: [[Double]]
        public var duals: [[Double]]
        public var proposals: [[Double]]
        public var minimumESS = Double.infinity
        public var gradientNorm = 0.0
        /// Feasibility retreats (eq. V46) made so far.
        public var retreats = 0
        /// Outer steps dropped by the lag bound (notes/anbk-data.md (NB17c)) so far.
        public var laggedSteps = 0
        /// The fixed-point scheme's last dual fraction s (notes/anbk-data.md (NB24)): how far the dual followed T(Phi).
        public var dualFraction = 1.0
    }

    /// The lazy start (eq. V42): Phi^l the lazy kernels of the activation, hatPhi^l = 0, proposals Phi^{l-1}.
    /// `lazy: false`: Phi^l = C for every layer (the start before eq. V42; the benchmark's NumPy peer uses it).
    public func initialState(lazy: Bool = true) -> State {
        let p = problem.trainCount, pa = problem.pointCount
        var kernels = [problem.inputKernel]
        if let site = problem.site {
            // The CNN (notes/cnn-bayes.md (CB7)): the lazy CNN NNGP, and the proposal of the filter is its prior N(0, I_d).
            kernels.append(lazy ? site.lazyKernel(problem.activation) : problem.inputKernel)
            return State(kernels: kernels, duals: [[], [Double](repeating: 0, count: p * p)],
                         proposals: [problem.inputKernel, SmallMatrix.identity(site.rank)])
        }
        for _ in 1...problem.depth { kernels.append(lazy ? problem.activation.lazyKernel(kernels.last!, n: pa) : problem.inputKernel) }
        return State(kernels: kernels,
                     duals: Array(repeating: [Double](repeating: 0, count: p * p), count: problem.depth + 1),
                     proposals: [problem.inputKernel] + kernels.dropLast())
    }

    /// Sample buffers reused across iterations (n x (P+Q) each).
    public final class Workspace: @unchecked Sendable {
        let h, f, scratch: UnsafeMutableBufferPointer<Double>
        let base, weights: UnsafeMutableBufferPointer<Double>
        /// The CNN's filter coordinates z (samples x r; notes/cnn-bayes.md (CB7)), empty for the MLP.
        let filters: UnsafeMutableBufferPointer<Double>
        /// One block of rows per sample chunk (`blockCapacity` doubles each), reused by every block of the
        /// chunk's fused passes, so the copies and scaled rows stay in the core's cache (notes/verify-bayes.md (V50)).
        let blockScratch: UnsafeMutableBufferPointer<Double>
        let blockCapacity: Int
        public init(samples: Int, width: Int, filterDimension: Int = 0) {
            h = .allocate(capacity: samples * width)
            f = .allocate(capacity: samples * width)
            scratch = .allocate(capacity: samples * max(width, filterDimension))
            base = .allocate(capacity: samples)
            weights = .allocate(capacity: samples)
            filters = .allocate(capacity: samples * filterDimension)
            // A block (MinMaxSolver.blocks) of a pass of width m has at most max(16 m, 2^15) entries.
            blockCapacity = max(16 * max(width, filterDimension, 1), 1 << 15)
            blockScratch = .allocate(capacity: NormalSampler.chunks * blockCapacity)
        }
        deinit { [h, f, scratch, base, weights, filters, blockScratch].forEach { $0.deallocate() } }
        /// The `.smc` sampler's populations per layer and layer 1's map when the input kernel is fixed (NB12).
        var populations: [Int: TiltedPopulation] = [:]
        var inputMap: LayerMap?
        func population(layer: Int, count: Int, trainCount: Int, activation: Activation) -> TiltedPopulation {
            if let existing = populations[layer] { return existing }
            let created = TiltedPopulation(count: count, trainCount: trainCount, activation: activation)
            populations[layer] = created
            return created
        }
        var populationCounters: PopulationCounters {
            populations.values.reduce(PopulationCounters()) {
                var c = $0
                c.resamplings += $1.resamplings; c.temperingSteps += $1.temperingSteps; c.evaluations += $1.evaluations
                c.moves += $1.moves; c.stalls += $1.stalls
                return c
            }
        }
    }

    public struct StepFailure: Error { public let reason: String }

    /// The end of a run (notes/anbk-data.md (NB25)): its iteration state, its workspace (the populations of the
    /// `.smc` sampler live there) and the iterations made, so that a later run goes on from it. Owned by one run
    /// at a time.
    public final class Continuation: @unchecked Sendable {
        let state: State
        let workspace: Workspace
        let iterations: Int
        init(state: State, workspace: Workspace, iterations: Int) { self.state = state; self.workspace = workspace; self.iterations = iterations }
    }

    /// Inflation of the proposal covariance over the last tilted second moment (eq. V6b).
    public static let proposalInflation = 1.1

    /// Draws layer l's samples h ~ N(0, Sigma) (Sigma: the proposal, or Phi^{l-1} if it is unusable),
    /// phi(h), and the log density ratio -h^T (Phi^{-1} - Sigma^{-1}) h / 2 into `base` (eq. V6b).
    func sample(input: [Double], proposal: [Double], seed: UInt64, workspace ws: Workspace) throws {
        let n = settings.samples, pa = problem.pointCount
        if let site = problem.site { return sampleFilters(site, proposal: proposal, seed: seed, workspace: ws) }
        if input == problem.inputKernel, LinearAlgebra.cholesky(input, n: pa) == nil {
            return try sampleFactored(input: input, proposal: proposal, seed: seed, workspace: ws)
        }
        var sampling = settings.conditionalTestProposal ? conditionalProposal(input: input, proposal: proposal) ?? proposal : proposal
        var lowerOrNil = LinearAlgebra.cholesky(sampling, n: pa)
        let inputInverse = LinearAlgebra.inverseSPD(input, n: pa)
        var proposalInverse = LinearAlgebra.inverseSPD(sampling, n: pa)
        if lowerOrNil == nil || proposalInverse == nil {
            sampling = input; lowerOrNil = LinearAlgebra.cholesky(input, n: pa); proposalInverse = inputInverse
        }
        guard let lower = lowerOrNil, let pInv = proposalInverse, let iInv = inputInverse else {
            throw StepFailure(reason: "Phi lost positive definiteness")
        }
        let (h, f, base) = (ws.h, ws.f, ws.base)
        NormalSampler.fill(h, seed: seed)
        let chunks = NormalSampler.chunks, size = (n + chunks - 1) / chunks
        let activation = problem.activation
        // The density ratio's triangle (rowForms), empty for the plain scheme Sigma = Phi^{l-1} (base = 0).
        let plain = sampling == input
        let ratio = plain ? [] : Self.formTriangle(SmallMatrix.add(iInv, pInv, scale: -1), pa)
        // Per chunk of samples (rows are independent), in blocks of rows that stay in cache (notes/verify-bayes.md
        // (V50)): h = z L^T, then phi(h), then the density ratio's row forms of the same block (the blocks of
        // `rowForms` over h, so the result is that of rowForms).
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let rows = Self.blocks(c * size, min(n, (c + 1) * size), width: pa)
            let work = ws.blockScratch.baseAddress! + c * ws.blockCapacity
            for (first, end) in rows {
                let lo = first * pa, hi = end * pa
                lower.withUnsafeBufferPointer {
                    LinearAlgebra.multiplyByLowerTransposed(h.baseAddress! + lo, lower: $0.baseAddress!, rows: end - first, columns: pa)
                }
                let part = UnsafeMutableBufferPointer(rebasing: f[lo..<hi])
                _ = part.initialize(from: h[lo..<hi])
                activation.apply(part)
                if plain {
                    for s in first..<end { base[s] = 0 }
                } else {
                    Self.blockForms(h.baseAddress!, triangle: ratio, into: base.baseAddress!, rows: first, end, stride: pa, columns: pa,
                                    scale: -0.5, work: work)
                }
            }
        }
    }

    /// Layer 1's samples when C is singular (fewer features than points; notes/anbk-data.md (NB9)):
    /// C = F F^T with F = U_r Lambda_r^{1/2} over the r eigenvalues above 1e-10 of the largest, h = F z
    /// exactly, the prior z ~ N(0, I_r) and the proposal z ~ N(0, S_z), S_z = F^+ Sigma F^+T (the
    /// proposal's second moment seen in z), so the density ratio is N(z; 0, I)/N(z; 0, S_z) in r
    /// dimensions: with z = L_z e (S_z = L_z L_z^T, e ~ N(0, I_r)), base = -(|z|^2 - |e|^2)/2.
    func sampleFactored(input: [Double], proposal: [Double], seed: UInt64, workspace ws: Workspace) throws {
        let n = settings.samples, pa = problem.pointCount
        guard let eigen = LinearAlgebra.symmetricEigen(input, n: pa), let top = eigen.values.max(), top > 0 else {
            throw StepFailure(reason: "the input kernel has no positive eigenvalue")
        }
        let kept = eigen.values.indices.filter { eigen.values[$0] > 1e-10 * top }
        let r = kept.count
        var factor = [Double](repeating: 0, count: pa * r), pseudo = [Double](repeating: 0, count: r * pa)
        for (j, k) in kept.enumerated() {
            let root = eigen.values[k].squareRoot()
            for i in 0..<pa { factor[i * r + j] = eigen.vectors[i * pa + k] * root; pseudo[j * pa + i] = eigen.vectors[i * pa + k] / root }
        }
        let seen = SmallMatrix.symmetrized(LinearAlgebra.multiplyTransposed(LinearAlgebra.multiply(pseudo, proposal, m: r, k: pa, n: pa), pseudo,
                                                                           m: r, k: pa, n: r), r)
        let identity = proposal == input
        let lowerZ = identity ? SmallMatrix.identity(r) : LinearAlgebra.cholesky(seen, n: r) ?? SmallMatrix.identity(r)
        let (h, f, base) = (ws.h, ws.f, ws.base)
        NormalSampler.fill(h, seed: seed)
        let z = UnsafeMutableBufferPointer<Double>.allocate(capacity: n * r)
        defer { z.deallocate() }
        // z = e L_z^T (e: the first r normals of each row), base from |z|^2 - |e|^2, then h = z F^T.
        lowerZ.withUnsafeBufferPointer { LinearAlgebra.gemm(h.baseAddress!, $0.baseAddress!, z.baseAddress!, m: n, k: r, n: r, transposeB: true, lda: pa) }
        for s in 0..<n {
            var zz = 0.0, ee = 0.0
            for j in 0..<r { zz += z[s * r + j] * z[s * r + j]; ee += h[s * pa + j] * h[s * pa + j] }
            base[s] = identity ? 0 : -0.5 * (zz - ee)
        }
        factor.withUnsafeBufferPointer { LinearAlgebra.gemm(z.baseAddress!, $0.baseAddress!, h.baseAddress!, m: n, k: r, n: pa, transposeB: true) }
        _ = f.initialize(from: h)
        problem.activation.apply(f)
    }

    /// The CNN's samples (notes/cnn-bayes.md (CB7)): filter coordinates z = e L_z^T in the row space of A
    /// (`PooledSite.factor`, r dimensions) from the proposal N(0, S_z) (S_z = L_z L_z^T, r x r; the prior
    /// N(0, I) if S_z is not positive definite), the log density ratio
    /// N(z; 0, I)/N(z; 0, S_z) = -(|z|^2 - |e|^2)/2 up to a constant (removed by self-normalisation),
    /// and the pooled features psi(w) into f.
    func sampleFilters(_ site: PooledSite, proposal: [Double], seed: UInt64, workspace ws: Workspace) {
        let n = settings.samples, d = site.rank, pa = problem.pointCount
        let identity = SmallMatrix.identity(d)
        let lower = proposal == identity ? nil : LinearAlgebra.cholesky(proposal, n: d)
        let (w, e, base) = (ws.filters, ws.scratch, ws.base)
        NormalSampler.fill(UnsafeMutableBufferPointer(rebasing: e[0..<(n * d)]), seed: seed)
        if let lower {
            lower.withUnsafeBufferPointer { LinearAlgebra.gemm(e.baseAddress!, $0.baseAddress!, w.baseAddress!, m: n, k: d, n: d, transposeB: true) }
            for s in 0..<n {
                var ww = 0.0, ee = 0.0
                for j in 0..<d { ww += w[s * d + j] * w[s * d + j]; ee += e[s * d + j] * e[s * d + j] }
                base[s] = -0.5 * (ww - ee)
            }
        } else {
            _ = w.update(from: e[0..<(n * d)])
            for s in 0..<n { base[s] = 0 }
        }
        site.features(w, count: n, activation: problem.activation, into: ws.f, stride: pa)
    }

    /// The proposal of (NB8): training block S = the proposal's, test rows from the prior Phi^{l-1}:
    /// Sigma = [[S, S B^T], [B S, B S B^T + Phi_** - B Phi_t*]] with B = Phi_*t Phi_tt^-1, i.e.
    /// h_t ~ N(0, S) and h_* | h_t the prior's conditional law, so N(h; 0, Phi)/N(h; 0, Sigma) =
    /// N(h_t; 0, Phi_tt)/N(h_t; 0, S). nil without test points or when Phi_tt is singular.
    func conditionalProposal(input: [Double], proposal: [Double]) -> [Double]? {
        let p = problem.trainCount, pa = problem.pointCount, q = pa - p
        guard q > 0, let inverse = LinearAlgebra.inverseSPD(SmallMatrix.leadingBlock(input, pa, p), n: p) else { return nil }
        let cross = (p..<pa).flatMap { i in (0..<p).map { input[i * pa + $0] } }             // Phi_*t, q x p
        let b = LinearAlgebra.multiply(cross, inverse, m: q, k: p, n: p)                          // B, q x p
        let s = SmallMatrix.leadingBlock(proposal, pa, p)
        let bs = LinearAlgebra.multiply(b, s, m: q, k: p, n: p)                                   // B S
        let bsb = LinearAlgebra.multiplyTransposed(bs, b, m: q, k: p, n: q)                       // B S B^T
        let bphi = LinearAlgebra.multiplyTransposed(b, cross, m: q, k: p, n: q)                   // B Phi_t*
        var sigma = [Double](repeating: 0, count: pa * pa)
        for i in 0..<p { for j in 0..<p { sigma[i * pa + j] = s[i * p + j] } }
        for a in 0..<q {
            for j in 0..<p { sigma[(p + a) * pa + j] = bs[a * p + j]; sigma[j * pa + p + a] = bs[a * p + j] }
            for c in 0..<q { sigma[(p + a) * pa + p + c] = bsb[a * q + c] + input[(p + a) * pa + p + c] - bphi[a * q + c] }
        }
        return SmallMatrix.symmetrized(sigma, pa)
    }

    /// out[s] = scale * x_s^T S x_s over the first `columns` entries of each row, S symmetric, at half
    /// the flops of the product x S: with the triangle T = 2 strictLower(S) + diag(S), x^T T x = x^T S x,
    /// so one dtrmm (x T^T) and row dots replace the gemm. Per chunk of rows, block by block (V50): the
    /// block's rows are copied, compacted to `columns`, into the chunk's block scratch, multiplied and dotted.
    static func rowForms(_ x: UnsafeMutableBufferPointer<Double>, symmetric: [Double], into out: UnsafeMutableBufferPointer<Double>,
                         rows n: Int, stride: Int, columns m: Int, scale: Double, workspace ws: Workspace) {
        let triangle = formTriangle(symmetric, m)
        let chunks = NormalSampler.chunks, size = (n + chunks - 1) / chunks
        let source = x.baseAddress!, target = out.baseAddress!
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let work = ws.blockScratch.baseAddress! + c * ws.blockCapacity
            for (lo, hi) in blocks(c * size, min(n, (c + 1) * size), width: max(m, stride)) {
                blockForms(source, triangle: triangle, into: target, rows: lo, hi, stride: stride, columns: m, scale: scale, work: work)
            }
        }
    }

    /// The triangle T = 2 strictLower(S) + diag(S) of a symmetric m x m S (x^T T x = x^T S x).
    static func formTriangle(_ symmetric: [Double], _ m: Int) -> [Double] {
        (0..<(m * m)).map { e -> Double in
            let (i, j) = (e / m, e % m)
            return j < i ? symmetric[e] + symmetric[j * m + i] : j == i ? symmetric[e] : 0
        }
    }

    /// rowForms on the rows lo..<hi of one block: copy (compacted to m columns) into `work` (at least
    /// (hi - lo) m doubles), dtrmm by the triangle, row dots with the source.
    @inline(__always)
    static func blockForms(_ source: UnsafeMutablePointer<Double>, triangle: [Double], into out: UnsafeMutablePointer<Double>,
                           rows lo: Int, _ hi: Int, stride: Int, columns m: Int, scale: Double, work: UnsafeMutablePointer<Double>) {
        for s in lo..<hi { (work + (s - lo) * m).update(from: source + s * stride, count: m) }
        triangle.withUnsafeBufferPointer { LinearAlgebra.multiplyByLowerTransposed(work, lower: $0.baseAddress!, rows: hi - lo, columns: m) }
        for s in lo..<hi {
            var q = 0.0
            let row = work + (s - lo) * m, x = source + s * stride
            for j in 0..<m { q += row[j] * x[j] }
            out[s] = scale * q
        }
    }

    /// The rows lo..<hi of a chunk cut into blocks of about 256 KiB of `width` doubles per row (at least
    /// 16 rows), the unit in which the fused passes work while the block is in the core's cache (V50).
    static func blocks(_ lo: Int, _ hi: Int, width: Int) -> [(Int, Int)] {
        if lo >= hi { return [] }
        let rows = max(16, (1 << 15) / max(1, width))
        return stride(from: lo, to: hi, by: rows).map { ($0, min(hi, $0 + rows)) }
    }

    /// out[s] = scale * sum_{j < columns} a[s, j] b[s, j], in parallel over the fixed sample chunks.
    static func rowDots(_ a: UnsafeMutableBufferPointer<Double>, _ b: UnsafeMutableBufferPointer<Double>,
                        into out: UnsafeMutableBufferPointer<Double>, rows n: Int, stride: Int, columns: Int, scale: Double) {
        let chunks = NormalSampler.chunks, size = (n + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * size, hi = min(n, (c + 1) * size)
            if lo >= hi { return }
            for s in lo..<hi {
                var q = 0.0
                let row = s * stride
                for j in 0..<columns { q += a[row + j] * b[row + j] }
                out[s] = scale * q
            }
        }
    }

    /// Fisher-Newton direction of the inner ascent (eq. V41) at the weights of the last `tiltedMoments`
    /// call: the sampled inner objective -Tr(Phi hatPhi)/2 - ln Z has gradient r/2 (eq. V4) and, over the
    /// entries e = (i <= j) of hatPhi, Hessian -Cov_w(F) (x) multiplicities / 4 with F_e = phi_i phi_j on the
    /// training columns; the Newton step solves Cov_w(F) u = 2 r_e and is dHat_ii = u_e, dHat_ij = u_e / 2.
    /// For phi = h the exact (unsampled) Hessian gives Phi^-1 r Phi^-1 (Isserlis), the direction of eq. V10, which
    /// the solver then uses instead. nil if the weighted feature covariance is singular.
    func newtonDirection(residual r: [Double], kernel: [Double], workspace ws: Workspace) -> [Double]? {
        let n = settings.samples, pa = problem.pointCount, p = problem.trainCount
        let pairs = (0..<p).flatMap { i in (i..<p).map { (i, $0) } }, m = pairs.count
        let (f, w) = (ws.f, ws.weights)
        let first = pairs.map(\.0), second = pairs.map(\.1)
        let chunks = NormalSampler.chunks, size = (n + chunks - 1) / chunks
        let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks * m * m + chunks * m)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0)
        let sums = partials.baseAddress! + chunks * m * m
        // Weighted mean of the features (= the tilted moment A_tt at these weights), per chunk in chunk order.
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for s in (c * size)..<min(n, (c + 1) * size) {
                let row = s * pa
                for e in 0..<m { sums[c * m + e] += w[s] * f[row + first[e]] * f[row + second[e]] }
            }
        }
        var mean = [Double](repeating: 0, count: m)
        for c in 0..<chunks { for e in 0..<m { mean[e] += sums[c * m + e] } }
        // Centred, sqrt(w)-scaled features per chunk, then dsyrk; partial sums added in chunk order.
        mean.withUnsafeBufferPointer { mu in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * size, hi = min(n, (c + 1) * size)
                if lo >= hi { return }
                let block = UnsafeMutableBufferPointer<Double>.allocate(capacity: (hi - lo) * m)
                defer { block.deallocate() }
                for s in lo..<hi {
                    let root = w[s].squareRoot(), row = s * pa, out = (s - lo) * m
                    for e in 0..<m { block[out + e] = root * (f[row + first[e]] * f[row + second[e]] - mu[e]) }
                }
                LinearAlgebra.gram(block.baseAddress!, partials.baseAddress! + c * m * m, rows: hi - lo, columns: m)
            }
        }
        var covariance = [Double](repeating: 0, count: m * m)
        for c in 0..<chunks { for e in 0..<(m * m) { covariance[e] += partials[c * m * m + e] } }
        // Levenberg-Marquardt damping toward the Gaussian Fisher (eq. V41c): + lambda G with
        // G_{(ij),(kl)} = Phi_ik Phi_jl + Phi_il Phi_jk (Isserlis, the Hessian behind eq. V10).
        let lambda = settings.newtonDamping
        for e in 0..<m { for f in 0..<m {
            let (i, j, k, l) = (first[e], second[e], first[f], second[f])
            covariance[e * m + f] += lambda * (kernel[i * p + k] * kernel[j * p + l] + kernel[i * p + l] * kernel[j * p + k])
        } }
        guard let u = LinearAlgebra.solveSPD(covariance, pairs.map { 2 * r[$0.0 * p + $0.1] }, n: m) else { return nil }
        var direction = [Double](repeating: 0, count: p * p)
        for (e, (i, j)) in pairs.enumerated() {
            let value = i == j ? u[e] : 0.5 * u[e]
            direction[i * p + j] = value; direction[j * p + i] = value
        }
        return direction
    }

    /// The damped Fisher-Newton direction of (V41)/(V41c) without forming the P(P+1)/2-square Fisher
    /// matrix (notes/anbk-data.md (NB2)-(NB4)): solves M(U) = 2 r over symmetric P x P matrices U with
    /// M(U) = F(U) + 2 lambda Phi U Phi, F(U) = sum_s w_s q_s phi_s phi_s^T - qbar A, q_s = phi_s^T U phi_s,
    /// qbar = sum_s w_s q_s (the weighted covariance of the features, applied; NB2), by conjugate
    /// gradients preconditioned with the Gaussian Fisher G(U) = 2 Phi U Phi (NB3), whose inverse maps
    /// 2 r to the Gaussian direction (V10). Weights: those of the last `tiltedMoments` call.
    /// nil if the operator is not positive on a search direction (then the caller uses V10).
    func fisherDirectionCG(residual r: [Double], kernel phiT: [Double], inverse: [Double], tiltedTrain _: [Double],
                           workspace ws: Workspace) -> [Double]? {
        let pa = problem.pointCount, p = problem.trainCount
        let n = min(settings.samples, max(settings.fisherSamples, 2 * p))
        let (f, weights) = (ws.f, ws.weights)
        // The first n samples with their weights renormalized (NB5b); compact training columns of phi.
        let total = (0..<n).reduce(0.0) { $0 + weights[$1] }
        guard total > 0 else { return nil }
        let w = (0..<n).map { weights[$0] / total }
        let features = UnsafeMutableBufferPointer<Double>.allocate(capacity: n * p)
        let product = UnsafeMutableBufferPointer<Double>.allocate(capacity: n * p)
        defer { features.deallocate(); product.deallocate() }
        for s in 0..<n { (features.baseAddress! + s * p).update(from: f.baseAddress! + s * pa, count: p) }
        let lambda = settings.newtonDamping
        // A on these samples: Phi_t^T diag(w) Phi_t.
        for s in 0..<n { for j in 0..<p { product[s * p + j] = w[s] * features[s * p + j] } }
        var a = [Double](repeating: 0, count: p * p)
        a.withUnsafeMutableBufferPointer { LinearAlgebra.gemm(features.baseAddress!, product.baseAddress!, $0.baseAddress!, m: p, k: n, n: p, transposeA: true) }
        func apply(_ u: [Double]) -> [Double] {
            // Z = Phi_t U (n x p), c_s = w_s phi_s^T U phi_s, then F(U) = Phi_t^T diag(c) Phi_t - (sum c) A (NB2).
            u.withUnsafeBufferPointer { LinearAlgebra.gemm(features.baseAddress!, $0.baseAddress!, product.baseAddress!, m: n, k: p, n: p) }
            var total = 0.0
            for s in 0..<n {
                var q = 0.0
                let row = s * p
                for j in 0..<p { q += product[row + j] * features[row + j] }
                let c = w[s] * q
                total += c
                for j in 0..<p { product[row + j] = c * features[row + j] }
            }
            var out = [Double](repeating: 0, count: p * p)
            out.withUnsafeMutableBufferPointer { LinearAlgebra.gemm(features.baseAddress!, product.baseAddress!, $0.baseAddress!, m: p, k: n, n: p, transposeA: true) }
            let gaussian = LinearAlgebra.multiply(LinearAlgebra.multiply(phiT, u, m: p, k: p, n: p), phiT, m: p, k: p, n: p)
            for e in 0..<(p * p) { out[e] += -total * a[e] + 2 * lambda * gaussian[e] }
            return SmallMatrix.symmetrized(out, p)
        }
        func precondition(_ x: [Double]) -> [Double] { SmallMatrix.sandwich(inverse, x, p).map { 0.5 * $0 } }
        func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 } }
        var x = [Double](repeating: 0, count: p * p)
        var residual = r.map { 2 * $0 }
        var z = precondition(residual)
        var d = z
        var rz = dot(residual, z)
        let start = rz
        guard start > 0 else { return x }
        for _ in 0..<settings.conjugateGradientSteps {
            let md = apply(d)
            let curvature = dot(d, md)
            guard curvature > 0, curvature.isFinite else { return nil }
            let alpha = rz / curvature
            for e in x.indices { x[e] += alpha * d[e]; residual[e] -= alpha * md[e] }
            z = precondition(residual)
            let next = dot(residual, z)
            if next <= settings.conjugateGradientTolerance * settings.conjugateGradientTolerance * start { break }
            for e in d.indices { d[e] = z[e] + next / rz * d[e] }
            rz = next
        }
        return SmallMatrix.symmetrized(x, p)
    }

    /// Tilted moments of the current samples under the dual hatPhi (eqs. V5-V7): A = <phi phi^T> and
    /// hh = <h h^T> over all points, with self-normalized weights exp(base - phi_t^T hatPhi phi_t / 2).
    /// `trainOnlySecondMoment`: hh only on the training block (embedded in a zero n x n matrix), all the
    /// conditional test proposal (NB8) needs, at (P/(P+Q))^2 of the cost.
    func tiltedMoments(dual: [Double], workspace ws: Workspace, needSecondMoment: Bool, trainOnlySecondMoment: Bool = false) -> (a: [Double], hh: [Double], ess: Double) {
        let n = settings.samples, pa = problem.pointCount, p = problem.trainCount
        let (h, f, base, w) = (ws.h, ws.f, ws.base, ws.weights)
        // q_s = phi_t(s)^T hatPhi phi_t(s) on the training columns (triangular product).
        Self.rowForms(f, symmetric: dual, into: w, rows: n, stride: pa, columns: p, scale: -0.5, workspace: ws)
        var maxLog = -Double.infinity
        for s in 0..<n {
            w[s] += base[s]
            if w[s] > maxLog { maxLog = w[s] }
        }
        var total = 0.0
        for s in 0..<n { w[s] = exp(w[s] - maxLog); total += w[s] }
        var sumSquares = 0.0
        for s in 0..<n { w[s] /= total; sumSquares += w[s] * w[s] }
        // Weighted Gram matrices per chunk (scale by sqrt(w), dsyrk), partial sums added in chunk order, so the
        // result does not depend on the number of threads. Within a chunk the rows go in cache-sized blocks (V50):
        // each block of f (and of h, on its first m columns) is scaled into the scratch rows and accumulated by
        // dsyrk while it is in cache.
        let chunks = NormalSampler.chunks, size = (n + chunks - 1) / chunks
        var sources: [(x: UnsafeMutableBufferPointer<Double>, m: Int, stride: Int)] = [(f, pa, pa)]
        if needSecondMoment {
            // The CNN's proposal lives on the filter (notes/cnn-bayes.md (CB7)): the second moment is <z z^T> (r x r).
            if let site = problem.site { sources.append((ws.filters, site.rank, site.rank)) }
            else { sources.append((h, trainOnlySecondMoment ? p : pa, pa)) }
        }
        var offsets = [0]
        for source in sources { offsets.append(offsets.last! + chunks * source.m * source.m) }
        let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: offsets.last!)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let scratch = ws.blockScratch.baseAddress! + c * ws.blockCapacity
            for (k, source) in sources.enumerated() {
                let (x, m, stride) = source
                for (lo, hi) in Self.blocks(c * size, min(n, (c + 1) * size), width: m) {
                    for s in lo..<hi {
                        let r = w[s].squareRoot(), row = scratch + (s - lo) * m, from = x.baseAddress! + s * stride
                        for j in 0..<m { row[j] = r * from[j] }
                    }
                    LinearAlgebra.accumulateGram(scratch, partials.baseAddress! + offsets[k] + c * m * m, rows: hi - lo, columns: m)
                }
            }
        }
        // Chunk sums in chunk order, embedded in a zero pa x pa matrix; dsyrk filled the lower triangle: mirror it.
        func chunkSum(_ k: Int) -> [Double] {
            let m = sources[k].m
            let pa = k == 1 && problem.site != nil ? m : pa    // the CNN's <z z^T> is r x r, not embedded
            var g = [Double](repeating: 0, count: pa * pa)
            for c in 0..<chunks {
                let base = offsets[k] + c * m * m
                for i in 0..<m { for j in 0...i { g[i * pa + j] += partials[base + i * m + j] } }
            }
            for i in 0..<m { for j in (i + 1)..<max(i + 1, m) { g[i * pa + j] = g[j * pa + i] } }
            return g
        }
        let a = chunkSum(0)
        let hh = needSecondMoment ? chunkSum(1) : []
        return (a, hh, 1 / sumSquares)
    }

    /// Feasible tilted moments (eq. V46): enough effective samples and a positive definite training block.
    func feasible(_ m: (a: [Double], hh: [Double], ess: Double), floor: Double) -> Bool {
        m.ess >= floor && LinearAlgebra.cholesky(SmallMatrix.leadingBlock(m.a, problem.pointCount, problem.trainCount), n: problem.trainCount) != nil
    }

    /// Continuation in gamma^2 from the lazy start (eq. V43): gamma_t^2 = gamma^2 min(1, (t + 1) / ramp) with
    /// ramp = `gammaRamp` (default: a quarter of the burn-in), so the iteration follows the saddle from the lazy point
    /// instead of facing the full tilt there (for ReLU the full tilt can be non-integrable at the lazy point).
    func gammaSquaredFraction(_ iteration: Int) -> Double {
        let ramp = settings.gammaRamp ?? settings.burnIn / 4
        return ramp <= 0 ? 1 : min(1, Double(iteration + 1) / Double(ramp))
    }

    /// One iteration of Algorithm 1 (eqs. V9-V12). Throws StepFailure when a kernel leaves the PD cone.
    public func step(_ state: inout State, iteration: Int, workspace: Workspace) throws {
        let L = problem.depth, p = problem.trainCount, pa = problem.pointCount
        var moments: [[Double]] = [[]], secondMoments: [[Double]] = [[]]
        state.minimumESS = .infinity
        // (NB23): the top layer of a depth-1 problem by the fixed-point scheme (no inner step, no outer gradient step).
        let fixedPoint = settings.scheme == .fixedPoint && L == 1 && problem.site == nil
        var innerFractions = [Double](repeating: 1, count: L + 1), outerSizes = [Double](repeating: 0, count: L + 1)
        let inputSingular = settings.conditionalTestProposal && LinearAlgebra.cholesky(problem.inputKernel, n: pa) == nil
        for l in 1...L {
            // (NB8): only the training block of the proposal is used, except on the factored layer 1 (NB9).
            let trainOnly = settings.conditionalTestProposal && pa > p && !(l == 1 && inputSingular) && problem.site == nil
            // The pooled CNN site (notes/cnn-bayes.md (CB7)) samples filter coordinates: importance sampling only.
            let population = settings.sampler == .smc && problem.site == nil
            // (NB31d): the fitted slice reference once the gamma^2 ramp is over and the dual follows its target (the
            // fixed-point scheme's fraction s = 1, (NB24)); before, the prior's, which does not rush into a tilt the
            // dual's path has carried near its integrability edge.
            let settled = gammaSquaredFraction(iteration) >= 1 && state.dualFraction >= 1
            if population {
                try sampleFromPopulation(layer: l, input: state.kernels[l - 1], dual: state.duals[l],
                                         seed: NormalSampler.derive(settings.seed, UInt64(iteration), UInt64(l), 0x5AC), reset: false, settled: settled,
                                         workspace: workspace)
            } else {
                try sample(input: state.kernels[l - 1], proposal: state.proposals[l],
                           seed: NormalSampler.derive(settings.seed, UInt64(iteration), UInt64(l)), workspace: workspace)
            }
            // Feasibility (eq. V46): the integrable duals form a convex set containing 0 (eq. V40: rho_l is a
            // maximum of functions linear in hatPhi^l). A dual that is not feasible on these samples (the outer
            // step moved Phi^{l-1}, or the samples reached its heavy tail) is scaled toward 0 until it is.
            let floor = settings.feasibleESSFraction * Double(settings.samples)
            var before = tiltedMoments(dual: state.duals[l], workspace: workspace, needSecondMoment: false)
            var pulls = 0, resampled = false
            let original = state.duals[l]
            while !feasible(before, floor: floor) {
                if pulls >= 30 {
                    // Infeasible even at hatPhi = 0: the proposal (V6b) itself no longer covers Phi^{l-1} (the outer
                    // step moved it). Sample from Phi^{l-1} instead (weights 1 at hatPhi = 0) and retreat again.
                    guard !resampled else { throw StepFailure(reason: "no feasible dual at layer \(l) (effective sample size \(Int(before.ess)) at hatPhi = 0)") }
                    state.duals[l] = original
                    if population {
                        // (NB14): a fresh population from the prior, tempered to the dual.
                        try sampleFromPopulation(layer: l, input: state.kernels[l - 1], dual: original,
                                                 seed: NormalSampler.derive(settings.seed, UInt64(iteration), UInt64(l), 0xFEA5), reset: true, settled: settled,
                                                 workspace: workspace)
                    } else {
                        try sample(input: state.kernels[l - 1], proposal: problem.site.map { SmallMatrix.identity($0.rank) } ?? state.kernels[l - 1],
                                   seed: NormalSampler.derive(settings.seed, UInt64(iteration), UInt64(l), 0xFEA5), workspace: workspace)
                    }
                    resampled = true
                    pulls = 0
                } else {
                    pulls += 1
                    state.duals[l] = pulls < 30 ? state.duals[l].map { 0.5 * $0 } : state.duals[l].map { _ in 0 }
                }
                before = tiltedMoments(dual: state.duals[l], workspace: workspace, needSecondMoment: false)
            }
            if resampled { state.retreats += 1 }
            if pulls > 0 { state.retreats += 1 }
            if fixedPoint && l == L {
                // (NB23): no inner step; the moments at the dual the last iteration moved toward T(Phi) (NB24) are the step's input.
                let m = tiltedMoments(dual: state.duals[l], workspace: workspace, needSecondMoment: true, trainOnlySecondMoment: trainOnly)
                moments.append(m.a); secondMoments.append(problem.site == nil ? SmallMatrix.leadingBlock(m.hh, pa, p) : [])
                state.proposals[l] = m.hh.map { MinMaxSolver.proposalInflation * $0 }
                state.minimumESS = min(state.minimumESS, before.ess, m.ess)
                innerFractions[l] = 0
                if population { commitPopulation(layer: l, dual: state.duals[l], workspace: workspace) }
                continue
            }
            // Inner ascent: a damped Newton step on hatPhi^l toward <phi phi^T> = Phi^l (eq. V10).
            let phiT = SmallMatrix.leadingBlock(state.kernels[l], pa, p)
            guard let inverse = LinearAlgebra.inverseSPD(phiT, n: p) else { throw StepFailure(reason: "Phi^\(l) singular") }
            let residual = SmallMatrix.add(SmallMatrix.leadingBlock(before.a, pa, p), phiT, scale: -1)
            guard let lower = LinearAlgebra.cholesky(phiT, n: p) else { throw StepFailure(reason: "Phi^\(l) singular") }
            // Direction: Fisher-Newton (eq. V41) for small P and phi != h, else the Gaussian Newton direction
            // Phi^-1 r Phi^-1 (eq. V10), which for phi = h is the exact Newton step with the exact (not sampled) Hessian.
            // Above newtonPoints the same damped Fisher-Newton step, matrix-free by preconditioned CG (notes/anbk-data.md (NB2)-(NB4)).
            let nonlinear = problem.activation != .identity
            let dense = nonlinear && p <= settings.newtonPoints
            let iterative = nonlinear && !dense && settings.conjugateGradientSteps > 0
            let newton = dense || iterative
            let direction = (dense ? newtonDirection(residual: residual, kernel: phiT, workspace: workspace)
                             : iterative ? fisherDirectionCG(residual: residual, kernel: phiT, inverse: inverse, tiltedTrain: SmallMatrix.leadingBlock(before.a, pa, p), workspace: workspace)
                             : nil)
                ?? SmallMatrix.sandwich(inverse, residual, p)
            // Trust region: the step whitened by Phi^l, |L^T dH L|_F with Phi^l = L L^T, is at most the trust
            // radius (eq. V10; for the Gaussian direction this is |L^-1 r L^-T|_F).
            // For the CG step (P > newtonPoints) the radius bounds the largest whitened eigenvalue of the step
            // (notes/anbk-data.md (NB17b)): the Frobenius norm of the sampled direction grows like P/sqrt(ESS) with
            // the sampling noise alone and would shrink the step in every direction by that factor.
            let whitenedDirection = LinearAlgebra.multiply(LinearAlgebra.multiply(transpose(lower, p), direction, m: p, k: p, n: p), lower, m: p, k: p, n: p)
            let whitenedStep = iterative ? Self.spectralNorm(whitenedDirection, p) : SmallMatrix.frobeniusNorm(whitenedDirection)
            var innerSize = settings.innerStep * min(1, settings.trustRadius / max(settings.innerStep * whitenedStep, 1e-300))
            let previous = state.duals[l]
            state.duals[l] = SmallMatrix.symmetrized(SmallMatrix.add(previous, direction, scale: innerSize), p)
            // The outer gradient is taken at the updated dual: reweight the same samples (eq. V8).
            var m = tiltedMoments(dual: state.duals[l], workspace: workspace, needSecondMoment: true, trainOnlySecondMoment: trainOnly)
            // Sampled Newton steps can be long where the features respond weakly; the step is halved while it
            // more than halves the effective sample size of these samples (eq. V41b).
            var halvings = 0
            while newton, m.ess < 0.5 * before.ess, halvings < 10 {
                innerSize *= 0.5; halvings += 1
                state.duals[l] = SmallMatrix.symmetrized(SmallMatrix.add(previous, direction, scale: innerSize), p)
                m = tiltedMoments(dual: state.duals[l], workspace: workspace, needSecondMoment: true, trainOnlySecondMoment: trainOnly)
            }
            // The step itself must stay feasible (eq. V46); the previous dual is.
            if !feasible(m, floor: floor) {
                while !feasible(m, floor: floor), halvings < 20 {
                    innerSize *= 0.5; halvings += 1
                    state.duals[l] = SmallMatrix.symmetrized(SmallMatrix.add(previous, direction, scale: innerSize), p)
                    m = tiltedMoments(dual: state.duals[l], workspace: workspace, needSecondMoment: true, trainOnlySecondMoment: trainOnly)
                }
                if !feasible(m, floor: floor) {
                    state.duals[l] = previous
                    m = tiltedMoments(dual: previous, workspace: workspace, needSecondMoment: true, trainOnlySecondMoment: trainOnly)
                }
                state.retreats += 1
            }
            moments.append(m.a); secondMoments.append(problem.site == nil ? SmallMatrix.leadingBlock(m.hh, pa, p) : [])
            state.proposals[l] = m.hh.map { MinMaxSolver.proposalInflation * $0 }
            state.minimumESS = min(state.minimumESS, before.ess, m.ess)
            innerFractions[l] = innerSize / settings.innerStep
            if population { commitPopulation(layer: l, dual: state.duals[l], workspace: workspace) }
        }
        // Targets for hatPhi^l from the Phi^l-gradient of the action (eq. V8).
        var targets: [[Double]] = [[]]
        for l in 1...L {
            let phiT = SmallMatrix.leadingBlock(state.kernels[l], pa, p)
            if l < L {
                guard let inverse = LinearAlgebra.inverseSPD(phiT, n: p) else { throw StepFailure(reason: "Phi^\(l) singular") }
                targets.append(SmallMatrix.sandwich(inverse, SmallMatrix.add(secondMoments[l + 1], phiT, scale: -1), p).map { -$0 })
            } else {
                targets.append(try topTarget(kernel: phiT, gammaSquared: problem.gamma * problem.gamma * gammaSquaredFraction(iteration)))
            }
        }
        // Outer descent on Phi^l in the inverse-kernel chart with a trust radius (eq. V11).
        state.gradientNorm = 0
        let traced = settings.trace.map { _ in (0...L).map { SmallMatrix.leadingBlock(state.kernels[$0], pa, p) } }
        for l in 1...L {
            let phiT = SmallMatrix.leadingBlock(state.kernels[l], pa, p)
            if fixedPoint && l == L {
                // The Jacobian of (NB23b) assumes the dual follows T(Phi); it follows by the fraction s of the last
                // iteration (NB24), so the preconditioner's coupling is s g2.
                let (newTrain, size, residualNorm) = try fixedPointStep(kernel: phiT, moment: SmallMatrix.leadingBlock(moments[l], pa, p),
                                                                        gammaSquared: state.dualFraction * problem.gamma * problem.gamma * gammaSquaredFraction(iteration))
                state.gradientNorm = max(state.gradientNorm, residualNorm)
                outerSizes[l] = size
                state.kernels[l] = try extendToTestPoints(train: newTrain, moments: moments[l])
                // Toward the outer stationarity (V8) at the new kernel, hatPhi^L = T^L(Phi^L) = -g2 v v^T, with the change
                // whitened by the tilted moment A = F F^T at most the trust radius in spectral norm (NB24): the tilted
                // moment can then grow by at most 1/(1 - radius) in any direction per iteration (Gaussian surrogate), so the
                // dual stays integrable while Phi catches up. The fraction of T - hatPhi taken is traced as the inner one.
                let target = try topTarget(kernel: newTrain, gammaSquared: problem.gamma * problem.gamma * gammaSquaredFraction(iteration + 1))
                let change = SmallMatrix.add(target, state.duals[l], scale: -1)
                guard let lower = LinearAlgebra.cholesky(SmallMatrix.leadingBlock(moments[l], pa, p), n: p) ?? LinearAlgebra.cholesky(newTrain, n: p) else {
                    throw StepFailure(reason: "Phi^\(l) singular")
                }
                let whitened = LinearAlgebra.multiply(LinearAlgebra.multiply(transpose(lower, p), change, m: p, k: p, n: p), lower, m: p, k: p, n: p)
                let fraction = min(1, settings.trustRadius / max(Self.spectralNorm(whitened, p), 1e-300))
                state.duals[l] = SmallMatrix.symmetrized(SmallMatrix.add(state.duals[l], change, scale: fraction), p)
                innerFractions[l] = fraction
                state.dualFraction = fraction
                continue
            }
            let gradient = SmallMatrix.symmetrized(SmallMatrix.add(targets[l], state.duals[l], scale: -1).map { 0.5 * $0 }, p)
            guard let lower = LinearAlgebra.cholesky(phiT, n: p), let inverse = LinearAlgebra.inverseSPD(phiT, n: p) else {
                throw StepFailure(reason: "Phi^\(l) lost positive definiteness")
            }
            let whitened = LinearAlgebra.multiply(LinearAlgebra.multiply(transpose(lower, p), gradient, m: p, k: p, n: p), lower, m: p, k: p, n: p)
            let norm = SmallMatrix.frobeniusNorm(whitened)
            state.gradientNorm = max(state.gradientNorm, norm)
            var size = settings.outerStep * min(1, settings.trustRadius / max(settings.outerStep * norm, 1e-300))
            // (NB17c): above `newtonPoints` (the CG inner step) the step may not carry Phi^l further past the sampled
            // moment A^l than the inner step can follow: lag(Phi) = lambda_max(A^-1 Phi) must stay below
            // max(lagLimit, lag of the current Phi); halved while it does not, dropped after 20 halvings.
            let lagFactor = problem.activation != .identity && p > settings.newtonPoints && settings.conjugateGradientSteps > 0
                ? LinearAlgebra.cholesky(SmallMatrix.leadingBlock(moments[l], pa, p), n: p) : nil
            let lagBound = lagFactor.map { max(settings.lagLimit, Self.lag(phiT, factor: $0, p)) }
            var updated: [Double]? = nil
            for _ in 0..<20 {
                if let candidate = LinearAlgebra.inverseSPD(SmallMatrix.add(inverse, gradient, scale: size), n: p),
                   lagFactor == nil || Self.lag(SmallMatrix.symmetrized(candidate, p), factor: lagFactor!, p) <= lagBound! {
                    updated = candidate; break
                }
                size *= 0.5
            }
            if updated == nil, lagFactor != nil { updated = phiT; state.laggedSteps += 1 }
            guard let newTrain = updated.map({ SmallMatrix.symmetrized($0, p) }) else {
                throw StepFailure(reason: "outer step left the PD cone at layer \(l)")
            }
            outerSizes[l] = size
            state.kernels[l] = try extendToTestPoints(train: newTrain, moments: moments[l])
        }
        if let trace = settings.trace, let before = traced {
            // (NB22): one line per iteration, the layers' quantities at the start of the iteration's outer step.
            let norm = problem.labels.reduce(0) { $0 + $1 * $1 }
            var line = "\(iteration)"
            for l in 1...L {
                let k = before[l], a = SmallMatrix.leadingBlock(moments[l], pa, p)
                let top = LinearAlgebra.symmetricEigen(k, n: p)?.values.max() ?? .nan
                let residual = SmallMatrix.frobeniusNorm(SmallMatrix.add(a, k, scale: -1)) / SmallMatrix.frobeniusNorm(k)
                let dualAlongLabels = SmallMatrix.quadraticForm(state.duals[l], problem.labels, p) / norm
                line += String(format: " | L%d overlap %.5g top %.5g residual %.4g ess %.0f inner %.3g outer %.3g dual %.4g",
                               l, problem.overlap(state.kernels[l]), top, residual, state.minimumESS, innerFractions[l], outerSizes[l], dualAlongLabels)
            }
            trace(line)
        }
    }

    /// The top layer's outer stationarity (eq. V8) at depth L: T^L = -g2 v v^T with v = (Phi^L_tt + b I)^-1 y.
    func topTarget(kernel phiT: [Double], gammaSquared g2: Double) throws -> [Double] {
        let p = problem.trainCount
        var k = phiT
        for i in 0..<p { k[i * p + i] += problem.ridge }
        guard let v = LinearAlgebra.solveSPD(k, problem.labels, n: p) else { throw StepFailure(reason: "Phi^L + b I singular") }
        return (0..<(p * p)).map { -g2 * v[$0 / p] * v[$0 % p] }
    }

    /// The fixed-point step of (NB23) on the training block: with R = A - Phi (A the tilted moment at the dual),
    /// v = (Phi + b I)^-1 y, w = Phi v, N = Phi (Phi + b I)^-1, c = v^T Phi v, solve
    /// (I + g2 c N + g2 (N w) v^T) z = N R v, then D = R - g2 (z w^T + w z^T) (the Newton step with the Gaussian
    /// Jacobian, (I - J_G) D = R), and Phi <- Phi + a D, a halved while the result is not positive definite.
    /// Returns the new block, the mixing used and the whitened residual |L^-1 R L^-T|_F (Phi = L L^T).
    func fixedPointStep(kernel phiT: [Double], moment a: [Double], gammaSquared g2: Double) throws -> ([Double], Double, Double) {
        let p = problem.trainCount
        let residual = SmallMatrix.symmetrized(SmallMatrix.add(a, phiT, scale: -1), p)
        var shifted = phiT
        for i in 0..<p { shifted[i * p + i] += problem.ridge }
        guard let v = LinearAlgebra.solveSPD(shifted, problem.labels, n: p),
              let inverse = LinearAlgebra.inverseSPD(shifted, n: p),
              let lower = LinearAlgebra.cholesky(phiT, n: p),
              let lowerInverse = LinearAlgebra.solve(lower, SmallMatrix.identity(p), n: p, nrhs: p) else {
            throw StepFailure(reason: "Phi^1 singular")
        }
        let nm = SmallMatrix.symmetrized(SmallMatrix.multiply(phiT, inverse, p), p)
        let w = SmallMatrix.matrixVector(phiT, v, rows: p, columns: p)
        let c = zip(v, w).reduce(0.0) { $0 + $1.0 * $1.1 }
        let nw = SmallMatrix.matrixVector(nm, w, rows: p, columns: p)
        var system = nm.map { g2 * c * $0 }
        for i in 0..<p { system[i * p + i] += 1; for j in 0..<p { system[i * p + j] += g2 * nw[i] * v[j] } }
        let rhs = SmallMatrix.matrixVector(nm, SmallMatrix.matrixVector(residual, v, rows: p, columns: p), rows: p, columns: p)
        guard let z = LinearAlgebra.solveGeneral(system, rhs, n: p, rightHandSides: 1) else { throw StepFailure(reason: "fixed-point system singular") }
        var delta = residual
        for i in 0..<p { for j in 0..<p { delta[i * p + j] -= g2 * (z[i] * w[j] + w[i] * z[j]) } }
        let whitened = LinearAlgebra.multiply(LinearAlgebra.multiply(lowerInverse, residual, m: p, k: p, n: p), transpose(lowerInverse, p), m: p, k: p, n: p)
        var size = settings.fixedPointMixing
        for _ in 0..<30 {
            let candidate = SmallMatrix.symmetrized(SmallMatrix.add(phiT, delta, scale: size), p)
            if LinearAlgebra.cholesky(candidate, n: p) != nil { return (candidate, size, SmallMatrix.frobeniusNorm(whitened)) }
            size *= 0.5
        }
        throw StepFailure(reason: "fixed-point step left the PD cone")
    }

    /// lambda_max(A^-1 Phi) with A = F F^T (F lower triangular): the largest eigenvalue of F^-1 Phi F^-T (NB17c).
    static func lag(_ phi: [Double], factor: [Double], _ p: Int) -> Double {
        guard let inverse = LinearAlgebra.solve(factor, SmallMatrix.identity(p), n: p, nrhs: p),
              let eigen = LinearAlgebra.symmetricEigen(SmallMatrix.symmetrized(SmallMatrix.multiply(SmallMatrix.multiply(inverse, phi, p), transpose(inverse, p), p), p), n: p) else {
            return .infinity
        }
        return eigen.values.max() ?? .infinity
    }

    /// Largest absolute eigenvalue of a symmetric n x n matrix (0 if the eigensolver fails on a zero matrix).
    static func spectralNorm(_ a: [Double], _ n: Int) -> Double {
        guard let eigen = LinearAlgebra.symmetricEigen(SmallMatrix.symmetrized(a, n), n: n) else { return SmallMatrix.frobeniusNorm(a) }
        return eigen.values.reduce(0) { max($0, abs($1)) }
    }

    /// Phi^l over all points: the tilted moment A congruence-transformed so that its training block
    /// is the updated Phi^l_tt (eq. V12); positive definiteness is preserved.
    func extendToTestPoints(train: [Double], moments a: [Double]) throws -> [Double] {
        let p = problem.trainCount, pa = problem.pointCount
        guard pa > p else { return train }
        guard let target = LinearAlgebra.cholesky(train, n: p),
              let source = LinearAlgebra.cholesky(SmallMatrix.leadingBlock(a, pa, p), n: p),
              let sourceInverse = LinearAlgebra.solve(source, SmallMatrix.identity(p), n: p, nrhs: p) else {
            throw StepFailure(reason: "tilted moment not positive definite")
        }
        let r = LinearAlgebra.multiply(target, sourceInverse, m: p, k: p, n: p)
        var b = SmallMatrix.identity(pa)
        for i in 0..<p { for j in 0..<p { b[i * pa + j] = r[i * p + j] } }
        let ba = LinearAlgebra.multiply(b, a, m: pa, k: pa, n: pa)
        return SmallMatrix.symmetrized(LinearAlgebra.multiply(ba, transpose(b, pa), m: pa, k: pa, n: pa), pa)
    }

    /// Runs burn-in then the measured iterations and records the series. `observables` maps the
    /// kernels Phi^0...Phi^L (all points) of a measured iteration to numbers whose series are kept.
    /// `continuing`: the end of an earlier run of the same problem and sample count, from which this one goes on
    /// (its state, populations and iteration count; notes/anbk-data.md (NB25)) instead of the lazy start.
    public func run(progress: ((Int, Int) -> Void)? = nil, observables: (([[Double]]) -> [Double])? = nil,
                    continuing: Continuation? = nil) -> MinMaxRun {
        let pa = problem.pointCount, L = problem.depth
        let workspace = continuing?.workspace ?? Workspace(samples: settings.samples, width: pa, filterDimension: problem.site?.rank ?? 0)
        var state = continuing?.state ?? initialState()
        let offset = continuing?.iterations ?? 0
        var series = Array(repeating: Array(repeating: [Double](), count: settings.recordKernelSeries ? pa * pa : 0), count: L)
        var predictions = Array(repeating: [Double](), count: problem.testCount)
        var overlapSeries = Array(repeating: [Double](), count: L)
        var sums = Array(repeating: [Double](repeating: 0, count: pa * pa), count: L)
        var observed: [[Double]] = []
        var minESS = Double.infinity
        var measuredRetreats = 0
        let total = settings.burnIn + settings.measured
        func finished(_ failure: String?) -> MinMaxRun {
            var r = MinMaxRun(kernelSeries: series, predictionSeries: predictions, minimumESS: minESS,
                              finalGradientNorm: state.gradientNorm, retreats: state.retreats, measuredRetreats: measuredRetreats, failure: failure)
            r.overlapSeries = overlapSeries
            r.kernelSums = sums
            r.observableSeries = observed
            r.population = workspace.populationCounters
            if failure == nil { r.continuation = Continuation(state: state, workspace: workspace, iterations: offset + total) }
            return r
        }
        for t in 0..<total {
            let retreatsBefore = state.retreats
            do { try step(&state, iteration: offset + t, workspace: workspace) } catch let failure as StepFailure {
                return finished("\(failure.reason) at iteration \(offset + t)")
            } catch { fatalError("unexpected \(error)") }
            progress?(t + 1, total)
            guard t >= settings.burnIn else { continue }
            if state.retreats > retreatsBefore { measuredRetreats += 1 }
            minESS = min(minESS, state.minimumESS)
            for l in 1...L {
                if settings.recordKernelSeries { for e in 0..<(pa * pa) { series[l - 1][e].append(state.kernels[l][e]) } }
                for e in 0..<(pa * pa) { sums[l - 1][e] += state.kernels[l][e] }
                overlapSeries[l - 1].append(problem.overlap(state.kernels[l]))
            }
            if let f = problem.predictions(state.kernels[L]) { for q in f.indices { predictions[q].append(f[q]) } }
            if let observables {
                let values = observables(state.kernels)
                if observed.isEmpty { observed = Array(repeating: [], count: values.count) }
                for k in values.indices { observed[k].append(values[k]) }
            }
        }
        return finished(nil)
    }
}

func transpose(_ a: [Double], _ n: Int) -> [Double] {
    var t = a
    for i in 0..<n { for j in 0..<n { t[j * n + i] = a[i * n + j] } }
    return t
}
