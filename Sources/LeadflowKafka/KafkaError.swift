import CRdKafka

/// An error from the Kafka layer: what went wrong, in words that name the thing at fault,
/// plus the librdkafka code when librdkafka reported it, and whether trying again can help.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Extensible: new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case invalidConfiguration, unknownProperty, clientCreation, librdkafka, timedOut
            case timestampNotFound, queueFull, closed, notConnected, embeddedBroker
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A property has a value librdkafka (or Leadflow) rejects.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A property name librdkafka does not know.
        public static let unknownProperty = Code(.unknownProperty)
        /// librdkafka refused to create a client from an otherwise valid configuration.
        public static let clientCreation = Code(.clientCreation)
        /// librdkafka reported an error; see `librdkafkaCode`.
        public static let librdkafka = Code(.librdkafka)
        /// A blocking operation did not finish within its timeout.
        public static let timedOut = Code(.timedOut)
        /// The broker returned no offset for a timestamp lookup.
        public static let timestampNotFound = Code(.timestampNotFound)
        /// The producer's in-flight limit is reached; wait for deliveries and retry.
        public static let queueFull = Code(.queueFull)
        /// The client was closed.
        public static let closed = Code(.closed)
        /// No broker could be reached.
        public static let notConnected = Code(.notConnected)
        /// The embedded (mock) broker could not be started or driven.
        public static let embeddedBroker = Code(.embeddedBroker)

        public var description: String { kind.rawValue }
    }

    public let code: Code
    /// A sentence naming what failed; never contains secret values.
    public let message: String
    /// The librdkafka `rd_kafka_resp_err_t` value, when librdkafka reported the error.
    public let librdkafkaCode: Int32?
    /// The client cannot continue (for example a fatal idempotent-producer error).
    public let isFatal: Bool
    /// The same operation may succeed if tried again later.
    public let isRetriable: Bool

    public init(code: Code, message: String, librdkafkaCode: Int32? = nil, isFatal: Bool = false, isRetriable: Bool = false) {
        self.code = code
        self.message = message
        self.librdkafkaCode = librdkafkaCode
        self.isFatal = isFatal
        self.isRetriable = isRetriable
    }

    public var description: String {
        var text = "KafkaError.\(code): \(message)"
        if let librdkafkaCode { text += " [librdkafka \(KafkaError.name(of: librdkafkaCode)) (\(librdkafkaCode))]" }
        if isFatal { text += " (fatal)" } else if isRetriable { text += " (retriable)" }
        return text
    }

    /// Wraps a librdkafka error code, with `context` saying what Leadflow was doing.
    static func rdKafka(_ err: rd_kafka_resp_err_t, _ context: String) -> KafkaError {
        let code = err.rawValue
        let text = String(cString: rd_kafka_err2str(err))
        return KafkaError(
            code: err == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timedOut : .librdkafka,
            message: "\(context): \(text)",
            librdkafkaCode: code,
            isFatal: err == RD_KAFKA_RESP_ERR__FATAL,
            isRetriable: isRetriable(err)
        )
    }

    /// librdkafka's symbolic name for a code, e.g. `_MSG_TIMED_OUT`.
    public static func name(of code: Int32) -> String {
        String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
    }

    /// Codes that describe a passing condition (a broker away, a leader moving, a full queue).
    private static func isRetriable(_ err: rd_kafka_resp_err_t) -> Bool {
        switch err {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
            RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__IN_PROGRESS, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
            return true
        default:
            return false
        }
    }
}
