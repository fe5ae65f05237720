import Foundation
import Asymptotics
import Theory
import Studies
import Numerics

/// `adaptive-kernels plot scaling|depth --out FILE.svg [--beta B] [--depth L]`: the paper's
/// Figure 2(b) (c_L − 1 against gamma with the lazy, rich and deep asymptotes) and Figure 2(a)
/// (c_l against l for several gamma), drawn from certified exact values.
enum PlotCommand {
    static let subcommand = Subcommand(name: "plot", summary: "SVG figures: scaling (Fig. 2b, c_L - 1 vs gamma with asymptotes), depth (Fig. 2a, c_l vs l), dynamics (loss or alignment vs time), features, densities, alignment (Fig. 4)",
                                       usage: usage, run: run)

    static let usage = """
    usage: adaptive-kernels plot scaling --out FILE.svg [--beta B]
           adaptive-kernels plot depth --out FILE.svg [--beta B] [--depth L]
           adaptive-kernels plot ndk --out FILE.svg <the options of 'ndk' but --format/--out-dir>
           adaptive-kernels plot features --out FILE.svg --activation A --gamma G --lambda LAM --train X.npy --labels y.npy
                                          [--population M] [--seeds K] [--seed S] [--time T]
           adaptive-kernels plot densities --out FILE.svg --activation A --gamma G --lambda LAM --train X.npy --labels y.npy
                                           [--population M] [--width N] [--seeds K] [--seed S] [--time T]
      scaling: c_L - 1 against gamma (log-log) for L = 1, 2, 4, 8, 16 (default beta = 100), exact values from the
               certified solver (solid), with the lazy L gamma^2/(1+b)^2 (dashed), rich gamma^(2L/(L+1)) (dotted) and
               deep L gamma^2/W(L gamma^2) - 1 (dash-dot) asymptotes (rich and deep drawn where >= 2), as in the paper's Figure 2(b).
      depth:   c_l against layer l = 0..L (default L = 16, beta = 100) for gamma = 1/4, 1/2, 1, 2, 4, 8 (Figure 2(a)).
      ndk:     the NDK mean test predictions (up to 5 points) and the test loss against time (log axis), each
               with its NTK (dashed) and NNGP (dotted) plateau and the time scales 1/mu_min and sigma^2/T.
      features: the training points in the top-two kernel principal coordinates of the lazy NNGP (left) and of
               the adapted two-layer kernel Phi (right; aNTK by the population DMFT, as 'antk --activation'),
               coloured by the sign of y, with each kernel's class separation (notes/antk-nonlinear-data.md
               (AN7); the paper's Figure 3(c)).
      densities: histograms of the normalised first-layer preactivations h/sqrt(C_xx) over neurons and training
               points at the aNTK fixed point (population DMFT, line) and in trained width-N networks (markers,
               gradient flow with the same weight decay), against the lazy standard normal (dashed), with each
               excess kurtosis (notes/antk-nonlinear-data.md (AN8); the paper's Figure 3(b), two-layer).
    """ + "\n" + PlotAlignmentFigure.usage + "\n" + PlotDynamicsFigure.usage + "\n" + """
      The format follows the extension of --out: .svg (the only format written; any other extension
      is refused with exit status 2). --out - writes the SVG to stdout. The file is written whole
      (temporary file, then rename) or not at all.
    """

