import Foundation
import Core
import Theory
import Numerics

/// `adaptive-kernels fluctuations --setting bayes --activation identity --depth L --gamma G --beta B
/// [--whitened-points P] [--digits D] [--format table|csv|json]`: the O(1/N) finite-width fluctuations
/// of the Bayesian deep linear network on whitened data (notes/fluctuations-bayes.md), certified;
/// `--setting gradient-flow --activation identity --depth 1 --gamma G --lambda W --time T --points K`: those of
/// the two-layer linear network along gradient flow (notes/fluctuations-gradient-flow.md), approximate.
enum FluctuationsCommand {
    static let usage = """
    usage: adaptive-kernels fluctuations --setting bayes --activation identity --depth L --gamma G --beta B
             [--whitened-points P] [--digits D] [--format table|csv|json]
      Finite-width fluctuations at order 1/N around the infinite-width saddle (the Laplace expansion of
      the exact law of the layer kernels, FB1-FB11): N x Var of the overlaps c_l = y^T Phi^l y (|y| = 1),
      N x (E c_l - c_l) (their mean shift), N x Var of the predictions along the labels and orthogonal to
      them (the part due to the kernels, and the total with the readout's posterior noise), and N x Var of
      the kernel's diagonal mean tr Phi^L / P. Whitened data: C = I, P points (default 4). Every value is
      certified: the correctly rounded decimal of an enclosure, D significant digits (default 20).

    usage: adaptive-kernels fluctuations --setting bayes --activation identity --depth L --gamma G --beta B
             --train X --labels y [--test Xt --test-labels yt] [--format table|json]
      The same on data files (.npy or .csv; C = X X^T / D over the training and test points, labels as
      given): N x Var and N x mean shift of the overlaps c_l = y^T Phi^l y / |y|^2, N x Var of the
      prediction at every test point (at every training point without --test), with and without the
      readout's posterior noise, and N x Var of tr Phi^L / P (FB15-FB21: the exact Wishart-chain law in
      whitened variables, a dense Hessian on L r(r+1)/2 coordinates, r = rank of C, at most 3000).
      Values are approximate (double precision) with the largest relative residual of the saddle's
      stationarity and of the dense solves.

    usage: adaptive-kernels fluctuations --setting gradient-flow --activation identity|relu|tanh|erf --depth L --gamma G
             [--lambda W] --time T [--points K] [--whitened-points P | --train X.npy --labels y.npy
             [--test Xt.npy --test-labels yt.npy]] [--sites M] [--replicas R] [--seed S] [--digits D]
             [--levels R] [--format table|csv|json]
      The O(1/N) initialization variance along gradient flow with weight decay W (default 0) of the two-layer
      linear network, at K + 1 times 0...T (K default 10): N x Var of the prediction on the labelled point (y = e_1),
      on an orthogonal training point and on a test input orthogonal to the training inputs, of the NTK's
      diagonal mean and of the overlap c_1 = y^T H^T H y/N, and N x (E c_1 - c_1) (FG1-FG11: the Gram matrix
      of the preactivations and the readout obeys a closed ODE, random only through its Wishart initial value).
      Prediction variances grow as 1/gamma^2 (the initial output w.h/(gamma N)); the part from the initial
      kernels is also printed. Whitened data: P points (default 3, at most 12). Values are approximate: RK4
      with step halving and Richardson, with the size of the last correction as residual. Needs gamma > 0.
      --digits D (depth 1, identity, whitened, P <= 6, D <= 200): the same values to D significant digits by
      a Taylor-series integrator in multiprecision arithmetic (FG40-FG43), approximate, each with its residual
      (the difference from a second run of lower order and precision, at most 10^-D |value|, else an error).
      Data files (identity): the same closed flow with the input kernel C = X X^T/D (FG13-FG16); N x Var of
      every test prediction (training predictions without test data), at most 16 points in all.
      --activation relu|tanh|erf (whitened or data files): the influence function of one neuron (FG18-FG22),
      a linear Volterra equation solved on a sampled population of M sites (default 1024, even) in R
      replicas (default 16, seed S default 1): values are estimated (mean and standard error over the
      replicas; Euler steps dt = 0.1/(1 + gamma + lambda) and dt/2, Richardson, the difference as
      systematic error); the overlap's mean shift is not computed there (null).
      --depth L >= 2 (identity, whitened or data files; FG26-FG39): the deep linear network's RK4 flow written
      exactly as a function of Wishart Gram matrices by conditioning its random matrices, the delta method by
      dual numbers; N x Var of the predictions, of the NTK's diagonal mean and of every layer's overlap
      (whitened: H^l_11; data files: c_l = y^T H^l y/|y|^2 and every test prediction, the keys of depth 1)
      (layer_overlap_variance), approximate (RK4 steps dt <= 0.25/((1 + gamma) max(1, |C|) + lambda) and dt/2,
      Richardson, at most 100 steps); no mean shift and no kernel parts of the prediction variances.
      --levels 3 (depth L >= 2; default 2): a Richardson table over the grids dt, dt/2, dt/4 eliminating the orders 4
      and 5 (FG44; dt itself at most 50 steps), residual its last correction: about 8-9 digits instead of 5-6.
      Available now: --setting bayes (identity; whitened, L <= 100000, or data files) and --setting
      gradient-flow (depth 1: identity, relu, tanh, erf, whitened or data files; depth L <= 8: identity,
      whitened or data files).
    """
    static let subcommand = Subcommand(name: "fluctuations", summary: "O(1/N) finite-width fluctuations of kernels and predictions (Bayesian deep linear, certified; two-layer gradient flow: linear approximate, nonlinear estimated; whitened or data)",
                                       usage: usage, run: run)

    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["setting", "activation", "depth", "gamma", "beta", "lambda", "whitened-points",
                                                              "digits", "format", "train", "labels", "test", "test-labels", "time", "points",
                                                              "sites", "replicas", "seed", "levels"], switches: [])
        let setting = try options.required("setting")
        guard ["bayes", "gradient-flow"].contains(setting) else { throw UsageError("--setting must be bayes or gradient-flow (got '\(setting)')") }
        let activation = options.value("activation") ?? "identity"
        guard ["identity", "relu", "tanh", "erf"].contains(activation) else {
            throw UsageError("--activation must be identity, relu, tanh or erf (got '\(activation)')")
        }
        if setting == "gradient-flow" { return try GradientFlowFluctuationsOutput.run(options, activation: try Activation(name: activation)) }
        guard activation == "identity" else {
            throw UsageError("--activation \(activation) is not available for --setting bayes in this version (only identity)")
        }
        for name in ["sites", "replicas", "seed"] where options.value(name) != nil {
            throw UsageError("--\(name) belongs to --setting gradient-flow with a nonlinear activation")
        }
        for name in ["lambda", "time", "points", "levels"] where options.value(name) != nil {
            throw UsageError("--\(name) belongs to --setting gradient-flow")
        }
        if ["train", "labels", "test", "test-labels"].contains(where: { options.value($0) != nil }) {
            return try GeneralDataFluctuationsOutput.run(options)
        }
        let problem = try parseProblem(gamma: try options.required("gamma"), beta: try options.required("beta"),
                                       depth: try options.required("depth"))
        guard problem.depth <= WhitenedFluctuations.maximumDepth else {
            throw UsageError(WhitenedFluctuations.Failure.depthTooLarge(problem.depth, maximum: WhitenedFluctuations.maximumDepth).description)
        }
        let points = try options.integer("whitened-points", default: 4, in: 1...WhitenedFluctuations.maximumPoints)
        let digits = try options.integer("digits", default: 20, in: 1...1000)
        let format = try OutputFormat.parse(options.value("format"), allowed: [.table, .csv, .json], default: .table)
        let value: WhitenedFluctuations
        do {
            value = try WhitenedFluctuations.certified(problem: problem, points: points, digits: digits)
        } catch let failure as WhitenedFluctuations.Failure {
            throw SolverError.notConverged(failure.description)
        }
        switch format {
        case .json: return try json(value, digits: digits)
        case .csv: return try csv(value, digits: digits)
        case .table: return try table(value, digits: digits)
        }
    }

    static func json(_ f: WhitenedFluctuations, digits: Int) throws -> String {
        func array(_ xs: [Interval]) throws -> JSONValue {
            .object([("kind", .string("certified"))] + (try OutputContract.certifiedArray("values", xs, digits: digits)))
        }
        func single(_ x: Interval?) throws -> JSONValue {
            guard let x else { return .null }
            return .object([("kind", .string("certified"))] + (try OutputContract.certified("value", x, digits: digits)))
        }
        let depth = f.problem.depth
        return OutputContract.render(command: "fluctuations", [
            ("setting", .string("bayes")), ("activation", .string("identity")),
            ("gamma", OutputContract.exact(f.problem.gamma)), ("beta", OutputContract.exact(f.problem.beta)),
            ("depth", .integer(depth)), ("whitened_points", .integer(f.points)), ("digits", .integer(digits)),
            ("layers", .array((1...depth).map { .integer($0) })),
            ("overlap", try array(f.overlaps)),
            ("overlap_variance", try array(f.overlapVariance)),
            ("overlap_mean_shift", try array(f.overlapMeanShift)),
            ("prediction_variance", .object([
                ("label_direction", try single(f.labelPredictionVariance)),
                ("orthogonal_direction", try single(f.orthogonalPredictionVariance)),
                ("label_direction_from_kernels", try single(f.labelPredictorMeanVariance)),
                ("orthogonal_direction_from_kernels", try single(f.orthogonalPredictorMeanVariance)),
            ])),
            ("kernel_variance", try single(f.kernelDiagonalVariance)),
            ("ntk_variance", .null),
        ])
    }

    static func csv(_ f: WhitenedFluctuations, digits: Int) throws -> String {
        var lines = ["layer,overlap,overlap_variance,overlap_variance_lower,overlap_variance_upper,overlap_mean_shift,overlap_mean_shift_lower,overlap_mean_shift_upper"]
        for l in 0..<f.problem.depth {
            func cells(_ x: Interval) throws -> String {
                let bounds = x.decimalBounds(significantDigits: digits + 3)
                return "\(try OutputContract.certifiedText(x, digits: digits)),\(bounds.lower),\(bounds.upper)"
            }
            lines.append("\(l + 1),\(try OutputContract.certifiedText(f.overlaps[l], digits: digits)),\(try cells(f.overlapVariance[l])),\(try cells(f.overlapMeanShift[l]))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ f: WhitenedFluctuations, digits: Int) throws -> String {
        let p = f.problem
        func text(_ x: Interval?) throws -> String {
            guard let x else { return "unbounded (gamma = 0, finite beta)" }
            return try OutputContract.certifiedText(x, digits: digits)
        }
        var lines = ["Finite-width fluctuations, Bayesian deep linear network, whitened data (P = \(f.points), |y| = 1)",
                     "gamma = \(OutputContract.exactText(p.gamma)), beta = \(OutputContract.exactText(p.beta)), L = \(p.depth); certified, \(digits) digits (FB8-FB11)",
                     "layer  c_l  N Var(c_l)  N (E c_l - c_l)"]
        for l in 0..<p.depth {
            lines.append("\(l + 1)  \(try text(f.overlaps[l]))  \(try text(f.overlapVariance[l]))  \(try text(f.overlapMeanShift[l]))")
        }
        lines.append("N Var(y.f)   = \(try text(f.labelPredictionVariance))   (from the kernels: \(try text(f.labelPredictorMeanVariance)))")
        lines.append("N Var(e.f)   = \(try text(f.orthogonalPredictionVariance))   (from the kernels: \(try text(f.orthogonalPredictorMeanVariance))), e a unit vector orthogonal to y")
        lines.append("N Var(tr Phi^L / P) = \(try text(f.kernelDiagonalVariance))")
        return lines.joined(separator: "\n") + "\n"
    }
}
