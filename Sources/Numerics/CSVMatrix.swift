import Foundation

/// A numeric matrix read from CSV: comma (or whitespace or ';') separated numbers, one row per
/// line, '#' comments and blank lines skipped; a first line in which no field is a number is a
/// header. Any other field that is not a number is an error (never silently skipped).
public enum CSVMatrix {
    public static func parse(_ text: String) throws -> NPYArray {
        let (shape, values) = try table(text) { field -> Result<Double, Error> in
            Double(field).map { .success($0) } ?? .failure(DataFileError.malformed("'\(field.prefix(40))' is not a number"))
        }
        return NPYArray(shape: shape, values: values)
    }

    /// The same layout as `parse(_:)`, with every entry read exactly by `BigRational(parsing:)`
    /// ("0.1" is one tenth, "1/3" a third); no binary floating point is involved.
    public static func parseExact(_ text: String) throws -> (shape: [Int], values: [BigRational]) {
        try table(text) { field in Result { try BigRational(parsing: field) } }
    }

    /// Rows of `read` fields: shape [rows] for one column of several rows, [rows, columns] otherwise.
    static func table<Value>(_ text: String, _ read: (String) -> Result<Value, Error>) throws -> (shape: [Int], values: [Value]) {
        var rows: [[Value]] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == ";" }).map(String.init)
            let parsed = fields.map(read)
            if lineNumber == 1 && parsed.allSatisfy({ if case .failure = $0 { return true } else { return false } }) { continue }
            var numbers: [Value] = []
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
        // One column is a vector, except a single number: that is the 1 x 1 matrix (P = 1), which a
        // caller wanting a vector accepts as shape [1, 1] as well.
        let shape = width == 1 && rows.count > 1 ? [rows.count] : [rows.count, width]
        return (shape, rows.flatMap { $0 })
    }
}
