import XCTest
@testable import Numerics

/// The spectrum seen from one vector (notes/general-kernel-reduction.md (G4''')): a reflector
/// R y = ±|y| e_1, dsytrd ('L', Q e_1 = e_1), eigenvalues and first components of T's
/// eigenvectors by the own implicit QL iteration, resolvents by tridiagonal solves; against
/// LAPACK's dsterf (eigenvalues), dstemr's eigenvectors (weights) and the dstemr route of eq. G4''
/// (`TridiagonalEigenbasis`, resolvents).
final class FirstComponentSpectrumTests: XCTestCase {
    /// Seeded uniform numbers in [-0.5, 0.5).
    struct Generator {
        var state: UInt64
        mutating func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) - 0.5 }
    }

    /// C = X X^T / r for a seeded n x r matrix X (SPD when r >= n), and labels y.
    func problem(_ n: Int, rank r: Int, seed: UInt64) -> (c: [Double], y: [Double]) {
        var g = Generator(state: seed)
        let x = (0..<(n * r)).map { _ in 2 * g.next() }
        let c = LinearAlgebra.multiplyTransposed(x, x, m: n, k: r, n: n).map { $0 / Double(r) }
        return (c, (0..<n).map { _ in 3 * g.next() + 0.2 })
    }

    /// Sums of squared coordinates over clusters of eigenvalues closer than `gap` (the eigenvectors
    /// of a multiple eigenvalue are not unique; the projector onto them is).
    func clusterWeights(_ values: [Double], _ coordinates: [Double], gap: Double) -> [Double] {
        var out: [Double] = [], k = 0
        while k < values.count {
            var end = k + 1
            while end < values.count && values[end] - values[end - 1] <= gap { end += 1 }
            out.append((k..<end).reduce(0.0) { $0 + coordinates[$1] * coordinates[$1] })
            k = end
        }
        return out
    }

    func testDsytrdLowerFixesTheFirstUnitVector() throws {
        // LAPACK dsytrd, UPLO = 'L': Q = H(1) ... H(n-1), H(i) = I - tau v v^T with v(1:i) = 0,
        // so Q^T e_1 = e_1 exactly (dormtr applies the reflectors to rows 2:n only).
        for (n, seed) in [(2, 1), (7, 2), (50, 3)] as [(Int, UInt64)] {
            let (c, y) = problem(n, rank: n + 3, seed: seed)
            let spectrum = try FirstComponentSpectrum(symmetric: c, n: n, vector: y)
            var e1 = [Double](repeating: 0, count: n); e1[0] = 1
            XCTAssertEqual(spectrum.reducedFirstUnitVector(), e1)
        }
    }

    func compare(_ c: [Double], _ y: [Double], n: Int, reduction: FirstComponentSpectrum.Reduction = .oneStage,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let spectrum = try FirstComponentSpectrum(symmetric: c, n: n, vector: y, reduction: reduction)
        XCTAssertEqual(spectrum.reduction, reduction, file: file, line: line)
        XCTAssertLessThanOrEqual(spectrum.sweeps, TridiagonalQL.sweepLimit(n), file: file, line: line)
        // Eigenvalues against dsterf on the same T: 1e-12 of the spectral norm, for the QL/QR
        // iteration alone and for the spectrum (whose smallest ones come from dstemr).
        let reference = try XCTUnwrap(spectrum.dsterfEigenvalues())
        let norm = max(abs(reference.first!), abs(reference.last!))
        let own = try TridiagonalQL.eigen(diagonal: spectrum.diagonal, offDiagonal: spectrum.offDiagonal)
        for (values, name) in [(spectrum.eigenvalues, "spectrum"), (own.eigenvalues, "QL/QR")] {
            for (a, b) in zip(values, reference) {
                XCTAssertEqual(a, b, accuracy: 1e-12 * norm, "eigenvalue (\(name))", file: file, line: line)
            }
        }
        XCTAssertEqual(spectrum.smallCount, spectrum.eigenvalues.filter { $0 < FirstComponentSpectrum.smallEigenvalues * norm }.count,
                       "eigenvalues taken from dstemr (no close gap at the threshold here)", file: file, line: line)
        let yNorm2 = y.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(spectrum.coordinates.reduce(0) { $0 + $1 * $1 }, yNorm2, accuracy: 1e-13 * yNorm2, file: file, line: line)
        // Weights against dstemr's eigenvectors of the same T (y_k = u_k . y with U = R Q Z) and
        // against the dstemr route on C itself (eq. G4''), summed over clusters.
        // (The two-stage reduction keeps no Q2, hence no eigenbasis of its T: eq. G23.)
        let sameT = spectrum.eigenbasis()
        XCTAssertEqual(sameT == nil, reduction != .oneStage, file: file, line: line)
        let independent = try XCTUnwrap(TridiagonalEigenbasis(symmetric: c, n: n))
        let gap = 1e-6 * norm
        let ours = clusterWeights(spectrum.eigenvalues, spectrum.coordinates, gap: gap)
        for other in (sameT.map { [clusterWeights($0.eigenvalues, $0.coordinates(of: y), gap: gap)] } ?? [])
                + [clusterWeights(independent.eigenvalues, independent.coordinates(of: y), gap: gap)] {
            XCTAssertEqual(ours.count, other.count, "clusters", file: file, line: line)
            for (a, b) in zip(ours, other) { XCTAssertEqual(a, b, accuracy: 1e-10 * yNorm2, "weight", file: file, line: line) }
        }
        // The spectral sum q(t) = sum lambda_k w_k/(t lambda_k + b)^2 (eq. G5) against the same
        // number from the solves, v . C v = y^T C (tC + b)^{-2} y: the secular equation and the
        // vectors v, C v must describe the same C (else the label residual of eq. G4 grows).
        for (t, b) in [(1.0, 0.1), (3.6e4, 0.1)] {
            let spectral = zip(spectrum.eigenvalues, spectrum.coordinates).reduce(0.0) { $0 + $1.0 * $1.1 * $1.1 / ((t * $1.0 + b) * (t * $1.0 + b)) }
            let v = try XCTUnwrap(spectrum.resolvent(scale: t, shift: b)), cv = try XCTUnwrap(spectrum.resolvent(scale: t, shift: b, timesMatrix: true))
            let solved = zip(v, cv).reduce(0.0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(spectral, solved, accuracy: 5e-11 * solved, "q(t) at t = \(t)", file: file, line: line)
        }
        // Resolvents (eq. G4): (tC + b)^{-1} y and C (tC + b)^{-1} y against the dstemr route.
        // Both are backward stable (|delta C| <= 8 n eps |C|): they differ by at most
        // max|f'| |delta C| |y| plus the rounding of the sums.
        let eps = Double.ulpOfOne, backward = 8 * Double(n) * eps * norm, yNorm = yNorm2.squareRoot()
        let coordinates = independent.coordinates(of: y)
        for (t, b) in [(1.0, 0.1), (10.0, 0.5), (0.5, 2.0), (1e4, 0.1)] {
            for (timesMatrix, lipschitz) in [(false, t / (b * b)), (true, 1 / b)] {
                let f: (Double) -> Double = timesMatrix ? { $0 / (t * $0 + b) } : { 1 / (t * $0 + b) }
                let reference = independent.combination((0..<n).map { f(independent.eigenvalues[$0]) * coordinates[$0] })
                let result = try XCTUnwrap(spectrum.resolvent(scale: t, shift: b, timesMatrix: timesMatrix))
                let size = reference.map(abs).max()!
                for (a, r) in zip(reference, result) {
                    XCTAssertEqual(a, r, accuracy: lipschitz * backward * yNorm + 8 * Double(n) * eps * max(size, yNorm / b),
                                   "resolvent t = \(t), b = \(b), times C: \(timesMatrix)", file: file, line: line)
                }
            }
        }
    }

    func testRandomSPDMatricesAgreeWithTheDstemrRoute() throws {
        for (n, seed) in [(50, 11), (300, 12)] as [(Int, UInt64)] {
            let (c, y) = problem(n, rank: n + n / 2, seed: seed)
            try compare(c, y, n: n)
        }
        // Square X (D = P: small eigenvalues near 0) and a label vector with y_1 = 0.
        var (c, y) = problem(60, rank: 60, seed: 13)
        y[0] = 0
        try compare(c, y, n: 60)
        // P = D = 300: eigenvalues down to ~1e-6 |C|, T graded down its diagonal (the QR direction).
        let square = problem(300, rank: 300, seed: 14)
        try compare(square.c, square.y, n: 300)
    }

    /// Eq. G23: the two-stage reduction (dsytrd_sy2sb + dsytrd_sb2st, resolvents solved with the
    /// band B and mapped back by Q1) against the dstemr route, with the band narrow (kd = 4, 8) and
    /// at LAPACK's own width (kd = 32), including the square X whose T is graded.
    func testTwoStageReductionAgreesWithTheDstemrRoute() throws {
        for (n, kd, seed) in [(50, 4, 41), (300, 32, 42)] as [(Int, Int, UInt64)] {
            let (c, y) = problem(n, rank: n + n / 2, seed: seed)
            try compare(c, y, n: n, reduction: .twoStage(bandwidth: kd))
        }
        var (c, y) = problem(60, rank: 60, seed: 13)
        y[0] = 0
        try compare(c, y, n: 60, reduction: .twoStage(bandwidth: 8))
        let square = problem(300, rank: 300, seed: 14)
        try compare(square.c, square.y, n: 300, reduction: .twoStage(bandwidth: 32))
        // n <= 2 kd falls back to the one-stage reduction.
        let small = problem(20, rank: 25, seed: 43)
        XCTAssertEqual(try FirstComponentSpectrum(symmetric: small.c, n: 20, vector: small.y, reduction: .twoStage(bandwidth: 10)).reduction, .oneStage)
        XCTAssertEqual(FirstComponentSpectrum.Reduction.automatic(FirstComponentSpectrum.Reduction.twoStageMinimumOrder - 1), .oneStage)
        XCTAssertEqual(FirstComponentSpectrum.Reduction.automatic(FirstComponentSpectrum.Reduction.twoStageMinimumOrder),
                       .twoStage(bandwidth: FirstComponentSpectrum.Reduction.bandwidth))
    }

    /// Eq. G23 against the one-stage reduction of the same matrix: eigenvalues, coordinates (up
    /// to sign inside clusters: summed weights) and resolvents agree to rounding; and the band B
    /// with Q1 reproduces C y exactly up to rounding ((s, b) = (0, 1) times B: R Q1 B e_1 |y| sigma
    /// = R A' R y = C y), a check of the band storage and of Q1's reflectors on their own.
    func testTwoStageMatchesTheOneStageReduction() throws {
        let n = 160
        let (c, y) = problem(n, rank: 200, seed: 44)
        let one = try FirstComponentSpectrum(symmetric: c, n: n, vector: y, reduction: .oneStage)
        let eps = Double.ulpOfOne, yNorm2 = y.reduce(0) { $0 + $1 * $1 }
        for kd in [1, 3, 16, 32, 64] {
            let two = try FirstComponentSpectrum(symmetric: c, n: n, vector: y, reduction: .twoStage(bandwidth: kd))
            let norm = one.eigenvalues.last!
            for (a, b) in zip(one.eigenvalues, two.eigenvalues) { XCTAssertEqual(a, b, accuracy: 64 * Double(n) * eps * norm, "kd = \(kd)") }
            let gap = 1e-6 * norm
            for (a, b) in zip(clusterWeights(one.eigenvalues, one.coordinates, gap: gap), clusterWeights(two.eigenvalues, two.coordinates, gap: gap)) {
                XCTAssertEqual(a, b, accuracy: 1e-11 * yNorm2, "weight, kd = \(kd)")
            }
            let cy = LinearAlgebra.multiply(c, vector: y, m: n, n: n)
            let viaBand = try XCTUnwrap(two.resolvent(scale: 0, shift: 1, timesMatrix: true))
            let size = cy.map(abs).max()!
            for (a, b) in zip(cy, viaBand) { XCTAssertEqual(a, b, accuracy: 8 * Double(n) * eps * size, "C y through B and Q1, kd = \(kd)") }
            for (t, b) in [(1.0, 0.1), (300.0, 0.01)] {
                for timesMatrix in [false, true] {
                    let a = try XCTUnwrap(one.resolvent(scale: t, shift: b, timesMatrix: timesMatrix))
                    let r = try XCTUnwrap(two.resolvent(scale: t, shift: b, timesMatrix: timesMatrix))
                    let scale = a.map(abs).max()!
                    // Condition of the solve (t |C| / b) times the two reductions' backward errors.
                    let condition = t * norm / b + 1
                    for (u, v) in zip(a, r) { XCTAssertEqual(u, v, accuracy: 16 * Double(n) * eps * condition * scale, "t = \(t), kd = \(kd)") }
                }
            }
            XCTAssertThrowsError(try two.denseEigenvectors()) { XCTAssertTrue($0 is FirstComponentSpectrum.SecondStageNotStored) }
        }
    }

    func testDenseEigenvectorsAreOrthogonalAndConsistentWithTheCoordinates() throws {
        let n = 40
        let (c, y) = problem(n, rank: 50, seed: 21)
        let spectrum = try FirstComponentSpectrum(symmetric: c, n: n, vector: y)
        let u = try spectrum.denseEigenvectors()
        let scale = spectrum.eigenvalues.last!
        for i in 0..<n {
            // U^T y reproduces the coordinates (same QL operations on the first row).
            let coordinate = (0..<n).reduce(0.0) { $0 + u[$1 * n + i] * y[$1] }
            XCTAssertEqual(coordinate, spectrum.coordinates[i], accuracy: 1e-13 * 10)
            for j in 0..<n {
                var gram = 0.0, product = 0.0
                for m in 0..<n { gram += u[m * n + i] * u[m * n + j]; product += u[i * n + m] * spectrum.eigenvalues[m] * u[j * n + m] }
                XCTAssertEqual(gram, i == j ? 1 : 0, accuracy: 16 * Double(n) * Double.ulpOfOne)
                XCTAssertEqual(product, c[i * n + j], accuracy: 16 * Double(n) * Double.ulpOfOne * scale)
            }
        }
        // The first row of the full Z is bit for bit the one-row iteration's.
        let d = spectrum.diagonal, e = spectrum.offDiagonal
        let one = try TridiagonalQL.eigen(diagonal: d, offDiagonal: e, rows: 1)
        let all = try TridiagonalQL.eigen(diagonal: d, offDiagonal: e, rows: n)
        XCTAssertEqual(one.eigenvalues, all.eigenvalues)
        XCTAssertEqual(one.rows, Array(all.rows[0..<n]))
    }

    func testKnownTridiagonalSpectrum() throws {
        // T = tridiag(-1, 2, -1) of order n: lambda_k = 2 - 2 cos(k pi/(n+1)),
        // z_k(1)^2 = 2/(n+1) sin^2(k pi/(n+1)).
        let n = 25
        let result = try TridiagonalQL.eigen(diagonal: [Double](repeating: 2, count: n), offDiagonal: [Double](repeating: -1, count: n - 1))
        for k in 1...n {
            let angle = Double(k) * Double.pi / Double(n + 1)
            XCTAssertEqual(result.eigenvalues[k - 1], 2 - 2 * cos(angle), accuracy: 1e-14)
            XCTAssertEqual(result.rows[k - 1] * result.rows[k - 1], 2 / Double(n + 1) * sin(angle) * sin(angle), accuracy: 1e-15)
        }
        // Already diagonal (every e = 0): no sweep; one point; the zero matrix.
        let diagonal = try TridiagonalQL.eigen(diagonal: [3, -1, 2], offDiagonal: [0, 0])
        XCTAssertEqual(diagonal.eigenvalues, [-1, 2, 3])
        XCTAssertEqual(diagonal.rows, [0, 0, 1])
        XCTAssertEqual(diagonal.sweeps, 0)
        XCTAssertEqual(try TridiagonalQL.eigen(diagonal: [0, 0], offDiagonal: [0]).eigenvalues, [0, 0])
        let one = try FirstComponentSpectrum(symmetric: [2.5], n: 1, vector: [-3])
        XCTAssertEqual(one.eigenvalues, [2.5])
        XCTAssertEqual(one.coordinates.map(abs), [3])
        XCTAssertEqual(try XCTUnwrap(one.resolvent(scale: 2, shift: 1)).first!, -3 / 6, accuracy: 1e-16)
        XCTAssertEqual(try XCTUnwrap(one.resolvent(scale: 2, shift: 1, timesMatrix: true)).first!, -7.5 / 6, accuracy: 1e-15)
        // y = 0: no reflector, zero coordinates and resolvents.
        let zero = try FirstComponentSpectrum(symmetric: [2, 1, 1, 2], n: 2, vector: [0, 0])
        XCTAssertEqual(zero.eigenvalues[0], 1, accuracy: 1e-15)
        XCTAssertEqual(zero.eigenvalues[1], 3, accuracy: 1e-15)
        XCTAssertEqual(zero.coordinates, [0, 0])
        XCTAssertEqual(zero.resolvent(scale: 1, shift: 1), [0, 0])
    }

    func testFailureModesThrow() throws {
        // Non-convergence within the sweep limit throws (the limit is 30 n by default; here 3
        // sweeps for a matrix that needs more), and so does a non-finite entry.
        let (c, y) = problem(50, rank: 60, seed: 31)
        XCTAssertThrowsError(try FirstComponentSpectrum(symmetric: c, n: 50, vector: y, maximumSweeps: 3)) { error in
            XCTAssertEqual(error as? TridiagonalQL.Failure, .notConverged(sweeps: 3))
        }
        let converged = try FirstComponentSpectrum(symmetric: c, n: 50, vector: y)
        XCTAssertGreaterThan(converged.sweeps, 3)
        XCTAssertThrowsError(try TridiagonalQL.eigen(diagonal: [1, .nan, 2], offDiagonal: [0.5, 0.5])) { error in
            XCTAssertEqual(error as? TridiagonalQL.Failure, .nonFinite)
        }
        XCTAssertThrowsError(try TridiagonalQL.eigen(diagonal: [1, 2], offDiagonal: [.infinity])) { error in
            XCTAssertEqual(error as? TridiagonalQL.Failure, .nonFinite)
        }
        // A singular shifted T: the resolvent reports it instead of returning a number.
        // (y = e_1: R = diag(-1, 1) and T = C = diag(1, 0) exactly.)
        let singular = try FirstComponentSpectrum(symmetric: [1, 0, 0, 0], n: 2, vector: [1, 0])
        XCTAssertNil(singular.resolvent(scale: 1, shift: 0))
    }
}
