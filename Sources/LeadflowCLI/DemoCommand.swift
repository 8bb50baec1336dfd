import ArgumentParser
import LeadflowKafka
import Logging

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the embedded broker and show a Kafka round trip (the scoring job joins once the engine lands)."
    )

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "leadflow.demo")
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        print("embedded broker (in memory) at \(broker.bootstrapServers)")
        try broker.createTopic("page-views", partitions: 4)
        let client = KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        let domains = ["northwind.example", "contoso.example", "fabrikam.example", "initech.example"]
        for (index, domain) in domains.enumerated() {
            let event = #"{"type":"page_view","event_id":"pv-\#(index)","occurred_at":"2026-11-23T10:0\#(index):00Z","visitor_id":"v-\#(index)","account_domain":"\#(domain)","url":"https://leadflow.example/pricing"}"#
            let report = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "page-views", key: Array(domain.utf8), value: Array(event.utf8)))
            print("produced \(domain) -> page-views[\(report.partition)]@\(report.offset)")
        }
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "leadflow-demo"), logger: logger)
        try consumer.subscribe(topics: ["page-views"])
        print("joining consumer group 'leadflow-demo' (the embedded broker takes ~3 s for a first join)…")
        var received: [KafkaMessage] = []
        for _ in 0..<200 where received.count < domains.count {
            received += try await consumer.poll(maxMessages: 100, timeout: .milliseconds(100))
        }
        for message in received.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            print("consumed \(message.topicPartition)@\(message.offset) key=\(String(decoding: message.key ?? [], as: UTF8.self)) \(message.value.count) bytes")
        }
        try await consumer.commit(Dictionary(grouping: received, by: \.topicPartition).mapValues { ($0.map(\.offset).max() ?? -1) + 1 })
        await consumer.close()
        await producer.close()
        guard received.count == domains.count else {
            throw ValidationError("round trip incomplete: received \(received.count) of \(domains.count)")
        }
        print("round trip complete: \(received.count) events produced, consumed and committed")
    }
}
