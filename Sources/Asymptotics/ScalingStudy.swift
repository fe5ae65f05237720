import Foundation
import Theory
import Numerics

/// The four asymptotic regimes and their small parameters.
public enum AsymptoticRegime: String, Sendable, CaseIterable {
    /// gamma -> 0 at fixed L, b (notes/asymptotics-lazy.md); small parameter gamma.
    case lazy
    /// gamma -> inf at fixed L, b (notes/asymptotics-rich.md); small parameter 1/gamma.
    case rich
    /// L -> inf at fixed gamma, b (notes/asymptotics-deep.md, Part A/B); small parameter 1/L.
    case deep
    /// L -> inf at fixed kappa = L gamma^2 (notes/asymptotics-deep.md, Part C); small parameter 1/L.
    case joint

    public var smallParameter: String {
        switch self {
        case .lazy: return "gamma"
        case .rich: return "1/gamma"
        case .deep, .joint: return "1/L"
        }
    }
}

/// What to compare: a regime, the starting parameters, the highest order, the sequence of points.
public struct ScalingRequest: Sendable {
    public var regime: AsymptoticRegime
    /// lazy: the largest gamma; rich: the smallest gamma; deep: the fixed gamma; joint: gamma at the
    /// first point (kappa = L_0 gamma_0^2).
    public var gamma: BigRational
    public var ridge: BigRational
    /// lazy, rich: the fixed depth; deep: the first depth; joint: L_0 (points are L_0 m^2).
    public var depth: Int
    /// Highest order K (lazy: powers of g kept; rich: powers of eps kept; deep, joint: corrections).
    public var order: Int
    /// Layer l of c_l (lazy and rich; default L).
    public var layer: Int
    /// Certified digits of the exact values.
    public var digits: Int
    public var decades: Int
    public var pointsPerDecade: Int

    public init(regime: AsymptoticRegime, gamma: BigRational, ridge: BigRational, depth: Int, order: Int,
                layer: Int? = nil, digits: Int = 60, decades: Int = 1, pointsPerDecade: Int = 4) {
        self.regime = regime
        self.gamma = gamma
        self.ridge = ridge
        self.depth = depth
        self.order = order
        self.layer = layer ?? depth
        self.digits = digits
        self.decades = decades
        self.pointsPerDecade = pointsPerDecade
    }

    public static let maximumOrder = 40
}

/// One point of the sequence: the exact value (certified solver) and each prediction.
public struct ScalingPoint: Sendable {
    /// The parameter that varies (gamma for lazy/rich, L for deep/joint), exactly as used.
    public let parameter: String
    /// ln of the small parameter (for slopes).
    public let logSmallParameter: Double
    public let exact: Interval
    public let predictions: [Interval]
    /// Enclosures of prediction/exact − 1.
    public let relativeErrors: [Interval]
    /// ln of the modelled error of each prediction, where the theory gives one (for predicted slopes).
    let logErrorModels: [Double?]
}

/// Errors of the asymptotic laws along a geometric sequence of the small parameter, with measured
/// and predicted convergence orders (log-log slopes of |relative error| against the small parameter).
public struct ScalingStudy: Sendable {
    public let request: ScalingRequest
    /// A name for each prediction column.
    public let labels: [String]
    public let points: [ScalingPoint]
    /// Least-squares slope of ln|error| against ln(small parameter), per prediction (nil when fewer
    /// than two errors are resolved by the enclosures).
    public let measuredOrders: [Double?]
    /// The theory's slope: lazy 2(K'+1) (Z15), rich 2(K'+1)/(L+1) (R16), joint n+1 (D22), deep the
    /// least-squares slope of the model |delta_{n+1}| h^(n+1) over the same points (D13) and for the
    /// logarithmic forms that of |T_{p+1}|/l1 (D19).
    public let predictedOrders: [Double?]
    /// For the joint regime: kappa = L gamma^2.
    public let kappa: BigRational?

