// swift-tools-version:5.9
// adaptive-kernels: exact and verified theory of infinitely wide feature-learning networks.
// System dependencies only (GMP, LAPACKE over an optimized BLAS); no Swift package dependencies.
import PackageDescription

let package = Package(
    name: "adaptive-kernels",
    products: [
        .library(name: "Numerics", targets: ["Numerics"]),
        .library(name: "LinearTheory", targets: ["LinearTheory"]),
        .library(name: "Asymptotics", targets: ["Asymptotics"]),
        .library(name: "Verify", targets: ["Verify"]),
        .executable(name: "adaptive-kernels", targets: ["adaptive-kernels"]),
    ],
    targets: [
        // Thin shim over <gmp.h>: module map plus inline wrappers for GMP's C macros.
        .systemLibrary(
            name: "CGMP",
            pkgConfig: "gmp",
            providers: [.apt(["libgmp-dev"])]
        ),
        // LAPACKE and CBLAS over OpenBLAS (an optimized BLAS).
        .systemLibrary(
            name: "CLAPACKE",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        .target(name: "Numerics", dependencies: ["CGMP", "CLAPACKE"], exclude: ["README.md"]),
        .target(name: "LinearTheory", dependencies: ["Numerics"], exclude: ["README.md"]),
        .target(name: "Asymptotics", dependencies: ["Numerics", "LinearTheory"], exclude: ["README.md"]),
        .target(name: "Verify", dependencies: ["Numerics", "LinearTheory"], exclude: ["README.md"]),
        .target(
            name: "AdaptiveKernelsCLI",
            dependencies: ["Numerics", "LinearTheory", "Asymptotics", "Verify"],
            exclude: ["README.md"]
        ),
        .executableTarget(name: "adaptive-kernels", dependencies: ["AdaptiveKernelsCLI"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics"]),
        .testTarget(name: "LinearTheoryTests", dependencies: ["LinearTheory", "Numerics", "Verify"]),
        .testTarget(name: "GradientFlowVerifyTests", dependencies: ["Verify", "LinearTheory", "Numerics"]),
        .testTarget(name: "CLITests", dependencies: ["AdaptiveKernelsCLI", "Numerics", "Verify"]),
        .testTarget(name: "VerifyTests", dependencies: ["Verify", "LinearTheory", "Numerics"]),
        .testTarget(name: "AsymptoticsTests", dependencies: ["Asymptotics", "LinearTheory", "Numerics"]),
    ]
)
