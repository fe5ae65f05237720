import CLAPACKE
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS and LAPACKE, opened on the first dense linear-algebra call instead of at process start.
///
/// Mapping and initializing OpenBLAS (its thread pool, its CPU probe) and LAPACKE with their
/// dependencies (libgfortran, the reference LAPACK wrappers) cost about 2 ms of every process
/// (BENCHMARKS.md, whitened overlaps); the certified scalar commands (overlaps, sweep) never use
/// them. So nothing links them: this value holds one pointer per C function the package calls, the
/// process creates it once (`shared`, a `let`, initialized on first use and thread-safe), and every
/// call goes through it. The prototypes come from <lapacke.h> and <cblas.h>; the pointer types are
/// those prototypes' types (Sources/CLAPACKE/shim.h), so a call checks its arguments as before.
///
/// OpenBLAS is opened first and with RTLD_GLOBAL, then LAPACKE: LAPACKE's calls into LAPACK then
/// resolve to the same OpenBLAS instance as the CBLAS calls and `openblas_set_num_threads`, as they
/// did when the executable linked both (its symbol search order put OpenBLAS first).
public struct LinearAlgebraLibrary: @unchecked Sendable {
    public let LAPACKE_dgbsv: ak_LAPACKE_dgbsv_t
    public let LAPACKE_dgels: ak_LAPACKE_dgels_t
    public let LAPACKE_dgesdd: ak_LAPACKE_dgesdd_t
    public let LAPACKE_dgesv: ak_LAPACKE_dgesv_t
    public let LAPACKE_dgtsv: ak_LAPACKE_dgtsv_t
    public let LAPACKE_dormtr: ak_LAPACKE_dormtr_t
    public let LAPACKE_dormqr_work: ak_LAPACKE_dormqr_work_t
    public let LAPACKE_dormtr_work: ak_LAPACKE_dormtr_work_t
    public let LAPACKE_dposv: ak_LAPACKE_dposv_t
    public let LAPACKE_dpotrf: ak_LAPACKE_dpotrf_t
    public let LAPACKE_dpotri: ak_LAPACKE_dpotri_t
    public let LAPACKE_dstedc: ak_LAPACKE_dstedc_t
    public let LAPACKE_dstemr: ak_LAPACKE_dstemr_t
    public let LAPACKE_dsterf: ak_LAPACKE_dsterf_t
    public let LAPACKE_dsyevd: ak_LAPACKE_dsyevd_t
    public let LAPACKE_dsytrd: ak_LAPACKE_dsytrd_t
    public let LAPACKE_dtrtri: ak_LAPACKE_dtrtri_t
    public let cblas_daxpy: ak_cblas_daxpy_t
    public let cblas_ddot: ak_cblas_ddot_t
    public let cblas_dgemm: ak_cblas_dgemm_t
    public let cblas_dgemv: ak_cblas_dgemv_t
    public let cblas_dger: ak_cblas_dger_t
    public let cblas_dnrm2: ak_cblas_dnrm2_t
    public let cblas_dsbmv: ak_cblas_dsbmv_t
    public let cblas_dsymv: ak_cblas_dsymv_t
    public let cblas_dsyr2: ak_cblas_dsyr2_t
    public let cblas_dsyrk: ak_cblas_dsyrk_t
    public let cblas_dtrmm: ak_cblas_dtrmm_t
    /// The two stages of the two-stage tridiagonal reduction (Fortran symbols of OpenBLAS's LAPACK).
    public let dsytrd_sy2sb: ak_dsytrd_sy2sb__t
    public let dsytrd_sb2st: ak_dsytrd_sb2st__t
    public let openblas_get_corename: ak_openblas_get_corename_t
    public let openblas_get_num_threads: ak_openblas_get_num_threads_t
    public let openblas_set_num_threads: ak_openblas_set_num_threads_t

    /// A library that could not be opened, or lacks a function the package calls.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Shared-object names tried in order: the Debian/Ubuntu sonames first (libopenblas-dev,
    /// liblapacke-dev), then the unversioned development links.
    public static let openBLASNames = ["libopenblas.so.0", "libopenblas.so"]
    public static let lapackeNames = ["liblapacke.so.3", "liblapacke.so"]

    /// The process's library, opened on first use. If OpenBLAS or LAPACKE cannot be opened, the
    /// process cannot do what it was asked: it says why in one line on stderr and exits with status 1.
    public static let shared: LinearAlgebraLibrary = {
        do {
            return try LinearAlgebraLibrary()
        } catch {
            fputs("adaptive-kernels: \(error)\n", stderr)
            exit(1)
        }
    }()

