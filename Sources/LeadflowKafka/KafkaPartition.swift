/// One partition of one topic: the unit Kafka assigns to consumers and Leadflow owns state by.
public struct KafkaPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: KafkaPartition, rhs: KafkaPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// Special offsets librdkafka understands where an absolute offset is expected.
public enum KafkaOffset {
    /// The oldest retained message.
    public static let beginning: Int64 = -2
    /// The next message to be written.
    public static let end: Int64 = -1
    /// The committed offset of the group (or `auto.offset.reset` when none).
    public static let stored: Int64 = -1000
    /// No offset known.
    public static let invalid: Int64 = -1001
}

/// The low and high watermarks of a partition: the first retained offset and the next offset to be written.
public struct KafkaWatermarks: Hashable, Sendable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}
