import XCTest
import Core
import Simulation
@testable import Studies

/// The deep DMFT at L = 2 against finite-width networks on the same Euler grid (notes/dynamics-nonlinear.md (DN10)): widths
/// 128, 256, 512 with 12 seeds each and a 1/N fit, every observable at t = 0.5 and 1 (lambda = 0.2, gamma = 1, the small data
/// set). Tolerance per comparison: k combined standard errors, k the two-sided Student t quantile at family-wise 1e-3 with
/// Welch's degrees of freedom, Bonferroni over the comparisons. Shared by the tanh and ReLU tests.
enum DeepDynamicsFiniteWidthCheck {
    /// The Student t multiplier at family-wise 1e-3 over `comparisons`.
    static func k(_ comparisons: Int, dof: Int) -> Double { StudentT.twoSidedQuantile(p: 1e-3 / Double(comparisons), dof: dof) }

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
}
