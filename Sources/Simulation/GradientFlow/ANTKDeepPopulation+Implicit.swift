import Foundation
import Core
import Numerics

/// How `ANTKDeepPopulation` relaxes (AN10) in time (notes/antk-nonlinear-data.md (AN14)).
public enum ANTKDeepStepper: String, Sendable, CaseIterable {
    /// Forward Euler with the step control of (AN10).
    case euler
    /// Pseudo-transient continuation (AN14): backward-Euler steps, each one Newton step solved by GMRES
    /// on finite-difference Jacobian-vector products, the step growing while the state changes little.
    case implicit
}

extension ANTKDeepPopulation {
    /// The state as one vector: h^1..h^L then z^1..z^L (the order of `velocity`'s h + z).
    var flatState: [Double] { (fields + backward).flatMap { $0 } }

    mutating func setFlatState(_ x: [Double]) {
        let block = size * count
        for l in 0..<depth {
            fields[l] = Array(x[(l * block)..<((l + 1) * block)])
            backward[l] = Array(x[((depth + l) * block)..<((depth + l + 1) * block)])
        }
    }

    /// v(x) of (AN10) at the state x (flat) and the kernels there.
    func velocity(at x: [Double], inputRows c: [Double], labels y: [Double]) -> (v: [Double], k: Kernels) {
        var probe = self
        probe.setFlatState(x)
        let k = probe.kernels(inputRows: c)
        let v = probe.velocity(k, labels: y)
        return ((v.h + v.z).flatMap { $0 }, k)
    }

    /// Pseudo-transient continuation of (AN10) (notes/antk-nonlinear-data.md (AN14)): from x_k, the
    /// backward-Euler step x_{k+1} = x_k + dt v(x_{k+1}) linearised once,
    ///
    ///     (I - dt J(x_k)) delta = dt v(x_k),      x_{k+1} = x_k + delta,
    ///
    /// with J u = (v(x_k + s u) - v(x_k)) / s (s = 1e-7 max(|x|, 1) / |u|) and GMRES to relative residual
    /// 1e-2 in at most 20 products. A step is taken when |delta| <= r |x| (r = the settings' relative step
    /// limit, default 0.01: the path condition of (AN2)), the new velocity is finite and at most twice the
    /// old one; else dt is divided by 4 and the step retried. After a taken step with |delta| < r |x| / 2
    /// dt grows by the factor the velocity fell by, clamped to [1.5, 10] (switched evolution relaxation).
    /// The run ends when the RMS velocity is below the tolerance; at the time budget unless the last step
    /// at least halved the velocity (the Newton phase goes on); or after 32 times the fixed-step count of
    /// velocity evaluations. The result is that of `run`.
    public mutating func runImplicit(_ data: LabelledData, _ settings: ANTKFlowSettings, progress: ((Double) -> Void)? = nil) -> ANTKFlowResult {
        let problem = relaxationProblem(data)
        let y = problem.labels, c = problem.inputRows
        let coordinates = problem.coordinates
        let limit = settings.relativeStepLimit ?? 0.01
        let evaluationCap = settings.maximumSteps ?? ANTKFlowSettings.adaptiveStepFactor * settings.stepBudget
        var x = flatState
        var (v, k) = velocity(at: x, inputRows: c, labels: y)
        var previous = k.f
        func norm(_ a: [Double]) -> Double { a.reduce(0.0) { $0 + $1 * $1 }.squareRoot() }
        var speed = norm(v)
        var history = [(time: 0.0, velocity: speed)]
        var window = settleWindow(settings)
        window?.record(time: 0, observables: observables(k))
        var dt = settings.timeStep, time = 0.0, steps = 0, evaluations = 1
        // Past the time budget the run goes on only while each step at least halves the velocity (the
        // Newton phase near a regular stationary point), so a converging run is not cut off by pseudo-time.
        var halving = true
        while speed / coordinates >= settings.tolerance && (time < settings.maximumTime || halving) && evaluations < evaluationCap && speed.isFinite {
            let h = dt
            let xNorm = norm(x), base = v
            let rhs = base.map { h * $0 }
            let solution = KrylovSolver.gmres(rhs, relativeTolerance: 1e-2, maximumIterations: 20) { u in
                let s = 1e-7 * max(xNorm, 1) / max(norm(u), 1e-300)
                let shifted = zip(x, u).map { $0 + s * $1 }
                let w = velocity(at: shifted, inputRows: c, labels: y).v
                return (0..<u.count).map { u[$0] - h * (w[$0] - base[$0]) / s }
            }
            evaluations += solution.iterations
            let trial = zip(x, solution.x).map { $0 + $1 }
            let (vTrial, kTrial) = velocity(at: trial, inputRows: c, labels: y)
            evaluations += 1
            let change = norm(solution.x) / max(xNorm, 1e-300), trialSpeed = norm(vTrial)
            guard change <= limit, trialSpeed.isFinite, trialSpeed <= 2 * speed, kTrial.f.allSatisfy(\.isFinite) else {
                dt = h / 4
                if dt < 1e-12 * max(settings.timeStep, 1) { break }
                continue
            }
            previous = k.f
            halving = trialSpeed <= speed / 2
            // Growth: by the velocity's own reduction (switched evolution relaxation), at least 1.5, at most 10.
            if change < limit / 2 { dt = h * min(max(1.5, speed / max(trialSpeed, 1e-300)), 10) }
            x = trial; v = vTrial; k = kTrial; speed = trialSpeed
            time += h
            steps += 1
            history.append((time, speed))
            progress?(min(time / settings.maximumTime, 1))
            window?.record(time: time, observables: observables(k))
            if window?.settled == true { break }
        }
        setFlatState(x)
        return endResult(k, previous: previous, time: time, steps: steps, velocityNorm: speed, stateNorm: norm(x),
                         problem: problem, settings: settings, history: history, window: window)
    }
}
