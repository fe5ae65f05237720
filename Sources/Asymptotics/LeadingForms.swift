import Foundation

/// The leading asymptotic forms of the whitened overlap c_L of notes/theory-overview.md (T13), in log space so
/// that gamma up to 1e100 and L up to 1e9 stay finite. g = gamma^2, b = 1/beta. These are the
/// paper's forms; the systematic corrections belong to the regime expansions.
public enum LeadingForms {
    /// Lazy (gamma -> 0, fixed L): c_L − 1 ≈ L g / (1 + b)^2. Returns ln(c_L − 1).
    public static func lazyLogExcess(logGammaSquared: Double, ridge b: Double, depth: Double) -> Double {
        log(depth) + logGammaSquared - 2 * log1p(b)
    }

    /// Rich (gamma -> inf, fixed L and b): c_L ≈ g^(L/(L+1)). Returns ln c_L.
    public static func richLogOverlap(logGammaSquared: Double, depth: Double) -> Double {
        depth / (depth + 1) * logGammaSquared
    }

    /// Deep, the paper's form (L -> inf, fixed gamma, b -> 0): c_L ≈ L g / ln(L g). Returns ln c_L.
    public static func deepLogOverlapPaper(logGammaSquared: Double, depth: Double) -> Double {
        let logLg = log(depth) + logGammaSquared
        return logLg - log(logLg)
    }

    /// Deep, Lambert-W form: c ln c = L g, so c_L ≈ L g / W(L g). Returns ln c_L.
    public static func deepLogOverlapLambert(logGammaSquared: Double, depth: Double) -> Double {
        let logLg = log(depth) + logGammaSquared
        return logLg - logLambertWOfExp(logLg)
    }
}
