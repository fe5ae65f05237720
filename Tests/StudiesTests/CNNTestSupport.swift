import XCTest
import Core

/// What the CNN tests share: the digits fixture (Tests/Fixtures/digits) and the largest magnitude of a difference.
protocol CNNTestSupport {}

extension CNNTestSupport {
    static var digits: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/digits").path
    }

    /// The digits fixture's first p training and q test points.
    func digits(train p: Int, test q: Int) throws -> LabelledData {
        try LabelledData.npyDirectory(Self.digits, train: p, test: q)
    }

    /// The largest |a_i| (0 for an empty a).
    func largest(_ a: [Double]) -> Double { a.map(abs).max() ?? 0 }
}
