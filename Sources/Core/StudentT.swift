import Foundation

/// Quantiles used to turn standard errors into pass/fail tolerances (notes eq. V20).
public enum StudentT {
    /// Standard normal upper-tail quantile z with P(Z > z) = q (Acklam's rational approximation,
    /// relative error < 1.2e-9).
    public static func normalUpperQuantile(_ q: Double) -> Double {
        precondition(q > 0 && q < 1)
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let p = 1 - q // lower-tail probability of the returned point
        func tail(_ p: Double) -> Double {
            let r = (-2 * log(p)).squareRoot()
            return (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
        }
        if p < 0.02425 { return tail(p) }
        if p > 1 - 0.02425 { return -tail(1 - p) }
        let t = p - 0.5, r = t * t
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// t with P(|T| > t) = p for Student's t with `dof` degrees of freedom (Hill 1970, ACM algorithm 396).
    public static func twoSidedQuantile(p: Double, dof: Int) -> Double {
        precondition(p > 0 && p < 1 && dof >= 1)
        let n = Double(dof)
        if dof == 1 { return 1 / tan(p * Double.pi / 2) }
        if dof == 2 { return (2 / (p * (2 - p)) - 2).squareRoot() }
        let a = 1 / (n - 0.5)
        let b = 48 / (a * a)
        var c = ((20700 * a / b - 98) * a - 16) * a + 96.36
        let d = ((94.5 / (b + c) - 3) / b + 1) * (a * Double.pi / 2).squareRoot() * n
        var x = d * p
        var y = pow(x, 2 / n)
        if y > 0.05 + a {
            x = -normalUpperQuantile(p / 2) // the lower-tail point, negative
            y = x * x
            if dof < 5 { c += 0.3 * (n - 4.5) * (x + 0.6) }
            c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x
            y = a * y * y
            y = y > 0.002 ? exp(y) - 1 : 0.5 * y * y + y
        } else {
            y = ((1 / (((n + 6) / (n * y) - 0.089 * d - 0.822) * (n + 2) * 3) + 0.5 / (n + 4)) * y - 1) * (n + 1) / (n + 2) + 1 / y
        }
        return (n * y).squareRoot()
    }
}
