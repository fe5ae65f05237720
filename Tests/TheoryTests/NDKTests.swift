import XCTest
import Foundation
import Core
@testable import Theory
import Numerics

/// The neural dynamical kernel and its mean predictor (notes/neural-dynamical-kernel.md).
final class NDKTests: XCTestCase {
    /// Four inputs in D = 3 (general position) and one test input, labels of both signs.
    static func data() throws -> NDKInputs {
        let x: [Double] = [1, 0.2, -0.4, 0.3, 1.1, 0.5, -0.8, 0.4, 1.0, 0.6, -0.9, 0.2]
        let xt: [Double] = [0.7, 0.6, 0.1]
        return try NDKInputs(train: x, labels: [1, -0.5, 0.8, -1], test: xt, testLabels: [0.6], dimension: 3)
    }

    /// (NK11): L = 0, identity: every Gram eigenmode relaxes as kappa y/(kappa + lambda) (1 - e^{-(kappa+lambda) t}).
    func testLinearReadoutClosedForm() throws {
        let setting = try NDKSetting(activation: .identity, depth: 0, temperature: 0.3, priorVariance: 1.5, initVariance: 0.4)
        let kappa = [2.0, 0.5], y = [1.0, -0.7], lambda = 0.3 / 1.5
        let inputs = NDKInputs(trainGram: [kappa[0], 0, 0, kappa[1]], crossGram: [], testDiagonal: [], labels: y, testLabels: nil)
        let times = (0..<8).map { 0.05 * pow(2.5, Double($0)) }
        let solution = try NDKPredictor(setting: setting, inputs: inputs).solve(times: times, tolerance: 3e-5, maximumSteps: 64)
        XCTAssertTrue(solution.converged, "step-halving difference \(solution.maximumError)")
        for (k, t) in times.enumerated() { for a in 0..<2 {
            let exact = kappa[a] * y[a] / (kappa[a] + lambda) * (1 - exp(-(kappa[a] + lambda) * t))
            // the reported error is |f_2m - f_m|, about 3x the error of f_2m for a second-order rule
            XCTAssertEqual(solution.train[k][a], exact, accuracy: solution.trainError[k] + 1e-12, "t = \(t), mode \(a)")
        } }
    }

    /// (NK9): K(x, x'; 0, 0) is the standard NTK with weight variance sigma_0^2 (one ReLU layer, by
    /// the arc-cosine formulas written out here).
    func testInitialNDKIsNTK() throws {
        let s0 = 0.7
        let setting = try NDKSetting(activation: .relu, depth: 1, temperature: 0.01, priorVariance: 2, initVariance: s0)
        let kernel = NDKKernel(setting: setting)
        let (ka, kb, kab) = (1.3, 0.8, -0.4)
        let e = kernel.entry(gram: kab, diagonalA: kernel.diagonals(norm: ka, variance: setting.weightVariance(0)),
                             diagonalB: kernel.diagonals(norm: kb, variance: setting.weightVariance(0)), covariance: setting.weightCovariance(0, 0), decay: 1)
        let theta = acos(kab / (ka * kb).squareRoot())
        let sigma = s0 * (ka * kb).squareRoot() / (2 * Double.pi) * (sin(theta) + (Double.pi - theta) * cos(theta))
        let ntk = sigma + s0 * (Double.pi - theta) / (2 * Double.pi) * kab
        XCTAssertEqual(e.ndk, ntk, accuracy: 1e-14)
        XCTAssertEqual(e.prior, s0 * sigma, accuracy: 1e-14)
    }

    /// (NK10): for the identity the NDK is (L + 1) C^L e^{-lambda (t - s)} times the input kernel.
    func testLinearNDKIsInputKernelTimesScalar() throws {
        let setting = try NDKSetting(activation: .identity, depth: 3, temperature: 0.2, priorVariance: 1.2, initVariance: 0.5)
        let kernel = NDKKernel(setting: setting)
        let inputs = try NDKTests.data(), p = inputs.trainCount
        let (t, s) = (3.0, 1.25)
        let diagT = inputs.trainDiagonal.map { kernel.diagonals(norm: $0, variance: setting.weightVariance(t)) }
        let diagS = inputs.trainDiagonal.map { kernel.diagonals(norm: $0, variance: setting.weightVariance(s)) }
        let block = kernel.ndkBlock(gram: inputs.trainGram, rows: p, columns: p, diagT: diagT, diagS: diagS, t: t, s: s)
        let c = setting.weightCovariance(t, s)
        let scalar = 4 * pow(c, 3) * exp(-setting.decayRate * (t - s))
        for a in 0..<(p * p) { XCTAssertEqual(block[a], scalar * inputs.trainGram[a], accuracy: 1e-13) }
    }

    /// (NK12): in the stationary state K(t, s) = (1/T) d/ds Q^{L+1}(t, s) (erf, L = 2; central differences).
    func testStationaryIdentity() throws {
        let setting = try NDKSetting(activation: .erf, depth: 2, temperature: 0.25, priorVariance: 0.9, initVariance: 0.9)
        let kernel = NDKKernel(setting: setting)
        let (ka, kb, kab) = (1.3, 0.8, 0.5)
        let da = kernel.diagonals(norm: ka, variance: 0.9), db = kernel.diagonals(norm: kb, variance: 0.9)
        func entry(_ t: Double, _ s: Double) -> NDKKernel.Entry {
            kernel.entry(gram: kab, diagonalA: da, diagonalB: db, covariance: setting.weightCovariance(t, s), decay: exp(-setting.decayRate * (t - s)))
        }
        let (t, s, h) = (2.0, 0.7, 1e-4)
        let derivative = (entry(t, s + h).prior - entry(t, s - h).prior) / (2 * h)
        XCTAssertEqual(entry(t, s).ndk, derivative / setting.temperature, accuracy: 1e-7)
    }