    public init(_ request: ScalingRequest, solver: WhitenedOverlapSolver = WhitenedOverlapSolver()) throws {
        self.request = request
        let bits = Int(Double(request.digits) * 3.33) + 64
        let grid = ScalingStudy.grid(request)
        var points: [ScalingPoint] = []
        var labels: [String] = []
        var predicted: [Double?] = []
        var kappa: BigRational? = nil
        let k = request.order
        let b = request.ridge
        switch request.regime {
        case .lazy:
            let series = LazySeries(depth: request.depth, ridge: b, order: k + 4).layer(request.layer)
            labels = (1...k).map { "K=\($0)" }
            predicted = (1...k).map { order in LazySeries.predictedSlope(series, truncatedAt: order).map { 2 * Double($0) } }
            for gamma in grid.gammas {
                let g = gamma * gamma
                let exact = try ScalingStudy.exact(gamma: gamma, ridge: b, depth: request.depth, layer: request.layer,
                                                   digits: request.digits, largest: false, solver: solver)
                let predictions = (1...k).map { LazySeries.evaluate(series, upTo: $0, at: g, precision: bits) }
                points.append(ScalingPoint.make(parameter: gamma.description, logSmall: ScalingStudy.log(gamma),
                                                exact: exact, predictions: predictions, models: predictions.map { _ in nil }))
            }
        case .rich:
            let series = RichSeries(depth: request.depth, ridge: b, order: k + 4).layer(request.layer)
            labels = (0...k).map { "K=\($0)" }
            predicted = (0...k).map { order in
                LazySeries.predictedSlope(series, truncatedAt: order).map { 2 * Double($0) / Double(request.depth + 1) }
            }
            for gamma in grid.gammas {
                let exact = try ScalingStudy.exact(gamma: gamma, ridge: b, depth: request.depth, layer: request.layer,
                                                   digits: request.digits, largest: true, solver: solver)
                let predictions = (0...k).map {
                    RichSeries.evaluate(series, upTo: $0, layer: request.layer, depth: request.depth, g: gamma * gamma, precision: bits)
                }
                points.append(ScalingPoint.make(parameter: gamma.description, logSmall: -ScalingStudy.log(gamma),
                                                exact: exact, predictions: predictions, models: predictions.map { _ in nil }))
            }
        case .deep:
            labels = ["paper Lg/ln(Lg)", "Lg/(ln(Lg)-lnln(Lg))"] + (0...k).map { $0 == 0 ? "Lambert n=0" : "n=\($0)" }
            for depth in grid.depths {
                let g = request.gamma * request.gamma
                let exact = try ScalingStudy.exact(gamma: request.gamma, ridge: b, depth: depth, layer: depth,
                                                   digits: request.digits, largest: true, solver: solver)
                let deep = try DeepSeries(gammaSquared: g, ridge: b, depth: depth, order: k + 1, precision: bits)
                let predictions = [deep.logarithmicForm(-1), deep.logarithmicForm(0)] + (0...k).map { deep.truncation($0) }
                let models = [deep.logarithmicErrorModel(-1), deep.logarithmicErrorModel(0)] + (0...k).map { deep.errorModel($0) }
                points.append(ScalingPoint.make(parameter: String(depth), logSmall: -Foundation.log(Double(depth)),
                                                exact: exact, predictions: predictions, models: models.map(ScalingStudy.logOf)))
            }
        case .joint:
            let kappaValue = BigRational(request.depth) * request.gamma * request.gamma
            kappa = kappaValue
            labels = (0...k).map { $0 == 0 ? "c_inf" : "n=\($0)" }
            let joint = try JointLimit(kappa: kappaValue, ridge: b, order: k + 1, precision: bits)
            predicted = (0...k).map { n in
                joint.coefficients[n + 1].definiteSign == 0 ? nil : Double(n + 1)
            }
            for (depth, gamma) in zip(grid.depths, grid.gammas) {
                let exact = try ScalingStudy.exact(gamma: gamma, ridge: b, depth: depth, layer: depth,
                                                   digits: request.digits, largest: true, solver: solver)
                let predictions = (0...k).map { joint.truncation($0, depth: depth) }
                points.append(ScalingPoint.make(parameter: String(depth), logSmall: -Foundation.log(Double(depth)),
                                                exact: exact, predictions: predictions, models: predictions.map { _ in nil }))
            }
        }
        if request.regime == .deep {
            predicted = labels.indices.map { column in
                ScalingStudy.slope(points.map { ($0.logSmallParameter, $0.logErrorModels[column]) })
            }
        }
        self.labels = labels
        self.points = points
        self.predictedOrders = predicted
        self.kappa = kappa
        self.measuredOrders = labels.indices.map { column in
            ScalingStudy.slope(points.map { ($0.logSmallParameter, ScalingStudy.logOf($0.relativeErrors[column])) })
        }
    }

