import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Testing

@Suite("The compacted account-reference topic", .serialized, .timeLimit(.minutes(3)))
struct ReferenceTopicTests {
    static func at(_ text: String) -> Int64 { RFC3339.parse(text)!.milliseconds }

    @Test("reference records update accounts live, in record-time order with the signals, and replay sees the same")
    func liveUpdatesInOrder() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "reference")
        configuration.topics.accounts = "accounts-reference"
        try harness.broker.createTopic("accounts-reference", partitions: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: harness.broker.bootstrapServerList)),
            logger: harness.logger)
        // Two demo requests from a company the reference data does not know yet, and between them
        // (by record time, though produced last) its record arrives with an owner; then a bad
        // record and a tombstone for an account no signal uses.
        let signals = [
            ("2026-11-10T10:00:00Z", #"{"type":"form_submission","event_id":"f-1","occurred_at":"2026-11-10T10:00:00Z","email":"ana@freshlogo.example","form_type":"demo_request"}"#),
            ("2026-11-10T12:00:00Z", #"{"type":"form_submission","event_id":"f-2","occurred_at":"2026-11-10T12:00:00Z","email":"bo@freshlogo.example","form_type":"demo_request"}"#),
        ]
        for (time, json) in signals {
            _ = try await producer.sendAndWait(KafkaOutgoingMessage(
                topic: "form-submissions", partition: 0, key: Array("freshlogo.example".utf8), value: Array(json.utf8), timestampMilliseconds: Self.at(time)))
        }
        let record = #"{"account_id":"acc-fresh","domains":["freshlogo.example"],"name":"Fresh Logo","industry":"software","employees":400,"annual_revenue":40000000,"country":"US","technologies":[],"owner_id":"owner-zed","lifecycle":"prospect"}"#
        for (key, value, time) in [
            ("acc-fresh", record, "2026-11-10T11:00:00Z"), ("acc-other", #"{"account_id":"acc-other"}"#, "2026-11-10T11:30:00Z"),
            ("acc-north", "", "2026-11-10T11:45:00Z"),
        ] {
            _ = try await producer.sendAndWait(KafkaOutgoingMessage(
                topic: "accounts-reference", key: Array(key.utf8), value: Array(value.utf8), timestampMilliseconds: Self.at(time)))
        }
        await producer.close()

        let counters = try await harness.runDaemon(configuration, until: 2)
        #expect(counters.eventsIn == 2)
        #expect(counters.referenceRecords == 2)
        #expect(counters.referenceRejected == 1)
        let decisions = try await harness.published(configuration).filter { $0.topic == configuration.topics.routingDecisions }.map(\.text)
        #expect(decisions.count == 2)
        let first = try #require(decisions.first { $0.contains(#""trigger_event_ids":["f-1"]"#) })
        let second = try #require(decisions.first { $0.contains(#""trigger_event_ids":["f-2"]"#) })
        #expect(first.contains(#""account_id":"new:freshlogo.example""#))
        #expect(first.contains(#""assignee":{"kind":"queue","id":"new-business"}"#))
        #expect(second.contains(#""account_id":"acc-fresh""#))
        #expect(second.contains(#""assignee":{"kind":"owner","id":"owner-zed"}"#))

        // A replay applies the reference records in the same order and decides the same.
        var options = ReplayOptions(configuration: configuration, directory: try harness.directory(configuration))
        options.start = .beginning
        let report = try await Replay(options: options, logger: harness.logger).run()
        #expect(report.referenceRecords == 3)
        #expect(report.decisionsByAssignee == ["queue:new-business": 1, "owner:owner-zed": 1])
    }

    @Test("a configured reference topic that does not exist stops the start with an error naming it")
    func missingTopic() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "reference-missing")
        configuration.topics.accounts = "no-such-accounts"
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: AccountDirectory()), logger: harness.logger)
        do {
            try await daemon.run()
            Issue.record("the daemon must not run without its reference topic")
        } catch {
            #expect("\(error)".contains("no-such-accounts"))
        }
    }
}
