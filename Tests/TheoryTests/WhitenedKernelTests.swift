import XCTest
@testable import Core
import Numerics
@testable import Theory

/// The allocation-free kernel forms of E, E', s^L and the action against exact rational values and
/// the generic interval forms (notes/whitened-overlaps.md, "Fast evaluation", eqs. W4, W8', W9, K1, K2).
final class WhitenedKernelTests: XCTestCase {
    private func exactE(_ u: BigRational, g: BigRational, b: BigRational, depth: Int) -> BigRational {
        var sL = BigRational(1)
        for _ in 0..<depth { sL = sL * (u + BigRational(1)) }
        return u * (b + sL) * (b + sL) - g * sL
    }

    private func exactDerivative(_ u: BigRational, g: BigRational, b: BigRational, depth: Int) -> BigRational {
        var sLminus1 = BigRational(1)
        for _ in 0..<(depth - 1) { sLminus1 = sLminus1 * (u + BigRational(1)) }
        let bPlusSL = b + sLminus1 * (u + BigRational(1))
        return bPlusSL * bPlusSL + BigRational(2 * depth) * u * sLminus1 * bPlusSL - g * sLminus1 * BigRational(depth)
    }

    private func contains(_ x: Interval, _ value: BigRational) -> Bool {
        x.lower.rational <= value && value <= x.upper.rational
    }

    func testKernelEnclosuresContainExactValuesAndMatchTheGenericForms() throws {
        var generator = SeededGenerator(seed: 42)
        for trial in 0..<80 {
            let gamma = generator.rational(in: 0...20, maxDenominator: 9)
            let beta: InverseTemperature = trial % 5 == 0 ? .infinite : .finite(generator.rational(in: 1...50, maxDenominator: 13))
            let depth = Int.random(in: 1...12, using: &generator)
            let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
            let equations = WhitenedEquations(problem)
            let precision = [64, 100, 128, 200, 333][trial % 5]
            let point = Dyadic(BigInt(Int.random(in: 1...1_000_000, using: &generator)), exponent: -Int.random(in: 0...24, using: &generator))
            let u = Interval(point, precision: precision)
            let exact = exactE(point.rational, g: problem.gammaSquared, b: problem.ridge, depth: depth)
            let kernel = equations.kernel.rootFunction(u), generic = equations.intervalRootFunction(u)
            let context = "gamma=\(gamma) beta=\(beta) L=\(depth) u=\(point) p=\(precision)"
            XCTAssertTrue(contains(kernel, exact), "kernel E misses the exact value: " + context)
            XCTAssertTrue(contains(generic, exact), context)
            if let sign = equations.kernel.certifiedSign(at: point, bits: precision) {
                XCTAssertEqual(sign, exact.signum, "certified sign wrong: " + context)
            }
            let slope = equations.kernel.rootFunctionDerivative(u)
            XCTAssertTrue(contains(slope, exactDerivative(point.rational, g: problem.gammaSquared, b: problem.ridge, depth: depth)), context)
            // Same interval extension: the two widths are within a few units of each other.
            if !kernel.isPoint && !generic.isPoint && exact.signum != 0 {
                XCTAssertLessThan(abs(kernel.width.log2Magnitude - generic.width.log2Magnitude), 8, context)
            }
            // s^L over a small interval around the point.
            let radius = Dyadic(BigInt(1), exponent: point.topBit - 40)
            let around = Interval(lower: Dyadic.exactSum(point, radius.negated), upper: Dyadic.exactSum(point, radius), precision: precision)
            let overlap = equations.kernel.overlap(around)
            for end in [around.lower, around.upper] {
                var power = BigRational(1)
                for _ in 0..<depth { power = power * (end.rational + BigRational(1)) }
                XCTAssertTrue(contains(overlap, power), context)
            }
        }
    }

