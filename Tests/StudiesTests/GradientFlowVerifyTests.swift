import XCTest
import Theory
import Numerics
@testable import Simulation
@testable import Studies
@testable import Core

/// Small, DEBUG-fast checks of the gradient-flow verifier against the exact deep-linear aNTK
/// (notes/antk-deep-linear.md section 5) and the one-point ReLU fixed point (notes/theory-overview.md (T20)).
final class GradientFlowVerifyTests: XCTestCase {
    let labels = [0.5, 0.5, 0.5, 0.5]

    func testFiniteWidthReachesStableBranchExactly() throws {
        let data = try LabelledData.whitened(labels: labels)
        var net = ANTKNetwork(depth: 2, width: 64, inputDimension: 4, gamma: 3, lambda: 1, activation: .identity, seed: 3)
        let r = net.train(data, ANTKFlowSettings(timeStep: 0.05, maximumTime: 60, tolerance: 1e-10))
        XCTAssertTrue(r.stationary)
        let u = zip(r.predictions, labels).map(*).reduce(0, +)
        XCTAssertEqual(u, 0.7450578380236059897, accuracy: 1e-8)             // note section 5, stable
        for norm in r.layerNorms { XCTAssertEqual(norm, 1.709519904208764813, accuracy: 1e-7) }  // E (A5)
        // Predictor identity (A7) at the fixed point: f = K Delta / (lambda (L+1)).
        let n = r.count, delta = (0..<n).map { labels[$0] - r.predictions[$0] }
        for mu in 0..<n {
            let kd = (0..<n).reduce(0.0) { $0 + r.ntk[mu * n + $1] * delta[$1] }
            XCTAssertEqual(r.predictions[mu], kd / 3, accuracy: 1e-8)
        }
    }

    func testDeepLinearDMFTMatchesExactBranches() {
        let upper = ANTKDeepLinearDMFT(depth: 2, gamma: 3, lambda: 1, timeStep: 0.1, steps: 150).solve()
        XCTAssertEqual(upper.predictions.last!, 0.7450578380236059897, accuracy: 1e-9)
        XCTAssertEqual(upper.featureNorms[0], 1.709519904208764813, accuracy: 1e-8)     // H^1 = E (A6)
        let collapse = ANTKDeepLinearDMFT(depth: 2, gamma: 1.7, lambda: 1, timeStep: 0.1, steps: 150).solve()
        XCTAssertLessThan(abs(collapse.predictions.last!), 1e-5)
    }

    func testDeepLinearDMFTTwoLayerTrajectoryMatchesA27() {
        // L = 1: u(t) = e^{-2 lambda t} sinh(2 gamma Q)/gamma, dQ/dt = 1 - u (A27); Euler DMFT has O(dt) error.
        let dt = 0.01, steps = 100
        let dmft = ANTKDeepLinearDMFT(depth: 1, gamma: 2, lambda: 1, timeStep: dt, steps: steps).solve()
        var q = 0.0, u = 0.0
        let h = 1e-5
        for i in 0..<Int(1 / h) {
            let t = Double(i) * h
            u = exp(-2 * t) * sinh(4 * q) / 2
            q += h * (1 - u)
        }
        u = exp(-2.0) * sinh(4 * q) / 2
        XCTAssertEqual(dmft.predictions[steps], u, accuracy: 0.02)
        let fine = ANTKDeepLinearDMFT(depth: 1, gamma: 2, lambda: 1, timeStep: dt / 2, steps: 2 * steps).solve()
        XCTAssertLessThan(abs(fine.predictions[2 * steps] - u), abs(dmft.predictions[steps] - u))   // first order in dt
    }

    func testPopulationSinglePointReLU() throws {
        let data = LabelledData.singlePoint
        var pop = try ANTKPopulation(size: 128, data: data, gamma: 2, lambda: 1, activation: .relu, seed: 5)
        let r = pop.run(data, ANTKFlowSettings(timeStep: 0.05, maximumTime: 80, tolerance: 1e-9))
        XCTAssertTrue(r.stationary)
        XCTAssertEqual(r.predictions[0], 0.5, accuracy: 1e-9)                  // 1 - lambda/gamma
        XCTAssertEqual(r.featureKernels[0][0], 1, accuracy: 1e-8)              // gamma - lambda
        XCTAssertEqual(pop.fields.filter { $0 < -1e-6 }.count, 0)             // left half removed
        var collapsed = try ANTKPopulation(size: 128, data: data, gamma: 0.8, lambda: 1, activation: .relu, seed: 6)
        let c = collapsed.run(data, ANTKFlowSettings(timeStep: 0.05, maximumTime: 200, tolerance: 1e-9))
        XCTAssertLessThan(abs(c.predictions[0]), 1e-9)
    }

