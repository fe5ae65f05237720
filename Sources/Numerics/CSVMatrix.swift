import Foundation

/// A numeric matrix read from CSV: comma (or whitespace) separated numbers, one row per line,
/// '#' comments and blank lines skipped; an optional non-numeric first line is a header.
public enum CSVMatrix {
    public static func parse(_ text: String) throws -> NPYArray {
        var rows: [[Double]] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == ";" }).map(String.init)
            let numbers = fields.map { Double($0) }
            if numbers.contains(where: { $0 == nil }) {
                if rows.isEmpty && lineNumber == 1 { continue }   // header
                throw DataFileError.malformed("CSV line \(lineNumber): not a number in '\(line.prefix(60))'")
            }
            rows.append(numbers.map { $0! })
        }
        guard let width = rows.first?.count, width > 0 else { throw DataFileError.malformed("empty CSV file (no numeric rows)") }
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw DataFileError.malformed("CSV row \(bad + 1) has \(rows[bad].count) fields, row 1 has \(width)")
        }
        return width == 1 ? NPYArray(shape: [rows.count], values: rows.map { $0[0] })
                          : NPYArray(shape: [rows.count, width], values: rows.flatMap { $0 })
    }
}

extension CSVMatrix {
    /// The same layout as `parse(_:)`, with every entry read exactly by `BigRational(parsing:)`
    /// ("0.1" is one tenth, "1/3" a third); no binary floating point is involved.
    public static func parseExact(_ text: String) throws -> (shape: [Int], values: [BigRational]) {
        var rows: [[BigRational]] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == ";" }).map(String.init)
            let parsed = fields.map { field in Result { try BigRational(parsing: field) } }
            // A header is a first line with no number in it; a malformed entry anywhere else is an error.
            if lineNumber == 1 && parsed.allSatisfy({ if case .failure = $0 { return true } else { return false } }) { continue }
            var numbers: [BigRational] = []
            for entry in parsed {
                switch entry {
                case .success(let value): numbers.append(value)
                case .failure(let error): throw DataFileError.malformed("CSV line \(lineNumber): \(error)")
                }
            }
            rows.append(numbers)
        }
        guard let width = rows.first?.count, width > 0 else { throw DataFileError.malformed("empty CSV file (no numeric rows)") }
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw DataFileError.malformed("CSV row \(bad + 1) has \(rows[bad].count) fields, row 1 has \(width)")
        }
        return (width == 1 ? [rows.count] : [rows.count, width], rows.flatMap { $0 })
    }
}
