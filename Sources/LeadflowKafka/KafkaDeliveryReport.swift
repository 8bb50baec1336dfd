/// The outcome of one produced message, as the broker (or librdkafka's timeout) decided it.
public struct KafkaDeliveryReport: Sendable {
    /// The id `send` returned for this message.
    public var id: UInt64
    public var topic: String
    public var partition: Int32
    /// The offset the broker assigned; meaningful only on success.
    public var offset: Int64
    /// Nil on success; otherwise why the message was not delivered (e.g. `_MSG_TIMED_OUT`).
    public var error: KafkaError?

    public var isDelivered: Bool { error == nil }
}
