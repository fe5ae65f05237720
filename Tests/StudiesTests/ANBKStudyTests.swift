import Foundation
import XCTest
import Core
import Numerics
import Theory
@testable import Studies

/// The aNBK on data (notes/anbk-data.md): the min-max against the exact deep-linear saddle, the
/// lazy limit, and the refusals.
final class ANBKStudyTests: XCTestCase {
    /// The digits fixture's first `train` training and `test` test points.
    static func digits(train: Int, test: Int) throws -> LabelledData {
        let folder = try DigitsFixture.locate()
        func load(_ name: String) throws -> NPYArray { try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))) }
        let x = try load("X_train.npy"), y = try load("y_train.npy"), xt = try load("X_test.npy"), yt = try load("y_test.npy")
        let d = x.shape[1]
        return try LabelledData(name: "digits", train: Array(x.values[0..<(train * d)]), labels: Array(y.values[0..<train]),
                                test: Array(xt.values[0..<(test * d)]), testLabels: Array(yt.values[0..<test]), dimension: d)
    }

    /// (NB10)(i): phi(h) = h, the min-max forced, against the exact deep-linear saddle of `kernels` on the
    /// same data: every layer's overlap and the test loss within 4 standard errors plus the systematic
    /// allowance of the extrapolation (V17).
    func testIdentityMinMaxReproducesTheExactDeepLinearKernels() throws {
        let data = try Self.digits(train: 6, test: 3)
        let exact = try ANBKStudy.run(ANBKStudy.Problem(data: data, activation: .identity, depth: 2, gamma: BigRational(1, 2),
                                                        beta: .finite(BigRational(10)), solver: .exact))
        var problem = ANBKStudy.Problem(data: data, activation: .identity, depth: 2, gamma: BigRational(1, 2), beta: .finite(BigRational(10)), solver: .minmax)
        problem.samples = 2000
        problem.burnIn = 80
        problem.measured = 100
        problem.replicas = 1
        let minmax = try ANBKStudy.run(problem)
        XCTAssertNil(minmax.failure)
        for l in 0..<2 {
            let e = minmax.overlaps[l]
            XCTAssertEqual(e.value, exact.overlaps[l].value, accuracy: e.tolerance(k: 4) + 1e-3 * abs(exact.overlaps[l].value), "layer \(l + 1)")
            XCTAssertGreaterThan(abs(exact.overlaps[l].value - exact.lazyOverlaps[l]), 5 * e.tolerance(k: 1), "the test must see the adaptation")
        }
        let t = minmax.testLoss!["anbk"]!
        XCTAssertEqual(t.value, exact.testLoss!["anbk"]!.value, accuracy: t.tolerance(k: 4) + 1e-3)
        XCTAssertEqual(minmax.predictions.count, 3)
        XCTAssertEqual(minmax.kernels.count, 2)
    }

    /// (NB10)(ii): gamma -> 0 is the NNGP: ReLU, L = 1, gamma = 1/100: the aNBK test loss and overlap
    /// agree with the lazy NNGP ridge predictor and kernel within 4 standard errors plus the systematic
    /// allowance plus the O(gamma^2) shift (bounded by 1e-3 relative here; L = 2: section 3 of the note).
    func testLazyLimitReproducesTheNNGP() throws {
        let data = try Self.digits(train: 10, test: 4)
        var problem = ANBKStudy.Problem(data: data, activation: .relu, depth: 1, gamma: BigRational(1, 100), beta: .finite(BigRational(10)))
        problem.samples = 3000
        problem.burnIn = 40
        problem.measured = 80
        problem.replicas = 1
        let r = try ANBKStudy.run(problem)
        XCTAssertEqual(r.solver, .minmax)
        XCTAssertNil(r.failure)
        for l in 0..<1 {
            XCTAssertEqual(r.overlaps[l].value, r.lazyOverlaps[l], accuracy: r.overlaps[l].tolerance(k: 4) + 1e-3 * r.lazyOverlaps[l])
        }
        let nngp = r.testLoss!["nngp"]!.value, anbk = r.testLoss!["anbk"]!
        XCTAssertEqual(anbk.value, nngp, accuracy: anbk.tolerance(k: 4) + 1e-3 * nngp)
    }

    /// (NB28): replicas are independent single pairs combined by hand. Two replicas of 20 measured iterations are the
    /// single-pair runs of 20 measured iterations with the seed S (replica 1) and the seed derived from (S, 0x4E9, 1)
    /// (replica 2): every value is the mean of theirs, every standard error |v1 - v2| / 2 with 1 degree of freedom.
    func testReplicasAreIndependentSinglePairsCombinedByHand() throws {
        let data = try Self.digits(train: 5, test: 2)
        var problem = ANBKStudy.Problem(data: data, activation: .relu, depth: 2, gamma: BigRational(1, 2), beta: .finite(BigRational(10)))
        problem.samples = 1000
        problem.burnIn = 10
        problem.sampler = .importance
        problem.attempts = 1
        problem.seed = 5
        problem.measured = 40
        problem.replicas = 2
        let both = try ANBKStudy.run(problem)
        problem.measured = 20
        problem.replicas = 1
        let first = try ANBKStudy.run(problem)
        problem.seed = NormalSampler.derive(5, 0x4E9, 1)
        let second = try ANBKStudy.run(problem)
        func check(_ e: Estimate, _ a: Estimate, _ b: Estimate, _ what: String) {
            XCTAssertEqual(e.value, (a.value + b.value) / 2, accuracy: 1e-12 * max(1, abs(e.value)), what)
            XCTAssertEqual(e.standardError, abs(a.value - b.value) / 2, accuracy: 1e-12 * max(1, abs(e.value)), what)
            XCTAssertEqual(e.degreesOfFreedom, 1, what)
            XCTAssertGreaterThan(e.standardError, 0, what)
        }
        for l in 0..<2 {
            check(both.overlaps[l], first.overlaps[l], second.overlaps[l], "overlap \(l + 1)")
            check(both.alignments[l], first.alignments[l], second.alignments[l], "alignment \(l + 1)")
        }
        check(both.testLoss!["anbk"]!, first.testLoss!["anbk"]!, second.testLoss!["anbk"]!, "test loss")
        check(both.trainLoss["anbk"]!, first.trainLoss["anbk"]!, second.trainLoss["anbk"]!, "train loss")
        for k in 0..<2 { check(both.predictions[k], first.predictions[k], second.predictions[k], "prediction \(k + 1)") }
        XCTAssertEqual(both.diagnostics?.replicas, 2)
        XCTAssertEqual(both.diagnostics?.measured, 40)
        XCTAssertEqual(first.overlaps[0].degreesOfFreedom, 19)
    }

    /// (NB10)(ii) at L = 2 with the default 8 replicas (NB28)-(NB30): ReLU, gamma = 1/1000, P = 10, Q = 4, n = 3000,
    /// 40 + 80 iterations (10 measured per replica), seed 1: both layers' overlaps and the test loss agree with the
    /// NNGP's within the Student t quantile of 7 degrees of freedom at the family rate 0.01 over the 3 comparisons,
    /// times the standard error, plus the systematic and an allowance 1e-3 relative for the O(gamma^2) adaptation
    /// (about 1e-4 at this gamma). The seed study of (NB30) (notes/seed-study/anbk-lazy-replicas.txt, 20 seeds at this
    /// gamma, 40 at gamma = 1/100) gives this check's false-alarm rate and power, and the unexplained deviation of
    /// about +1 % in layer 2 that the replica errors resolve at L = 2 (inside this tolerance in every seed).
    func testLazyLimitAtDepthTwoWithReplicas() throws {
        let data = try Self.digits(train: 10, test: 4)
        var problem = ANBKStudy.Problem(data: data, activation: .relu, depth: 2, gamma: BigRational(1, 1000), beta: .finite(BigRational(10)))
        problem.samples = 3000
        problem.burnIn = 40
        problem.measured = 80
        XCTAssertEqual(problem.replicas, 8)
        let r = try ANBKStudy.run(problem)
        XCTAssertNil(r.failure)
        let k = StudentT.twoSidedQuantile(p: 0.01 / 3, dof: 7)
        for l in 0..<2 {
            let e = r.overlaps[l]
            XCTAssertEqual(e.degreesOfFreedom, 7)
            XCTAssertEqual(e.value, r.lazyOverlaps[l], accuracy: e.tolerance(k: k) + 1e-3 * r.lazyOverlaps[l], "layer \(l + 1): \(e)")
        }
        let nngp = r.testLoss!["nngp"]!.value, anbk = r.testLoss!["anbk"]!
        XCTAssertEqual(anbk.value, nngp, accuracy: anbk.tolerance(k: k) + 1e-3 * nngp, "test loss \(anbk)")
    }

    /// (NB10)(iii), quick: ReLU, L = 1, against Langevin-sampled networks (`train --beta`) at N = 128 and
    /// 256 extrapolated linearly in 1/N: the layer overlap agrees within 4 combined errors (the aNBK's
    /// standard error and systematic plus the fit's standard error). The larger check is in the note.
    func testReLUMinMaxAgreesWithLangevinNetworks() throws {
        let data = try Self.digits(train: 6, test: 2)
        var problem = ANBKStudy.Problem(data: data, activation: .relu, depth: 1, gamma: BigRational(1, 2), beta: .finite(BigRational(10)))
        problem.samples = 4000
        problem.burnIn = 80
        problem.measured = 120
        problem.replicas = 1
        let theory = try ANBKStudy.run(problem)
        XCTAssertNil(theory.failure)
        let widths = [128, 256]
        let nets = try widths.map { width in
            try TrainStudy.run(TrainStudy.Problem(data: data, activation: .relu, depth: 1, width: width, gamma: 0.5, rule: .posterior(beta: 10),
                                                  seeds: 3, seed: 7, time: 100))
        }
        let (a, b) = (nets[0].overlap[0], nets[1].overlap[0])
        // a + c/N through the two widths: value at N = inf is 2 b - a.
        let extrapolated = 2 * b.value - a.value
        let fitError = (4 * b.standardError * b.standardError + a.standardError * a.standardError).squareRoot()
        let e = theory.overlaps[0]
        let combined = (e.standardError * e.standardError + fitError * fitError).squareRoot() + e.systematic
        XCTAssertEqual(e.value, extrapolated, accuracy: 4 * combined, "aNBK \(e.value) ± \(e.standardError) (sys \(e.systematic)), networks \(a.value), \(b.value)")
        XCTAssertGreaterThan(abs(extrapolated - theory.lazyOverlaps[0]), 4 * combined, "the check must see the adaptation")
    }

    /// (NB15)(iii): ReLU, L = 1, the population sampler (default) against the importance sampler at a small
    /// P where both are healthy: overlap and test loss agree within 4 combined errors (standard errors
    /// in quadrature plus both systematics).
    func testPopulationSamplerAgreesWithTheImportanceSampler() throws {
        let data = try Self.digits(train: 8, test: 3)
        var problem = ANBKStudy.Problem(data: data, activation: .relu, depth: 1, gamma: BigRational(1, 2), beta: .finite(BigRational(10)))
        problem.samples = 2000
        problem.burnIn = 60
        problem.measured = 100
        problem.replicas = 1
        XCTAssertEqual(problem.sampler, .smc)
        let smc = try ANBKStudy.run(problem)
        problem.sampler = .importance
        let importance = try ANBKStudy.run(problem)
        XCTAssertNil(smc.failure)
        XCTAssertNil(importance.failure)
        Self.assertAgree(smc, importance, names: ("smc", "importance"))
        XCTAssertGreaterThan(abs(smc.overlaps[0].value - smc.lazyOverlaps[0]), 4 * smc.overlaps[0].tolerance(k: 1), "the check must see the adaptation")
        // ESS >= n/2 after each advance (NB12), at most halved by the inner step (V41b): >= n/8 for the n/2 run.
        XCTAssertGreaterThan(smc.diagnostics!.minimumESS, Double(problem.samples) / 10)
    }

    /// (NB23), (NB26): the depth-1 fixed-point scheme has the saddle of the min-max: phi(h) = h, L = 1, gamma = 1, against
    /// the exact deep-linear saddle (overlap and test loss within 4 standard errors plus the systematic), and its
    /// trace reports one line per iteration of each run with the mixing a = 0.3 as the outer step.
    func testFixedPointSchemeReproducesTheExactDepthOneLinearSaddle() throws {
        let data = try Self.digits(train: 20, test: 5)
        let exact = try ANBKStudy.run(ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(1),
                                                        beta: .finite(BigRational(10)), solver: .exact))
        var problem = ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(1), beta: .finite(BigRational(10)), solver: .minmax)
        problem.samples = 2000
        problem.burnIn = 40
        problem.measured = 60
        problem.replicas = 1
        problem.scheme = .fixedPoint
        // Fresh importance samples every iteration: the carried population relaxes over about 100 iterations at this
        // gamma and would need a longer run (NB26).
        problem.sampler = .importance
        let lines = TraceLines()
        problem.trace = { lines.append($0) }
        let r = try ANBKStudy.run(problem)
        XCTAssertNil(r.failure)
        let e = r.overlaps[0]
        XCTAssertEqual(e.value, exact.overlaps[0].value, accuracy: e.tolerance(k: 4) + 1e-3 * exact.overlaps[0].value)
        XCTAssertGreaterThan(abs(exact.overlaps[0].value - exact.lazyOverlaps[0]), 5 * e.tolerance(k: 1), "the test must see the adaptation")
        let t = r.testLoss!["anbk"]!
        XCTAssertEqual(t.value, exact.testLoss!["anbk"]!.value, accuracy: t.tolerance(k: 4) + 1e-3)
        let all = lines.values
        XCTAssertEqual(all.count, 2 * (problem.burnIn + problem.measured))
        XCTAssertEqual(all.filter { $0.hasPrefix("n/2 ") }.count, problem.burnIn + problem.measured)
        XCTAssertTrue(all.allSatisfy { $0.contains(" outer 0.3 ") }, all.first ?? "")
    }

    /// (NB31): the same case as above with the default population sampler, whose slice moves use the Gaussian fitted
    /// to the other half of the walkers: the slow relaxation of (NB26) is gone, and the carried population reproduces
    /// the exact saddle within 4 standard errors plus the systematic (seed study: notes/seed-study/anbk-fitted-slice.txt).
    func testFittedSliceMovesReachTheExactDepthOneLinearSaddle() throws {
        let data = try Self.digits(train: 20, test: 5)
        let exact = try ANBKStudy.run(ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(1),
                                                        beta: .finite(BigRational(10)), solver: .exact))
        var problem = ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(1), beta: .finite(BigRational(10)), solver: .minmax)
        problem.samples = 2000
        problem.burnIn = 40
        problem.measured = 60
        XCTAssertEqual(problem.sampler, .smc)
        XCTAssertEqual(problem.sliceReference, .fitted)
        let r = try ANBKStudy.run(problem)
        XCTAssertNil(r.failure)
        let e = r.overlaps[0]
        XCTAssertEqual(e.value, exact.overlaps[0].value, accuracy: e.tolerance(k: 4) + 1e-3 * exact.overlaps[0].value)
        let t = r.testLoss!["anbk"]!
        XCTAssertEqual(t.value, exact.testLoss!["anbk"]!.value, accuracy: t.tolerance(k: 4) + 1e-3)
        // A Gaussian tilted law and a reference fitted to it: most first proposals are accepted (1.59 evaluations per move
        // measured at seed 1; the prior reference of (NB13) needs 2.2 on this case).
        XCTAssertLessThan(r.diagnostics!.population.evaluationsPerMove, 1.8)
    }

    /// (NB23): ReLU, L = 1, where the min-max converges (P = 8, gamma = 1/2): the fixed-point scheme's overlap and
    /// test loss agree with the min-max's within 4 combined errors (standard errors in quadrature plus both systematics).
    func testFixedPointSchemeAgreesWithTheMinMaxForReLU() throws {
        let data = try Self.digits(train: 8, test: 3)
        var problem = ANBKStudy.Problem(data: data, activation: .relu, depth: 1, gamma: BigRational(1, 2), beta: .finite(BigRational(10)))
        problem.samples = 2000
        problem.burnIn = 60
        problem.measured = 100
        problem.replicas = 1
        // (NB32): the fixed point is the default at depth 1 (MLP), the min-max at depth >= 2 and for the CNN.
        XCTAssertEqual(problem.resolvedScheme, .fixedPoint)
        var deeper = problem
        deeper.depth = 2
        XCTAssertEqual(deeper.resolvedScheme, .minmax)
        problem.scheme = .minmax
        let minmax = try ANBKStudy.run(problem)
        problem.scheme = nil
        let fixed = try ANBKStudy.run(problem)
        XCTAssertNil(minmax.failure)
        XCTAssertNil(fixed.failure)
        Self.assertAgree(fixed, minmax, names: ("fixed point", "min-max"))
        XCTAssertGreaterThan(abs(fixed.overlaps[0].value - fixed.lazyOverlaps[0]), 4 * fixed.overlaps[0].tolerance(k: 1), "the check must see the adaptation")
    }

    func testBadInputIsRefused() throws {
        let data = try Self.digits(train: 4, test: 0)
        let cases: [ANBKStudy.Problem] = [
            ANBKStudy.Problem(data: data, activation: .relu, depth: 1, gamma: BigRational(1), beta: .infinite),                   // min-max needs a finite beta
            ANBKStudy.Problem(data: data, activation: .relu, depth: 1, gamma: BigRational(1), beta: .finite(BigRational(1)), solver: .exact),  // exact is linear only
            ANBKStudy.Problem(data: data, activation: .identity, depth: 0, gamma: BigRational(1), beta: .finite(BigRational(1))),
            ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(0), beta: .finite(BigRational(1))),               // exact needs gamma > 0
        ]
        for problem in cases {
            XCTAssertThrowsError(try ANBKStudy.run(problem)) { XCTAssertTrue($0 is InputError, "\($0)") }
        }
    }

    /// Two estimates of the same saddle agree: overlap and aNBK test loss within 4 combined errors
    /// (standard errors in quadrature plus both systematics).
    static func assertAgree(_ x: ANBKStudy.Result, _ y: ANBKStudy.Result, names: (String, String), line: UInt = #line) {
        func agree(_ a: Estimate, _ b: Estimate, _ what: String) {
            let combined = (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot() + a.systematic + b.systematic
            XCTAssertEqual(a.value, b.value, accuracy: 4 * combined, "\(what): \(names.0) \(a), \(names.1) \(b)", line: line)
        }
        agree(x.overlaps[0], y.overlaps[0], "overlap")
        agree(x.testLoss!["anbk"]!, y.testLoss!["anbk"]!, "test loss")
    }
}

/// Trace lines collected from the solver's threads (notes/anbk-data.md (NB22)).
final class TraceLines: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLock()
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
