import Foundation
import Core

/// One DMFT step of the two-layer population (GV1)-(GV3) from a deterministic state, for the
/// benchmark against the same update in NumPy (bench/dmft_step.py, BENCHMARKS.md). The state is
/// given by closed-form formulas that bench/dmft_step.py reproduces, so both sides start from the
/// same numbers and their predictions after the timed steps can be compared:
///
///     X[mu, d] = sin(0.7 (mu + 1)(d + 1)),  D = 64,  C = X X^T / D        (mu < P, all points trained)
///     y[mu] = cos(1.3 mu),  h[i, mu] = sin(0.1 i + 0.37 mu) + 0.5 cos(0.013 i mu),  z[i] = cos(0.29 i)
///     ReLU, gamma = 1, lambda = 1/2, dt = 0.05
///
/// A step is exactly what `ANTKPopulation.run` does per step: the Euler update (GV1), (GV2) and the
/// new predictions (GV3), by the fused step of notes/verify-antk.md (GV23). Optional: Q test points
/// (mu = P...P+Q-1 by the same formulas; f on them is predicted, not trained), another input dimension D
/// (with D (P + n) < P n the rank-D form (GV23c) is used) and another activation.
public struct ANTKStepBenchmark: Sendable {
    public static let dimension = 64
    public static let gamma = 1.0, lambda = 0.5, timeStep = 0.05

    public struct Result: Sendable {
        public let neurons: Int
        public let points: Int
        public let steps: Int
        /// Median and minimum wall-clock seconds of one step over the timed steps.
        public let medianSeconds: Double
        public let minimumSeconds: Double
        /// f on the P + Q points after all steps (warm-up included).
        public let predictions: [Double]
        /// Whether the rank-D form (GV23c) computed the product.
        public let rankReduced: Bool
    }

    public static func data(points p: Int, testPoints q: Int = 0, dimension d: Int = dimension) throws -> LabelledData {
        let n = p + q
        var x = [Double](repeating: 0, count: n * d)
        for mu in 0..<n { for j in 0..<d { x[mu * d + j] = sin(0.7 * Double(mu + 1) * Double(j + 1)) } }
        let y = (0..<n).map { cos(1.3 * Double($0)) }
        return try LabelledData(name: "benchmark P = \(p)", train: Array(x[0..<(p * d)]), labels: Array(y[0..<p]),
                               test: Array(x[(p * d)...]), testLabels: Array(y[p...]), dimension: d)
    }

    public static func population(neurons m: Int, data: LabelledData, activation: Activation = .relu) throws -> ANTKPopulation {
        var pop = try ANTKPopulation(size: m, data: data, gamma: gamma, lambda: lambda, activation: activation, seed: 1)
        let p = data.count
        for i in 0..<m {
            for mu in 0..<p { pop.fields[i * p + mu] = sin(0.1 * Double(i) + 0.37 * Double(mu)) + 0.5 * cos(0.013 * Double(i * mu)) }
            pop.readouts[i] = cos(0.29 * Double(i))
        }
        return pop
    }

    /// `warmup` untimed steps, then `steps` timed ones.
    public static func run(neurons m: Int, points p: Int, steps: Int, warmup: Int = 2, testPoints q: Int = 0,
                           dimension d: Int = dimension, activation: Activation = .relu, rankReduced: Bool? = nil) throws -> Result {
        precondition(m > 0 && p > 0 && steps > 0 && q >= 0 && d > 0)
        let data = try self.data(points: p, testPoints: q, dimension: d)
        var pop = try population(neurons: m, data: data, activation: activation)
        let stepper = ANTKPopulationStepper(population: pop, data: data, reduced: rankReduced)
        var f = stepper.refresh(pop)
        var times: [Double] = []
        for s in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            f = stepper.step(&pop, predictions: f, dt: timeStep)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if s >= warmup { times.append(elapsed) }
        }
        times.sort()
        return Result(neurons: m, points: p, steps: steps, medianSeconds: times[times.count / 2], minimumSeconds: times[0], predictions: f,
                      rankReduced: stepper.reduced)
    }
}
