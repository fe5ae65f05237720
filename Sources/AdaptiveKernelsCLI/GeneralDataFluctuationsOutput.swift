import Foundation
import Core
import Theory
import Numerics

/// `fluctuations --setting bayes --activation identity --depth L --gamma G --beta B --train X --labels y
/// [--test Xt --test-labels yt] [--format table|json]`: the O(1/N) fluctuations of the Bayesian deep linear
/// network on data files (notes/fluctuations-bayes.md (FB15)-(FB21)), at working precision with residuals.
enum GeneralDataFluctuationsOutput {
    static func run(_ options: ParsedArguments) throws -> String {
        for name in ["whitened-points", "digits"] where options.value(name) != nil {
            throw UsageError("--\(name) belongs to whitened data (without --train)")
        }
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .json], default: .table)
        let gamma = try parseGamma(try options.required("gamma"))
        let beta = try parseBeta(try options.required("beta"))
        let depth = try parseDepth(try options.required("depth"))
        let data = try DataFiles.trainingData(options)
        let joint = data.inputKernel
        let value: GeneralDataFluctuations
        do {
            let problem = try studyErrors {
                try GeneralKernelProblem(inputKernel: data.trainKernel(), labels: data.labels, gamma: gamma, beta: beta, depth: depth)
            }
            value = try studyErrors { try GeneralDataFluctuations(problem: problem, jointKernel: joint, testPoints: data.testCount) }
        } catch let failure as GeneralDataFluctuations.Failure {
            switch failure {
            case .tooLarge, .rankDeficientWithoutRidge: throw UsageError(failure.description)
            case .notPositiveDefinite, .noDominantRoot: throw SolverError.notConverged(failure.description)
            }
        }
        switch format {
        case .json: return json(value, gamma: gamma, beta: beta, data: data)
        default: return table(value, gamma: gamma, beta: beta, data: data)
        }
    }

    static func json(_ f: GeneralDataFluctuations, gamma: BigRational, beta: InverseTemperature, data: LabelledData) -> String {
        let residual = f.residual
        func array(_ xs: [Double]) -> JSONValue {
            .object([("kind", .string("approximate")), ("values", .array(xs.map { .string(OutputContract.decimal17($0)) })),
                     ("floats", .array(xs.map { .number($0) })), ("residual", .string(OutputContract.decimal17(residual)))])
        }
        return OutputContract.render(command: "fluctuations --setting bayes --train", [
            ("setting", .string("bayes")), ("activation", .string("identity")),
            ("gamma", OutputContract.exact(gamma)), ("beta", OutputContract.exact(beta)),
            ("depth", .integer(f.depth)), ("train_points", .integer(f.trainingPoints)), ("test_points", .integer(f.testPoints)),
            ("features", .integer(data.dimension)), ("rank", .integer(f.rank)),
            ("layers", .array((1...f.depth).map { .integer($0) })),
            ("overlap", array(f.overlaps)),
            ("overlap_variance", array(f.overlapVariance)),
            ("overlap_mean_shift", array(f.overlapMeanShift)),
            ("prediction_points", .string(f.testPoints > 0 ? "test" : "train")),
            ("prediction_variance", f.predictionVariance.map(array) ?? .null),
            ("prediction_variance_from_kernels", array(f.predictionVarianceFromKernels)),
            ("kernel_variance", OutputContract.approximate(f.kernelVariance, residual: residual)),
            ("ntk_variance", .null),
        ])
    }

    static func table(_ f: GeneralDataFluctuations, gamma: BigRational, beta: InverseTemperature, data: LabelledData) -> String {
        func text(_ x: Double) -> String { String(format: "%.10g", x) }
        var lines = ["Finite-width fluctuations, Bayesian deep linear network, data: P = \(f.trainingPoints), Q = \(f.testPoints), D = \(data.dimension) (rank of C: \(f.rank))",
                     "gamma = \(OutputContract.exactText(gamma)), beta = \(OutputContract.exactText(beta)), L = \(f.depth); approximate (double precision), residual \(String(format: "%.1e", f.residual)) (FB15-FB21)",
                     "layer  c_l = y'Phi^l y/|y|^2  N Var(c_l)  N (E c_l - c_l)"]
        for l in 0..<f.depth {
            lines.append("\(l + 1)  \(text(f.overlaps[l]))  \(text(f.overlapVariance[l]))  \(text(f.overlapMeanShift[l]))")
        }
        lines.append("\(f.testPoints > 0 ? "test" : "train") point  N Var(f)  N Var(E[f | Phi])")
        for (i, v) in f.predictionVarianceFromKernels.enumerated() {
            let total = f.predictionVariance.map { text($0[i]) } ?? "unbounded (gamma = 0, finite beta)"
            lines.append("\(i + 1)  \(total)  \(text(v))")
        }
        lines.append("N Var(tr Phi^L / P) = \(text(f.kernelVariance))")
        return lines.joined(separator: "\n") + "\n"
    }
}
