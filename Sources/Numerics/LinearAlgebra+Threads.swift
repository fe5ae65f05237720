import CLAPACKE

public extension LinearAlgebra {
    /// Threads OpenBLAS may use now.
    static var threadCount: Int { Int(LinearAlgebraLibrary.shared.openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS limited to `count` threads and restores the previous count after it
    /// (also when it throws). The verifiers' matrices are tiny (P x P with P <= 10): BLAS threads
    /// only spin there, so they run BLAS single-threaded and parallelize their own sample chunks.
    static func withThreadCount<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        let previous = LinearAlgebraLibrary.shared.openblas_get_num_threads()
        LinearAlgebraLibrary.shared.openblas_set_num_threads(Int32(max(1, count)))
        defer { LinearAlgebraLibrary.shared.openblas_set_num_threads(previous) }
        return try body()
    }
}
