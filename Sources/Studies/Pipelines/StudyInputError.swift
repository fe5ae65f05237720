/// Inputs a study cannot take, one sentence each (never a command-line flag: the front end adds those).
public enum StudyInputError: Error, Equatable, CustomStringConvertible {
    case shape(String)
    case singular(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .shape(let what), .singular(let what), .unsupported(let what): return what
        }
    }
}
