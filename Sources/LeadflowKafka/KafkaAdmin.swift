import CRdKafka
import Logging

/// A topic to create: name, partition count, replication factor and topic configs
/// (for example `cleanup.policy=compact` for the account-reference topic).
public struct KafkaNewTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// Cluster administration: create topics and describe metadata.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let queue = ClientQueue(label: "leadflow.kafka.admin")

    public init(configuration: KafkaClientConfiguration, logger: Logger) throws {
        if configuration.bootstrapServers.isEmpty {
            throw KafkaError(code: .invalidConfiguration, message: "no bootstrap servers ('bootstrap.servers') given")
        }
        let properties = configuration.librdkafkaProperties() + configuration.properties.sorted { $0.key < $1.key }
        client = try RDKafkaClient(kind: .producer, properties: properties, logger: logger)
    }

    deinit {
        client.destroy(timeout: .seconds(10))
    }

    /// Creates topics; a topic that already exists is not an error when `ignoreExisting` is set.
    /// librdkafka 2.0.2's embedded mock cluster does not implement CreateTopics (the call times
    /// out); create topics there with `EmbeddedBroker.createTopic`.
    public func createTopics(_ topics: [KafkaNewTopic], ignoreExisting: Bool = true, timeout: Duration = .seconds(30)) async throws {
        guard !topics.isEmpty else { return }
        try await queue.run { [client] in
            var newTopics: [OpaquePointer?] = []
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            var errorText = [CChar](repeating: 0, count: 512)
            for topic in topics {
                guard let newTopic = rd_kafka_NewTopic_new(
                    topic.name, Int32(topic.partitions), Int32(topic.replicationFactor), &errorText, errorText.count)
                else {
                    throw KafkaError(code: .invalidConfiguration, message: "topic '\(topic.name)': \(String(cChars: errorText))")
                }
                newTopics.append(newTopic)
                for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(newTopic, name, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "topic '\(topic.name)' config '\(name)'") }
                }
            }
            let resultQueue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(resultQueue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, Int32(timeout.milliseconds), &errorText, errorText.count)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errorText, errorText.count)
            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(client.handle, buffer.baseAddress, buffer.count, options, resultQueue)
            }
            guard let event = rd_kafka_queue_poll(resultQueue, Int32(timeout.milliseconds) + 1_000) else {
                throw KafkaError(code: .timedOut, message: "create topics: no answer within \(timeout)", isRetriable: true)
            }
            defer { rd_kafka_event_destroy(event) }
            let eventError = rd_kafka_event_error(event)
            if eventError != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(eventError, "create topics") }
            guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
            for index in 0..<count {
                let err = rd_kafka_topic_result_error(results[index])
                if err == RD_KAFKA_RESP_ERR_NO_ERROR || (ignoreExisting && err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { continue }
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                let text = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
                throw KafkaError(
                    code: .librdkafka, message: "create topic '\(name)': \(text)", librdkafkaCode: err.rawValue)
            }
        }
    }

    /// The current low and high watermarks of a partition. This client never fetches, so the
    /// answer does not wait behind a consumer's long-polling fetch on the same connection.
    public func watermarks(_ partition: KafkaPartition, timeout: Duration = .seconds(5)) async throws -> KafkaWatermarks {
        try await queue.run { [client] in try client.watermarks(partition, timeout: timeout) }
    }

    /// `watermarks` on the caller's thread.
    @available(*, noasync, message: "blocks the thread; use watermarks(_:timeout:)")
    public func watermarksBlocking(_ partition: KafkaPartition, timeout: Duration = .seconds(5)) throws -> KafkaWatermarks {
        try client.watermarks(partition, timeout: timeout)
    }

    /// A topic's partition count (nil when it does not exist), on the caller's thread.
    @available(*, noasync, message: "blocks the thread; use metadata(topic:timeout:)")
    public func partitionCountBlocking(topic: String, timeout: Duration = .seconds(10)) throws -> Int? {
        try client.metadata(topic: topic, timeout: timeout).topic(topic)?.partitionCount
    }

    /// Brokers and topics as the cluster describes them (all topics, or just `topic`).
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaClusterMetadata {
        try await queue.run { [client] in try client.metadata(topic: topic, timeout: timeout) }
    }
}
