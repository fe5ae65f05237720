import XCTest
import Core
import Theory
import Simulation
@testable import Studies

/// The pseudo-transient continuation of the layered populations (notes/antk-nonlinear-data.md (AN14))
/// against forward Euler and against the exact deep-linear aNTK.
final class ANTKImplicitStepperTests: XCTestCase {
    /// (AN14)(i): identity, L = 2, the setting of (AN13)(i): the implicit run is stationary (RMS velocity
    /// below 1e-8), and f.y/|y|^2 of the mean NTK's kernel predictor equals the exact deep-linear aNTK
    /// (notes/antk-deep-linear.md (A11)) to 1e-3 relative, as the forward-Euler run does.
    func testImplicitIdentityRunReachesTheExactDeepLinearFixedPoint() throws {
        let data = try LabelledData.synthetic(train: 6, test: 1, dimension: 10, seed: 3)
        var problem = ANTKPopulationStudy.Problem(data: data, activation: .identity, gamma: 2, lambda: 0.5)
        problem.depth = 2
        problem.population = 128
        problem.seeds = 2
        problem.time = 80
        problem.stepper = .implicit
        let r = try ANTKPopulationStudy.run(problem)
        let y = data.labels
        let exact = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: data.trainKernel(), labels: y, gamma: 2, lambda: 0.5, depth: 2))
        let top = try XCTUnwrap(exact.filter { !$0.isCollapse }.max { $0.fDotY < $1.fDotY })
        XCTAssertEqual(r.stationaryRuns, 2, r.unconverged ?? "")
        XCTAssertLessThan(r.predictorIdentityResidual, 1e-5)
        let n = data.count, p = data.trainCount
        let f = try XCTUnwrap(ANTKKernelAlgebra.predictor(ntk: r.ntk, count: n, trainCount: p, labels: y, ridge: 3 * 0.5))
        let fDotY = zip(f, y).reduce(0.0) { $0 + $1.0 * $1.1 } / y.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(fDotY, top.fDotY, accuracy: 1e-3 * abs(top.fDotY))
    }

    /// (AN14)(ii): ReLU on the digits (P = 8, Q = 2, gamma = 1, lambda = 1/5: a nontrivial fixed point,
    /// train loss 0.03), L = 1 and L = 2, 2 populations of 64, T = 40, the same seeds (at L = 2 the same start;
    /// at L = 1 Euler runs the two-layer population, whose start is sampled differently): the train loss,
    /// every layer's overlap and alignment and the test predictions agree within 4 combined standard errors
    /// plus 1e-3 relative (the runs end at RMS velocities up to 1e-4, a distance O(velocity / lambda) from
    /// the fixed point).
    func testImplicitAndEulerReachTheSameReLUFixedPoint() throws {
        let data = try ANBKStudyTests.digits(train: 8, test: 2)
        for depth in 1...2 {
            var problem = ANTKPopulationStudy.Problem(data: data, activation: .relu, gamma: 1, lambda: 0.2)
            problem.depth = depth
            problem.population = 64
            problem.seeds = 2
            problem.time = 40
            problem.stepper = .euler
            let euler = try ANTKPopulationStudy.run(problem)
            problem.stepper = .implicit
            let implicit = try ANTKPopulationStudy.run(problem)
            func agree(_ a: Estimate, _ b: Estimate, _ what: String) {
                let tolerance = 4 * (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot() + 1e-3 * abs(a.value)
                XCTAssertEqual(a.value, b.value, accuracy: tolerance, "L = \(depth): \(what)")
            }
            agree(euler.trainLoss["antk"]!, implicit.trainLoss["antk"]!, "train loss")
            for l in 0..<depth {
                agree(euler.overlap[l], implicit.overlap[l], "overlap \(l + 1)")
                agree(euler.alignment[l], implicit.alignment[l], "alignment \(l + 1)")
            }
            for (j, (a, b)) in zip(euler.predictions, implicit.predictions).enumerated() { agree(a, b, "test prediction \(j)") }
            XCTAssertGreaterThan(euler.trainLoss["antk"]!.value, 0.01)
            XCTAssertLessThan(euler.trainLoss["antk"]!.value, 0.1)
        }
    }
}
