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
    /// `relativeSymmetry` nil: the caller formed C exactly symmetric (C_ij and C_ji the same double,
    /// as `LinearAlgebra.rowGram` mirrors one triangle), and the symmetry pass is skipped.
    public static func defect(kernel: [Double], labels: [Double], relativeSymmetry: Double?) -> Defect? {
        let p = labels.count
        guard p > 0 else { return .empty }
        guard kernel.count == p * p else { return .shape(entries: kernel.count, points: p) }
        if let bad = labels.firstIndex(where: { !$0.isFinite }) { return .nonFiniteLabel(index: bad, value: labels[bad]) }
        // One pass for finiteness and max |C| (a maximum does not depend on the order), one pass
        // over the upper triangle in square tiles for symmetry (the transposed entries stay in
        // cache); the first defect, in row-major order, is then located by the plain scans.
        let (finite, scale) = finiteMaximum(kernel)
        if !finite, let bad = kernel.firstIndex(where: { !$0.isFinite }) {
            return .nonFiniteKernel(row: bad / p, column: bad % p, value: kernel[bad])
        }
        guard let relativeSymmetry else { return nil }
        let tolerance = relativeSymmetry * max(scale, .leastNormalMagnitude)
        if !symmetric(kernel, p, tolerance) {
            for i in 0..<p { for j in (i + 1)..<p where abs(kernel[i * p + j] - kernel[j * p + i]) > tolerance {
                return .notSymmetric(row: i, column: j, upper: kernel[i * p + j], lower: kernel[j * p + i])
            } }
        }
        return nil
    }

    /// Whether every entry is finite, and max |entry| (meaningful when all are finite).
    static func finiteMaximum(_ a: [Double]) -> (Bool, Double) {
        a.withUnsafeBufferPointer { x in
            var m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0, finite = true
            var i = 0
            while i + 4 <= x.count {
                let a0 = abs(x[i]), a1 = abs(x[i + 1]), a2 = abs(x[i + 2]), a3 = abs(x[i + 3])
                // A NaN or an infinity fails `< .infinity`.
                finite = finite && a0 < .infinity && a1 < .infinity && a2 < .infinity && a3 < .infinity
                m0 = max(m0, a0); m1 = max(m1, a1); m2 = max(m2, a2); m3 = max(m3, a3)
                i += 4
            }
            while i < x.count { let ai = abs(x[i]); finite = finite && ai < .infinity; m0 = max(m0, ai); i += 1 }
            return (finite, max(max(m0, m1), max(m2, m3)))
        }
    }

    /// Whether |a_ij - a_ji| <= tolerance for all i < j (p x p row-major), by tiles.
    static func symmetric(_ a: [Double], _ p: Int, _ tolerance: Double) -> Bool {
        let tile = 64
        return a.withUnsafeBufferPointer { x in
            var ok = true
            for ib in stride(from: 0, to: p, by: tile) {
                for jb in stride(from: ib, to: p, by: tile) {
                    for i in ib..<min(ib + tile, p) {
                        var j = max(i + 1, jb)
                        let jEnd = min(jb + tile, p)
                        while j < jEnd { ok = ok && abs(x[i * p + j] - x[j * p + i]) <= tolerance; j += 1 }
                    }
                    if !ok { return false }
                }
            }
            return ok
        }
    }
}
