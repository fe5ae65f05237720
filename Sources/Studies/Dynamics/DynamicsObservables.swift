import Foundation
import Simulation

/// The observables of one time (notes/dynamics-deep-linear.md (DY13)): train and test loss
/// (1/(2P)) |y - f|^2, f.y/|y|^2, per-layer overlaps y^T H^l y/|y|^2 and the alignment of the NTK
/// K = sum_{l=0}^{L} G^{l+1} H^l with y y^T, y^T K y/(|y|^2 |K|_F).
public struct DynamicsPoint: Sendable, Equatable {
    public var trainLoss: Double
    public var testLoss: Double?
    public var fDotY: Double
    public var overlaps: [Double]
    public var ntkAlignment: Double

    /// All numbers in a fixed order (train loss, test loss if any, f.y, overlaps, alignment).
    public var components: [Double] {
        [trainLoss] + (testLoss.map { [$0] } ?? []) + [fDotY] + overlaps + [ntkAlignment]
    }

    /// Rebuilds a point of the same shape as `shape` from `components`.
    public init(components c: [Double], shape: DynamicsPoint) {
        var i = 0
        func next() -> Double { defer { i += 1 }; return c[i] }
        trainLoss = next()
        testLoss = shape.testLoss == nil ? nil : next()
        fDotY = next()
        overlaps = shape.overlaps.map { _ in next() }
        ntkAlignment = next()
    }

    public init(trainLoss: Double, testLoss: Double?, fDotY: Double, overlaps: [Double], ntkAlignment: Double) {
        self.trainLoss = trainLoss; self.testLoss = testLoss; self.fDotY = fDotY; self.overlaps = overlaps; self.ntkAlignment = ntkAlignment
    }

    /// The observables of a frame at time t. A frame with fewer points than the data is the scalar
    /// reduction of whitened data (DY14): one point along y with label |y| = 1; the P - 1 orthogonal
    /// directions have K_aa = sum_l G^{l+1} e^{-2 lambda l t} (DY15).
    public static func observe(_ frame: KernelFrame, data: DynamicsData, lambda: Double, time t: Double) -> DynamicsPoint {
        let depth = frame.featureKernels.count
        let g = frame.gradientKernels + [1]   // G^1 ... G^{L+1}
        if let size = data.whitenedSize, frame.predictions.count == 1, frame.gradientMatrices == nil {
            let f1 = frame.predictions[0]
            let overlaps = frame.featureKernels.map { $0[0] }
            var k11 = g[0], kaa = g[0]
            for l in 1...depth {
                k11 += g[l] * overlaps[l - 1]
                kaa += g[l] * exp(-2 * lambda * Double(l) * t)
            }
            let alignment = k11 / (k11 * k11 + Double(size - 1) * kaa * kaa).squareRoot()
            return DynamicsPoint(trainLoss: (1 - f1) * (1 - f1) / (2 * Double(size)), testLoss: nil, fDotY: f1,
                                 overlaps: overlaps, ntkAlignment: alignment)
        }
        let p = data.trainCount, np = frame.predictions.count, y = data.labels
        let yy = y.reduce(0) { $0 + $1 * $1 }
        var loss = 0.0, fy = 0.0
        for mu in 0..<p { let d = y[mu] - frame.predictions[mu]; loss += d * d; fy += frame.predictions[mu] * y[mu] }
        var testLoss: Double?
        if data.testCount > 0 {
            var s = 0.0
            for a in 0..<data.testCount { let d = data.testLabels[a] - frame.predictions[p + a]; s += d * d }
            testLoss = s / (2 * Double(data.testCount))
        }
        func quadratic(_ m: [Double]) -> Double {
            var s = 0.0
            for a in 0..<p { for b in 0..<p { s += y[a] * m[a * np + b] * y[b] } }
            return s
        }
        // G^l entry (a, b): pattern independent for linear networks, point-indexed for nonlinear ones
        // (notes/dynamics-nonlinear.md (DN4)); G^{L+1} = 1.
        func gradient(_ l: Int, _ a: Int, _ b: Int) -> Double {
            guard l < depth, let matrices = frame.gradientMatrices else { return g[l] }
            return matrices[l][a * np + b]
        }
        var kernel = [Double](repeating: 0, count: p * p)
        for a in 0..<p { for b in 0..<p {
            var s = gradient(0, a, b) * data.kernel[a * data.pointCount + b]
            for l in 1...depth { s += gradient(l, a, b) * frame.featureKernels[l - 1][a * np + b] }
            kernel[a * p + b] = s
        } }
        var kyy = 0.0, frob = 0.0
        for a in 0..<p { for b in 0..<p { kyy += y[a] * kernel[a * p + b] * y[b]; frob += kernel[a * p + b] * kernel[a * p + b] } }
        return DynamicsPoint(trainLoss: loss / (2 * Double(p)), testLoss: testLoss, fDotY: fy / yy,
                             overlaps: frame.featureKernels.map { quadratic($0) / yy },
                             ntkAlignment: kyy / (yy * frob.squareRoot()))
    }
}
