/// A Kafka record header. A nil value is a header present without a value.
public struct KafkaHeader: Hashable, Sendable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }
}

/// When a record was created (by the producer) or appended (by the broker), in epoch milliseconds.
public struct KafkaTimestamp: Hashable, Sendable {
    public enum Kind: Sendable, Hashable { case createTime, logAppendTime }
    public var milliseconds: Int64
    public var kind: Kind

    public init(milliseconds: Int64, kind: Kind) {
        self.milliseconds = milliseconds
        self.kind = kind
    }
}

/// A record read from Kafka, copied out of librdkafka's buffers so it can outlive the poll.
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    public var timestamp: KafkaTimestamp?
    /// When this client took the message from librdkafka's queue (monotonic), so callers can
    /// measure their own processing latency independently of producers' clocks.
    public var receivedAt: MonotonicInstant?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader] = [], timestamp: KafkaTimestamp? = nil, receivedAt: MonotonicInstant? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.receivedAt = receivedAt
    }

    public var topicPartition: KafkaPartition { KafkaPartition(topic: topic, partition: partition) }

    /// The first header with this name.
    public func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}

/// A record to produce. A nil partition lets the partitioner choose from the key.
public struct KafkaOutgoingMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Epoch milliseconds; nil lets librdkafka stamp the current time.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8],
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}
