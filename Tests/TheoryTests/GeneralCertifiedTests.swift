import XCTest
@testable import Core
import Numerics
@testable import Theory

/// The certified general-C solver for exact rational inputs (notes/general-kernel-reduction.md, G16-G21).
final class GeneralCertifiedTests: XCTestCase {
    func r(_ text: String) -> BigRational { try! BigRational(parsing: text) }

    /// The 3x3 tridiagonal kernel of notes/checks/certified_general_kernel.py.
    var tridiagonal: [BigRational] { ["1", "1/2", "0", "1/2", "1", "1/2", "0", "1/2", "1"].map(r) }

    func problem(_ c: [BigRational], _ y: [String], gamma: String, beta: String, depth: Int) throws -> ExactKernelProblem {
        try ExactKernelProblem(inputKernel: c, labels: y.map(r), gamma: r(gamma), beta: InverseTemperature(parsing: beta), depth: depth)
    }

    /// `reference` (40 digits from mpmath) lies in the enclosure widened by 1e-38, and the enclosure is narrower than 1e-29 relative.
    func assertEncloses(_ x: Interval, _ reference: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let value = r(reference), slack = r("1e-38")
        XCTAssertLessThanOrEqual(x.lower.rational - slack, value, what, file: file, line: line)
        XCTAssertGreaterThanOrEqual(x.upper.rational + slack, value, what, file: file, line: line)
        XCTAssertLessThan((x.upper.rational - x.lower.rational) / value, r("1e-29"), what + " too wide", file: file, line: line)
    }

    /// E(u) = u − g t y^T (tC+bI)^{-1} C (tC+bI)^{-1} y exactly in rationals at a rational u (eq. G16).
    func exactSecular(_ p: ExactKernelProblem, at u: BigRational) -> BigRational {
        let n = p.count, t = (u + .one).power(p.depth), b = p.ridge
        var a = (0..<(n * n)).map { t * p.inputKernel[$0] + ($0 / n == $0 % n ? b : .zero) }
        var x = p.labels
        for k in 0..<n { for i in (k + 1)..<n {
            let f = a[i * n + k] / a[k * n + k]
            for j in k..<n { a[i * n + j] = a[i * n + j] - f * a[k * n + j] }
            x[i] = x[i] - f * x[k]
        } }
        var v = [BigRational](repeating: .zero, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = x[i]
            for j in (i + 1)..<n { s = s - a[i * n + j] * v[j] }
            v[i] = s / a[i * n + i]
        }
        var q = BigRational.zero
        for i in 0..<n { for j in 0..<n { q = q + v[i] * p.inputKernel[i * n + j] * v[j] } }
        return u - p.gammaSquared * t * q
    }

