import LeadflowEngine
import LeadflowKafka

/// A message the daemon must produce, and the input that caused it (for commit tracking).
struct Outgoing: Sendable {
    var message: KafkaOutgoingMessage
    var input: KafkaPartition
    var inputOffset: Int64
}

/// One task: partition N of every input topic, merged in a fixed order into the engine.
struct TaskRuntime {
    /// Buffered input per input topic (index in `TopicSettings.inputs`).
    var queues: [InputQueue]
    /// Ids of outputs already delivered by an earlier run for inputs this run will replay.
    var suppress: Set<String>
    /// Next offset to read per input topic (same index), `KafkaOffset.beginning` before the
    /// first record: what a snapshot taken now reflects. Indexed, not keyed by topic name,
    /// because every record updates it.
    var next: [Int64]
    var eventsSinceSnapshot = 0
    var lastSnapshot = ContinuousClock.now
    var sequence: Int64

    init(suppress: Set<String>, next: [Int64], sequence: Int64) {
        queues = Array(repeating: InputQueue(), count: next.count)
        self.suppress = suppress
        self.next = next
        self.sequence = sequence
    }

    /// The next offsets by topic name, for snapshot headers.
    func nextOffsets(topics: [String]) -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: zip(topics, next))
    }
}

/// The compacted account-reference topic: read from the beginning at every start by every
/// instance (reference data is global, not partitioned like signals) and applied in the same
/// merge order as signals, by record timestamp, so a signal sees exactly the reference records
/// stamped at or before it, live and on every replay after a restart.
struct ReferenceRuntime {
    var topic: String
    var queues: [InputQueue]
    /// Next offset to apply per partition (`KafkaOffset.beginning` until the first record).
    var next: [Int64]

    init(topic: String, partitions: Int) {
        self.topic = topic
        queues = Array(repeating: InputQueue(), count: partitions)
        next = Array(repeating: KafkaOffset.beginning, count: partitions)
    }
}

/// Counters the status line, logs and tests read.
public struct DaemonCounters: Sendable, Hashable {
    public var eventsIn = 0
    public var rejected = 0
    public var routingDecisions = 0
    public var surgeTriggers = 0
    public var deadLetters = 0
    public var suppressedDuplicates = 0
    public var redeliveries = 0
    public var snapshotsWritten = 0
    public var snapshotFailures = 0
    public var corruptSnapshots = 0
    public var commits = 0
    public var rejectionsByReason: [String: Int] = [:]
    /// Inputs by topic and event type ("rejected" when the input did not decode).
    public var eventsByInput: [InputKind: Int] = [:]
    /// Account-reference topic records applied (upserts and tombstones), and rejected ones
    /// (logged with their reason; no dead letter, since the topic is re-read at every start).
    public var referenceRecords = 0
    public var referenceRejected = 0
}

/// Everything the processing loop, the rebalance hooks and delivery reports share, behind one lock.
struct DaemonCore {
    var engine: Engine
    /// The input topics, in merge order (task queues and offsets use the same index).
    let inputs: [String]
    var tasks: [Int32: TaskRuntime] = [:]
    /// Per input partition: offsets whose outputs are not all acknowledged yet → outputs left.
    var pending: [KafkaPartition: [Int64: Int]] = [:]
    var committed: [KafkaPartition: Int64] = [:]
    /// Delivery id → what to redo if it fails.
    var inFlight: [UInt64: Outgoing] = [:]
    /// Reports that arrived before their send was registered (the callback can win that race).
    var earlyReports: [UInt64: KafkaDeliveryReport] = [:]
    var redeliver: [Outgoing] = []
    var counters = DaemonCounters()
    var reference: ReferenceRuntime?
    /// Consumer lag per owned input partition, as of the loop's last look (for /readyz and metrics).
    var lag: [KafkaPartition: Int64] = [:]
    /// Owned input partitions whose end was not known at the loop's last look: not ready.
    var lagUnknown: Set<KafkaPartition> = []
    /// Counts completed assignments, so the loop refreshes lag and gauges at once after one.
    var assignments = 0
    var lastSnapshot: SnapshotStats?
    /// Per output partition, an offset at or before its end as last seen: from delivery reports
    /// and from broker queries answered earlier. Any output sent from now on lands at or after
    /// it, which is what a snapshot's output watermarks must promise (see `SealedSnapshot`).
    var outputEnds: [KafkaPartition: Int64] = [:]
    /// Periodic snapshots copied and waiting for their outputs to be acknowledged.
    var sealed: [SealedSnapshot] = []
    /// Set once the loop has started (readiness needs a running loop) and when it stops.
    var running = false
    /// Tasks of the current assignment still being restored (snapshot, outputs read back): not
    /// ready until it is zero.
    var restoringTasks = 0
    /// Inputs applied per (input topic index, event type) since they were last added to
    /// `counters.eventsByInput`: a few small-string compares per record instead of hashing a
    /// topic name and a type.
    var inputTally: [[(type: String, count: Int)]]

    init(engine: Engine, inputs: [String]) {
        self.engine = engine
        self.inputs = inputs
        inputTally = Array(repeating: [], count: inputs.count)
    }

