import Foundation
import Core
import Simulation

/// How far a stationary run's test loss and mean NTK diagonal can still move on the way to its fixed
/// point, per activation (notes/verify-antk.md (GV24)). Every run ends at distance at most
/// d = |d theta/dt| / kappa_eff from its fixed point (GV18); what changes with the activation is how d
/// becomes an error of f and K:
/// - ReLU (homogeneous of degree 2, with kinks): (GV14) and the kink-flip bound (GV19);
/// - tanh, erf (bounded and smooth, not homogeneous: they saturate): Lipschitz bounds on the ball of
///   radius d around the final state (GV25), (GV26), with no kink term.
struct ANTKConvergenceError {
    /// Suprema over the real line of |phi|, |phi'|, |phi phi'| and |phi' phi''| (GV25), rounded up.
    struct Bounds {
        let value: Double, slope: Double, valueSlope: Double, slopeCurvature: Double
    }

    /// (GV25) constants of a bounded smooth activation; nil for ReLU and the identity (unbounded).
    static func bounds(_ activation: Activation) -> Bounds? {
        switch activation {
        // tanh: |tanh tanh'| <= 2/(3 sqrt 3) (at tanh^2 = 1/3), |tanh' tanh''| = 2 |t| (1 - t^2)^2 <= 32/(25 sqrt 5) (t^2 = 1/5).
        case .tanh: return Bounds(value: 1, slope: 1, valueSlope: 0.38490017945976, slopeCurvature: 0.57243340223995)
        // erf: erf' = (2/sqrt pi) e^{-h^2} <= 1.1283791670956; |erf erf'| <= 0.47587347962855 (h = 0.62006);
        // |erf' erf''| = (8/pi) |h| e^{-2 h^2} <= (4/pi) e^{-1/2} (h = 1/2).
        case .erf: return Bounds(value: 1, slope: 1.1283791670956, valueSlope: 0.47587347962855, slopeCurvature: 0.77225882104044)
        case .relu, .identity: return nil
        }
    }

    let activation: Activation
    let data: LabelledData
    let gamma: Double
    let lambda: Double

    /// Errors of the test loss and of the mean NTK diagonal of one run. `readouts`: the final z (population)
    /// or w (network); `population`: the state holds h itself (r_nu = 1), else h = w.x/sqrt(D) (r_nu = sqrt(C_nunu)).
    func errors(_ r: ANTKFlowResult, readouts: [Double], population: Bool) -> (loss: Double, kernel: Double) {
        let n = data.count, p = data.trainCount
        let testLoss = (p..<n).map { pow(r.predictions[$0] - data.testLabels[$0 - p], 2) }.reduce(0, +) / Double(n - p)
        let previousLoss = (p..<n).map { pow(r.previousPredictions[$0] - data.testLabels[$0 - p], 2) }.reduce(0, +) / Double(n - p)
        let drift = abs(testLoss - previousLoss)
        let kernel = (0..<n).map { r.ntk[$0 * n + $0] }.reduce(0, +) / Double(n)
        let rel = r.relativeDistance(lambda: lambda)
        guard let b = ANTKConvergenceError.bounds(activation) else {
            // (GV14) with the measured rate (GV18): f and K move by ~ (degree) x relative distance
            // to the fixed point; K also by the kink flips within that distance (GV19).
            let fError = (p..<n).map { abs(r.predictions[$0]) }.max()! * 2 * rel
            return (max(drift, 2 * testLoss.squareRoot() * fError), 2 * kernel * rel + r.kinkDiagonalBound)
        }
        // (GV25), (GV26): d = |v| / kappa_eff (GV18); on the ball of radius d, |z'|_2 <= |z|_2 + d and |z'|_4 <= |z|_4 + d.
        let rate = r.effectiveRate(lambda: lambda)
        guard rate > 0 else { return (.infinity, .infinity) }
        let d = r.velocityNorm / rate
        let width = Double(readouts.count)
        let z2 = pow(readouts.reduce(0) { $0 + $1 * $1 }.squareRoot() + d, 2)
        let z4 = pow(pow(readouts.reduce(0) { $0 + $1 * $1 * $1 * $1 }, 0.25) + d, 4)
        let c = data.inputKernel
        var lossError = 0.0, kernelError = 0.0
        for nu in 0..<n {
            let cc = c[nu * n + nu], r2 = population ? 1 : cc
            // (GV25) |grad f_nu| <= sqrt(a0^2 N + a1^2 r^2 Z2) / (gamma N).
            let slopeSquared: Double = b.value * b.value * width + b.slope * b.slope * r2 * z2
            let slope = slopeSquared.squareRoot() / (gamma * width)
            // (GV26) |grad K_nunu| <= (2/N) sqrt(a1^4 C^2 Z2 + r^2 (a01^2 N + 2 a01 a12 C Z2 + a12^2 C^2 Z4)).
            let a1 = b.slope * b.slope, a01 = b.valueSlope, a12 = b.slopeCurvature
            let readoutPart: Double = a1 * a1 * cc * cc * z2
            let fieldPart: Double = a01 * a01 * width + 2 * a01 * a12 * cc * z2 + a12 * a12 * cc * cc * z4
            let kernelSlope: Double = 2 / width * (readoutPart + r2 * fieldPart).squareRoot()
            kernelError += kernelSlope * d / Double(n)
            if nu >= p {
                let e = slope * d
                lossError += (2 * abs(r.predictions[nu] - data.testLabels[nu - p]) * e + e * e) / Double(n - p)
            }
        }
        return (max(drift, lossError), kernelError)
    }
}
