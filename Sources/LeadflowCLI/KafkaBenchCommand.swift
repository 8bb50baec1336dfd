import ArgumentParser
import Dispatch
import Foundation
import LeadflowKafka
import Logging

struct KafkaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Produce N small messages to the embedded broker and consume them back through a consumer group.",
        discussion: """
            The ceiling is a plain librdkafka consumer loop in C, run in a child process with glibc's \
            default allocator settings over the same topic with the same consumer settings; Leadflow's \
            consumer rate is printed as a ratio of it \
            (target: at least 0.8). Rates are timed from the first message received to the last, so the \
            embedded broker's ~3 s group join is not counted.
            """
    )

    @Option(help: "Messages to produce and consume.")
    var messages: Int = 1_000_000

    @Option(help: "Partitions of the benchmark topic (the embedded broker keeps ~5 MiB per partition).")
    var partitions: Int = 64

    @Option(help: "Approximate size of each message in bytes.")
    var messageSize: Int = 200

    @Option(help: "Consumer rounds; each round measures the reference then Leadflow, and the best of each is kept.")
    var rounds: Int = 3

    @Flag(help: "End with a single-line JSON object of all figures.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard messages > 0 else { throw ValidationError("--messages must be positive") }
        guard partitions > 0 else { throw ValidationError("--partitions must be positive") }
        guard messageSize >= 16 else { throw ValidationError("--message-size must be at least 16") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        let perPartition = messages / partitions * (messageSize + 70)
        if perPartition > 4_500_000 {
            throw ValidationError(
                "\(messages) messages of \(messageSize) bytes over \(partitions) partitions exceed the embedded broker's ~5 MiB per partition; use more --partitions")
        }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "leadflow.bench")
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        let topic = "bench-page-views"
        try broker.createTopic(topic, partitions: partitions)
        let client = KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList)

        let produceRate = try await produce(client: client, topic: topic, logger: logger)
        report("produce", rate: produceRate)

        var best = (reference: 0.0, leadflow: 0.0)
        let consumerDefaults = KafkaConsumerConfiguration(client: client, groupID: "unused")
        for round in 1...rounds {
            let reference = try await ReferenceConsumer.rate(
                bootstrap: broker.bootstrapServers, group: "bench-reference-\(round)", topic: topic, expected: messages,
                properties: ReferenceConsumer.properties(matching: consumerDefaults))
            report("reference C consumer (round \(round))", rate: reference)
            let ours = try await leadflowConsume(client: client, topic: topic, group: "bench-leadflow-\(round)", logger: logger)
            report("leadflow consumer (round \(round))", rate: ours)
            best = (max(best.reference, reference), max(best.leadflow, ours))
        }
        let ratio = best.leadflow / best.reference
        print(String(format: "consumer ratio (leadflow / reference): %.2f (target >= 0.80)", ratio))
        if json {
            let figures: [String: Any] = [
                "benchmark": "kafka", "messages": messages, "partitions": partitions, "message_bytes": messageSize,
                "produce_msgs_per_s": produceRate.rounded(), "reference_consume_msgs_per_s": best.reference.rounded(),
                "leadflow_consume_msgs_per_s": best.leadflow.rounded(), "consume_ratio": (ratio * 1000).rounded() / 1000,
                "queued_min_messages": consumerDefaults.queuedMinMessages,
            ]
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func report(_ label: String, rate: Double) {
        print(String(format: "%@: %.0f messages/s", label, rate))
    }

    /// Realistic page-view-sized payloads, padded to `messageSize`.
    private func payload(_ index: Int) -> [UInt8] {
        var text = #"{"type":"page_view","event_id":"pv-\#(index)","occurred_at":1763900000000,"visitor_id":"v-\#(index % 50_000)","account_domain":"acct\#(index % 100_000).example.com","url":"https://leadflow.example/pricing""#
        let padding = max(0, messageSize - text.utf8.count - 2)
        text += #","p":""# + String(repeating: "x", count: max(0, padding - 6)) + #""}"#
        return Array(text.utf8)
    }

    private func produce(client: KafkaClientConfiguration, topic: String, logger: Logger) async throws -> Double {
        let failures = FailureCount()
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger) { report in
            if !report.isDelivered { failures.add() }
        }
        let start = ContinuousClock.now
        for index in 0..<messages {
            try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array("acct\(index % 100_000)".utf8), value: payload(index)))
        }
        try await producer.flush(timeout: .seconds(120))
        let elapsed = ContinuousClock.now - start
        await producer.close()
        if failures.value > 0 { throw KafkaError(code: .librdkafka, message: "\(failures.value) messages were not delivered") }
        return Double(messages) / elapsed.seconds
    }

    private func leadflowConsume(client: KafkaClientConfiguration, topic: String, group: String, logger: Logger) async throws -> Double {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: group), logger: logger)
        try consumer.subscribe(topics: [topic])
        var received = 0
        var bytes = 0
        var first: ContinuousClock.Instant?
        var last = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(300)
        while received < messages && ContinuousClock.now < deadline {
            let batch = try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(100))
            guard !batch.isEmpty else { continue }
            if first == nil { first = .now }
            received += batch.count
            for message in batch { bytes &+= message.value.count }
            last = .now
        }
        await consumer.close(timeout: .seconds(10))
        guard received >= messages, let first else {
            throw KafkaError(code: .timedOut, message: "leadflow consumer received \(received) of \(messages) messages")
        }
        return Double(received) / (last - first).seconds
    }
}

/// Counts failed deliveries from the producer's poll thread.
private final class FailureCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
