import CRdKafka

/// What the cluster says about its brokers and topics.
public struct KafkaClusterMetadata: Sendable, Hashable {
    public struct Broker: Sendable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int32
    }
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitionCount: Int
        /// Set when the broker reported an error for this topic (e.g. unknown topic).
        public var errorCode: Int32?
    }
    public var brokers: [Broker]
    public var topics: [Topic]

    public func topic(_ name: String) -> Topic? { topics.first { $0.name == name && $0.errorCode == nil } }

    init(_ raw: rd_kafka_metadata) {
        brokers = (0..<Int(raw.broker_cnt)).map { index in
            let broker = raw.brokers[index]
            return Broker(id: broker.id, host: String(cString: broker.host), port: broker.port)
        }
        topics = (0..<Int(raw.topic_cnt)).map { index in
            let topic = raw.topics[index]
            return Topic(
                name: String(cString: topic.topic),
                partitionCount: Int(topic.partition_cnt),
                errorCode: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : topic.err.rawValue)
        }
    }
}