    /// The certified c_l of the smallest (lazy) or largest (other regimes) positive root.
    static func exact(gamma: BigRational, ridge: BigRational, depth: Int, layer: Int, digits: Int, largest: Bool,
                      solver: WhitenedOverlapSolver) throws -> Interval {
        let beta: InverseTemperature = ridge.isZero ? .infinite : .finite(BigRational.one / ridge)
        let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
        let roots = try solver.solve(problem, digits: digits).roots
        let sorted = roots.sorted { $0.overlap.lower < $1.overlap.lower }
        let root = largest ? sorted.last! : sorted.first!
        return layer == depth ? root.overlap : root.layerOverlap(layer)
    }

    /// The geometric sequence of the varying parameter (decimal rationals with 6 significant digits
    /// between exact powers of ten), or of (L, gamma) = (L_0 m^2, gamma_0/m) for the joint regime.
    static func grid(_ request: ScalingRequest) -> (gammas: [BigRational], depths: [Int]) {
        let count = request.decades * request.pointsPerDecade + 1
        func factor(_ j: Int) -> BigRational {
            let whole = j / request.pointsPerDecade, rest = j % request.pointsPerDecade
            let ten = BigRational(BigInt.power(base: 10, exponent: whole))
            if rest == 0 { return ten }
            let text = String(format: "%.5e", pow(10, Double(rest) / Double(request.pointsPerDecade)))
            return ten * (try! BigRational(parsing: text))
        }
        switch request.regime {
        case .lazy: return ((0..<count).map { request.gamma / factor($0) }, [])
        case .rich: return ((0..<count).map { request.gamma * factor($0) }, [])
        case .deep:
            return ([], (0..<count).map { j in
                Int((Double(request.depth) * pow(10, Double(j) / Double(request.pointsPerDecade))).rounded())
            })
        case .joint:
            let ms = (0..<count).map { j in Int((10 * pow(10, Double(j) / Double(2 * request.pointsPerDecade))).rounded()) }
            return (ms.map { request.gamma / BigRational($0) }, ms.map { request.depth * $0 * $0 })
        }
    }

    static func log(_ x: BigRational) -> Double { x.naturalLogMagnitude }

    /// ln|x| from the midpoint of an enclosure that excludes 0 (nil otherwise).
    static func logOf(_ x: Interval) -> Double? {
        guard let sign = x.definiteSign, sign != 0 else { return nil }
        return x.midpoint.log2Magnitude * M_LN2
    }

    /// Least-squares slope of y against x over the points with a y.
    static func slope(_ pairs: [(Double, Double?)]) -> Double? {
        let data = pairs.compactMap { pair in pair.1.map { (pair.0, $0) } }
        guard data.count >= 2 else { return nil }
        let mx = data.map(\.0).reduce(0, +) / Double(data.count)
        let my = data.map(\.1).reduce(0, +) / Double(data.count)
        let sxy = data.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
        let sxx = data.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        return sxx > 0 ? sxy / sxx : nil
    }
}

extension ScalingPoint {
    static func make(parameter: String, logSmall: Double, exact: Interval, predictions: [Interval], models: [Double?]) -> ScalingPoint {
        let one = Interval(1, precision: exact.precision)
        let errors = predictions.map { $0 / exact - one }
        return ScalingPoint(parameter: parameter, logSmallParameter: logSmall, exact: exact, predictions: predictions,
                            relativeErrors: errors, logErrorModels: models)
    }
}
