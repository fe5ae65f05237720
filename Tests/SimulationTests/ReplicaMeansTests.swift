import XCTest
import Numerics
@testable import Core

/// `ReplicaMeans` (notes/anbk-data.md (NB28)-(NB29)): the replica estimate by hand, its coverage on
/// correlated series where the within-run batch means undercover, and its drift test.
final class ReplicaMeansTests: XCTestCase {
    /// Three replicas, worked out by hand: m_r = 2 mean(fine) - mean(coarse) = 4, 4, 0; value 8/3,
    /// standard error sd / sqrt 3 = 4/3 with 2 degrees of freedom, systematic |mean shift| / 4 = 1/12;
    /// half differences h_r = 2, 0, -4, drift |mean h| / (sd(h) / sqrt 3) = 1 / sqrt 7.
    func testReplicaEstimateByHand() {
        let (e, drift) = ReplicaMeans.estimate(coarse: [[1, 3], [2, 2], [0, 4]], fine: [[2, 4], [3, 3], [1, 1]])
        XCTAssertEqual(e.value, 8.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(e.standardError, 4.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(e.systematic, 1.0 / 12, accuracy: 1e-15)
        XCTAssertEqual(e.degreesOfFreedom, 2)
        XCTAssertEqual(drift, 1 / 7.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ReplicaMeans.driftLimit(series: 1, replicas: 8), StudentT.twoSidedQuantile(p: 0.002, dof: 7))
    }

    /// Stationary AR(1) series x_t = phi x_(t-1) + sqrt(1 - phi^2) e_t with phi = 0.9 (integrated
    /// autocorrelation time 19), the coarse run's noise sqrt 2 times the fine run's, around means whose
    /// extrapolation 2 mu_f - mu_c is 1. 8 replicas of 10 measured iterations each: over 400
    /// replications the two-sided 95 % Student t interval (7 degrees of freedom) covers 1 in 367-393 of
    /// them (95 % +- 3 binomial sd), and the 5 % drift test false-alarms in 8-32. The same 80 iterations as
    /// one pair of runs with batch means (20 batches of 4, notes/verify-bayes.md (V15)) cover in fewer than
    /// 85 %: the within-run error is too small when the correlation time exceeds the batch (NB28).
    /// A linear trend of 0.4 per iteration (the halves of a replica 2 apart, against the replicas'
    /// scatter of the half differences of about 1.2) is detected at the 5 % level in at least 75 % of
    /// the replications. Measured: coverage 388, false alarms 19, trend detected 325, batch means 243 of 400.
    func testReplicaErrorCoversCorrelatedSeriesWhereBatchMeansDoNot() {
        let phi = 0.9, replicas = 8, length = 10
        func series(_ seed: UInt64, _ count: Int, scale: Double, mean: Double, trend: Double = 0) -> [Double] {
            let e = NormalSampler.vector(count, seed: seed)
            var x = e[0], out: [Double] = []
            for t in 0..<count {
                if t > 0 { x = phi * x + (1 - phi * phi).squareRoot() * e[t] }
                out.append(mean + scale * x + trend * Double(t))
            }
            return out
        }
        let k = StudentT.twoSidedQuantile(p: 0.05, dof: replicas - 1)
        var covered = 0, alarms = 0, detected = 0, batchCovered = 0
        for replication in 0..<400 {
            let seed = NormalSampler.derive(29, UInt64(replication))
            func make(trend: Double) -> (coarse: [[Double]], fine: [[Double]]) {
                ((0..<replicas).map { series(NormalSampler.derive(seed, UInt64($0), 0), length, scale: 2.0.squareRoot(), mean: 1.4, trend: trend) },
                 (0..<replicas).map { series(NormalSampler.derive(seed, UInt64($0), 1), length, scale: 1, mean: 1.2, trend: trend) })
            }
            let (coarse, fine) = make(trend: 0)
            let (e, drift) = ReplicaMeans.estimate(coarse: coarse, fine: fine)
            XCTAssertEqual(e.degreesOfFreedom, replicas - 1)
            if abs(e.value - 1) <= k * e.standardError { covered += 1 }
            if drift > k { alarms += 1 }
            let trended = make(trend: 0.4)
            if ReplicaMeans.estimate(coarse: trended.coarse, fine: trended.fine).drift > k { detected += 1 }
            // One pair of runs of 80 iterations each, batch means and (V16).
            let c = BatchMeans.estimate(series(NormalSampler.derive(seed, 99, 0), replicas * length, scale: 2.0.squareRoot(), mean: 1.4))
            let f = BatchMeans.estimate(series(NormalSampler.derive(seed, 99, 1), replicas * length, scale: 1, mean: 1.2))
            let se = (4 * f.standardError * f.standardError + c.standardError * c.standardError).squareRoot()
            if abs(2 * f.mean - c.mean - 1) <= StudentT.twoSidedQuantile(p: 0.05, dof: 19) * se { batchCovered += 1 }
        }
        XCTAssertGreaterThanOrEqual(covered, 367, "replica coverage \(covered) of 400")
        XCTAssertLessThanOrEqual(covered, 393, "replica coverage \(covered) of 400")
        XCTAssertGreaterThanOrEqual(alarms, 8, "drift false alarms \(alarms) of 400")
        XCTAssertLessThanOrEqual(alarms, 32, "drift false alarms \(alarms) of 400")
        XCTAssertGreaterThanOrEqual(detected, 300, "trend detected \(detected) of 400")
        XCTAssertLessThan(batchCovered, 340, "batch-means coverage \(batchCovered) of 400")
    }
}
