import Foundation
import Numerics
import Simulation
import Studies
import Core

/// `verify bayes-kernels`: mean kernels Phi^1..Phi^L of one finite-width Langevin run or one min-max
/// run on the digits subset, as JSON (for the integrability diagnosis of notes/verify-bayes.md,
/// section 7: scripts/relu_digits_diagnose.py --kernels FILE).
enum BayesKernels {
    static func run(_ arguments: [String]) throws -> String {
        let options = try ParsedArguments(arguments, valued: ["method", "activation", "gamma", "beta", "depth", "width", "time", "samples",
                                                              "iterations", "seed", "data"], switches: [])
        let method = options.value("method") ?? "langevin"
        guard ["langevin", "minmax"].contains(method) else { throw UsageError("--method must be langevin or minmax") }
        let activation = try options.activation(default: .relu)
        func positive(_ name: String, default text: String) throws -> BigRational {
            let value: BigRational
            do { value = try BigRational(parsing: options.value(name) ?? text) } catch let error as RationalParseError { throw UsageError("--\(name): \(error)") }
            guard value.signum > 0, value.doubleApproximation.isFinite, value.doubleApproximation > 0 else { throw UsageError("--\(name) must be a positive number") }
            return value
        }
        let gammaExact = try positive("gamma", default: "1"), betaExact = try positive("beta", default: "10")
        let gamma = gammaExact.doubleApproximation, beta = betaExact.doubleApproximation
        let depth = try options.integer("depth", default: 2, in: 1...64)
        let width = try options.integer("width", default: 512, in: 16...100_000)
        let time = try options.integer("time", default: 240, in: 1...1_000_000)
        let samples = try options.integer("samples", default: 12_000, in: 2...10_000_000)
        let iterations = try options.integer("iterations", default: 700, in: 2...1_000_000)
        let seed = try options.integer("seed", default: 1, in: 0...Int.max)
        let directory: String
        do { directory = try DigitsFixture.locate(explicit: options.value("data")) } catch let e as DigitsFixture.Missing { throw UsageError(DigitsFixture.flagged(e)) }
        let data = try LabelledData.npyDirectory(directory, train: 8, test: 2)
        let problem = try BayesProblem.normalized(inputKernel: data.inputKernel, trainCount: data.trainCount, labels: data.labels,
                                                  gamma: gamma, ridge: 1 / beta, depth: depth, activation: activation)
        let series: [[[Double]]] = try LinearAlgebra.withThreadCount(1) {
        if method == "langevin" {
            var s = LangevinSettings()
            s.width = width; s.timeStep = 0.05; s.burnInTime = 60; s.measuredTime = Double(time); s.seed = UInt64(seed)
            let run = try LangevinNetwork(problem: problem, settings: s).run()
            if let failure = run.failure { throw CommandFailure(message: "Langevin: \(failure)", standardOutput: "") }
            return run.kernelSeries
        } else {
            var s = MinMaxSettings()
            s.samples = samples; s.burnIn = iterations / 2; s.measured = iterations - iterations / 2; s.seed = UInt64(seed)
            let run = MinMaxSolver(problem: problem, settings: s).run()
            if let failure = run.failure { throw CommandFailure(message: "min-max: \(failure)", standardOutput: "") }
            return run.kernelSeries
        }
        }
        let pa = problem.pointCount
        // Mean kernels of one run (no error bar: approximate), one approximate array per row.
        var fields: [(String, JSONValue)] = [("method", .string(method)), ("activation", .string(activation.rawValue)),
                                             ("gamma", OutputContract.exact(gammaExact)), ("beta", OutputContract.exact(betaExact)),
                                             ("depth", .integer(depth)), ("points", .integer(pa)), ("seed", .integer(seed))]
        var layers: [JSONValue] = []
        for l in 1...depth {
            let mean = series[l - 1].map { $0.reduce(0, +) / Double($0.count) }
            layers.append(.object([("layer", .integer(l)),
                                   ("phi", .array((0..<pa).map { i in OutputContract.approximateArray((0..<pa).map { mean[i * pa + $0] }) }))]))
            if l == depth { fields.append(("overlap", OutputContract.approximate(problem.overlap(mean)))) }
        }
        fields.append(("layers", .array(layers)))
        return OutputContract.render(command: "verify bayes-kernels", fields)
    }
}
