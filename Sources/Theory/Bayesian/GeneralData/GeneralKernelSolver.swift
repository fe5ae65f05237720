import Foundation
import Core
import Numerics

/// Exact reduction of the general-C saddle point to the secular equation (eq. G5), solved at
/// working precision: the spectrum by `KernelSpectrum` (eqs. G4'-G4'''), every root isolated by certified-up-to-
/// rounding cell enclosures (eq. G10'), each refined by safeguarded Newton/bisection to a bracket
/// of a few ulps (notes/general-kernel-reduction.md).
public struct GeneralKernelSolver: Sendable {
    /// Initial cells of the geometric grid over the root bounds (eq. G9).
    public var gridCells = 64

    public init() {}

    public func solve(_ problem: GeneralKernelProblem) throws -> GeneralKernelSolution {
        let spectrum = try KernelSpectrum(problem)
        return try solve(problem, spectrum: spectrum)
    }

    public func solve(_ problem: GeneralKernelProblem, spectrum: KernelSpectrum) throws -> GeneralKernelSolution {
        let weights = spectrum.projections.map { $0 * $0 }
        let g = problem.gammaSquared, b = problem.ridge, depth = problem.depth
        let equation = SecularEquation(eigenvalues: spectrum.eigenvalues, weights: weights, gammaSquared: g, ridge: b, depth: depth)
        var found: [(u: Double, width: Double, sign: Int)] = []
        let isolation: String
        if let bounds = equation.rootBounds() {
            guard equation.spike(bounds.upper).isFinite, g * equation.spike(bounds.upper) < .greatestFiniteMagnitude / 1e10 else {
                throw SolverError.notConverged("t = (1+u)^L overflows double precision on the root bounds (u <= \(bounds.upper), L = \(depth))")
            }
            let n = max(1, gridCells)
            let ratio = pow(bounds.upper / bounds.lower, 1 / Double(n))
            var grid = (0...n).map { bounds.lower * pow(ratio, Double($0)) }
            grid[0] = bounds.lower; grid[n] = bounds.upper
            let cells = try isolateRoots(DoubleSecularOracle(equation: equation), grid: grid)
            for cell in cells { found.append(refine(equation, cell)) }
            isolation = "\(cells.count) root(s) in [\(bounds.lower), \(bounds.upper)] (eq. G9), isolated by monotone cell enclosures (eq. G10')"
        } else {
            found = [(0, 0, -1)]
            isolation = "g Q(t) = 0 identically (gamma = 0 or y has no component in the range of C): u = 0, the lazy kernels"
        }
        guard !found.isEmpty else { throw SolverError.notConverged("no root of the secular equation was found inside its proven bounds") }
        var roots = found.map { saddle(problem, spectrum: spectrum, equation: equation, weights: weights, root: $0) }
        // Dominance: the smallest action among the local minima of S (eq. G8); ties beyond rounding are reported as none.
        let minima = roots.indices.filter { roots[$0].stationarity == .minimum }
        if let best = minima.min(by: { roots[$0].action < roots[$1].action }) {
            let tie = minima.contains { $0 != best && abs(roots[$0].action - roots[best].action) <= 1e-12 * max(1, abs(roots[best].action)) }
            if !tie { roots[best].isDominant = true }
        }
        return GeneralKernelSolution(problem: problem, spectrum: spectrum, roots: roots, isolation: isolation)
    }

    /// Newton steps kept inside the bracket, bisection otherwise, until the bracket is a few ulps wide.
    func refine(_ equation: SecularEquation, _ cell: RootCell<Double>) -> (u: Double, width: Double, sign: Int) {
        var low = cell.lower, high = cell.upper
        let signLow = cell.signAtLower
        var x = 0.5 * (low + high)
        for _ in 0..<400 {
            if high - low <= 4 * Double.ulpOfOne * high { break }
            guard let s = equation.sign(at: x) else {
                // |E(x)| is within the rounding margin: close the bracket on the nearest points
                // on either side where the sign is decided.
                var h = 4 * Double.ulpOfOne * x
                while h < high - low {
                    let a = max(low, x - h), b = min(high, x + h)
                    let sa = a == low ? signLow : equation.sign(at: a), sb = b == high ? -signLow : equation.sign(at: b)
                    if sa == signLow && sb == -signLow { low = a; high = b; break }
                    h *= 2
                }
                break
            }
            if s == signLow { low = x } else { high = x }
            let step = equation.value(x) / equation.derivative(x)
            let newton = x - step
            x = newton > low && newton < high && step.isFinite ? newton : 0.5 * (low + high)
            if x == low || x == high { x = 0.5 * (low + high) }
        }
        return (x, max(high - low, abs(x) * Double.ulpOfOne), signLow)
    }

    func saddle(_ problem: GeneralKernelProblem, spectrum: KernelSpectrum, equation: SecularEquation, weights: [Double],
                root: (u: Double, width: Double, sign: Int)) -> GeneralKernelSaddle {
        let u = root.u, b = problem.ridge, g = problem.gammaSquared
        let t = exp(Double(problem.depth) * log1p(u))
        let lambda = spectrum.eigenvalues
        let v = spectrum.resolvent(scale: t, ridge: b)
        let cv = spectrum.resolvent(scale: t, ridge: b, timesKernel: true)
        var q = 0.0, r = 0.0, yCy = 0.0, norm = 0.0, cF = 0.0, cvC = 0.0, cvN = 0.0
        for k in lambda.indices {   // P entries, or r + 1 for a reduced spectrum (eq. G4')
            let d = t * lambda[k] + b, w = weights[k]
            if lambda[k] > 0 { q += lambda[k] * w / (d * d); r += lambda[k] * w / d }
            yCy += lambda[k] * w; norm += w
            cF += lambda[k] * lambda[k]
            let c2 = lambda[k] * lambda[k] * w / (d * d)
            cvC += lambda[k] * c2; cvN += c2
        }
        let energy = g * t * q
        return GeneralKernelSaddle(
            u: u, rootWidth: root.width, secularResidual: abs(u - energy) / max(u + energy, .leastNormalMagnitude),
            action: equation.action(u, eigenvalues: lambda, weights: weights),
            stationarity: root.sign < 0 ? .minimum : .maximum,
            depth: problem.depth, gammaSquared: g, ridge: b, v: v, cv: cv, q: q, r: r, yCy: yCy, yNormSquared: norm,
            cFrobeniusSquared: cF, cvCcv: cvC, cvNormSquared: cvN)
    }
}
