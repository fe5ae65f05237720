import XCTest
@testable import Core
import Numerics
@testable import Theory

/// The inputs an independent audit found crashing or giving up (notes/exactness-audit.md), solved by
/// the library with real values: references from notes/checks/robustness_references.py (mpmath).
final class RobustnessTheoryTests: XCTestCase {
    func r(_ text: String) -> BigRational { try! BigRational(parsing: text) }

    /// The reference (35 digits) lies in the enclosure widened by `slack` relative, and the
    /// enclosure decides `digits` digits.
    func assertEncloses(_ x: Interval, _ reference: String, digits: Int = 30, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        let value = r(reference)
        let slack = (value.signum < 0 ? -value : value) * r("1e-33")
        XCTAssertLessThanOrEqual(x.lower.rational - slack, value, what, file: file, line: line)
        XCTAssertGreaterThanOrEqual(x.upper.rational + slack, value, what, file: file, line: line)
        XCTAssertNotNil(x.certifiedDecimal(significantDigits: digits), what, file: file, line: line)
    }

    func antk(_ gamma: String, _ lambda: String, _ depth: Int, digits: Int = 30) throws -> WhitenedANTKSolution {
        try WhitenedANTKSolver().solve(WhitenedANTKProblem(gamma: r(gamma), lambda: r(lambda), depth: depth), digits: digits)
    }

    /// gamma = lambda, L = 1: the collapse eigenvalue gamma − lambda is exactly 0 (it crashed the CLI).
    func testCollapseEigenvalueIsExactZero() throws {
        let s = try antk("0.1", "0.1", 1)
        let mu = s.fixedPoints[0].stability.decidingEigenvalue
        XCTAssertTrue(mu.isPoint && mu.lower.isZero)
        let critical = try ANTKPhase().critical(lambda: r("0.1"), depth: 1)
        XCTAssertEqual(critical.gamma.certifiedDecimal(significantDigits: 30)?.text, "0.100000000000000000000000000000")
    }

    /// gamma − lambda = −1e-21 and +1e-20: formed exactly, the eigenvalue prints 30 digits.
    func testCollapseEigenvalueWithoutCancellation() throws {
        let below = try antk("0.999999999999999999999", "1", 1)
        XCTAssertEqual(below.fixedPoints[0].stability.decidingEigenvalue.certifiedDecimal(significantDigits: 30)?.text,
                       "-1.00000000000000000000000000000e-21")
        let above = try antk("100000000000000000001/100000000000000000000", "1", 1)
        XCTAssertEqual(above.fixedPoints.map(\.kind), [.collapse, .upper])
        // u = (gamma − lambda)/gamma = 1e-20/(1 + 1e-20) = 9.9999999999999999999e-21 (exactly 0.99...99 e-20, twenty 9s).
        assertEncloses(above.fixedPoints[1].fDotY, "9.9999999999999999999e-21", "u")
    }

    /// Depth 100, gamma far above gamma_c: the root refinement used to stall (linear Newton on alpha^200).
    func testDeepSteepTrinomialConverges() throws {
        let s = try antk("1000", "1", 100)
        XCTAssertEqual(s.fixedPoints.map(\.kind), [.collapse, .lower, .upper])
        assertEncloses(s.fixedPoints[2].fDotY, "0.99999885341454379899105991234698855", "u upper")
        assertEncloses(s.fixedPoints[2].a, "872153.79194486580830901014975126223", "a upper")
    }

    /// gamma = 1e200 with C = I, y = (1, 0): the grid used Doubles and trapped; u = 2.154...e133.
    func testGeneralSolverAtHugeGamma() throws {
        let p = try ExactKernelProblem(inputKernel: ["1", "0", "0", "1"].map(r), labels: ["1", "0"].map(r), gamma: r("1e200"),
                                       beta: InverseTemperature(parsing: "1"), depth: 2)
        let s = try CertifiedGeneralKernelSolver().solve(p, digits: 30)
        XCTAssertEqual(s.roots.count, 1)
        assertEncloses(s.roots[0].u, "2.1544346900318837217592935665193505e133", "u")
    }

