import Foundation
import XCTest
@testable import Asymptotics

final class LeadingFormsTests: XCTestCase {
    func testLambertW() {
        // W(1) = Omega = 0.567143290409783872999968662210...
        XCTAssertEqual(lambertW(1), 0.5671432904097838, accuracy: 2e-16)
        XCTAssertEqual(lambertW(exp(1)), 1, accuracy: 1e-15)
        for x in [1e-8, 0.3, 2.0, 10.0, 1e3, 1e100] {
            let w = lambertW(x)
            XCTAssertEqual(w * exp(w) / x, 1, accuracy: 1e-13, "x = \(x)")
        }
        XCTAssertEqual(logLambertWOfExp(log(1e3)), log(lambertW(1e3)), accuracy: 1e-14)
        // ln W(e^1000): w + ln w = 1000.
        let v = logLambertWOfExp(1000)
        XCTAssertEqual(exp(v) + v, 1000, accuracy: 1e-10)
    }

    func testTheoryDeepExample() {
        // notes/theory-overview.md (T13): gamma = 1, L = 1000: paper form 144.8, Lambert form 190.5 (exact 190.05 at b = 0.01).
        let paper = exp(LeadingForms.deepLogOverlapPaper(logGammaSquared: 0, depth: 1000))
        let lambert = exp(LeadingForms.deepLogOverlapLambert(logGammaSquared: 0, depth: 1000))
        XCTAssertEqual(paper, 144.76, accuracy: 0.01)
        XCTAssertEqual(lambert, 190.5, accuracy: 0.05)
    }

    func testLazyAndRichForms() {
        XCTAssertEqual(exp(LeadingForms.lazyLogExcess(logGammaSquared: log(1e-6), ridge: 0.1, depth: 4)), 4e-6 / 1.21, accuracy: 1e-18)
        // gamma = 1e50: ln c = (L/(L+1)) ln g stays finite.
        XCTAssertEqual(LeadingForms.richLogOverlap(logGammaSquared: 100 * log(10), depth: 3), 75 * log(10), accuracy: 1e-9)
    }
}
