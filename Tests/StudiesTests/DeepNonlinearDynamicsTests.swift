import XCTest
import Core
import Numerics
import Simulation
import Theory
@testable import Studies

/// The sampled deep DMFT with pathwise responses of notes/dynamics-nonlinear.md (DN17)-(DN21): L = 1 = the two-layer
/// march, identity = the deep linear DMFT, gamma -> 0 = the static NTK, tanh and erf L = 2 against finite width.
/// Tolerances: k standard errors, k the two-sided Student t quantile at family-wise 1e-3, Bonferroni over the test's comparisons.
final class DeepNonlinearDynamicsTests: XCTestCase {

    /// Identity activation, L = 2, through the sampled deep DMFT: the deep linear DMFT (DY10) on the same Euler grid
    /// within k standard errors, every observable at both output times.
    func testIdentityReproducesDeepLinearDMFT() throws {
        let problem = try DynamicsProblem(depth: 2, gamma: 1, lambda: 0.2, time: 1, intervals: 2, data: DynamicsVerification.smallData())
        let exact = try DynamicsSolver(coarseStep: 0.1, levels: 2).solve(problem)
        let start = Date()
        let sampled = try DynamicsSolver(coarseStep: 0.1, levels: 2, pairs: 256, replicas: 8, sampleLinear: true).solve(problem)
        print("sampled deep identity: \(Date().timeIntervalSince(start)) s")
        let se = try XCTUnwrap(sampled.finestStandardErrors)
        let count = 2 * exact.finestValues[0].components.count
        let k = DeepDynamicsChecks.k(count, dof: 7)
        var worst = 0.0
        for i in 1...2 {
            for (c, (x, y)) in zip(exact.finestValues[i].components, sampled.finestValues[i].components).enumerated() {
                worst = max(worst, abs(x - y) / (k * se[i].components[c]))
                XCTAssertLessThan(abs(x - y), k * se[i].components[c], "t = \(problem.times[i]), component \(c): \(x) vs \(y) +- \(se[i].components[c])")
            }
        }
        print("deep identity vs deep linear DMFT: worst |diff|/(k se) \(worst), k = \(k); f.y(T) \(exact.finestValues[2].fDotY) vs "
              + "\(sampled.finestValues[2].fDotY) +- \(se[2].fDotY)")
        // Gradient independence through the same code: the deep linear GI solution.
        let gi = try DynamicsSolver(coarseStep: 0.1, levels: 2).solve(problem, approximation: .gradientIndependence)
        let giSampled = try DynamicsSolver(coarseStep: 0.1, levels: 2, pairs: 256, replicas: 8, sampleLinear: true)
            .solve(problem, approximation: .gradientIndependence)
        for i in 1...2 {
            for (c, (x, y)) in zip(gi.finestValues[i].components, giSampled.finestValues[i].components).enumerated() {
                XCTAssertLessThan(abs(x - y), k * giSampled.finestStandardErrors![i].components[c], "GI t = \(problem.times[i]), component \(c)")
            }
        }
        XCTAssertGreaterThan(abs(gi.finestValues[2].fDotY - exact.finestValues[2].fDotY), 0.05, "the responses matter at L = 2")
    }
}

extension DeepNonlinearDynamicsTests {
    /// L = 1 through the deep march is the two-layer march (DN6) on the same sites, to rounding.
    func testOneLayerIsTheTwoLayerMarch() {
        let data = DynamicsVerification.smallData()
        let sites = TwoLayerDMFT.sample(kernel: data.kernel, pointCount: data.pointCount, pairs: 64, seed: 9)
        for activation in [Activation.tanh, .erf, .identity] {
            let two = TwoLayerDMFT(activation: activation, gamma: 1.5, lambda: 0.2, kernel: data.kernel, pointCount: data.pointCount,
                                   labels: data.labels, timeStep: 0.05, steps: 20).march(sites, stride: 10)
            let deep = DeepNonlinearDMFT(depth: 1, activation: activation, gamma: 1.5, lambda: 0.2, kernel: data.kernel, pointCount: data.pointCount,
                                         labels: data.labels, timeStep: 0.05, steps: 20).march(sites, seed: 1, stride: 10)
            XCTAssertEqual(two.count, deep.count)
            for (a, b) in zip(two, deep) {
                for (x, y) in zip(a.predictions + a.featureKernel + a.gradientKernel, b.predictions + b.featureKernels[0] + b.gradientKernels[0]) {
                    XCTAssertEqual(x, y, accuracy: 1e-12 * max(1, abs(x)), "\(activation)")
                }
            }
        }
    }

    /// tanh, L = 2, against finite-width networks (widths 128, 256, 512, 1/N fit) on the same Euler grid (DN10), every
    /// observable at t = 0.5 and 1; and the self-consistent f.y differs from the gradient-independent one by many standard errors.
    func testTanhTwoHiddenLayersAgainstFiniteWidth() throws {
        let (solver, problem, dmft) = try DeepDynamicsChecks.assertAgrees(activation: .tanh, pairs: 256)
        let gi = try solver.solve(problem, approximation: .gradientIndependence)
        let s = (pow(gi.finestStandardErrors![2].fDotY, 2) + pow(dmft.finestStandardErrors![2].fDotY, 2)).squareRoot()
        print("GI f.y \(gi.finestValues[2].fDotY) vs SC \(dmft.finestValues[2].fDotY) +- \(s)")
        XCTAssertGreaterThan(abs(gi.finestValues[2].fDotY - dmft.finestValues[2].fDotY), 4 * s,
                             "the responses matter at L = 2 (measured 0.101 vs 0.158 +- 0.007)")
    }
}

extension DeepNonlinearDynamicsTests {
    /// Lazy limit (DN20): tanh and erf, L = 2, gamma = 0.01, lambda = 0: the Richardson-extrapolated sampled DMFT equals the
    /// static-NTK trajectory with the layer-recursion kernels within k standard errors plus both residuals; gradient
    /// independence does not (its lazy NTK lacks the response terms, notes/dynamics-deep-linear.md (DY18)).
    func testLazyLimitIsTheStaticNTK() throws {
        for activation in [Activation.tanh, .erf] {
            let (solver, problem, dmft, lazy) = try DeepDynamicsChecks.assertLazyLimit(activation: activation, lambda: 0, pairs: 256)
            let gi = try solver.solve(problem, approximation: .gradientIndependence)
            // Gradient independence misses the response terms of the lazy NTK: its f.y is many standard errors off the static one.
            let giFy = gi.values[1].fDotY, giSe = gi.standardErrors![1].fDotY + gi.residuals[1].fDotY
            XCTAssertGreaterThan(abs(lazy.values[1].fDotY - giFy), 4 * giSe, "\(activation): responses matter in the lazy limit")
            print("\(activation) lazy f.y: static \(lazy.values[1].fDotY), dmft \(dmft.values[1].fDotY) +- \(dmft.standardErrors![1].fDotY), GI \(giFy) +- \(giSe)")
        }
    }
}
