import XCTest
import Core
import Theory
import Simulation
@testable import Studies

/// The two-layer aNTK on data by the population DMFT (notes/antk-nonlinear-data.md).
final class ANTKPopulationStudyTests: XCTestCase {
    /// (AN5)(i): identity activation, synthetic data, against the exact deep-linear aNTK fixed point on
    /// the same data (GeneralANTKSolver, notes/antk-deep-linear.md (A11)): f.y/|y|^2 within 4 se plus the
    /// O(dt) bias allowance 0.02 |f.y| (dt = 0.1 here; the verifier halves dt to measure it).
    func testIdentityPopulationMatchesTheExactDeepLinearFixedPoint() throws {
        let data = try LabelledData.synthetic(train: 5, test: 2, dimension: 8, seed: 21)
        var problem = ANTKPopulationStudy.Problem(data: data, activation: .identity, gamma: 2, lambda: 0.5)
        problem.population = 2048
        problem.seeds = 3
        problem.time = 120
        let r = try ANTKPopulationStudy.run(problem)
        let y = data.labels
        let exact = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: data.trainKernel(), labels: y, gamma: 2, lambda: 0.5, depth: 1))
        let stable = try XCTUnwrap(exact.last { $0.stable && !$0.isCollapse })
        // Without test points the reported predictions are the training ones: f.y/|y|^2 from them.
        let trainOnly = try LabelledData(train: data.trainInputs, labels: y, dimension: data.dimension)
        problem.data = trainOnly
        let t = try ANTKPopulationStudy.run(problem)
        XCTAssertFalse(t.predictionsAreTest)
        let norm = y.reduce(0) { $0 + $1 * $1 }
        let fDotY = zip(t.predictions, y).reduce(0.0) { $0 + $1.0.value * $1.1 } / norm
        let se = zip(t.predictions, y).reduce(0.0) { $0 + $1.0.standardError * abs($1.1) } / norm
        XCTAssertEqual(fDotY, stable.fDotY, accuracy: 4 * se + 0.02 * abs(stable.fDotY))
        XCTAssertLessThan(t.predictorIdentityResidual, 1e-3)
        // With a test set: losses for all three predictors, baselines exact on the training points.
        XCTAssertEqual(Set(r.testLoss!.keys), ["antk", "nngp", "ntk"])
        XCTAssertLessThan(r.trainLoss["ntk"]!.value, 1e-12)
        XCTAssertEqual(r.predictions.count, 2)
    }

    /// (AN13)(i): the deep layered relaxation (AN10) with phi(h) = h at L = 2 against the exact deep-linear
    /// aNTK fixed point on the same data (GeneralANTKSolver, the branch gradient descent reaches): f.y/|y|^2
    /// within 4 se plus 1e-3 |f.y| (the linear fixed point's kernels do not depend on the population's
    /// density, so the populations agree with it far below that), and the test prediction of the
    /// fixed-point map (AN11) against the exact kernel predictor's.
    func testDeepIdentityPopulationMatchesTheExactDeepLinearFixedPoint() throws {
        let data = try LabelledData.synthetic(train: 6, test: 1, dimension: 10, seed: 3)
        var problem = ANTKPopulationStudy.Problem(data: data, activation: .identity, gamma: 2, lambda: 0.5)
        problem.depth = 2
        problem.population = 256
        problem.seeds = 2
        problem.time = 80
        let r = try ANTKPopulationStudy.run(problem)
        let y = data.labels
        let exact = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: data.trainKernel(), labels: y, gamma: 2, lambda: 0.5, depth: 2))
        let top = try XCTUnwrap(exact.filter { !$0.isCollapse }.max { $0.fDotY < $1.fDotY })
        XCTAssertEqual(r.overlap.count, 2)
        XCTAssertEqual(r.stationaryRuns, 2, r.unconverged ?? "")
        XCTAssertLessThan(r.predictorIdentityResidual, 1e-5)
        // f.y from the mean NTK's kernel predictor (GV13), which the residual above ties to the populations' f.
        let n = data.count, p = data.trainCount
        let f = try XCTUnwrap(ANTKKernelAlgebra.predictor(ntk: r.ntk, count: n, trainCount: p, labels: y, ridge: 3 * 0.5))
        let norm = y.reduce(0) { $0 + $1 * $1 }
        let fDotY = zip(f, y).reduce(0.0) { $0 + $1.0 * $1.1 } / norm
        XCTAssertEqual(fDotY, top.fDotY, accuracy: 1e-3 * abs(top.fDotY))
        // The test point: the populations' f_* (AN11) = the kernel predictor on the mean NTK.
        XCTAssertEqual(r.predictions[0].value, f[p], accuracy: 4 * r.predictions[0].standardError + 1e-4)
    }

    /// (AN13)(ii): small gamma, L = 3, ReLU, a short relaxation (lambda T small, as in TrainStudyTests'
    /// lazy test): every layer's kernel stays at the lazy NNGP of its depth (arc-cosine recursion) and the
    /// adapted NTK at the lazy NTK, overlaps within 4 se + (10 gamma + 2 lambda T (L + 1)) of the lazy value.
    func testDeepLazyLimitKeepsTheNNGPAndNTK() throws {
        let data = try LabelledData.synthetic(train: 6, test: 0, dimension: 8, seed: 5)
        let gamma = 0.01, lambda = 1e-4, time = 5.0
        var problem = ANTKPopulationStudy.Problem(data: data, activation: .relu, gamma: gamma, lambda: lambda)
        problem.depth = 3
        problem.population = 512
        problem.seeds = 4
        problem.time = time
        let r = try ANTKPopulationStudy.run(problem)
        let c = data.trainKernel(), p = data.trainCount, y = data.labels
        let diagonal = (0..<p).map { c[$0 * p + $0] }
        let norm = y.reduce(0) { $0 + $1 * $1 }
        func overlap(_ k: [Double]) -> Double { (0..<p).reduce(0.0) { s, i in s + (0..<p).reduce(0.0) { $0 + y[i] * k[i * p + $1] * y[$1] } } / norm }
        let allowance = 10 * gamma + 2 * lambda * time * 4
        for l in 1...3 {
            let lazy = LazyKernels.kernels(input: c, rows: p, columns: p, rowDiagonal: diagonal, columnDiagonal: diagonal,
                                           depth: l, activation: .relu, symmetric: true)
            XCTAssertEqual(r.overlap[l - 1].value, overlap(lazy.nngp), accuracy: 4 * r.overlap[l - 1].standardError + allowance * overlap(lazy.nngp), "layer \(l)")
            if l == 3 {
                // The NTK: one value from the mean kernel, so the tolerance uses the spread of the per-layer overlaps' se.
                let ntkOverlap = overlap(r.ntk), lazyNTK = overlap(lazy.ntk)
                XCTAssertEqual(ntkOverlap, lazyNTK, accuracy: 0.1 * lazyNTK)
            }
        }
    }

    func testBadInputIsRefused() throws {
        let data = try LabelledData.synthetic(train: 3, test: 0, dimension: 4, seed: 1)
        var p = ANTKPopulationStudy.Problem(data: data, activation: .relu, gamma: 1, lambda: 0)
        XCTAssertThrowsError(try ANTKPopulationStudy.run(p)) { XCTAssertTrue($0 is InputError) }
        p.lambda = 1; p.seeds = 1
        XCTAssertThrowsError(try ANTKPopulationStudy.run(p)) { XCTAssertTrue($0 is InputError) }
    }
}
