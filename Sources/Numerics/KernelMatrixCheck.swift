/// The structural checks every working-precision kernel problem makes on its input kernel C
/// (P x P, row-major) and labels y, in one place: shape, finiteness, symmetry. Positive
/// semidefiniteness is the solver's (it comes with the eigen-decomposition).
public enum KernelMatrixCheck {
    /// The first defect found, in the order shape, labels, kernel entries, symmetry.
    public enum Defect: Equatable, CustomStringConvertible {
        case empty
        case shape(entries: Int, points: Int)
        case nonFiniteLabel(index: Int, value: Double)
        case nonFiniteKernel(row: Int, column: Int, value: Double)
        case notSymmetric(row: Int, column: Int, upper: Double, lower: Double)

        public var description: String {
            switch self {
            case .empty: return "no training points (empty label vector)"
            case let .shape(entries, points): return "input kernel has \(entries) entries, \(points) labels need \(points) x \(points)"
            case let .nonFiniteLabel(index, value): return "label \(index) is not finite (\(value))"
            case let .nonFiniteKernel(row, column, value): return "input kernel entry (\(row), \(column)) is not finite (\(value))"
            case let .notSymmetric(row, column, upper, lower): return "input kernel is not symmetric at (\(row), \(column)): \(upper) vs \(lower)"
            }
        }
    }

    /// nil when C is a finite symmetric P x P matrix and y has P finite entries. Symmetry: |C_ij - C_ji|
    /// <= `relativeSymmetry` max |C| (a kernel computed in floating point is symmetric only to rounding).
    public static func defect(kernel: [Double], labels: [Double], relativeSymmetry: Double) -> Defect? {
        let p = labels.count
        guard p > 0 else { return .empty }
        guard kernel.count == p * p else { return .shape(entries: kernel.count, points: p) }
        if let bad = labels.firstIndex(where: { !$0.isFinite }) { return .nonFiniteLabel(index: bad, value: labels[bad]) }
        if let bad = kernel.firstIndex(where: { !$0.isFinite }) { return .nonFiniteKernel(row: bad / p, column: bad % p, value: kernel[bad]) }
        let scale = kernel.reduce(0.0) { max($0, abs($1)) }
        for i in 0..<p { for j in (i + 1)..<p where abs(kernel[i * p + j] - kernel[j * p + i]) > relativeSymmetry * max(scale, .leastNormalMagnitude) {
            return .notSymmetric(row: i, column: j, upper: kernel[i * p + j], lower: kernel[j * p + i])
        } }
        return nil
    }
}