    static func run(_ arguments: [String]) throws -> String {
        guard let kind = arguments.first, ["scaling", "depth", "dynamics", "ndk", "features", "densities", "alignment"].contains(kind) else {
            throw UsageError("plot needs a figure: 'plot scaling --out FILE.svg', 'plot depth --out FILE.svg', 'plot dynamics --out FILE.svg', 'plot ndk --out FILE.svg <ndk options>', 'plot features --out FILE.svg <options>', 'plot densities --out FILE.svg <options>' or 'plot alignment --out FILE.svg <options>'")
        }
        if kind == "alignment" {
            let options = try ParsedArguments(Array(arguments.dropFirst()), valued: PlotAlignmentFigure.valued, switches: PlotAlignmentFigure.switches)
            let out = try options.required("out")
            if out != "-" {
                let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
                guard ext == "svg" else { throw UsageError("plot writes SVG only: --out must end in .svg or be - (got '\(out)')") }
            }
            let (svg, numbers) = try PlotAlignmentFigure.render(options)
            if out == "-" {
                guard numbers == nil else { throw UsageError("--out - writes the SVG to stdout: it cannot be combined with --format csv|json") }
                return svg
            }
            try DataFiles.writeFileAtomically(Data(svg.utf8), to: out)
            return numbers ?? "wrote \(out)\n"
        }
        if kind == "ndk" {
            let options = try ParsedArguments(Array(arguments.dropFirst()), valued: NDKCommand.valued.union(["out"]), switches: [])
            let out = try options.required("out")
            if out != "-" {
                let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
                guard ext == "svg" else { throw UsageError("plot writes SVG only: --out must end in .svg or be - (got '\(out)')") }
            }
            let svg = NDKFigure.plot(try NDKCommand.study(options).0).render()
            if out == "-" { return svg }
            try DataFiles.writeFileAtomically(Data(svg.utf8), to: out)
            return "wrote \(out)\n"
        }
        let options = try ParsedArguments(Array(arguments.dropFirst()),
                                          valued: kind == "scaling" ? ["out", "beta"] : kind == "depth" ? ["out", "beta", "depth"]
                                            : kind == "features" ? PlotFeaturesFigure.valued : kind == "densities" ? PlotDensitiesFigure.valued
                                            : PlotDynamicsFigure.valued,
                                          switches: [])
        let out = try options.required("out")
        if out != "-" {
            let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
            guard ext == "svg" else {
                throw UsageError("plot writes SVG only: --out must end in .svg or be - (got '\(out)'\(ext.isEmpty ? "" : ", format .\(ext) not supported"))")
            }
        }
        let beta = options.value("beta") ?? "100"
        let svg: String
        if kind == "scaling" {
            svg = try scalingFigure(beta: beta).render()
        } else if kind == "features" {
            svg = try PlotFeaturesFigure.render(options)
        } else if kind == "densities" {
            svg = try PlotDensitiesFigure.render(options)
        } else if kind == "dynamics" {
            svg = try PlotDynamicsFigure.figure(options).render()
        } else {
            svg = try depthFigure(beta: beta, depth: options.value("depth") ?? "16").render()
        }
        if out == "-" { return svg }
        try DataFiles.writeFileAtomically(Data(svg.utf8), to: out)
        return "wrote \(out)\n"
    }

    /// Draws Fig. 2(b) from `WhitenedFigureStudy.scaling`: exact curves solid, the leading forms
    /// dashed (lazy), dotted (rich) and dash-dotted (deep).
    static func scalingFigure(beta betaText: String) throws -> SVGPlot {
        let beta = try parseProblem(gamma: "1", beta: betaText, depth: "1").beta
        let figure = try WhitenedFigureStudy.scaling(beta: beta)
        var plot = SVGPlot(title: "c_L - 1 against gamma, beta = \(betaText) (cf. Fig. 2(b)); solid: exact (certified)",
                           x: .init(label: "gamma", logarithmic: true, range: 0.01...1000),
                           y: .init(label: "c_L - 1", logarithmic: true, range: 1e-4...1e6))
        let depths = figure.curves.compactMap(\.depth).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        for curve in figure.curves {
            let color = SVGPlot.palette[depths.firstIndex(of: curve.depth ?? 0) ?? 0]
            let points = curve.points.map { (x: $0.x, y: $0.y) }
            switch curve.kind {
            case "exact": plot.series.append(.init(label: "L = \(curve.depth ?? 0)", points: points, color: color))
            case "lazy": plot.series.append(.init(label: nil, points: points, color: color, stroke: .dashed))
            case "rich": plot.series.append(.init(label: nil, points: points, color: color, stroke: .dotted))
            default: plot.series.append(.init(label: nil, points: points, color: color, stroke: .dashDot))
            }
        }
        plot.legendCorner = .bottomRight
        plot.legend = [
            .init(label: "lazy: L gamma^2/(1+b)^2", color: "#444", stroke: .dashed),
            .init(label: "rich: gamma^(2L/(L+1))", color: "#444", stroke: .dotted),
            .init(label: "deep: L gamma^2/W(L gamma^2) - 1", color: "#444", stroke: .dashDot),
        ]
        return plot
    }

    /// Draws Fig. 2(a) from `WhitenedFigureStudy.depth`.
    static func depthFigure(beta betaText: String, depth depthText: String) throws -> SVGPlot {
        let probe = try parseProblem(gamma: "1", beta: betaText, depth: depthText)
        guard probe.depth <= 1000 else { throw UsageError("plot depth draws every layer: --depth must be at most 1000") }
        let figure = try WhitenedFigureStudy.depth(beta: probe.beta, depth: probe.depth)
        var highest = 1.0
        var series: [SVGPlot.Series] = []
        for (index, curve) in figure.curves.enumerated() {
            highest = max(highest, curve.points.last?.y ?? 1)
            series.append(.init(label: "gamma = \(curve.gamma ?? "")", points: curve.points.map { (x: $0.x, y: $0.y) },
                                color: SVGPlot.palette[index], markers: probe.depth <= 40))
        }
        let top = pow(10, ceil(log10(highest) + 0.05))
        var plot = SVGPlot(title: "layer overlaps c_l, L = \(probe.depth), beta = \(betaText) (cf. Fig. 2(a)); exact (certified)",
                           x: .init(label: "layer l", logarithmic: false, range: 0...Double(probe.depth)),
                           y: .init(label: "c_l", logarithmic: true, range: 1...top))
        plot.series = series
        return plot
    }
}
