import Foundation
import XCTest
@testable import Core
import Theory
import Numerics

final class GeneralKernelTests: XCTestCase {
    /// A seeded random P x D data set: C = X X^T / D.
    func randomProblem(p: Int, d: Int, gamma: String, beta: String, depth: Int, seed: UInt64 = 7) throws -> GeneralKernelProblem {
        var state = seed
        func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) - 0.5 }
        let x = (0..<(p * d)).map { _ in next() * 2 }
        let y = (0..<p).map { _ in next() * 3 }
        let c = LinearAlgebra.multiplyTransposed(x, x, m: p, k: d, n: p).map { $0 / Double(d) }
        return try GeneralKernelProblem(inputKernel: c, labels: y, gamma: BigRational(parsing: gamma),
                                        beta: InverseTemperature(parsing: beta), depth: depth)
    }

    func testWhitenedSpecialCaseMatchesTheCertifiedSolver() throws {
        // C = I, |y| = 1: c_L = (1 + g c/(b+c)^2)^L (eq. G13), three roots at gamma^2 ~ 1e5, b = 1e4, L = 10.
        let p = 3
        let identity = (0..<(p * p)).map { $0 % (p + 1) == 0 ? 1.0 : 0.0 }
        let problem = try GeneralKernelProblem(inputKernel: identity, labels: [0.6, 0.8, 0], gamma: BigRational(316),
                                               beta: .finite(BigRational(1, 10000)), depth: 10)
        let solution = try GeneralKernelSolver().solve(problem)
        let exact = try WhitenedOverlapSolver().solve(WhitenedProblem(gamma: BigRational(316), beta: .finite(BigRational(1, 10000)), depth: 10), digits: 20)
        XCTAssertEqual(solution.roots.count, 3)
        XCTAssertEqual(solution.roots.map(\.isDominant), exact.roots.map(\.isDominant))
        for (root, reference) in zip(solution.roots, exact.roots) {
            let c = reference.overlap.midpoint.doubleApproximation
            XCTAssertEqual(root.overlap(10), c, accuracy: 1e-10 * c)
            XCTAssertEqual(root.action, reference.action.midpoint.doubleApproximation, accuracy: 1e-10)
            XCTAssertEqual(root.stationarity, reference.stationarity)
        }
    }

    func testSingularKernelReductionSatisfiesTheMatrixEquations() throws {
        // P > D: C has rank 3 < 9; b > 0 keeps Phi^L + b I invertible.
        let problem = try randomProblem(p: 9, d: 3, gamma: "1.5", beta: "2", depth: 6)
        let solution = try GeneralKernelSolver().solve(problem)
        XCTAssertGreaterThanOrEqual(solution.roots.count, 1)
        for root in solution.roots {
            XCTAssertLessThan(root.secularResidual, 1e-12)
            XCTAssertLessThan(root.stationarityResidual(inputKernel: problem.inputKernel), 1e-11)
            XCTAssertLessThan(root.labelResidual(inputKernel: problem.inputKernel, labels: problem.labels), 1e-11)
            // The matrix solver, dense LAPACK mode and rank-one mode, agrees.
            for dense in [false, true] {
                var solver = MatrixSaddleSolver()
                solver.dense = dense
                var start = problem.inputKernel
                LinearAlgebra.addOuterProduct(&start, 0.9 * root.kappa(6), root.cv, root.cv, m: 9, n: 9)
                let result = try solver.solve(problem, start: start)
                let exact = root.kernel(6, inputKernel: problem.inputKernel)
                let difference = zip(result.kernelL, exact).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(difference, 1e-8 * exact.map(abs).max()!, "dense = \(dense)")
            }
        }
    }

    func testActionIsTheFullActionAndPredictorIsTheBlockRecursion() throws {
        let problem = try randomProblem(p: 6, d: 8, gamma: "2", beta: "5", depth: 3, seed: 11)
        let root = try XCTUnwrap(GeneralKernelSolver().solve(problem).dominant)
        let p = 6, c = problem.inputKernel, g = problem.gammaSquared, b = problem.ridge
        // S = −1/2 Σ Tr(Phi^l hatPhi^l) + g/2 y^T (Phi^L + bI)^{-1} y + 1/2 Σ ln det(I + Phi^{l-1} hatPhi^l)
        var action = 0.0
        for l in 1...3 {
            let phiV = LinearAlgebra.multiply(root.kernel(l, inputKernel: c), vector: root.v, m: p, n: p)
            let previousV = LinearAlgebra.multiply(root.kernel(l - 1, inputKernel: c), vector: root.v, m: p, n: p)
            let eta = root.dualScale(l)
            action += 0.5 * eta * LinearAlgebra.dot(root.v, phiV)
            action += 0.5 * log(1 - eta * LinearAlgebra.dot(root.v, previousV))   // det(I − eta a v^T) = 1 − eta v^T a
        }
        var shifted = root.kernel(3, inputKernel: c)
        for i in 0..<p { shifted[i * p + i] += b }
        let alpha = try XCTUnwrap(LinearAlgebra.solvePositiveDefinite(shifted, problem.labels, n: p, rightHandSides: 1))
        action += g / 2 * LinearAlgebra.dot(problem.labels, alpha)
        XCTAssertEqual(root.action, action, accuracy: 1e-10 * abs(action))
        // Train predictions: Phi^L (Phi^L + bI)^{-1} y equals t C v (eq. G12).
        let direct = LinearAlgebra.multiply(root.kernel(3, inputKernel: c), vector: alpha, m: p, n: p)
        for (a, e) in zip(root.predict(crossKernel: c, rows: p), direct) { XCTAssertEqual(a, e, accuracy: 1e-10) }
    }

    func testLazyLimitAndBadInputs() throws {
        let problem = try randomProblem(p: 5, d: 5, gamma: "0", beta: "10", depth: 4)
        let solution = try GeneralKernelSolver().solve(problem)
        XCTAssertEqual(solution.roots.count, 1)
        XCTAssertEqual(solution.roots[0].u, 0)
        XCTAssertEqual(solution.roots[0].overlap(4), solution.roots[0].yCy / solution.roots[0].yNormSquared, accuracy: 1e-14)
        // Not PSD.
        let bad = try GeneralKernelProblem(inputKernel: [1, 2, 2, 1], labels: [1, 0], gamma: BigRational(1), beta: .finite(BigRational(1)), depth: 2)
        XCTAssertThrowsError(try GeneralKernelSolver().solve(bad)) { XCTAssertTrue("\($0)".contains("not positive semidefinite")) }
        // Singular C with b = 0.
        let singular = try GeneralKernelProblem(inputKernel: [1, 1, 1, 1], labels: [1, 0], gamma: BigRational(1), beta: .infinite, depth: 2)
        XCTAssertThrowsError(try GeneralKernelSolver().solve(singular)) { XCTAssertTrue("\($0)".contains("singular")) }
        XCTAssertThrowsError(try GeneralKernelProblem(inputKernel: [1, 0, 0], labels: [1, 0], gamma: BigRational(1), beta: .finite(BigRational(1)), depth: 2))
        XCTAssertThrowsError(try GeneralKernelProblem(inputKernel: [1, .nan, .nan, 1], labels: [1, 0], gamma: BigRational(1), beta: .finite(BigRational(1)), depth: 2))
    }

    func testLazyKernelClosedForms() {
        // Linear: NNGP = C, NTK = (L+1) C. ReLU, one layer on a unit diagonal: arc-cosine kernel.
        let c = [1.0, 0.5, 0.5, 1.0]
        let linear = LazyKernels.kernels(input: c, rows: 2, columns: 2, rowDiagonal: [1, 1], columnDiagonal: [1, 1], depth: 3, activation: .identity)
        XCTAssertEqual(linear.nngp, c)
        XCTAssertEqual(linear.ntk, c.map { 4 * $0 })
        let relu = LazyKernels.kernels(input: c, rows: 2, columns: 2, rowDiagonal: [1, 1], columnDiagonal: [1, 1], depth: 1, activation: .relu)
        let theta = acos(0.5)
        XCTAssertEqual(relu.nngp[1], (sin(theta) + (Double.pi - theta) * 0.5) / (2 * Double.pi), accuracy: 1e-15)
        XCTAssertEqual(relu.nngp[0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(relu.ntk[1], relu.nngp[1] + (Double.pi - theta) / (2 * Double.pi) * 0.5, accuracy: 1e-15)
    }

    func testReducedSpectrumFromFeaturesMatchesTheFullEigendecomposition() throws {
        // D < P: thin SVD of X plus one null direction (eq. G4') against dsyevd of C (eq. G4).
        for (p, d, gamma, beta, depth) in [(12, 4, "1.5", "2", 6), (10, 3, "20", "1/30", 3), (7, 7, "1", "10", 4)] {
            var state: UInt64 = 5
            func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) - 0.5 }
            let x = (0..<(p * d)).map { _ in next() * 2 }
            let y = (0..<p).map { _ in next() * 3 }
            let c = LinearAlgebra.multiplyTransposed(x, x, m: p, k: d, n: p).map { $0 / Double(d) }
            let problem = try GeneralKernelProblem(inputKernel: c, labels: y, gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let full = try GeneralKernelSolver().solve(problem)
            let reducedSpectrum = try KernelSpectrum(problem, features: x, rows: p, columns: d)
            XCTAssertEqual(reducedSpectrum.eigenvalues.count, d < p ? d + 1 : p)
            let reduced = try GeneralKernelSolver().solve(problem, spectrum: reducedSpectrum)
            XCTAssertEqual(full.roots.count, reduced.roots.count)
            for (a, b) in zip(full.roots, reduced.roots) {
                XCTAssertEqual(a.u, b.u, accuracy: 1e-12 * a.u)
                XCTAssertEqual(a.action, b.action, accuracy: 1e-12 * abs(a.action))
                XCTAssertEqual(a.overlap(depth), b.overlap(depth), accuracy: 1e-12 * a.overlap(depth))
                XCTAssertEqual(a.alignment(depth), b.alignment(depth), accuracy: 1e-12)
                for (va, vb) in zip(a.v, b.v) { XCTAssertEqual(va, vb, accuracy: 1e-11 * a.v.map(abs).max()!) }
                XCTAssertLessThan(b.stationarityResidual(inputKernel: c), 1e-11)
                XCTAssertLessThan(b.labelResidual(inputKernel: c, labels: y), 1e-11)
            }
        }
    }

    func testTridiagonalSpectrumMatchesTheDenseEigendecomposition() throws {
        // KernelSpectrum(problem) never forms U (eq. G4''): its weights, sums over k and f(C) y
        // against dsyevd's U (eq. G4), on a full-rank, a rank-deficient (D < P) and a one-point kernel;
        // each with the one-stage and the two-stage reduction (eq. G23, band kd = 8; rank
        // deficient: it falls back to the one-stage reduction for the eigenvectors of T).
        let reductions: [FirstComponentSpectrum.Reduction] = [.oneStage, .twoStage(bandwidth: 8)]
        for (p, d, gamma, beta, depth) in [(40, 60, "1.5", "2", 6), (50, 10, "20", "1/30", 3), (1, 3, "2", "10", 4)] {
          for reduction in reductions {
            let problem = try randomProblem(p: p, d: d, gamma: gamma, beta: beta, depth: depth, seed: 13)
            let spectrum = try KernelSpectrum(problem, reduction: reduction)
            let twoStage = p > 16 && d >= p && reduction != .oneStage
            let dense = try XCTUnwrap(LinearAlgebra.symmetricEigen(problem.inputKernel, n: p))
            let y = problem.labels
            let scale = dense.values.map(abs).max()!
            let tolerance = 64 * Double(p) * Double.ulpOfOne * scale
            let denseValues = dense.values.map { $0 <= tolerance ? 0 : $0 }
            let denseWeights = (0..<p).map { k in pow((0..<p).reduce(0.0) { $0 + dense.vectors[$1 * p + k] * y[$1] }, 2) }
            let weights = spectrum.projections.map { $0 * $0 }
            let yNorm2 = y.reduce(0) { $0 + $1 * $1 }
            // Sums over k that the secular equation and the overlaps use (eqs. G5, G11), at t = 3, b = b.
            let b = problem.ridge, t = 3.0
            func sums(_ lambda: [Double], _ w: [Double]) -> [Double] {
                [zip(lambda, w).reduce(0) { $0 + $1.0 * $1.1 / pow(t * $1.0 + b, 2) },
                 zip(lambda, w).reduce(0) { $0 + $1.0 * $1.1 / (t * $1.0 + b) },
                 zip(lambda, w).reduce(0) { $0 + $1.0 * $1.1 }, w.reduce(0, +)]
            }
            for (a, c) in zip(sums(denseValues, denseWeights), sums(spectrum.eigenvalues, weights)) {
                XCTAssertEqual(a, c, accuracy: 1e-12 * max(abs(a), 1e-3 * yNorm2))
            }
            let resolvent = spectrum.resolvent(scale: t, ridge: b)
            let denseResolvent = LinearAlgebra.multiply(dense.vectors, vector: (0..<p).map { k in
                (0..<p).reduce(0.0) { $0 + dense.vectors[$1 * p + k] * y[$1] } / (t * denseValues[k] + b) }, m: p, n: p)
            let size = denseResolvent.map(abs).max()!
            for (a, c) in zip(denseResolvent, resolvent) { XCTAssertEqual(a, c, accuracy: 1e-11 * size) }
            // The whole solution through the tridiagonal spectrum satisfies the dense equations.
            let solution = try GeneralKernelSolver().solve(problem, spectrum: spectrum)
            for root in solution.roots {
                XCTAssertLessThan(root.stationarityResidual(inputKernel: problem.inputKernel), 1e-11)
                XCTAssertLessThan(root.labelResidual(inputKernel: problem.inputKernel, labels: y), 1e-11)
            }
            XCTAssertTrue(spectrum.method.hasPrefix(twoStage ? "dsytrd_sy2sb (band 8) + dsytrd_sb2st + " : "dsytrd + "), spectrum.method)
            // Full rank: first components only (eq. G4'''); rank deficient (eigenvalues zeroed by
            // the tolerance): the tridiagonal eigenvectors of the same T (eq. G4'').
            XCTAssertEqual(spectrum.method.contains("implicit QL"), d >= p, spectrum.method)
            // U on demand: the same f(C) y through the dense columns (not after the two-stage
            // reduction, which keeps no Q2).
            guard !twoStage else {
                XCTAssertThrowsError(try spectrum.eigenvectors) { XCTAssertTrue($0 is FirstComponentSpectrum.SecondStageNotStored) }
                continue
            }
            let columns = try spectrum.eigenvectors
            let viaColumns = LinearAlgebra.multiply(columns, vector: (0..<p).map { spectrum.projections[$0] / (t * spectrum.eigenvalues[$0] + b) }, m: p, n: p)
            for (a, c) in zip(viaColumns, resolvent) { XCTAssertEqual(a, c, accuracy: 1e-12 * size) }
          }
        }
    }

    /// The stationarity residual of (G1a) in O(P) per layer (eq. G1') against a plain entrywise
    /// evaluation of the dense P x P residual matrices, layer by layer, with a wrong C v (perturbed
    /// in rows 170...202 only, orthogonally to v so that the hatPhi equations stay exact): the
    /// residual is then O(1e-4), not rounding; to 1e-12 relative. A wrong term of G1' (a layer's
    /// scale, the split of C v - a into beta a + d) would change it.
    func testStationarityResidualMatchesThePlainDenseEvaluation() throws {
        let p = 203, depth = 5
        let problem = try randomProblem(p: p, d: 40, gamma: "1.5", beta: "4", depth: depth, seed: 21)
        let root = try XCTUnwrap(GeneralKernelSolver().solve(problem).dominant)
        let c = problem.inputKernel, a = root.cv, v = root.v
        func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 } }
        var delta = (0..<p).map { $0 >= 170 ? 1e-3 * Double($0 % 7 + 1) : 0 }
        let along = (170..<p).reduce(0.0) { $0 + v[$1] * v[$1] }
        let shift = (170..<p).reduce(0.0) { $0 + v[$1] * delta[$1] } / along
        for i in 170..<p { delta[i] -= shift * v[i] }
        let cDotV = zip(LinearAlgebra.multiply(c, vector: v, m: p, n: p), delta).map { $0 + $1 }
        let spikeDotV = dot(a, v)
        func layerV(_ l: Int) -> [Double] { (0..<p).map { cDotV[$0] + root.kappa(l) * a[$0] * spikeDotV } }
        var dense = 0.0, dual = 0.0
        for l in 1...depth {
            let k = root.kappa(l), pk = root.kappa(l - 1), eta = root.dualScale(l)
            let previous = layerV(l - 1), current = layerV(l)
            var residual2 = 0.0, norm2 = 0.0
            for i in 0..<p { for j in 0..<p {
                let phi = c[i * p + j] + k * a[i] * a[j], before = c[i * p + j] + pk * a[i] * a[j]
                let r = phi - before - eta * previous[i] * current[j]
                residual2 += r * r; norm2 += phi * phi
            } }
            dense = max(dense, (residual2 / norm2).squareRoot())
            if l < depth { dual = max(dual, abs(-eta + eta * root.dualScale(l + 1) * dot(v, current) + root.dualScale(l + 1)) / eta) }
        }
        XCTAssertGreaterThan(dense, 1e-6)
        XCTAssertLessThan(dual, 1e-6 * dense)
        XCTAssertEqual(root.stationarityResidual(inputKernel: c, kernelTimesV: cDotV), dense, accuracy: 1e-12 * dense)
        // Without the perturbation: rounding only, and C v formed inside gives the same value.
        let exact = LinearAlgebra.multiply(c, vector: v, m: p, n: p)
        XCTAssertLessThan(root.stationarityResidual(inputKernel: c), 1e-11)
        XCTAssertEqual(root.stationarityResidual(inputKernel: c, kernelTimesV: exact), root.stationarityResidual(inputKernel: c))
    }
}
