import XCTest
@testable import Core
import Numerics
@testable import Theory

/// General-C solver (A11), (A24) at working precision against the whitened certified solver and
/// the note's general-C examples (section 5).
final class ANTKGeneralTests: XCTestCase {
    /// A rotation of diag(eigenvalues) and a label vector with the given eigen-projections.
    func rotated(_ eigenvalues: [Double], projections: [Double]) -> (c: [Double], y: [Double]) {
        let p = eigenvalues.count
        // Householder reflection H = I − 2 n n^T/|n|^2, n = (1, 2, ..., p): orthogonal, symmetric.
        let n = (0..<p).map { Double($0 + 1) }, nn = n.reduce(0) { $0 + $1 * $1 }
        let h = (0..<p * p).map { ($0 / p == $0 % p ? 1.0 : 0.0) - 2 * n[$0 / p] * n[$0 % p] / nn }
        var c = [Double](repeating: 0, count: p * p), y = [Double](repeating: 0, count: p)
        for i in 0..<p { for j in 0..<p {
            y[i] += h[i * p + j] * projections[j]
            for k in 0..<p { c[i * p + j] += h[i * p + k] * eigenvalues[k] * h[j * p + k] }
        } }
        return (c, y)
    }

    func testIdentityAgreesWithWhitenedSolver() throws {
        let y = [0.5, -0.5, 0.5, 0.5]
        let identity = (0..<16).map { $0 / 4 == $0 % 4 ? 1.0 : 0.0 }
        for (gamma, lambda, depth) in [("3", "1", 2), ("2", "1", 3), ("9/5", "1", 2), ("7/3", "1/5", 1), ("3", "1", 8), ("1.7", "1", 2)] {
            let exact = try WhitenedANTKSolver().solve(
                WhitenedANTKProblem(gamma: BigRational(parsing: gamma), lambda: BigRational(parsing: lambda), depth: depth), digits: 20)
            let g = try BigRational(parsing: gamma).doubleApproximation, l = try BigRational(parsing: lambda).doubleApproximation
            let points = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: identity, labels: y, gamma: g, lambda: l, depth: depth))
            XCTAssertEqual(points.count, exact.fixedPoints.count, "\(gamma) \(lambda) \(depth)")
            for (general, certified) in zip(points, exact.fixedPoints) {
                XCTAssertEqual(general.a, certified.a.midpoint.doubleApproximation, accuracy: 1e-12 * max(1, general.a))
                XCTAssertEqual(general.fDotY, certified.fDotY.midpoint.doubleApproximation, accuracy: 1e-12)
                XCTAssertEqual(general.stable, certified.stability.isStable)
                XCTAssertLessThan(general.equationResidual, 1e-12)
                XCTAssertLessThan(general.predictorResidual, 1e-12)
            }
        }
    }

    /// (A25): C = diag(1, 1e-3), p^2 = (1/2, 1/2), L = 2, gamma = 1, lambda^3 = 2.4e-5: four roots,
    /// alternating unstable / stable (note section 5, mpmath).
    func testFourRootExample() throws {
        let setup = rotated([1, 1e-3], projections: [sqrt(0.5), sqrt(0.5)])
        let points = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: setup.c, labels: setup.y, gamma: 1,
                                                                      lambda: pow(2.4e-5, 1.0 / 3), depth: 2))
        let expected = [9.584498720055278956001151751016935e-5, 37.73999819848662392654650780508372,
                        149.9981928780795617700492430293468, 560.3084266374911613110519271512061]
        XCTAssertEqual(points.count, 5)
        XCTAssertTrue(points[0].isCollapse && points[0].stable)
        for (point, a) in zip(points.dropFirst(), expected) {
            XCTAssertEqual(point.a, a, accuracy: 1e-9 * a)
            XCTAssertLessThan(point.equationResidual, 1e-10)
        }
        XCTAssertEqual(points.dropFirst().map(\.stable), [false, true, false, true])
    }

    /// L = 1, C eigenvalues (2, 0.3), p^2 = (0.2, 0.8), gamma = 2, lambda = 1: a = 0.621506850069937.
    func testDepthOneGeneralExample() throws {
        let setup = rotated([2, 0.3], projections: [sqrt(0.2), sqrt(0.8)])
        let points = try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: setup.c, labels: setup.y, gamma: 2, lambda: 1, depth: 1))
        XCTAssertEqual(points.count, 2)
        XCTAssertEqual(points[1].a, 0.621506850069937, accuracy: 1e-12)
        XCTAssertTrue(points[1].stable)
        XCTAssertFalse(points[0].stable)   // (A26): gamma^2 y^T C y = 4 * 0.64 > 1
    }

    /// Kernels (A6), (A7) and the predictor: f on the training points equals a C Delta, the NTK
    /// identity f = K Delta/(lambda (L+1)) holds, and test predictions are compared with lazy NTK.
    func testKernelsAndPredictor() throws {
        // X: P = 3 points in D = 4 dimensions; test points Q = 2.
        let d = 4.0
        let x: [[Double]] = [[1, 0.5, -0.2, 0.3], [0.1, -1, 0.4, 0.2], [0.3, 0.2, 1.1, -0.5]]
        let xTest: [[Double]] = [[0.9, 0.4, 0, 0.2], [0.2, -0.8, 0.5, 0.1]]
        let w = [0.7, -0.4, 0.5, 0.1]   // teacher
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        let y = x.map { dot($0, w) }, yTest = xTest.map { dot($0, w) }
        let c = x.flatMap { a in x.map { dot(a, $0) / d } }
        let cTest = xTest.flatMap { a in x.map { dot(a, $0) / d } }
        let problem = try GeneralANTKProblem(kernel: c, labels: y, gamma: 6, lambda: 0.5, depth: 2)
        let solver = GeneralANTKSolver()
        let points = try solver.solve(problem)
        XCTAssertEqual(points.map(\.stable), [true, false, true])
        let upper = try XCTUnwrap(points.last)
        let kernels = try solver.kernels(problem, at: upper)
        // Phi^l = E^l/s v v^T has trace-free structure: Phi^L v-direction, G^l constant.
        let phiL = kernels.featureKernel(layer: 2), phi1 = kernels.featureKernel(layer: 1)
        for i in 0..<9 { XCTAssertEqual(phiL[i], upper.layerNorm * phi1[i], accuracy: 1e-12) }
        XCTAssertEqual(kernels.gradientKernelEntry(layer: 1), upper.layerNorm * upper.layerNorm, accuracy: 1e-12)
        XCTAssertEqual(kernels.gradientKernelEntry(layer: 3), 1)
        // Train-test Phi^l(x*, X) = (E^l/s) (C* Delta) v^T (A6 with a test row): on the training rows it is Phi^l.
        let crossOnTrain = kernels.testFeatureKernel(layer: 2, testKernel: c)
        for i in 0..<9 { XCTAssertEqual(crossOnTrain[i], phiL[i], accuracy: 1e-12) }
        let crossPhi = kernels.testFeatureKernel(layer: 1, testKernel: cTest)
        let vStar = LinearAlgebra.multiply(cTest, kernels.delta, m: 2, k: 3, n: 1)
        for q in 0..<2 { for mu in 0..<3 {
            XCTAssertEqual(crossPhi[q * 3 + mu], upper.layerNorm / kernels.s * vStar[q] * kernels.v[mu], accuracy: 1e-12)
        } }
        // Train predictions through the test path reproduce f = a C Delta.
        let onTrain = kernels.predict(testKernel: c)
        let f = LinearAlgebra.multiply(c, kernels.delta, m: 3, k: 3, n: 1).map { upper.a * $0 }
        for i in 0..<3 { XCTAssertEqual(onTrain[i], f[i], accuracy: 1e-12) }
        let prediction = kernels.predict(testKernel: cTest)
        let direct = LinearAlgebra.multiply(cTest, kernels.delta, m: 2, k: 3, n: 1).map { upper.a * $0 }
        for i in 0..<2 { XCTAssertEqual(prediction[i], direct[i], accuracy: 1e-12) }
        let lazy = try ANTKPredictors.lazyNTK(kernel: c, labels: y, testKernel: cTest)
        let lossANTK = ANTKPredictors.meanSquaredError(prediction, yTest)
        let lossLazy = ANTKPredictors.meanSquaredError(lazy, yTest)
        XCTAssertTrue(lossANTK.isFinite && lossLazy.isFinite)
        // Ridgeless lazy NTK interpolates the training labels.
        let lazyTrain = try ANTKPredictors.lazyNTK(kernel: c, labels: y, testKernel: c)
        for i in 0..<3 { XCTAssertEqual(lazyTrain[i], y[i], accuracy: 1e-10) }
    }

    func testRejectsBadInput() {
        let identity = [1.0, 0, 0, 1]
        XCTAssertThrowsError(try GeneralANTKProblem(kernel: identity, labels: [1, 0], gamma: 1, lambda: 0, depth: 2))
        XCTAssertThrowsError(try GeneralANTKProblem(kernel: identity, labels: [1, 0], gamma: -1, lambda: 1, depth: 2))
        XCTAssertThrowsError(try GeneralANTKProblem(kernel: identity, labels: [1, 0], gamma: 1, lambda: 1, depth: 0))
        XCTAssertThrowsError(try GeneralANTKProblem(kernel: [1, 0.5, 0, 1], labels: [1, 0], gamma: 1, lambda: 1, depth: 2))
        XCTAssertThrowsError(try GeneralANTKProblem(kernel: identity, labels: [1, 0, 0], gamma: 1, lambda: 1, depth: 2))
        XCTAssertThrowsError(try GeneralANTKSolver().solve(GeneralANTKProblem(kernel: [1, 0, 0, -1], labels: [1, 1], gamma: 1, lambda: 1, depth: 2)))
    }
}
