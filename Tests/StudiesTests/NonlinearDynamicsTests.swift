import XCTest
import Core
import Numerics
import Simulation
import Theory
@testable import Studies

/// The sampled two-layer DMFT of notes/dynamics-nonlinear.md: the alternating procedure's fixed point (DN6),
/// identity = the deep linear DMFT (DN8), gamma -> 0 = the static NTK (DN9), ReLU against finite width (DN10).
/// Tolerances: k standard errors with k the two-sided Student t quantile at a family-wise rate of 1e-3,
/// Bonferroni over the comparisons of a test (every seed is fixed, so a test's outcome is deterministic).
final class NonlinearDynamicsTests: XCTestCase {
    static func k(_ comparisons: Int, dof: Int) -> Double { StudentT.twoSidedQuantile(p: 1e-3 / Double(comparisons), dof: dof) }

    /// The paper's alternating procedure (undamped and damped) converges to the causal march on the same sites.
    func testAlternatingProcedureReachesTheMarch() throws {
        let data = DynamicsVerification.smallData()
        for activation in [Activation.relu, .tanh, .erf] {
            let dmft = TwoLayerDMFT(activation: activation, gamma: 1.5, lambda: 0.2, kernel: data.kernel, pointCount: data.pointCount,
                                    labels: data.labels, timeStep: 0.05, steps: 20)
            let sites = TwoLayerDMFT.sample(kernel: data.kernel, pointCount: data.pointCount, pairs: 200, seed: 3)
            let march = dmft.march(sites, stride: 5)
            for damping in [1.0, 0.5] {
                let alternating = dmft.alternating(sites, stride: 5, damping: damping, tolerance: 1e-13)
                XCTAssertLessThan(alternating.change, 1e-13)
                XCTAssertLessThanOrEqual(alternating.iterations, damping == 1 ? 21 : 200)
                for (a, b) in zip(march, alternating.frames) {
                    for (x, y) in zip(a.predictions + a.featureKernel + a.gradientKernel, b.predictions + b.featureKernel + b.gradientKernel) {
                        XCTAssertEqual(x, y, accuracy: 1e-11 * max(1, abs(x)))
                    }
                }
            }
            XCTAssertEqual(march[0].predictions.map(abs).max()!, 0, "antithetic pairs: f_0 = 0 exactly")
        }
    }

    /// Identity activation, sampled: the deep linear DMFT trajectory (DN8) within k standard errors, on data
    /// with a test point, every observable at every output time.
    func testIdentityReproducesDeepLinearDMFT() throws {
        let problem = try DynamicsProblem(depth: 1, gamma: 1.5, lambda: 0.3, time: 1.5, intervals: 3, data: DynamicsVerification.smallData())
        let exact = try DynamicsSolver(coarseStep: 0.05).solve(problem)
        let sampled = try DynamicsSolver(coarseStep: 0.05, pairs: 1024, replicas: 8, sampleLinear: true).solve(problem)
        let se = try XCTUnwrap(sampled.standardErrors)
        let count = 3 * exact.values[0].components.count
        let k = NonlinearDynamicsTests.k(count, dof: 7)
        var worst = 0.0
        for i in 1...3 {
            for (c, (x, y)) in zip(exact.values[i].components, sampled.values[i].components).enumerated() {
                let tolerance = k * se[i].components[c] + exact.residuals[i].components[c] + sampled.residuals[i].components[c]
                worst = max(worst, abs(x - y) / tolerance)
                XCTAssertLessThan(abs(x - y), tolerance, "t = \(problem.times[i]), component \(c): \(x) vs \(y) +- \(se[i].components[c])")
                XCTAssertGreaterThan(se[i].components[c], 0)
            }
        }
        print("identity vs deep linear DMFT: worst |diff|/tolerance \(worst), k = \(k); f.y(T) \(exact.values[3].fDotY) vs \(sampled.values[3].fDotY) +- \(se[3].fDotY)")
        // Whitened one-point data: the exact two-layer flow (A27).
        let whitened = try DynamicsProblem(depth: 1, gamma: 2, lambda: 0.5, time: 1, intervals: 1, data: .whitened(size: 1))
        let one = try DynamicsSolver(coarseStep: 0.05, pairs: 1024, replicas: 8, sampleLinear: true).solve(whitened)
        let flow = DynamicsVerification.twoLayerExact(gamma: 2, lambda: 0.5, time: 1)
        XCTAssertLessThan(abs(one.values[1].fDotY - flow), NonlinearDynamicsTests.k(1, dof: 7) * one.standardErrors![1].fDotY + one.residuals[1].fDotY)
        print("whitened (A27): \(one.values[1].fDotY) +- \(one.standardErrors![1].fDotY) vs \(flow)")
    }