    /// (NK9): at low temperature and t << sigma^2/T the predictor follows the NTK ODE
    /// fbar = (I - e^{-Theta t}) y, test theta(x)^T Theta^{-1} (I - e^{-Theta t}) y (erf, L = 2;
    /// deviation O(t T / sigma^2) = 2e-3 relative at t = 20, T = 1e-4; for ReLU the deviation is
    /// O(sqrt(t T / sigma^2)), the cusp of (NK9)).
    func testLowTemperatureFollowsNTK() throws {
        let inputs = try NDKTests.data(), p = inputs.trainCount
        let setting = try NDKSetting(activation: .erf, depth: 2, temperature: 1e-4, priorVariance: 1, initVariance: 0.5)
        let times = [2.0, 20.0]
        let solution = try NDKPredictor(setting: setting, inputs: inputs).solve(times: times, tolerance: 1e-4)
        XCTAssertTrue(solution.converged, "\(solution.maximumError)")
        let kernel = NDKKernel(setting: setting)
        let (ntk, _) = kernel.staticKernels(gram: inputs.trainGram, rows: p, columns: p, rowNorms: inputs.trainDiagonal, columnNorms: inputs.trainDiagonal, variance: 0.5)
        let (cross, _) = kernel.staticKernels(gram: inputs.crossGram, rows: 1, columns: p, rowNorms: inputs.testDiagonal, columnNorms: inputs.trainDiagonal, variance: 0.5)
        let (mu, v) = try XCTUnwrap(LinearAlgebra.symmetricEigen(ntk, n: p))
        for (k, t) in times.enumerated() {
            var train = [Double](repeating: 0, count: p), test = 0.0
            for e in 0..<p {
                let proj = (0..<p).reduce(0) { $0 + v[$1 * p + e] * inputs.labels[$1] } * (1 - exp(-mu[e] * t))
                for a in 0..<p { train[a] += v[a * p + e] * proj }
                test += (0..<p).reduce(0) { $0 + cross[$1] * v[$1 * p + e] } * proj / mu[e]
            }
            for a in 0..<p { XCTAssertEqual(solution.train[k][a], train[a], accuracy: 3e-3 * abs(train[a]) + 1e-5, "t = \(t)") }
            XCTAssertEqual(solution.test[k][0], test, accuracy: 3e-3 * abs(test) + 1e-5, "t = \(t)")
        }
    }

    /// (NK13): at t >> sigma^2/T the mean predictor is the NNGP posterior mean k^T (K + T I)^{-1} y
    /// (ReLU and erf, L = 1, sigma_0^2/sigma^2 = 1/2; t = 15 sigma^2/T).
    func testLongTimeIsNNGPPosteriorMean() throws {
        let inputs = try NDKTests.data()
        for activation in [Activation.relu, .erf] {
            let setting = try NDKSetting(activation: activation, depth: 1, temperature: 0.5, priorVariance: 1, initVariance: 0.5)
            let eq = try NDKEquilibria(setting: setting, inputs: inputs)
            let solution = try NDKPredictor(setting: setting, inputs: inputs).solve(times: [0.5, 2, 8, 30], tolerance: 1e-3, maximumSteps: 16)
            XCTAssertTrue(solution.converged, "\(solution.maximumError)")
            let err = solution.maximumError + 1e-5
            for a in 0..<inputs.trainCount { XCTAssertEqual(solution.train[3][a], eq.nngpTrain[a], accuracy: err, "\(activation)") }
            XCTAssertEqual(solution.test[3][0], eq.nngpTest[0], accuracy: err, "\(activation)")
            // and the plateaus differ, so the check can fail
            XCTAssertGreaterThan(abs(eq.ntkTest[0] - eq.nngpTest[0]), 1e-3)
        }
    }

    /// (NK16): long after the readout is frozen at equilibrium, ReLU keeps sigma^2 m(x) m^T (K + T I)^{-1} y
    /// (the input norms survive) and erf loses everything.
    func testDriftLimit() throws {
        let inputs = try NDKTests.data()
        for activation in [Activation.relu, .erf] {
            let setting = try NDKSetting(activation: activation, depth: 1, temperature: 0.5, priorVariance: 1, initVariance: 1)
            let eq = try NDKEquilibria(setting: setting, inputs: inputs)
            let predictor = NDKPredictor(setting: setting, inputs: inputs)
            let solution = try predictor.solve(times: [1, 5, 30], tolerance: 1e-3, maximumSteps: 16)
            let drift = try NDKDrift(predictor: predictor, trajectory: solution, freezeIndex: 2, times: [30, 90])
            // at t = t0 the drift output is the predictor itself
            for a in 0..<inputs.trainCount { XCTAssertEqual(drift.train[0][a], solution.train[2][a], accuracy: 1e-12) }
            let err = solution.maximumError + 1e-5
            for a in 0..<inputs.trainCount { XCTAssertEqual(drift.train[1][a], eq.driftLimitTrain[a], accuracy: err, "\(activation)") }
            XCTAssertEqual(drift.test[1][0], eq.driftLimitTest[0], accuracy: err)
            if activation == .erf { XCTAssertEqual(eq.driftLimitTest[0], 0) } else { XCTAssertGreaterThan(abs(eq.driftLimitTest[0]), 1e-2) }
        }
    }
}
