import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Testing

@Suite("leadflow replay on the embedded broker", .serialized, .timeLimit(.minutes(5)))
struct ReplayTests {
    /// The live daemon over the scripted fortnight, and what it published.
    static func liveRun(_ harness: DaemonHarness, name: String) async throws -> (LeadflowConfiguration, DaemonCounters, [KafkaMessage]) {
        let configuration = try harness.configuration(name: name)
        let lines = try DaemonEndToEndTests.scenarioLines()
        try harness.produceWithKcat(lines)
        let counters = try await harness.runDaemon(configuration, until: lines.count)
        #expect(counters.eventsIn == lines.count)
        return (configuration, counters, try await harness.published(configuration))
    }

    @Test("a replay into backfill topics publishes the live records byte for byte, plus the replay marker")
    func replayEqualsLive() async throws {
        let harness = try DaemonHarness()
        let (configuration, counters, live) = try await Self.liveRun(harness, name: "replay-live")
        let topics = configuration.topics
        for (topic, partitions) in [(topics.routingDecisions, 2), (topics.surgeTriggers, 2), (topics.deadLetters, 1)] {
            try harness.broker.createTopic(topic + ".backfill", partitions: partitions)
        }
        var options = ReplayOptions(configuration: configuration, directory: try harness.directory(configuration))
        options.start = .beginning
        options.publishSuffix = ".backfill"
        let report = try await Replay(options: options, logger: harness.logger).run()
        let replayed = try await harness.readAll([
            (topics.routingDecisions + ".backfill", 2), (topics.surgeTriggers + ".backfill", 2), (topics.deadLetters + ".backfill", 1),
        ])

        #expect(report.records == counters.eventsIn)
        #expect(live.count >= 7)
        #expect(replayed.count == live.count)
        let replayedByID = Dictionary(uniqueKeysWithValues: replayed.compactMap { message in message.headerText("leadflow-id").map { ($0, message) } })
        for original in live {
            let id = try #require(original.headerText("leadflow-id"))
            let copy = try #require(replayedByID[id], "live output \(id) was not replayed")
            #expect(copy.topic == original.topic + ".backfill")
            #expect(copy.key == original.key)
            #expect(copy.headerText("leadflow-replayed") == "true")
            #expect(copy.headers.filter { $0.name != "leadflow-replayed" } == original.headers)
            if original.topic == topics.deadLetters {
                #expect(copy.value == original.value)
            } else {
                // The live JSON with one field added at the end.
                #expect(copy.text == String(original.text.dropLast()) + ",\"replayed\":true}")
            }
        }
        #expect(report.decisionsByBand.values.reduce(0, +) == counters.routingDecisions)
        #expect(report.surgesByTopic.values.reduce(0, +) == counters.surgeTriggers)
        #expect(report.deadLettersByReason.values.reduce(0, +) == counters.deadLetters)
        #expect(report.eventsByType["page_view", default: 0] > 0)
    }

    @Test("a dry run publishes nothing, commits nothing, and reports what it would have done; --write-snapshot seeds state")
    func dryRunAndSeed() async throws {
        let harness = try DaemonHarness()
        let (configuration, counters, live) = try await Self.liveRun(harness, name: "replay-dry")
        let committedBefore = try await harness.committed(configuration)
        var options = ReplayOptions(configuration: configuration, directory: try harness.directory(configuration))
        options.start = .offsets([KafkaPartition(topic: "page-views", partition: 0): 0])
        options.writeSnapshotDirectory = harness.folder + "/seed"
        let report = try await Replay(options: options, logger: harness.logger).run()
        #expect(report.records == counters.eventsIn)
        #expect(report.decisionsByBand.values.reduce(0, +) == counters.routingDecisions)
        #expect(try await harness.published(configuration).count == live.count)
        #expect(try await harness.committed(configuration) == committedBefore)

        // One snapshot per task, at the end offsets, holding the replay's accounts.
        #expect(report.snapshotsWritten.count == 2)
        var accounts = 0
        for path in report.snapshotsWritten {
            let snapshot = try Snapshot.decode(Array(Data(contentsOf: URL(fileURLWithPath: path))))
            for topic in configuration.topics.inputs {
                #expect(snapshot.header.inputOffsets[topic] == report.endOffsets[KafkaPartition(topic: topic, partition: snapshot.header.task)])
            }
            accounts += snapshot.header.accounts
        }
        #expect(accounts == report.accountsInState)
        #expect(accounts > 0)

        // Seeded from those snapshots with nothing after them, a replay reads nothing and keeps the state.
        var seeded = ReplayOptions(configuration: configuration, directory: try harness.directory(configuration))
        seeded.fromSnapshot = harness.folder + "/seed"
        let again = try await Replay(options: seeded, logger: harness.logger).run()
        #expect(again.records == 0)
        #expect(again.accountsInState == accounts)
    }

    @Test("bad replay ranges are refused with an error naming the problem")
    func badRanges() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "replay-bad")
        var options = ReplayOptions(configuration: configuration, directory: try harness.directory(configuration))
        options.start = .offsets([KafkaPartition(topic: "not-an-input", partition: 0): 5])
        await #expect(throws: ReplayError.self) { try await Replay(options: options, logger: harness.logger).run() }
        do {
            _ = try await Replay(options: options, logger: harness.logger).run()
        } catch {
            #expect("\(error)".contains("not-an-input:0"))
        }
        // The embedded broker cannot answer offsets-for-times: the error says what to do instead.
        options.start = .time(milliseconds: 1_790_000_000_000)
        do {
            _ = try await Replay(options: options, logger: harness.logger).run()
            Issue.record("a timestamp lookup on the embedded broker should fail")
        } catch {
            #expect("\(error)".contains("--from-offsets"))
        }
    }
}
