import AdaptiveKernelsCLI
import Foundation

// OpenBLAS fell back to generic kernels on a CPU it does not recognize although the CPU has AVX2 or
// AVX-512: run again with OPENBLAS_CORETYPE set (read only when OpenBLAS loads), once (the variable
// is then set, so the new process does not come back here). If exec fails, go on as we are. Scalar
// commands (overlaps, sweep, ...) do no dense linear algebra and skip it.
let arguments = Array(CommandLine.arguments.dropFirst())
if AdaptiveKernelsCommandLine.usesDenseLinearAlgebra(arguments), let core = AdaptiveKernelsCommandLine.recommendedBLASCoreType() {
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
}
// `kernels` allocates and frees a few P x P matrices (32 MB each at P = 2000): keep them in the heap
// and keep freed heap memory, so the next matrix reuses pages already faulted in instead of fresh
// zeroed ones (about 4 % of the command at P = 2000; BENCHMARKS.md, `kernels` against the LAPACK floor).
// Memory is returned at exit; the setting is this process's only.
// glibc's mallopt is not in Swift's Glibc module (malloc.h): look it up; its parameters are
// malloc.h's M_TRIM_THRESHOLD = -1 and M_MMAP_THRESHOLD = -3. Without it nothing changes.
if arguments.first == "kernels", let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
    let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
    _ = mallopt(-3, 32 << 20)
    _ = mallopt(-1, Int32.max)
}
let result = AdaptiveKernelsCommandLine.run(arguments)

/// Writes all of `text`'s UTF-8 bytes to `descriptor` straight from the string's storage (no copy),
/// resuming after partial writes and interruptions; false when the system refuses them.
func writeAll(_ text: String, to descriptor: Int32) -> Bool {
    var text = text
    return text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}

if !writeAll(result.standardOutput, to: STDOUT_FILENO) {
    let reason = String(cString: strerror(errno))
    _ = writeAll(result.standardError + "adaptive-kernels: error: writing the standard output failed: \(reason)\n", to: STDERR_FILENO)
    exit(result.exitCode == 0 ? 1 : result.exitCode)
}
_ = writeAll(result.standardError, to: STDERR_FILENO)
exit(result.exitCode)
