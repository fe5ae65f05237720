import Foundation
import Asymptotics
import Theory
import Numerics

/// Renderings of a `ScalingStudy` and of the exact series coefficients. Exact values are the
/// certified solver's digits; predictions and errors are printed only as far as their enclosures
/// decide them.
enum AsymptoticsReport {
    /// Correctly rounded decimal of an enclosure at up to `digits` digits (fewer if the enclosure
    /// does not decide that many, with at least 3; otherwise its decimal bounds).
    static func decimal(_ x: Interval, digits: Int) -> String {
        var d = digits
        while d >= 3 {
            if let text = x.certifiedDecimal(significantDigits: d) { return text.text }
            d -= 1
        }
        let bounds = x.decimalBounds(significantDigits: 3)
        return "[\(bounds.lower), \(bounds.upper)]"
    }

    /// A relative error: certified to `digits` digits, or "|e|<bound" when the enclosure contains 0.
    static func error(_ x: Interval, digits: Int = 6) -> String {
        if let sign = x.definiteSign, sign != 0 { return decimal(x, digits: digits) }
        let bound = max(x.lower.magnitude, x.upper.magnitude)
        return "|e|<" + bound.decimalString(significantDigits: 2, .up)
    }

    /// An exact parameter for the table: 7 significant digits when it is not a short integer
    /// (csv and json carry the exact rational).
    static func display(_ parameter: String) -> String {
        guard parameter.contains("/") || parameter.count > 12, let value = try? BigRational(parsing: parameter) else { return parameter }
        return decimal(Interval(value, precision: 64), digits: 7)
    }

    static func order(_ x: Double?) -> String {
        guard let x else { return "-" }
        return String(format: "%.5g", x)
    }

    static func parameterName(_ study: ScalingStudy) -> String {
        switch study.request.regime {
        case .lazy, .rich: return "gamma"
        case .deep, .joint: return "L"
        }
    }

    static func quantity(_ study: ScalingStudy) -> String {
        study.request.layer == study.request.depth || study.request.regime == .deep || study.request.regime == .joint
            ? "c_L" : "c_\(study.request.layer)"
    }

    static func header(_ study: ScalingStudy, beta: InverseTemperature) -> String {
        let r = study.request
        var fixed: String
        switch r.regime {
        case .lazy, .rich: fixed = "beta = \(beta), L = \(r.depth)"
        case .deep: fixed = "gamma = \(r.gamma), beta = \(beta)"
        case .joint: fixed = "kappa = L gamma^2 = \(study.kappa!), beta = \(beta); points L = \(r.depth) m^2, gamma = \(r.gamma)/m"
        }
        return "asymptotics, \(r.regime.rawValue) regime (small parameter \(r.regime.smallParameter)), \(fixed); "
            + "\(quantity(study)) exact to \(r.digits) digits (certified solver); errors = prediction/exact - 1 (parameters exact in csv/json)"
    }

    static func table(_ study: ScalingStudy, beta: InverseTemperature) -> String {
        var lines = [header(study, beta: beta), ""]
        let name = parameterName(study)
        var rows: [[String]] = [[name, "exact " + quantity(study)] + study.labels.map { "err " + $0 }]
        for point in study.points {
            rows.append([display(point.parameter), decimal(point.exact, digits: 22)] + point.relativeErrors.map { error($0, digits: 4) })
        }
        rows.append([])
        rows.append(["order measured", ""] + study.measuredOrders.map(order))
        rows.append(["order predicted", ""] + study.predictedOrders.map(order))
        let widths = (0..<rows[0].count).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max()! }
        for row in rows {
            lines.append(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        lines.append("")
        lines.append(footnote(study))
        return lines.joined(separator: "\n") + "\n"
    }

    static func footnote(_ study: ScalingStudy) -> String {
        switch study.request.regime {
        case .lazy: return "Order = slope of ln|err| against ln gamma; predicted 2(K'+1), K' the first index >= K with a nonzero next coefficient (Z15)."
        case .rich: return "Order = slope of ln|err| against ln(1/gamma); predicted 2(K'+1)/(L+1) (R16)."
        case .deep:
            return "Order = slope of ln|err| against ln(1/L); predicted = slope of the leading error term |delta_{n+1}| h^(n+1), "
                + "h = W(Lg)/(Lg) (D13), which tends to n+1 only logarithmically; for the logarithmic forms that of |T_{p+1}|/ln(Lg) (D19), -> 0."
        case .joint: return "Order = slope of ln|err| against ln(1/L); predicted n+1 (D22)."
        }
    }

    /// A snake_case key for a prediction label ("K=1" -> "k_1", "Lambert n=0" -> "lambert_n_0").
    static func key(_ label: String) -> String {
        var out = "", underscore = false
        for scalar in label.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII {
                if underscore && !out.isEmpty { out += "_" }
                out.unicodeScalars.append(scalar)
                underscore = false
            } else {
                underscore = true
            }
        }
        return out
    }

