import XCTest
@testable import Numerics

final class BLASCoreTests: XCTestCase {
    func testGenericKernelsOnCapableCPUsGetABetterCoreType() {
        let avx512: Set<String> = ["sse3", "fma", "avx2", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(BLASCore.betterCoreType(currentCore: "Prescott", cpuFlags: avx512, environment: [:]), "SkylakeX")
        XCTAssertEqual(BLASCore.betterCoreType(currentCore: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"], environment: [:]), "Haswell")
        XCTAssertNil(BLASCore.betterCoreType(currentCore: "Prescott", cpuFlags: ["sse3", "avx"], environment: [:]))
        // A specific core, or the user's own choice, is left alone.
        XCTAssertNil(BLASCore.betterCoreType(currentCore: "Haswell", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(BLASCore.betterCoreType(currentCore: "Prescott", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Prescott"]))
    }

    func testCPUFlagsAreReadFromTheFirstProcessor() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse3 avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n"
        XCTAssertEqual(BLASCore.cpuFlags(cpuinfo: cpuinfo), ["fpu", "sse3", "avx2", "fma"])
        XCTAssertEqual(BLASCore.cpuFlags(cpuinfo: nil), [])
        XCTAssertFalse(BLASCore.name.isEmpty)
    }
}