    /// Opens OpenBLAS and LAPACKE (each once per process: dlopen counts references) and resolves
    /// every function; throws if either library or any function is missing.
    public init(openBLASNames: [String] = LinearAlgebraLibrary.openBLASNames,
                lapackeNames: [String] = LinearAlgebraLibrary.lapackeNames) throws {
        let openBLAS = try Self.open(openBLASNames, what: "OpenBLAS")
        let lapacke = try Self.open(lapackeNames, what: "LAPACKE")
        LAPACKE_dgbsv = try Self.function(lapacke, "LAPACKE_dgbsv")
        LAPACKE_dgels = try Self.function(lapacke, "LAPACKE_dgels")
        LAPACKE_dgesdd = try Self.function(lapacke, "LAPACKE_dgesdd")
        LAPACKE_dgesv = try Self.function(lapacke, "LAPACKE_dgesv")
        LAPACKE_dgtsv = try Self.function(lapacke, "LAPACKE_dgtsv")
        LAPACKE_dormtr = try Self.function(lapacke, "LAPACKE_dormtr")
        LAPACKE_dormqr_work = try Self.function(lapacke, "LAPACKE_dormqr_work")
        LAPACKE_dormtr_work = try Self.function(lapacke, "LAPACKE_dormtr_work")
        LAPACKE_dposv = try Self.function(lapacke, "LAPACKE_dposv")
        LAPACKE_dpotrf = try Self.function(lapacke, "LAPACKE_dpotrf")
        LAPACKE_dpotri = try Self.function(lapacke, "LAPACKE_dpotri")
        LAPACKE_dstedc = try Self.function(lapacke, "LAPACKE_dstedc")
        LAPACKE_dstemr = try Self.function(lapacke, "LAPACKE_dstemr")
        LAPACKE_dsterf = try Self.function(lapacke, "LAPACKE_dsterf")
        LAPACKE_dsyevd = try Self.function(lapacke, "LAPACKE_dsyevd")
        LAPACKE_dsytrd = try Self.function(lapacke, "LAPACKE_dsytrd")
        LAPACKE_dtrtri = try Self.function(lapacke, "LAPACKE_dtrtri")
        cblas_daxpy = try Self.function(openBLAS, "cblas_daxpy")
        cblas_ddot = try Self.function(openBLAS, "cblas_ddot")
        cblas_dgemm = try Self.function(openBLAS, "cblas_dgemm")
        cblas_dgemv = try Self.function(openBLAS, "cblas_dgemv")
        cblas_dger = try Self.function(openBLAS, "cblas_dger")
        cblas_dnrm2 = try Self.function(openBLAS, "cblas_dnrm2")
        cblas_dsbmv = try Self.function(openBLAS, "cblas_dsbmv")
        cblas_dsymv = try Self.function(openBLAS, "cblas_dsymv")
        cblas_dsyr2 = try Self.function(openBLAS, "cblas_dsyr2")
        cblas_dsyrk = try Self.function(openBLAS, "cblas_dsyrk")
        cblas_dtrmm = try Self.function(openBLAS, "cblas_dtrmm")
        dsytrd_sy2sb = try Self.function(openBLAS, "dsytrd_sy2sb_")
        dsytrd_sb2st = try Self.function(openBLAS, "dsytrd_sb2st_")
        openblas_get_corename = try Self.function(openBLAS, "openblas_get_corename")
        openblas_get_num_threads = try Self.function(openBLAS, "openblas_get_num_threads")
        openblas_set_num_threads = try Self.function(openBLAS, "openblas_set_num_threads")
    }

    /// The first of `names` that opens (RTLD_NOW: every dependency resolved now, not at a first call
    /// deep inside a solver; RTLD_GLOBAL: see the type's comment).
    private static func open(_ names: [String], what: String) throws -> UnsafeMutableRawPointer {
        var reasons: [String] = []
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { return handle }
            reasons.append(dlerror().map { String(cString: $0) } ?? name)
        }
        throw LoadError(description: "cannot load \(what) (\(reasons.joined(separator: "; "))); "
            + "install it (Debian/Ubuntu: apt-get install libopenblas-dev liblapacke-dev)")
    }

    /// The function `name` of `library` as the pointer type `F` (its C prototype's type).
    private static func function<F>(_ library: UnsafeMutableRawPointer, _ name: String) throws -> F {
        guard let symbol = dlsym(library, name) else {
            throw LoadError(description: "the loaded OpenBLAS/LAPACKE has no function \(name)")
        }
        return unsafeBitCast(symbol, to: F.self)
    }
}
