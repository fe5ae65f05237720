import Foundation

extension DeepLinearGradientFlowFluctuations {
    /// An explicit Runge-Kutta scheme for the conditioning representation (notes/fluctuations-gradient-flow.md (FG38)): the
    /// Butcher tableau a (strictly lower triangular) and the weights b.
    public enum TimeScheme: String, Sendable, CaseIterable {
        case euler, heun, rk4

        /// The order p: the error of a grid is O(dt^p) (FG39).
        public var order: Int {
            switch self {
            case .euler: return 1
            case .heun: return 2
            case .rk4: return 4
            }
        }

        var a: [[Double]] {
            switch self {
            case .euler: return [[]]
            case .heun: return [[], [1]]
            case .rk4: return [[], [0.5], [0, 0.5], [0, 0, 1]]
            }
        }

        var b: [Double] {
            switch self {
            case .euler: return [1]
            case .heun: return [0.5, 0.5]
            case .rk4: return [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6]
            }
        }

        public var stages: Int { b.count }
    }
}

extension DeepLinearGradientFlowFluctuations.Solver {
    typealias Vector = DeepLinearGradientFlowFluctuations.Vector
    typealias Scalar = DeepLinearGradientFlowFluctuations.Scalar

    /// The state of the flow (FG38): the first layer's features h^1_nu (W^0 acts on the inputs only), the readout w, and each
    /// hidden matrix M^c = W^c/sqrt(N) as alpha_c M^c_0 + sum_t coefficients_c[t] a_t b_t^T/N over the stored terms of coupling c.
    struct FlowState {
        var features: [Vector]
        var readout: Vector
        var alphas: [Double]
        var coefficients: [[Double]]
    }

    /// A term a b^T/N of a hidden matrix: a in layer c + 1 (a gradient g^{c+2}), b in layer c (sum_mu Delta_mu h^{c+1}_mu).
    struct Term { let a: Vector; let b: Vector }

    /// y + sum_i c_i k_i (the stage and step combinations of (FG38)); coefficient lists padded with zeros.
    func combine(_ y: FlowState, _ ks: [(Double, FlowState)]) -> FlowState {
        var out = y
        for (c, k) in ks where c != 0 {
            for nu in out.features.indices { out.features[nu] = out.features[nu] + c * k.features[nu] }
            out.readout = out.readout + c * k.readout
            for i in out.alphas.indices {
                out.alphas[i] += c * k.alphas[i]
                if out.coefficients[i].count < k.coefficients[i].count {
                    out.coefficients[i] += Array(repeating: 0, count: k.coefficients[i].count - out.coefficients[i].count)
                }
                for t in k.coefficients[i].indices { out.coefficients[i][t] += c * k.coefficients[i][t] }
            }
        }
        return out
    }

    /// M^c x (transpose false, x in layer c) or M^{cT} x (transpose true, x in layer c + 1) at the state y (FG38): the random
    /// part by a reveal (FG30), the stored terms by inner products.
    mutating func apply(_ c: Int, _ y: FlowState, _ terms: [[Term]], _ x: Vector, transpose: Bool) -> Vector {
        var out = y.alphas[c] * reveal(c, x, side: transpose ? 1 : 0)
        for (t, coefficient) in y.coefficients[c].enumerated() where coefficient != 0 {
            let term = terms[c][t]
            out = transpose ? out + (coefficient * inner(c + 1, term.a, x)) * term.b : out + (coefficient * inner(c, term.b, x)) * term.a
        }
        return out
    }

