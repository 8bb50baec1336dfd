import CRdKafka
import Logging
import Synchronization

/// Owns one `rd_kafka_t` handle and the events object its callbacks reach.
///
/// `@unchecked Sendable`: librdkafka documents its handle as thread safe for the calls made
/// here; the pointer itself never changes after init and is destroyed once, by `destroy`.
final class RDKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    let events: ClientEvents
    private let destroyed = Mutex(false)

    enum Kind { case consumer, producer }

    init(kind: Kind, properties: [(String, String)], logger: Logger, deliveryReports: Bool = false) throws(KafkaError) {
        let (applying, otherKind) = properties.reduce(into: ([(String, String)](), [String]())) { split, property in
            if KafkaPropertyScope.applies(property.0, to: kind) { split.0.append(property) } else { split.1.append(property.0) }
        }
        if !otherKind.isEmpty {
            logger.debug(
                "Kafka properties for the other client kind left out",
                metadata: ["client": "\(kind)", "properties": "\(otherKind.joined(separator: ", "))"])
        }
        let conf = try RDKafkaConfig.make(applying)
        let events = ClientEvents(logger: logger)
        events.install(on: conf)
        if deliveryReports { events.installDeliveryReports(on: conf) }
        if kind == .consumer { events.installRebalance(on: conf) }
        var errorText = [CChar](repeating: 0, count: 512)
        let type = kind == .consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            // rd_kafka_new frees conf only on success.
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .clientCreation,
                message: "could not create Kafka client: " + String(cChars: errorText))
        }
        self.handle = handle
        self.events = events
    }

    /// The unrecoverable error librdkafka raised, if any.
    var fatalError: KafkaError? { events.fatalError.withLock { $0 } }

    /// Destroys the handle on a separate thread, giving up after `timeout`: librdkafka 2.0.x
    /// can hang in destroy after its brokers went away and came back (librdkafka #4674), and a
    /// daemon's shutdown must stay bounded. Returns false if it gave up (the handle leaks).
    @discardableResult
    func destroy(timeout: Duration) -> Bool {
        let already = destroyed.withLock { value in
            defer { value = true }
            return value
        }
        if already { return true }
        let handle = UncheckedBox(handle)
        let events = self.events
        let finished = runBounded(timeout: timeout) {
            rd_kafka_destroy(handle.value)
            withExtendedLifetime(events) {}
        }
        if !finished {
            events.logger.error("librdkafka did not finish destroying the client within \(timeout); leaving it behind")
            return false
        }
        return true
    }

    /// Asks the partition leader for the current watermarks. Blocks up to `timeout`.
    func watermarks(_ partition: KafkaPartition, timeout: Duration) throws(KafkaError) -> KafkaWatermarks {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, Int32(timeout.milliseconds))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "watermarks of \(partition)") }
        return KafkaWatermarks(low: low, high: high)
    }

    /// Metadata of the cluster (all topics, or one). Blocks up to `timeout`.
    func metadata(topic: String?, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        var topicHandle: OpaquePointer?
        if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, Int32(timeout.milliseconds))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.rdKafka(err, "metadata request")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        events.markConnected()
        return KafkaClusterMetadata(metadata.pointee)
    }
}

/// Carries a non-Sendable value across a thread hop where the code guarantees exclusive use.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
