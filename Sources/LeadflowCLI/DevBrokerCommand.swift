import ArgumentParser
import Foundation
import LeadflowKafka
import Logging

struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an in-memory Kafka broker for development and tests (not for production).",
        discussion: """
            Starts librdkafka's built-in mock cluster: a real Kafka-wire-protocol broker over TCP on \
            127.0.0.1, holding everything in memory. It prints the bootstrap address on standard output \
            (the ports are chosen by the broker) and runs until SIGINT or SIGTERM. Production points \
            `brokers` at a real Kafka cluster instead.

            Limits: each partition keeps only about 5 MiB (at most 100,000 batches) and older data is \
            silently dropped, so give long runs many partitions (for 1,000,000 events of ~200 bytes, 64 or \
            more) or consume while producing. Timestamp lookups (offsets-for-times) are not answered, \
            read_committed is not enforced, CreateTopics is not implemented (use --topic), and a consumer \
            group's first join takes about 3 seconds.
            """
    )

    @Option(help: "Number of brokers (ids 1…N).")
    var brokers: Int = 1

    @Option(name: .customLong("topic"), help: "A topic to create, as NAME:PARTITIONS. Repeatable.")
    var topics: [TopicSpec] = []

    @Option(help: "Also write the bootstrap address to this file (written atomically), for scripts.")
    var bootstrapFile: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "leadflow.dev-broker")
        let broker = try EmbeddedBroker(brokers: brokers, logger: logger)
        for topic in topics { try broker.createTopic(topic.name, partitions: topic.partitions) }
        if let bootstrapFile {
            try Data((broker.bootstrapServers + "\n").utf8).write(to: URL(fileURLWithPath: bootstrapFile), options: .atomic)
        }
        // Written in one call so scripts reading a pipe see the line at once.
        FileHandle.standardOutput.write(Data((broker.bootstrapServers + "\n").utf8))
        logger.info(
            "embedded broker running (in memory, for development and tests)",
            metadata: ["bootstrap": "\(broker.bootstrapServers)", "topics": "\(topics.map(\.description))"])
        let signal = await TerminationSignal.wait()
        logger.info("stopping embedded broker", metadata: ["signal": "\(signal)"])
        withExtendedLifetime(broker) {}
    }
}

/// `NAME:PARTITIONS` from the command line.
struct TopicSpec: ExpressibleByArgument, CustomStringConvertible {
    var name: String
    var partitions: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"),
            let partitions = Int(argument[argument.index(after: colon)...]), partitions >= 1,
            colon != argument.startIndex
        else { return nil }
        name = String(argument[..<colon])
        self.partitions = partitions
    }

    var description: String { "\(name):\(partitions)" }
}
