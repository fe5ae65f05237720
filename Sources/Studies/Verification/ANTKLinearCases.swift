import Foundation
import Core
import Simulation
import Theory
import Numerics

/// Deep linear cross-checks (notes/verify-antk.md section 4, items 1-2): DMFT and finite-width end points against every
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

    /// u = f.y of one finite-width run, with the convergence error: the drift over the last check
    /// interval, or the distance bound |grad f| |d theta/dt| / lambda (slowest f-relevant rate, A22).
    static func networkOverlap(_ r: ANTKFlowResult, gamma: Double, lambda: Double) -> ANTKEstimate {
        let p = r.trainCount
        let kmax = (0..<p).map { r.ntk[$0 * r.count + $0] }.max() ?? 0
        let gradient = (kmax / (gamma * gamma * Double(r.neurons))).squareRoot()
        let bound = Double(p).squareRoot() * gradient * r.velocityNorm / lambda
        let drift = abs(overlap(r.predictions) - overlap(r.previousPredictions))
        return ANTKEstimate(overlap(r.predictions), error: max(bound, drift))
    }

    func finiteWidth(depth: Int, gamma: Double, lambda: Double) throws -> (ANTKEstimate, Bool, String) {
        let data = try ANTKDataSet.whitened(labels: ANTKLinearCases.labels)
        var perWidth: [ANTKEstimate] = [], stationary = true
        // Deep N x N layers cost N^2 per step: depth >= 3 stops at the third width.
        let widths = depth == 1 ? settings.widths : depth == 2 ? settings.deepWidths : Array(settings.deepWidths.prefix(3))
        for (wi, width) in widths.enumerated() {
            var runs: [ANTKEstimate] = [], steps: [Int] = []
            for s in 0..<settings.seedsPerWidth {
                var net = ANTKNetwork(depth: depth, width: width, inputDimension: data.dimension, gamma: gamma, lambda: lambda,
                                      activation: .identity, seed: settings.runSeed(depth, Int(gamma * 1000), wi, s))
                let r = net.train(data, settings.linearFlow)
                stationary = stationary && r.stationary
                steps.append(r.steps)
                runs.append(ANTKLinearCases.networkOverlap(r, gamma: gamma, lambda: lambda))
            }
            progress("linear L=\(depth) gamma=\(gamma): N=\(width) done, steps \(steps)")
            perWidth.append(ANTKEstimate.seeds(runs))
        }
        let text = zip(widths, perWidth).map { String(format: "N=%d: %.10f", $0, $1.value) }.joined(separator: ", ")
        return (ANTKEstimate.inverseWidth(widths, perWidth), stationary, text)
    }

    /// Deep linear DMFT (GV5)-(GV12) end value; error = |f(dt) - f(dt/2)| + drift over the last 10% of the horizon.
    /// L = 1: the two-layer population DMFT (GV1)-(GV3) with phi(h) = h, seeds combined.
    func dmft(depth: Int, gamma: Double, lambda: Double) throws -> ANTKEstimate {
        if depth == 1 {
            let data = try ANTKDataSet.whitened(labels: ANTKLinearCases.labels)
            let runs = try (0..<settings.populationSeeds).map { s -> ANTKEstimate in
                var pop = try ANTKPopulation(size: settings.population, data: data, gamma: gamma, lambda: lambda,
                                             activation: .identity, seed: settings.runSeed(11, Int(gamma * 1000), s))
                let r = pop.run(data, settings.linearFlow)
                return ANTKEstimate(ANTKLinearCases.overlap(r.predictions), error: abs(ANTKLinearCases.overlap(r.predictions) - ANTKLinearCases.overlap(r.previousPredictions)))
            }
            return ANTKEstimate.seeds(runs)
        }
        let steps = Int((settings.dmftHorizon / settings.dmftStep).rounded())
        let coarse = ANTKDeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, timeStep: settings.dmftStep, steps: steps).solve()
        let fine = ANTKDeepLinearDMFT(depth: depth, gamma: gamma, lambda: lambda, timeStep: settings.dmftStep / 2, steps: 2 * steps).solve()
        let end = fine.predictions.last!, tenth = fine.predictions[fine.predictions.count * 9 / 10]
        let error = abs(coarse.predictions.last! - end) + abs(end - tenth)
        return ANTKEstimate(end, error: max(error, ANTKEstimate.roundingFloor(end)))
    }

    func branchCase(depth: Int, gamma: String, lambda: String, label: String) throws -> ANTKVerificationCase {
        let exact = try ANTKLinearCases.exact(gamma: gamma, lambda: lambda, depth: depth)
        let g = try BigRational(parsing: gamma).doubleApproximation, lam = try BigRational(parsing: lambda).doubleApproximation
        progress("linear L=\(depth) gamma=\(gamma) lambda=\(lambda): DMFT")
        let d = try dmft(depth: depth, gamma: g, lambda: lam)
        progress("linear L=\(depth) gamma=\(gamma) lambda=\(lambda): finite width \(depth == 1 ? settings.widths : settings.deepWidths)")
        let (fw, stationary, widths) = try finiteWidth(depth: depth, gamma: g, lambda: lam)
        let branches = exact.branches.map { String(format: "%@ %.10f (%@)", $0.kind, $0.u, $0.stable ? "stable" : "unstable") }
        // Distance of the end point from every branch the run did not end on, in error units.
        let others = exact.branches.filter { abs($0.u - exact.endPoint) > 1e-12 }
        let margin = others.map { abs($0.u - fw.value) / max(fw.error, d.error) }.min()
        let marginText = margin.map { String(format: "; nearest other branch %.3g errors away", $0) } ?? ""
        return ANTKVerificationCase(
            name: "linear L=\(depth) gamma=\(gamma) lambda=\(lambda): \(label) (f.y -> \(exact.endKind))",
            exact: exact.endPoint, estimates: [("dmft", d), ("finite_width", fw)], stationary: stationary,
            detail: "branches: " + branches.joined(separator: ", ") + marginText + "; widths: " + widths)
    }

    /// The unstable branch repels (A21): start at its exact weights (A9) scaled by (1 +- eps); the
    /// flow leaves it for the upper branch (+) or collapse (-).
    func repulsionCase(depth: Int, gamma: String, lambda: String, sign: Double) throws -> ANTKVerificationCase {
        let exact = try ANTKLinearCases.exact(gamma: gamma, lambda: lambda, depth: depth)
        guard let lower = exact.branches.first(where: { $0.kind == "lower" }), let upper = exact.branches.last(where: { $0.kind == "upper" }) else {
            throw ANTKVerifyInputError("no unstable branch for L=\(depth) gamma=\(gamma) lambda=\(lambda)")
        }
        let g = try BigRational(parsing: gamma).doubleApproximation, lam = try BigRational(parsing: lambda).doubleApproximation
        let data = try ANTKDataSet.whitened(labels: ANTKLinearCases.labels)
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
        progress("linear L=\(depth) gamma=\(gamma): started \(sign > 0 ? "above" : "below") the unstable branch")
        let r = net.train(data, settings.linearFlow)
        let end = ANTKLinearCases.networkOverlap(r, gamma: g, lambda: lam)
        let target = sign > 0 ? upper.u : 0
        return ANTKVerificationCase(
            name: "linear L=\(depth) gamma=\(gamma): unstable branch f.y=\(String(format: "%.6f", lower.u)) repels (start x(1\(sign > 0 ? "+" : "-")1e-3) -> \(sign > 0 ? "upper" : "collapse"))",
            exact: target, estimates: [("finite_width", end)], stationary: r.stationary,
            detail: String(format: "width %d, start f.y = %.8f, end f.y = %.10f", width, start, end.value))
    }

    func cases() throws -> [ANTKVerificationCase] {
        var out: [ANTKVerificationCase] = []
        out.append(try branchCase(depth: 1, gamma: "2", lambda: "1", label: "stable root 1 - lambda/gamma"))
        out.append(try branchCase(depth: 1, gamma: "4/5", lambda: "1", label: "gamma < lambda, collapse"))
        out.append(try branchCase(depth: 2, gamma: "17/10", lambda: "1", label: "gamma < gamma_c = 1.7548, collapse"))
        out.append(try branchCase(depth: 2, gamma: "9/5", lambda: "1", label: "just above gamma_c, feature learning switches on"))
        out.append(try branchCase(depth: 2, gamma: "3", lambda: "1", label: "upper branch reached"))
        out.append(try repulsionCase(depth: 2, gamma: "3", lambda: "1", sign: 1))
        out.append(try repulsionCase(depth: 2, gamma: "3", lambda: "1", sign: -1))
        if settings.includeDeep {
            out.append(try branchCase(depth: 3, gamma: "3", lambda: "1", label: "upper branch reached"))
            out.append(try branchCase(depth: 4, gamma: "3", lambda: "1", label: "upper branch reached"))
        }
        return out
    }
}
