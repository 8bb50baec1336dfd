/// The version of the output contracts in `schemas/`.
public let outputSchemaVersion = "1.0"

/// The person behind the triggering signal, without their address: a hash, their company
/// domain and their role.
public struct ContactReference: Sendable, Hashable {
    public var id: String
    public var domain: String?
    public var role: String?

    /// `c_` + the first 24 hex digits of SHA-256 of the lower-cased email.
    public static func hashedID(email: String) -> String { "c_" + SHA256.hex(email.lowercased(), characters: 24) }
}

/// "Route this account to this person by then, and here is why." Published keyed by account id.
public struct RoutingDecision: Sendable, Hashable {
    public var id: String
    public var accountID: String
    public var accountDomain: String
    public var at: EventTime
    public var trigger: RouteTrigger
    public var band: Band
    public var scores: Scores
    public var threshold: Double
    public var assignee: Assignee
    public var slaDueAt: EventTime
    public var reason: String
    public var contact: ContactReference?
    public var triggerEventIDs: [String]
    public var configVersion: String

    /// The contract's JSON, fields in a fixed order.
    public func json(replayed: Bool = false) -> String {
        var writer = JSONWriter()
        writer.field("type", "routing_decision")
        writer.field("schema_version", outputSchemaVersion)
        writer.field("id", id)
        writer.field("account_id", accountID)
        writer.field("account_domain", accountDomain)
        writer.field("at", at.description)
        writer.field("trigger", trigger.rawValue)
        writer.field("band", band.description)
        writer.object("scores") { scoresObject in
            scoresObject.field("fit", points: scores.fit)
            scoresObject.field("engagement", points: scores.engagement)
            scoresObject.field("signals", points: scores.signals)
            scoresObject.field("committee", points: scores.committee)
            scoresObject.field("contact", points: scores.contact)
            scoresObject.field("composite", points: scores.composite)
            scoresObject.field("engaged_people", scores.engagedPeople)
        }
        writer.field("threshold", points: threshold)
        writer.object("assignee") { assigneeObject in
            assigneeObject.field("kind", assignee.kind.rawValue)
            assigneeObject.field("id", assignee.id)
        }
        writer.field("sla_due_at", slaDueAt.description)
        writer.field("reason", reason)
        if let contact {
            writer.object("contact") { contactObject in
                contactObject.field("id", contact.id)
                contactObject.field("domain", contact.domain)
                contactObject.field("role", contact.role)
            }
        } else {
            writer.field("contact", raw: "null")
        }
        writer.objects("top_signals", scores.topSignals) { $1.write(to: &$0) }
        writer.field("trigger_event_ids", strings: triggerEventIDs)
        writer.field("config_version", configVersion)
        if replayed { writer.field("replayed", true) }
        return writer.finish()
    }
}

/// A surge started or ended on one topic of one account. Published keyed by account id.
public struct SurgeTrigger: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case started = "surge_started", ended = "surge_ended" }
    public var id: String
    public var accountID: String
    public var accountDomain: String
    public var topic: String
    public var kind: Kind
    public var source: SurgeSource
    public var at: EventTime
    public var current: Double
    public var baseline: Double
    public var triggerEventID: String
    public var configVersion: String

    public func json(replayed: Bool = false) -> String {
        var writer = JSONWriter()
        writer.field("type", "surge_trigger")
        writer.field("schema_version", outputSchemaVersion)
        writer.field("id", id)
        writer.field("account_id", accountID)
        writer.field("account_domain", accountDomain)
        writer.field("topic", topic)
        writer.field("kind", kind.rawValue)
        writer.field("source", source.rawValue)
        writer.field("at", at.description)
        writer.field("current", points: current)
        writer.field("baseline", points: baseline)
        writer.field("trigger_event_ids", strings: [triggerEventID])
        writer.field("config_version", configVersion)
        if replayed { writer.field("replayed", true) }
        return writer.finish()
    }
}

/// What one input produced for downstream topics.
public enum EngineOutput: Sendable, Hashable {
    case routingDecision(RoutingDecision)
    case surgeTrigger(SurgeTrigger)

    public var id: String {
        switch self {
        case .routingDecision(let decision): decision.id
        case .surgeTrigger(let trigger): trigger.id
        }
    }

    /// The message key: the account id.
    public var accountID: String {
        switch self {
        case .routingDecision(let decision): decision.accountID
        case .surgeTrigger(let trigger): trigger.accountID
        }
    }

    public func json(replayed: Bool = false) -> String {
        switch self {
        case .routingDecision(let decision): decision.json(replayed: replayed)
        case .surgeTrigger(let trigger): trigger.json(replayed: replayed)
        }
    }
}

extension SignalContribution {
    /// `{"signal", "points", "occurred_at", "event_id"}`, as in a decision's `top_signals`.
    public var json: String {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.finish()
    }

    /// Its fields into an object being written.
    func write(to writer: inout JSONWriter) {
        writer.field("signal", signal)
        writer.field("points", points: points)
        writer.field("occurred_at", occurredAt.description)
        writer.field("event_id", eventID)
    }
}

extension Scores {
    /// The scores with the signals behind them, for the admin endpoint and what-if reports.
    public var explanationJSON: String {
        var writer = JSONWriter()
        writer.field("fit", points: fit)
        writer.field("engagement", points: engagement)
        writer.field("signals", points: signals)
        writer.field("committee", points: committee)
        writer.field("contact", points: contact)
        writer.field("composite", points: composite)
        writer.field("engaged_people", engagedPeople)
        writer.objects("top_signals", topSignals) { $1.write(to: &$0) }
        return writer.finish()
    }

    /// One line: `composite 115 = fit 70 + engagement 45 (page:pricing 20, intent:crm 12)`.
    public var explanationText: String {
        let f = JSONWriter.format(points:)
        let signals = topSignals.map { "\($0.signal) \(f($0.points))" }.joined(separator: ", ")
        var text = "composite \(f(composite)) = fit \(f(fit)) + engagement \(f(engagement))"
        if contact != 0 { text += " + contact \(f(contact))" }
        return text + (signals.isEmpty ? "" : " (\(signals))")
    }
}
