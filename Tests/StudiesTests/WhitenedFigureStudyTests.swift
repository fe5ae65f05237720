import XCTest
@testable import Studies
import Numerics
import Theory

/// The data of the Fig. 2 panels comes from the library: certified values (reference values of
/// notes/theory-overview.md) and the leading forms of Asymptotics.
final class WhitenedFigureStudyTests: XCTestCase {
    func testScalingCurvesCarryTheCertifiedExcessAndTheLeadingForms() throws {
        let beta = InverseTemperature.finite(BigRational(10))
        let figure = try WhitenedFigureStudy.scaling(beta: beta, depths: [1, 4], gammas: [BigRational(1, 100), BigRational(1)])
        XCTAssertEqual(figure.curves.map(\.kind), ["exact", "lazy", "rich", "deep", "exact", "lazy", "rich", "deep"])
        let exactL1 = try XCTUnwrap(figure.curves.first { $0.kind == "exact" && $0.depth == 1 })
        // c_1 - 1 at gamma = 1, beta = 10: 1.564642107233421532... - 1.
        XCTAssertEqual(exactL1.points[1].y, 0.5646421072334215, accuracy: 1e-15)
        let exactL4 = try XCTUnwrap(figure.curves.first { $0.kind == "exact" && $0.depth == 4 })
        XCTAssertEqual(exactL4.points[1].y, 1.981240152385322, accuracy: 1e-14)
        // Lazy form L gamma^2/(1+b)^2 at gamma = 1/100, L = 4, b = 1/10, and the exact excess beside it.
        let lazyL4 = try XCTUnwrap(figure.curves.first { $0.kind == "lazy" && $0.depth == 4 })
        XCTAssertEqual(lazyL4.points[0].y, 4e-4 / 1.21, accuracy: 1e-18)
        XCTAssertEqual(exactL4.points[0].y / lazyL4.points[0].y, 1, accuracy: 1e-3)
    }

    func testDepthCurveEndsOnTheReferenceOverlap() throws {
        let figure = try WhitenedFigureStudy.depth(beta: .finite(BigRational(10)), depth: 4, gammas: ["1"])
        let points = try XCTUnwrap(figure.curves.first?.points)
        XCTAssertEqual(points.map(\.x), [0, 1, 2, 3, 4])
        XCTAssertEqual(points[0].y, 1)
        XCTAssertEqual(points[4].y, 2.981240152385322, accuracy: 1e-14)
        XCTAssertThrowsError(try WhitenedFigureStudy.depth(beta: .finite(BigRational(10)), depth: 1001))
    }
}
