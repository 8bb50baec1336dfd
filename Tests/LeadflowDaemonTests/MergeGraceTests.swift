import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowKafka
import Testing

@Suite("The merge grace: a late record, stamped earlier, is still applied in timestamp order", .serialized, .timeLimit(.minutes(3)))
struct MergeGraceTests {
    @Test("kafka.merge_grace_ms outside 0-60000 is a config problem naming the field")
    func configValidation() throws {
        for bad in ["-1", "60001"] {
            do {
                _ = try LeadflowConfiguration.parse("version: 1\nkafka:\n  merge_grace_ms: \(bad)\n", file: "test.yaml")
                Issue.record("merge_grace_ms \(bad) was accepted")
            } catch let error as ConfigError {
                #expect(error.problems.contains { $0.path == "kafka.merge_grace_ms" }, "\(error)")
            }
        }
        #expect(try LeadflowConfiguration.parse("version: 1\n", file: "test.yaml").kafka.mergeGraceMilliseconds == 0)
        #expect(try LeadflowConfiguration.parse("version: 1\nkafka:\n  merge_grace_ms: 250\n", file: "test.yaml").kafka.mergeGraceMilliseconds == 250)
    }

    /// A caught-up daemon receives a demo request, then, half a second later, a pricing-page
    /// view of the same account stamped a second before it (another topic, so another
    /// partition). Applied in timestamp order, as a replay applies them, the routing decision
    /// the demo request makes counts the page view; applied as they arrived, it would not.
    @Test("a record arriving within the grace, stamped earlier than one waiting, is applied first, as a replay would")
    func lateRecordWithinGrace() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "grace")
        configuration.kafka.mergeGraceMilliseconds = 3_000
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: try harness.directory(configuration)), logger: harness.logger)
        let running = Task { try await daemon.run() }
        // Assigned, restored and read to the (empty) ends of every partition.
        let ready = ContinuousClock.now + .seconds(30)
        while !(daemon.readiness().ready && daemon.stateSummary.tasks.count == 2) && ContinuousClock.now < ready {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .seconds(1))

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: harness.broker.bootstrapServerList)),
            logger: harness.logger)
        let start = Int64(Date().timeIntervalSince1970 * 1_000) - 60_000
        let form = #"{"type":"form_submission","event_id":"g-form","occurred_at":\#(start + 1_000),"email":"ana@northwind.example","form_type":"demo_request"}"#
        let view = #"{"type":"page_view","event_id":"g-view","occurred_at":\#(start),"visitor_id":"v-ana","url":"https://leadflow.example/pricing","account_domain":"northwind.example"}"#
        func send(_ topic: String, _ line: String, at milliseconds: Int64) async throws {
            let report = try await producer.sendAndWait(KafkaOutgoingMessage(
                topic: topic, key: Array("northwind.example".utf8), value: Array(line.utf8), timestampMilliseconds: milliseconds))
            #expect(report.error == nil)
        }
        try await send(configuration.topics.formSubmissions, form, at: start + 1_000)
        try await Task.sleep(for: .milliseconds(500))
        #expect(daemon.counters.eventsIn == 0, "the demo request was applied before its grace ended")
        try await send(configuration.topics.pageViews, view, at: start)
        await producer.close(timeout: .seconds(5))

        let deadline = ContinuousClock.now + .seconds(30)
        while daemon.counters.eventsIn < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        daemon.requestStop()
        try await running.value
        #expect(daemon.counters.eventsIn == 2)

        let expected = try await DaemonEndToEndTests.expectedOutputs(harness, configuration)
        let published = try await harness.published(configuration).filter { $0.topic != configuration.topics.deadLetters }
        #expect(expected.outputs.contains { $0.contains("\"routing_decision\"") && $0.contains("page:pricing") }, "\(expected.outputs)")
        #expect(published.map(\.text).sorted() == expected.outputs.sorted())
    }
}
