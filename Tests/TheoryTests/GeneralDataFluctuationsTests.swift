import XCTest
import Core
import Numerics
@testable import Theory

/// The O(1/N) fluctuations of the Bayesian deep linear network on general data
/// (notes/fluctuations-bayes.md (FB15)-(FB21)).
final class GeneralDataFluctuationsTests: XCTestCase {
    func r(_ text: String) -> BigRational { try! BigRational(parsing: text) }

    // notes/checks/fluctuations_general_reference.py (jax float64; its saddle's gradient norm is 6e-16, 5e-9
    // and 9e-14 in cases (ii), (iii), (iv), which bounds the agreement: with |H^{-1}| ~ 50 in case (iii) its
    // saddle is off by ~2.5e-7, so the tolerances are 1e-7 relative for variances and 2e-6 for mean shifts).
    let referenceII = (variance: [1.7875915282392403, 13.824646009013696], shift: [0.77040645680956, 0.765879785442063],
                       fromKernels: [0.06204258160525026, 0.10346332546108485, 0.07233131743021835, 0.05528697289371091],
                       total: [0.33429101610529927, 0.31631577299515595, 0.3290354209548542, 0.34486737599548584], kernel: 2.2708906491842167)
    let referenceIII = (variance: [3.183229662478317, 15.787811867011545, 53.738665257484485],
                        shift: [1.3671249493640973, 2.6032319561761343, 2.098639375248947],
                        fromKernels: [1.1618292068924747, 0.7874255491016451], total: [1.4213332184440888, 1.0239791281490587], kernel: 9.1372791774516)
    let referenceIV = (variance: [8.178649671082782, 18.606863693179456], shift: [-0.6539053142127049, -2.122717140406278],
                       fromKernels: [0.05839559233748686], total: [0.2806178145597105], kernel: 4.762827034406023)

    func gram(_ x: [Double], rows: Int, columns: Int) -> [Double] {
        var c = [Double](repeating: 0, count: rows * rows)
        for i in 0..<rows { for j in 0..<rows { for k in 0..<columns { c[i * rows + j] += x[i * columns + k] * x[j * columns + k] / Double(columns) } } }
        return c
    }

    func fluctuations(_ x: [Double], rows: Int, columns: Int, labels: [Double], gamma: String, beta: String, depth: Int) throws -> GeneralDataFluctuations {
        let joint = gram(x, rows: rows, columns: columns)
        let p = labels.count
        var training = [Double](repeating: 0, count: p * p)
        for i in 0..<p { for j in 0..<p { training[i * p + j] = joint[i * rows + j] } }
        let problem = try GeneralKernelProblem(inputKernel: training, labels: labels, gamma: r(gamma),
                                               beta: InverseTemperature(parsing: beta), depth: depth)
        return try GeneralDataFluctuations(problem: problem, jointKernel: joint, testPoints: rows - p)
    }

