import Foundation
import LeadflowEngine

/// Loads account reference data from a JSON Lines or CSV file (by extension).
enum ReferenceData {
    struct Loaded {
        var directory: AccountDirectory
        var problems: [AccountDirectory.LineProblem]
    }

    static func load(path: String) throws -> Loaded {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationFailure("cannot read account reference file \(path): \(error.localizedDescription)")
        }
        let parsed = path.lowercased().hasSuffix(".csv") ? AccountDirectory.parseCSV(text) : AccountDirectory.parseJSONLines(text)
        return Loaded(directory: AccountDirectory(records: parsed.records), problems: parsed.problems)
    }
}

/// A command-line failure with a message meant for the user.
struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
