import XCTest
@testable import Studies

/// The branch check of the layered populations (notes/antk-nonlinear-data.md (AN18)).
final class ANTKBranchCheckTests: XCTestCase {
    static let labels: [Double] = [1, -1, 1, -1]   // |y| = 2

    /// Populations whose predictions differ by less than the threshold form one branch: the within distance is the
    /// largest pairwise |f_k - f_l| / |y| (here |(0.1, 0, 0, 0)| / 2 = 0.05), nothing between.
    func testScatterBelowTheThresholdIsOneBranch() {
        let f: [[Double]] = [[0.9, -0.9, 0.9, -0.9], [0.95, -0.9, 0.9, -0.9], [0.85, -0.9, 0.9, -0.9]]
        let check = ANTKBranchCheck(predictions: f, labels: Self.labels)
        XCTAssertFalse(check.mixed)
        XCTAssertEqual(check.branches.count, 1)
        XCTAssertEqual(check.branches[0].kind, "nontrivial")
        XCTAssertEqual(check.branches[0].populations, [1, 2, 3])
        XCTAssertEqual(check.largestWithin, 0.05, accuracy: 1e-15)
        XCTAssertNil(check.smallestBetween)
        // mean train loss: (4 * 0.01 + (0.0025 + 3 * 0.01) + (0.0225 + 3 * 0.01)) / 4 / 3
        XCTAssertEqual(check.branches[0].trainLoss, (0.04 + 0.0325 + 0.0525) / 12, accuracy: 1e-15)
    }

    /// Two populations collapsed to f = 0 and two at a fit: two branches, named by kind, with their populations and
    /// losses (collapse: the loss of f = 0, mean y^2 = 1), the between distance |f_fit| / |y| = 0.9 and the within
    /// distance that of the two collapsed ones, |(1e-9, 0, 0, -1e-9)| / 2.
    func testCollapsedAndFittedPopulationsAreTwoBranches() {
        let fit: [Double] = [0.9, -0.9, 0.9, -0.9], zero: [Double] = [1e-9, 0, 0, -1e-9]
        let check = ANTKBranchCheck(predictions: [fit, zero, fit, [0, 0, 0, 0]], labels: Self.labels)
        XCTAssertTrue(check.mixed)
        XCTAssertEqual(check.branches.map(\.kind), ["nontrivial", "collapse"])
        XCTAssertEqual(check.branches.map(\.populations), [[1, 3], [2, 4]])
        XCTAssertEqual(check.branches[0].trainLoss, 0.01, accuracy: 1e-15)
        XCTAssertEqual(check.branches[1].trainLoss, 1, accuracy: 1e-8)
        XCTAssertEqual(check.smallestBetween ?? 0, 0.9, accuracy: 1e-8)
        XCTAssertEqual(check.largestWithin, 1e-9 * 2.0.squareRoot() / 2, accuracy: 1e-15)
        XCTAssertTrue(check.summary.hasPrefix("2 branches: nontrivial populations 1, 3 (train loss 0.01); collapse (f = 0) populations 2, 4"), check.summary)
    }

    /// Single linkage: a chain of pairs within the threshold is one branch even when its ends are farther apart
    /// (0 -> 0.08 -> 0.16 relative to |y|), and a population beyond the threshold from all others is its own branch.
    func testChainsJoinAndAnOutlierSplits() {
        func f(_ shift: Double) -> [Double] { [0.9 + 2 * shift, -0.9, 0.9, -0.9] }
        let chained = ANTKBranchCheck(predictions: [f(0), f(0.08), f(0.16)], labels: Self.labels)
        XCTAssertFalse(chained.mixed)
        XCTAssertEqual(chained.largestWithin, 0.16, accuracy: 1e-12)
        let split = ANTKBranchCheck(predictions: [f(0), f(0.08), f(0.3)], labels: Self.labels)
        XCTAssertEqual(split.branches.map(\.populations), [[1, 2], [3]])
        XCTAssertEqual(split.smallestBetween ?? 0, 0.22, accuracy: 1e-12)
        XCTAssertEqual(split.branches.map(\.kind), ["nontrivial", "nontrivial"])
    }

    /// Only the populations at a fixed point are checked, under their own numbers: populations 2 and 4 of a run
    /// whose 1 and 3 are still moving form the branches; with none at a fixed point there is no branch and no split.
    func testPopulationsKeepTheirNumbersAndNoneMeansNoBranch() {
        let fit: [Double] = [0.9, -0.9, 0.9, -0.9]
        let check = ANTKBranchCheck(predictions: [fit, [0, 0, 0, 0]], populations: [2, 4], labels: Self.labels)
        XCTAssertEqual(check.branches.map(\.populations), [[2], [4]])
        XCTAssertTrue(check.mixed)
        let none = ANTKBranchCheck(predictions: [], populations: [], labels: Self.labels)
        XCTAssertTrue(none.branches.isEmpty)
        XCTAssertFalse(none.mixed)
        XCTAssertEqual(none.largestWithin, 0)
        XCTAssertNil(none.smallestBetween)
        // Labels all zero leave no scale: the distances are absolute, |(0.3, 0.4)| = 0.5.
        let unscaled = ANTKBranchCheck(predictions: [[0, 0], [0.3, 0.4]], labels: [0, 0])
        XCTAssertEqual(unscaled.smallestBetween ?? 0, 0.5, accuracy: 1e-15)
        XCTAssertEqual(unscaled.branches.map(\.kind), ["collapse", "nontrivial"])
    }
}