    func assertClose(_ x: Double, _ y: Double, _ relative: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(x - y), relative * max(abs(y), 1e-3), "\(what): \(x) vs \(y)", file: file, line: line)
    }

    /// (FB15) with C = I and |y| = 1 is the whitened problem: the dense Psi algebra reproduces the
    /// certified tridiagonal values of (FB8)-(FB11) (which include the w and R blocks of (FB4) in closed
    /// form), for a label along a training point and for a rotated one (N Var f_mu = y_mu^2 V_y +
    /// (1 - y_mu^2) V_perp, (FB10)).
    func testIdentityKernelReproducesTheCertifiedWhitenedValues() throws {
        for (gamma, beta, depth, points) in [("1", "2", 2, 3), ("3/2", "5", 3, 4), ("1/2", "inf", 2, 3)] {
            let whitened = try WhitenedFluctuations.certified(
                problem: WhitenedProblem(gamma: r(gamma), beta: InverseTemperature(parsing: beta), depth: depth), points: points, digits: 20)
            let identity = (0..<(points * points)).map { $0 % (points + 1) == 0 ? 1.0 : 0.0 }
            for labels in [[1.0] + [Double](repeating: 0, count: points - 1), [0.6, 0.8] + [Double](repeating: 0, count: points - 2)] {
                let problem = try GeneralKernelProblem(inputKernel: identity, labels: labels, gamma: r(gamma),
                                                       beta: InverseTemperature(parsing: beta), depth: depth)
                let f = try GeneralDataFluctuations(problem: problem, jointKernel: identity, testPoints: 0)
                XCTAssertLessThan(f.residual, 1e-12)
                for l in 0..<depth {
                    assertClose(f.overlaps[l], whitened.overlaps[l].midpoint.doubleApproximation, 1e-12, "c_\(l + 1)")
                    assertClose(f.overlapVariance[l], whitened.overlapVariance[l].midpoint.doubleApproximation, 1e-9, "N Var c_\(l + 1) \(gamma)")
                    assertClose(f.overlapMeanShift[l], whitened.overlapMeanShift[l].midpoint.doubleApproximation, 1e-9, "N shift c_\(l + 1) \(gamma)")
                }
                let vy = whitened.labelPredictorMeanVariance.midpoint.doubleApproximation
                let vp = whitened.orthogonalPredictorMeanVariance.midpoint.doubleApproximation
                for mu in 0..<points {
                    let y2 = labels[mu] * labels[mu]
                    assertClose(f.predictionVarianceFromKernels[mu], y2 * vy + (1 - y2) * vp, 1e-9, "N Var E[f_\(mu) | Phi]")
                    if let total = f.predictionVariance, let ty = whitened.labelPredictionVariance, let tp = whitened.orthogonalPredictionVariance {
                        assertClose(total[mu], y2 * ty.midpoint.doubleApproximation + (1 - y2) * tp.midpoint.doubleApproximation, 1e-9, "N Var f_\(mu)")
                    } else {
                        XCTFail("prediction variance missing")
                    }
                }
                assertClose(f.kernelVariance, whitened.kernelDiagonalVariance.midpoint.doubleApproximation, 1e-9, "kernel variance")
            }
        }
    }

    /// Against notes/checks/fluctuations_general_reference.py: jax automatic differentiation of the
    /// log density (FB1) in the kernels Phi^l themselves over the training and test points (not the
    /// Psi variables), Newton's method for the saddle, dense inverses.
    func testAgreesWithTheAutodiffReferenceInTheKernelVariables() throws {
        // Case (ii): P = 4, D = 4, no test points.
        let x2: [Double] = [1, 0, 2, -1, 0, 1, 1, 1, 2, -1, 0, 1, 1, 1, -1, 0]
        let f2 = try fluctuations(x2, rows: 4, columns: 4, labels: [1, -0.5, 0.25, 2], gamma: "1.2", beta: "2", depth: 2)
        compare(f2, referenceII)
        // Case (iii): P = 3, Q = 2, D = 5, L = 3.
        let x3: [Double] = [1, 0, 2, -1, 0, 0, 1, 1, 1, 2, 2, -1, 0, 1, 1, 1, 1, -1, 0, 1, 0, 2, 1, -1, 1]
        let f3 = try fluctuations(x3, rows: 5, columns: 5, labels: [1, -1, 0.5], gamma: "1.5", beta: "5", depth: 3)
        compare(f3, referenceIII)
        // Case (iv): beta = inf, P = 2, Q = 1, D = 3.
        let x4: [Double] = [1, 2, 0, 0, 1, -1, 1, 0, 1]
        let f4 = try fluctuations(x4, rows: 3, columns: 3, labels: [1, 0.5], gamma: "0.5", beta: "inf", depth: 2)
        compare(f4, referenceIV)
    }

    func compare(_ f: GeneralDataFluctuations, _ reference: (variance: [Double], shift: [Double], fromKernels: [Double], total: [Double], kernel: Double),
                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(f.residual, 1e-10, file: file, line: line)
        for l in reference.variance.indices {
            assertClose(f.overlapVariance[l], reference.variance[l], 1e-7, "N Var c_\(l + 1)", file: file, line: line)
            assertClose(f.overlapMeanShift[l], reference.shift[l], 2e-6, "N shift c_\(l + 1)", file: file, line: line)
        }
        XCTAssertEqual(f.predictionVarianceFromKernels.count, reference.fromKernels.count, file: file, line: line)
        for mu in reference.fromKernels.indices {
            assertClose(f.predictionVarianceFromKernels[mu], reference.fromKernels[mu], 1e-7, "N Var E[f | Phi] at \(mu)", file: file, line: line)
            assertClose(f.predictionVariance?[mu] ?? .nan, reference.total[mu], 1e-7, "N Var f at \(mu)", file: file, line: line)
        }
        assertClose(f.kernelVariance, reference.kernel, 1e-7, "kernel variance", file: file, line: line)
    }

    /// The training block's law does not depend on which test points are carried along (the marginal
    /// of a Wishart chain is a Wishart chain): the overlaps' variance and mean shift are the same with
    /// and without test points, although the Psi variables have dimension 5 instead of 3 (the (r + 1)
    /// of (FB1) and the cubic term (FB18) both change).
    func testTestPointsDoNotChangeTheTrainingBlock() throws {
        let x: [Double] = [1, 0, 2, -1, 0, 0, 1, 1, 1, 2, 2, -1, 0, 1, 1, 1, 1, -1, 0, 1, 0, 2, 1, -1, 1]
        let with = try fluctuations(x, rows: 5, columns: 5, labels: [1, -1, 0.5], gamma: "1.5", beta: "5", depth: 3)
        let without = try fluctuations(Array(x[0..<15]), rows: 3, columns: 5, labels: [1, -1, 0.5], gamma: "1.5", beta: "5", depth: 3)
        XCTAssertEqual(with.rank, 5); XCTAssertEqual(without.rank, 3)
        for l in 0..<3 {
            assertClose(with.overlapVariance[l], without.overlapVariance[l], 1e-9, "N Var c_\(l + 1)")
            assertClose(with.overlapMeanShift[l], without.overlapMeanShift[l], 1e-9, "N shift c_\(l + 1)")
        }
        assertClose(with.kernelVariance, without.kernelVariance, 1e-9, "kernel variance")
    }

    /// A singular training kernel (P = 4 points in D = 2 features) works at finite beta in the rank-2
    /// Psi variables; the lazy limit there is the static form N Var c_l = 2 l c^2-type closed form
    /// checked through gamma -> 0: the overlaps' variance at gamma = 0 is 2 l (y^T C y)^2 / |y|^4
    /// (Wishart: Var(y^T Phi^1 y) = 2 (y^T C y)^2 / N, and each layer adds the same by total variance).
    func testSingularKernelAndLazyLimit() throws {
        let x: [Double] = [1, 0, 0, 1, 1, 1, 2, -1]
        let labels: [Double] = [1, -1, 0.5, 2]
        let f = try fluctuations(x, rows: 4, columns: 2, labels: labels, gamma: "0", beta: "4", depth: 3)
        XCTAssertEqual(f.rank, 2)
        XCTAssertNil(f.predictionVariance)
        let c = gram(x, rows: 4, columns: 2)
        var yCy = 0.0
        for i in 0..<4 { for j in 0..<4 { yCy += labels[i] * c[i * 4 + j] * labels[j] } }
        let y2 = labels.reduce(0) { $0 + $1 * $1 }
        for l in 0..<3 {
            assertClose(f.overlaps[l], yCy / y2, 1e-12, "lazy c_\(l + 1)")
            assertClose(f.overlapVariance[l], 2 * Double(l + 1) * (yCy / y2) * (yCy / y2), 1e-9, "lazy N Var c_\(l + 1)")
        }
        XCTAssertThrowsError(try fluctuations(x, rows: 4, columns: 2, labels: labels, gamma: "1", beta: "inf", depth: 2))
    }
}
