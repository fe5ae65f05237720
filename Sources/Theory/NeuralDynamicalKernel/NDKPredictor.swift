import Foundation
import Dispatch
import Core
import Numerics

/// The mean predictor of notes/neural-dynamical-kernel.md (NK6), solved on a time grid by the
/// implicit trapezoid rule with step-halving error control (NK17).
public struct NDKPredictor: Sendable {
    public let kernel: NDKKernel
    public let inputs: NDKInputs

    public init(setting: NDKSetting, inputs: NDKInputs) {
        kernel = NDKKernel(setting: setting); self.inputs = inputs
    }

    /// The solution at the output times. Every value is approximate: the 2m solution, with
    /// `trainError`/`testError` the largest |f_{2m} - f_m| at each output time as its error (NK17).
    public struct Trajectory: Sendable {
        public let times: [Double]
        public let train: [[Double]]
        public let test: [[Double]]
        public let trainError: [Double]
        public let testError: [Double]
        /// m of the finer solution (steps per output interval and per unit 1/((L + 1) lambda)).
        public let stepsPerInterval: Int
        public let tolerance: Double
        public var converged: Bool { maximumError <= tolerance }
        public var maximumError: Double { (trainError + testError).max() ?? 0 }
        /// The solver grid and the training residual y - fbar on it (for the drift quadrature).
        public let grid: [Double]
        public let residuals: [[Double]]
        public let outputNodes: [Int]
    }

