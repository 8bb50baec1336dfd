import Foundation
import LeadflowConfig
@testable import LeadflowDaemon
import LeadflowKafka
import Testing

@Suite("Input held within its memory bound while the merge waits", .serialized, .timeLimit(.minutes(5)))
struct InputBackPressureTests {
    static func partition(_ topic: String, _ number: Int32) -> KafkaPartition { KafkaPartition(topic: topic, partition: number) }

    @Test("over the bound, partitions holding more than their share are paused; the ones the merge may wait on never are")
    func pausesOnlyPartitionsOverTheirShare() {
        // Four owned partitions: a share is 250 bytes.
        var bound = InputBackPressure(limit: 1_000)
        let a = Self.partition("page-views", 0), b = Self.partition("page-views", 1)
        let c = Self.partition("intent-surges", 1), d = Self.partition("intent-surges", 0)
        // Under the bound: nothing to do, however unevenly it is held.
        var step = bound.adjust(buffered: 900, holding: [a: 800, b: 100], owned: 4)
        #expect(step.pause.isEmpty && step.resume.isEmpty)
        // Over it: the partitions over their share stop; `c`, under it, and `d`, holding none,
        // keep fetching.
        step = bound.adjust(buffered: 1_100, holding: [a: 500, b: 400, c: 200], owned: 4)
        #expect(step.pause == [a, b])
        #expect(step.resume.isEmpty)
        #expect(bound.paused == [a, b])
        // Still over: `c` went past its share and stops too; nothing resumed.
        step = bound.adjust(buffered: 1_100, holding: [a: 450, b: 350, c: 300], owned: 4)
        #expect(step.pause == [c])
        #expect(step.resume.isEmpty)
        // `b` fell to half its share while still over the bound: resumed before it runs dry,
        // since the merge would wait on it then.
        step = bound.adjust(buffered: 1_050, holding: [a: 420, b: 125, c: 280, d: 225], owned: 4)
        #expect(step.resume == [b])
        #expect(step.pause.isEmpty)
        #expect(bound.paused == [a, c])
        // Dry counts as under half its share.
        step = bound.adjust(buffered: 1_020, holding: [a: 400, b: 200, d: 250], owned: 4)
        #expect(step.resume == [c])
        #expect(bound.paused == [a])
        // Between half and the whole bound: `a` stays paused, and nothing new is paused.
        step = bound.adjust(buffered: 700, holding: [a: 400, b: 300], owned: 4)
        #expect(step.pause.isEmpty && step.resume.isEmpty)
        // At half the bound: everything resumes.
        step = bound.adjust(buffered: 500, holding: [a: 400, b: 100], owned: 4)
        #expect(step.resume == [a])
        #expect(bound.paused.isEmpty)
    }

    @Test("over the bound polls are small, so partitions that held nothing add little before they are paused")
    func pollsAreSmallOverTheBound() {
        var bound = InputBackPressure(limit: 1_000)
        #expect(bound.pollSize(buffered: 1_000) == InputBackPressure.fullPoll)
        #expect(bound.pollSize(buffered: 1_001) == InputBackPressure.smallPoll)
        #expect(InputBackPressure.smallPoll < InputBackPressure.fullPoll / 10)
        // Back under the bound (paused partitions still waiting to resume at half): full polls again.
        _ = bound.adjust(buffered: 1_001, holding: [Self.partition("t", 0): 1_001], owned: 1)
        #expect(bound.pollSize(buffered: 900) == InputBackPressure.fullPoll)
    }

    @Test("the holding set is needed only over the bound or while something is paused")
    func needsHoldingOnlyWhenItMatters() {
        var bound = InputBackPressure(limit: 1_000)
        #expect(!bound.needsHolding(buffered: 1_000))
        #expect(bound.needsHolding(buffered: 1_001))
        _ = bound.adjust(buffered: 1_001, holding: [Self.partition("t", 0): 1_001], owned: 1)
        #expect(bound.needsHolding(buffered: 10))
    }

