import Foundation
import Core
import Simulation
import Numerics

/// Two-layer cross-checks with the population DMFT (notes/verify-antk.md section 4, items 3-5): the kernel-predictor
/// identity at the fixed point, notes/theory-overview.md (T20) (one whitened point, ReLU) and DMFT vs finite width on
/// digits (or synthetic) data.
struct ANTKReLUCases {
    let settings: ANTKVerifySettings
    let progress: (String) -> Void

    /// Population runs over independent seeds.
    func populations(_ data: ANTKDataSet, gamma: Double, lambda: Double, activation: Activation,
                     flow: ANTKFlowSettings, tag: Int) throws -> [(ANTKPopulation, ANTKFlowResult)] {
        try (0..<settings.populationSeeds).map { s in
            var pop = try ANTKPopulation(size: settings.population, data: data, gamma: gamma, lambda: lambda,
                                         activation: activation, seed: settings.runSeed(tag, s))
            let r = pop.run(data, flow)
            return (pop, r)
        }
    }

    /// (GV13): at any stationary point (L+1) f(x*) = K(x*, X) Delta / lambda - theta_dot . grad f(x*) / lambda,
    /// so |f - K(K + lambda(L+1) I)^{-1} y| is bounded by |theta_dot| |grad f(x*)| / (lambda (L+1)) + the
    /// drift; that bound is the error. With lambda = 0 the two differ (the case expects a difference).
    func predictorIdentity(lambda: Double) throws -> ANTKVerificationCase {
        let data = try ANTKDataSet.synthetic(train: 6, test: 4, dimension: 8, seed: settings.runSeed(77))
        let gamma = 2.0, n = data.count, p = data.trainCount
        progress("two-layer ReLU predictor identity, lambda = \(lambda)")
        var pop = try ANTKPopulation(size: settings.population, data: data, gamma: gamma, lambda: lambda, activation: .relu,
                                     seed: settings.runSeed(78, Int(lambda * 100)))
        let flow = lambda > 0 ? settings.reluFlow : ANTKFlowSettings(timeStep: settings.reluFlow.timeStep, maximumTime: settings.reluFlow.maximumTime * 2,
                                                                   tolerance: settings.reluFlow.tolerance)
        let r = pop.run(data, flow)
        guard let kernelPrediction = ANTKKernelAlgebra.predictor(ntk: r.ntk, count: n, trainCount: p, labels: data.labels, ridge: 2 * lambda) else {
            throw ANTKVerifyInputError("kernel predictor: eigen-decomposition failed")
        }
        var worst = 0.0, bound = 0.0
        for nu in p..<n {
            let diff = abs(r.predictions[nu] - kernelPrediction[nu])
            worst = max(worst, diff)
            let gradient = (r.ntk[nu * n + nu] / (gamma * gamma * Double(r.neurons))).squareRoot()
            bound = max(bound, r.velocityNorm * gradient / max(2 * lambda, 1e-300))
        }
        let error = lambda > 0 ? bound + r.drift : r.drift + ANTKEstimate.roundingFloor(worst)
        return ANTKVerificationCase(
            name: lambda > 0 ? "two-layer ReLU, lambda=\(lambda): test predictions = K (K + 2 lambda I)^-1 y (population DMFT)"
                             : "two-layer ReLU, lambda=0: test predictions differ from the final-kernel predictor K K^-1 y",
            exact: 0, estimates: [("dmft", ANTKEstimate(worst, error: max(error, ANTKEstimate.roundingFloor(worst))))],
            expectDifferent: lambda == 0, stationary: r.stationary,
            detail: String(format: "max over %d test points of |f - f_kernel| = %.3e; M = %d, t = %.1f, RMS velocity %.2e", n - p, worst, r.neurons, r.time, r.residual))
    }

