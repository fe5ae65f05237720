import Foundation
import Core
import Simulation
import Theory
import Numerics

/// Deep linear cross-checks: DMFT and finite-width end points against every
/// exact branch of notes/antk-deep-linear.md (certified by LinearTheory.WhitenedANTKSolver).
struct ANTKLinearCases {
    let settings: ANTKVerifySettings
    let progress: (String) -> Void
    /// Whitened data, P = 4, |y| = 1 (A14).
    static let labels = [0.5, 0.5, 0.5, 0.5]

    struct Exact {
        let branches: [(kind: String, u: Double, stable: Bool)]
        let endPoint: Double
        let endKind: String
    }

    static func exact(gamma: String, lambda: String, depth: Int) throws -> Exact {
        let problem = try WhitenedANTKProblem(gamma: try BigRational(parsing: gamma), lambda: try BigRational(parsing: lambda), depth: depth)
        let solution = try WhitenedANTKSolver().solve(problem, digits: 20)
        let branches = solution.fixedPoints.map { ($0.kind.rawValue, $0.fDotY.midpoint.doubleApproximation, $0.stability.isStable) }
        let end = solution.endPoint.branch == .collapse ? 0 : (solution.fixedPoints.last { $0.kind == .upper }?.fDotY.midpoint.doubleApproximation ?? 0)
        return Exact(branches: branches, endPoint: end, endKind: solution.endPoint.branch.rawValue)
    }

    static func overlap(_ f: [Double]) -> Double { zip(f, labels).map(*).reduce(0, +) }

    /// u = f.y of one finite-width run, with its convergence bound as a systematic error: the drift
    /// over the last check interval, or the distance bound |grad f| |d theta/dt| / lambda (slowest f-relevant rate, A22).
    static func networkOverlap(_ r: ANTKFlowResult, gamma: Double, lambda: Double) -> Estimate {
        let p = r.trainCount
        let kmax = (0..<p).map { r.ntk[$0 * r.count + $0] }.max() ?? 0
        let gradient = (kmax / (gamma * gamma * Double(r.neurons))).squareRoot()
        let bound = Double(p).squareRoot() * gradient * r.velocityNorm / lambda
        let drift = abs(overlap(r.predictions) - overlap(r.previousPredictions))
        return .bounded(overlap(r.predictions), systematic: max(bound, drift))
    }

    /// What a run that spent its budget reached (the note of an inconclusive case).
    static func unreached(_ runs: [ANTKFlowResult], _ flow: ANTKFlowSettings, what: String) -> String? {
        let stuck = runs.filter { !$0.stationary }
        guard !stuck.isEmpty else { return nil }
        let worst = stuck.map(\.residual).max() ?? .nan
        return String(format: "%d of %d %@ runs spent the budget t = %.0f before the stationarity test passed (largest RMS velocity %.2e, threshold %.0e)",
                      stuck.count, runs.count, what, flow.maximumTime, worst, flow.tolerance)
    }

    func finiteWidth(depth: Int, gamma: Double, lambda: Double) throws -> (estimate: Estimate, unconverged: String?, text: String) {
        let data = try LabelledData.whitened(labels: ANTKLinearCases.labels)
        var perWidth: [Estimate] = [], results: [ANTKFlowResult] = []
        // Deep N x N layers cost N^2 per step: depth >= 3 stops at the third width.
        let widths = depth == 1 ? settings.widths : depth == 2 ? settings.deepWidths : Array(settings.deepWidths.prefix(3))
        for (wi, width) in widths.enumerated() {
            var runs: [Estimate] = [], steps: [Int] = []
            for s in 0..<settings.seedsPerWidth {
                var net = ANTKNetwork(depth: depth, width: width, inputDimension: data.dimension, gamma: gamma, lambda: lambda,
                                      activation: .identity, seed: settings.runSeed(depth, Int(gamma * 1000), wi, s))
                let r = net.train(data, settings.linearFlow)
                results.append(r)
                steps.append(r.steps)
                runs.append(ANTKLinearCases.networkOverlap(r, gamma: gamma, lambda: lambda))
            }
            progress("linear L=\(depth) gamma=\(gamma): N=\(width) done, steps \(steps)")
            perWidth.append(Estimate.mean(ofIndependent: runs))
        }
        let text = zip(widths, perWidth).map { String(format: "N=%d: %.10f", $0, $1.value) }.joined(separator: ", ")
        return (InverseWidthFit(widths: widths, points: perWidth).intercept,
                ANTKLinearCases.unreached(results, settings.linearFlow, what: "finite-width"), text)
    }

