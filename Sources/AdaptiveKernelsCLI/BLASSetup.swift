import Numerics

extension AdaptiveKernelsCommandLine {
    /// The OPENBLAS_CORETYPE to run with when OpenBLAS fell back to generic kernels on a CPU that
    /// has AVX2 or AVX-512 (`BLASCore.recommendedCoreType`); nil when it chose well or the user set it.
    public static func recommendedBLASCoreType() -> String? { BLASCore.recommendedCoreType() }
}
