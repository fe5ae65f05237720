import Foundation

/// The settling test of a relaxation whose site velocity cannot vanish (notes/antk-nonlinear-data.md
/// (AN16), (AN17)): the flow time is cut into consecutive windows of `length` (by default three weight-decay
/// times 3/lambda, (AN17)), the
/// observables a (the predictor on all points and the training rows of every kernel) are averaged over the
/// samples recorded in each window, and at the end of each window after the first the drift
///
///     delta = max_a |mean_w(a) - mean_{w-1}(a)|_2 / |mean_w(a)|_2
///
/// is measured. The run has settled once `required` consecutive drifts are <= tolerance. The window means
/// average out the step-to-step chatter of sites at a ReLU kink and keep any systematic change. A zero mean
/// that moved has delta = infinity, so a collapsing state never settles by this test (it meets the
/// velocity tolerance instead).
public struct ANTKDriftWindow: Sendable {
    /// The default window in weight-decay times 1/lambda and the default drift tolerance (AN17): windows of three
    /// correlation times of the fluctuation average it down by about sqrt(3) or more while a systematic drift grows
    /// threefold per window; 5e-2 lies between the settled (1-3%) and the wandering (9% and more) drifts measured.
    public static let defaultWeightDecayTimes = 3.0
    public static let defaultTolerance = 5e-2
    public let length: Double
    public let tolerance: Double
    public let required: Int
    /// The drift of the last completed comparison (infinity before the second window ends).
    public private(set) var drift = Double.infinity
    public private(set) var quietWindows = 0
    private var windowStart: Double?
    private var sum: [[Double]] = []
    private var samples = 0
    private var previousMean: [[Double]]?

    public init(length: Double, tolerance: Double, required: Int = 2) {
        precondition(length > 0 && tolerance > 0 && required >= 1)
        self.length = length
        self.tolerance = tolerance
        self.required = required
    }

    public var settled: Bool { quietWindows >= required }

    /// Adds the observables at flow time t to the current window and closes it when t has reached its end.
    public mutating func record(time t: Double, observables: [[Double]]) {
        let start = windowStart ?? t
        windowStart = start
        if samples == 0 {
            sum = observables
        } else {
            for a in sum.indices { for j in sum[a].indices { sum[a][j] += observables[a][j] } }
        }
        samples += 1
        guard t >= start + length else { return }
        let scale = 1 / Double(samples)
        let mean = sum.map { $0.map { $0 * scale } }
        if let previous = previousMean {
            drift = ANTKDriftWindow.drift(from: previous, to: mean)
            quietWindows = drift <= tolerance ? quietWindows + 1 : 0
        }
        previousMean = mean
        samples = 0
        windowStart = t
    }

    /// max over the observables of |b - a|_2 / |b|_2 (0 where a == b, infinity where b = 0 != a).
    static func drift(from a: [[Double]], to b: [[Double]]) -> Double {
        precondition(a.count == b.count)
        var worst = 0.0
        for (x, y) in zip(a, b) {
            precondition(x.count == y.count)
            var change = 0.0, size = 0.0
            for j in x.indices { change += (y[j] - x[j]) * (y[j] - x[j]); size += y[j] * y[j] }
            guard change > 0 else { continue }
            let relative = size > 0 ? (change / size).squareRoot() : .infinity
            guard relative.isFinite else { return .infinity }
            worst = max(worst, relative)
        }
        return worst
    }
}
