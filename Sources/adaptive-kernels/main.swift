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
FileHandle.standardOutput.write(result.standardOutput.data(using: .utf8)!)
FileHandle.standardError.write(result.standardError.data(using: .utf8)!)
exit(result.exitCode)
