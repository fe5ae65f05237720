import Foundation

/// A small self-contained SVG line plot: linear or logarithmic axes with ticks and labels, several
/// series (solid, dashed, dotted or dash-dotted lines, optional markers), a legend. No dependencies.
struct SVGPlot {
    /// `none`: markers only (a scatter plot).
    enum Stroke: String { case solid, dashed, dotted, dashDot, none }

    struct Series {
        var label: String?
        var points: [(x: Double, y: Double)]
        var color: String
        var stroke: Stroke = .solid
        var markers = false
    }

    /// A legend line that need not belong to one series (e.g. "dashed = lazy asymptote").
    struct LegendEntry {
        var label: String
        var color: String
        var stroke: Stroke
        var markers = false
    }

    struct Axis {
        var label: String
        var logarithmic: Bool
        var range: ClosedRange<Double>
    }

    var title: String
    var x: Axis
    var y: Axis
    var series: [Series] = []
    var legend: [LegendEntry] = []
    enum LegendCorner { case topLeft, bottomRight }
    var legendCorner = LegendCorner.topLeft
    var width = 760.0
    var height = 540.0
    let margin = (left: 84.0, right: 24.0, top: 44.0, bottom: 64.0)

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]

    var plotWidth: Double { width - margin.left - margin.right }
    var plotHeight: Double { height - margin.top - margin.bottom }

    func position(_ value: Double, on axis: Axis) -> Double? {
        guard value.isFinite, !axis.logarithmic || value > 0 else { return nil }
        let v = axis.logarithmic ? log10(value) : value
        let lo = axis.logarithmic ? log10(axis.range.lowerBound) : axis.range.lowerBound
        let hi = axis.logarithmic ? log10(axis.range.upperBound) : axis.range.upperBound
        return (v - lo) / (hi - lo)
    }

    func px(_ value: Double) -> Double? { position(value, on: x).map { margin.left + $0 * plotWidth } }
    func py(_ value: Double) -> Double? { position(value, on: y).map { margin.top + (1 - $0) * plotHeight } }

    /// Tick values and their labels: powers of ten on a log axis, 1-2-5 steps on a linear one.
    static func ticks(_ axis: Axis) -> [(value: Double, label: String)] {
        if axis.logarithmic {
            let lo = Int(floor(log10(axis.range.lowerBound) + 1e-9)), hi = Int(ceil(log10(axis.range.upperBound) - 1e-9))
            let step = max(1, (hi - lo + 9) / 10)
            return stride(from: lo, through: hi, by: step).compactMap { k in
                let v = pow(10, Double(k))
                return axis.range.contains(v * (1 + 1e-12)) || axis.range.contains(v * (1 - 1e-12)) ? (v, "10^\(k)") : nil
            }
        }
        let span = axis.range.upperBound - axis.range.lowerBound
        let raw = span / 8
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [(Double, String)] = []
        var v = ceil(axis.range.lowerBound / step) * step
        while v <= axis.range.upperBound + step * 1e-9 {
            out.append((v, String(format: "%g", abs(v) < step * 1e-9 ? 0 : v)))
            v += step
        }
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// "10^k" is typeset as a superscript; other text is escaped as is.
    static func tickText(_ label: String) -> String {
        guard label.hasPrefix("10^") else { return escape(label) }
        return "10<tspan dy=\"-7\" font-size=\"10\">\(escape(String(label.dropFirst(3))))</tspan>"
    }

    static func dashArray(_ stroke: Stroke) -> String {
        switch stroke {
        case .solid: return ""
        case .dashed: return " stroke-dasharray=\"8,5\""
        case .dotted: return " stroke-dasharray=\"2,4\""
        case .dashDot: return " stroke-dasharray=\"9,4,2,4\""
        case .none: return ""
        }
    }

    static func f(_ v: Double) -> String { String(format: "%.2f", v) }

    func render() -> String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
        <defs><clipPath id="plot-area"><rect x="\(SVGPlot.f(margin.left))" y="\(SVGPlot.f(margin.top))" width="\(SVGPlot.f(plotWidth))" height="\(SVGPlot.f(plotHeight))"/></clipPath></defs>
        <text x="\(SVGPlot.f(width / 2))" y="26" text-anchor="middle" font-size="15">\(SVGPlot.escape(title))</text>

        """
        // Grid and ticks.
        for (value, label) in SVGPlot.ticks(x) {
            guard let p = px(value) else { continue }
            out += "<line x1=\"\(SVGPlot.f(p))\" y1=\"\(SVGPlot.f(margin.top))\" x2=\"\(SVGPlot.f(p))\" y2=\"\(SVGPlot.f(margin.top + plotHeight))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text class=\"tick\" x=\"\(SVGPlot.f(p))\" y=\"\(SVGPlot.f(margin.top + plotHeight + 20))\" text-anchor=\"middle\">\(SVGPlot.tickText(label))</text>\n"
        }
        for (value, label) in SVGPlot.ticks(y) {
            guard let p = py(value) else { continue }
            out += "<line x1=\"\(SVGPlot.f(margin.left))\" y1=\"\(SVGPlot.f(p))\" x2=\"\(SVGPlot.f(margin.left + plotWidth))\" y2=\"\(SVGPlot.f(p))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text class=\"tick\" x=\"\(SVGPlot.f(margin.left - 8))\" y=\"\(SVGPlot.f(p + 4))\" text-anchor=\"end\">\(SVGPlot.tickText(label))</text>\n"
        }
        out += "<rect x=\"\(SVGPlot.f(margin.left))\" y=\"\(SVGPlot.f(margin.top))\" width=\"\(SVGPlot.f(plotWidth))\" height=\"\(SVGPlot.f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(SVGPlot.f(margin.left + plotWidth / 2))\" y=\"\(SVGPlot.f(height - 18))\" text-anchor=\"middle\">\(SVGPlot.escape(x.label))</text>\n"
        out += "<text x=\"20\" y=\"\(SVGPlot.f(margin.top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 20 \(SVGPlot.f(margin.top + plotHeight / 2)))\">\(SVGPlot.escape(y.label))</text>\n"
        // Data, clipped to the plot area.
        out += "<g clip-path=\"url(#plot-area)\">\n"
        for s in series {
            let coordinates = s.points.compactMap { point -> (Double, Double)? in
                guard let a = px(point.x), let b = py(point.y) else { return nil }
                return (a, b)
            }
            guard !coordinates.isEmpty else { continue }
            if coordinates.count > 1 && s.stroke != .none {
                let path = coordinates.map { "\(SVGPlot.f($0.0)),\(SVGPlot.f($0.1))" }.joined(separator: " ")
                out += "<polyline class=\"series\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(s.stroke == .solid ? 2 : 1.6)\"\(SVGPlot.dashArray(s.stroke)) points=\"\(path)\"/>\n"
            }
            if s.markers {
                for c in coordinates { out += "<circle cx=\"\(SVGPlot.f(c.0))\" cy=\"\(SVGPlot.f(c.1))\" r=\"3\" fill=\"\(s.color)\"/>\n" }
            }
        }
        out += "</g>\n"
        // Legend (inside the plot area, in the chosen corner).
        let entries = series.compactMap { s in s.label.map { LegendEntry(label: $0, color: s.color, stroke: s.stroke, markers: s.markers) } } + legend
        if !entries.isEmpty {
            let longest = Double(entries.map(\.label.count).max()!)
            let boxWidth = 50 + longest * 7.4, boxHeight = Double(entries.count) * 18 + 10
            let left = legendCorner == .topLeft ? margin.left + 10 : margin.left + plotWidth - boxWidth - 10
            let top = legendCorner == .topLeft ? margin.top + 10 : margin.top + plotHeight - boxHeight - 10
            out += "<g class=\"legend\">\n<rect x=\"\(SVGPlot.f(left))\" y=\"\(SVGPlot.f(top))\" width=\"\(SVGPlot.f(boxWidth))\" height=\"\(SVGPlot.f(boxHeight))\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999\"/>\n"
            for (i, entry) in entries.enumerated() {
                let yy = top + 14 + Double(i) * 18
                if entry.stroke != .none {
                    out += "<line x1=\"\(SVGPlot.f(left + 8))\" y1=\"\(SVGPlot.f(yy))\" x2=\"\(SVGPlot.f(left + 36))\" y2=\"\(SVGPlot.f(yy))\" stroke=\"\(entry.color)\" stroke-width=\"2\"\(SVGPlot.dashArray(entry.stroke))/>\n"
                }
                if entry.markers { out += "<circle cx=\"\(SVGPlot.f(left + 22))\" cy=\"\(SVGPlot.f(yy))\" r=\"3\" fill=\"\(entry.color)\"/>\n" }
                out += "<text x=\"\(SVGPlot.f(left + 42))\" y=\"\(SVGPlot.f(yy + 4))\">\(SVGPlot.escape(entry.label))</text>\n"
            }
            out += "</g>\n"
        }
        out += "</svg>\n"
        return out
    }
}
