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
            consumer in C (in a child process with default allocator settings) reading the same topics with the same consumer settings (the reference) and (2) the \
            daemon (decode, score, route, publish, commit) from its first event to its last, and reports the \
            ratio (target ≥ 0.5) and process CPU per event (target ≤ 1 µs). Then writes and restores one \
            snapshot of the whole state (target ≤ 2 s each at 1,000,000 accounts) and reports peak RSS. \
            Last, the daemon runs again while events arrive at a steady --latency-rate for --latency-seconds, \
            each stamped with the time it was produced, and the bench reports event-to-decision latency \
            (p50, p99, max): from an event's production to the moment the daemon hands the decision or \
            trigger it caused to its producer.
            """
    )

    @Option(help: "Events to produce.")
    var events: Int = 1_000_000

    @Option(help: "Distinct accounts the events are spread over.")
    var accounts: Int = 100_000

    @Option(help: "Partitions per signal topic.")
    var partitions: Int = 64

    @Option(help: "Accounts in the snapshot phase (the state copied under the lock, written and restored).")
    var snapshotAccounts: Int = 1_000_000

    @Option(help: "Events per second in the latency phase (0 skips it).")
    var latencyRate: Int = 20_000

    @Option(help: "Seconds of steady traffic in the latency phase.")
    var latencySeconds: Int = 15

    @Option(help: "Seconds between periodic snapshots of each task while the daemon runs (0: none, so the phases measure processing alone).")
    var snapshotEverySeconds: Double = 0

    @Option(help: "The daemon's kafka.merge_grace_ms (how long a record waits for partitions read to their end), to measure what it costs in latency.")
    var mergeGraceMs: Int = 0

    @Flag(help: "End with a single-line JSON object of all figures.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        let range = KafkaSettings.mergeGraceRange
        guard range.contains(mergeGraceMs) else {
            throw ValidationError("--merge-grace-ms must be from \(range.lowerBound) to \(range.upperBound), got \(mergeGraceMs)")
        }
    }

    func run() async throws {
        var logger = logging.makeLogger(label: "leadflow.bench")
        logger.logLevel = max(logger.logLevel, .error)
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        var configuration = DemoScenario.configuration(bootstrap: broker.bootstrapServerList)
        configuration.kafka.groupID = "bench-e2e"
        configuration.kafka.mergeGraceMilliseconds = mergeGraceMs
        configuration.snapshots.directory = FileManager.default.temporaryDirectory.appendingPathComponent("leadflow-bench-\(getpid())").path
        configuration.snapshots.everySeconds = snapshotEverySeconds > 0 ? snapshotEverySeconds : 3_600
        configuration.snapshots.everyEvents = Int.max / 2
        defer { try? FileManager.default.removeItem(atPath: configuration.snapshots.directory) }
        for topic in configuration.topics.inputs { try broker.createTopic(topic, partitions: partitions) }
        for topic in [configuration.topics.routingDecisions, configuration.topics.surgeTriggers, configuration.topics.deadLetters] {
            try broker.createTopic(topic, partitions: 8)
        }
        FileHandle.standardError.write(Data("producing \(events) events…\n".utf8))
        var traffic = SyntheticTraffic(seed: 99)
        let records = traffic.accounts(count: min(accounts, 20_000))
        // The events are loaded in large batches, as a busy producer would write them. The
        // embedded broker finds a fetch's position by walking a partition's batches one by one,
        // so small batches made every fetch cost grow with the partition: it took a quarter of
        // the CPU and held the reference consumer to about a third of its speed (640k/s against
        // 1.7-1.8M/s with these batches), which flattered the ratio.
        var loaderConfiguration = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList))
        loaderConfiguration.linger = .milliseconds(100)
        let producer = try KafkaProducer(configuration: loaderConfiguration, logger: logger)
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
            properties: ReferenceConsumer.properties(matching: settings) + configuration.kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })

        // The daemon.
        FileHandle.standardError.write(Data("running the daemon…\n".utf8))
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: AccountDirectory(records: records)), logger: logger)
        let task = Task { try await daemon.run() }
        // Timed from the last sample that saw nothing processed (joining the group is not
        // counted), so every processed event lies inside the interval.
        // Progress is read without the daemon's state lock, so polling does not contend with the loop.
        var first: ContinuousClock.Instant?
        var cpuAtFirst = 0.0
        let deadline = ContinuousClock.now + .seconds(900)
        while daemon.eventsApplied < events && ContinuousClock.now < deadline {
            if daemon.eventsApplied == 0 {
                first = .now
                cpuAtFirst = Self.processCPUSeconds() - Self.embeddedBrokerCPUSeconds()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let processed = daemon.eventsApplied
        let elapsed = (ContinuousClock.now - (first ?? .now)).seconds
        // The embedded broker runs in this process: its threads' CPU is the broker's, not Leadflow's.
        let cpuPerEvent = (Self.processCPUSeconds() - Self.embeddedBrokerCPUSeconds() - cpuAtFirst) / Double(max(processed, 1)) * 1e6
        let daemonRate = Double(processed) / max(elapsed, 1e-9)
        let accountsInState = daemon.stateSummary.accounts
        daemon.requestStop()
        try await task.value

        // One snapshot of the whole state: write, then restore.
        let snapshot = try SnapshotBenchmark.run(
            model: CompiledModel(configuration.model), records: records, accounts: snapshotAccounts,
            directory: configuration.snapshots.directory + "-write")

        let latency = latencyRate > 0
            ? try await measureLatency(configuration: configuration, records: records, broker: broker, logger: logger, firstIndex: events)
            : nil

        let ratio = daemonRate / reference
        print(String(format: "reference C consumer: %.0f events/s", reference))
        print(String(format: "leadflow daemon: %.0f events/s (%d of %d events, %d accounts); ratio %.3f (target >= 0.5)", daemonRate, processed, events, accountsInState, ratio))
        print(String(format: "CPU per event: %.2f µs, the process less the embedded broker's threads (target <= 1.0)", cpuPerEvent))
        print(snapshot.summary)
        print("peak RSS: \(ResidentMemory.peakBytes() / 1_048_576) MiB")
        if let latency {
            print(String(
                format: "event-to-decision latency at %.0f events/s offered (%.0f achieved): p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d outputs",
                Double(latencyRate), latency.achievedRate, latency.p50, latency.p99, latency.max, latency.samples))
        }
        if json {
            let figures: [String: Any] = [
                "benchmark": "e2e", "events": events, "accounts": accountsInState, "reference_events_per_s": reference.rounded(),
                "daemon_events_per_s": daemonRate.rounded(), "ratio": (ratio * 1000).rounded() / 1000, "cpu_us_per_event": (cpuPerEvent * 100).rounded() / 100,
                "peak_rss_mib": ResidentMemory.peakBytes() / 1_048_576,
                "latency_rate_offered": latencyRate, "latency_rate_achieved": (latency?.achievedRate ?? 0).rounded(),
                "latency_p50_ms": ((latency?.p50 ?? 0) * 10).rounded() / 10, "latency_p99_ms": ((latency?.p99 ?? 0) * 10).rounded() / 10,
                "latency_max_ms": ((latency?.max ?? 0) * 10).rounded() / 10, "latency_samples": latency?.samples ?? 0,
            ].merging(snapshot.figures) { current, _ in current }
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    struct Latency {
        var p50: Double
        var p99: Double
        var max: Double
        var samples: Int
        var achievedRate: Double
    }

    /// The daemon again (resuming from its snapshots), fed a steady stream stamped with wall-clock
    /// time; each output's latency is the time from its event's production to its hand-off.
    private func measureLatency(
        configuration: LeadflowConfiguration, records: [AccountRecord], broker: EmbeddedBroker, logger: Logger, firstIndex: Int
    ) async throws -> Latency {
        FileHandle.standardError.write(Data("measuring latency at \(latencyRate) events/s for \(latencySeconds) s…\n".utf8))
        let samples = LatencySamples()
        let daemon = try Daemon(
            options: Daemon.Options(configuration: configuration, directory: AccountDirectory(records: records)) { output in
                switch output {
                case .routingDecision(let decision): samples.record(eventMilliseconds: decision.at.milliseconds)
                case .surgeTrigger(let trigger): samples.record(eventMilliseconds: trigger.at.milliseconds)
                }
            }, logger: logger)
        let task = Task { try await daemon.run() }
        let ready = ContinuousClock.now + .seconds(120)
        while !daemon.readiness().ready && ContinuousClock.now < ready { try await Task.sleep(for: .milliseconds(100)) }
        let baseline = daemon.eventsApplied
        // One second of warm-up (the producer's first metadata round trips, the consumer's first
        // fetch sessions) is sent at the same rate but not sampled: the figure is the steady state.
        let warmUp = latencyRate
        samples.start(afterMilliseconds: 1_000)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList)), logger: logger)
        var traffic = SyntheticTraffic(seed: 7)
        let began = ContinuousClock.now
        let total = warmUp + latencyRate * latencySeconds
        let perTick = max(1, latencyRate / 100)
        var sent = 0
        while sent < total {
            // 100 ticks a second, each sending its share, so arrivals are steady rather than bursts.
            let due = began + .milliseconds(sent / perTick * 10)
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            for _ in 0..<min(perTick, total - sent) {
                let account = traffic.random.below(accounts)
                let text = traffic.event(index: firstIndex + sent, account: account, at: now)
                let topic = text.contains("\"page_view\"") ? configuration.topics.pageViews : text.contains("\"intent_surge\"") ? configuration.topics.intentSurges : configuration.topics.formSubmissions
                try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array(SyntheticTraffic.domain(account).utf8), value: Array(text.utf8)))
                sent += 1
            }
        }
        let sendSeconds = (ContinuousClock.now - began).seconds
        try await producer.flush(timeout: .seconds(60))
        await producer.close()
        let drained = ContinuousClock.now + .seconds(60)
        while daemon.eventsApplied < baseline + total && ContinuousClock.now < drained { try await Task.sleep(for: .milliseconds(20)) }
        daemon.requestStop()
        try await task.value
        let values = samples.sorted()
        guard !values.isEmpty else { throw ValidationError("the latency phase produced no outputs") }
        func percentile(_ fraction: Double) -> Double { values[min(values.count - 1, Int(Double(values.count) * fraction))] }
        return Latency(p50: percentile(0.5), p99: percentile(0.99), max: values.last!, samples: values.count, achievedRate: Double(total) / sendSeconds)
    }

    /// CPU time of the librdkafka mock cluster's threads (named `rdk:mock…`) in this process.
    static func embeddedBrokerCPUSeconds() -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var total = 0.0
        for thread in threads {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(thread)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: open)..<close].hasPrefix("rdk:mock")
            else { continue }
            // After the command: state is field 3, utime and stime fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += (user + system) / ticks
        }
        return total
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// Output latencies in milliseconds, recorded from the daemon's output callback.
final class LatencySamples: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    /// Wall-clock start of the phase: outputs of older events (the backlog) are not samples.
    private var since: Double?

    func start(afterMilliseconds delay: Double) { lock.withLock { since = Date().timeIntervalSince1970 * 1_000 + delay } }

    func record(eventMilliseconds: Int64) {
        let now = Date().timeIntervalSince1970 * 1_000
        lock.withLock {
            if let since, Double(eventMilliseconds) >= since - 1 { values.append(now - Double(eventMilliseconds)) }
        }
    }

    func sorted() -> [Double] { lock.withLock { values.sorted() } }
}
