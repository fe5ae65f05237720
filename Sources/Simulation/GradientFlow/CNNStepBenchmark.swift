import Foundation
import Core
import Numerics

/// One step of the two-layer CNN's population DMFT (notes/cnn-two-layer.md (CN6)) from a deterministic
/// state, for the benchmark against the same update in JAX and NumPy (bench/cnn_step.py, BENCHMARKS.md).
/// The state is given by closed-form formulas that bench/cnn_step.py reproduces:
///
///     images H x W x 1: X[mu, j] = sin(0.7 (mu + 1)(j + 1)), j < H W,  y[mu] = cos(1.3 mu)  (all P points trained)
///     fields h[i, r] = sin(0.1 i + 0.37 r) + 0.5 cos(0.013 i r) over the pseudo-points r = mu |P| + p,
///     z[i] = cos(0.29 i);  ReLU, gamma = 1, lambda = 1/2, dt = 0.05
///
/// A step is one iteration of `CNNPopulation.run`: the drives through the training rows of the scaled
/// patch matrix A (g = b A_t, M x K^2 C), the Euler update h <- (1 - lambda dt) h + dt gamma g A^T
/// (the product with the patch tensor C = A A^T applied through its factor, (CN6)(i)), and the new
/// fields' activations, pooled features and predictions. The (n |P|)^2 tensor is never formed.
public enum CNNStepBenchmark {
    public static let gamma = 1.0, lambda = 0.5, timeStep = 0.05

    public struct Result: Sendable {
        public let sites: Int
        public let points: Int
        public let positions: Int
        public let dimension: Int
        public let steps: Int
        public let medianSeconds: Double
        public let minimumSeconds: Double
        /// f on the P points after all steps (warm-up included).
        public let predictions: [Double]
    }

    public static func data(points p: Int, height: Int, width: Int) throws -> LabelledData {
        let d = height * width
        var x = [Double](repeating: 0, count: p * d)
        for mu in 0..<p { for j in 0..<d { x[mu * d + j] = sin(0.7 * Double(mu + 1) * Double(j + 1)) } }
        return try LabelledData(name: "CNN benchmark P = \(p)", train: x, labels: (0..<p).map { cos(1.3 * Double($0)) }, dimension: d)
    }

    /// `warmup` untimed steps, then `steps` timed ones.
    public static func run(sites m: Int, points p: Int, height: Int, width: Int, patch: Int, stride: Int, steps: Int, warmup: Int = 2,
                           activation: Activation = .relu) throws -> Result {
        precondition(m > 0 && p > 0 && steps > 0)
        let g = try ConvolutionGeometry(height: height, width: width, channels: 1, patch: patch, stride: stride)
        let data = try self.data(points: p, height: height, width: width)
        let flow = try PooledFlow(data: data, architecture: .cnn(g), activation: activation, gamma: gamma, lambda: lambda)
        var pop = try CNNPopulation(size: 2, flow: flow, seed: 1)
        let w = flow.width
        pop.first = [Double](repeating: 0, count: m * w)
        for i in 0..<m { for r in 0..<w { pop.first[i * w + r] = sin(0.1 * Double(i) + 0.37 * Double(r)) + 0.5 * cos(0.013 * Double(i * r)) } }
        pop.readouts = (0..<m).map { cos(0.29 * Double($0)) }
        var e = flow.evaluate(pop.first, readouts: pop.readouts)
        var times: [Double] = []
        for s in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            let (drive, dz) = flow.drives(e, readouts: pop.readouts)
            e.h = []
            pop.apply(flow, g: drive, dz: dz, dt: timeStep)
            e = flow.evaluate(pop.first, readouts: pop.readouts)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if s >= warmup { times.append(elapsed) }
        }
        times.sort()
        return Result(sites: m, points: p, positions: g.positionCount, dimension: g.patchDimension, steps: steps,
                      medianSeconds: times[times.count / 2], minimumSeconds: times[0], predictions: e.f)
    }
}