    func testInverseWidthFitAndSeeds() {
        let widths = [64, 128, 256]
        let points = widths.map { Estimate.bounded(2 + 3 / Double($0), systematic: 1e-6) }
        let fit = InverseWidthFit(widths: widths, points: points).intercept
        XCTAssertEqual(fit.value, 2, accuracy: 1e-9)
        let s = Estimate.mean(ofIndependent: [.bounded(1, systematic: 0), .bounded(3, systematic: 0)])
        XCTAssertEqual(s.value, 2)
        XCTAssertEqual(s.standardError, 1, accuracy: 1e-12)   // sd sqrt(2) / sqrt(2)
    }

    /// The gradient-flow verdicts: k from Student t with the seeds' degrees of freedom; a run that did
    /// not reach stationarity is inconclusive; the lambda = 0 control passes when it differs.
    func testCaseVerdicts() {
        let e = Estimate(value: 1.019, standardError: 0.001, systematic: 0.01, degreesOfFreedom: 2)
        let ok = VerificationCase.against(exact: 1, name: "a", measured: .init(name: "dmft", estimate: e), failure: nil)
        // t_2 at p = 0.01: sqrt(2 / (p (2 - p)) - 2) = 9.92484...
        XCTAssertEqual(ok.k, 9.924843200918294, accuracy: 1e-9)
        XCTAssertEqual(ok.verdict, .pass)                       // 0.019 <= 9.92 x 0.001 + 0.01
        let bad = VerificationCase.against(exact: 1, name: "b", measured: .init(name: "dmft", estimate: Estimate.bounded(1.05, systematic: 0.01)), failure: nil)
        XCTAssertEqual(bad.verdict, .fail)
        let notStationary = VerificationCase.against(exact: 1, name: "c", measured: .init(name: "dmft", estimate: Estimate.bounded(3, systematic: 0.01)),
                                                     failure: "budget spent")
        XCTAssertEqual(notStationary.verdict, .inconclusive)
        let differs = VerificationCase(name: "d", group: "identity", comparison: .differsFromExact, exact: 0,
                                       estimates: [.init(name: "dmft", estimate: .bounded(0.05, systematic: 0.01))])
        XCTAssertEqual(differs.verdict, .pass)
        XCTAssertNotNil(differs.perturbationNote)               // exact 0: a relative perturbation cannot move it
    }

    /// The linear group at toy widths passes; with every exact value moved by 5% each case with a
    /// nonzero exact value fails, and the collapse cases (exact 0) say why they cannot.
    func testLinearGroupPassesAndPerturbationFails() throws {
        var settings = ANTKVerifySettings.quick(seed: 2)
        settings.widths = [32, 64]
        settings.deepWidths = [32, 64]
        settings.population = 64
        settings.populationSeeds = 2
        settings.caseGroup = "linear"
        let cases = try ANTKVerifier(settings: settings).run()
        XCTAssertEqual(cases.count, 12)
        let plain = VerificationReport(plan: "antk", seed: 2, cases: cases)
        XCTAssertEqual(plain.verdict, .pass, plain.cases.filter { $0.verdict != .pass }.map(\.name).joined(separator: "; "))
        let perturbed = VerificationReport(plan: "antk", seed: 2, cases: cases, perturbExact: 0.05)
        for c in perturbed.cases {
            XCTAssertEqual(c.verdict, c.exact == 0 ? .pass : .fail, c.name)
            if c.exact == 0 { XCTAssertNotNil(c.perturbationNote) } else { XCTAssertLessThan(c.smallestDetectablePerturbation!, 0.01, c.name) }
        }
    }

    /// (GV17): the decay rate is read between the last check and the last one at or before 3/4 of its time;
    /// without decay the distance to the fixed point (GV18) is unbounded.
    func testDecayRateAndDistanceToFixedPoint() {
        let history = stride(from: 0.0, through: 40, by: 5).map { (time: $0, velocity: 2 * exp(-0.3 * $0)) }
        XCTAssertEqual(ANTKFlowResult.decayRate(history), 0.3, accuracy: 1e-12)
        XCTAssertEqual(ANTKFlowResult.decayRate([(time: 0, velocity: 1)]), 0)
        XCTAssertLessThan(ANTKFlowResult.decayRate([(time: 0, velocity: 1), (time: 4, velocity: 2)]), 0)
    }

