import CLAPACKE
import Foundation

/// Which kernels OpenBLAS runs. A DYNAMIC_ARCH OpenBLAS picks them from the CPU model number; a
/// model it does not know (a virtual machine that reports "Intel(R) Xeon(R) Processor" without a
/// real model, or a CPU newer than the library) makes OpenBLAS 0.3.21 fall back to its generic
/// "Prescott" (SSE3) kernels, although the CPU has AVX2 or AVX-512: dgemm, dsyrk and the level-3
/// half of dsytrd then run about 4x slower (measured: `kernels` at P = 2000, C = X X^T/D 1.66 s
/// against 0.40 s for NumPy's OpenBLAS on the same core). OpenBLAS reads OPENBLAS_CORETYPE when it
/// is loaded, so the command line re-executes itself once with it set (Sources/adaptive-kernels/main.swift).
public enum BLASCore {
    /// The kernel set OpenBLAS chose ("Prescott", "Haswell", "SkylakeX", ...).
    public static var name: String { LinearAlgebraLibrary.shared.openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Kernel sets OpenBLAS falls back to for CPUs it does not recognize.
    static let genericCores: Set<String> = ["prescott", "core2", "katmai", "coppermine", "northwood", "banias", "unknown"]

    /// The OPENBLAS_CORETYPE the CPU supports when OpenBLAS fell back to generic kernels: "SkylakeX"
    /// with AVX-512 (F, CD, BW, DQ, VL), "Haswell" with AVX2 and FMA; nil when OpenBLAS chose a
    /// specific core, when the user set OPENBLAS_CORETYPE, or when the flags show neither.
    public static func betterCoreType(currentCore: String, cpuFlags: Set<String>, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, genericCores.contains(currentCore.lowercased()) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU flags of the first processor in /proc/cpuinfo (empty where there is none).
    public static func cpuFlags(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> Set<String> {
        guard let line = cpuinfo?.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// This process's recommendation: `betterCoreType` for the loaded OpenBLAS and this CPU.
    public static func recommendedCoreType() -> String? {
        betterCoreType(currentCore: name, cpuFlags: cpuFlags(), environment: ProcessInfo.processInfo.environment)
    }
}
