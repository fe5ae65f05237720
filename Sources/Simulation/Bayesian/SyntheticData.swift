import Foundation
import Core
import Numerics

/// Small reproducible data sets for the cross-checks: Gaussian inputs in D dimensions, labels from a
/// fixed nonlinear teacher, P training then Q test points; C = X X^T / D.
public enum SyntheticData {
    public static func problem(train: Int, test: Int, dimension: Int, gamma: Double, ridge: Double, depth: Int,
                               activation: Activation, seed: UInt64) throws -> BayesProblem {
        let total = train + test
        var x = [Double](repeating: 0, count: total * dimension)
        x.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 0xDA7A)) }
        var c = [Double](repeating: 0, count: total * total)
        for i in 0..<total { for j in 0..<total {
            c[i * total + j] = (0..<dimension).reduce(0.0) { $0 + x[i * dimension + $1] * x[j * dimension + $1] } / Double(dimension)
        } }
        // Teacher: y = tanh(2 x_1) + 0.5 x_2, normalized to |y| = 1 on the training set.
        var y = (0..<train).map { Foundation.tanh(2 * x[$0 * dimension]) + 0.5 * x[$0 * dimension + 1] }
        let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
        y = y.map { $0 / norm }
        return try BayesProblem(inputKernel: c, trainCount: train, labels: y, gamma: gamma, ridge: ridge, depth: depth, activation: activation)
    }
}
