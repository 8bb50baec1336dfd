/// Settings every Leadflow Kafka client shares: where the brokers are, who we are, and any
/// librdkafka property passed through as is (`security.protocol`, `sasl.*`, `ssl.*`, …).
public struct KafkaClientConfiguration: Sendable {
    /// `host:port` of one or more brokers. Default: none (required).
    public var bootstrapServers: [String]
    /// Sent to brokers for quotas and logs. Default: "leadflow".
    public var clientID: String = "leadflow"
    /// Any librdkafka property, applied after the typed settings so it can override them.
    /// Unknown names and invalid values fail client creation with an error naming them.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: [String], clientID: String = "leadflow", properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.properties = properties
    }

    /// Properties whose values must never reach a log line or an error message.
    public static func isSecret(_ property: String) -> Bool {
        let name = property.lowercased()
        return name.contains("password") || name.contains("secret") || name.hasSuffix(".key.pem")
            || name == "sasl.oauthbearer.config" || name.contains("jaas") || name.contains("token")
    }

    /// The properties as they may be logged: secret values replaced by `[redacted]`.
    public func redactedProperties() -> [String: String] {
        Dictionary(uniqueKeysWithValues: properties.map { key, value in
            (key, Self.isSecret(key) ? "[redacted]" : value)
        })
    }

    /// The typed settings as librdkafka properties, in the order they are applied.
    func librdkafkaProperties() -> [(String, String)] {
        [("bootstrap.servers", bootstrapServers.joined(separator: ",")), ("client.id", clientID)]
    }
}

/// Where a new consumer group member starts in a partition with no committed offset.
public enum KafkaAutoOffsetReset: String, Sendable {
    case earliest, latest
    /// Fail instead of guessing.
    case error
}

/// A consumer in a consumer group with manual offset commits.
public struct KafkaConsumerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// The consumer group. Default: none (required).
    public var groupID: String
    /// Default: earliest, so a new deployment reads history rather than skipping it.
    public var autoOffsetReset: KafkaAutoOffsetReset = .earliest
    /// How long the group waits for a silent member before rebalancing. Default: 10 seconds.
    public var sessionTimeout: Duration = .seconds(10)
    /// Longest gap allowed between polls before the member is considered stuck. Default: 5 minutes.
    public var maxPollInterval: Duration = .seconds(300)
    /// Messages librdkafka prefetches per client before it stops fetching. Default: 1,000,000.
    /// librdkafka 2.0.2's default (100,000) makes any consumer faster than ~100k messages/s idle
    /// for about a second each time the queue fills; memory stays bounded by
    /// `queuedMaxKilobytes` either way.
    public var queuedMinMessages: Int = 1_000_000
    /// Upper bound of prefetched data in KiB. Default: 65,536 (64 MiB, librdkafka's default).
    public var queuedMaxKilobytes: Int = 65_536
    /// Partition assignment strategy. Default: "cooperative-sticky", so a rebalance moves only
    /// the partitions that change owner and the others keep their in-memory state.
    public var partitionAssignmentStrategy: String = "cooperative-sticky"
    /// Whether the consumer records where it reached the end of each partition (librdkafka's
    /// `enable.partition.eof`), readable through `KafkaConsumer.endReached(_:)`: a caught-up
    /// signal from the fetch responses themselves, with no broker round trip. Default: false.
    public var recordsEndOfPartition = false

    public init(client: KafkaClientConfiguration, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    func librdkafkaProperties() -> [(String, String)] {
        client.librdkafkaProperties() + [
            ("group.id", groupID),
            ("auto.offset.reset", autoOffsetReset.rawValue),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("session.timeout.ms", String(sessionTimeout.milliseconds)),
            ("max.poll.interval.ms", String(maxPollInterval.milliseconds)),
            ("queued.min.messages", String(queuedMinMessages)),
            ("queued.max.messages.kbytes", String(queuedMaxKilobytes)),
            ("partition.assignment.strategy", partitionAssignmentStrategy),
            ("enable.partition.eof", recordsEndOfPartition ? "true" : "false"),
        ] + client.properties.sorted { $0.key < $1.key }
    }
}

/// An idempotent producer whose in-flight messages are bounded.
public struct KafkaProducerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// Exactly-once per partition delivery from this producer (no duplicates on retry).
    /// Default: true.
    public var idempotent: Bool = true
    /// How long a message may wait for acknowledgement before its delivery fails.
    /// Default: 5 minutes (librdkafka's default).
    public var messageTimeout: Duration = .seconds(300)
    /// Batching delay. Default: 5 milliseconds.
    public var linger: Duration = .milliseconds(5)
    /// Default: "lz4".
    public var compression: String = "lz4"
    /// Messages produced but not yet acknowledged; `send` waits (and `trySend` fails) beyond it.
    /// Default: 100,000.
    public var maxInFlightMessages: Int = 100_000

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    func librdkafkaProperties() -> [(String, String)] {
        client.librdkafkaProperties() + [
            ("enable.idempotence", idempotent ? "true" : "false"),
            ("message.timeout.ms", String(messageTimeout.milliseconds)),
            ("linger.ms", String(linger.milliseconds)),
            ("compression.codec", compression),
            // librdkafka's own queue is kept above ours so back-pressure comes from Leadflow's bound.
            ("queue.buffering.max.messages", String(max(maxInFlightMessages + 1_000, 1_000))),
        ] + client.properties.sorted { $0.key < $1.key }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
