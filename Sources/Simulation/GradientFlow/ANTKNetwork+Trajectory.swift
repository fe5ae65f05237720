import Foundation
import Core
import Numerics

public extension ANTKNetwork {
    /// Trains by the forward-Euler flow (A2) with step `timeStep` and records the frame (predictions,
    /// feature kernels, gradient kernels) at t = 0 and after every `stepsPerFrame` steps, `frames` times
    /// (notes/dynamics-deep-linear.md (DY20)). Gradient kernels are those of the first point, which are
    /// the pattern-independent G^l for phi(h) = h (notes/antk-deep-linear.md (A3)); the recorder is for
    /// linear networks, and the caller checks that.
    mutating func trajectory(_ data: LabelledData, timeStep: Double, stepsPerFrame: Int, frames: Int) -> [KernelFrame] {
        let n = data.count
        func frame(_ fields: Fields) -> KernelFrame {
            let phi = (1...depth).map { ANTKKernelAlgebra.gram(fields.post[$0], rows: n, columns: width) }
            let g = (1...depth).map { l in (0..<width).reduce(0) { $0 + fields.grad[l][$1] * fields.grad[l][$1] } / Double(width) }
            let matrices = activation == .identity ? nil : (1...depth).map { ANTKKernelAlgebra.gram(fields.grad[$0], rows: n, columns: width) }
            return KernelFrame(predictions: fields.predictions, featureKernels: phi, gradientKernels: g, gradientMatrices: matrices)
        }
        var fields = self.fields(data)
        var out = [frame(fields)]
        for _ in 0..<frames {
            for _ in 0..<stepsPerFrame {
                step(data, fields, dt: timeStep)
                fields = self.fields(data)
            }
            out.append(frame(fields))
        }
        return out
    }
}
