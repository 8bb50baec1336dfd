import Foundation
import LeadflowKafka
import Logging

/// A fresh embedded broker per test, with the topics it needs, and clients pointed at it.
struct TestCluster {
    let broker: EmbeddedBroker
    let logger: Logger

    init(brokers: Int = 1, topics: [String: Int] = [:]) throws {
        var logger = Logger(label: "leadflow.test")
        logger.logLevel = .critical
        self.logger = logger
        broker = try EmbeddedBroker(brokers: brokers, logger: logger)
        for (name, partitions) in topics { try broker.createTopic(name, partitions: partitions) }
    }

    var client: KafkaClientConfiguration { KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList) }

    func producer(
        _ adjust: (inout KafkaProducerConfiguration) -> Void = { _ in },
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void = { _ in }
    ) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.linger = .milliseconds(1)
        adjust(&configuration)
        return try KafkaProducer(configuration: configuration, logger: logger, onDelivery: onDelivery)
    }

    func consumer(group: String, hooks: KafkaRebalanceHooks = .init(), _ adjust: (inout KafkaConsumerConfiguration) -> Void = { _ in }) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: group)
        configuration.sessionTimeout = .seconds(6)
        adjust(&configuration)
        return try KafkaConsumer(configuration: configuration, hooks: hooks, logger: logger)
    }

    /// Polls until `count` messages arrived or `attempts` empty polls passed.
    static func drain(_ consumer: KafkaConsumer, count: Int, maxEmptyPolls: Int = 100) async throws -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        var empty = 0
        while messages.count < count && empty < maxEmptyPolls {
            let batch = try await consumer.poll(maxMessages: 500, timeout: .milliseconds(100))
            if batch.isEmpty { empty += 1 } else { messages += batch }
        }
        return messages
    }
}

/// A value several tasks or callbacks update under a lock.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func with<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
    var current: Value { with { $0 } }
}