    /// The varying parameter's key: "gamma" (lazy, rich) or "depth" (deep, joint).
    static func parameterKey(_ study: ScalingStudy) -> String {
        parameterName(study) == "gamma" ? "gamma" : "depth"
    }

    /// An exact parameter cell: the exact decimal when it terminates, else p/q.
    static func parameterText(_ parameter: String) -> String {
        (try? BigRational(parsing: parameter)).map(OutputContract.exactText) ?? parameter
    }

    /// Correctly rounded decimal of a relative error when its enclosure decides its sign (up to
    /// `digits` digits), nil when the enclosure contains 0.
    static func decidedError(_ x: Interval, digits: Int = 6) -> String? {
        guard let sign = x.definiteSign, sign != 0 else { return nil }
        return strictDecimal(x, digits: digits)
    }

    /// The correctly rounded decimal at up to `digits` digits (as many as the enclosure decides,
    /// at least 1), nil when not even one digit is decided: csv and json never carry "[lo, hi]" text.
    static func strictDecimal(_ x: Interval, digits: Int) -> String? {
        var d = digits
        while d >= 1 {
            if let text = x.certifiedDecimal(significantDigits: d) { return text.text }
            d -= 1
        }
        return nil
    }

    /// Decimal bounds of a relative error rounded outward, 3 digits finer than `decidedError`.
    static func bounds(_ x: Interval) -> (lower: String, upper: String) { x.decimalBounds(significantDigits: 9) }

