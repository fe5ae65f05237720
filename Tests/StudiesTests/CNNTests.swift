import XCTest
import Core
import Numerics
import Simulation
import Theory
@testable import Studies

/// The two-layer CNN (notes/cnn-two-layer.md): the patch = image reduction to the MLP (CN8), the lazy
/// limit of the population (CN7), and the population DMFT against finite-width CNNs (CN9).
final class CNNTests: XCTestCase {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/digits").path

    func digits(train p: Int, test q: Int) throws -> LabelledData {
        try LabelledData.npyDirectory(CNNTests.digits, train: p, test: q)
    }

    func largest(_ a: [Double]) -> Double { a.map(abs).max() ?? 0 }

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
}
