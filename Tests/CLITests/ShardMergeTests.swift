import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI
import Studies

/// `--shard I/N` and `merge`: the union of the shards is the unsharded output, byte for byte, in
/// any order of the files; incomplete, repeated or foreign shards are refused with exit 2.
final class ShardMergeTests: XCTestCase {
    func run(_ arguments: [String]) -> CommandResult { AdaptiveKernelsCommandLine.run(arguments) }

    func testShardBlocksPartitionTheList() {
        for total in [0, 1, 7, 30, 1_000_003] {
            for count in [1, 2, 3, 8, 64] {
                let ranges = (1...count).map { Shard(index: $0, count: count)!.range(of: total) }
                XCTAssertEqual(ranges.first?.lowerBound, 0)
                XCTAssertEqual(ranges.last?.upperBound, total)
                for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                let sizes = ranges.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
            }
        }
        XCTAssertNil(Shard(parsing: "0/3"))
        XCTAssertNil(Shard(parsing: "4/3"))
        XCTAssertNil(Shard(parsing: "1/"))
        XCTAssertEqual(Shard(parsing: "2/5"), Shard(index: 2, count: 5))
    }

    /// Writes the shards of `arguments` into `folder`, merges them in reverse order and compares
    /// with the unsharded output.
    func assertMergeIsIdentity(_ arguments: [String], shards: Int, suffix: String, in folder: URL,
                               file: StaticString = #filePath, line: UInt = #line) {
        let full = run(arguments)
        var paths: [String] = []
        for i in 1...shards {
            let path = folder.appendingPathComponent("part-\(i).\(suffix)").path
            let r = run(arguments + ["--shard", "\(i)/\(shards)", "--out", path])
            XCTAssertEqual(r.exitCode, 0, r.standardError, file: file, line: line)
            paths.append(path)
        }
        let merged = run(["merge"] + paths.reversed())
        XCTAssertEqual(merged.exitCode, full.exitCode, merged.standardError, file: file, line: line)
        XCTAssertEqual(merged.standardOutput, full.standardOutput, file: file, line: line)
    }

    func testSweepShardsMergeToTheUnshardedOutput() throws {
        let folder = try temporaryFolder()
        let sweep = ["sweep", "--gamma", "1/2,1,20", "--beta", "inf,10,1/64", "--depth", "1...4", "--layers", "all", "--digits", "15"]
        assertMergeIsIdentity(sweep + ["--format", "csv"], shards: 5, suffix: "csv", in: folder)
        assertMergeIsIdentity(sweep + ["--format", "json"], shards: 4, suffix: "json", in: folder)
        // More shards than points: empty shards still merge.
        assertMergeIsIdentity(["sweep", "--gamma", "1", "--beta", "inf", "--depth", "1,2", "--format", "csv"], shards: 3, suffix: "csv", in: folder)
        // A sharded JSON sweep is a sweep document with a "shard" member.
        let validator = try OutputContractValidator.load()
        let shard = run(sweep + ["--format", "json", "--shard", "2/4"])
        XCTAssertEqual(validator.violations(shard.standardOutput, command: "sweep"), [])
        // A table cannot be merged.
        XCTAssertEqual(run(sweep + ["--format", "table", "--shard", "1/2"]).exitCode, 2)
    }

    func testVerifyShardsMergeToTheUnshardedReportAndStatus() throws {
        let folder = try temporaryFolder()
        let plan = ["verify", "antk", "--quick", "--case", "theory2b"]
        assertMergeIsIdentity(plan + ["--format", "json"], shards: 2, suffix: "json", in: folder)
        assertMergeIsIdentity(plan + ["--format", "table"], shards: 3, suffix: "json", in: folder)
        // With the exact values perturbed the plan fails; the merge of its shards fails the same way.
        assertMergeIsIdentity(plan + ["--format", "json", "--perturb-exact", "0.05"], shards: 2, suffix: "json", in: folder)
    }

    /// The Bayesian plan's steps (smoke plan, min-max steps).
    func testBayesShardsMergeToTheUnshardedReport() throws {
        let folder = try temporaryFolder()
        // The Bayesian smoke plan's min-max steps (the whitened case and the general-C group).
        assertMergeIsIdentity(["verify", "bayes", "--smoke", "--case", "minmax linear", "--format", "json"], shards: 2, suffix: "json", in: folder)
    }

    func testDynamicsShardsMergeToTheUnshardedReport() throws {
        let folder = try temporaryFolder()
        // The dynamics plan's exact group (three steps).
        assertMergeIsIdentity(["verify", "dynamics", "--quick", "--case", "exact", "--format", "json"], shards: 2, suffix: "json", in: folder)
    }

    func testNDKShardsMergeToTheUnshardedReport() throws {
        let folder = try temporaryFolder()
        // The NDK plan (one step per group), small widths.
        assertMergeIsIdentity(["verify", "ndk", "--quick", "--widths", "32", "--pairs", "8", "--format", "json"], shards: 2, suffix: "json", in: folder)
    }

    func testMergeRefusesIncompleteRepeatedOrForeignShards() throws {
        let folder = try temporaryFolder()
        let sweep = ["sweep", "--gamma", "1,2", "--beta", "inf", "--depth", "1...3", "--format", "csv"]
        func shard(_ i: Int, _ n: Int, _ extra: [String] = [], _ name: String) -> String {
            let path = folder.appendingPathComponent(name).path
            XCTAssertEqual(run(sweep + extra + ["--shard", "\(i)/\(n)", "--out", path]).exitCode, 0)
            return path
        }
        let a = shard(1, 2, [], "a.csv"), b = shard(2, 2, [], "b.csv")
        let other = shard(2, 2, ["--digits", "12"], "other.csv"), three = shard(2, 3, [], "three.csv")
        for (files, message) in [([a], "shard 2/2 missing"), ([a, a, b], "given twice"), ([a, other], "does not belong"),
                                 ([a, three], "does not belong")] {
            let r = run(["merge"] + files)
            XCTAssertEqual(r.exitCode, 2, "\(files)")
            XCTAssertTrue(r.standardError.contains(message), r.standardError)
            XCTAssertEqual(r.standardOutput, "")
        }
        let plain = folder.appendingPathComponent("plain.csv").path
        try run(sweep).standardOutput.write(toFile: plain, atomically: true, encoding: .utf8)
        XCTAssertEqual(run(["merge", plain]).exitCode, 2)
        XCTAssertEqual(run(["merge"]).exitCode, 2)
        XCTAssertEqual(run(["sweep", "--gamma", "1", "--beta", "inf", "--depth", "1", "--shard", "3/2"]).exitCode, 2)
        XCTAssertEqual(run(["verify", "all", "--quick", "--shard", "1/2"]).exitCode, 2)
    }
}