    /// One row per point; numeric cells only. An error whose enclosure contains 0 (or any value whose
    /// enclosure does not decide one digit) is an empty cell, with its bounds in the _lower/_upper
    /// columns. The orders are in the table and JSON.
    static func csv(_ study: ScalingStudy) -> String {
        let keys = study.labels.map(key)
        var header = [parameterKey(study), "exact", "exact_lower", "exact_upper"]
        for k in keys { header += ["prediction_\(k)", "prediction_\(k)_lower", "prediction_\(k)_upper", "error_\(k)", "error_\(k)_lower", "error_\(k)_upper"] }
        var lines = [header.joined(separator: ",")]
        let digits = study.request.digits
        for point in study.points {
            let exactBounds = point.exact.decimalBounds(significantDigits: digits + 3)
            var cells = [parameterText(point.parameter), strictDecimal(point.exact, digits: digits) ?? "", exactBounds.lower, exactBounds.upper]
            for (prediction, error) in zip(point.predictions, point.relativeErrors) {
                let p = prediction.decimalBounds(significantDigits: digits + 3), e = bounds(error)
                cells += [strictDecimal(prediction, digits: digits) ?? "", p.lower, p.upper, decidedError(error) ?? "", e.lower, e.upper]
            }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ study: ScalingStudy, beta: InverseTemperature) -> JSONValue {
        let r = study.request
        func order(_ x: Double?) -> JSONValue { x.map { OutputContract.approximate($0) } ?? .null }
        func parameter(_ text: String) -> JSONValue {
            parameterKey(study) == "depth" ? (Int(text).map(JSONValue.integer) ?? .string(parameterText(text))) : .string(parameterText(text))
        }
        var members: [(String, JSONValue)] = [
            ("regime", .string(r.regime.rawValue)),
            ("small_parameter", .string(r.regime.smallParameter)),
            ("gamma", OutputContract.exact(r.gamma)),
            ("beta", OutputContract.exact(beta)),
            ("depth", .integer(r.depth)),
            ("layer", .integer(r.layer)),
            ("quantity", .string(quantity(study))),
            ("order", .integer(r.order)),
            ("digits", .integer(r.digits)),
            ("decades", .integer(r.decades)),
            ("per_decade", .integer(r.pointsPerDecade)),
        ]
        if let kappa = study.kappa { members.append(("kappa", OutputContract.exact(kappa))) }
        members += [
            ("parameter", .string(parameterKey(study))),
            ("labels", .array(study.labels.map { .string($0) })),
            ("label_keys", .array(study.labels.map { .string(key($0)) })),
            ("points", .array(study.points.map { point in
                let exactBounds = point.exact.decimalBounds(significantDigits: r.digits + 3)
                let predictionBounds = point.predictions.map { $0.decimalBounds(significantDigits: r.digits + 3) }
                let errorBounds = point.relativeErrors.map(bounds)
                return .object([
                    (parameterKey(study), parameter(point.parameter)),
                    ("exact", strictDecimal(point.exact, digits: r.digits).map(JSONValue.string) ?? .null),
                    ("exact_lower", .string(exactBounds.lower)), ("exact_upper", .string(exactBounds.upper)),
                    ("predictions", .array(point.predictions.map { strictDecimal($0, digits: r.digits).map(JSONValue.string) ?? .null })),
                    ("predictions_lower", .array(predictionBounds.map { .string($0.lower) })),
                    ("predictions_upper", .array(predictionBounds.map { .string($0.upper) })),
                    ("errors", .array(point.relativeErrors.map { decidedError($0).map(JSONValue.string) ?? .null })),
                    ("errors_lower", .array(errorBounds.map { .string($0.lower) })),
                    ("errors_upper", .array(errorBounds.map { .string($0.upper) })),
                ])
            })),
            ("order_measured", .array(study.measuredOrders.map(order))),
            ("order_predicted", .array(study.predictedOrders.map(order))),
        ]
        return OutputContract.document(command: "asymptotics", members)
    }

    /// The exact rational coefficients: lazy (Z6)–(Z7), rich (R9)–(R10).
    static func coefficients(regime: AsymptoticRegime, problem: WhitenedProblem, layer: Int, order: Int, format: OutputFormat) -> String {
        let depth = problem.depth
        var columns: [(String, [BigRational], String)] = []   // key, coefficients, table label
        var title: String
        if regime == .lazy {
            let series = LazySeries(depth: depth, ridge: problem.ridge, order: order)
            title = "lazy series in g = gamma^2 (notes/asymptotics-lazy.md Z6, Z7): u = -chi = sum a_k g^k, c_l = 1 + sum e_k g^k"
            columns.append(("a_k", series.negatedChi, "a_k (u = -chi)"))
            columns.append(("c_l_\(depth)", series.layer(depth), "c_L"))
            if layer != depth { columns.append(("c_l_\(layer)", series.layer(layer), "c_\(layer)")) }
        } else {
            let series = RichSeries(depth: depth, ridge: problem.ridge, order: order)
            title = "rich series (notes/asymptotics-rich.md R9, R10): c_l = g^(l/(L+1)) sum d_n eps^n, eps = gamma^(-2/(L+1))"
            columns.append(("c_l_\(depth)", series.layer(depth), "c_L"))
            if layer != depth { columns.append(("c_l_\(layer)", series.layer(layer), "c_\(layer)")) }
        }
        let firstIndex = regime == .lazy ? 1 : 0
        let indices = Array(firstIndex...order)
        switch format {
        case .json:
            return OutputContract.render(command: "asymptotics --coefficients", [
                ("regime", .string(regime.rawValue)), ("beta", OutputContract.exact(problem.beta)), ("depth", .integer(depth)),
                ("layer", .integer(layer)), ("order", .integer(order)),
                ("index", .array(indices.map { .integer($0) })),
                ("coefficients", .object(columns.map { column in (column.0, .array(indices.map { i in OutputContract.exact(column.1[i]) })) })),
            ])
        case .csv:
            var lines = [(["k"] + columns.map(\.0)).joined(separator: ",")]
            for i in indices { lines.append(([String(i)] + columns.map { OutputContract.exactText($0.1[i]) }).joined(separator: ",")) }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var lines = [title + "; beta = \(problem.beta), L = \(depth)"]
            for i in indices {
                lines.append("k = \(i)")
                for column in columns { lines.append("  \(column.2): \(column.1[i])") }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
