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
        let (values, shifts, halfDifferences) = replicaSummaries(coarse: coarse, fine: fine)
        // The package's mean over independent runs: sd / sqrt(R), R - 1 degrees of freedom.
        var estimate = Estimate.mean(ofIndependent: values.map { Estimate(value: $0, standardError: 0) })
        let shift = shifts.reduce(0, +) / r
        estimate.systematic = max(estimate.systematic, 0.25 * abs(shift))
        let (h, sdh) = meanAndDeviation(halfDifferences)
        let seh = sdh / r.squareRoot()
        let drift = seh > 0 ? abs(h) / seh : (h == 0 ? 0 : .infinity)
        return (estimate, drift)
    }

    /// One replica apart from the others (notes/anbk-data.md (NB29b)): the largest leave-one-out
    /// |t_r| = |x_r - mean_{s != r} x| / (sd_{s != r}(x) sqrt(1 + 1/(R - 1))) over the replicas r, for x the
    /// half differences h_r of `estimate` and for x the replicas' extrapolated values m_r. Each t_r is
    /// Student t with R - 2 degrees of freedom when the replicas are independent, identically normal.
    /// 0 for fewer than three replicas (no deviation of the others). The others' deviation is floored at
    /// 1e-12 of the largest |entry| of the runs (and the smallest normal number), so differences at rounding
    /// level between replicas that agree to rounding are not read as a replica apart. Infinity when an x is NaN.
    public static func outlier(coarse: [[Double]], fine: [[Double]]) -> Double {
        precondition(coarse.count == fine.count, "a coarse and a fine run per replica")
        guard coarse.count >= 3 else { return 0 }
        let (values, _, halfDifferences) = replicaSummaries(coarse: coarse, fine: fine)
        // Rounding level: 1e-12 of the largest |entry| of any run (the series' own scale, not that of h or m,
        // which are differences and can be pure rounding).
        let magnitude = (coarse + fine).reduce(0.0) { max($0, $1.reduce(0.0) { max($0, abs($1)) }) }
        let floor = max(1e-12 * magnitude, Double.leastNormalMagnitude)
        var largest = 0.0
        for x in [halfDifferences, values] {
            let scale = (1 + 1 / Double(x.count - 1)).squareRoot()
            for r in x.indices {
                var others = x
                let own = others.remove(at: r)
                let (m, sd) = meanAndDeviation(others)
                let d = abs(own - m)
                let t = d / (max(sd, floor) * scale)
                if t.isNaN { return .infinity } // a NaN counts as apart
                largest = max(largest, t)
            }
        }
        return largest
    }

    /// Threshold on the largest of `series` outlier statistics (NB29b): two-sided Student t with R - 2
    /// degrees of freedom at p = 0.002 / (2 R series).
    public static func outlierLimit(series: Int, replicas: Int) -> Double {
        StudentT.twoSidedQuantile(p: BatchMeans.driftFalseAlarmRate / Double(max(1, 2 * replicas * series)), dof: max(1, replicas - 2))
    }

    /// Per replica r: the extrapolated value m_r = 2 mean(fine[r]) - mean(coarse[r]) (NB28a), the shift
    /// mean(fine[r]) - mean(coarse[r]) (NB28c) and the half difference h_r of (NB29) (second half minus first
    /// half of the extrapolated mean; the first half is the first count / 2 iterations).
    static func replicaSummaries(coarse: [[Double]], fine: [[Double]]) -> (values: [Double], shifts: [Double], halfDifferences: [Double]) {
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
        return (values, shifts, halfDifferences)
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
