import Yams

/// Where the daemon's Kafka cluster is and how its clients behave.
public struct KafkaSettings: Sendable, Hashable {
    /// Default: none; `leadflow run` requires it.
    public var brokers: [String] = []
    /// Default: "leadflow".
    public var groupID = "leadflow"
    /// Default: "leadflow".
    public var clientID = "leadflow"
    /// librdkafka properties passed through (TLS, SASL, tuning). A value of the form
    /// `${NAME}` is read from the environment variable NAME, so secrets stay out of the file.
    public var properties: [String: String] = [:]

    public init() {}
}

/// Topic names. The three signal topics must have the same partition count and be keyed by
/// account domain: partition N of each belongs to the same task (co-partitioning).
public struct TopicSettings: Sendable, Hashable {
    public var pageViews = "page-views"
    public var intentSurges = "intent-surges"
    public var formSubmissions = "form-submissions"
    /// A compacted topic of account reference records keyed by account id (optional).
    public var accounts: String? = nil
    public var routingDecisions = "routing-decisions"
    public var surgeTriggers = "surge-triggers"
    public var deadLetters = "leadflow-dead-letters"

    public init() {}

    /// Input topics in their fixed merge order.
    public var inputs: [String] { [pageViews, intentSurges, formSubmissions] }
}

/// Snapshots of per-partition state on disk.
public struct SnapshotSettings: Sendable, Hashable {
    /// Default: "./leadflow-state", relative to the config file.
    public var directory = "leadflow-state"
    /// Snapshot a task after this many events. Default: 100,000.
    public var everyEvents = 100_000
    /// …or this many seconds, whichever comes first. Default: 60.
    public var everySeconds: Double = 60
    /// Snapshots kept per task. Default: 3.
    public var keep = 3

    public init() {}
}

extension KafkaSettings: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("brokers", &brokers)
        fields.read("group_id", &groupID)
        fields.read("client_id", &clientID)
        fields.read("properties", &properties)
        fields.check(!groupID.isEmpty, "group_id", "must not be empty")
    }
}

extension TopicSettings: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("page_views", &pageViews)
        fields.read("intent_surges", &intentSurges)
        fields.read("form_submissions", &formSubmissions)
        fields.read("accounts", &accounts)
        fields.read("routing_decisions", &routingDecisions)
        fields.read("surge_triggers", &surgeTriggers)
        fields.read("dead_letters", &deadLetters)
        let all = inputs + [routingDecisions, surgeTriggers, deadLetters] + (accounts.map { [$0] } ?? [])
        fields.check(Set(all).count == all.count, "", "topic names must all differ, got \(all)")
        fields.check(all.allSatisfy { !$0.isEmpty }, "", "topic names must not be empty")
    }
}

extension SnapshotSettings: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("directory", &directory)
        fields.read("every_events", &everyEvents)
        fields.read("every_seconds", &everySeconds)
        fields.read("keep", &keep)
        fields.check(everyEvents >= 1, "every_events", "must be at least 1")
        fields.check(everySeconds > 0, "every_seconds", "must be greater than 0")
        fields.check(keep >= 1, "keep", "must be at least 1")
    }
}
