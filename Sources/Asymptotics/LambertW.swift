import Foundation

/// The principal branch W0 of the Lambert W function (w e^w = x) for x >= 0, in Double.
/// Halley iteration from a log-based start; relative accuracy near machine precision.
public func lambertW(_ x: Double) -> Double {
    precondition(x >= 0 && x.isFinite, "lambertW takes a finite x >= 0")
    if x == 0 { return 0 }
    var w = x < 1 ? x * (1 - x) : log(x) - (x > 3 ? log(log(x)) : 0)
    if x < 1 { w = max(w, 0.5 * x) }
    for _ in 0..<64 {
        let e = exp(w)
        let f = w * e - x
        let step = f / (e * (w + 1) - (w + 2) * f / (2 * w + 2))
        w -= step
        if abs(step) <= 1e-16 * max(1, abs(w)) { break }
    }
    return w
}

/// ln W0(e^t) for large arguments given as t = ln x (x may overflow a Double): solves
/// ln w + w = t by Newton in v = ln w.
public func logLambertWOfExp(_ t: Double) -> Double {
    if t < 700 { return log(lambertW(exp(t))) }
    var v = log(t)                      // w ~ t
    for _ in 0..<64 {
        let w = exp(v)
        let step = (v + w - t) / (1 + w)
        v -= step
        if abs(step) < 1e-16 * max(1, abs(v)) { break }
    }
    return v
}