    /// Solves (NK6) with output times `times` (increasing, > 0); m starts at `initialSteps` and doubles
    /// until the step-halving difference is <= `tolerance` or m reaches `maximumSteps`.
    public func solve(times: [Double], tolerance: Double = 1e-6, initialSteps: Int = 4, maximumSteps: Int = 64) throws -> Trajectory {
        guard !times.isEmpty, times.allSatisfy({ $0.isFinite && $0 > 0 }), zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw InputError("the output times must be positive, finite and increasing")
        }
        var m = max(1, initialSteps)
        var coarse = solveGrid(times: times, steps: m)
        while true {
            let fine = solveGrid(times: times, steps: 2 * m)
            // the error of f_2m is |f_2m - f_m| / (2^p - 1) <= |f_2m - f_m| for any order p >= 1; p = 2 is
            // not assumed: ReLU's NDK has a sqrt(t - s) cusp on the diagonal (NK17)
            let trainError = zip(coarse.train, fine.train).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }
            let testError = zip(coarse.test, fine.test).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }
            let worst = (trainError + testError).max() ?? 0
            if worst <= tolerance || 2 * m >= maximumSteps || !worst.isFinite {
                return Trajectory(times: times, train: fine.train, test: fine.test,
                                  trainError: trainError, testError: testError,
                                  stepsPerInterval: 2 * m, tolerance: tolerance, grid: fine.grid, residuals: fine.residuals,
                                  outputNodes: fine.outputNodes)
            }
            coarse = fine; m *= 2
        }
    }

    struct GridSolution { let grid: [Double]; let train: [[Double]]; let test: [[Double]]; let residuals: [[Double]]; let outputNodes: [Int] }

    /// Chunks of the history sum: fixed, so the result does not depend on the thread count.
    static let chunks = 8

    /// One solve with m steps per output interval ((NK17)).
    func solveGrid(times: [Double], steps m: Int) -> GridSolution {
        var grid = [0.0], outputNodes = [Int]()
        var previous = 0.0
        // the history integrand varies on the scale 1/((L + 1) lambda) (the decay of C^L e^{-lambda (t - s)}):
        // an interval gets m steps per such unit, and at least m
        let unit = 1 / (Double(kernel.setting.depth + 1) * kernel.setting.decayRate)
        for t in times {
            let count = m * max(1, Int(((t - previous) / unit).rounded(.up)))
            for k in 1...count { grid.append(k == count ? t : previous + (t - previous) * Double(k) / Double(count)) }
            outputNodes.append(grid.count - 1); previous = t
        }
        let n = grid.count - 1
        let kernel = self.kernel, gram = inputs.trainGram, cross = inputs.crossGram
        let setting = kernel.setting
        let p = inputs.trainCount, q = inputs.testCount, y = inputs.labels
        let trainNorms = inputs.trainDiagonal
        let diagTrain = grid.map { t in trainNorms.map { kernel.diagonals(norm: $0, variance: setting.weightVariance(t)) } }
        // trapezoid weight of node j in int_0^{t_i}: (h_j + h_{j+1}) / 2 inside, h / 2 at the ends.
        func weight(_ i: Int, _ j: Int) -> Double {
            let left = j > 0 ? grid[j] - grid[j - 1] : 0, right = j < i ? grid[j + 1] - grid[j] : 0
            return (left + right) / 2
        }
        var residuals = [[Double]](repeating: y, count: n + 1)
        var train = [[Double]](), test = [[Double]]()
        let testDiagonal = inputs.testDiagonal
        for i in 1...n {
            let t = grid[i]
            // history sum_{j < i} w_ij K(t_i, t_j) r_j, in fixed chunks over j
            let history = NDKPredictor.chunkedSum(count: i, length: p) { j, acc in
                let c = setting.weightCovariance(t, grid[j]), decay = exp(-setting.decayRate * (t - grid[j]))
                let w = weight(i, j), r = residuals[j]
                for a in 0..<p {
                    var s = 0.0
                    for b in 0..<p {
                        s += kernel.entry(gram: gram[a * p + b], diagonalA: diagTrain[i][a], diagonalB: diagTrain[j][b], covariance: c, decay: decay).ndk * r[b]
                    }
                    acc[a] += w * s
                }
            }
            let kii = kernel.ndkBlock(gram: gram, rows: p, columns: p, diagT: diagTrain[i], diagS: diagTrain[i], t: t, s: t)
            let wi = weight(i, i)
            var system = kii.map { wi * $0 }
            for a in 0..<p { system[a * p + a] += 1 }
            var rhs = history
            for a in 0..<p { for b in 0..<p { rhs[a] += wi * kii[a * p + b] * y[b] } }
            let f = LinearAlgebra.solvePositiveDefinite(system, rhs, n: p, rightHandSides: 1)
                ?? LinearAlgebra.solveGeneral(system, rhs, n: p, rightHandSides: 1) ?? [Double](repeating: .nan, count: p)
            residuals[i] = (0..<p).map { y[$0] - f[$0] }
            guard outputNodes.contains(i) else { continue }
            train.append(f)
            if q == 0 { test.append([]); continue }
            let diagTest = testDiagonal.map { kernel.diagonals(norm: $0, variance: setting.weightVariance(t)) }
            let fs = NDKPredictor.chunkedSum(count: i + 1, length: q) { j, acc in
                let c = setting.weightCovariance(t, grid[j]), decay = exp(-setting.decayRate * (t - grid[j]))
                let w = weight(i, j), r = residuals[j]
                for a in 0..<q {
                    var s = 0.0
                    for b in 0..<p {
                        s += kernel.entry(gram: cross[a * p + b], diagonalA: diagTest[a], diagonalB: diagTrain[j][b], covariance: c, decay: decay).ndk * r[b]
                    }
                    acc[a] += w * s
                }
            }
            test.append(fs)
        }
        return GridSolution(grid: grid, train: train, test: test, residuals: residuals, outputNodes: outputNodes)
    }

    /// sum over j in 0..<count of body(j) into a vector of `length`, in `chunks` fixed contiguous
    /// chunks run concurrently and added in chunk order.
    static func chunkedSum(count: Int, length: Int, _ body: @escaping (Int, inout [Double]) -> Void) -> [Double] {
        let chunks = min(NDKPredictor.chunks, count)
        guard chunks > 0 else { return [Double](repeating: 0, count: length) }
        let size = (count + chunks - 1) / chunks
        var partial = [[Double]](repeating: [Double](repeating: 0, count: length), count: chunks)
        let run = { (c: Int, out: UnsafeMutablePointer<[Double]>) in
            var acc = [Double](repeating: 0, count: length)
            var j = c * size
            while j < min(count, (c + 1) * size) { body(j, &acc); j += 1 }
            out.pointee = acc
        }
        partial.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            if count * length < 64 { for c in 0..<chunks { run(c, base + c) } }
            else { DispatchQueue.concurrentPerform(iterations: chunks) { c in run(c, base + c) } }
        }
        var total = [Double](repeating: 0, count: length)
        for c in 0..<chunks { for a in 0..<length { total[a] += partial[c][a] } }
        return total
    }
}