    /// The action from the positive series (eq. W8') and its a-priori upper bound (eq. K2) against
    /// the generic enclosure (logarithm by atanh series): they must overlap, and the kernel's is
    /// tight to the requested bits.
    func testKernelActionAgreesWithTheGenericAction() throws {
        for (gamma, beta, depth) in [("1", "10", 1), ("1", "10", 37), ("4", "10", 16), ("316", "1/10000", 10), ("0.05", "inf", 7), ("12", "3/2", 100), ("1", "10", 1000)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 40)
            let equations = WhitenedEquations(problem)
            for root in solution.roots {
                let u = root.negatedChi.withPrecision(200)
                let overlap = equations.kernel.overlap(u)
                let generic = equations.action(u)
                let context = "gamma=\(gamma) beta=\(beta) L=\(depth) u=\(u)"
                guard let kernel = equations.kernel.action(u, overlap: overlap, relativeBits: 160) else {
                    // Only allowed where z = u/(2+u) may reach 1/4.
                    XCTAssertGreaterThan(u.upper.doubleApproximation, 0.6, context)
                    continue
                }
                XCTAssertLessThanOrEqual(kernel.lower, generic.upper, context)
                XCTAssertLessThanOrEqual(generic.lower, kernel.upper, context)
                // Both widths are set by u's own width ((L/2)(u_hi − u_lo) u_hi); the series and
                // its K2 bound add little on top.
                XCTAssertLessThan(kernel.log2RelativeWidth, generic.log2RelativeWidth + 2, context)
            }
        }
    }

    /// The fast refinement's certified bracket and the generic refinement's bracket enclose the
    /// same root.
    func testFastRefinementAgreesWithTheGenericFinder() throws {
        for (gamma, beta, depth) in [("1", "10", 3), ("7/3", "0.37", 23), ("2.5e-3", "1000", 5), ("9", "1/3", 6), ("1", "100", 1000)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let equations = WhitenedEquations(problem)
            let (isolated, _) = try WhitenedOverlapSolver().isolate(equations, depthBits: 11)
            for entry in isolated {
                let fast = try XCTUnwrap(equations.kernel.refine(entry.bracket, start: entry.hint, targetBits: 300, guardBits: 70))
                let function = IntervalFunction(value: equations.intervalRootFunction, derivative: equations.intervalRootFunctionDerivative)
                let generic = try CertifiedRootFinder(guardBits: 70).refine(function, bracket: entry.bracket, start: entry.hint, targetBits: 300)
                XCTAssertLessThanOrEqual(fast.lower, generic.upper)
                XCTAssertLessThanOrEqual(generic.lower, fast.upper)
                XCTAssertGreaterThanOrEqual(CertifiedRootFinder.relativeWidthBits(fast.lower, fast.upper), 300)
            }
        }
    }

    /// Regression: the generic finder, started without a hint far from the root, used to reuse a
    /// slope from a distant iterate above 192 bits and converge only linearly (iteration limit).
    func testGenericFinderConvergesFromADistantStart() throws {
        let problem = try WhitenedProblem(gamma: BigRational(parsing: "7/3"), beta: InverseTemperature(parsing: "0.37"), depth: 23)
        let equations = WhitenedEquations(problem)
        let (isolated, _) = try WhitenedOverlapSolver().isolate(equations, depthBits: 5)
        let function = IntervalFunction(value: equations.intervalRootFunction, derivative: equations.intervalRootFunctionDerivative)
        let refined = try CertifiedRootFinder(guardBits: 58).refine(function, bracket: isolated[0].bracket, start: nil, targetBits: 300)
        XCTAssertGreaterThanOrEqual(CertifiedRootFinder.relativeWidthBits(refined.lower, refined.upper), 300)
        XCTAssertEqual(refined.lower.doubleApproximation, 0.15750522807076353, accuracy: 1e-15)
    }

    /// A solve that reuses another's state (`WhitenedSolveCache`) gives the same digits as a fresh
    /// one, across changes of depth, gamma and beta (the cache must notice them).
    func testSolveCacheDoesNotChangeResults() throws {
        let cache = WhitenedSolveCache()
        let solver = WhitenedOverlapSolver()
        for (gamma, beta, depth) in [("1", "10", 3), ("1", "10", 900), ("1", "10", 1), ("316", "1/10000", 10), ("316", "1/10000", 9),
                                     ("1", "inf", 5), ("1", "10", 7), ("7/3", "0.37", 23)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let cached = try solver.solve(problem, digits: 40, cache: cache)
            let fresh = try solver.solve(problem, digits: 40)
            XCTAssertEqual(cached.roots.map { $0.overlapDecimal?.text }, fresh.roots.map { $0.overlapDecimal?.text }, "\(gamma) \(beta) \(depth)")
            XCTAssertEqual(cached.roots.map { $0.actionDecimal?.text }, fresh.roots.map { $0.actionDecimal?.text })
            XCTAssertEqual(cached.roots.map(\.isDominant), fresh.roots.map(\.isDominant))
        }
    }

    /// Eq. W11: every positive root lies below the analytic bound 2 g/(4b) (2 g for beta = inf), and
    /// E is positive there, as the single-root bracket assumes without evaluating it.
    func testRootsLieBelowTheAnalyticBound() throws {
        var generator = SeededGenerator(seed: 11)
        for trial in 0..<40 {
            let gamma = generator.rational(in: 1...400, maxDenominator: 5)
            let beta: InverseTemperature = trial % 4 == 0 ? .infinite : .finite(generator.rational(in: 1...40, maxDenominator: 9000))
            let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: Int.random(in: 1...30, using: &generator))
            let equations = WhitenedEquations(problem)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 20)
            for root in solution.roots { XCTAssertLessThan(root.negatedChi.upper, equations.rootUpperBound, "\(gamma) \(beta)") }
            XCTAssertEqual(equations.kernel.certifiedSign(at: equations.rootUpperBound, bits: 256), 1)
        }
    }
}
