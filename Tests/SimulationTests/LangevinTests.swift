import Theory
import Numerics
import XCTest
@testable import Simulation
@testable import Core

final class LangevinTests: XCTestCase {
    static func settings() -> LangevinSettings {
        var s = LangevinSettings()
        s.timeStep = 0.1
        s.burnInTime = 20
        s.measuredTime = 150
        s.seed = 3
        return s
    }

    func testLinearWhitenedExtrapolatesToCertifiedOverlap() throws {
        let exact = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: BigRational(1), beta: InverseTemperature(parsing: "10"), depth: 2), digits: 20)
        let c = exact.dominant!.overlap.midpoint.doubleApproximation
        let problem = try BayesProblem.whitened(points: 3, gamma: 1, ridge: 0.1, depth: 2)
        let estimate = try LangevinEstimate.compute(problem: problem, widths: [48, 96], settings: Self.settings())
        XCTAssertTrue(estimate.converged, estimate.failure ?? "")
        let result = VerificationCase.against(exact: c, name: "c_L", measured: .init(name: "langevin", estimate: estimate.overlap), failure: estimate.failure)
        XCTAssertEqual(result.verdict, .pass, "\(estimate.overlap) vs \(c)")
        XCTAssertLessThan(estimate.overlap.standardError + estimate.overlap.systematic, 0.1 * c)
    }

    func testTanhAgreesWithMinMax() throws {
        let problem = try SyntheticData.problem(train: 3, test: 1, dimension: 8, gamma: 1, ridge: 0.1, depth: 1, activation: .tanh, seed: 4)
        var mm = MinMaxSolverTests.settings()
        mm.samples = 3000
        let minMax = MinMaxEstimate.compute(problem: problem, settings: mm)
        let langevin = try LangevinEstimate.compute(problem: problem, widths: [48, 96], settings: Self.settings())
        let overlap = VerificationCase.between(.init(name: "minmax", estimate: minMax.overlaps[0]), .init(name: "langevin", estimate: langevin.overlap),
                                               name: "overlap", failure: minMax.failure ?? langevin.failure)
        XCTAssertEqual(overlap.verdict, .pass, "\(minMax.overlaps[0]) vs \(langevin.overlap)")
        let prediction = VerificationCase.between(.init(name: "minmax", estimate: minMax.predictions[0]), .init(name: "langevin", estimate: langevin.predictions[0]),
                                                  name: "prediction", failure: minMax.failure ?? langevin.failure)
        XCTAssertEqual(prediction.verdict, .pass, "\(minMax.predictions[0]) vs \(langevin.predictions[0])")
    }

    func testSameSeedSameChain() throws {
        let problem = try SyntheticData.problem(train: 3, test: 1, dimension: 6, gamma: 1, ridge: 0.1, depth: 2, activation: .relu, seed: 2)
        var s = Self.settings()
        s.width = 24; s.burnInTime = 1; s.measuredTime = 3
        let a = try LangevinNetwork(problem: problem, settings: s).run()
        let b = try LangevinNetwork(problem: problem, settings: s).run()
        XCTAssertNil(a.failure)
        XCTAssertEqual(a.kernelSeries, b.kernelSeries)
        XCTAssertEqual(a.predictionSeries, b.predictionSeries)
    }

    func testWidthMustExceedPointCount() throws {
        let problem = try BayesProblem.whitened(points: 3, gamma: 1, ridge: 0.1, depth: 2)
        var s = Self.settings()
        s.width = 4
        XCTAssertThrowsError(try LangevinNetwork(problem: problem, settings: s))
    }
}
