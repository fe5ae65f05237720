import Foundation
import Core
import Numerics
import Simulation

/// Finite-width trajectories (notes/dynamics-deep-linear.md (DY20), notes/dynamics-nonlinear.md (DN10)): networks of several
/// widths trained by forward-Euler gradient descent with weight decay (`ANTKNetwork`), the observables
/// (DY13) at the output times averaged over seeds at each width and extrapolated in 1/N.
public struct DynamicsFiniteWidth: Sendable {
    public let widths: [Int]
    public let seedsPerWidth: Int
    public let seed: UInt64

    public init(widths: [Int], seedsPerWidth: Int, seed: UInt64) throws {
        guard widths.count >= 2, widths.allSatisfy({ $0 >= 2 }) else { throw InputError("at least two widths >= 2 are needed for the 1/N fit") }
        guard seedsPerWidth >= 2 else { throw InputError("at least two seeds per width are needed for a standard error") }
        self.widths = widths
        self.seedsPerWidth = seedsPerWidth
        self.seed = seed
    }

    /// Estimated observables: the 1/N intercepts with their fit standard errors, per output time.
    public struct Result: Sendable {
        public let times: [Double]
        public let values: [DynamicsPoint]
        public let standardErrors: [DynamicsPoint]
        public let widths: [Int]
        public let seedsPerWidth: Int
        public let timeStep: Double
    }

    /// Runs every width and seed with Euler step `timeStep`, recording every `stepsPerFrame` steps.
    public func run(_ problem: DynamicsProblem, timeStep: Double, stepsPerFrame: Int) -> Result {
        let data = problem.data.dataSet
        var perWidth = [(mean: [[Double]], se: [[Double]])]()   // [width] -> per time, per component
        var shape: [DynamicsPoint] = []
        for (wi, width) in widths.enumerated() {
            var runs = [[[Double]]]()   // seed -> time -> components
            for s in 0..<seedsPerWidth {
                var network = ANTKNetwork(depth: problem.depth, width: width, inputDimension: data.dimension, gamma: problem.gamma,
                                          lambda: problem.lambda, activation: problem.activation,
                                          seed: NormalSampler.derive(seed, UInt64(wi), UInt64(s), UInt64(problem.depth)))
                let frames = network.trajectory(data, timeStep: timeStep, stepsPerFrame: stepsPerFrame, frames: problem.intervals)
                let points = zip(frames, problem.times).map {
                    DynamicsPoint.observe($0, data: problem.data, lambda: problem.lambda, time: $1)
                }
                shape = points
                runs.append(points.map(\.components))
            }
            let n = Double(seedsPerWidth)
            var mean = [[Double]](), se = [[Double]]()
            for t in problem.times.indices {
                let count = runs[0][t].count
                var m = [Double](repeating: 0, count: count), e = m
                for c in 0..<count {
                    let xs = runs.map { $0[t][c] }
                    let mu = xs.reduce(0, +) / n
                    let variance = xs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / (n - 1)
                    m[c] = mu
                    e[c] = (variance / n).squareRoot()
                }
                mean.append(m); se.append(e)
            }
            perWidth.append((mean, se))
        }
        var values = [DynamicsPoint](), errors = [DynamicsPoint]()
        for t in problem.times.indices {
            let count = perWidth[0].mean[t].count
            var v = [Double](repeating: 0, count: count), e = v
            for c in 0..<count {
                let fit = InverseWidthFit(widths: widths, points: perWidth.map {
                    Estimate(value: $0.mean[t][c], standardError: $0.se[t][c], degreesOfFreedom: seedsPerWidth - 1)
                })
                v[c] = fit.intercept.value
                e[c] = fit.intercept.standardError
            }
            values.append(DynamicsPoint(components: v, shape: shape[t]))
            errors.append(DynamicsPoint(components: e, shape: shape[t]))
        }
        return Result(times: problem.times, values: values, standardErrors: errors, widths: widths,
                      seedsPerWidth: seedsPerWidth, timeStep: timeStep)
    }
}
