@testable import LeadflowDaemon
import LeadflowEngine
@testable import LeadflowKafka
import Testing

/// A periodic snapshot is copied at once but written only when the outputs of the inputs before
/// its offsets are acknowledged, and it records output ends that later outputs cannot precede.
@Suite("Periodic snapshots: the acknowledgement gate and the known output ends")
struct SnapshotGateTests {
    let views = KafkaPartition(topic: "views", partition: 3)
    let forms = KafkaPartition(topic: "forms", partition: 3)

    func core() -> DaemonCore {
        var core = DaemonCore(engine: Engine(model: CompiledModel(ScoringModel())), inputs: ["views", "forms"])
        core.tasks[3] = TaskRuntime(suppress: [], next: [10, 5], sequence: 1)
        return core
    }

    func outgoing(input: KafkaPartition, offset: Int64) -> Outgoing {
        Outgoing(message: KafkaOutgoingMessage(topic: "decisions", value: Array("{}".utf8)), input: input, inputOffset: offset)
    }

    func report(id: UInt64, offset: Int64, partition: Int32 = 0, failed: Bool = false) -> KafkaDeliveryReport {
        KafkaDeliveryReport(
            id: id, topic: "decisions", partition: partition, offset: offset,
            error: failed ? KafkaError(code: .timedOut, message: "message timed out") : nil)
    }

    @Test("an output in flight for an input before the snapshot's offsets holds it back until delivered, even through a failed try")
    func gateWaitsForDelivery() {
        var core = core()
        core.pending[views] = [7: 1]
        core.register(id: 1, outgoing(input: views, offset: 7))
        #expect(!core.acknowledged(task: 3, before: [10, 5]))
        #expect(core.acknowledged(task: 3, before: [7, 5]), "the input at the offset itself is not part of the snapshot")
        #expect(core.acknowledged(task: 4, before: [10, 5]), "another task's outputs do not hold this one back")

        core.delivered(report(id: 1, offset: -1, failed: true))
        #expect(core.redeliver.count == 1)
        #expect(!core.acknowledged(task: 3, before: [10, 5]), "a failed delivery is still owed")
        #expect(core.outputEnds.isEmpty, "a failed delivery says nothing about where the partition ends")

        core.register(id: 2, core.redeliver.removeFirst())
        core.delivered(report(id: 2, offset: 41))
        #expect(core.acknowledged(task: 3, before: [10, 5]))
        #expect(core.outputEnds[KafkaPartition(topic: "decisions", partition: 0)] == 42)
    }

    @Test("known output ends only rise, whatever order reports arrive in, and a report may precede its registration")
    func outputEndsOnlyRise() {
        var core = core()
        core.pending[forms] = [2: 2]
        core.delivered(report(id: 8, offset: 30))  // before `register`: kept until then
        #expect(core.outputEnds.isEmpty)
        core.register(id: 8, outgoing(input: forms, offset: 2))
        core.register(id: 9, outgoing(input: forms, offset: 2))
        #expect(!core.acknowledged(task: 3, before: [10, 5]), "one of the input's two outputs is still in flight")
        core.delivered(report(id: 9, offset: 12))
        #expect(core.acknowledged(task: 3, before: [10, 5]))
        #expect(core.outputEnds[KafkaPartition(topic: "decisions", partition: 0)] == 31)
    }

    @Test("releasing a task drops its sealed snapshots and its positions")
    func releaseDropsSealed() {
        var core = core()
        let sealed = SealedSnapshot(task: 3, state: EngineState(), runtime: core.tasks[3]!, outputEnds: [:], sealedAt: .now)
        core.sealed = [sealed, SealedSnapshot(task: 5, state: EngineState(), runtime: core.tasks[3]!, outputEnds: [:], sealedAt: .now)]
        core.pending[views] = [7: 1]
        core.release(task: 3)
        #expect(core.sealed.map(\.task) == [5])
        #expect(core.pending[views] == nil)
    }
}