    /// Rank-one C = ((1,1),(1,1)), y = (1, 2), gamma = 189, beta = 649, L = 851: the root bound
    /// u (1+u)^L <= g y^T C^+ y (pseudo-inverse) keeps t moderate (exit 3 before, the factorization
    /// budget spent at t = (1 + g |y|^2/(4b))^851). Reference: E(u) = u − g t 9/(2t + b)^2, mpmath bisection.
    func testSingularKernelRootBound() throws {
        let p = try ExactKernelProblem(inputKernel: ["1", "1", "1", "1"].map(r), labels: ["1", "2"].map(r), gamma: r("189"),
                                       beta: InverseTemperature(parsing: "649"), depth: 851)
        let s = try CertifiedGeneralKernelSolver().solve(p, digits: 30)
        XCTAssertEqual(s.roots.count, 1)
        assertEncloses(s.roots[0].u, "0.018145908728385279186003439856443009", "u")
        XCTAssertEqual(ExactKernelProblem.pseudoInverseQuadratic(["1", "1", "1", "1"].map(r), ["1", "2"].map(r), n: 2), r("9/4"))
    }

    /// P = 1: C = (2), y = (1), gamma = 2, beta = 1, L = 2.
    func testGeneralSolverOnePoint() throws {
        let p = try ExactKernelProblem(inputKernel: [r("2")], labels: [r("1")], gamma: r("2"), beta: InverseTemperature(parsing: "1"), depth: 2)
        let s = try CertifiedGeneralKernelSolver().solve(p, digits: 30)
        XCTAssertEqual(s.roots.count, 1)
        assertEncloses(s.roots[0].u, "0.563763070689187656213504613384015", "u")
        XCTAssertNotNil(s.roots[0].spike.certifiedDecimal(significantDigits: 30))
    }

    /// Two roots 2e-34 (relative ~3e-33) apart next to a third: the whitened overlap solver and the
    /// general solver with C = I, y = (1, 0) both certify all three (they exited 3 before).
    func testNearDoubleRootBothSolvers() throws {
        let gamma = "772531541740654344171300337597704597698605967029858963663819219033116868414118198583/5000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        let references = ["0.067069797125697162594803329150494854", "0.067069797125697162594803329150691411", "0.88306007167482470876813972743717524"]
        let whitened = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: r(gamma), beta: InverseTemperature(parsing: "1/1000"), depth: 16), digits: 30)
        XCTAssertEqual(whitened.roots.count, 3)
        for (root, reference) in zip(whitened.roots, references) { assertEncloses(-root.chi, reference, "whitened u") }
        let p = try ExactKernelProblem(inputKernel: ["1", "0", "0", "1"].map(r), labels: ["1", "0"].map(r), gamma: r(gamma),
                                       beta: InverseTemperature(parsing: "1/1000"), depth: 16)
        let general = try CertifiedGeneralKernelSolver().solve(p, digits: 30)
        XCTAssertEqual(general.roots.count, 3)
        for (root, reference) in zip(general.roots, references) { assertEncloses(root.u, reference, "general u") }
    }

    /// Listing every layer at depth 10^9 is refused before any allocation.
    func testAllLayersRefusedBeforeAllocating() throws {
        let p = try WhitenedProblem(gamma: r("2"), beta: InverseTemperature(parsing: "1"), depth: 1_000_000_000)
        XCTAssertThrowsError(try WhitenedOverlapSolver().solve(p, digits: 10, layers: .all)) { error in
            XCTAssertEqual(error as? TheoryInputError, .tooManyLayers(1_000_000_000, maximum: LayerSelection.maximumListedLayers))
        }
    }

    /// The listed layers' printed digits are bounded too: 10^5 layers at 5000 digits (5e8 characters) are refused.
    func testLayerDigitsBudget() throws {
        let p = try WhitenedProblem(gamma: r("2"), beta: InverseTemperature(parsing: "1"), depth: 100_000)
        XCTAssertEqual(LayerSelection.maximumListed(digits: 5000), 10_000)
        XCTAssertThrowsError(try WhitenedOverlapSolver().solve(p, digits: 5000, layers: .all)) { error in
            XCTAssertEqual(error as? TheoryInputError, .tooManyLayers(100_000, maximum: 10_000))
        }
        // The automatic choice falls back to 1, 2, 4, ..., 65536 and L.
        XCTAssertEqual(LayerSelection.automatic(depth: 100_000, digits: 5000).resolved(depth: 100_000), (0...16).map { 1 << $0 } + [100_000])
    }

    /// The end point's kind: estimated when it rests on the DMFT tau*_L, certified only from exact inputs.
    func testEndPointKinds() throws {
        XCTAssertEqual(try antk("3", "1", 1).endPoint.kind, .certified)
        XCTAssertEqual(try antk("1", "1", 2).endPoint.kind, .certified)
        XCTAssertEqual(try antk("16", "16", 2, digits: 10).endPoint.kind, .estimated)
        XCTAssertEqual(try antk("3", "1", 9, digits: 10).endPoint.kind, .approximate)
    }
}