    /// notes/theory-overview.md (T20): one point, C = 1, y = 1, ReLU.
    func singlePoint(gamma: Double, lambda: Double) throws -> [ANTKVerificationCase] {
        let data = ANTKDataSet.singlePoint
        progress("ReLU single point gamma = \(gamma), lambda = \(lambda)")
        let runs = try populations(data, gamma: gamma, lambda: lambda, activation: .relu, flow: settings.reluFlow, tag: 200 + Int(gamma * 10))
        let stationary = runs.allSatisfy { $0.1.stationary }
        let f = ANTKEstimate.seeds(runs.map { ANTKEstimate($0.1.predictions[0], error: $0.1.drift) })
        let moment = ANTKEstimate.seeds(runs.map { ANTKEstimate($0.1.featureKernels[0][0], error: $0.1.drift * gamma) })
        // Left half removed: fraction of neurons with h < 0 that still carry a field above 1e-6.
        let negative = ANTKEstimate.seeds(runs.map { pop, _ in
            ANTKEstimate(Double(pop.fields.filter { $0 < -1e-6 }.count) / Double(pop.size), error: 0)
        })
        // Non-Gaussian shape: excess kurtosis of h over the population (0 for a Gaussian).
        let kurtosis = runs.map { pop, _ -> Double in
            let h = pop.fields, m = h.reduce(0, +) / Double(h.count)
            let v = h.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(h.count)
            return v > 0 ? h.map { pow($0 - m, 4) }.reduce(0, +) / Double(h.count) / (v * v) - 3 : 0
        }
        let rich = gamma > lambda
        let shape = String(format: "fraction of neurons with h < -1e-6: %.4f; excess kurtosis of h: %@", negative.value,
                           kurtosis.map { String(format: "%.3f", $0) }.joined(separator: ", "))
        var cases = [
            ANTKVerificationCase(name: "ReLU single point gamma=\(gamma) lambda=\(lambda): f = \(rich ? "1 - lambda/gamma" : "0 (collapse)") (one-point ReLU, T20)",
                                 exact: rich ? 1 - lambda / gamma : 0, estimates: [("dmft", f)], stationary: stationary, detail: shape),
            ANTKVerificationCase(name: "ReLU single point gamma=\(gamma) lambda=\(lambda): <phi(h)^2> = \(rich ? "gamma - lambda" : "0")",
                                 exact: rich ? gamma - lambda : 0, estimates: [("dmft", moment)], stationary: stationary, detail: shape),
        ]
        if rich {
            cases.append(ANTKVerificationCase(name: "ReLU single point gamma=\(gamma) lambda=\(lambda): left half of the density removed (non-Gaussian)",
                                              exact: 0, estimates: [("dmft", ANTKEstimate(negative.value, error: 1 / Double(settings.population)))],
                                              stationary: stationary, detail: shape))
        }
        return cases
    }

