import LeadflowConfig
import LeadflowEngine
import LeadflowKafka
import Logging
import Synchronization

/// Why the daemon cannot start.
public struct DaemonStartError: Error, CustomStringConvertible {
    public var description: String
}

extension Daemon {
    /// Reads the compacted account-reference topic (topics.accounts) from its beginning with a
    /// consumer of its own that commits nothing: every instance needs every account.
    func startReferenceReader() async throws -> KafkaConsumer? {
        guard let topic = options.configuration.topics.accounts else { return nil }
        // All topics' metadata: asking for one topic by name makes brokers that auto-create topics
        // (and the embedded one) create it.
        guard let count = try await admin.metadata().topic(topic)?.partitionCount, count > 0 else {
            throw DaemonStartError(description: "the account-reference topic '\(topic)' (topics.accounts) does not exist on the cluster; create it (cleanup.policy=compact) or remove the setting")
        }
        var configuration = KafkaConsumerConfiguration(client: clientConfiguration, groupID: options.configuration.kafka.groupID + ".reference")
        configuration.queuedMinMessages = 100_000
        configuration.recordsEndOfPartition = true
        let reader = try KafkaConsumer(configuration: configuration, logger: logger)
        var starts: [KafkaPartition: Int64] = [:]
        for number in 0..<Int32(count) { starts[KafkaPartition(topic: topic, partition: number)] = KafkaOffset.beginning }
        try reader.assign(starts)
        core.withLock { $0.reference = ReferenceRuntime(topic: topic, partitions: count) }
        logger.info("reading the account-reference topic", metadata: ["topic": "\(topic)", "partitions": "\(count)"])
        return reader
    }

    func acceptReferences(_ batch: [KafkaMessage], into core: inout DaemonCore) {
        guard core.reference != nil else { return }
        for message in batch where message.topic == core.reference!.topic {
            let index = Int(message.partition)
            guard index < core.reference!.queues.count else { continue }
            let next = core.reference!.next[index]
            let lastBuffered = core.reference!.queues[index].lastOffset ?? -1
            if message.offset < next || message.offset <= lastBuffered { continue }
            core.reference!.queues[index].append(message)
        }
    }

    /// One reference record (already taken from its queue) into the directory, in merge order.
    func applyReference(_ message: KafkaMessage, partition index: Int, core: inout DaemonCore) {
        core.reference!.next[index] = message.offset + 1
        switch core.engine.directory.applyReference(key: message.key, value: message.value) {
        case .success:
            core.counters.referenceRecords += 1
        case .failure(let rejection):
            core.counters.referenceRejected += 1
            logger.warning(
                "account-reference record rejected", metadata: [
                    "source": "\(message.topic):\(message.partition):\(message.offset)", "reason": "\(rejection.json)",
                ])
        }
    }
}
