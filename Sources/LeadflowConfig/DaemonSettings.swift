import Foundation
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
    /// Input fetched but not yet applied that the daemon holds in memory, in MiB. Beyond it,
    /// partitions holding more than their share (the bound over the owned partitions) stop
    /// fetching until they are down to half their share or the total to half the bound;
    /// partitions with less, above all those with none, keep fetching, since the merge may be
    /// waiting on them.
    /// This bounds memory while one partition cannot be read (its leader is down, say).
    /// Default: 256.
    public var inputBufferMiB = 256
    /// How long a record may wait, after it is fetched, for partitions the merge found read to
    /// their end, in milliseconds. A record reaching such a partition within this time, stamped
    /// earlier, is still applied in timestamp order, as a replay or a recovery would apply it
    /// (Kafka Streams calls this `max.task.idle.ms`). It only delays records while some owned
    /// partition has nothing buffered, by at most this much. Default: 0 (no wait).
    public var mergeGraceMilliseconds = 0
    /// The values `mergeGraceMilliseconds` may take.
    public static let mergeGraceRange = 0...60_000

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

/// The admin HTTP endpoint: health, readiness, Prometheus metrics, account look-ups.
public struct AdminSettings: Sendable, Hashable {
    /// `host:port` to listen on. Default: "127.0.0.1:9464" (local only); "" turns it off.
    public var address = "127.0.0.1:9464"
    /// When set, every endpoint but /healthz and /readyz needs `Authorization: Bearer <token>`.
    /// `${NAME}` reads the environment variable NAME; LEADFLOW_ADMIN_TOKEN is used when unset.
    public var token: String? = nil
    /// /readyz answers 503 while any owned partition lags more records than this. Default: 10,000.
    public var readyMaxLag = 10_000

    public init() {}

    /// The host and port of `address`, or nil when the endpoint is off.
    public var hostAndPort: (host: String, port: UInt16)? {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else { return nil }
        return (String(address[..<colon]), port)
    }
}

/// How the daemon logs.
public struct LoggingSettings: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable { case text, json, logfmt }
    /// Default: text (human-readable); json or logfmt for log collectors.
    public var format = Format.text
    /// Default: info.
    public var level = "info"
    /// Emails and IP addresses in log metadata are replaced by a hash. Default: true.
    public var hashPersonalData = true

    public init() {}
}

extension AdminSettings: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("address", &address)
        fields.read("token", &token)
        fields.read("ready_max_lag", &readyMaxLag)
        fields.check(address.isEmpty || hostAndPort != nil, "address", "must be host:port such as 127.0.0.1:9464, or \"\" to turn the endpoint off, got '\(address)'")
        fields.check(readyMaxLag >= 0, "ready_max_lag", "must not be negative")
        fields.check(token.map { !$0.isEmpty } ?? true, "token", "must not be empty (leave it out to need no token)")
    }

    /// The token with `${NAME}` read from the environment, else LEADFLOW_ADMIN_TOKEN, else none.
    public func resolvedToken(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let token else { return environment["LEADFLOW_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } }
        switch EnvironmentReference.resolve(token, path: "admin.token", environment: environment, allowEmpty: false) {
        case .success(let value): return value
        case .failure(let problem): throw ConfigError(file: "environment", problems: [problem])
        }
    }
}

extension LoggingSettings: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        var formatName = format.rawValue
        fields.read("format", &formatName)
        if let parsed = Format(rawValue: formatName) { format = parsed } else {
            fields.check(false, "format", "must be one of text, json, logfmt, got '\(formatName)'")
        }
        fields.read("level", &level)
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        fields.check(levels.contains(level), "level", "must be one of \(levels.joined(separator: ", ")), got '\(level)'")
        fields.read("hash_personal_data", &hashPersonalData)
    }
}

extension KafkaSettings: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("brokers", &brokers)
        fields.read("group_id", &groupID)
        fields.read("client_id", &clientID)
        fields.read("properties", &properties)
        fields.read("input_buffer_mib", &inputBufferMiB)
        fields.read("merge_grace_ms", &mergeGraceMilliseconds)
        fields.check(!groupID.isEmpty, "group_id", "must not be empty")
        fields.check(inputBufferMiB >= 1, "input_buffer_mib", "must be at least 1, got \(inputBufferMiB)")
        fields.check(
            Self.mergeGraceRange.contains(mergeGraceMilliseconds), "merge_grace_ms",
            "must be from \(Self.mergeGraceRange.lowerBound) to \(Self.mergeGraceRange.upperBound) milliseconds, got \(mergeGraceMilliseconds)")
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