    func testIdentityKernelAgreesWithTheWhitenedSolverInEveryDigit() throws {
        let identity = (0..<9).map { BigRational($0 % 4 == 0 ? 1 : 0) }
        var counts: [Int] = []
        for (gamma, beta, depth) in [("1", "10", 4), ("36", "1/100", 3), ("3/2", "inf", 5)] {
            let general = try CertifiedGeneralKernelSolver().solve(problem(identity, ["2/3", "1/3", "-2/3"], gamma: gamma, beta: beta, depth: depth))
            let whitened = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: r(gamma), beta: InverseTemperature(parsing: beta), depth: depth),
                                                             layers: .all)
            XCTAssertEqual(general.roots.count, whitened.roots.count, "gamma \(gamma)")
            counts.append(general.roots.count)
            for (a, b) in zip(general.roots, whitened.roots) {
                XCTAssertEqual(a.u.certifiedDecimal(significantDigits: 30), b.negatedChi.certifiedDecimal(significantDigits: 30))
                XCTAssertEqual(a.chi.certifiedDecimal(significantDigits: 30), b.chiDecimal)
                XCTAssertEqual(a.action.certifiedDecimal(significantDigits: 30), b.actionDecimal)
                XCTAssertEqual(a.layerOverlaps.map { $0.certifiedDecimal(significantDigits: 30) }, b.layerOverlapDecimals)
                XCTAssertEqual(a.stationarity, b.stationarity)
                XCTAssertEqual(a.isDominant, b.isDominant)
            }
        }
        XCTAssertEqual(counts, [1, 3, 1])   // gamma = 36, b = 100, L = 3 is in the three-root window
    }

    func testNonDiagonalKernelMatchesMpmath() throws {
        let solution = try CertifiedGeneralKernelSolver().solve(problem(tridiagonal, ["1", "-1/2", "1/3"], gamma: "1", beta: "10", depth: 4))
        XCTAssertEqual(solution.roots.count, 1)
        let root = try XCTUnwrap(solution.dominant)
        assertEncloses(root.u, "0.569560985187867245235991392092442845949", "u")
        assertEncloses(root.action, "0.5374103115000341607794332004713227969276", "action")
        let overlaps = ["0.7151495884014325955294704388335157464525", "1.036824059915264916421181985701064493329",
                        "1.541711760334302111950859903389399900935", "2.334163796813242906749317787357980279424"]
        for (x, ref) in zip(root.layerOverlaps, overlaps) { assertEncloses(x, ref, "overlap") }
        XCTAssertEqual(root.u.certifiedDecimal(significantDigits: 30)?.text, "0.569560985187867245235991392092")
    }

    func testThreeRootsAndDominanceByAction() throws {
        let solution = try CertifiedGeneralKernelSolver().solve(problem(tridiagonal, ["1", "0", "1"], gamma: "27", beta: "1/100", depth: 3))
        XCTAssertEqual(solution.roots.count, 3)
        XCTAssertEqual(solution.roots.map(\.stationarity), [.minimum, .maximum, .minimum])
        XCTAssertEqual(solution.roots.map(\.isDominant), [true, false, false])
        let references = [("0.3008979089928703322726750577012675607595", "7.191383946649287768708676759182377913236", "2.201413119819753321000334245072260358417"),
                          ("1.406610461800163988376750377137490269841", "7.239009992898475403252803461850629563348", "13.88385437392268812935412638710525830045"),
                          ("2.504999479790070831033998519411576579156", "7.213788535212798612576040710809611899573", "41.77919092990593664255203403307882021304")]
        for (root, ref) in zip(solution.roots, references) {
            assertEncloses(root.u, ref.0, "u")
            assertEncloses(root.action, ref.1, "action")
            assertEncloses(root.layerOverlaps[2], ref.2, "overlap_3")
        }
    }

    func testBracketsAreSignChangesOfTheExactRationalFunction() throws {
        for (c, y, gamma, beta, depth) in [(tridiagonal, ["1", "-1/2", "1/3"], "1", "10", 4), (tridiagonal, ["1", "0", "1"], "27", "1/100", 3)] {
            let p = try problem(c, y, gamma: gamma, beta: beta, depth: depth)
            for root in try CertifiedGeneralKernelSolver().solve(p).roots {
                let low = exactSecular(p, at: root.bracket.lower.rational), high = exactSecular(p, at: root.bracket.upper.rational)
                XCTAssertEqual(low.signum, root.bracket.signAtLower)
                XCTAssertEqual(high.signum, -root.bracket.signAtLower)
                XCTAssertTrue(root.u.contains(root.bracket.lower) && root.u.contains(root.bracket.upper))
            }
        }
    }

    func testExactDoubleRootIsReportedDegenerate() throws {
        // C = I, |y|^2 = 1728, g = 1, b = 80, L = 2: E(3) = 0 and E'(3) = 0 exactly (t = 16,
        // b = t (t + 2us)/(2us - t) = 80, g|y|^2 = u (t+b)^2 / t = 1728), a double root.
        let identity = (0..<9).map { BigRational($0 % 4 == 0 ? 1 : 0) }
        let p = try problem(identity, ["24", "24", "24"], gamma: "1", beta: "1/80", depth: 2)
        XCTAssertTrue(exactSecular(p, at: BigRational(3)).isZero)
        XCTAssertThrowsError(try CertifiedGeneralKernelSolver().solve(p)) { error in
            guard case SolverError.degenerate = error else { return XCTFail("\(error)") }
        }
    }

    func testSingularKernelAndLazyCases() throws {
        // Rank-2 kernel (third row = first + second): certified, and b > 0 is required.
        let singular = ["2", "1", "3", "1", "1", "2", "3", "2", "5"].map(r)
        let p = try problem(singular, ["1", "1", "0"], gamma: "2", beta: "4", depth: 3)
        XCTAssertEqual(p.rank, 2)
        let solution = try CertifiedGeneralKernelSolver().solve(p)
        XCTAssertFalse(solution.roots.isEmpty)
        for root in solution.roots {
            XCTAssertEqual(exactSecular(p, at: root.bracket.lower.rational).signum, root.bracket.signAtLower)
        }
        XCTAssertThrowsError(try problem(singular, ["1", "1", "0"], gamma: "2", beta: "inf", depth: 3)) { error in
            guard case GeneralKernelInputError.singularWithoutRidge = error else { return XCTFail("\(error)") }
        }
        // y orthogonal to the range of C: u = 0, overlap 0.
        let lazy = try CertifiedGeneralKernelSolver().solve(problem(["1", "0", "0", "0"].map(r), ["0", "1"], gamma: "1", beta: "2", depth: 2))
        XCTAssertEqual(lazy.roots.count, 1)
        XCTAssertEqual(lazy.roots[0].u.definiteSign, 0)
    }

    func testBadInputsAreDetectedExactly() throws {
        // Indefinite by 1e-30 (exact: a Schur complement has diagonal -1e-30).
        let nearlyPSD = ["1", "1", "1", "1", "1", "1", "1", "1", "1-1e-30"].map { text -> BigRational in
            text == "1-1e-30" ? r("1") - r("1e-30") : r(text) }
        XCTAssertThrowsError(try problem(nearlyPSD, ["1", "0", "0"], gamma: "1", beta: "1", depth: 2)) { error in
            guard case GeneralKernelInputError.notPositiveSemidefinite = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try problem(["0", "1", "1", "0"].map(r), ["1", "0"], gamma: "1", beta: "1", depth: 2)) { error in
            guard case GeneralKernelInputError.notPositiveSemidefinite = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try problem(["1", "1/3", "0.3333333333", "1"].map(r), ["1", "0"], gamma: "1", beta: "1", depth: 2)) { error in
            guard case GeneralKernelInputError.notSymmetric = error else { return XCTFail("\(error)") }
        }
        // The all-ones kernel is PSD (rank 1) and accepted.
        XCTAssertEqual(try problem(["1", "1", "1", "1"].map(r), ["1", "0"], gamma: "1", beta: "1", depth: 2).rank, 1)
    }

    func testAgreesWithTheWorkingPrecisionSolverOnSingularData() throws {
        // P = 8 points, D = 3 features (rank-3 C, 5 null directions), entries k/10 exactly.
        let p = 8, d = 3
        let x = (0..<(p * d)).map { BigRational(($0 * 7 + 3) % 19 - 9, 10) }
        let y = (0..<p).map { BigRational($0 % 3 == 0 ? -1 : 1) }
        let c = ExactKernelProblem.gram(x, rows: p, columns: d)
        for (gamma, beta, depth) in [("1", "10", 16), ("3", "1/50", 3)] {
            let exact = try CertifiedGeneralKernelSolver().solve(ExactKernelProblem(inputKernel: c, labels: y, gamma: r(gamma), beta: InverseTemperature(parsing: beta), depth: depth), digits: 20)
            XCTAssertEqual(exact.problem.rank, 3)
            let float = try GeneralKernelSolver().solve(GeneralKernelProblem(inputKernel: c.map(\.doubleApproximation), labels: y.map(\.doubleApproximation),
                                                                              gamma: r(gamma), beta: InverseTemperature(parsing: beta), depth: depth))
            XCTAssertEqual(exact.roots.count, float.roots.count)
            for (a, b) in zip(exact.roots, float.roots) {
                XCTAssertEqual(a.u.midpoint.doubleApproximation, b.u, accuracy: 1e-10 * b.u)
                XCTAssertEqual(a.action.midpoint.doubleApproximation, b.action, accuracy: 1e-10 * abs(b.action))
                XCTAssertEqual(a.layerOverlaps[depth - 1].midpoint.doubleApproximation, b.overlap(depth), accuracy: 1e-10 * b.overlap(depth))
                XCTAssertEqual(a.isDominant, b.isDominant)
            }
        }
    }
}