    @Test("kafka.input_buffer_mib below 1 is a config problem naming the field")
    func configValidation() throws {
        let text = "version: 1\nkafka:\n  input_buffer_mib: 0\n"
        #expect(throws: ConfigError.self) { try LeadflowConfiguration.parse(text, file: "test.yaml") }
        do {
            _ = try LeadflowConfiguration.parse(text, file: "test.yaml")
        } catch let error as ConfigError {
            #expect(error.problems.contains { $0.path == "kafka.input_buffer_mib" }, "\(error)")
        }
        #expect(try LeadflowConfiguration.parse("version: 1\n", file: "test.yaml").kafka.inputBufferMiB == 256)
    }

    /// Page views for a few domains (both partitions), one per second from a fixed start.
    static func pageViews(count: Int) -> [String] {
        (0..<count).map { index in
            let padding = String(repeating: "x", count: 120)
            return #"{"type":"page_view","event_id":"pv-\#(index)","occurred_at":\#(1_788_220_800_000 + Int64(index) * 1_000),"visitor_id":"v-\#(index % 40)","url":"https://example.com/blog/\#(padding)","account_domain":"d\#(index % 16).example.com"}"#
        }
    }

    @Test("a partition that cannot be read stalls the merge; memory stays within the bound, and all input is applied once it is back")
    func stalledPartitionKeepsMemoryBounded() async throws {
        // Four partitions per topic: the embedded broker keeps only about 5 MiB of each.
        let harness = try DaemonHarness(inputPartitions: 4)
        var configuration = try harness.configuration(name: "backpressure")
        configuration.kafka.inputBufferMiB = 1
        let lines = Self.pageViews(count: 45_000)
        try harness.produceWithKcat(lines)
        // The loop checks the bound after each poll: the poll that crosses it (a full one) adds
        // to the buffer, and so may each partition that held nothing at a check, until it too is
        // paused, but only by a small poll (see `InputBackPressure`). Three input topics of four
        // partitions each. Without the bound the buffer would hold the whole input.
        let largest = lines.map { $0.utf8.count + 20 + 160 }.max()!  // payload, key, per-record allowance
        let allowance = 1_048_576 + (InputBackPressure.fullPoll + 12 * InputBackPressure.smallPoll) * largest
        let whole = lines.reduce(0) { $0 + $1.utf8.count + 160 }
        #expect(whole > 3 * allowance, "the input must be well over the allowance for the test to mean anything")
        // One partition of another input topic loses its leader: it can be neither read nor
        // asked its end, so the merge must wait for it.
        try harness.broker.setPartitionLeader("intent-surges", partition: 1, broker: nil)

        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: try harness.directory(configuration)), logger: harness.logger)
        let running = Task { try await daemon.run() }
        var peak = 0
        let stall = ContinuousClock.now + .seconds(8)
        while ContinuousClock.now < stall {
            peak = max(peak, daemon.inputBufferedBytes)
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(daemon.eventsApplied == 0, "the merge went on without a partition it had to wait for")
        #expect(peak >= 1_048_576, "the stalled merge never filled the buffer: peak \(peak) bytes")
        #expect(peak <= allowance, "buffered input peaked at \(peak) bytes with a 1 MiB bound (allowance \(allowance))")

        try harness.broker.setPartitionLeader("intent-surges", partition: 1, broker: 1)
        let deadline = ContinuousClock.now + .seconds(90)
        while daemon.eventsApplied < lines.count && ContinuousClock.now < deadline {
            peak = max(peak, daemon.inputBufferedBytes)
            try await Task.sleep(for: .milliseconds(10))
        }
        daemon.requestStop()
        try await running.value
        // Every record applied exactly once: paused partitions resumed where they stopped.
        #expect(daemon.counters.eventsIn == lines.count)
        #expect(daemon.counters.rejected == 0)
        #expect(peak <= allowance, "buffered input peaked at \(peak) bytes with a 1 MiB bound (allowance \(allowance))")
    }
}
