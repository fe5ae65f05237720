import Foundation
import Core
import Numerics
import Simulation

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
    /// Frames at the output times on the finest grid (the N = infinity limit of Euler gradient descent with that step).
    public let finestFrames: [KernelFrame]
    public var finestTimeStep: Double { times.last! / Double(gridSteps.last!) }
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
    public init(coarseStep: Double? = nil, reduceWhitened: Bool = true, levels: Int? = nil) {
        precondition(levels.map { (2...6).contains($0) } ?? true)
        self.coarseStep = coarseStep
        self.reduceWhitened = reduceWhitened
        self.levels = levels
    }

    /// Number of coarse steps per output interval, within `DeepLinearDMFT.maximumPairs` on the finest grid.
    public func stepsPerInterval(_ problem: DynamicsProblem) throws -> Int {
        let points = problem.data.whitenedSize != nil && reduceWhitened ? 1 : problem.data.pointCount
        let target = coarseStep ?? (problem.data.whitenedSize != nil ? 0.02 : 0.05)
        let wanted = max(1, Int((problem.time / (Double(problem.intervals) * target)).rounded(.up)))
        let allowed = (DeepLinearDMFT.maximumPairs / points - 1) / ((1 << (levelCount(problem) - 1)) * problem.intervals)
        guard allowed >= 1 else {
            throw InputError("\(problem.data.pointCount) points x \(problem.intervals) output intervals exceed the solver's "
                             + "\(DeepLinearDMFT.maximumPairs) (time, point) pairs; use fewer output intervals or fewer data points")
        }
        return min(wanted, allowed)
    }

    /// Frames at the K + 1 output times from a grid of `steps` steps (a multiple of K).
    func frames(_ problem: DynamicsProblem, _ approximation: DynamicsApproximation, steps: Int, gamma: Double? = nil) -> [KernelFrame] {
        let stride = steps / problem.intervals, dt = problem.time / Double(steps)
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

    /// gamma_s of (DY19) and the perturbative frames: X(gamma_0) + gamma^2 f_1 with f_1 from the
    /// differences at gamma_s and gamma_s/2, one Richardson step in gamma_s^2; `plain` uses the
    /// gamma_s/2 difference alone (the residual of that step).
    static let perturbationGamma = 1.0 / 16

    func perturbative(_ problem: DynamicsProblem, steps: Int) -> (extrapolated: [KernelFrame], plain: [KernelFrame]) {
        let gs = DynamicsSolver.perturbationGamma, g0 = gs * 1e-4
        let base = frames(problem, .selfConsistent, steps: steps, gamma: g0)
        let big = frames(problem, .selfConsistent, steps: steps, gamma: gs)
        let small = frames(problem, .selfConsistent, steps: steps, gamma: gs / 2)
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
    public func levelCount(_ problem: DynamicsProblem) -> Int { levels ?? (problem.data.whitenedSize != nil && reduceWhitened ? 4 : 3) }

    public func solve(_ problem: DynamicsProblem, approximation: DynamicsApproximation = .selfConsistent) throws -> DynamicsTrajectory {
        let q = try stepsPerInterval(problem)
        let m = q * problem.intervals
        let count = levelCount(problem)
        let steps = (0..<count).map { m << $0 }
        let levels = steps.map { frames(problem, approximation, steps: $0) }
        let finest = levels[count - 1]
        let times = problem.times
        var values = [DynamicsPoint](), residuals = [DynamicsPoint]()
        let pert = approximation == .perturbative ? perturbative(problem, steps: steps[count - 1]).plain : nil
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
            values.append(v)
            residuals.append(DynamicsPoint(components: res, shape: v))
        }
        guard (values + residuals).allSatisfy({ $0.components.allSatisfy(\.isFinite) }) else {
            throw InputError("the Euler march diverged on the coarse grid (dt = \(problem.time / Double(m))); "
                             + "use a shorter training time, fewer output intervals or fewer data points")
        }
        return DynamicsTrajectory(approximation: approximation, times: times, values: values, residuals: residuals,
                                  gridSteps: steps, finestFrames: finest)
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

    public init(depth: Int, lambda: Double, kernel: [Double], labels: [Double], pointCount: Int) {
        self.depth = depth; self.lambda = lambda; self.kernel = kernel; self.labels = labels; self.pointCount = pointCount
    }

    func velocity(_ f: [Double], _ t: Double) -> [Double] {
        let np = pointCount, p = labels.count, a = Double(depth + 1)
        let decay = exp(-2 * lambda * Double(depth) * t)
        return (0..<np).map { nu in
            var s = 0.0
            for mu in 0..<p { s += kernel[nu * np + mu] * (labels[mu] - f[mu]) }
            return a * decay * s - lambda * a * f[nu]
        }
    }

    public func frames(timeStep dt: Double, steps: Int, stride: Int) -> [KernelFrame] {
        var f = [Double](repeating: 0, count: pointCount)
        func frame(_ t: Double) -> KernelFrame {
            KernelFrame(predictions: f,
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
