import XCTest
import Core
import Numerics
import Simulation
import Theory
@testable import Studies

/// The Bayesian two-layer CNN by the min-max (notes/cnn-bayes.md (CB5)-(CB8)) and the linear CNN's
/// closed form (CB1): patch = image is the MLP, gamma -> 0 is the lazy CNN NNGP, the identity is the
/// exact saddle on the pooled-patch kernel.
final class CNNBayesTests: XCTestCase, CNNTestSupport {
    func problem(_ data: LabelledData, _ architecture: Architecture, _ activation: Activation, gamma: BigRational,
                 samples: Int, burnIn: Int, measured: Int, seed: UInt64 = 1) -> ANBKStudy.Problem {
        var problem = ANBKStudy.Problem(data: data, activation: activation, depth: 1, gamma: gamma, beta: .finite(BigRational(10)), solver: .minmax)
        problem.architecture = architecture
        problem.samples = samples; problem.burnIn = burnIn; problem.measured = measured; problem.seed = seed
        problem.replicas = 1
        return problem
    }

    /// (CB1a), (CB7): the site's pooled kernel is the identity CNN's NNGP and its lazy kernel the lazy CNN
    /// NNGP of `ConvolutionalLazyKernels` (independent code, same formula (CN5)); at patch = image both are
    /// the MLP's C and lazy NNGP, and the pooled-patch data reproduce C_pool.
    func testSiteKernelsAreTheLazyCNNKernels() throws {
        let data = try digits(train: 5, test: 2)
        let n = data.count
        for (patch, stride) in [(3, 2), (8, 1)] {
            let g = try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: patch, stride: stride)
            let site = try PooledSite(patches: g.scaledPatches(data), positions: g.positionCount, dimension: g.patchDimension)
            for activation in [Activation.identity, .relu, .erf] {
                let reference = ConvolutionalLazyKernels.kernels(data, geometry: g, activation: activation).nngp
                XCTAssertLessThan(largest(zip(site.lazyKernel(activation), reference).map { $0 - $1 }), 1e-13 * largest(reference), "\(activation) patch \(patch)")
            }
            let identity = ConvolutionalLazyKernels.kernels(data, geometry: g, activation: .identity).nngp
            XCTAssertLessThan(largest(zip(site.pooledKernel, identity).map { $0 - $1 }), 1e-13 * largest(identity))
            let pooled = try ANBKStudy.pooledPatchData(data, geometry: g)
            XCTAssertLessThan(largest(zip(pooled.inputKernel, identity).map { $0 - $1 }), 1e-13 * largest(identity))
            if patch == 8 {
                XCTAssertLessThan(largest(zip(site.pooledKernel, data.inputKernel).map { $0 - $1 }), 1e-13 * largest(data.inputKernel))
                let mlp = Activation.relu.lazyKernel(data.inputKernel, n: n)
                XCTAssertLessThan(largest(zip(site.lazyKernel(.relu), mlp).map { $0 - $1 }), 1e-13 * largest(mlp))
            }
        }
    }

    /// (CB8)(iii): the identity CNN's min-max against the exact deep linear saddle on C_pool (CB1): digits
    /// P = 6, Q = 3, 3 x 3 patches at stride 2 (|P| = 9, d = 9), gamma = 1/2, beta = 10, n = 2000,
    /// 80 + 100 iterations: overlap and test loss within 4 standard errors plus the systematic bound.
    func testIdentityCNNMinMaxReproducesTheExactPooledSaddle() throws {
        let data = try digits(train: 6, test: 3)
        let cnn = Architecture.cnn(try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 3, stride: 2))
        var exactProblem = ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(1, 2), beta: .finite(BigRational(10)), solver: .exact)
        exactProblem.architecture = cnn
        let exact = try ANBKStudy.run(exactProblem)
        let minmax = try ANBKStudy.run(problem(data, cnn, .identity, gamma: BigRational(1, 2), samples: 2000, burnIn: 80, measured: 100))
        XCTAssertNil(minmax.failure)
        let e = minmax.overlaps[0]
        print("identity CNN: min-max overlap \(e), exact \(exact.overlaps[0].value), lazy \(exact.lazyOverlaps[0]); test loss \(minmax.testLoss!["anbk"]!) exact \(exact.testLoss!["anbk"]!.value)")
        XCTAssertEqual(e.value, exact.overlaps[0].value, accuracy: e.tolerance(k: 4) + 1e-3 * abs(exact.overlaps[0].value))
        XCTAssertGreaterThan(abs(exact.overlaps[0].value - exact.lazyOverlaps[0]), 5 * e.tolerance(k: 1), "the test must see the adaptation")
        let t = minmax.testLoss!["anbk"]!
        XCTAssertEqual(t.value, exact.testLoss!["anbk"]!.value, accuracy: t.tolerance(k: 4) + 1e-3)
        // The exact CNN path is the MLP's exact path on the pooled patches, not the MLP on the images.
        let mlp = try ANBKStudy.run(ANBKStudy.Problem(data: data, activation: .identity, depth: 1, gamma: BigRational(1, 2), beta: .finite(BigRational(10)), solver: .exact))
        XCTAssertGreaterThan(abs(mlp.overlaps[0].value - exact.overlaps[0].value), 10 * e.tolerance(k: 1))
    }

    /// (CB8)(ii): gamma = 1/100, ReLU, P = 10, Q = 4, patch 3 stride 2: the CNN aNBK's overlap and test loss
    /// are the lazy CNN NNGP's within 4 standard errors plus the systematic bound plus 1e-3 relative (the
    /// O(gamma^2) shift).
    func testLazyLimitOfTheCNNMinMaxIsTheCNNNNGP() throws {
        let data = try digits(train: 10, test: 4)
        let cnn = Architecture.cnn(try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 3, stride: 2))
        let r = try ANBKStudy.run(problem(data, cnn, .relu, gamma: BigRational(1, 100), samples: 3000, burnIn: 40, measured: 80))
        XCTAssertNil(r.failure)
        print("lazy CNN: min-max overlap \(r.overlaps[0]) NNGP \(r.lazyOverlaps[0]); test loss \(r.testLoss!["anbk"]!) NNGP \(r.testLoss!["nngp"]!.value)")
        XCTAssertEqual(r.overlaps[0].value, r.lazyOverlaps[0], accuracy: r.overlaps[0].tolerance(k: 4) + 1e-3 * r.lazyOverlaps[0])
        let nngp = r.testLoss!["nngp"]!.value, anbk = r.testLoss!["anbk"]!
        XCTAssertEqual(anbk.value, nngp, accuracy: anbk.tolerance(k: 4) + 1e-3 * nngp)
    }

    /// (CB8)(i): patch = image (|P| = 1, the filter is the MLP's first-layer weight vector): the CNN min-max
    /// (filters sampled in d = 64 dimensions) and the MLP min-max (fields sampled over the points) estimate
    /// the same aNBK: ReLU, gamma = 1/2, beta = 10, P = 6, Q = 2, n = 3000, 60 + 100 iterations; overlap and
    /// test loss within 4 combined standard errors plus both systematic bounds.
    func testPatchEqualImageMinMaxAgreesWithTheMLPMinMax() throws {
        let data = try digits(train: 6, test: 2)
        let whole = Architecture.cnn(try ConvolutionGeometry(height: 8, width: 8, channels: 1, patch: 8, stride: 1))
        let cnn = try ANBKStudy.run(problem(data, whole, .relu, gamma: BigRational(1, 2), samples: 3000, burnIn: 60, measured: 100))
        let mlp = try ANBKStudy.run(problem(data, .mlp, .relu, gamma: BigRational(1, 2), samples: 3000, burnIn: 60, measured: 100, seed: 2))
        XCTAssertNil(cnn.failure); XCTAssertNil(mlp.failure)
        func close(_ a: Estimate, _ b: Estimate) -> Double {
            4 * (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot() + a.systematic + b.systematic
        }
        print("patch = image: CNN overlap \(cnn.overlaps[0]) MLP \(mlp.overlaps[0]) lazy \(mlp.lazyOverlaps[0]); test loss \(cnn.testLoss!["anbk"]!) vs \(mlp.testLoss!["anbk"]!)")
        XCTAssertEqual(cnn.overlaps[0].value, mlp.overlaps[0].value, accuracy: close(cnn.overlaps[0], mlp.overlaps[0]))
        XCTAssertEqual(cnn.testLoss!["anbk"]!.value, mlp.testLoss!["anbk"]!.value, accuracy: close(cnn.testLoss!["anbk"]!, mlp.testLoss!["anbk"]!))
        XCTAssertEqual(cnn.lazyOverlaps[0], mlp.lazyOverlaps[0], accuracy: 1e-12)
        XCTAssertGreaterThan(abs(mlp.overlaps[0].value - mlp.lazyOverlaps[0]), 4 * close(cnn.overlaps[0], mlp.overlaps[0]), "the test must see the adaptation")
    }
}
