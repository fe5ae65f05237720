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
