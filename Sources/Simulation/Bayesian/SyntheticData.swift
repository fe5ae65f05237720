import Foundation
import Core
import Numerics

/// Small reproducible data sets for the cross-checks: Gaussian inputs in D dimensions, labels from a
/// fixed nonlinear teacher, P training then Q test points; C = X X^T / D.
public enum SyntheticData {
    /// `testOnRidgeDirection`: every test input x_q becomes (2 sqrt(D) u/|u| + x_q) / sqrt(5) with
    /// u = X_t^T (C_tt + b I)^{-1} y, the input-space direction of the linear ridge fit, so that the test
    /// prediction is of order one for every seed instead of occasionally near 0 (notes/verify-bayes.md (V48):
    /// a relative error of the exact prediction must be resolvable).
    public static func problem(train: Int, test: Int, dimension: Int, gamma: Double, ridge: Double, depth: Int,
                               activation: Activation, seed: UInt64, testOnRidgeDirection: Bool = false) throws -> BayesProblem {
        let total = train + test
        var x = [Double](repeating: 0, count: total * dimension)
        x.withUnsafeMutableBufferPointer { NormalSampler.fill($0, seed: NormalSampler.derive(seed, 0xDA7A)) }
        if testOnRidgeDirection, test > 0 {
            let labels = (0..<train).map { Foundation.tanh(2 * x[$0 * dimension]) + 0.5 * x[$0 * dimension + 1] }
            var k = [Double](repeating: 0, count: train * train)
            for i in 0..<train { for j in 0..<train {
                k[i * train + j] = (0..<dimension).reduce(0.0) { $0 + x[i * dimension + $1] * x[j * dimension + $1] } / Double(dimension)
            } }
            for i in 0..<train { k[i * train + i] += ridge }
            guard let alpha = LinearAlgebra.solveSPD(k, labels, n: train) else { throw InputError("synthetic data: singular ridge system") }
            let u = (0..<dimension).map { d in (0..<train).reduce(0.0) { $0 + alpha[$1] * x[$1 * dimension + d] } }
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { throw InputError("synthetic data: zero ridge direction") }
            // (2 sqrt(D) u/|u| + x_q) / sqrt(5): mostly along u, with the drawn x_q keeping C positive definite.
            for q in train..<total { for d in 0..<dimension {
                x[q * dimension + d] = (2 * Double(dimension).squareRoot() * u[d] / norm + x[q * dimension + d]) / Double(5).squareRoot()
            } }
        }
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
