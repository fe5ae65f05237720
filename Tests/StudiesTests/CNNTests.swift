import XCTest
import Core
import Numerics
import Simulation
import Theory
@testable import Studies

/// The two-layer CNN (notes/cnn-two-layer.md): the patch = image reduction to the MLP (CN8), the lazy
/// limit of the population (CN7), and the population DMFT against finite-width CNNs (CN9).
final class CNNTests: XCTestCase, CNNTestSupport {
    /// (CN8): patch = image (K = H = W, one position) gives the MLP's lazy NNGP and NTK to rounding.
    func testPatchEqualImageReproducesTheMLPLazyKernels() throws {
        let data = try digits(train: 6, test: 3)
        let whole = try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 8, stride: 1)
        XCTAssertEqual(whole.positionCount, 1)
        for activation in [Activation.identity, .relu, .erf] {
            let cnn = ConvolutionalLazyKernels.kernels(data, geometry: whole, activation: activation)
            let mlp = ANTKPopulationStudy.lazyKernels(data, activation: activation)
            let scale = largest(mlp.ntk)
            XCTAssertLessThan(largest(zip(cnn.nngp, mlp.nngp).map { $0 - $1 }), 1e-14 * scale, "\(activation)")
            XCTAssertLessThan(largest(zip(cnn.ntk, mlp.ntk).map { $0 - $1 }), 1e-14 * scale, "\(activation)")
        }
    }

    /// (CN2), (CN5) against an independent direct evaluation: the identity CNN's NNGP is the mean of the
    /// patch-patch kernel over position pairs, i.e. the kernel of the pooled patches.
    func testIdentityKernelIsTheKernelOfThePooledPatch() throws {
        let data = try digits(train: 4, test: 1)
        let g = try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 3, stride: 2)
        XCTAssertEqual(g.positionCount, 9)
        let k = ConvolutionalLazyKernels.kernels(data, geometry: g, activation: .identity)
        let n = data.count
        // Pooled patch m(x) = |P|^-1 sum_p patch_p(x) by hand from the images.
        func pooled(_ nu: Int) -> [Double] {
            var m = [Double](repeating: 0, count: 9)
            for r in stride(from: 0, through: 5, by: 2) { for c in stride(from: 0, through: 5, by: 2) {
                for dr in 0..<3 { for dc in 0..<3 { m[dr * 3 + dc] += data.inputs[nu * 64 + (r + dr) * 8 + c + dc] / 9 } }
            } }
            return m
        }
        for mu in 0..<n { for nu in 0..<n {
            let direct = zip(pooled(mu), pooled(nu)).reduce(0) { $0 + $1.0 * $1.1 } / 9
            XCTAssertEqual(k.nngp[mu * n + nu], direct, accuracy: 1e-15)
            XCTAssertEqual(k.ntk[mu * n + nu], 2 * direct, accuracy: 1e-15)
        } }
    }

    /// (CN8): patch = image reproduces the MLP's population (`ANTKPopulation`) and network
    /// (`ANTKNetwork`, depth 1) from the same seed, along the same fixed-step flow, to rounding.
    func testPatchEqualImageReproducesTheMLPPopulationAndNetwork() throws {
        let data = try digits(train: 8, test: 2)
        let whole = Architecture.cnn(try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 8, stride: 3))
        let settings = ANTKFlowSettings(timeStep: 0.05, maximumTime: 5, tolerance: 1e-12)
        let flow = try PooledFlow(data: data, architecture: whole, activation: .relu, gamma: 2, lambda: 0.3)
        var cnn = try CNNPopulation(size: 64, flow: flow, seed: 11)
        var mlp = try ANTKPopulation(size: 64, data: data, gamma: 2, lambda: 0.3, activation: .relu, seed: 11)
        XCTAssertLessThan(largest(zip(cnn.first, mlp.fields).map { $0 - $1 }), 1e-12 * largest(mlp.fields))
        let a = cnn.run(settings), b = mlp.run(data, settings)
        XCTAssertEqual(a.steps, b.steps)
        XCTAssertLessThan(largest(zip(a.predictions, b.predictions).map { $0 - $1 }), 1e-10 * largest(b.predictions))
        XCTAssertLessThan(largest(zip(a.ntk, b.ntk).map { $0 - $1 }), 1e-10 * largest(b.ntk))
        XCTAssertLessThan(largest(zip(a.featureKernels[0], b.featureKernels[0]).map { $0 - $1 }), 1e-10 * largest(b.featureKernels[0]))

        var cnnNet = CNNNetwork(width: 32, flow: flow, seed: 5)
        var mlpNet = ANTKNetwork(depth: 1, width: 32, inputDimension: 64, gamma: 2, lambda: 0.3, activation: .relu, seed: 5)
        let c = cnnNet.train(settings), d = mlpNet.train(data, settings)
        XCTAssertEqual(c.steps, d.steps)
        XCTAssertLessThan(largest(zip(c.predictions, d.predictions).map { $0 - $1 }), 1e-10 * largest(d.predictions))
        XCTAssertLessThan(largest(zip(c.ntk, d.ntk).map { $0 - $1 }), 1e-10 * largest(d.ntk))
        XCTAssertLessThan(largest(zip(cnnNet.first, mlpNet.weights[0]).map { $0 - $1 }), 1e-10 * largest(mlpNet.weights[0]))
    }

    /// (CN7): at gamma -> 0 and lambda = 0, an antithetic population (f(0) = 0) follows the lazy CNN
    /// NTK flow df/dt = Theta_0 (y - f) (CN5): after k Euler steps of dt,
    /// f = Theta_0(., X) V diag((1 - (1 - dt l_j)^k)/l_j) V^T y (Theta_0,XX = V diag(l) V^T), whose
    /// k -> infinity limit is the ridgeless lazy NTK predictor Theta_0(., X) Theta_0,XX^-1 y.
    /// Tolerance: 4 standard errors over the populations (sampling of Theta_0 by M sites) plus the
    /// O(gamma) feature movement, 10 gamma max|f|; the population's NTK equals Theta_0 within 10%.
    func testLazyLimitOfThePopulationIsTheLazyCNNNTKFlow() throws {
        let data = try digits(train: 8, test: 2)
        let g = try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 3, stride: 2)
        let gamma = 0.01, dt = 0.05, time = 10.0
        let flow = try PooledFlow(data: data, architecture: .cnn(g), activation: .relu, gamma: gamma, lambda: 0)
        let settings = ANTKFlowSettings(timeStep: dt, maximumTime: time, tolerance: 1e-14)
        let runs = try (0..<4).map { s -> ANTKFlowResult in
            var population = try CNNPopulation(size: 512, flow: flow, seed: NormalSampler.derive(3, UInt64(s)), antithetic: true)
            XCTAssertLessThan(largest(population.predictions()), 1e-12)   // f(0) = 0 up to the order of summation
            return population.run(settings)
        }
        let n = data.count, p = data.trainCount, steps = runs[0].steps
        XCTAssertEqual(steps, 200)
        let theta = ConvolutionalLazyKernels.kernels(data, geometry: g, activation: .relu).ntk
        let block = (0..<p).flatMap { i in (0..<p).map { theta[i * n + $0] } }
        let (values, vectors) = try XCTUnwrap(LinearAlgebra.symmetricEigen(block, n: p))
        var alpha = [Double](repeating: 0, count: p), ridgeless = alpha
        for j in 0..<p {
            let c = (0..<p).reduce(0.0) { $0 + vectors[$1 * p + j] * data.labels[$1] }
            let flowFactor = (1 - pow(1 - dt * values[j], Double(steps))) / values[j]
            for mu in 0..<p { alpha[mu] += vectors[mu * p + j] * c * flowFactor; ridgeless[mu] += vectors[mu * p + j] * c / values[j] }
        }
        let lazy = (0..<n).map { nu in (0..<p).reduce(0.0) { $0 + theta[nu * n + $1] * alpha[$1] } }
        let scale = largest(lazy)
        for nu in 0..<n {
            let e = Estimate.mean(ofIndependent: runs.map { Estimate(value: $0.predictions[nu], standardError: 0) })
            XCTAssertEqual(e.value, lazy[nu], accuracy: 4 * e.standardError + 10 * gamma * scale, "point \(nu)")
        }
        // The population's (end-state) NTK is Theta_0 up to sampling.
        let meanNTK = (0..<(n * n)).map { e in runs.reduce(0.0) { $0 + $1.ntk[e] } / 4 }
        XCTAssertLessThan(largest(zip(meanNTK, theta).map { $0 - $1 }), 0.1 * largest(theta))
        // The flow's end point (k -> infinity) is the ridgeless predictor, which interpolates the labels;
        // at T = 10 the flow is still short of it (l_min T << 1), so the test pins the flow.
        let predictor = (0..<n).map { nu in (0..<p).reduce(0.0) { $0 + theta[nu * n + $1] * ridgeless[$1] } }
        XCTAssertLessThan(largest(zip(predictor[0..<p], data.labels).map { $0 - $1 }), 1e-6)
        print("lazy CNN: population test predictions", runs.map { Array($0.predictions[p...]) }, "NTK flow", Array(lazy[p...]),
              "ridgeless NTK predictor", Array(predictor[p...]))
    }

    /// (CN9): the CNN population DMFT against finite-width CNNs at widths 64 and 256 (4 seeds each),
    /// extrapolated in 1/N (`InverseWidthFit`), on P = 10 digits points with 2 test points, patch 3,
    /// stride 2, ReLU, gamma = 2, lambda = 0.1, the same fixed-step flow to T = 6 (the discretisation
    /// is the same map in both, so no dt allowance). Observables: the two test predictions and the train
    /// loss; tolerance t_{3}(1% / 3 two-sided) times the combined standard error. The theory at a
    /// perturbed gamma (x 1.3) must fail the same comparison.
    func testPopulationAgreesWithFiniteWidthCNNs() throws {
        let data = try digits(train: 10, test: 2)
        let architecture = Architecture.cnn(try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 3, stride: 2))
        let settings = ANTKFlowSettings(timeStep: 0.05, maximumTime: 6, tolerance: 1e-14)
        let p = data.trainCount
        func observables(_ r: ANTKFlowResult) -> [Double] { Array(r.predictions[p...]) + [TrainStudy.loss(r.predictions[0..<p], data.labels)] }
        func mean(_ runs: [[Double]]) -> [Estimate] {
            (0..<runs[0].count).map { k in Estimate.mean(ofIndependent: runs.map { Estimate(value: $0[k], standardError: 0) }) }
        }
        func population(gamma: Double) throws -> [Estimate] {
            let flow = try PooledFlow(data: data, architecture: architecture, activation: .relu, gamma: gamma, lambda: 0.1)
            return mean(try (0..<4).map { s in
                var population = try CNNPopulation(size: 512, flow: flow, seed: NormalSampler.derive(21, UInt64(s)))
                return observables(population.run(settings))
            })
        }
        let flow = try PooledFlow(data: data, architecture: architecture, activation: .relu, gamma: 2, lambda: 0.1)
        let widths = [64, 256]
        let perWidth = widths.map { width in
            mean((0..<4).map { s in
                var network = CNNNetwork(width: width, flow: flow, seed: NormalSampler.derive(31, UInt64(width * 10 + s)))
                return observables(network.train(settings))
            })
        }
        let extrapolated = (0..<3).map { k in InverseWidthFit(widths: widths, points: perWidth.map { $0[k] }).intercept }
        let t = StudentT.twoSidedQuantile(p: 0.01 / 3, dof: 3)
        func worst(_ theory: [Estimate]) -> Double {
            zip(theory, extrapolated).map { a, b in
                abs(a.value - b.value) / (t * (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot() + a.systematic + b.systematic)
            }.max()!
        }
        let agreement = worst(try population(gamma: 2)), perturbed = worst(try population(gamma: 2.6))
        print("CNN population vs finite width: worst |difference|/tolerance", agreement, "perturbed gamma x 1.3:", perturbed)
        XCTAssertLessThan(agreement, 1)
        XCTAssertGreaterThan(perturbed, 1)
    }
}
