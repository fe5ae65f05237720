import XCTest
@testable import Simulation

/// The settling test of the layered relaxation (notes/antk-nonlinear-data.md (AN16)).
final class ANTKDriftWindowTests: XCTestCase {
    /// The drift is the largest relative Euclidean change over the observables, measured against the newer
    /// value: (1, 1) -> (1, 2) is 1/sqrt(5); an unchanged observable adds 0; a collapse to 0 is infinite.
    func testDriftIsTheLargestRelativeChange() {
        XCTAssertEqual(ANTKDriftWindow.drift(from: [[3, 4]], to: [[3, 4]]), 0)
        XCTAssertEqual(ANTKDriftWindow.drift(from: [[1, 1], [3, 4]], to: [[1, 2], [3, 4]]), 1 / 5.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ANTKDriftWindow.drift(from: [[0, 0], [2]], to: [[3, 4], [1]]), 1, accuracy: 1e-15)
        XCTAssertEqual(ANTKDriftWindow.drift(from: [[1, 0]], to: [[0, 0]]), .infinity)
    }

    /// Windows of length 1: the first comparison closes with the second window, a drift above the tolerance
    /// resets the count, and two consecutive quiet windows settle. The window means average the samples:
    /// a window that alternates 1 and 3 has mean 2, so a constant 2 next to it is quiet.
    func testTwoQuietWindowsSettleAndALoudOneResets() {
        var window = ANTKDriftWindow(length: 1, tolerance: 0.1)
        func feed(_ values: [Double], from t0: Double) {
            for (j, v) in values.enumerated() { window.record(time: t0 + 0.5 * Double(j), observables: [[v]]) }
        }
        feed([1, 3, 1], from: 0)            // window [0, 1]: samples 1, 3, 1 -> closes at t = 1 with mean 5/3
        XCTAssertEqual(window.drift, .infinity)
        XCTAssertFalse(window.settled)
        feed([2, 2], from: 1.5)             // window (1, 2]: mean 2 -> drift (2 - 5/3) / 2 = 1/6 > 0.1
        XCTAssertEqual(window.drift, 1.0 / 6.0, accuracy: 1e-15)
        XCTAssertEqual(window.quietWindows, 0)
        feed([1, 3], from: 2.5)             // mean 2: drift 0
        XCTAssertEqual(window.drift, 0)
        XCTAssertEqual(window.quietWindows, 1)
        XCTAssertFalse(window.settled)
        feed([2.1, 2.1], from: 3.5)         // drift 0.1 / 2.1 < 0.1
        XCTAssertEqual(window.drift, 0.1 / 2.1, accuracy: 1e-15)
        XCTAssertTrue(window.settled)
        feed([4, 4], from: 4.5)             // a loud window resets
        XCTAssertEqual(window.quietWindows, 0)
        XCTAssertFalse(window.settled)
    }

    /// The default windows (AN17), lambda = 1: an observable that oscillates by 20% with period 0.7 (the chatter)
    /// settles with windows of three weight-decay times at the tolerance 5e-2 (window-mean drift at most 1.8%),
    /// while one that also grows by 3% per weight-decay time (a systematic drift: a factor e^0.9 over t = 30) never
    /// does (window drift at least 7%). Windows of one weight-decay time at 1e-1 (the former default) settle the
    /// growing one at t = 3: its drift per window (3%) hides under the oscillation's (up to 8.7%).
    func testDefaultWindowsSettleAnOscillationButNotADrift() {
        func settledTime(_ signal: (Double) -> Double, weightDecayTimes: Double, tolerance: Double) -> Double? {
            var window = ANTKDriftWindow(length: weightDecayTimes, tolerance: tolerance)
            for j in 0...600 {
                let t = 0.05 * Double(j)
                window.record(time: t, observables: [[signal(t)]])
                if window.settled { return t }
            }
            return nil
        }
        let oscillation = { (t: Double) in 1 + 0.2 * sin(2 * Double.pi * t / 0.7) }
        let drifting = { (t: Double) in exp(0.03 * t) * oscillation(t) }
        let (times, tolerance) = (ANTKDriftWindow.defaultWeightDecayTimes, ANTKDriftWindow.defaultTolerance)
        XCTAssertEqual(times, 3)
        XCTAssertEqual(tolerance, 5e-2)
        let settled = settledTime(oscillation, weightDecayTimes: times, tolerance: tolerance)
        XCTAssertNotNil(settled)
        XCTAssertEqual(settled ?? 0, 9, accuracy: 0.06)
        XCTAssertNil(settledTime(drifting, weightDecayTimes: times, tolerance: tolerance))
        XCTAssertEqual(settledTime(drifting, weightDecayTimes: 1, tolerance: 0.1) ?? 0, 3, accuracy: 0.06)
    }
}
