import Foundation
import Core

/// The setting of notes/neural-dynamical-kernel.md (NK1)-(NK3): a network of standard
/// parameterization with `depth` hidden layers and activation phi, trained by Langevin dynamics at
/// temperature T on E = 1/2 sum (f - y)^2 + T/(2 sigma^2) |theta|^2 from weights i.i.d.
/// N(0, sigma_0^2).
public struct NDKSetting: Sendable, Equatable {
    public let activation: Activation
    public let depth: Int
    public let temperature: Double
    public let priorVariance: Double
    public let initVariance: Double

    public static let maximumDepth = 50

    public init(activation: Activation, depth: Int, temperature: Double, priorVariance: Double, initVariance: Double) throws {
        guard depth >= 0 && depth <= NDKSetting.maximumDepth else {
            throw InputError("depth L must be an integer in 0...\(NDKSetting.maximumDepth) (got \(depth))")
        }
        guard temperature.isFinite && temperature > 0 else { throw InputError("temperature T must be finite and > 0 (got \(temperature))") }
        guard priorVariance.isFinite && priorVariance > 0 else { throw InputError("prior variance sigma^2 must be finite and > 0 (got \(priorVariance))") }
        guard initVariance.isFinite && initVariance > 0 else { throw InputError("initialization variance sigma_0^2 must be finite and > 0 (got \(initVariance))") }
        self.activation = activation; self.depth = depth; self.temperature = temperature
        self.priorVariance = priorVariance; self.initVariance = initVariance
    }

    /// lambda = T / sigma^2, the weight-decay rate of the prior process (NK3).
    public var decayRate: Double { temperature / priorVariance }

    /// C(t, s) = sigma^2 e^{-lambda |t - s|} + (sigma_0^2 - sigma^2) e^{-lambda (t + s)} (NK3).
    @inline(__always) public func weightCovariance(_ t: Double, _ s: Double) -> Double {
        let l = decayRate
        return priorVariance * exp(-l * abs(t - s)) + (initVariance - priorVariance) * exp(-l * (t + s))
    }

    /// v(t) = C(t, t) (NK3).
    @inline(__always) public func weightVariance(_ t: Double) -> Double { weightCovariance(t, t) }
}
