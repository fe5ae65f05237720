import Foundation
import Core
import Numerics

/// The feature space of a kernel, as in the paper's Fig. 3c: the training points at their
/// coordinates along the kernel's top two principal directions, sqrt(mu_k) v_k (kernel PCA of the
/// training block), and how far apart the two label classes sit there
/// (notes/antk-nonlinear-data.md (AN7)).
public enum FeatureSpaceStudy {
    public struct Map: Sendable, Codable {
        /// Coordinates (x, y) per training point, input order.
        public let coordinates: [[Double]]
        /// Class separation (AN7): distance of the class means over the root mean within-class spread.
        public let separation: Double
    }

    /// The map of a P x P kernel (row-major) with labels whose sign gives the class.
    public static func map(kernel k: [Double], labels y: [Double]) throws -> Map {
        let p = y.count
        guard p >= 3, k.count == p * p else { throw InputError("a feature map needs at least 3 points and a P x P kernel") }
        guard let eigen = LinearAlgebra.symmetricEigen(k, n: p) else { throw InputError("the kernel's eigen-decomposition failed") }
        let order = eigen.values.indices.sorted { eigen.values[$0] > eigen.values[$1] }
        let coordinates = (0..<p).map { mu in order.prefix(2).map { i in max(eigen.values[i], 0).squareRoot() * eigen.vectors[mu * p + i] } }
        return Map(coordinates: coordinates, separation: separation(coordinates, labels: y))
    }

    /// |m_+ - m_-| / sqrt((s_+^2 + s_-^2)/2), s^2 the mean squared distance to the class mean (AN7).
    static func separation(_ points: [[Double]], labels y: [Double]) -> Double {
        func stats(_ members: [[Double]]) -> (mean: [Double], spread: Double) {
            let n = Double(max(members.count, 1))
            let mean = [0, 1].map { d in members.reduce(0.0) { $0 + $1[d] } / n }
            let spread = members.reduce(0.0) { $0 + pow($1[0] - mean[0], 2) + pow($1[1] - mean[1], 2) } / n
            return (mean, spread)
        }
        let plus = stats(zip(points, y).filter { $0.1 > 0 }.map(\.0)), minus = stats(zip(points, y).filter { $0.1 <= 0 }.map(\.0))
        let distance = ((plus.mean[0] - minus.mean[0]) * (plus.mean[0] - minus.mean[0]) + (plus.mean[1] - minus.mean[1]) * (plus.mean[1] - minus.mean[1])).squareRoot()
        return distance / ((plus.spread + minus.spread) / 2).squareRoot()
    }
}
