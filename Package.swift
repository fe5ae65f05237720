// swift-tools-version:5.9
// adaptive-kernels: exact and verified theory of infinitely wide feature-learning networks.
// System dependencies only (GMP, LAPACKE over an optimized BLAS); no Swift package dependencies.
//
// Layers (each may import only those above it):
//   Numerics     arithmetic (GMP integers, dyadic intervals, certified elementary functions),
//                linear algebra (LAPACKE/CBLAS), .npy/CSV I/O
//   Core         the shared vocabulary: activations and their lazy kernel maps, estimates,
//                samplers, input errors
//   Theory       the exact equations, grouped by setting (Bayesian / GradientFlow; whitened /
//                general data; lazy baselines)
//   Asymptotics  series and limits of the exact theory
//   Simulation   independent numerical solvers and finite-width networks; it cannot import
//                Theory or Asymptotics, so a verifier never checks the theory against itself
//   Studies      pipelines and verification plans: the only layer that sees both Theory and
//                Simulation
//   AdaptiveKernelsCLI / adaptive-kernels   parse, call a study or a solver, render
import Foundation
import PackageDescription

/// A folder holding only libstdc++.a, made by scripts/setup (`scripts/static-libstdc++`). When it is
/// there, the release executable links the C++ runtime (which the static Swift runtime needs)
/// statically: the search path comes before the compiler's, so `-lstdc++` finds the archive first.
/// Loading and relocating libstdc++.so.6 (about 3,300 symbol bindings) cost 1.8 million of the 4.4
/// million instructions of a one-root `sweep` process (BENCHMARKS.md, whitened overlaps). Without the
/// folder the link is the usual dynamic one.
let staticCXXRuntime = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent(".build/static-libstdc++").path

let package = Package(
    name: "adaptive-kernels",
    products: [
        .library(name: "Numerics", targets: ["Numerics"]),
        .library(name: "Core", targets: ["Core"]),
        .library(name: "Theory", targets: ["Theory"]),
        .library(name: "Asymptotics", targets: ["Asymptotics"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Studies", targets: ["Studies"]),
        .executable(name: "adaptive-kernels", targets: ["adaptive-kernels"]),
    ],
    targets: [
        // Thin shim over <gmp.h>: module map plus inline wrappers for GMP's C macros.
        .systemLibrary(
            name: "CGMP",
            pkgConfig: "gmp",
            providers: [.apt(["libgmp-dev"])]
        ),
        // LAPACKE and CBLAS over OpenBLAS (an optimized BLAS): declarations only, not linked; the
        // libraries are opened on the first dense linear-algebra call
        // (Sources/Numerics/LinearAlgebraLibrary.swift), so scalar commands never load them.
        .systemLibrary(
            name: "CLAPACKE",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        .target(name: "Numerics", dependencies: ["CGMP", "CLAPACKE"], exclude: ["README.md"]),
        .target(name: "Core", dependencies: ["Numerics"], exclude: ["README.md"]),
        .target(name: "Theory", dependencies: ["Numerics", "Core"], exclude: ["README.md"]),
        .target(name: "Asymptotics", dependencies: ["Numerics", "Theory"], exclude: ["README.md"]),
        // Independence of the verifier: no Theory, no Asymptotics here (a test checks this list).
        .target(name: "Simulation", dependencies: ["Numerics", "Core"], exclude: ["README.md"]),
        .target(name: "Studies", dependencies: ["Numerics", "Core", "Theory", "Asymptotics", "Simulation"], exclude: ["README.md"]),
        .target(
            name: "AdaptiveKernelsCLI",
            dependencies: ["Numerics", "Core", "Theory", "Asymptotics", "Simulation", "Studies"],
            exclude: ["README.md"]
        ),
        // Release: a position-dependent executable. With the Swift runtime and Foundation linked
        // statically (scripts/setup), a position-independent one makes the dynamic loader apply about
        // 76,000 relative relocations (1.8 MB) at every start, about 3 ms of a 6 ms process; without
        // PIE there are about 1,000 (BENCHMARKS.md, whitened overlaps). The cost: no address-space
        // randomization of the executable's own code. libgcc is linked statically as well: no
        // libgcc_s.so.1 to load, relocate and initialize at start.
        .executableTarget(
            name: "adaptive-kernels",
            dependencies: ["AdaptiveKernelsCLI"],
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie", "-Xclang-linker", "-static-libgcc", "-L", staticCXXRuntime],
                                          .when(platforms: [.linux], configuration: .release))]
        ),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics"]),
        .testTarget(name: "TheoryTests", dependencies: ["Theory", "Numerics", "Core", "Simulation", "Studies"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Core", "Numerics", "Theory"]),
        .testTarget(name: "StudiesTests", dependencies: ["Studies", "Simulation", "Theory", "Core", "Numerics"]),
        .testTarget(name: "CLITests", dependencies: ["AdaptiveKernelsCLI", "Numerics", "Core", "Theory", "Studies", "Simulation"]),
        .testTarget(name: "AsymptoticsTests", dependencies: ["Asymptotics", "Theory", "Numerics"]),
    ]
)
