import XCTest
@testable import Core
import Numerics
@testable import Theory

/// The whitened deep linear aNTK (notes/antk-deep-linear.md (A14)–(A21)) against the note's
/// reference table (section 5, mpmath 50 digits) and finite-width simulations (notes/antk-deep-linear.md section 6).
final class ANTKWhitenedTests: XCTestCase {
    func problem(_ gamma: String, _ lambda: String, _ depth: Int) throws -> WhitenedANTKProblem {
        try WhitenedANTKProblem(gamma: BigRational(parsing: gamma), lambda: BigRational(parsing: lambda), depth: depth)
    }

    func solve(_ gamma: String, _ lambda: String, _ depth: Int, digits: Int = 30) throws -> WhitenedANTKSolution {
        try WhitenedANTKSolver().solve(problem(gamma, lambda, depth), digits: digits)
    }

    func text(_ x: Interval, _ digits: Int) -> String { x.certifiedDecimal(significantDigits: digits)?.text ?? "undecided" }

    func nontrivial(_ s: WhitenedANTKSolution) -> [WhitenedANTKFixedPoint] { s.fixedPoints.filter { $0.kind != .collapse } }

    /// Note section 5 table, 30 significant digits (u, a, E).
    func testReferenceTableTo30Digits() throws {
        let rows: [(String, String, Int, [(String, String, String)])] = [
            ("2", "1", 2, [("0.0803566223929194337240737176734", "0.0873780253841527231417119436035", "0.295597742522084770980996592852"),
                           ("0.500000000000000000000000000000", "1.00000000000000000000000000000", "1.00000000000000000000000000000")]),
            ("3", "1", 2, [("0.0128334581616844444041134808068", "0.0130002969284045996263830845553", "0.114018844619670653924501134304"),
                           ("0.745057838023605989781596837944", "2.92245830288594442302040758095", "1.70951990420876481323987697592")]),
            ("3", "1", 3, [("0.0402049194760610772972604817835", "0.0418890660015820931102997606159", "0.347296355333860697703433253539"),
                           ("0.782432118444620232567811084513", "3.59626665871386821121435590333", "1.53208888623795607040478530111")]),
            ("3", "1", 8, [("0.0918877776499971812957434484552", "0.101185487199160254847967336072", "0.750999725716876738039650804130"),
                           ("0.837132959854279513910875869759", "5.13997773340314565864336335641", "1.22707230641903481835046421245")]),
            ("3/2", "1/2", 2, [("0.0267868113868606182961953412625", "0.0275240941042246873612790390082", "0.117311751551634176768613975104"),
                               ("0.666666666666666666666666666667", "2.00000000000000000000000000000", "1.00000000000000000000000000000")]),
            ("9/5", "1", 2, [("0.161701379650510620647864818917", "0.192892336603270082499485458458", "0.439195100841607843292402051578"),
                             ("0.354996883469853712224552556334", "0.550380105726608214258817516178", "0.741876071676805205111375152112")]),
        ]
        for (gamma, lambda, depth, expected) in rows {
            let roots = nontrivial(try solve(gamma, lambda, depth))
            XCTAssertEqual(roots.map(\.kind), [.lower, .upper], "\(gamma) \(lambda) \(depth)")
            for (root, (u, a, e)) in zip(roots, expected) {
                XCTAssertEqual(text(root.fDotY, 30), u, "u at \(gamma) \(lambda) \(depth)")
                XCTAssertEqual(text(root.a, 30), a, "a at \(gamma) \(lambda) \(depth)")
                XCTAssertEqual(text(root.layerNorm, 30), e, "E at \(gamma) \(lambda) \(depth)")
            }
            XCTAssertFalse(roots[0].stability.isStable)
            XCTAssertTrue(roots[1].stability.isStable)
        }
    }

