import Foundation

/// The observables of the two-layer linear network trained by gradient flow on whitened data (P points, X X^T/D = I,
/// y = e_1), per output time (notes/fluctuations-gradient-flow.md (FG2), (FG6), (FG8), (FG9)): the result of
/// `GradientFlowFluctuations` (in `Double`) and of `HighPrecisionGradientFlowFluctuations` (in `Dyadic`).
public struct WhitenedGradientFlowObservables<Scalar: GradientFlowScalar>: Sendable {
    public typealias Series = GradientFlowSeries<Scalar>
    public typealias PredictionVariance = GradientFlowPredictionVariance<Scalar>

    /// Infinite-width trajectory: f.y = f_1, the overlap c_1 = y^T H^T H y/N, the NTK's diagonal mean (FG2), |w|^2/N.
    public let meanPrediction: Series
    public let meanOverlap: Series
    public let meanNTKDiagonal: Series
    public let meanReadoutNorm: Series
    /// N Var of y.f = f_1 (the training point carrying the label).
    public let labelPrediction: PredictionVariance
    /// N Var of e.f for a unit e orthogonal to y (training point 2); nil for P = 1.
    public let orthogonalPrediction: PredictionVariance?
    /// N Var of f(x*) for a test input orthogonal to every training input, |x*|^2/D = 1 (FG9).
    public let testPrediction: PredictionVariance
    /// N Var of the NTK's diagonal mean on the training points, tr K/P = |w|^2/N + tr(H^T H/N)/P (FG2).
    public let ntkVariance: Series
    /// N Var(c_1) and N (E c_1 - c_1) (FG6).
    public let overlapVariance: Series
    public let overlapMeanShift: Series

    /// The quantities the solvers compute per time, in the order of their observable vectors.
    enum Observable: Int, CaseIterable {
        case meanPrediction, meanOverlap, meanNTK, meanReadout
        case labelInitial, labelKernel, orthogonalInitial, orthogonalKernel, testInitial, testKernel
        case ntkVariance, overlapVariance, overlapShift
    }

    /// The observables of P whitened points from one series per quantity and the prediction variance of each pair of
    /// parts (initial, kernel); the orthogonal training point's for P >= 2 only.
    init(points: Int, series: (Observable) -> Series, prediction: (_ initial: Observable, _ kernel: Observable) -> PredictionVariance) {
        meanPrediction = series(.meanPrediction)
        meanOverlap = series(.meanOverlap)
        meanNTKDiagonal = series(.meanNTK)
        meanReadoutNorm = series(.meanReadout)
        labelPrediction = prediction(.labelInitial, .labelKernel)
        orthogonalPrediction = points >= 2 ? prediction(.orthogonalInitial, .orthogonalKernel) : nil
        testPrediction = prediction(.testInitial, .testKernel)
        ntkVariance = series(.ntkVariance)
        overlapVariance = series(.overlapVariance)
        overlapMeanShift = series(.overlapShift)
    }
}
