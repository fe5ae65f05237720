import XCTest
import Core
import Simulation
@testable import Studies

/// Checks of the deep DMFT at L = 2 shared by the tanh/erf and ReLU tests (notes/dynamics-nonlinear.md): against finite-width
/// networks and in the lazy limit. Tolerance per comparison: k standard errors, k the two-sided Student t quantile at
/// family-wise 1e-3, Bonferroni over the comparisons.
enum DeepDynamicsChecks {
    /// The Student t multiplier at family-wise 1e-3 over `comparisons`.
    static func k(_ comparisons: Int, dof: Int) -> Double { StudentT.twoSidedQuantile(p: 1e-3 / Double(comparisons), dof: dof) }

    /// Against finite-width networks on the same Euler grid (DN10): widths 128, 256, 512 with 12 seeds each and a 1/N fit, every
    /// observable at t = 0.5 and 1 (lambda = 0.2, gamma = 1, the small data set), Welch's degrees of freedom.
    /// Solves the problem for `activation` with `pairs` sites in 8 replicas (seed 11), runs the networks (seed 5), asserts every
    /// comparison and returns the solver, the problem and the trajectory for further checks.
    @discardableResult
    static func assertAgrees(activation: Activation, pairs: Int, file: StaticString = #filePath, line: UInt = #line) throws
        -> (solver: DynamicsSolver, problem: DynamicsProblem, dmft: DynamicsTrajectory) {
        let name = "\(activation) L=2"
        let problem = try DynamicsProblem(depth: 2, gamma: 1, lambda: 0.2, time: 1, intervals: 2, data: DynamicsVerification.smallData(),
                                          activation: activation)
        var start = Date()
        let solver = DynamicsSolver(coarseStep: 0.1, levels: 2, pairs: pairs, replicas: 8, seed: 11)
        let dmft = try solver.solve(problem)
        print("\(name) DMFT: \(Date().timeIntervalSince(start)) s")
        start = Date()
        let fine = dmft.gridSteps.last!
        let networks = try DynamicsFiniteWidth(widths: [128, 256, 512], seedsPerWidth: 12, seed: 5)
            .run(problem, timeStep: problem.time / Double(fine), stepsPerFrame: fine / problem.intervals)
        print("\(name) finite width: \(Date().timeIntervalSince(start)) s")
        let count = 2 * dmft.finestValues[0].components.count
        var worst = 0.0
        for i in 1...2 {
            for c in dmft.finestValues[i].components.indices {
                let s1 = dmft.finestStandardErrors![i].components[c], s2 = networks.standardErrors[i].components[c]
                let se = (s1 * s1 + s2 * s2).squareRoot()
                let k = k(count, dof: DynamicsVerification.welch(s1, 7, s2, 11))
                let diff = networks.values[i].components[c] - dmft.finestValues[i].components[c]
                worst = max(worst, abs(diff) / se)
                print("t=\(problem.times[i]) c=\(c): dmft \(dmft.finestValues[i].components[c]) +- \(s1), width \(networks.values[i].components[c]) +- \(s2), z \(diff / se)")
                XCTAssertLessThan(abs(diff), k * se, "\(name), t = \(problem.times[i]), component \(c)", file: file, line: line)
            }
        }
        print("\(name) vs finite width: worst |z| \(worst)")
        return (solver, problem, dmft)
    }

    /// Lazy limit (DN20), (DN25): L = 2, gamma = 0.01, T = 0.5 on the small data set, 8 replicas of `pairs` sites (seed 3): the
    /// sampled DMFT equals the static-NTK trajectory within k standard errors (7 degrees of freedom) plus both residuals, every
    /// observable at T. Returns the solver, the problem and both trajectories for further checks.
    @discardableResult
    static func assertLazyLimit(activation: Activation, lambda: Double, pairs: Int, file: StaticString = #filePath, line: UInt = #line) throws
        -> (solver: DynamicsSolver, problem: DynamicsProblem, dmft: DynamicsTrajectory, lazy: DynamicsTrajectory) {
        let problem = try DynamicsProblem(depth: 2, gamma: 0.01, lambda: lambda, time: 0.5, intervals: 1, data: DynamicsVerification.smallData(),
                                          activation: activation)
        let solver = DynamicsSolver(coarseStep: 0.1, levels: 2, pairs: pairs, replicas: 8, seed: 3)
        let dmft = try solver.solve(problem)
        let lazy = try solver.solve(problem, approximation: .staticNTK)
        let se = try XCTUnwrap(dmft.standardErrors, file: file, line: line)
        let count = dmft.values[1].components.count
        let k = k(count, dof: 7)
        for c in 0..<count {
            let x = lazy.values[1].components[c], y = dmft.values[1].components[c]
            let tolerance = k * se[1].components[c] + dmft.residuals[1].components[c] + lazy.residuals[1].components[c] + 1e-9
            print("\(activation) lazy c=\(c): static \(x), dmft \(y) +- \(se[1].components[c]) (residual \(dmft.residuals[1].components[c]))")
            XCTAssertLessThan(abs(x - y), tolerance, "\(activation) component \(c)", file: file, line: line)
        }
        return (solver, problem, dmft, lazy)
    }
}