    /// Simulated end points: L = 2, gamma/lambda = 2 -> 0.5000 (roots 0.0804, 0.5); gamma/lambda = 3 -> 0.74506
    /// (0.74504 is sometimes quoted for the root; the exact one is 0.745057838..., note section 6);
    /// L = 1, gamma/lambda = 2 -> 0.5. All at lambda = 1.
    func testTheorySimulatedValues() throws {
        func upper(_ g: String, _ depth: Int) throws -> WhitenedANTKFixedPoint {
            let s = try solve(g, "1", depth)
            XCTAssertEqual(s.endPoint.branch, .upper)
            return try XCTUnwrap(s.fixedPoints.last)
        }
        XCTAssertEqual(text(try upper("2", 2).fDotY, 4), "0.5000")
        XCTAssertEqual(text(try upper("3", 2).fDotY, 4), "0.7451")
        XCTAssertEqual(String(format: "%.4f", 0.74506), text(try upper("3", 2).fDotY, 4))
        XCTAssertEqual(text(try upper("3", 2).fDotY, 9), "0.745057838")
        XCTAssertEqual(text(try upper("2", 1).fDotY, 4), "0.5000")
        let lower = try XCTUnwrap(nontrivial(try solve("2", "1", 2)).first)
        XCTAssertEqual(text(lower.fDotY, 3), "0.0804")
        XCTAssertEqual(text(try XCTUnwrap(nontrivial(try solve("3", "1", 2)).first).fDotY, 3), "0.0128")
    }

    /// (A10), (A14): L = 1, C = I, |y| = 1: f.y = 1 − lambda/gamma for gamma > lambda.
    func testDepthOneClosedForm() throws {
        for (g, l) in [("2", "1"), ("3", "1"), ("7/3", "1/5"), ("100", "99")] {
            let s = try solve(g, l, 1)
            let roots = nontrivial(s)
            XCTAssertEqual(roots.count, 1)
            let exact = BigRational.one - (try BigRational(parsing: l)) / (try BigRational(parsing: g))
            XCTAssertTrue(roots[0].fDotY.lower.rational <= exact && exact <= roots[0].fDotY.upper.rational)
            XCTAssertTrue(roots[0].stability.isStable)
            XCTAssertEqual(s.fixedPoints[0].stability.verdict, .unstable)   // (A26): gamma > lambda
            XCTAssertEqual(s.endPoint, ANTKEndPoint(branch: .upper, kind: .certified, rule: s.endPoint.rule))
        }
    }

    /// Below threshold only collapse exists, and it is stable (A18), (A26).
    func testCollapseBelowThreshold() throws {
        for (g, l, depth) in [("1", "1", 1), ("0.8", "1", 1), ("1.7", "1", 2), ("1", "1/2", 2), ("0", "1", 3)] {
            let s = try solve(g, l, depth)
            XCTAssertEqual(s.fixedPoints.map(\.kind), [.collapse], "\(g) \(l) \(depth)")
            XCTAssertTrue(s.fixedPoints[0].stability.isStable)
            XCTAssertEqual(s.endPoint.branch, .collapse)
            XCTAssertTrue(s.endPoint.certified)
        }
    }

    /// The enclosures bracket a sign change of the integer-coefficient polynomials (A15), by exact
    /// rational evaluation at the enclosure's endpoints.
    func testEnclosuresBracketSignChangesOfIntegerPolynomials() throws {
        for (g, l, depth) in [("3", "1", 2), ("9/5", "1", 2), ("3", "1", 3), ("5", "2", 4), ("3", "1", 8), ("7/3", "1/5", 1)] {
            let p = try problem(g, l, depth)
            let trinomial = ANTKPolynomials.trinomial(p), uPolynomial = ANTKPolynomials.uPolynomial(p)
            XCTAssertTrue(trinomial.coefficients.allSatisfy(\.isInteger))
            XCTAssertTrue(uPolynomial.coefficients.allSatisfy(\.isInteger))
            XCTAssertEqual(uPolynomial.degree, 2 * depth)
            for root in nontrivial(try WhitenedANTKSolver().solve(p)) {
                let alpha = root.amplitude
                if alpha.isPoint {
                    XCTAssertTrue(trinomial.evaluate(at: alpha.lower.rational).isZero)
                    continue
                }
                let low = alpha.lower.rational, high = alpha.upper.rational
                XCTAssertEqual(trinomial.evaluate(at: low).signum * trinomial.evaluate(at: high).signum, -1, "\(g) \(l) \(depth)")
                // u = alpha^{L+1}/gamma is increasing in alpha: the u-polynomial changes sign too.
                let uLow = low.power(depth + 1) / p.gamma, uHigh = high.power(depth + 1) / p.gamma
                XCTAssertEqual(uPolynomial.evaluate(at: uLow).signum * uPolynomial.evaluate(at: uHigh).signum, -1, "\(g) \(l) \(depth)")
                XCTAssertTrue(root.fDotY.lower.rational <= uHigh && uLow <= root.fDotY.upper.rational)
            }
        }
    }

