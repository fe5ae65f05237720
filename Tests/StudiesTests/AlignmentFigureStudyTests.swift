import XCTest
import Core
@testable import Studies

/// `plot alignment`'s study (notes/antk-nonlinear-data.md (AN12), (AN13)).
final class AlignmentFigureStudyTests: XCTestCase {
    /// (AN12): a trained width-64 ReLU network (L = 2, synthetic P = 10), its neurons perturbed by 30%,
    /// relax back: every layer's kernel distance to the network's falls to under half its start and the
    /// relaxed alignments are within 0.05 of the network's.
    func testPerturbedNetworkKernelsRelaxBack() throws {
        let data = try LabelledData.synthetic(train: 10, test: 0, dimension: 12, seed: 4)
        var problem = AlignmentFigureStudy.Problem(data: data, activation: .relu, depth: 2, gammas: [1], lambda: 0.1, points: 10)
        problem.width = 64
        problem.time = 30
        problem.perturbation = 0.3
        let s = try XCTUnwrap(AlignmentFigureStudy.stabilityCheck(problem, data: data, gamma: 1, epsilon: 0.3))
        XCTAssertEqual(s.distances.count, 17)
        for l in 0..<2 {
            XCTAssertGreaterThan(s.distances[0][l], 0.05, "the perturbation moves layer \(l + 1)'s kernel")
            XCTAssertLessThan(s.distances.last![l], 0.5 * s.distances[0][l], "layer \(l + 1) returns")
            XCTAssertEqual(s.relaxedAlignment[l], s.networkAlignment[l], accuracy: 0.05)
        }
    }
}
