import Logging
import Testing

@testable import LeadflowKafka

@Suite("Kafka properties reach only the clients they apply to", .serialized, .timeLimit(.minutes(1)))
struct PropertyScopeTests {
    @Test("the scope table comes from the linked librdkafka: consumer, producer and shared properties")
    func scopesFromLibrdkafka() {
        #expect(KafkaPropertyScope.byName["fetch.wait.max.ms"] == ["C"])
        #expect(KafkaPropertyScope.byName["linger.ms"] == ["P"])
        #expect(KafkaPropertyScope.byName["client.id"] == ["*"])
        #expect(KafkaPropertyScope.byName.count > 100, "librdkafka documents well over a hundred properties")
        #expect(KafkaPropertyScope.applies("fetch.wait.max.ms", to: .consumer))
        #expect(!KafkaPropertyScope.applies("fetch.wait.max.ms", to: .producer))
        #expect(KafkaPropertyScope.applies("linger.ms", to: .producer))
        #expect(!KafkaPropertyScope.applies("linger.ms", to: .consumer))
        #expect(KafkaPropertyScope.applies("security.protocol", to: .consumer) && KafkaPropertyScope.applies("security.protocol", to: .producer))
        #expect(KafkaPropertyScope.applies("no.such.property", to: .producer), "unknown names pass on, so librdkafka names them in its error")
    }

    @Test("rows of both tables are read; headers, rules and prose are not")
    func parsesTable() {
        let table = """
            ## Global configuration properties

            Property                                 | C/P | Range           |       Default | Importance | Description
            -----------------------------------------|-----|-----------------|--------------:|------------| ----------
            client.id                                |  *  |                 |       rdkafka | low        | Client identifier. <br>*Type: string*
            fetch.wait.max.ms                        |  C  | 0 .. 300000     |           500 | low        | Maximum time | with a bar
            ## Topic configuration properties
            compression.codec                        |  P  | none, gzip      |       inherit | high       | Codec.
            compression.codec                        |  *  | none, gzip      |       inherit | high       | Same name, other table.
            """
        let scopes = KafkaPropertyScope.parse(table)
        #expect(scopes == ["client.id": ["*"], "fetch.wait.max.ms": ["C"], "compression.codec": ["P", "*"]])
    }

    @Test("one shared property set gives librdkafka no property it ignores, and an unknown one still fails by name")
    func sharedPropertiesRaiseNoWarning() async throws {
        let cluster = try TestCluster(topics: ["scoped": 1])
        let captured = CapturedLog()
        var logger = Logger(label: "leadflow.test") { _ in captured }
        logger.logLevel = .warning
        var client = cluster.client
        client.properties = ["fetch.wait.max.ms": "10", "linger.ms": "2", "socket.keepalive.enable": "true"]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "scoped"), logger: logger)
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        _ = try await producer.send(KafkaOutgoingMessage(topic: "scoped", key: nil, value: Array("x".utf8)))
        try await producer.flush(timeout: .seconds(10))
        let warnings = captured.lines.filter { $0.contains("will be ignored") || $0.contains("CONFWARN") }
        #expect(warnings.isEmpty, "\(warnings)")
        _ = admin
        await producer.close()
        await consumer.close()

        client.properties["no.such.property"] = "1"
        #expect {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        } throws: { error in
            "\(error)".contains("no.such.property")
        }
    }
}

/// Every log line a test's clients wrote, with its metadata.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let stored = Locked<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var lines: [String] { stored.current }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        stored.with { $0.append("\(event.level) \(event.message) \(fields)") }
    }
}
