/// Where the binary came from. `scripts/setup` (through `scripts/stamp-commit`) writes the
/// git-ignored file BuildCommit.generated.swift next to this one before it builds, with
/// `extension BuildInfo { static var commit: String { "<commit>" } }`; that member shadows the
/// fallback below. Without it (a plain `swift build`) the commit is "unknown commit".
protocol BuildCommitFallback {}

extension BuildCommitFallback {
    static var commit: String { "unknown commit" }
}

enum BuildInfo: BuildCommitFallback {}
