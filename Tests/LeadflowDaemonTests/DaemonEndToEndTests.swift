import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Testing

@Suite("leadflow run end to end on the embedded broker", .serialized, .timeLimit(.minutes(5)))
struct DaemonEndToEndTests {
    static func scenarioLines() throws -> [String] {
        let text = try String(contentsOf: DaemonHarness.repository.appendingPathComponent("Tests/LeadflowEngineTests/Scenarios/fortnight.events.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }

    /// What the engine alone produces from the input topics' records in the daemon's merge
    /// order, with each record's timestamp as the clock: the daemon must publish exactly this.
    static func expectedOutputs(_ harness: DaemonHarness, _ configuration: LeadflowConfiguration) async throws -> (outputs: [String], rejected: Int) {
        var records = try await harness.readAll(configuration.topics.inputs.map { ($0, 2) })
        let order = configuration.topics.inputs
        records.sort {
            ($0.timestamp?.milliseconds ?? 0, order.firstIndex(of: $0.topic)!, $0.partition, $0.offset)
                < ($1.timestamp?.milliseconds ?? 0, order.firstIndex(of: $1.topic)!, $1.partition, $1.offset)
        }
        var engine = Engine(model: CompiledModel(configuration.model), directory: try harness.directory(configuration))
        var outputs: [String] = []
        var rejected = 0
        for record in records {
            let result = engine.process(record.value, clock: record.timestamp.map { EventTime(milliseconds: $0.milliseconds) })
            outputs += result.outputs.map { $0.json() }
            if result.rejection != nil { rejected += 1 }
        }
        return (outputs, rejected)
    }

    @Test("a scripted scenario produced with kcat publishes exactly the engine's decisions, triggers and dead letters")
    func scriptedScenario() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "scripted")
        let lines = try Self.scenarioLines()
        try harness.produceWithKcat(lines)
        let counters = try await harness.runDaemon(configuration, until: lines.count)
        #expect(counters.eventsIn == lines.count)
        let expected = try await Self.expectedOutputs(harness, configuration)
        let published = try await harness.published(configuration)
        let outputs = published.filter { $0.topic != configuration.topics.deadLetters }
        #expect(expected.outputs.count >= 5)
        #expect(outputs.map(\.text).sorted() == expected.outputs.sorted())
        // Keyed by account id; every output carries its id, task and input in headers.
        for message in outputs {
            let json = message.text
            #expect(json.contains("\"account_id\":\"\(String(decoding: message.key ?? [], as: UTF8.self))\""))
            #expect(message.headerText("leadflow-id").map { json.contains("\"id\":\"\($0)\"") } == true)
            #expect(message.headerText("leadflow-input") != nil)
        }
        #expect(outputs.filter { $0.topic == configuration.topics.routingDecisions }.count == counters.routingDecisions)
        // Dead letters keep the original record and say precisely why.
        let dead = published.filter { $0.topic == configuration.topics.deadLetters }
        #expect(dead.count == 2)
        #expect(expected.rejected == 2)
        let reasons = dead.compactMap { $0.headerText("leadflow-reason") }.sorted()
        #expect(reasons.contains { $0.contains("\"field\":\"account_domain\"") && $0.contains("\"reason\":\"invalid_value\"") })
        #expect(reasons.contains { $0.contains("\"field\":\"score\"") && $0.contains("\"reason\":\"wrong_type\"") })
        #expect(dead.allSatisfy { message in lines.contains(message.text) })
        #expect(dead.allSatisfy { $0.headerText("leadflow-source")?.split(separator: ":").count == 3 })
    }

    @Test("a restart resumes from the snapshot's offsets and publishes nothing twice")
    func restartFromSnapshot() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "restart")
        let lines = try Self.scenarioLines()
        try harness.produceWithKcat(Array(lines.prefix(12)))
        let first = try await harness.runDaemon(configuration, until: 12)
        #expect(first.eventsIn == 12)
        try harness.produceWithKcat(Array(lines.dropFirst(12)))
        let second = try await harness.runDaemon(configuration, until: lines.count - 12)
        #expect(second.eventsIn == lines.count - 12, "the second run must start where the snapshot left off")
        let expected = try await Self.expectedOutputs(harness, configuration)
        let published = try await harness.published(configuration).filter { $0.topic != configuration.topics.deadLetters }
        let ids = published.compactMap { $0.headerText("leadflow-id") }
        #expect(Set(ids).count == ids.count, "no duplicates")
        #expect(published.map(\.text).sorted() == expected.outputs.sorted())
    }

    @Test("a corrupted snapshot is set aside, the previous one is used, and outputs stay exact")
    func corruptedSnapshotFallsBack() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "corrupt", snapshotEvery: 2)
        let lines = try Self.scenarioLines()
        try harness.produceWithKcat(lines)
        _ = try await harness.runDaemon(configuration, until: lines.count)
        // Damage the newest snapshot of every task: flip a byte in the middle.
        let store = SnapshotStore(directory: configuration.snapshots.directory, keep: configuration.snapshots.keep)
        var damaged = 0
        for task in Int32(0)..<2 {
            guard let newest = store.files(task: task).first else { continue }
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: newest.path)))
            bytes[bytes.count / 2] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: newest.path))
            #expect(throws: (any Error).self) { _ = try Snapshot.decode(bytes) }
            damaged += 1
        }
        #expect(damaged == 2)
        let second = try await harness.runDaemon(configuration, until: 1, timeout: .seconds(12))
        #expect(second.corruptSnapshots == 2)
        let corruptFiles = try FileManager.default.contentsOfDirectory(atPath: configuration.snapshots.directory).filter { $0.hasSuffix(".corrupt") }
        #expect(corruptFiles.count == 2)
        let expected = try await Self.expectedOutputs(harness, configuration)
        let published = try await harness.published(configuration).filter { $0.topic != configuration.topics.deadLetters }
        let ids = published.compactMap { $0.headerText("leadflow-id") }
        #expect(Set(ids).count == ids.count, "replaying from the older snapshot must not publish again")
        #expect(published.map(\.text).sorted() == expected.outputs.sorted())
        #expect(second.suppressedDuplicates + second.routingDecisions + second.surgeTriggers >= 0)
    }
}