    /// Bytes of input buffered for the merge, over every task and the reference topic.
    var bufferedInputBytes: Int {
        var total = 0
        for runtime in tasks.values { for queue in runtime.queues { total += queue.bytes } }
        for queue in reference?.queues ?? [] { total += queue.bytes }
        return total
    }

    /// The bytes buffered for the merge in each partition holding any.
    func partitionsHoldingInput(inputs: [String]) -> [KafkaPartition: Int] {
        var holding: [KafkaPartition: Int] = [:]
        for (task, runtime) in tasks {
            for (index, queue) in runtime.queues.enumerated() where !queue.isEmpty {
                holding[KafkaPartition(topic: inputs[index], partition: task)] = queue.bytes
            }
        }
        if let reference {
            for (index, queue) in reference.queues.enumerated() where !queue.isEmpty {
                holding[KafkaPartition(topic: reference.topic, partition: Int32(index))] = queue.bytes
            }
        }
        return holding
    }

    /// The partitions whose input is buffered for the merge: every input of every task, and
    /// every account-reference partition.
    var ownedInputPartitions: Int {
        tasks.values.reduce(0) { $0 + $1.queues.count } + (reference?.queues.count ?? 0)
    }

    /// The runtime of the task at `slot`, reached in place: `tasks.values[slot]` read as a value
    /// copies the whole runtime out (retaining and releasing its queues, offsets and suppressed
    /// ids), which the loop did several times per record.
    mutating func withTask<R>(at slot: Dictionary<Int32, TaskRuntime>.Index, _ body: (inout TaskRuntime) -> R) -> R {
        body(&tasks.values[slot])
    }

    /// Counts one applied input of `type` from input topic `topic` (an index into `inputs`).
    mutating func tally(topic: Int, type: String) {
        if let slot = inputTally[topic].firstIndex(where: { $0.type == type }) {
            inputTally[topic][slot].count += 1
        } else {
            inputTally[topic].append((type, 1))
        }
    }

    /// Adds the tallies to `counters.eventsByInput`.
    mutating func foldTally() {
        for (topic, kinds) in inputTally.enumerated() {
            for kind in kinds where kind.count > 0 {
                counters.eventsByInput[InputKind(topic: inputs[topic], type: kind.type), default: 0] += kind.count
            }
            for slot in kinds.indices { inputTally[topic][slot].count = 0 }
        }
    }

    /// Offsets safe to commit: the first input with unacknowledged outputs, or the next unprocessed.
    /// Only for partitions this member owns: a commit for others fails with UNKNOWN_MEMBER_ID
    /// after a lost assignment, and each such failure makes librdkafka restart its rejoin.
    func commitPoints() -> [KafkaPartition: Int64] {
        var points: [KafkaPartition: Int64] = [:]
        for (task, runtime) in tasks {
            for (index, next) in runtime.next.enumerated() where next >= 0 {
                let partition = KafkaPartition(topic: inputs[index], partition: task)
                let point = pending[partition]?.keys.min() ?? next
                if committed[partition] != point { points[partition] = point }
            }
        }
        return points
    }

    /// Forgets the positions of partitions no longer owned (after revocation or loss), and any
    /// periodic snapshot of the task still waiting (the revocation writes a newer one).
    mutating func release(task: Int32) {
        committed = committed.filter { $0.key.partition != task }
        pending = pending.filter { $0.key.partition != task }
        sealed.removeAll { $0.task == task }
    }

    /// Whether every output caused by inputs of `task` before `next` (per input topic) has been
    /// acknowledged: a snapshot that resumes at `next` loses nothing if the process dies now.
    func acknowledged(task: Int32, before next: [Int64]) -> Bool {
        for (index, offset) in next.enumerated() where offset >= 0 {
            if let first = pending[KafkaPartition(topic: inputs[index], partition: task)]?.keys.min(), first < offset { return false }
        }
        return true
    }

    mutating func register(id: UInt64, _ outgoing: Outgoing) {
        if let report = earlyReports.removeValue(forKey: id) {
            settle(report, outgoing)
        } else {
            inFlight[id] = outgoing
        }
    }

    mutating func delivered(_ report: KafkaDeliveryReport) {
        guard let outgoing = inFlight.removeValue(forKey: report.id) else {
            earlyReports[report.id] = report
            return
        }
        settle(report, outgoing)
    }

    private mutating func settle(_ report: KafkaDeliveryReport, _ outgoing: Outgoing) {
        if report.error != nil {
            // Not delivered: send it again (same id and payload); its input stays uncommitted.
            redeliver.append(outgoing)
            counters.redeliveries += 1
            return
        }
        let output = KafkaPartition(topic: report.topic, partition: report.partition)
        outputEnds[output] = max(outputEnds[output] ?? 0, report.offset + 1)
        guard var offsets = pending[outgoing.input], let left = offsets[outgoing.inputOffset] else { return }
        if left <= 1 { offsets[outgoing.inputOffset] = nil } else { offsets[outgoing.inputOffset] = left - 1 }
        pending[outgoing.input] = offsets
    }
}
