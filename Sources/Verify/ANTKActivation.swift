/// Activation of the networks the gradient-flow verifier trains (issue 7). Both are positively
/// homogeneous of degree 1, so a network with L hidden layers is homogeneous of degree L + 1 in its
/// weights, which is what the predictor identity f = K Delta / (lambda (L+1)) (THEORY 2, A7) needs.
public enum ANTKActivation: String, Sendable, CaseIterable {
    case linear
    case relu

    @inline(__always) public func value(_ h: Double) -> Double {
        switch self {
        case .linear: return h
        case .relu: return h > 0 ? h : 0
        }
    }

    /// phi'(h); ReLU uses phi'(0) = 0.
    @inline(__always) public func derivative(_ h: Double) -> Double {
        switch self {
        case .linear: return 1
        case .relu: return h > 0 ? 1 : 0
        }
    }
}
