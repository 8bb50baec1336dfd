/// Why an input event was not applied: a machine-readable reason, the field at fault, what
/// was expected and what was found. Rejected events go to the dead-letter topic with this.
public struct Rejection: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        case malformedJSON = "malformed_json"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case invalidValue = "invalid_value"
        case unknownEventType = "unknown_event_type"
        case futureTimestamp = "future_timestamp"
        case beyondHorizon = "beyond_horizon"
    }

    public var reason: Reason
    /// The JSON field at fault, when one is (`occurred_at`, `score`, …).
    public var field: String?
    public var expected: String
    public var found: String

    public init(_ reason: Reason, field: String?, expected: String, found: String) {
        self.reason = reason
        self.field = field
        self.expected = expected
        self.found = found
    }

    public var description: String {
        (field.map { "field '\($0)': " } ?? "") + "expected \(expected), found \(found) (\(reason.rawValue))"
    }

    /// One JSON line for logs, dead letters and `leadflow process` stderr.
    public var json: String {
        var writer = JSONWriter()
        writer.field("reason", reason.rawValue)
        if let field { writer.field("field", field) }
        writer.field("expected", expected)
        writer.field("found", found)
        writer.field("message", description)
        return writer.finish()
    }
}