    /// A ReLU digits-style case (DMFT vs finite width, synthetic data) stopped long before its fixed point is
    /// reported not stationary and fails (the converged direction: the digits case of the quick suite passes,
    /// CLITests.testQuickSuitePasses).
    func testEarlyStoppedReLUDataCaseIsNotStationary() throws {
        var settings = smallDigitsSettings(seed: 4, smoothWidths: [32, 64], population: 64)
        settings.widths = [32, 64]
        settings.reluFlow = ANTKFlowSettings(timeStep: 0.05, maximumTime: 3, tolerance: 1e-8)
        settings.smoothFlow = settings.reluFlow
        let early = try ANTKVerifier(settings: settings).run()
        XCTAssertEqual(early.count, 4)                          // ReLU and tanh: test loss, mean NTK diagonal
        for c in early {
            XCTAssertEqual(c.verdict, .inconclusive)            // never a pass, never a disagreement
            XCTAssertTrue(c.unconverged?.contains("spent the budget t = 3") ?? false, c.unconverged ?? "")
        }
        // A single early run: velocity far above the tolerance, finite positive rate, kink bound finite.
        let data = try LabelledData.synthetic(train: 4, test: 3, dimension: 16, seed: 11)
        var pop = try ANTKPopulation(size: 64, data: data, gamma: 1, lambda: 0.5, activation: .relu, seed: 12)
        let r = pop.run(data, ANTKFlowSettings(timeStep: 0.05, maximumTime: 3, tolerance: 1e-8))
        XCTAssertFalse(r.stationary)
        XCTAssertGreaterThan(r.residual, 1e-8)
        XCTAssertTrue(r.kinkDiagonalBound.isFinite)
    }

    /// (GV25) constants are the suprema of |phi|, |phi'|, |phi phi'|, |phi' phi''| (tanh, erf): no grid point
    /// exceeds them and the grid maximum comes within 1e-6 of each (phi'' by central differences).
    func testSmoothActivationBoundsAreSuprema() throws {
        for activation in [Activation.tanh, .erf] {
            let b = try XCTUnwrap(ANTKConvergenceError.bounds(activation))
            var m = [0.0, 0.0, 0.0, 0.0]
            for k in 0...80_000 {
                let h = -10 + Double(k) * 2.5e-4, e = 1e-5
                let v = activation.value(h), s = activation.derivative(h)
                let c = (activation.derivative(h + e) - activation.derivative(h - e)) / (2 * e)
                m = [max(m[0], abs(v)), max(m[1], abs(s)), max(m[2], abs(v * s)), max(m[3], abs(s * c))]
            }
            for (grid, bound) in zip(m, [b.value, b.slope, b.valueSlope, b.slopeCurvature]) {
                XCTAssertLessThanOrEqual(grid, bound + 1e-9, "\(activation)")
                XCTAssertGreaterThan(grid, bound - 1e-6, "\(activation)")
            }
        }
        XCTAssertNil(ANTKConvergenceError.bounds(.relu))
    }

    /// (GV25), (GV26): a tanh network and a tanh population stopped at a loose tolerance; the bounds on the
    /// test loss and the mean NTK diagonal at that state contain what the rest of the flow (to a tolerance
    /// 1e-12) still changes, and are within a factor 10^5 of it (not vacuous; Cauchy-Schwarz ignores that the
    /// remaining motion runs along the slow direction, nearly orthogonal to grad K: about 1e4 measured for K).
    func testTanhConvergenceBoundsCoverTheRestOfTheFlow() throws {
        let data = try LabelledData.synthetic(train: 4, test: 3, dimension: 8, seed: 21)
        let model = ANTKConvergenceError(activation: .tanh, data: data, gamma: 1, lambda: 0.5)
        let n = data.count, p = data.trainCount
        func observed(_ r: ANTKFlowResult) -> (Double, Double) {
            ((p..<n).map { pow(r.predictions[$0] - data.testLabels[$0 - p], 2) }.reduce(0, +) / Double(n - p),
             (0..<n).map { r.ntk[$0 * n + $0] }.reduce(0, +) / Double(n))
        }
        var net = ANTKNetwork(depth: 1, width: 48, inputDimension: data.dimension, gamma: 1, lambda: 0.5, activation: .tanh, seed: 22)
        var pop = try ANTKPopulation(size: 48, data: data, gamma: 1, lambda: 0.5, activation: .tanh, seed: 23)
        let loose = ANTKFlowSettings(timeStep: 0.05, maximumTime: 400, tolerance: 1e-4)
        let tight = ANTKFlowSettings(timeStep: 0.05, maximumTime: 2000, tolerance: 1e-12)
        let earlyNet = net.train(data, loose), earlyNetBound = model.errors(earlyNet, readouts: net.weights[1], population: false)
        let earlyPop = pop.run(data, loose), earlyPopBound = model.errors(earlyPop, readouts: pop.readouts, population: true)
        let lateNet = net.train(data, tight), latePop = pop.run(data, tight)
        for (early, late, bound) in [(earlyNet, lateNet, earlyNetBound), (earlyPop, latePop, earlyPopBound)] {
            XCTAssertTrue(early.stationary && late.stationary)
            XCTAssertGreaterThan(early.decayRate, 0)
            let (l0, k0) = observed(early), (l1, k1) = observed(late)
            XCTAssertLessThanOrEqual(abs(l1 - l0), bound.loss)
            XCTAssertLessThanOrEqual(abs(k1 - k0), bound.kernel)
            XCTAssertLessThan(bound.loss, 1e5 * max(abs(l1 - l0), 1e-12))
            XCTAssertLessThan(bound.kernel, 1e5 * max(abs(k1 - k0), 1e-12))
        }
    }

