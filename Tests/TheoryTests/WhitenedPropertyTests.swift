import XCTest
import Numerics
import Simulation
import Studies
@testable import Core
@testable import Theory

/// Structural properties of the whitened solution (notes/whitened-overlaps.md) and agreement with
/// the independent dense-polynomial check (Sturm counts, exact signs) over seeded random inputs.
final class WhitenedPropertyTests: XCTestCase {
    func testRandomRationalInputsAgreeWithSturmAndBracketSignChanges() throws {
        var generator = SeededGenerator(seed: 20_251_122)
        var multiRootCases = 0
        for trial in 0..<60 {
            let gamma = generator.rational(in: 0...40, maxDenominator: 7)
            let beta: InverseTemperature = trial % 7 == 0 ? .infinite
                : .finite(BigRational(Int.random(in: 1...200, using: &generator), Int.random(in: 1...2000, using: &generator)))
            let depth = Int.random(in: 1...6, using: &generator)
            let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 25)
            let check = WhitenedPolynomialCheck(problem)
            let context = "gamma=\(gamma) beta=\(beta) L=\(depth)"
            if gamma.isZero {
                XCTAssertEqual(solution.roots.count, 1, context)
                continue
            }
            XCTAssertEqual(solution.roots.count, check.positiveRootCount, context)
            if solution.roots.count > 1 { multiRootCases += 1 }
            for root in solution.roots {
                XCTAssertTrue(check.bracketsSignChange(root.overlap), context)
                XCTAssertLessThan(root.overlap.log2RelativeWidth, -25 * 3.32, context)
            }
            XCTAssertEqual(solution.roots.filter(\.isDominant).count, 1, context)
        }
        // Large ridge (small beta) makes three roots reachable: the generator must have hit some.
        XCTAssertGreaterThan(multiRootCases, 0)
    }

    func testMultiRootCasesAgreeWithSturm() throws {
        // b > (2L+1)/(L-1) and gamma^2 large: cases around the three-root window.
        for (gamma, beta, depth) in [("316", "1/10000", 10), ("100", "1/1000", 6), ("60", "1/300", 4), ("30", "1/10000", 3), ("1000", "1/100000", 8)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 20)
            let check = WhitenedPolynomialCheck(problem)
            XCTAssertEqual(solution.roots.count, check.positiveRootCount, "gamma=\(gamma) beta=\(beta) L=\(depth)")
            for root in solution.roots { XCTAssertTrue(check.bracketsSignChange(root.overlap)) }
        }
    }

    func testLayerOverlapsArePowersOfOneMinusChi() throws {
        let problem = try WhitenedProblem(gamma: BigRational(parsing: "7/3"), beta: .finite(BigRational(37, 100)), depth: 23)
        let solution = try WhitenedOverlapSolver().solve(problem, digits: 30, layers: .all)
        let root = solution.roots[0]
        let oneMinusChi = Interval(1, precision: root.chi.precision) - root.chi
        for (index, layer) in root.layerOverlaps().enumerated() {
            let direct = oneMinusChi.power(index + 1)
            // Two enclosures of the same number must overlap.
            XCTAssertTrue(layer.lower <= direct.upper && direct.lower <= layer.upper, "layer \(index + 1)")
            XCTAssertEqual(layer.certifiedDecimal(significantDigits: 30), root.layerOverlapDecimals[index])
        }
        // c_L from the layer sequence is the reported overlap.
        XCTAssertEqual(root.layerOverlapDecimals.last, root.overlap.certifiedDecimal(significantDigits: 30))
        // The fixed-point equation c = (1 + g c/(b + c)^2)^L holds on the enclosure, and chi = -g c/(b+c)^2.
        let g = Interval(problem.gammaSquared, precision: 200), b = Interval(problem.ridge, precision: 200)
        let c = root.overlap
        let right = (Interval(1, precision: 200) + g * c / (b + c).squared).power(problem.depth)
        XCTAssertTrue(right.lower <= c.upper && c.lower <= right.upper)
        let chi = -(g * c / (b + c).squared)
        XCTAssertTrue(chi.lower <= root.chi.upper && root.chi.lower <= chi.upper)
    }

    func testLazyLimit() throws {
        // gamma -> 0: c_l - 1 ~ l gamma^2 / (1 + b)^2 (notes/theory-overview.md (T13)), with relative error O(gamma^2).
        for gamma in ["1e-3", "1e-6", "1e-9"] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: .finite(BigRational(10)), depth: 5)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 30, layers: .all)
            let root = solution.roots[0]
            let g = problem.gammaSquared
            for (index, layer) in root.layerOverlaps().enumerated() {
                // leading = l g / (1 + b)^2 exactly, b = 1/10
                let leading = Interval(BigRational(index + 1) * g / BigRational(121, 100), precision: 200)
                let deviation = (layer - 1) / leading - 1
                let bound = BigRational(20) * g
                XCTAssertTrue(deviation.upper.rational < bound && deviation.lower.rational > -bound, "gamma=\(gamma) layer \(index + 1)")
                XCTAssertNotNil(deviation.definiteSign, "the O(gamma^2) correction is resolved")
            }
        }
        let lazy = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: .zero, beta: .infinite, depth: 3), layers: .all)
        XCTAssertEqual(lazy.roots.count, 1)
        XCTAssertEqual(lazy.roots[0].layerOverlapDecimals.map(\.text), Array(repeating: "1.00000000000000000000000000000", count: 3))
    }

    func testDeepNetworkAtAMillionLayers() throws {
        // One root at L = 10^6 (benchmark case); the deep-regime form L g / W(L g) is its scale.
        let problem = try WhitenedProblem(gamma: .one, beta: .finite(BigRational(10)), depth: 1_000_000)
        let solution = try WhitenedOverlapSolver().solve(problem, digits: 30)
        XCTAssertEqual(solution.roots.count, 1)
        let c = solution.roots[0].overlap.midpoint.doubleApproximation
        XCTAssertGreaterThan(c, 1e4)
        XCTAssertLessThan(c, 1e6)
        XCTAssertLessThan(solution.roots[0].overlap.log2RelativeWidth, -30 * 3.32)
    }

    func testBadInputsAreRejected() {
        XCTAssertThrowsError(try WhitenedProblem(gamma: BigRational(-1), beta: .infinite, depth: 1)) {
            XCTAssertEqual($0 as? TheoryInputError, .negativeGamma("-1"))
        }
        XCTAssertThrowsError(try WhitenedProblem(gamma: .one, beta: .finite(.zero), depth: 1))
        XCTAssertThrowsError(try WhitenedProblem(gamma: .one, beta: .finite(BigRational(-2)), depth: 1))
        XCTAssertThrowsError(try WhitenedProblem(gamma: .one, beta: .infinite, depth: 0))
        XCTAssertThrowsError(try WhitenedProblem(gamma: .one, beta: .infinite, depth: -3))
        let problem = try! WhitenedProblem(gamma: .one, beta: .infinite, depth: 2)
        XCTAssertThrowsError(try WhitenedOverlapSolver().solve(problem, digits: 0))
        XCTAssertThrowsError(try WhitenedOverlapSolver().solve(problem, digits: 5001))
        XCTAssertThrowsError(try InverseTemperature(parsing: "hot"))
        XCTAssertEqual(try InverseTemperature(parsing: "INF"), .infinite)
    }
}
