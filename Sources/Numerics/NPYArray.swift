import Foundation

/// A float64 array read from or written to NumPy's .npy format (version 1.0/2.0/3.0 headers).
/// Values are kept row-major (C order) whatever order the file used.
public struct NPYArray: Equatable, Sendable {
    public let shape: [Int]
    public let values: [Double]

    public init(shape: [Int], values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "NPYArray shape does not match its values")
        self.shape = shape
        self.values = values
    }

    /// Serialized .npy bytes: version 1.0, '<f8', C order, header padded to a multiple of 64.
    public func serialized() -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        var little = values.map { $0.bitPattern.littleEndian }
        data.append(Data(bytes: &little, count: little.count * 8))
        return data
    }

    /// Parses .npy bytes, validating magic, header, dtype (float64/float32, either endianness),
    /// order and that the payload length matches the shape exactly.
    public init(npyData data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 10 else {
            throw DataFileError.malformed(bytes.isEmpty ? "empty file" : "truncated .npy header (\(bytes.count) bytes)")
        }
        guard bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw DataFileError.malformed("not a .npy file (bad magic string)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DataFileError.malformed("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataFileError.malformed("unsupported .npy format version \(major)")
        }
        guard bytes.count >= headerStart + headerLength else { throw DataFileError.malformed("truncated .npy header") }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw DataFileError.malformed("unreadable .npy header")
        }
        let fields = try NPYHeader(parsing: header)
        let count = fields.shape.reduce(1, *)
        let payloadStart = headerStart + headerLength
        let available = bytes.count - payloadStart
        guard available == count * fields.itemSize else {
            throw DataFileError.malformed(available < count * fields.itemSize
                ? "truncated .npy data: shape \(fields.shape) needs \(count * fields.itemSize) bytes, file has \(available)"
                : ".npy data longer than its shape \(fields.shape) says (\(available) bytes)")
        }
        var values = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let offset = payloadStart + i * fields.itemSize
            if fields.itemSize == 8 {
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(bytes[offset + k]) << (8 * UInt64(fields.littleEndian ? k : 7 - k)) }
                values[i] = Double(bitPattern: bits)
            } else {
                var bits: UInt32 = 0
                for k in 0..<4 { bits |= UInt32(bytes[offset + k]) << (8 * UInt32(fields.littleEndian ? k : 3 - k)) }
                values[i] = Double(Float(bitPattern: bits))
            }
        }
        if fields.fortranOrder && fields.shape.count >= 2 { values = NPYArray.fortranToC(values, shape: fields.shape) }
        self.init(shape: fields.shape, values: values)
    }

    /// Reorders column-major (Fortran) storage into row-major.
    static func fortranToC(_ values: [Double], shape: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        var strides = [Int](repeating: 1, count: shape.count)   // Fortran strides
        for d in 1..<shape.count { strides[d] = strides[d - 1] * shape[d - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        for c in 0..<values.count {
            var f = 0
            for d in 0..<shape.count { f += index[d] * strides[d] }
            out[c] = values[f]
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return out
    }
}

/// The three fields of a .npy header dictionary, parsed strictly.
struct NPYHeader {
    let itemSize: Int
    let littleEndian: Bool
    let fortranOrder: Bool
    let shape: [Int]

    init(parsing header: String) throws {
        let text = header.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("{"), text.hasSuffix("}") else { throw DataFileError.malformed("malformed .npy header dictionary") }
        func field(_ key: String) throws -> String {
            guard let range = text.range(of: "'\(key)':") else { throw DataFileError.malformed(".npy header lacks '\(key)'") }
            return String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descrRest = try field("descr")
        guard descrRest.hasPrefix("'"), let close = descrRest.dropFirst().firstIndex(of: "'") else {
            throw DataFileError.malformed("malformed .npy dtype")
        }
        let descr = String(descrRest[descrRest.index(after: descrRest.startIndex)..<close])
        switch descr {
        case "<f8": (itemSize, littleEndian) = (8, true)
        case ">f8": (itemSize, littleEndian) = (8, false)
        case "<f4": (itemSize, littleEndian) = (4, true)
        case ">f4": (itemSize, littleEndian) = (4, false)
        default: throw DataFileError.unsupportedType("unsupported .npy dtype '\(descr)' (need float64 or float32)")
        }
        let order = try field("fortran_order")
        if order.hasPrefix("True") { fortranOrder = true } else if order.hasPrefix("False") { fortranOrder = false } else {
            throw DataFileError.malformed("malformed .npy fortran_order")
        }
        let shapeRest = try field("shape")
        guard shapeRest.hasPrefix("("), let end = shapeRest.firstIndex(of: ")") else { throw DataFileError.malformed("malformed .npy shape") }
        let inner = shapeRest[shapeRest.index(after: shapeRest.startIndex)..<end]
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let d = Int(trimmed), d >= 0 else { throw DataFileError.malformed("malformed .npy shape entry '\(trimmed)'") }
            dims.append(d)
        }
        guard dims.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) < (1 << 40) else {
            throw DataFileError.malformed(".npy shape too large")
        }
        shape = dims
    }
}

/// A data file that cannot be used, in one sentence.
public enum DataFileError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case unsupportedType(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .malformed(let what), .unsupportedType(let what), .unreadable(let what): return what
        }
    }
}