    /// The branch count changes exactly at gamma_c (A17), with rational gamma within 1e-20
    /// (relative) of gamma_c on either side.
    func testBranchCountChangesAtTheSaddleNode() throws {
        let epsilon = BigRational(1) / BigRational(BigInt.power(base: 10, exponent: 20))
        var cases: [(lambda: BigRational, depth: Int, below: BigRational, above: BigRational)] = []
        // gamma_c rational: L = 2, lambda = 3 gives gamma_c^4 = 256; L = 5, lambda = 3/2 gives gamma_c^10 = (5/2)^10.
        for (lambda, depth, critical) in [(BigRational(3), 2, BigRational(4)), (BigRational(3, 2), 5, BigRational(5, 2))] {
            XCTAssertEqual(ANTKPolynomials.criticalGammaPower(lambda: lambda, depth: depth), critical.power(2 * depth))
            cases.append((lambda, depth, critical * (.one - epsilon), critical * (.one + epsilon)))
        }
        // gamma_c irrational (L = 2, 3, 8 at lambda = 1): bisect dyadic rationals to within 1e-20.
        for depth in [2, 3, 8] {
            let critical = ANTKPolynomials.criticalGammaPower(lambda: .one, depth: depth)
            var low = BigRational(1), high = BigRational(4)
            while (high - low) / low > epsilon {
                let mid = (low + high) / BigRational(2)
                if mid.power(2 * depth) < critical { low = mid } else { high = mid }
            }
            XCTAssertTrue(low.power(2 * depth) < critical && critical < high.power(2 * depth))
            cases.append((.one, depth, low, high))
        }
        let solver = WhitenedANTKSolver()
        for c in cases {
            let below = try WhitenedANTKProblem(gamma: c.below, lambda: c.lambda, depth: c.depth)
            let above = try WhitenedANTKProblem(gamma: c.above, lambda: c.lambda, depth: c.depth)
            XCTAssertEqual(try solver.solve(below, digits: 12).fixedPoints.map(\.kind), [.collapse], "L = \(c.depth)")
            let two = try solver.solve(above, digits: 12)
            XCTAssertEqual(two.fixedPoints.map(\.kind), [.collapse, .lower, .upper], "L = \(c.depth)")
            // Both roots sit near u_c = (L−1)/(2L): a double root splits like sqrt(1e-20).
            let uc = Double(c.depth - 1) / Double(2 * c.depth)
            for root in two.fixedPoints.dropFirst() {
                XCTAssertEqual(root.fDotY.midpoint.doubleApproximation, uc, accuracy: 1e-8)
            }
            XCTAssertTrue(two.fixedPoints[1].fDotY.upper.doubleApproximation < uc && uc < two.fixedPoints[2].fDotY.lower.doubleApproximation)
        }
    }

    /// Exactly at the saddle node: one double root, u = (L−1)/(2L), semistable. L = 2, lambda = 3:
    /// gamma_c^4 = 27 * 256/27 = 256, gamma_c = 4; L = 5, lambda = 3/2: gamma_c = 5/2.
    func testExactDoubleRoot() throws {
        for (g, l, depth, uc) in [("4", "3", 2, "0.25000000000000000000"), ("5/2", "3/2", 5, "0.40000000000000000000")] {
            let s = try solve(g, l, depth)
            XCTAssertEqual(s.fixedPoints.map(\.kind), [.collapse, .double])
            XCTAssertEqual(text(s.fixedPoints[1].fDotY, 20), uc)
            XCTAssertEqual(s.fixedPoints[1].stability.verdict, .semistable)
            XCTAssertFalse(s.endPoint.certified)
        }
    }