    /// The tanh digits cases (synthetic data, small sizes): DMFT and the 1/N-extrapolated networks agree and
    /// pass; the tolerance is far below 5% of the DMFT value, so the perturbation of the seed study fails them.
    func testTanhDataCasesPass() throws {
        var settings = smallDigitsSettings(seed: 2, smoothWidths: [16, 32], population: 32)
        settings.digitsActivations = [.tanh]
        let cases = try ANTKVerifier(settings: settings).run()
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            XCTAssertEqual(c.verdict, .pass, c.note)
            XCTAssertTrue(c.name.contains("two-layer tanh"))
            XCTAssertLessThan(c.tolerance, 0.05 * abs(c.estimates[0].estimate.value) / 10)
            XCTAssertTrue(c.note.contains("(GV25, smooth: no kink term)"))
        }
    }

    func testRunsAreDeterministicForASeed() {
        let data = LabelledData.singlePoint
        let flow = ANTKFlowSettings(timeStep: 0.05, maximumTime: 2)
        var a = try! ANTKPopulation(size: 32, data: data, gamma: 2, lambda: 1, activation: .relu, seed: 9)
        var b = try! ANTKPopulation(size: 32, data: data, gamma: 2, lambda: 1, activation: .relu, seed: 9)
        XCTAssertEqual(a.run(data, flow).predictions, b.run(data, flow).predictions)
    }

    /// (GV15): the deep linear DMFT with lambda = 0, gamma = 1 and Delta held at 1 is the universal flow
    /// Psi_L of (A29): Psi_1 = sinh(2 tau) up to the O(dt) Euler error, and Psi_L'(0) = L + 1.
    func testFrozenResidualDMFTIsUniversalFlow() {
        let dt = 0.01, steps = 50
        let coarse = ANTKBlowUpTime.psi(depth: 1, timeStep: dt, steps: steps)
        let fine = ANTKBlowUpTime.psi(depth: 1, timeStep: dt / 2, steps: 2 * steps)
        let exact = sinh(2 * Double(steps) * dt)
        XCTAssertEqual(coarse[steps], exact, accuracy: 0.02 * exact)
        let e1 = abs(coarse[steps] - exact), e2 = abs(fine[2 * steps] - exact)
        XCTAssertEqual(e1 / e2, 2, accuracy: 0.1)                              // first order in dt
        for l in 2...3 {
            let psi = ANTKBlowUpTime.psi(depth: l, timeStep: 1e-3, steps: 2)
            XCTAssertEqual(psi[1] / 1e-3, Double(l + 1), accuracy: 0.02)       // Psi_L'(0) = L + 1 (A29)
        }
    }

    /// (GV16) on a coarse grid agrees with the tabulated tau*_2 (ANTKEndPoint) within the errors.
    func testBlowUpTimeAgreesWithTable() throws {
        let e = ANTKBlowUpTime(depth: 2).estimate(coarseSteps: 25, levels: 3, roughSteps: 100)
        let table = try XCTUnwrap(ANTKEndPoint.blowUpTimes[2])
        XCTAssertLessThan(abs(e.value - table.value), 3 * (e.error + table.error), "\(e.value) +- \(e.error)")
        XCTAssertLessThan(e.error, 0.01)
        XCTAssertEqual(e.exponent, -3, accuracy: 0.1)                            // (A31): -(L+1)/(L-1)
    }

    /// The quick plan's digits cases at toy sizes: synthetic data of 4 training and 3 test points, two seeds per width
    /// (smooth activations at `smoothWidths`), two populations of `population` sites.
    private func smallDigitsSettings(seed: UInt64, smoothWidths: [Int], population: Int) -> ANTKVerifySettings {
        var settings = ANTKVerifySettings.quick(seed: seed)
        settings.smoothWidths = smoothWidths
        settings.seedsPerWidth = 2
        settings.population = population
        settings.populationSeeds = 2
        settings.digitsTrain = 4
        settings.digitsTest = 3
        settings.caseGroup = "digits"
        return settings
    }
}