    /// One evaluation of the gradient-flow vector field at y (FG38): the forward pass (a reveal per input and layer), the
    /// predictions, the backward pass (a reveal per layer), and the derivative of the state; the new terms are appended.
    mutating func evaluate(_ y: FlowState, _ terms: inout [[Term]]) -> (derivative: FlowState, h: [[Vector]], g: [Vector], f: [Scalar]) {
        let n = inputs.count, points = inputs.trainCount, kernel = inputs.kernel
        var h = [y.features]
        for c in 0..<(depth - 1) {
            var next = [Vector]()
            for nu in 0..<n { next.append(apply(c, y, terms, h[c][nu], transpose: false)) }
            h.append(next)
        }
        let f = (0..<n).map { (1 / gamma) * inner(depth - 1, y.readout, h[depth - 1][$0]) }
        let delta = (0..<points).map { inputs.labels[$0] - f[$0] }
        var g = Array(repeating: y.readout, count: depth)
        for c in stride(from: depth - 2, through: 0, by: -1) { g[c] = apply(c, y, terms, g[c + 1], transpose: true) }
        // dh^1_nu/dt = gamma (sum_mu Delta_mu C_mu nu) g^1 - lambda h^1_nu (FG35); dw/dt = gamma sum_mu Delta_mu h^L_mu - lambda w;
        // dM^c/dt = gamma g^{c+2} (sum_mu Delta_mu h^{c+1}_mu)^T/N - lambda M^c (notes/dynamics-deep-linear.md (DY3) per step).
        var derivative = y
        for nu in 0..<n {
            var coefficient: Scalar?
            for mu in 0..<points where kernel[mu * n + nu] != 0 {
                let term = kernel[mu * n + nu] * delta[mu]
                coefficient = coefficient.map { $0 + term } ?? term
            }
            derivative.features[nu] = (-lambda) * y.features[nu]
            if let coefficient { derivative.features[nu] = derivative.features[nu] + (gamma * coefficient) * g[0] }
        }
        func weighted(_ l: Int) -> Vector {
            var sum = zero(l)
            for mu in 0..<points { sum = sum + delta[mu] * h[l][mu] }
            return sum
        }
        derivative.readout = (-lambda) * y.readout + gamma * weighted(depth - 1)
        for c in 0..<(depth - 1) {
            terms[c].append(Term(a: g[c + 1], b: weighted(c)))
            derivative.alphas[c] = -lambda * y.alphas[c]
            derivative.coefficients[c] = y.coefficients[c].map { -lambda * $0 } + Array(repeating: 0, count: terms[c].count - 1 - y.coefficients[c].count) + [gamma]
        }
        return (derivative, h, g, f)
    }

    /// The flow by an explicit Runge-Kutta scheme at finite width with these random-matrix products (FG38): the observables at
    /// the output steps (columns as `march`).
    mutating func marchRungeKutta(_ scheme: DeepLinearGradientFlowFluctuations.TimeScheme, steps: Int,
                                  outputs: Set<Int>) -> [Int: (means: [Double], variances: [Double])] {
        couplings = Array(repeating: Coupling(), count: max(depth - 1, 0))
        counts = Array(repeating: 0, count: depth)
        let u1 = inputs.factor.map { row -> Vector in var u = zero(0); for (i, a) in row.enumerated() { u.v[i] = a }; return u }
        counts[0] = inputs.rank
        let w0 = unit(depth - 1, counts[depth - 1]); counts[depth - 1] += 1
        var y = FlowState(features: u1, readout: w0, alphas: Array(repeating: 1, count: depth - 1),
                          coefficients: Array(repeating: [], count: depth - 1))
        var terms = [[Term]](repeating: [], count: depth - 1)
        let weights = self.weights
        var out = [Int: (means: [Double], variances: [Double])]()
        for k in 0...steps {
            let first = evaluate(y, &terms)
            if outputs.contains(k) { out[k] = reading(h: first.h, g: first.g, f: first.f, weights: weights) }
            guard k < steps else { break }
            var ks = [first.derivative]
            for i in 1..<scheme.stages {
                let stage = combine(y, zip(scheme.a[i], ks).map { (dt * $0, $1) })
                ks.append(evaluate(stage, &terms).derivative)
            }
            y = combine(y, zip(scheme.b, ks).map { (dt * $0, $1) })
        }
        return out
    }
}
