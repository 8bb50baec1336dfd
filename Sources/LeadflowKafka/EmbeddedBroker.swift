import CRdKafka
import Logging

/// librdkafka's built-in mock cluster: a real Kafka-wire-protocol broker over TCP on
/// 127.0.0.1, kept entirely in memory. For development and tests only; production points
/// `brokers` at a real Kafka cluster.
///
/// Limits of librdkafka 2.0.2's mock worth knowing: it keeps only about 5 MiB (and at most
/// 100,000 batches) per partition and silently drops older data, so long runs need many
/// partitions; it answers timestamp lookups with -1; it does not enforce `read_committed`;
/// a consumer group's first join takes about 3 seconds.
public final class EmbeddedBroker: Sendable {
    /// Kafka protocol API keys, for injecting errors into specific requests.
    public enum APIKey: Int16, Sendable {
        case produce = 0, fetch = 1, listOffsets = 2, metadata = 3, offsetCommit = 8, offsetFetch = 9
        case findCoordinator = 10, joinGroup = 11, heartbeat = 12, leaveGroup = 13, syncGroup = 14
        case initProducerID = 22
    }

    private let cluster: UncheckedBox<OpaquePointer>
    /// Comma-separated `host:port` list to give clients as `bootstrap.servers`.
    public let bootstrapServers: String
    public let brokerCount: Int

    /// Starts `brokers` brokers (ids 1…N) on ports of the mock's own choosing.
    public init(brokers: Int = 1, logger: Logger) throws {
        guard (1...32).contains(brokers) else {
            throw KafkaError(code: .embeddedBroker, message: "--brokers must be between 1 and 32, got \(brokers)")
        }
        // The mock cluster lives inside a client handle; this one does nothing else.
        let client = try RDKafkaClient(kind: .producer, properties: [("log_level", "3")], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(code: .embeddedBroker, message: "librdkafka could not start its mock cluster")
        }
        self.cluster = UncheckedBox(cluster)
        self.client = client
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerCount = brokers
    }

    private let client: RDKafkaClient

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.value)
        client.destroy(timeout: .seconds(10))
    }

    /// Bootstrap servers as a list, ready for `KafkaClientConfiguration`.
    public var bootstrapServerList: [String] { bootstrapServers.split(separator: ",").map(String.init) }

    /// Creates a topic with `partitions` partitions, replicated up to the broker count.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        guard partitions >= 1 else {
            throw KafkaError(code: .embeddedBroker, message: "topic '\(name)' needs at least one partition, got \(partitions)")
        }
        let err = rd_kafka_mock_topic_create(cluster.value, name, Int32(partitions), Int32(min(replicationFactor, brokerCount)))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "create topic '\(name)' on the embedded broker") }
    }

    /// Makes a broker stop answering (connections are closed and refused) until `setBrokerUp`.
    public func setBrokerDown(_ id: Int32) throws {
        let err = rd_kafka_mock_broker_set_down(cluster.value, id)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "set broker \(id) down") }
    }

    public func setBrokerUp(_ id: Int32) throws {
        let err = rd_kafka_mock_broker_set_up(cluster.value, id)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "set broker \(id) up") }
    }

    /// Makes `broker` the leader of one partition, or, with nil, leaves the partition without a
    /// leader: it can then be neither read nor written, and its watermarks cannot be asked,
    /// until a leader is set again. Its records are kept.
    public func setPartitionLeader(_ topic: String, partition: Int32, broker: Int32?) throws {
        let err = rd_kafka_mock_partition_set_leader(cluster.value, topic, partition, broker ?? -1)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "set the leader of \(topic)[\(partition)]") }
    }

    /// The next `errors.count` requests of this kind (to any broker) fail with these librdkafka
    /// error codes, in order.
    public func pushRequestErrors(_ api: APIKey, _ errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.value, api.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Drops the errors still queued by `pushRequestErrors` for this kind of request.
    public func clearRequestErrors(_ api: APIKey) {
        rd_kafka_mock_clear_request_errors(cluster.value, api.rawValue)
    }
}

/// Named Kafka protocol error codes used with `EmbeddedBroker.pushRequestErrors`.
public enum KafkaProtocolError {
    public static let notLeaderForPartition = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
    public static let requestTimedOut = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
    public static let notCoordinator = RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue
    public static let coordinatorLoadInProgress = RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue
    public static let rebalanceInProgress = RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue
    public static let topicAuthorizationFailed = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue
    public static let groupAuthorizationFailed = RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED.rawValue
    public static let messageTimedOut = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue
}
