import CLAPACKE

public extension LinearAlgebra {
    /// Threads OpenBLAS may use. The verifier's matrices are tiny (P x P with P <= 10): BLAS threads
    /// only spin there, so it runs BLAS single-threaded and parallelizes its own sample chunks.
    static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
}
