import Foundation

/// The Richardson extrapolation 2 m(n) - m(n/2) estimated between R independent replicas of the
/// (n/2, n) pair of runs (notes/anbk-data.md (NB28)-(NB30)): the error is the scatter of the replicas'
/// extrapolated means, whatever the correlation time inside a run, with R - 1 degrees of freedom.
public enum ReplicaMeans {
    /// The replicas' series: `coarse[r]` the measured series of replica r's run with n/2 samples,
    /// `fine[r]` that of its run with n samples (any lengths >= 2).
    /// Value: the mean over r of m_r = 2 mean(fine[r]) - mean(coarse[r]) (NB28a); standard error
    /// sd(m_r) / sqrt(R) with R - 1 degrees of freedom (NB28b); systematic a quarter of the mean
    /// shift |mean_r (mean(fine[r]) - mean(coarse[r]))| / 4 (NB28c, notes/verify-bayes.md (V17)).
    /// Drift (NB29): h_r = m_r(second half) - m_r(first half); z = |mean h| / (sd(h) / sqrt R),
    /// Student t with R - 1 degrees of freedom when the replicas are stationary.
    public static func estimate(coarse: [[Double]], fine: [[Double]]) -> (estimate: Estimate, drift: Double) {
        precondition(coarse.count == fine.count && coarse.count >= 2, "at least two replicas, each a coarse and a fine run")
        let r = Double(coarse.count)
        func mean(_ x: ArraySlice<Double>) -> Double { x.reduce(0, +) / Double(max(1, x.count)) }
        func halves(_ x: [Double]) -> (Double, Double) { (mean(x[0..<(x.count / 2)]), mean(x[(x.count / 2)...])) }
        var values: [Double] = [], shifts: [Double] = [], halfDifferences: [Double] = []
        for (c, f) in zip(coarse, fine) {
            let mc = mean(c[...]), mf = mean(f[...])
            values.append(2 * mf - mc)
            shifts.append(mf - mc)
            let (c1, c2) = halves(c), (f1, f2) = halves(f)
            halfDifferences.append((2 * f2 - c2) - (2 * f1 - c1))
        }
        // The package's mean over independent runs: sd / sqrt(R), R - 1 degrees of freedom.
        var estimate = Estimate.mean(ofIndependent: values.map { Estimate(value: $0, standardError: 0) })
        let shift = shifts.reduce(0, +) / r
        estimate.systematic = max(estimate.systematic, 0.25 * abs(shift))
        let (h, sdh) = meanAndDeviation(halfDifferences)
        let seh = sdh / r.squareRoot()
        let drift = seh > 0 ? abs(h) / seh : (h == 0 ? 0 : .infinity)
        return (estimate, drift)
    }

    /// Mean and sample standard deviation (n - 1 in the denominator).
    static func meanAndDeviation(_ x: [Double]) -> (Double, Double) {
        let n = Double(x.count)
        let m = x.reduce(0, +) / n
        let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        return (m, v.squareRoot())
    }

    /// Threshold on the largest of `series` replica drift z-scores: two-sided Student t with R - 1
    /// degrees of freedom at p = 0.002 / series (the family rate of notes/verify-bayes.md (V18)).
    public static func driftLimit(series: Int, replicas: Int) -> Double {
        StudentT.twoSidedQuantile(p: BatchMeans.driftFalseAlarmRate / Double(max(1, series)), dof: max(1, replicas - 1))
    }
}