    /// (A15) examples: L = 3, gamma = 2, lambda = 1 has E = 1 and E = (sqrt5 − 1)/2.
    func testGoldenRatioExample() throws {
        let roots = nontrivial(try solve("2", "1", 3, digits: 34))
        XCTAssertEqual(text(roots[0].layerNorm, 34), "0.6180339887498948482045868343656381")
        XCTAssertEqual(text(roots[0].fDotY, 34), "0.1909830056250525758977065828171809")
        XCTAssertEqual(text(roots[1].fDotY, 10), "0.5000000000")
    }

    /// End point (A32) with tau*_2 = 1.16803 +- 1.1e-4 (N = infinity, A31): L = 2, gamma = lambda = 16 has
    /// both branches (kappa = 1/16) but the budget 1 is below tau*_2: collapse, outside the error band, so
    /// estimated (it rests on the DMFT estimate of tau*_2, not certified). gamma/lambda inside the band
    /// (1.16803) is approximate; above it the upper branch is predicted but stays approximate (the
    /// budget condition is necessary, not sufficient).
    func testEndPointRule() throws {
        let s = try solve("16", "16", 2, digits: 10)
        XCTAssertEqual(s.fixedPoints.count, 3)
        XCTAssertEqual(s.endPoint.branch, .collapse)
        XCTAssertEqual(s.endPoint.kind, .estimated, s.endPoint.rule)
        XCTAssertFalse(s.endPoint.certified, s.endPoint.rule)
        let band = try solve("186885/10000", "16", 2, digits: 10)
        XCTAssertEqual(band.endPoint.kind, .approximate, band.endPoint.rule)
        XCTAssertTrue(band.endPoint.rule.contains("error band"), band.endPoint.rule)
        let above = try solve("19", "16", 2, digits: 10)
        XCTAssertEqual(above.endPoint.branch, .upper)
        XCTAssertFalse(above.endPoint.certified)
        XCTAssertEqual(try solve("3", "1", 2, digits: 10).endPoint.branch, .upper)
        // L = 3: tau*_3 = 0.5927; gamma/lambda = 1 < 2 tau*_3 while both branches exist (lambda = 16, gamma = 16 > gamma_c).
        let deep = try solve("16", "16", 3, digits: 10)
        XCTAssertEqual(deep.fixedPoints.count, 3)
        XCTAssertEqual(deep.endPoint.branch, .collapse)
        XCTAssertEqual(deep.endPoint.kind, .estimated)
        // Beyond the computed table (L >= 9): upper, approximate.
        let far = try solve("3", "1", 9, digits: 10)
        XCTAssertEqual(far.endPoint.branch, .upper)
        XCTAssertFalse(far.endPoint.certified)
        for l in 2...8 { XCTAssertNotNil(ANTKEndPoint.blowUpTimes[l], "tau*_\(l)") }
    }

    func testBadInputRejected() {
        XCTAssertThrowsError(try problem("1", "0", 2)) { XCTAssertEqual($0 as? ANTKInputError, .nonPositiveLambda("0")) }
        XCTAssertThrowsError(try problem("1", "-1", 2))
        XCTAssertThrowsError(try problem("-1", "1", 2)) { XCTAssertEqual($0 as? ANTKInputError, .negativeGamma("-1")) }
        XCTAssertThrowsError(try problem("1", "1", 0)) { XCTAssertEqual($0 as? ANTKInputError, .depthOutOfRange(0, maximum: WhitenedANTKProblem.maximumDepth)) }
        XCTAssertThrowsError(try solve("2", "1", 2, digits: 0))
    }

    /// Large depth stays fast and consistent: u > u_c on the upper branch, u < u_c on the lower.
    func testLargeDepth() throws {
        let s = try solve("3", "1", 1000, digits: 20)
        let roots = nontrivial(s)
        XCTAssertEqual(roots.count, 2)
        let uc = 999.0 / 2000.0
        XCTAssertLessThan(roots[0].fDotY.upper.doubleApproximation, uc)
        XCTAssertGreaterThan(roots[1].fDotY.lower.doubleApproximation, uc)
    }
}
