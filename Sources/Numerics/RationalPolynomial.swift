/// A dense univariate polynomial with exact rational coefficients, lowest degree first.
public struct RationalPolynomial: Sendable, Equatable {
    /// coefficients[k] multiplies x^k; no trailing zeros (the zero polynomial has none).
    public let coefficients: [BigRational]

    public init(_ coefficients: [BigRational]) {
        var trimmed = coefficients
        while let last = trimmed.last, last.isZero { trimmed.removeLast() }
        self.coefficients = trimmed
    }

    public init(constant: BigRational) { self.init([constant]) }

    /// The monomial x.
    public static let x = RationalPolynomial([.zero, .one])

    /// Degree (−1 for the zero polynomial).
    public var degree: Int { coefficients.count - 1 }
    public var isZero: Bool { coefficients.isEmpty }
    public var leadingCoefficient: BigRational { coefficients.last ?? .zero }

    public static func + (a: RationalPolynomial, b: RationalPolynomial) -> RationalPolynomial {
        let n = max(a.coefficients.count, b.coefficients.count)
        return RationalPolynomial((0..<n).map { k in
            (k < a.coefficients.count ? a.coefficients[k] : .zero) + (k < b.coefficients.count ? b.coefficients[k] : .zero)
        })
    }

    public static prefix func - (a: RationalPolynomial) -> RationalPolynomial { RationalPolynomial(a.coefficients.map { -$0 }) }
    public static func - (a: RationalPolynomial, b: RationalPolynomial) -> RationalPolynomial { a + (-b) }

    public static func * (a: RationalPolynomial, b: RationalPolynomial) -> RationalPolynomial {
        if a.isZero || b.isZero { return RationalPolynomial([]) }
        var product = [BigRational](repeating: .zero, count: a.coefficients.count + b.coefficients.count - 1)
        for (i, x) in a.coefficients.enumerated() where !x.isZero {
            for (j, y) in b.coefficients.enumerated() { product[i + j] = product[i + j] + x * y }
        }
        return RationalPolynomial(product)
    }

    public static func * (a: BigRational, p: RationalPolynomial) -> RationalPolynomial {
        RationalPolynomial(p.coefficients.map { a * $0 })
    }

    public func power(_ n: Int) -> RationalPolynomial {
        precondition(n >= 0)
        var result = RationalPolynomial(constant: .one), base = self, e = n
        while e > 0 {
            if e & 1 == 1 { result = result * base }
            e >>= 1
            if e > 0 { base = base * base }
        }
        return result
    }

    public var derivative: RationalPolynomial {
        RationalPolynomial(coefficients.enumerated().dropFirst().map { BigRational($0.offset) * $0.element })
    }

    /// Exact value at a rational point (Horner).
    public func evaluate(at x: BigRational) -> BigRational {
        coefficients.reversed().reduce(BigRational.zero) { $0 * x + $1 }
    }

    /// Remainder of division by a nonzero divisor.
    public func remainder(dividingBy divisor: RationalPolynomial) -> RationalPolynomial {
        precondition(!divisor.isZero)
        var rest = coefficients
        let d = divisor.degree
        let lead = divisor.leadingCoefficient
        while rest.count - 1 >= d, let top = rest.last {
            let shift = rest.count - 1 - d
            let factor = top / lead
            for (k, c) in divisor.coefficients.enumerated() { rest[k + shift] = rest[k + shift] - factor * c }
            rest.removeLast()
            while let last = rest.last, last.isZero { rest.removeLast() }
        }
        return RationalPolynomial(rest)
    }

    /// p / x^m for the largest m with x^m dividing p (removes the roots at 0).
    public var removingRootsAtZero: RationalPolynomial {
        guard let first = coefficients.firstIndex(where: { !$0.isZero }) else { return self }
        return RationalPolynomial(Array(coefficients[first...]))
    }

    /// The Sturm sequence p, p', −rem(p, p'), ...
    public var sturmSequence: [RationalPolynomial] {
        var sequence = [self, derivative]
        while let last = sequence.last, !last.isZero, last.degree > 0 {
            let next = -sequence[sequence.count - 2].remainder(dividingBy: last)
            if next.isZero { break }
            sequence.append(next)
        }
        return sequence.filter { !$0.isZero }
    }

    /// Number of distinct real roots in (a, +inf) for p(a) ≠ 0, by Sturm's theorem.
    public func distinctRootCount(above a: BigRational) -> Int {
        precondition(!evaluate(at: a).isZero, "Sturm count needs p(a) != 0")
        let sequence = sturmSequence
        let atA = sequence.map { $0.evaluate(at: a).signum }
        let atInfinity = sequence.map { $0.leadingCoefficient.signum }
        return RationalPolynomial.signChanges(atA) - RationalPolynomial.signChanges(atInfinity)
    }

    static func signChanges(_ signs: [Int]) -> Int {
        let nonzero = signs.filter { $0 != 0 }
        return zip(nonzero, nonzero.dropFirst()).filter { $0 != $1 }.count
    }
}