    /// DMFT population vs finite-width networks (1/N extrapolation) on digits or synthetic data:
    /// test loss and the mean diagonal of the final NTK.
    func dataCase() throws -> [ANTKVerificationCase] {
        let data: ANTKDataSet
        if let dir = settings.digitsDirectory {
            data = try ANTKDataSet.npyDirectory(dir, train: settings.digitsTrain, test: settings.digitsTest)
        } else {
            data = try ANTKDataSet.synthetic(train: settings.digitsTrain, test: settings.digitsTest, dimension: 16, seed: settings.runSeed(91))
        }
        let gamma = 1.0, lambda = 0.5, n = data.count, p = data.trainCount
        func observables(_ r: ANTKFlowResult) -> (loss: ANTKEstimate, kernel: ANTKEstimate) {
            let loss = (p..<n).map { pow(r.predictions[$0] - data.testLabels[$0 - p], 2) }.reduce(0, +) / Double(n - p)
            let prev = (p..<n).map { pow(r.previousPredictions[$0] - data.testLabels[$0 - p], 2) }.reduce(0, +) / Double(n - p)
            let kernel = (0..<n).map { r.ntk[$0 * n + $0] }.reduce(0, +) / Double(n)
            // Convergence error (GV14) with the measured rate (GV18): f and K move by ~ (degree) x relative distance
            // to the fixed point; K also by the kink flips within that distance (GV19).
            let rel = r.relativeDistance(lambda: lambda)
            let fError = (p..<n).map { abs(r.predictions[$0]) }.max()! * 2 * rel
            let lossError = max(abs(loss - prev), 2 * loss.squareRoot() * fError)
            return (ANTKEstimate(loss, error: lossError), ANTKEstimate(kernel, error: 2 * kernel * rel + r.kinkDiagonalBound))
        }
        progress("ReLU on \(data.name): population DMFT (M = \(settings.population))")
        let runs = try populations(data, gamma: gamma, lambda: lambda, activation: .relu, flow: settings.reluFlow, tag: 300)
        // Stationary (GV17): RMS velocity below the tolerance and decaying over the last quarter of the run.
        var stationary = runs.allSatisfy { $0.1.stationary && $0.1.decayRate > 0 }
        var worstResidual = runs.map { $0.1.residual }.max() ?? 0
        var slowest = runs.map { $0.1.decayRate }.min() ?? 0, longest = runs.map { $0.1.time }.max() ?? 0
        var kinkBound = runs.map { $0.1.kinkDiagonalBound }.max() ?? 0
        // Discretization error: one population run with dt halved (same seed as the first).
        var halvedPop = try ANTKPopulation(size: settings.population, data: data, gamma: gamma, lambda: lambda, activation: .relu, seed: settings.runSeed(300, 0))
        let halvedRun = halvedPop.run(data, settings.reluFlow.halved)
        let halved = observables(halvedRun)
        stationary = stationary && halvedRun.stationary && halvedRun.decayRate > 0
        worstResidual = max(worstResidual, halvedRun.residual)
        slowest = min(slowest, halvedRun.decayRate); longest = max(longest, halvedRun.time)
        let first = observables(runs[0].1)
        let dtLoss = abs(first.loss.value - halved.loss.value), dtKernel = abs(first.kernel.value - halved.kernel.value)
        let dLoss = ANTKEstimate.seeds(runs.map { observables($0.1).loss })
        let dKernel = ANTKEstimate.seeds(runs.map { observables($0.1).kernel })
        let dmftLoss = ANTKEstimate(dLoss.value, error: (dLoss.error * dLoss.error + dtLoss * dtLoss).squareRoot())
        let dmftKernel = ANTKEstimate(dKernel.value, error: (dKernel.error * dKernel.error + dtKernel * dtKernel).squareRoot())
        progress("ReLU on \(data.name): finite width \(settings.widths)")
        var losses: [ANTKEstimate] = [], kernels: [ANTKEstimate] = []
        for (wi, width) in settings.widths.enumerated() {
            var l: [ANTKEstimate] = [], k: [ANTKEstimate] = []
            for s in 0..<settings.seedsPerWidth {
                var net = ANTKNetwork(depth: 1, width: width, inputDimension: data.dimension, gamma: gamma, lambda: lambda,
                                      activation: .relu, seed: settings.runSeed(301, wi, s))
                let r = net.train(data, settings.reluFlow)
                stationary = stationary && r.stationary && r.decayRate > 0
                worstResidual = max(worstResidual, r.residual)
                slowest = min(slowest, r.decayRate); longest = max(longest, r.time)
                kinkBound = max(kinkBound, r.kinkDiagonalBound)
                let o = observables(r)
                l.append(o.loss); k.append(o.kernel)
            }
            losses.append(ANTKEstimate.seeds(l)); kernels.append(ANTKEstimate.seeds(k))
            progress("ReLU on \(data.name): N=\(width) done")
        }
        let fwLoss = ANTKEstimate.inverseWidth(settings.widths, losses), fwKernel = ANTKEstimate.inverseWidth(settings.widths, kernels)
        func agreement(_ name: String, _ d: ANTKEstimate, _ fw: ANTKEstimate, _ perWidth: [ANTKEstimate]) -> ANTKVerificationCase {
            // Reference = DMFT; the finite-width extrapolation must agree within the combined error.
            let combined = (d.error * d.error + fw.error * fw.error).squareRoot()
            return ANTKVerificationCase(name: "two-layer ReLU on \(data.name): \(name), DMFT vs finite width (N -> inf)",
                                        exact: d.value, estimates: [("dmft", d), ("finite_width", ANTKEstimate(fw.value, error: combined))],
                                        stationary: stationary,
                                        detail: zip(settings.widths, perWidth).map { String(format: "N=%d: %.7f", $0, $1.value) }.joined(separator: ", ")
                                            + String(format: "; largest final RMS velocity %.2e (stationarity threshold %.0e), slowest measured decay rate %.4f (GV17), longest run t = %.0f, largest kink bound on the mean NTK diagonal %.1e (GV19)",
                                                     worstResidual, settings.reluFlow.tolerance, slowest, longest, kinkBound))
        }
        return [agreement("test loss", dmftLoss, fwLoss, losses), agreement("mean NTK diagonal", dmftKernel, fwKernel, kernels)]
    }
}