    /// gamma -> 0 (DN9): the sampled ReLU DMFT at gamma = 0.01 is the static-NTK trajectory (exact lazy kernels)
    /// within k standard errors (tanh, erf at lambda = 0, ReLU also at lambda > 0); on the same sites f is even in
    /// gamma and, for smooth activations, f(gamma) - f(0) falls as gamma^2 (DN7).
    func testLazyLimitIsTheStaticNTK() throws {
        let data = DynamicsVerification.smallData()
        for (activation, lambda) in [(Activation.relu, 0.3), (.tanh, 0.0), (.erf, 0.0)] {
            let problem = try DynamicsProblem(depth: 1, gamma: 0.01, lambda: lambda, time: 1, intervals: 2, data: data, activation: activation)
            let solver = DynamicsSolver(coarseStep: 0.05, pairs: 512, replicas: 8)
            let lazy = try solver.solve(problem, approximation: .staticNTK)
            let sampled = try solver.solve(problem)
            let se = try XCTUnwrap(sampled.standardErrors)
            let k = NonlinearDynamicsTests.k(2 * lazy.values[0].components.count, dof: 7)
            for i in 1...2 {
                for c in lazy.values[i].components.indices {
                    let diff = abs(lazy.values[i].components[c] - sampled.values[i].components[c])
                    XCTAssertLessThan(diff, k * se[i].components[c] + lazy.residuals[i].components[c] + sampled.residuals[i].components[c] + 1e-12,
                                      "\(activation) t = \(problem.times[i]) component \(c)")
                }
            }
            // Evenness on common sites: f(gamma) - f(gamma') = O(gamma^2 - gamma'^2).
            let sites = TwoLayerDMFT.sample(kernel: data.kernel, pointCount: data.pointCount, pairs: 256, seed: 5)
            func fAt(_ g: Double) -> Double {
                TwoLayerDMFT(activation: activation, gamma: g, lambda: lambda, kernel: data.kernel, pointCount: data.pointCount,
                             labels: data.labels, timeStep: 0.05, steps: 20).march(sites, stride: 20).last!.predictions[0]
            }
            // Exactly even on antithetic sites (DN7).
            XCTAssertEqual(fAt(0.7), fAt(-0.7), accuracy: 1e-12)
            // Smooth activations: the difference is c gamma^2 + O(gamma^4) (ReLU's kink makes the sampled f only piecewise smooth in gamma).
            if activation != .relu {
                let base = fAt(1e-4), d1 = fAt(0.04) - base, d2 = fAt(0.02) - base
                XCTAssertEqual(d1 / d2, 4, accuracy: 0.05, "\(activation): O(gamma^2)")
            }
        }
    }

    /// Two-layer ReLU against finite-width gradient descent on the same Euler grid (DN10): widths 128...512,
    /// 12 seeds each, 1/N fit; tolerance k sqrt(se_dmft^2 + se_fw^2).
    func testTwoLayerReLUAgainstFiniteWidth() throws {
        let problem = try DynamicsProblem(depth: 1, gamma: 1.5, lambda: 0.2, time: 1, intervals: 2, data: DynamicsVerification.smallData(),
                                          activation: .relu)
        let trajectory = try DynamicsSolver(coarseStep: 0.05, pairs: 1024, replicas: 8).solve(problem)
        let fine = trajectory.gridSteps.last!
        let networks = try DynamicsFiniteWidth(widths: [128, 256, 512], seedsPerWidth: 12, seed: 11)
            .run(problem, timeStep: problem.time / Double(fine), stepsPerFrame: fine / problem.intervals)
        let se = try XCTUnwrap(trajectory.finestStandardErrors)
        let count = trajectory.values[0].components.count
        let k = NonlinearDynamicsTests.k(2 * count, dof: 7)
        for i in 1...2 {
            for c in 0..<count {
                let x = trajectory.finestValues[i].components[c], y = networks.values[i].components[c]
                let s = (pow(se[i].components[c], 2) + pow(networks.standardErrors[i].components[c], 2)).squareRoot()
                XCTAssertLessThan(abs(x - y), k * s, "t = \(problem.times[i]) component \(c): dmft \(x) vs finite width \(y)")
                print("relu t=\(problem.times[i]) c=\(c): dmft \(x) +- \(se[i].components[c])  fw \(y) +- \(networks.standardErrors[i].components[c])  z \((x - y) / s)")
            }
        }
        // Feature learning is visible: the trajectory differs from the static NTK by many standard errors.
        let lazy = try DynamicsSolver(coarseStep: 0.05).solve(problem, approximation: .staticNTK)
        XCTAssertGreaterThan(abs(lazy.values[2].fDotY - trajectory.values[2].fDotY), 10 * trajectory.standardErrors![2].fDotY)
    }
}
