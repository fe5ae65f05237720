import Foundation
/// Bad input, rejected at a library boundary with one clear sentence that names the quantity (never a
/// command-line option); front ends print it as one line and exit with status 2.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
