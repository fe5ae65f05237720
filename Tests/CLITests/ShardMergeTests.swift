import Foundation
import XCTest
import Core
import Numerics
@testable import AdaptiveKernelsCLI

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

/// `train`: the baseline command's files and refusals.
final class TrainCommandTests: XCTestCase {
    func testTrainWritesKernelsAndRefusesBadInput() throws {
        let folder = try temporaryFolder()
        let x = try write(NPYArray(shape: [5, 3], values: (0..<15).map { sin(Double($0)) }), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [5], values: [1, -1, 1, -1, 1]), "y.npy", in: folder)
        let base = ["train", "--activation", "relu", "--depth", "2", "--width", "16", "--gamma", "1", "--train", x, "--labels", y,
                    "--seeds", "2", "--time", "1"]
        let out = folder.appendingPathComponent("out").path
        let r = AdaptiveKernelsCommandLine.run(base + ["--lambda", "1", "--out-dir", out])
        XCTAssertEqual(r.exitCode, 0, r.standardError)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files, ["ntk.npy", "phi_1.npy", "phi_2.npy", "summary.json"])
        let phi = try NPYArray(npyData: try Data(contentsOf: URL(fileURLWithPath: out + "/phi_2.npy")))
        XCTAssertEqual(phi.shape, [5, 5])
        // No rule, two rules, negative lambda, one seed, too deep, and posterior sampling on a singular C
        // (5 points in D = 3).
        for bad in [base, base + ["--lambda", "1", "--beta", "2"], base + ["--lambda", "-1"], base + ["--lambda", "1", "--seeds", "1"],
                    base + ["--beta", "10"],
                    ["train", "--activation", "relu", "--depth", "17", "--width", "16", "--gamma", "1", "--lambda", "1", "--train", x, "--labels", y]] {
            let result = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(result.exitCode, 2, "\(bad): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "")
        }
    }
}

/// `learning-curve`: report formats, the SVG, and refusals.
final class LearningCurveCommandTests: XCTestCase {
    func testCurveRunsAndRefusesBadInput() throws {
        let folder = try temporaryFolder()
        func gaussian(_ n: Int, _ seed: Double) -> [Double] { (0..<n).map { sin(Double($0) * 1.7 + seed) } }
        let x = try write(NPYArray(shape: [8, 12], values: gaussian(96, 0)), "X.npy", in: folder)
        let y = try write(NPYArray(shape: [8], values: [1, -1, 1, -1, 1, 1, -1, -1]), "y.npy", in: folder)
        let xt = try write(NPYArray(shape: [3, 12], values: gaussian(36, 5)), "Xt.npy", in: folder)
        let yt = try write(NPYArray(shape: [3], values: [1, -1, 1]), "yt.npy", in: folder)
        let svg = folder.appendingPathComponent("curve.svg").path
        let base = ["learning-curve", "--activation", "relu", "--gamma", "1", "--lambda", "1/2", "--sizes", "4,8", "--train", x, "--labels", y,
                    "--test", xt, "--test-labels", yt, "--population", "64", "--width", "32", "--time", "5"]
        let csv = AdaptiveKernelsCommandLine.run(base + ["--format", "csv", "--out", svg])
        XCTAssertEqual(csv.exitCode, 0, csv.standardError)
        let lines = csv.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], "size,nngp_test_loss,nngp_standard_error,ntk_test_loss,ntk_standard_error,antk_test_loss,antk_standard_error,network_test_loss,network_standard_error")
        for line in lines.dropFirst() { XCTAssertTrue(line.split(separator: ",").allSatisfy { Double($0) != nil }, String(line)) }
        XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))
        let validator = try OutputContractValidator.load()
        XCTAssertEqual(validator.violations(AdaptiveKernelsCommandLine.run(base + ["--format", "json"]).standardOutput, command: "learning-curve"), [])
        for bad in [base + ["--out", folder.appendingPathComponent("c.png").path], base.map { $0 == "4,8" ? "4,9" : $0 },
                    base + ["--depth", "2"]] {
            let r = AdaptiveKernelsCommandLine.run(bad)
            XCTAssertEqual(r.exitCode, 2, r.standardError)
            XCTAssertEqual(r.standardOutput, "")
        }
    }
}
