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
    /// Flow of the bounded smooth activations' digits runs (tanh, erf): as `reluFlow` but with the quick
    /// budget t = 1000 (measured: the 8-point tanh runs need t = 290-450 and more for some seeds,
    /// notes/verify-antk.md section 5c); runs stop as soon as they are stationary.
    public var smoothFlow: ANTKFlowSettings
    /// Time budget of the predictor-identity runs (they stop as soon as they are stationary).
    public var identityTime: Double = 3000
    /// Deep linear DMFT grid: step and horizon (T = horizon / step).
    public var dmftStep: Double
    public var dmftHorizon: Double
    /// Digits (or synthetic) ReLU case: points used and directory of the .npy files.
    public var digitsTrain: Int
    public var digitsTest: Int
    public var digitsDirectory: String?
    public var includeDeep: Bool
    /// Activations of the digits group, in order; and the widths of the bounded smooth ones (tanh, erf):
    /// ReLU keeps `widths`.
    public var digitsActivations: [Activation] = [.relu, .tanh]
    public var smoothWidths: [Int] = [64, 128, 256]
    /// Activations the digits group supports: ReLU (GV14), (GV19) and the bounded smooth ones with the
    /// constants of (GV25) (notes/verify-antk.md (GV24)).
    public static let digitsActivationChoices: [Activation] = [.relu, .tanh, .erf]
    /// Only this group of cases (one of `caseGroups`); nil runs all.
    public var caseGroup: String? = nil

    /// Case groups in suite order: deep linear branches and the unstable branch, the ReLU predictor identity,
    /// the one-point ReLU fixed point, ReLU DMFT vs finite width on digits (or synthetic) data.
    public static let caseGroups = ["linear", "identity", "theory2b", "digits"]

    func includes(_ group: String) -> Bool { caseGroup == nil || caseGroup == group }

    /// Widths of the digits group's networks for one activation.
    public func digitsWidths(_ activation: Activation) -> [Int] { activation == .relu ? widths : smoothWidths }

    public static func quick(seed: UInt64) -> ANTKVerifySettings {
        ANTKVerifySettings(seed: seed, widths: [64, 128, 256], deepWidths: [64, 128, 256], seedsPerWidth: 2, population: 256, populationSeeds: 3,
                           linearFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 150, tolerance: 1e-10),
                           reluFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 300, tolerance: 1e-8),
                           smoothFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 1000, tolerance: 1e-8),
                           dmftStep: 0.1, dmftHorizon: 15, digitsTrain: 8, digitsTest: 8, digitsDirectory: nil, includeDeep: false)
    }

    public static func full(seed: UInt64) -> ANTKVerifySettings {
        var settings = ANTKVerifySettings(seed: seed, widths: [256, 512, 1024, 2048, 4096], deepWidths: [256, 512, 1024, 2048], seedsPerWidth: 3, population: 4096, populationSeeds: 4,
                           linearFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 150, tolerance: 1e-10),
                           // ReLU digits runs need t ~ 850: the velocity decays at kappa = 0.0135 (notes (GV17)).
                           reluFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 2000, tolerance: 1e-8),
                           smoothFlow: ANTKFlowSettings(timeStep: 0.05, maximumTime: 2000, tolerance: 1e-8),
                           dmftStep: 0.1, dmftHorizon: 25, digitsTrain: 40, digitsTest: 40, digitsDirectory: nil, includeDeep: true)
        settings.smoothWidths = [512, 1024, 2048, 4096]
        return settings
    }

    /// The seed of one run: the plan's seed and the run's stream indices through the project's one
    /// seed derivation (`NormalSampler.derive`).
    func runSeed(_ parts: Int...) -> UInt64 {
        NormalSampler.derive(seed, parts.map { UInt64(bitPattern: Int64($0)) })
    }
}
