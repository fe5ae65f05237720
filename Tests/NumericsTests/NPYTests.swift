import Foundation
import XCTest
import Numerics

final class NPYTests: XCTestCase {
    func header(_ dict: String) -> Data {
        var text = dict
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count & 0xff), UInt8(text.utf8.count >> 8)])
        data.append(contentsOf: Array(text.utf8))
        return data
    }

    func testRoundTripFortranFloat32AndErrors() throws {
        let array = NPYArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6.5])
        XCTAssertEqual(try NPYArray(npyData: array.serialized()), array)
        // Fortran order, float32: stored column-major.
        var fortran = header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }")
        for v: Float in [1, 4, 2, 5, 3, 6.5] { withUnsafeBytes(of: v.bitPattern.littleEndian) { fortran.append(contentsOf: $0) } }
        XCTAssertEqual(try NPYArray(npyData: fortran), array)
        // Truncated payload, wrong dtype, empty file, bad magic.
        let full = array.serialized()
        XCTAssertThrowsError(try NPYArray(npyData: full.prefix(full.count - 3))) { XCTAssertTrue("\($0)".contains("truncated")) }
        var ints = header("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }")
        ints.append(contentsOf: [UInt8](repeating: 0, count: 8))
        XCTAssertThrowsError(try NPYArray(npyData: ints)) { XCTAssertTrue("\($0)".contains("dtype")) }
        XCTAssertThrowsError(try NPYArray(npyData: Data())) { XCTAssertTrue("\($0)".contains("empty")) }
        XCTAssertThrowsError(try NPYArray(npyData: Data("hello world, not npy".utf8)))
    }

    func testCSV() throws {
        XCTAssertEqual(try CSVMatrix.parse("a,b\n1,2\n3,4\n"), NPYArray(shape: [2, 2], values: [1, 2, 3, 4]))
        XCTAssertEqual(try CSVMatrix.parse("1\n2\n"), NPYArray(shape: [2], values: [1, 2]))
        XCTAssertThrowsError(try CSVMatrix.parse(""))
        XCTAssertThrowsError(try CSVMatrix.parse("1,2\n3\n"))
        XCTAssertThrowsError(try CSVMatrix.parse("1,2\n3,x\n"))
        // A first line with a number in it is data, so a typo there is an error, not a header.
        XCTAssertThrowsError(try CSVMatrix.parse("1,x\n3,4\n"))
        XCTAssertEqual(try CSVMatrix.parseExact("a,b\n1/3,0.1\n").values, [BigRational(1, 3), BigRational(1, 10)])
    }
}
