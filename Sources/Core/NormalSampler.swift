import Foundation
import Dispatch
import Numerics

/// Reproducible standard normal samples: a buffer is cut into a fixed number of chunks, each filled
/// by its own SplitMix64 stream whose seed is derived from (seed, stream, chunk). The result does not
/// depend on how many threads run the chunks.
public enum NormalSampler {
    public static let chunks = 16

    /// A seed derived deterministically from a base seed and a list of stream indices (SplitMix64
    /// mixing): the project's one seed derivation (every run of a verification plan draws its seed here).
    public static func derive(_ seed: UInt64, _ parts: UInt64...) -> UInt64 { derive(seed, parts) }

    /// `derive` with the stream indices as an array (signed indices are taken bit for bit).
    public static func derive(_ seed: UInt64, _ parts: [UInt64]) -> UInt64 {
        var generator = SeededGenerator(seed: seed)
        var value = generator.next()
        for part in parts {
            generator = SeededGenerator(seed: value ^ (part &* 0x9E37_79B9_7F4A_7C15))
            value = generator.next()
        }
        return value
    }

    /// Fills `buffer` with i.i.d. N(0, 1) (ziggurat, eq. V45), in parallel over fixed chunks.
    public static func fill(_ buffer: UnsafeMutableBufferPointer<Double>, seed: UInt64) {
        let count = buffer.count
        let size = (count + chunks - 1) / chunks
        let base = UnsafeMutableBufferPointer(rebasing: buffer[...])
        let body = { (chunk: Int) in
            let start = chunk * size
            let end = min(count, start + size)
            if start >= end { return }
            var generator = SeededGenerator(seed: derive(seed, UInt64(chunk)))
            fillSerial(base.baseAddress! + start, count: end - start, generator: &generator)
        }
        // Same chunks either way: small buffers are not worth waking threads for.
        if count < parallelThreshold { for chunk in 0..<chunks { body(chunk) } } else { DispatchQueue.concurrentPerform(iterations: chunks, execute: body) }
    }

    /// `count` i.i.d. N(0, 1) draws for `seed` (the same chunked streams as `fill`).
    public static func vector(_ count: Int, seed: UInt64) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { fill($0, seed: seed) }
        return out
    }

    static let parallelThreshold = 1 << 15

    /// Marsaglia-Tsang ziggurat with 128 layers for exp(-x^2/2) (eq. V45; Doornik's ZIGNOR form):
    /// r = 3.442619855899 (start of the tail), v = 9.91256303526217e-3 (area of each layer),
    /// x_0 = v / f(r), x_1 = r, x_{i+1} = sqrt(-2 ln(v / x_i + f(x_i))), x_128 = 0.
    static let zigguratR = 3.442619855899
    static let zigguratX: [Double] = {
        let r = zigguratR, v = 9.91256303526217e-3
        var x = [Double](repeating: 0, count: 129)
        x[0] = v / exp(-0.5 * r * r); x[1] = r
        for i in 1..<127 { x[i + 1] = (-2 * log(v / x[i] + exp(-0.5 * x[i] * x[i]))).squareRoot() }
        return x
    }()
    static let zigguratRatio: [Double] = (0..<128).map { zigguratX[$0 + 1] / zigguratX[$0] }

    /// One N(0, 1) draw: a 64-bit output gives the layer (low 7 bits) and u in [-1, 1) (high 53 bits);
    /// inside the layer's rectangle (probability ~0.99) u x_i is returned; otherwise the wedge test or,
    /// for layer 0, Marsaglia's tail method beyond r.
    @inline(__always) static func ziggurat(_ g: inout SeededGenerator, _ x: UnsafePointer<Double>, _ ratio: UnsafePointer<Double>) -> Double {
        let bits = g.next()
        let layer = Int(truncatingIfNeeded: bits & 0x7F)
        let u = Double(bits >> 11) * 0x1p-52 - 1.0
        return Swift.abs(u) < ratio[layer] ? u * x[layer] : zigguratRejected(u: u, layer: layer, &g, x, ratio)
    }

    /// Uniform in (0, 1].
    @inline(__always) static func open01(_ g: inout SeededGenerator) -> Double { Double((g.next() >> 11) + 1) * 0x1p-53 }

    /// `count` draws of `ziggurat` in order. The rectangle test of each first 64-bit draw is inline, with the
    /// generator in a local (in registers, no store per draw); the rare rest (about 1 %) is `zigguratRejected`,
    /// out of line. Same draws, same outputs, bit for bit, as calling `ziggurat` `count` times.
    static func fillSerial(_ out: UnsafeMutablePointer<Double>, count: Int, generator: inout SeededGenerator) {
        var g = generator
        defer { generator = g }
        zigguratX.withUnsafeBufferPointer { xs in
            zigguratRatio.withUnsafeBufferPointer { ratios in
                let x = xs.baseAddress!, ratio = ratios.baseAddress!
                for i in 0..<count {
                    let bits = g.next()
                    let layer = Int(truncatingIfNeeded: bits & 0x7F)
                    let u = Double(bits >> 11) * 0x1p-52 - 1.0
                    out[i] = Swift.abs(u) < ratio[layer] ? u * x[layer] : zigguratRejected(u: u, layer: layer, &g, x, ratio)
                }
            }
        }
    }

    /// `ziggurat` after its first draw (u, layer) failed the rectangle test: the tail or the wedge test, and
    /// further draws as `ziggurat` makes them.
    @inline(never) static func zigguratRejected(u first: Double, layer firstLayer: Int, _ g: inout SeededGenerator,
                                                _ x: UnsafePointer<Double>, _ ratio: UnsafePointer<Double>) -> Double {
        var u = first, layer = firstLayer
        while true {
            if layer == 0 {
                var a = 0.0, b = 0.0
                repeat {
                    a = -log(open01(&g)) / zigguratR
                    b = -log(open01(&g))
                } while b + b < a * a
                return u < 0 ? -(zigguratR + a) : zigguratR + a
            }
            let value = u * x[layer]
            let f0 = exp(-0.5 * (x[layer] * x[layer] - value * value))
            let f1 = exp(-0.5 * (x[layer + 1] * x[layer + 1] - value * value))
            if f1 + open01(&g) * (f0 - f1) < 1 { return value }
            let bits = g.next()
            layer = Int(truncatingIfNeeded: bits & 0x7F)
            u = Double(bits >> 11) * 0x1p-52 - 1.0
            if Swift.abs(u) < ratio[layer] { return u * x[layer] }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
