import Numerics

extension AdaptiveKernelsCommandLine {
    /// The OPENBLAS_CORETYPE to run with when OpenBLAS fell back to generic kernels on a CPU that
    /// has AVX2 or AVX-512 (`BLASCore.recommendedCoreType`); nil when it chose well or the user set it.
    public static func recommendedBLASCoreType() -> String? { BLASCore.recommendedCoreType() }

    /// Subcommands whose work is certified scalar arithmetic (no dense linear algebra): for them the
    /// re-execution with a tuned OPENBLAS_CORETYPE would only double the start-up (about 18 ms of a
    /// 28 ms `sweep` process; BENCHMARKS.md, whitened overlaps).
    static let scalarSubcommands: Set<String> = ["overlaps", "sweep", "antk-phase", "asymptotics", "merge", "help",
                                                 "--version", "--help", "-h"]

    /// Whether `arguments` (without the program name) run a command that uses dense linear algebra,
    /// so that tuned BLAS kernels are worth a re-execution. The default table (no arguments) does not.
    public static func usesDenseLinearAlgebra(_ arguments: [String]) -> Bool {
        guard let first = arguments.first else { return false }
        return !scalarSubcommands.contains(first)
    }
}
