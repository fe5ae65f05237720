import Core
import Simulation
/// Sizes of the gradient-flow verification suite (`verify antk` and `--quick`).
public struct ANTKVerifySettings: Sendable {
    public var seed: UInt64
    /// Widths of two-layer networks (N x D weights, cheap) and of deep linear ones (L = 2; N x N
    /// layers cost N^2 per step; L >= 3 uses the first three).
    public var widths: [Int]
    public var deepWidths: [Int]
    public var seedsPerWidth: Int
    public var population: Int
    public var populationSeeds: Int
    public var linearFlow: ANTKFlowSettings
    public var reluFlow: ANTKFlowSettings
    /// Deep linear DMFT grid: step and horizon (T = horizon / step).
    public var dmftStep: Double
    public var dmftHorizon: Double
    /// Digits (or synthetic) ReLU case: points used and directory of the .npy files.
    public var digitsTrain: Int
    public var digitsTest: Int
    public var digitsDirectory: String?
    public var includeDeep: Bool
    /// Only this group of cases (one of `caseGroups`); nil runs all.
    public var caseGroup: String? = nil

    /// Case groups in suite order: deep linear branches and the unstable branch, the ReLU predictor identity,
    /// notes/theory-overview.md (T20), ReLU DMFT vs finite width on digits (or synthetic) data.
    public static let caseGroups = ["linear", "identity", "theory2b", "digits"]

    func includes(_ group: String) -> Bool { caseGroup == nil || caseGroup == group }

    public static func quick(seed: UInt64) -> ANTKVerifySettings {
        ANTKVerifySettings(seed: seed, widths: [64, 128, 256], deepWidths: [64, 128, 256], seedsPerWidth: 2, population: 256, populationSeeds: 3,
                           linearFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 150, tolerance: 1e-10),
                           reluFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 300, tolerance: 1e-8),
                           dmftStep: 0.1, dmftHorizon: 15, digitsTrain: 8, digitsTest: 8, digitsDirectory: nil, includeDeep: false)
    }

    public static func full(seed: UInt64) -> ANTKVerifySettings {
        ANTKVerifySettings(seed: seed, widths: [256, 512, 1024, 2048, 4096], deepWidths: [256, 512, 1024, 2048], seedsPerWidth: 3, population: 4096, populationSeeds: 4,
                           linearFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 150, tolerance: 1e-10),
                           // ReLU digits runs need t ~ 850: the velocity decays at kappa = 0.0135 (notes (GV17)).
                           reluFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 2000, tolerance: 1e-8),
                           dmftStep: 0.1, dmftHorizon: 25, digitsTrain: 40, digitsTest: 40, digitsDirectory: nil, includeDeep: true)
    }

    func runSeed(_ parts: Int...) -> UInt64 {
        parts.reduce(seed &* 0x9E37_79B9_7F4A_7C15) { ($0 ^ UInt64(truncatingIfNeeded: $1)) &* 0xBF58_476D_1CE4_E5B9 }
    }
}
