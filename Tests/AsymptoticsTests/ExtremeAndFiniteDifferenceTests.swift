import XCTest
import Theory
import Numerics
@testable import Asymptotics

/// Lazy coefficients against an independent finite-difference estimate from the
/// exact solver; rich and deep forms at extreme parameters (gamma = 1e50, L = 1e8).
final class ExtremeAndFiniteDifferenceTests: XCTestCase {
    func q(_ text: String) -> BigRational { try! BigRational(parsing: text) }

    func exactOverlap(gamma: BigRational, beta: BigRational, depth: Int, digits: Int, largest: Bool = true) throws -> Interval {
        let solution = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: gamma, beta: .finite(beta), depth: depth), digits: digits)
        let sorted = solution.roots.sorted { $0.overlap.lower < $1.overlap.lower }
        return (largest ? sorted.last! : sorted.first!).overlap
    }

    /// c_L(g) sampled at g = j h (j = 1..5) with the exact solver, 100 digits; the Taylor
    /// coefficients of (c − 1)/g follow from the forward-difference (Newton) interpolation, with
    /// an O(h) error, independent of the Lagrange-inversion algorithm.
    func testLazyCoefficientsAgreeWithFiniteDifferences() throws {
        let depth = 4, beta = q("10"), h = q("1e-8")
        let n = 5
        var samples: [BigRational] = []                 // f(j h) = (c − 1)/(j h), j = 1..n
        for j in 1...n {
            // gamma^2 = j h needs a rational gamma: use g_j = (j * 1e-4)^2 instead, i.e. h_j = j^2 h.
            let gamma = BigRational(j) * q("1e-4")
            let c = try exactOverlap(gamma: gamma, beta: beta, depth: depth, digits: 100, largest: false)
            samples.append(((c.midpoint.rational - .one) / (gamma * gamma)))
        }
        // Nodes x_j = j^2 h; Newton divided differences give the interpolating polynomial of
        // f(x) = e_1 + e_2 x + e_3 x^2 + ..., whose coefficients approximate e_1..e_n.
        let nodes = (1...n).map { BigRational($0 * $0) * h }
        var table = samples
        var divided = [table[0]]
        for level in 1..<n {
            table = (0..<(n - level)).map { (table[$0 + 1] - table[$0]) / (nodes[$0 + level] - nodes[$0]) }
            divided.append(table[0])
        }
        // Expand the Newton form into monomial coefficients.
        var poly: [BigRational] = [divided[n - 1]]
        for k in stride(from: n - 2, through: 0, by: -1) {
            var next = Array(repeating: BigRational.zero, count: poly.count + 1)
            for (i, p) in poly.enumerated() { next[i + 1] = next[i + 1] + p; next[i] = next[i] - p * nodes[k] }
            next[0] = next[0] + divided[k]
            poly = next
        }
        let exact = LazySeries(depth: depth, ridge: BigRational.one / beta, order: n).layer(depth)
        for k in 1...3 {
            let estimate = poly[k - 1].doubleApproximation, coefficient = exact[k].doubleApproximation
            XCTAssertEqual(estimate / coefficient, 1, accuracy: 1e-5, "e_\(k): finite differences \(estimate), exact \(coefficient)")
        }
    }

    func testRichFormAtGammaTenToTheFifty() throws {
        // L = 3, b = 1/10, gamma = 1e50: eps = 1e-25; the relative error of c^[K] is d_{K+1} eps^(K+1) (R16).
        let gamma = q("1e50")
        let exact = try exactOverlap(gamma: gamma, beta: q("10"), depth: 3, digits: 150)
        let d = RichSeries(depth: 3, ridge: q("1/10"), order: 5).layer(3)
        let one = Interval(1, precision: 600)
        for order in 0...4 {
            let prediction = RichSeries.evaluate(d, upTo: order, layer: 3, depth: 3, g: gamma * gamma, precision: 600)
            let error = prediction / exact - one
            let model = d[order + 1].doubleApproximation * pow(1e-25, Double(order + 1))
            let measured = -error.midpoint.doubleApproximation   // c/c^[K] − 1 ≈ −(c^[K]/c − 1)
            XCTAssertEqual(measured / model, 1, accuracy: 1e-12, "K = \(order)")   // the O(eps) = 1e-25 correction is invisible in a Double
        }
        // Leading form gamma^(2L/(L+1)) = 1e75 (notes/theory-overview.md (T13)), and the predicted orders 2(K+1)/(L+1) at 1e50..1e51.
        XCTAssertEqual(RichSeries.evaluate(d, upTo: 0, layer: 3, depth: 3, g: gamma * gamma, precision: 200).certifiedDecimal(significantDigits: 30)?.text,
                       "1.00000000000000000000000000000e+75")
        let study = try ScalingStudy(ScalingRequest(regime: .rich, gamma: gamma, ridge: q("1/10"), depth: 3, order: 4, digits: 150))
        for column in 1...4 { XCTAssertEqual(study.measuredOrders[column]! / study.predictedOrders[column]!, 1, accuracy: 1e-6) }
    }

    func testDeepFormsAtDepthTenToTheEight() throws {
        // notes/asymptotics-deep.md reference values, L = 1e8, g = 1, b = 0.01 (40 digits).
        let exact = try exactOverlap(gamma: .one, beta: q("100"), depth: 100_000_000, digits: 60)
        XCTAssertEqual(exact.certifiedDecimal(significantDigits: 40)?.text, "6382029.057566767596288800042143677307642")
        let deep = try DeepSeries(gammaSquared: .one, ridge: q("0.01"), depth: 100_000_000, order: 4, precision: 260)
        XCTAssertEqual(deep.truncation(0).certifiedDecimal(significantDigits: 40)?.text, "6382029.546371115312153359340272814827049")
        XCTAssertEqual(deep.truncation(1).certifiedDecimal(significantDigits: 40)?.text, "6382029.057566754070543500790038604054744")
        XCTAssertEqual(deep.truncation(2).certifiedDecimal(significantDigits: 40)?.text, "6382029.057566767596288862228731608182162")
        XCTAssertEqual(deep.truncation(3).certifiedDecimal(significantDigits: 40)?.text, "6382029.057566767596288800042149681651173")
        // The paper's form is still 14.9% low at L = 1e8 (D19).
        let one = Interval(1, precision: 260)
        XCTAssertEqual((deep.logarithmicForm(-1) / exact - one).midpoint.doubleApproximation, -0.1494, accuracy: 5e-4)
        // Error of c^[n] against its model |delta_{n+1}| h^(n+1) (D13): ratio 1 to O(h).
        for n in 0...3 {
            let error = (deep.truncation(n) / exact - one).midpoint.doubleApproximation
            XCTAssertEqual(abs(error) / deep.errorModel(n).midpoint.doubleApproximation, 1, accuracy: 1e-4, "n = \(n)")
        }
        // Local orders over 1e8 ... 1e9 against the model slopes (D13).
        let study = try ScalingStudy(ScalingRequest(regime: .deep, gamma: .one, ridge: q("0.01"), depth: 100_000_000, order: 3,
                                                    decades: 1, pointsPerDecade: 2))
        for column in 3...5 { XCTAssertEqual(study.measuredOrders[column]! / study.predictedOrders[column]!, 1, accuracy: 0.01) }
    }

    func testDeepRegimeWithLargeGammaAndBothLimitsInLogSpace() throws {
        // gamma = 1e100 in the rich series (g = 1e200): c^[0] = g^(L/(L+1)) exactly 1e100 for L = 1.
        let d = RichSeries(depth: 1, ridge: .zero, order: 2).layer(1)
        XCTAssertEqual(RichSeries.evaluate(d, upTo: 0, layer: 1, depth: 1, g: q("1e200"), precision: 128).certifiedDecimal(significantDigits: 20)?.text,
                       "1.0000000000000000000e+100")
        // L = 1e9, gamma = 1e10: K = 1e29, W(K) far beyond a Double's comfort, enclosed.
        let deep = try DeepSeries(gammaSquared: q("1e20"), ridge: .zero, depth: 1_000_000_000, order: 2, precision: 128)
        XCTAssertLessThan(deep.truncation(2).log2RelativeWidth, -100)
    }
}
