import XCTest
import Core
import Simulation
@testable import Studies

/// The settling test and the step bound of the layered populations (notes/antk-nonlinear-data.md (AN16)).
final class ANTKSettlingTests: XCTestCase {
    static func settings(time: Double, drift: Double?, maximumSteps: Int? = nil) -> ANTKFlowSettings {
        var s = ANTKFlowSettings(timeStep: 0.1, maximumTime: time, tolerance: 1e-8)
        s.relativeStepLimit = ANTKPopulationStudy.relativeStepLimit
        s.driftTolerance = drift
        // Windows of one weight-decay time, the setting these tests were measured with (AN16); the default of three
        // (AN17) is tested in ANTKDriftWindowTests.
        s.driftWindow = 1
        s.maximumSteps = maximumSteps
        return s
    }

    /// ReLU, L = 2, digits P = 8, Q = 2, gamma = 1, lambda = 1/5, M = 64 (the setting of (AN14)(iii)): the
    /// sites keep a velocity (RMS 6e-5 at T = 80), so the run never meets the velocity tolerance 1e-8; with the
    /// drift tolerance 1e-2 per weight-decay time (windows of 5) it stops as settled before 3/4 of the budget
    /// (measured: t = 37.6, drift 1.6e-3), and its predictions on all points equal the full-budget run's within
    /// the drift tolerance relative to |f| (measured: 1.0e-4). Without the settling test the run goes to T.
    func testReLURunSettlesEarlyAtTheFullRunsAnswer() throws {
        let (long, short) = try Self.fullAndSettling { $0.run($1, $2) }
        XCTAssertFalse(long.stationary, "the chattering run should not meet 1e-8 (RMS velocity \(long.residual))")
        try Self.assertSettledEarly(short, at: long)
    }

    /// The same setting with the implicit stepper (AN14): the settling test ends it as settled (measured:
    /// t = 104, drift 3e-4; past T = 80 because the Newton phase continues while steps halve the velocity),
    /// where the run without it goes on until it meets the velocity tolerance (t = 6561); the two agree within
    /// the drift tolerance relative to |f| (measured: 3.3e-5). Without the test in the implicit loop the two
    /// runs are the same run.
    func testImplicitRunSettlesEarlyAtTheFullRunsAnswer() throws {
        let (long, short) = try Self.fullAndSettling { $0.runImplicit($1, $2) }
        try Self.assertSettledEarly(short, at: long)
    }

    /// The setting of the two tests above, run from the same start without and with the drift tolerance 1e-2.
    static func fullAndSettling(_ relax: (inout ANTKDeepPopulation, LabelledData, ANTKFlowSettings) -> ANTKFlowResult) throws
        -> (long: ANTKFlowResult, short: ANTKFlowResult) {
        let data = try ANBKStudyTests.digits(train: 8, test: 2)
        let start = try ANTKDeepPopulation(size: 64, depth: 2, data: data, gamma: 1, lambda: 0.2, activation: .relu, seed: 11)
        var full = start, settling = start
        return (relax(&full, data, settings(time: 80, drift: nil)), relax(&settling, data, settings(time: 80, drift: 1e-2)))
    }

    /// short settled (drift <= 1e-2) before 3/4 of long's flow time, long did not, and their predictions on all
    /// points agree within 1e-2 relative to |f|.
    static func assertSettledEarly(_ short: ANTKFlowResult, at long: ANTKFlowResult, line: UInt = #line) throws {
        XCTAssertFalse(long.settled, line: line)
        XCTAssertTrue(short.settled, "drift \(short.windowDrift) at t = \(short.time)", line: line)
        XCTAssertLessThanOrEqual(short.windowDrift, 1e-2, line: line)
        XCTAssertLessThan(short.time, 0.75 * long.time, "settled at \(short.time), full run to \(long.time)", line: line)
        let norm = long.predictions.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        let difference = zip(short.predictions, long.predictions).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        XCTAssertLessThan(difference, 1e-2 * norm, line: line)
    }

    /// The step bound stops a run after exactly that many steps, whatever the time budget.
    func testStepBoundStopsTheRun() throws {
        let data = try ANBKStudyTests.digits(train: 8, test: 2)
        var population = try ANTKDeepPopulation(size: 32, depth: 3, data: data, gamma: 1, lambda: 0.2, activation: .relu, seed: 5)
        let r = population.run(data, Self.settings(time: 1000, drift: 1e-3, maximumSteps: 30))
        XCTAssertEqual(r.steps, 30)
        XCTAssertFalse(r.stationary)
        XCTAssertFalse(r.settled)
    }
}
