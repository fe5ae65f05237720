import Foundation
import Asymptotics
import Core
import Numerics
import Theory

/// The data of the whitened figures (the paper's Fig. 2): (a) the layer overlaps c_l against l for
/// several gamma, (b) c_L - 1 against gamma for several depths with the lazy, rich and deep leading
/// forms (notes/theory-overview.md (T13), notes/asymptotics-deep.md (D5)). Exact curves are the
/// certified solver's values (20 digits) read as doubles; the leading forms come from
/// `Asymptotics.LeadingForms`. A front end only draws them.
public enum WhitenedFigureStudy {
    public struct Point: Codable, Sendable, Equatable {
        public let x: Double
        public let y: Double
    }

    /// One curve: `kind` "exact" (certified values), "lazy", "rich" or "deep" (leading forms).
    public struct Curve: Codable, Sendable {
        public let kind: String
        public let depth: Int?
        public let gamma: String?
        public let points: [Point]
    }

    public struct Figure: Codable, Sendable {
        public let beta: String
        public let curves: [Curve]
    }

    /// gamma = 10^(k/10), k = -20...30, as 5-significant-digit decimals (exact rationals).
    public static let scalingGammas: [BigRational] = (-20...30).map { k in
        try! BigRational(parsing: String(format: "%.4e", pow(10, Double(k) / 10)))
    }

    /// Fig. 2(b): c_L - 1 of the dominant root against gamma for each depth, with the leading forms
    /// (lazy for gamma <= 3, rich and deep where the form exceeds 2).
    public static func scaling(beta: InverseTemperature, depths: [Int] = [1, 2, 4, 8, 16],
                               gammas: [BigRational] = scalingGammas) throws -> Figure {
        let solver = WhitenedOverlapSolver()
        var curves: [Curve] = []
        for depth in depths {
            var exact: [Point] = []
            var ridge = 0.0
            for gamma in gammas {
                let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
                ridge = problem.ridge.doubleApproximation
                let roots = try solver.solve(problem, digits: 20).roots
                let root = roots.first(where: \.isDominant) ?? roots.last!
                let excess = root.overlap - Interval(1, precision: root.overlap.precision)
                exact.append(Point(x: gamma.doubleApproximation, y: excess.midpoint.doubleApproximation))
            }
            curves.append(Curve(kind: "exact", depth: depth, gamma: nil, points: exact))
            let l = Double(depth), xs = gammas.map(\.doubleApproximation)
            curves.append(Curve(kind: "lazy", depth: depth, gamma: nil, points: xs.filter { $0 <= 3 }.map {
                Point(x: $0, y: exp(LeadingForms.lazyLogExcess(logGammaSquared: 2 * log($0), ridge: ridge, depth: l))) }))
            curves.append(Curve(kind: "rich", depth: depth, gamma: nil, points: xs.map {
                Point(x: $0, y: exp(LeadingForms.richLogOverlap(logGammaSquared: 2 * log($0), depth: l))) }.filter { $0.y >= 2 }))
            curves.append(Curve(kind: "deep", depth: depth, gamma: nil, points: xs.map {
                Point(x: $0, y: exp(LeadingForms.deepLogOverlapLambert(logGammaSquared: 2 * log($0), depth: l)) - 1) }.filter { $0.y >= 2 }))
        }
        return Figure(beta: betaText(beta), curves: curves)
    }

    /// Fig. 2(a): c_l against l = 0...L (c_0 = 1) of the dominant root for each gamma; depth <= 1000.
    public static func depth(beta: InverseTemperature, depth: Int,
                             gammas: [String] = ["1/4", "1/2", "1", "2", "4", "8"]) throws -> Figure {
        guard depth <= 1000 else { throw InputError("the depth figure draws every layer: the depth must be at most 1000 (got \(depth))") }
        let solver = WhitenedOverlapSolver()
        let curves: [Curve] = try gammas.map { text in
            let problem = try WhitenedProblem(gamma: try BigRational(parsing: text), beta: beta, depth: depth)
            let solution = try solver.solve(problem, digits: 20)
            let root = solution.dominant ?? solution.roots.last!
            let points = [Point(x: 0, y: 1)] + root.layerOverlaps().enumerated().map {
                Point(x: Double($0.offset + 1), y: $0.element.midpoint.doubleApproximation)
            }
            return Curve(kind: "exact", depth: depth, gamma: text, points: points)
        }
        return Figure(beta: betaText(beta), curves: curves)
    }

    static func betaText(_ beta: InverseTemperature) -> String {
        switch beta {
        case .infinite: return "inf"
        case .finite(let value): return value.description
        }
    }
}
