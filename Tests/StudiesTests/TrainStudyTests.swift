import XCTest
import Core
import Theory
import Numerics
@testable import Studies

/// The finite-width baseline (notes/training-baseline.md) against exact values it must reproduce.
final class TrainStudyTests: XCTestCase {
    /// Identity, L = 1, whitened data, lambda = 1, gamma = 2: gradient flow ends at the stable root
    /// f.y/|y|^2 = 1 - lambda/gamma = 1/2 (notes/antk-deep-linear.md (A8)); at width N the mean over
    /// seeds lies within 4 standard errors plus a 4/N finite-width allowance (TB5).
    func testLinearTwoLayerFlowEndsAtTheExactFixedPoint() throws {
        let y = [0.5, 0.5, 0.5, 0.5]
        let data = try LabelledData.whitened(labels: y)
        let width = 128
        var problem = TrainStudy.Problem(data: data, activation: .identity, depth: 1, width: width, gamma: 2,
                                         rule: .gradientFlow(lambda: 1), seeds: 4, seed: 3, time: 60)
        problem.tolerance = 1e-7
        let r = try TrainStudy.run(problem)
        XCTAssertEqual(r.stationaryRuns, 4, r.unconverged ?? "")
        XCTAssertFalse(r.predictionsAreTest)
        // f.y / |y|^2 with |y| = 1, from the mean training predictions.
        let fDotY = zip(r.predictions, y).reduce(0.0) { $0 + $1.0.value * $1.1 }
        let se = zip(r.predictions, y).reduce(0.0) { $0 + $1.0.standardError * abs($1.1) }
        XCTAssertEqual(fDotY, 0.5, accuracy: 4 * se + 4.0 / Double(width))
        // A wrong exact value (5% off) is outside that band: the check can fail.
        XCTAssertGreaterThan(abs(fDotY - 0.525), 4 * se + 4.0 / Double(width) - 0.02)
        // Train loss (T25) of f = 0.5 y: mean over points of (0.5 y_mu)^2 = 0.0625 / 4... = |y/2|^2 / P.
        XCTAssertEqual(r.trainLoss!.value, 0.25 * 0.25, accuracy: 0.01)
    }

    /// Small gamma, L = 1, ReLU: the first-layer kernel stays at its lazy value, E Phi^1 = the
    /// arc-cosine NNGP of C exactly at initialisation, so its overlap agrees within 4 se + O(gamma)
    /// + the shrinkage 2 lambda T of the weight decay over the run (which, for gamma < lambda, would
    /// eventually collapse the network: notes/theory-overview.md (T18); hence lambda T small here).
    func testLazyLimitKeepsTheNNGPKernel() throws {
        let data = try LabelledData.synthetic(train: 6, test: 2, dimension: 8, seed: 5)
        let gamma = 0.01
        let problem = TrainStudy.Problem(data: data, activation: .relu, depth: 1, width: 512, gamma: gamma,
                                         rule: .gradientFlow(lambda: 1e-4), seeds: 4, seed: 9, time: 5)
        let r = try TrainStudy.run(problem)
        let c = data.trainKernel(), p = data.trainCount
        let diagonal = (0..<p).map { c[$0 * p + $0] }
        let nngp = LazyKernels.kernels(input: c, rows: p, columns: p, rowDiagonal: diagonal, columnDiagonal: diagonal,
                                       depth: 1, activation: .relu, symmetric: true).nngp
        let y = data.labels
        var q = 0.0
        for i in 0..<p { for j in 0..<p { q += y[i] * nngp[i * p + j] * y[j] } }
        let lazy = q / y.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(r.overlap[0].value, lazy, accuracy: 4 * r.overlap[0].standardError + (10 * gamma + 2 * 1e-4 * 5) * lazy)
        XCTAssertNotNil(r.testLoss)
        XCTAssertEqual(r.predictions.count, 2)
    }

    /// Posterior sampling (TB4), identity, L = 1, whitened P = 3, gamma = 1, beta = 10: the mean
    /// overlap of width-64 chains agrees with the certified c_1 = 1.5646421072... within 4 se plus
    /// a 2 c/N finite-width allowance.
    func testPosteriorChainsAgreeWithTheCertifiedOverlap() throws {
        let r3 = Double(3).squareRoot()
        let x = [r3, 0, 0, 0, r3, 0, 0, 0, r3]
        let data = try LabelledData(train: x, labels: [1, 0, 0], dimension: 3)
        var problem = TrainStudy.Problem(data: data, activation: .identity, depth: 1, width: 64, gamma: 1,
                                         rule: .posterior(beta: 10), seeds: 4, seed: 2, time: 200)
        problem.burnIn = 50
        let r = try TrainStudy.run(problem)
        let exact = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: BigRational(1), beta: InverseTemperature(parsing: "10"), depth: 1), digits: 20)
            .dominant!.overlap.midpoint.doubleApproximation
        XCTAssertEqual(exact, 1.5646421072, accuracy: 1e-9)
        XCTAssertEqual(r.overlap[0].value, exact, accuracy: 4 * r.overlap[0].standardError + 2 * exact / 64)
        XCTAssertNil(r.trainLoss)
    }

    func testBadInputIsRefused() throws {
        let data = try LabelledData.whitened(labels: [1, 0, 0])
        let good = TrainStudy.Problem(data: data, activation: .relu, depth: 1, width: 16, gamma: 1, rule: .gradientFlow(lambda: 1),
                                      seeds: 2, seed: 1, time: 1)
        var p = good; p.seeds = 1
        XCTAssertThrowsError(try TrainStudy.run(p)) { XCTAssertTrue($0 is InputError) }
        p = good; p.rule = .gradientFlow(lambda: 0)
        XCTAssertThrowsError(try TrainStudy.run(p)) { XCTAssertTrue($0 is InputError) }
        p = good; p.rule = .posterior(beta: 10); p.width = 4
        XCTAssertThrowsError(try TrainStudy.run(p)) { XCTAssertTrue("\($0)".contains("width")) }
        p = good; p.gamma = -1
        XCTAssertThrowsError(try TrainStudy.run(p)) { XCTAssertTrue($0 is InputError) }
    }
}
