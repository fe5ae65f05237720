import Foundation
import Core
import Simulation

/// Two-layer aNTK on digits (or synthetic) data, one activation: the population DMFT (the theory)
/// against trained finite-width networks (the networks of `train --lambda`, extrapolated in 1/N):
/// test loss and the mean diagonal of the final NTK (notes/verify-antk.md section 4, item 5, and (GV24)).
struct ANTKDigitsCases {
    let settings: ANTKVerifySettings
    let activation: Activation
    let progress: (String) -> Void

    /// The activation's name in case names ("ReLU", "tanh", "erf").
    var label: String { activation == .relu ? "ReLU" : activation.rawValue }

    /// Stream tags of the runs' seeds: ReLU keeps the tags it had before the group took other activations
    /// (its cases are unchanged at a given seed).
    var tags: (population: Int, network: Int) {
        switch activation {
        case .relu: return (300, 301)
        case .tanh: return (310, 311)
        case .erf: return (320, 321)
        case .identity: return (330, 331)
        }
    }

    func cases() throws -> [VerificationCase] {
        let data: LabelledData
        if let dir = settings.digitsDirectory {
            data = try LabelledData.npyDirectory(dir, train: settings.digitsTrain, test: settings.digitsTest)
        } else {
            data = try LabelledData.synthetic(train: settings.digitsTrain, test: settings.digitsTest, dimension: 16, seed: settings.runSeed(91))
        }
        let widths = settings.digitsWidths(activation)
        let flow = activation == .relu ? settings.reluFlow : settings.smoothFlow
        var results: [ANTKFlowResult] = []
        let gamma = 1.0, lambda = 0.5, n = data.count, p = data.trainCount
        let model = ANTKConvergenceError(activation: activation, data: data, gamma: gamma, lambda: lambda)
        func observables(_ r: ANTKFlowResult, readouts: [Double], population: Bool) -> (loss: Estimate, kernel: Estimate) {
            let loss = (p..<n).map { pow(r.predictions[$0] - data.testLabels[$0 - p], 2) }.reduce(0, +) / Double(n - p)
            let kernel = (0..<n).map { r.ntk[$0 * n + $0] }.reduce(0, +) / Double(n)
            let e = model.errors(r, readouts: readouts, population: population)
            return (.bounded(loss, systematic: e.loss), .bounded(kernel, systematic: e.kernel))
        }
        progress("\(label) on \(data.name): population DMFT (M = \(settings.population))")
        let runs = try ANTKReLUCases(settings: settings, progress: progress)
            .populations(data, gamma: gamma, lambda: lambda, activation: activation, flow: flow, tag: tags.population)
        // Stationary (GV17): RMS velocity below the tolerance and decaying over the last quarter of the run.
        results += runs.map(\.1)
        var worstResidual = runs.map { $0.1.residual }.max() ?? 0
        var slowest = runs.map { $0.1.decayRate }.min() ?? 0, longest = runs.map { $0.1.time }.max() ?? 0
        var kinkBound = runs.map { $0.1.kinkDiagonalBound }.max() ?? 0
        // Discretization error: one population run with dt halved (same seed as the first).
        var halvedPop = try ANTKPopulation(size: settings.population, data: data, gamma: gamma, lambda: lambda, activation: activation,
                                           seed: settings.runSeed(tags.population, 0))
        let halvedRun = halvedPop.run(data, flow.halved)
        let halved = observables(halvedRun, readouts: halvedPop.readouts, population: true)
        results.append(halvedRun)
        worstResidual = max(worstResidual, halvedRun.residual)
        slowest = min(slowest, halvedRun.decayRate); longest = max(longest, halvedRun.time)
        let first = observables(runs[0].1, readouts: runs[0].0.readouts, population: true)
        let dtLoss = abs(first.loss.value - halved.loss.value), dtKernel = abs(first.kernel.value - halved.kernel.value)
        let perRun = runs.map { observables($0.1, readouts: $0.0.readouts, population: true) }
        var dmftLoss = Estimate.mean(ofIndependent: perRun.map(\.loss))
        var dmftKernel = Estimate.mean(ofIndependent: perRun.map(\.kernel))
        // The dt error |x(dt) - x(dt/2)| is a systematic bound.
        dmftLoss.systematic += dtLoss
        dmftKernel.systematic += dtKernel
        var convergence = perRun.map(\.loss.systematic).max() ?? 0
        progress("\(label) on \(data.name): finite width \(widths)")
        var losses: [Estimate] = [], kernels: [Estimate] = []
        for (wi, width) in widths.enumerated() {
            var l: [Estimate] = [], k: [Estimate] = []
            for s in 0..<settings.seedsPerWidth {
                var net = ANTKNetwork(depth: 1, width: width, inputDimension: data.dimension, gamma: gamma, lambda: lambda,
                                      activation: activation, seed: settings.runSeed(tags.network, wi, s))
                let r = net.train(data, flow)
                results.append(r)
                worstResidual = max(worstResidual, r.residual)
                slowest = min(slowest, r.decayRate); longest = max(longest, r.time)
                kinkBound = max(kinkBound, r.kinkDiagonalBound)
                let o = observables(r, readouts: net.weights[1], population: false)
                convergence = max(convergence, o.loss.systematic)
                l.append(o.loss); k.append(o.kernel)
            }
            losses.append(Estimate.mean(ofIndependent: l)); kernels.append(Estimate.mean(ofIndependent: k))
            progress("\(label) on \(data.name): N=\(width) done")
        }
        let fwLoss = InverseWidthFit(widths: widths, points: losses).intercept
        let fwKernel = InverseWidthFit(widths: widths, points: kernels).intercept
        // Stationary (GV17): RMS velocity below the tolerance and decaying over the last quarter of the run.
        let decaying = results.filter { $0.stationary && $0.decayRate <= 0 }.count
        let unconverged = ANTKLinearCases.unreached(results, flow, what: "\(label) (populations, dt/2 run, networks)")
            ?? (decaying > 0 ? "\(decaying) runs reached the velocity threshold without a measured decay (GV17)" : nil)
        // ReLU: the kink-flip bound (GV19); a smooth activation has none and its run errors are the Lipschitz bounds (GV25), (GV26).
        let errorModel = ANTKConvergenceError.bounds(activation) == nil
            ? String(format: ", largest kink bound on the mean NTK diagonal %.1e (GV19)", kinkBound)
            : String(format: ", largest convergence bound on a run's test loss %.1e (GV25, smooth: no kink term)", convergence)
        func agreement(_ name: String, _ d: Estimate, _ fw: Estimate, _ perWidth: [Estimate]) -> VerificationCase {
            .between(.init(name: "dmft", estimate: d), .init(name: "finite_width", estimate: fw),
                     name: "two-layer \(label) on \(data.name): \(name), DMFT vs finite width (N -> inf)", group: "digits", failure: unconverged,
                     note: zip(widths, perWidth).map { String(format: "N=%d: %.7f", $0, $1.value) }.joined(separator: ", ")
                        + String(format: "; largest final RMS velocity %.2e (stationarity threshold %.0e), slowest measured decay rate %.4f (GV17), longest run t = %.0f",
                                 worstResidual, flow.tolerance, slowest, longest) + errorModel)
        }
        return [agreement("test loss", dmftLoss, fwLoss, losses), agreement("mean NTK diagonal", dmftKernel, fwKernel, kernels)]
    }
}
