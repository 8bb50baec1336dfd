import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Logging

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the real job on the embedded broker with realistic synthetic traffic (about a minute).",
        discussion: """
            Starts the embedded (in-memory) broker, creates the topics, loads a few thousand accounts \
            with owners and territories, and streams simulated weeks of traffic: background browsing, \
            accounts warming up to MQL, intent surges, competitors, free-mail visitors who identify later \
            and some malformed events. `leadflow run`'s daemon processes it live; the demo prints a status \
            line, a few decisions with their explanations, and a summary.
            """
    )

    @Option(help: "Accounts with reference records.")
    var accounts: Int = 3_000

    @Option(help: "Simulated days of traffic.")
    var days: Int = 21

    @Option(help: "Background events per simulated day.")
    var eventsPerDay: Int = 4_000

    @Option(help: "Real seconds over which the traffic is streamed.")
    var seconds: Double = 45

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var logger = logging.makeLogger(label: "leadflow.demo")
        logger.logLevel = max(logger.logLevel, .warning)
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        print("▶ embedded Kafka broker (in memory, for development) at \(broker.bootstrapServers)")
        var configuration = DemoScenario.configuration(bootstrap: broker.bootstrapServerList)
        for topic in configuration.topics.inputs { try broker.createTopic(topic, partitions: 8) }
        for topic in [configuration.topics.routingDecisions, configuration.topics.surgeTriggers, configuration.topics.deadLetters] {
            try broker.createTopic(topic, partitions: 4)
        }
        let stateFolder = FileManager.default.temporaryDirectory.appendingPathComponent("leadflow-demo-\(getpid())").path
        configuration.snapshots.directory = stateFolder
        configuration.admin.address = "127.0.0.1:0"
        defer { try? FileManager.default.removeItem(atPath: stateFolder) }

        var scenario = DemoScenario(accounts: accounts, days: days, eventsPerDay: eventsPerDay)
        let records = scenario.records()
        print("▶ \(records.count) accounts across \(Set(records.map(\.industry)).count) industries and \(Set(records.map(\.country)).count) countries; \(configuration.model.routing.territories.count) territories")
        let events = scenario.events()
        print("▶ streaming \(events.count) events over \(days) simulated days (noise, warming accounts, surges, competitors, free-mail visitors, malformed input)")

        let shown = ShownDecisions(limit: 4)
        let daemon = try Daemon(
            options: Daemon.Options(configuration: configuration, directory: AccountDirectory(records: records)) { output in
                if case .routingDecision(let decision) = output { shown.offer(decision) }
            }, logger: logger)
        let daemonTask = Task { try await daemon.run() }

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrapServerList)), logger: logger)
        let started = ContinuousClock.now
        let pause = Duration.milliseconds(Int(seconds * 1_000 * 1_000 / Double(max(events.count, 1))))
        let producing = Task {
            // A live stream, not a bulk load: about `seconds` from the first event to the last.
            for (index, event) in events.enumerated() {
                try await producer.send(KafkaOutgoingMessage(topic: event.topic, key: Array(event.key.utf8), value: Array(event.json.utf8), timestampMilliseconds: event.timestamp))
                if index % 1_000 == 999 { try await Task.sleep(for: pause) }
            }
            try await producer.flush(timeout: .seconds(30))
        }
        for _ in 0..<50 where daemon.adminPort == nil { try await Task.sleep(for: .milliseconds(100)) }
        if let port = daemon.adminPort {
            print("▶ admin endpoint at http://127.0.0.1:\(port) (/metrics, /readyz, /accounts/top?n=20, /accounts/{id-or-domain})")
        }
        var lastCount = 0
        var lastTick = ContinuousClock.now
        let interactive = isatty(STDOUT_FILENO) != 0
        while true {
            try await Task.sleep(for: .seconds(1))
            let counters = daemon.counters
            let now = ContinuousClock.now
            let rate = Double(counters.eventsIn - lastCount) / (now - lastTick).seconds
            lastCount = counters.eventsIn
            lastTick = now
            let line = String(
                format: "  %5.0fs  %7d events  %6.0f ev/s  %5d accounts  %4d decisions  %3d surge triggers  %3d dead letters",
                (now - started).seconds, counters.eventsIn, rate, daemon.stateSummary.accounts, counters.routingDecisions,
                counters.surgeTriggers, counters.deadLetters)
            if interactive { print("\r" + line, terminator: "") } else { print(line) }
            FileHandle.standardOutput.synchronizeFile()
            for decision in shown.takeNew() {
                if interactive { print("") }
                print(DemoScenario.explain(decision))
            }
            if counters.eventsIn >= events.count || (now - started) > .seconds(150) { break }
        }
        if interactive { print("") }
        try await producing.value
        let accountsInState = daemon.stateSummary.accounts
        print("■ hottest accounts now (as /accounts/top?n=3 answers): \(daemon.topAccountsJSON(limit: 3))")
        daemon.requestStop()
        try await daemonTask.value
        await producer.close()
        let counters = daemon.counters
        print("""
            ■ summary: \(counters.eventsIn) events in \(String(format: "%.0f", (ContinuousClock.now - started).seconds)) s; \
            \(accountsInState) accounts in state; \(counters.routingDecisions) routing decisions; \
            \(counters.surgeTriggers) surge triggers; \(counters.deadLetters) dead letters \
            (\(counters.rejectionsByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); \
            \(counters.snapshotsWritten) snapshots written; offsets committed only after outputs were acknowledged.
            """)
        guard counters.eventsIn == events.count else { throw ValidationError("the daemon processed \(counters.eventsIn) of \(events.count) events") }
    }
}

/// The first few decisions, kept for printing on the main loop.
final class ShownDecisions: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [RoutingDecision] = []
    private var shown = 0
    private var seenTriggers: Set<String> = []
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Keeps one decision per trigger kind and assignee kind, up to the limit.
    func offer(_ decision: RoutingDecision) {
        lock.withLock {
            let kind = decision.trigger.rawValue + "/" + decision.assignee.kind.rawValue
            guard shown < limit, !seenTriggers.contains(kind) else { return }
            seenTriggers.insert(kind)
            shown += 1
            pending.append(decision)
        }
    }

    func takeNew() -> [RoutingDecision] {
        lock.withLock {
            defer { pending.removeAll() }
            return pending
        }
    }
}
