import Dispatch
import Numerics

/// Reproducible standard normal samples: a buffer is cut into a fixed number of chunks, each filled
/// by its own SplitMix64 stream whose seed is derived from (seed, stream, chunk). The result does not
/// depend on how many threads run the chunks.
public enum NormalSampler {
    public static let chunks = 16

    /// A seed derived deterministically from a base seed and a list of stream indices (SplitMix64 mixing).
    public static func derive(_ seed: UInt64, _ parts: UInt64...) -> UInt64 {
        var generator = SeededGenerator(seed: seed)
        var value = generator.next()
        for part in parts {
            generator = SeededGenerator(seed: value ^ (part &* 0x9E37_79B9_7F4A_7C15))
            value = generator.next()
        }
        return value
    }

    /// Fills `buffer` with i.i.d. N(0, 1) (Marsaglia's polar method), in parallel over fixed chunks.
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

    static let parallelThreshold = 1 << 15

    @inline(__always) static func uniformSymmetric(_ generator: inout SeededGenerator) -> Double {
        Double(generator.next() >> 11) * 0x1p-52 - 1.0
    }

    static func fillSerial(_ out: UnsafeMutablePointer<Double>, count: Int, generator: inout SeededGenerator) {
        var i = 0
        while i < count {
            var u = 0.0, v = 0.0, s = 0.0
            repeat {
                u = uniformSymmetric(&generator)
                v = uniformSymmetric(&generator)
                s = u * u + v * v
            } while s >= 1 || s == 0
            let factor = (-2 * log(s) / s).squareRoot()
            out[i] = u * factor
            if i + 1 < count { out[i + 1] = v * factor }
            i += 2
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