    /// Deep linear DMFT (GV5)-(GV12) end value; systematic error = |f(dt) - f(dt/2)| + drift over the last 10% of the horizon.
    /// L = 1: the two-layer population DMFT (GV1)-(GV3) with phi(h) = h, seeds combined.
    func dmft(depth: Int, gamma: Double, lambda: Double) throws -> (estimate: Estimate, unconverged: String?) {
        if depth == 1 {
            let data = try LabelledData.whitened(labels: ANTKLinearCases.labels)
            let runs = try (0..<settings.populationSeeds).map { s -> ANTKFlowResult in
                var pop = try ANTKPopulation(size: settings.population, data: data, gamma: gamma, lambda: lambda,
                                             activation: .identity, seed: settings.runSeed(11, Int(gamma * 1000), s))
                return pop.run(data, settings.linearFlow)
            }
            let estimates = runs.map { r in
                Estimate.bounded(ANTKLinearCases.overlap(r.predictions),
                                 systematic: abs(ANTKLinearCases.overlap(r.predictions) - ANTKLinearCases.overlap(r.previousPredictions)))
            }
            return (Estimate.mean(ofIndependent: estimates), ANTKLinearCases.unreached(runs, settings.linearFlow, what: "population DMFT"))
        }
        let steps = Int((settings.dmftHorizon / settings.dmftStep).rounded())
        let coarse = ANTKDeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, timeStep: settings.dmftStep, steps: steps).solve()
        let fine = ANTKDeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, timeStep: settings.dmftStep / 2, steps: 2 * steps).solve()
        let end = fine.predictions.last!, tenth = fine.predictions[fine.predictions.count * 9 / 10]
        let error = abs(coarse.predictions.last! - end) + abs(end - tenth)
        return (.bounded(end, systematic: error), nil)
    }

    func branchCases(depth: Int, gamma: String, lambda: String, label: String) throws -> [VerificationCase] {
        let exact = try ANTKLinearCases.exact(gamma: gamma, lambda: lambda, depth: depth)
        let g = try BigRational(parsing: gamma).doubleApproximation, lam = try BigRational(parsing: lambda).doubleApproximation
        progress("linear L=\(depth) gamma=\(gamma) lambda=\(lambda): DMFT")
        let d = try dmft(depth: depth, gamma: g, lambda: lam)
        progress("linear L=\(depth) gamma=\(gamma) lambda=\(lambda): finite width \(depth == 1 ? settings.widths : settings.deepWidths)")
        let fw = try finiteWidth(depth: depth, gamma: g, lambda: lam)
        let branches = exact.branches.map { String(format: "%@ %.10f (%@)", $0.kind, $0.u, $0.stable ? "stable" : "unstable") }
        // Distance of the end point from every branch the run did not end on, in units of the error.
        let others = exact.branches.filter { abs($0.u - exact.endPoint) > 1e-12 }
        func margin(_ e: Estimate) -> String {
            others.map { abs($0.u - e.value) / max(e.standardError + e.systematic, 1e-300) }.min()
                .map { String(format: "; nearest other branch %.3g errors away", $0) } ?? ""
        }
        let name = "linear L=\(depth) gamma=\(gamma) lambda=\(lambda): \(label) (f.y -> \(exact.endKind))"
        let detail = "branches: " + branches.joined(separator: ", ")
        return [
            .against(exact: exact.endPoint, name: name + ", DMFT", group: "linear", measured: .init(name: "dmft", estimate: d.estimate),
                     failure: d.unconverged, note: detail + margin(d.estimate)),
            .against(exact: exact.endPoint, name: name + ", finite width (N -> inf)", group: "linear",
                     measured: .init(name: "finite_width", estimate: fw.estimate), failure: fw.unconverged,
                     note: detail + margin(fw.estimate) + "; widths: " + fw.text),
        ]
    }

    /// The unstable branch repels (A21): start at its exact weights (A9) scaled by (1 +- eps); the
    /// flow leaves it for the upper branch (+) or collapse (-).
    func repulsionCase(depth: Int, gamma: String, lambda: String, sign: Double) throws -> VerificationCase {
        let exact = try ANTKLinearCases.exact(gamma: gamma, lambda: lambda, depth: depth)
        guard let lower = exact.branches.first(where: { $0.kind == "lower" }), let upper = exact.branches.last(where: { $0.kind == "upper" }) else {
            throw InputError("no unstable branch for L=\(depth) gamma=\(gamma) lambda=\(lambda)")
        }
        let g = try BigRational(parsing: gamma).doubleApproximation, lam = try BigRational(parsing: lambda).doubleApproximation
        let data = try LabelledData.whitened(labels: ANTKLinearCases.labels)
        let width = settings.widths[0], p = data.trainCount
        // (A9) on the balanced rank-one manifold (A19): alpha = (gamma u)^{1/(L+1)}, f = u y.
        let alpha = pow(g * lower.u, 1 / Double(depth + 1)) * (1 + sign * 1e-3)
        var weights: [[Double]] = []
        var w0 = [Double](repeating: 0, count: width * p)
        for mu in 0..<p { w0[mu] = alpha * Double(width).squareRoot() * ANTKLinearCases.labels[mu] }  // n_1 (X^T y)^T / sqrt(D), X = sqrt(P) I
        weights.append(w0)
        for _ in 1..<depth {
            var w = [Double](repeating: 0, count: width * width)
            w[0] = alpha * Double(width).squareRoot()
            weights.append(w)
        }
        var readout = [Double](repeating: 0, count: width)
        readout[0] = alpha * Double(width).squareRoot()
        weights.append(readout)
        var net = ANTKNetwork(depth: depth, gamma: g, lambda: lam, activation: .identity, weights: weights)
        let start = ANTKLinearCases.overlap(net.fields(data).predictions)
        let r = net.train(data, settings.linearFlow)
        let end = ANTKLinearCases.networkOverlap(r, gamma: g, lambda: lam)
        let target = sign > 0 ? upper.u : 0
        return .against(
            exact: target,
            name: "linear L=\(depth) gamma=\(gamma): unstable branch f.y=\(String(format: "%.6f", lower.u)) repels (start x(1\(sign > 0 ? "+" : "-")1e-3) -> \(sign > 0 ? "upper" : "collapse"))",
            group: "linear", measured: .init(name: "finite_width", estimate: end),
            failure: ANTKLinearCases.unreached([r], settings.linearFlow, what: "finite-width"),
            note: String(format: "width %d, start f.y = %.8f, end f.y = %.10f", width, start, end.value))
    }

    /// The deep linear steps of the plan, in order (one per configuration).
    func steps() -> [VerificationStep] {
        func branch(_ depth: Int, _ gamma: String, _ label: String) -> VerificationStep {
            VerificationStep("linear L=\(depth) gamma=\(gamma): \(label)") { try branchCases(depth: depth, gamma: gamma, lambda: "1", label: label) }
        }
        func repulsion(_ sign: Double) -> VerificationStep {
            VerificationStep("linear L=2 gamma=3: started \(sign > 0 ? "above" : "below") the unstable branch") {
                [try repulsionCase(depth: 2, gamma: "3", lambda: "1", sign: sign)]
            }
        }
        var out = [branch(1, "2", "stable root 1 - lambda/gamma"), branch(1, "4/5", "gamma < lambda, collapse"),
                   branch(2, "17/10", "gamma < gamma_c = 1.7548, collapse"),
                   branch(2, "9/5", "just above gamma_c, feature learning switches on"),
                   branch(2, "3", "upper branch reached"), repulsion(1), repulsion(-1)]
        if settings.includeDeep { out += [branch(3, "3", "upper branch reached"), branch(4, "3", "upper branch reached")] }
        return out
    }
}
