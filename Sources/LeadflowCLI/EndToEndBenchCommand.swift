import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Logging

struct EndToEndBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "The daemon end to end through the embedded broker, against a plain C consumer; snapshot write/restore.",
        discussion: """
            Produces --events events for --accounts accounts to the three signal topics (64 partitions each, \
            so the embedded broker's ~5 MiB per partition drops nothing), then times (1) a plain librdkafka \
            consumer in C reading the same topics with the same consumer settings (the reference) and (2) the \
            daemon (decode, score, route, publish, commit) from its first event to its last, and reports the \
            ratio (target ≥ 0.5) and process CPU per event (target ≤ 1 µs). Then writes and restores one \
            snapshot of the whole state (target ≤ 2 s each at 1,000,000 accounts) and reports peak RSS.
            Event-to-decision latency at a steady 20,000 events/s is not measured yet.
            """
    )

    @Option(help: "Events to produce.")
    var events: Int = 1_000_000

    @Option(help: "Distinct accounts the events are spread over.")
    var accounts: Int = 100_000

    @Option(help: "Partitions per signal topic.")
    var partitions: Int = 64

    @Flag(help: "End with a single-line JSON object of all figures.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var logger = logging.makeLogger(label: "leadflow.bench")
        logger.logLevel = max(logger.logLevel, .error)
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        var configuration = DemoScenario.configuration(bootstrap: broker.bootstrapServerList)
        configuration.kafka.groupID = "bench-e2e"
        configuration.snapshots.directory = FileManager.default.temporaryDirectory.appendingPathComponent("leadflow-bench-\(getpid())").path
        configuration.snapshots.everySeconds = 3_600
        configuration.snapshots.everyEvents = Int.max / 2
        defer { try? FileManager.default.removeItem(atPath: configuration.snapshots.directory) }
        for topic in configuration.topics.inputs { try broker.createTopic(topic, partitions: partitions) }
        for topic in [configuration.topics.routingDecisions, configuration.topics.surgeTriggers, configuration.topics.deadLetters] {
            try broker.createTopic(topic, partitions: 8)
        }
        FileHandle.standardError.write(Data("producing \(events) events…\n".utf8))
        var traffic = SyntheticTraffic(seed: 99)
        let records = traffic.accounts(count: min(accounts, 20_000))
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList)), logger: logger)
        let start: Int64 = 1_788_220_800_000
        for index in 0..<events {
            let account = traffic.random.below(accounts)
            let at = start + Int64(index) * 2_000
            let text = traffic.event(index: index, account: account, at: at)
            let topic = text.contains("\"page_view\"") ? configuration.topics.pageViews : text.contains("\"intent_surge\"") ? configuration.topics.intentSurges : configuration.topics.formSubmissions
            try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array(SyntheticTraffic.domain(account).utf8), value: Array(text.utf8)))
        }
        try await producer.flush(timeout: .seconds(120))
        await producer.close()

        // Reference: a plain C consumer over the same topics and settings.
        var settings = KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList), groupID: "unused")
        settings.partitionAssignmentStrategy = "range"  // as the daemon assigns
        let pattern = "^(" + configuration.topics.inputs.joined(separator: "|") + ")$"
        let reference = try await ReferenceConsumer.rate(
            bootstrap: broker.bootstrapServers, group: "bench-e2e-reference", topic: pattern, expected: events,
            properties: ReferenceConsumer.properties(matching: settings))

        // The daemon.
        FileHandle.standardError.write(Data("running the daemon…\n".utf8))
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: AccountDirectory(records: records)), logger: logger)
        let task = Task { try await daemon.run() }
        var first: ContinuousClock.Instant?
        var cpuAtFirst = 0.0
        let deadline = ContinuousClock.now + .seconds(900)
        while daemon.counters.eventsIn < events && ContinuousClock.now < deadline {
            if first == nil && daemon.counters.eventsIn > 0 {
                first = .now
                cpuAtFirst = Self.processCPUSeconds()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let processed = daemon.counters.eventsIn
        let elapsed = (ContinuousClock.now - (first ?? .now)).seconds
        let cpuPerEvent = (Self.processCPUSeconds() - cpuAtFirst) / Double(max(processed, 1)) * 1e6
        let daemonRate = Double(processed) / max(elapsed, 1e-9)
        let accountsInState = daemon.stateSummary.accounts
        daemon.requestStop()
        try await task.value

        // One snapshot of the whole state: write, then restore.
        var engine = Engine(model: CompiledModel(configuration.model), directory: AccountDirectory(records: records))
        var fill = SyntheticTraffic(seed: 5)
        for account in 0..<max(accountsInState, 1) {
            _ = engine.process(Array(fill.event(index: account, account: account, at: start + Int64(account)).utf8), clock: nil)
        }
        let store = SnapshotStore(directory: configuration.snapshots.directory + "-write", keep: 1)
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        let header = Snapshot.Header(
            task: 0, sequence: 1, writtenAtMilliseconds: 0, configVersion: engine.model.version, inputOffsets: [:], outputWatermarks: [:],
            accounts: engine.state.accounts.count, heldVisitors: 0, identifiedVisitors: 0)
        let writeStart = ContinuousClock.now
        let written = try store.write(Snapshot(header: header, state: engine.state))
        let writeSeconds = (ContinuousClock.now - writeStart).seconds
        let restoreStart = ContinuousClock.now
        let restored = store.loadLatest(task: 0) { _, _ in }
        let restoreSeconds = (ContinuousClock.now - restoreStart).seconds
        guard restored?.state.accounts.count == engine.state.accounts.count else { throw ValidationError("snapshot restore lost accounts") }

        let ratio = daemonRate / reference
        print(String(format: "reference C consumer: %.0f events/s", reference))
        print(String(format: "leadflow daemon: %.0f events/s (%d of %d events, %d accounts); ratio %.3f (target >= 0.5)", daemonRate, processed, events, accountsInState, ratio))
        print(String(format: "CPU per event: %.2f µs (target <= 1.0)", cpuPerEvent))
        print(String(format: "snapshot of %d accounts: write %.2f s, restore %.2f s (target <= 2 s each), %.0f bytes/account", engine.state.accounts.count, writeSeconds, restoreSeconds, Double(written.bytes) / Double(max(engine.state.accounts.count, 1))))
        print("peak RSS: \(ResidentMemory.peakBytes() / 1_048_576) MiB; event-to-decision latency: not measured yet")
        if json {
            let figures: [String: Any] = [
                "benchmark": "e2e", "events": events, "accounts": accountsInState, "reference_events_per_s": reference.rounded(),
                "daemon_events_per_s": daemonRate.rounded(), "ratio": (ratio * 1000).rounded() / 1000, "cpu_us_per_event": (cpuPerEvent * 100).rounded() / 100,
                "snapshot_write_s": (writeSeconds * 100).rounded() / 100, "snapshot_restore_s": (restoreSeconds * 100).rounded() / 100,
                "snapshot_bytes_per_account": (Double(written.bytes) / Double(max(engine.state.accounts.count, 1))).rounded(),
                "peak_rss_mib": ResidentMemory.peakBytes() / 1_048_576,
            ]
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
