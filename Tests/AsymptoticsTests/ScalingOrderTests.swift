import XCTest
import Numerics
@testable import Asymptotics

/// For each regime and K = 1..4 the measured convergence order matches the
/// predicted one within 5% over a decade of the small parameter, exact values at 60 digits.
final class ScalingOrderTests: XCTestCase {
    func q(_ text: String) -> BigRational { try! BigRational(parsing: text) }

    func assertOrdersAgree(_ study: ScalingStudy, columns: [Int], tolerance: Double = 0.05,
                           file: StaticString = #filePath, line: UInt = #line) {
        for column in columns {
            guard let measured = study.measuredOrders[column], let predicted = study.predictedOrders[column] else {
                XCTFail("column \(study.labels[column]) has no order", file: file, line: line); continue
            }
            XCTAssertEqual(measured / predicted, 1, accuracy: tolerance,
                           "\(study.request.regime) \(study.labels[column]): measured \(measured), predicted \(predicted)",
                           file: file, line: line)
        }
    }

    func testLazyOrders() throws {
        let study = try ScalingStudy(ScalingRequest(regime: .lazy, gamma: q("0.01"), ridge: q("1/10"), depth: 4, order: 4))
        XCTAssertEqual(study.predictedOrders, [4, 6, 8, 10])
        assertOrdersAgree(study, columns: [0, 1, 2, 3])
        // b = 1, L = 1: a_2 = 0, so K = 1 converges with order 6 in gamma (K' = 2, Z15).
        let special = try ScalingStudy(ScalingRequest(regime: .lazy, gamma: q("0.01"), ridge: .one, depth: 1, order: 2))
        XCTAssertEqual(special.predictedOrders, [6, 6])
        assertOrdersAgree(special, columns: [0, 1])
        // A middle layer, c_2 of L = 4.
        let layer = try ScalingStudy(ScalingRequest(regime: .lazy, gamma: q("0.01"), ridge: q("1/10"), depth: 4, order: 4, layer: 2))
        assertOrdersAgree(layer, columns: [0, 1, 2, 3])
    }

    func testRichOrders() throws {
        let study = try ScalingStudy(ScalingRequest(regime: .rich, gamma: q("1e10"), ridge: q("1/10"), depth: 3, order: 4))
        XCTAssertEqual(study.predictedOrders, [0.5, 1, 1.5, 2, 2.5])
        assertOrdersAgree(study, columns: [1, 2, 3, 4])
        // b = 0, L = 1: d_3 = 0 shifts K = 2 to order 4 (R16).
        let zero = try ScalingStudy(ScalingRequest(regime: .rich, gamma: q("1e10"), ridge: .zero, depth: 1, order: 4))
        XCTAssertEqual(zero.predictedOrders, [1, 2, 4, 4, 6])
        assertOrdersAgree(zero, columns: [1, 2, 3, 4])
    }

    func testDeepOrders() throws {
        let study = try ScalingStudy(ScalingRequest(regime: .deep, gamma: .one, ridge: q("0.01"), depth: 10_000, order: 4))
        // Columns 2... are the Lambert form (n = 0) and its corrections n = 1..4.
        assertOrdersAgree(study, columns: [3, 4, 5, 6])
        for column in 3...6 {
            // The approach to the integer n+1 is logarithmically slow (D13): about W/(1+W) of it.
            XCTAssertEqual(study.predictedOrders[column]!, Double(column - 1) * 0.9, accuracy: 0.1 * Double(column - 1))
        }
    }

    func testJointOrders() throws {
        let study = try ScalingStudy(ScalingRequest(regime: .joint, gamma: .one, ridge: q("0.01"), depth: 100, order: 4))
        XCTAssertEqual(study.kappa, BigRational(100))
        XCTAssertEqual(study.predictedOrders, [1, 2, 3, 4, 5])
        assertOrdersAgree(study, columns: [1, 2, 3, 4])
    }
}
