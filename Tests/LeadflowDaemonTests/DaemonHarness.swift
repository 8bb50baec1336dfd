import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Logging

/// An embedded broker with Leadflow's topics, configs pointing at it, and helpers to produce
/// with kcat, run the daemon in-process and read what it published.
final class DaemonHarness: @unchecked Sendable {
    let broker: EmbeddedBroker
    let logger: Logger
    let folder: String
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    init(inputPartitions: Int = 2) throws {
        var logger = Logger(label: "leadflow.daemon-test")
        logger.logLevel = ProcessInfo.processInfo.environment["LEADFLOW_TEST_LOG"].map { Logger.Level(rawValue: $0) ?? .info } ?? .critical
        self.logger = logger
        broker = try EmbeddedBroker(brokers: 1, logger: logger)
        for topic in ["page-views", "intent-surges", "form-submissions"] { try broker.createTopic(topic, partitions: inputPartitions) }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("leadflow-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A configuration with its own group, output topics (created here) and snapshot folder.
    func configuration(name: String, snapshotEvery: Int = 1_000) throws -> LeadflowConfiguration {
        var configuration = try LeadflowConfiguration.load(path: Self.repository.appendingPathComponent("Tests/LeadflowEngineTests/Scenarios/fortnight.yaml").path)
        configuration.kafka.brokers = broker.bootstrapServerList
        configuration.kafka.groupID = "group-\(name)"
        configuration.topics.routingDecisions = "decisions-\(name)"
        configuration.topics.surgeTriggers = "triggers-\(name)"
        configuration.topics.deadLetters = "dead-\(name)"
        configuration.snapshots.directory = folder + "/state-\(name)"
        configuration.snapshots.everyEvents = snapshotEvery
        configuration.snapshots.everySeconds = 3_600
        configuration.shutdownTimeoutSeconds = 10
        configuration.admin.address = "127.0.0.1:0"
        try broker.createTopic(configuration.topics.routingDecisions, partitions: 2)
        try broker.createTopic(configuration.topics.surgeTriggers, partitions: 2)
        try broker.createTopic(configuration.topics.deadLetters, partitions: 1)
        return configuration
    }

    func directory(_ configuration: LeadflowConfiguration) throws -> AccountDirectory {
        let text = try String(contentsOfFile: configuration.accountsFile!, encoding: .utf8)
        return AccountDirectory(records: AccountDirectory.parseJSONLines(text).records)
    }

    /// Produces lines with kcat (an independent client), keyed by account domain, one topic at a time.
    func produceWithKcat(_ lines: [String]) throws {
        var byTopic: [String: [String]] = [:]
        for line in lines {
            let topic = line.contains("\"page_view\"") ? "page-views" : line.contains("\"intent_surge\"") ? "intent-surges" : "form-submissions"
            byTopic[topic, default: []].append(Self.key(of: line) + "\t" + line)
        }
        for topic in ["page-views", "intent-surges", "form-submissions"] {
            guard let entries = byTopic[topic] else { continue }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["kcat", "-P", "-b", broker.bootstrapServers, "-t", topic, "-K", "\t"]
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data((entries.joined(separator: "\n") + "\n").utf8))
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
    }

    /// The partition key upstream would use: the account domain, else the visitor.
    static func key(of line: String) -> String {
        for field in ["account_domain", "email", "visitor_id"] {
            guard let range = line.range(of: "\"\(field)\":\"") else { continue }
            let value = line[range.upperBound...].prefix { $0 != "\"" }
            if field == "email", let at = value.lastIndex(of: "@") { return String(value[value.index(after: at)...]).lowercased() }
            return String(value).lowercased()
        }
        return "unkeyed"
    }

    /// Runs the daemon until it has processed `events` inputs, then stops it gracefully.
    func runDaemon(
        _ configuration: LeadflowConfiguration, until events: Int, timeout: Duration = .seconds(60), adjust: (inout Daemon.Options) -> Void = { _ in }
    ) async throws -> DaemonCounters {
        var options = Daemon.Options(configuration: configuration, directory: try directory(configuration))
        adjust(&options)
        let daemon = try Daemon(options: options, logger: logger)
        let task = Task { try await daemon.run() }
        let deadline = ContinuousClock.now + timeout
        while daemon.counters.eventsIn < events && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        daemon.requestStop()
        try await task.value
        return daemon.counters
    }

    /// Every message of the output topics, in partition order.
    func published(_ configuration: LeadflowConfiguration) async throws -> [KafkaMessage] {
        try await readAll([(configuration.topics.routingDecisions, 2), (configuration.topics.surgeTriggers, 2), (configuration.topics.deadLetters, 1)])
    }

    /// The live group's committed offsets on the input partitions (2 each).
    func committed(_ configuration: LeadflowConfiguration) async throws -> [KafkaPartition: Int64] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList), groupID: configuration.kafka.groupID),
            logger: logger)
        let partitions = configuration.topics.inputs.flatMap { topic in (0..<Int32(2)).map { KafkaPartition(topic: topic, partition: $0) } }
        let offsets = try await consumer.committed(partitions)
        await consumer.close(timeout: .seconds(5))
        return offsets
    }

    /// Every message of these topics (name, partition count), read from the beginning to the
    /// high watermarks seen when the read starts.
    func readAll(_ topics: [(String, Int)]) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList), groupID: "reader"), logger: logger)
        var starts: [KafkaPartition: Int64] = [:]
        var total: Int64 = 0
        for (topic, count) in topics {
            for partition in 0..<Int32(count) {
                let key = KafkaPartition(topic: topic, partition: partition)
                starts[key] = KafkaOffset.beginning
                total += try await consumer.watermarks(key).high
            }
        }
        try consumer.assign(starts)
        var messages: [KafkaMessage] = []
        var idle = 0
        while messages.count < Int(total) && idle < 50 {
            let batch = try await consumer.poll(maxMessages: 1_000, timeout: .milliseconds(100))
            idle = batch.isEmpty ? idle + 1 : 0
            messages += batch
        }
        await consumer.close(timeout: .seconds(5))
        return messages
    }
}

extension KafkaMessage {
    var text: String { String(decoding: value, as: UTF8.self) }
    func headerText(_ name: String) -> String? { header(name)?.value.map { String(decoding: $0, as: UTF8.self) } }
}
