import Foundation
import LeadflowConfig
@testable import LeadflowDaemon
import LeadflowKafka
import Testing

@Suite("A backlog is applied in slices, in the order one long drain would take", .serialized, .timeLimit(.minutes(5)))
struct DrainSliceTests {
    @Test("drains cut to a few records publish exactly the engine's outputs for the scripted scenario")
    func slicedDrainsKeepTheOrder() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "sliced")
        let lines = try DaemonEndToEndTests.scenarioLines()
        try harness.produceWithKcat(lines)
        // Three records per drain: the scenario is cut into several slices, each ending in the
        // middle of an engine batch and most between records of different partitions.
        #expect(lines.count > 6 * 3)
        let counters = try await harness.runDaemon(configuration, until: lines.count) { $0.recordsPerDrain = 3 }
        #expect(counters.eventsIn == lines.count)
        let expected = try await DaemonEndToEndTests.expectedOutputs(harness, configuration)
        let published = try await harness.published(configuration)
        let outputs = published.filter { $0.topic != configuration.topics.deadLetters }
        #expect(expected.outputs.count >= 5)
        // In merge order within each partition, not only as a set: the same outputs, published
        // in the order their inputs were applied.
        let order = expected.outputs
        for topic in [configuration.topics.routingDecisions, configuration.topics.surgeTriggers] {
            for partition in Int32(0)..<2 {
                let texts = outputs.filter { $0.topic == topic && $0.partition == partition }.map(\.text)
                let wanted = order.filter { texts.contains($0) }
                #expect(texts == wanted, "\(topic)[\(partition)] published out of the merge order")
            }
        }
        #expect(outputs.map(\.text).sorted() == expected.outputs.sorted())
        #expect(published.filter { $0.topic == configuration.topics.deadLetters }.count == expected.rejected)
    }
}
