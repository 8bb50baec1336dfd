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
    /// Next offset to read per input topic: what a snapshot taken now reflects.
    var nextOffsets: [String: Int64]
    var eventsSinceSnapshot = 0
    var lastSnapshot = ContinuousClock.now
    var sequence: Int64

    init(inputCount: Int, suppress: Set<String>, nextOffsets: [String: Int64], sequence: Int64) {
        queues = Array(repeating: InputQueue(), count: inputCount)
        self.suppress = suppress
        self.nextOffsets = nextOffsets
        self.sequence = sequence
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
    var tasks: [Int32: TaskRuntime] = [:]
    /// Per input partition: offsets whose outputs are not all acknowledged yet → outputs left.
    var pending: [KafkaPartition: [Int64: Int]] = [:]
    /// Per input partition: the offset after the last input processed.
    var processedNext: [KafkaPartition: Int64] = [:]
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
    var lastSnapshot: SnapshotStats?
    /// Set once the loop has started (readiness needs a running loop) and when it stops.
    var running = false
    /// Tasks of the current assignment still being restored (snapshot, outputs read back): not
    /// ready until it is zero.
    var restoringTasks = 0

    /// Offsets safe to commit: the first input with unacknowledged outputs, or the next unprocessed.
    /// Only for partitions this member owns: a commit for others fails with UNKNOWN_MEMBER_ID
    /// after a lost assignment, and each such failure makes librdkafka restart its rejoin.
    func commitPoints() -> [KafkaPartition: Int64] {
        var points: [KafkaPartition: Int64] = [:]
        for (partition, next) in processedNext where tasks[partition.partition] != nil {
            let firstPending = pending[partition]?.keys.min()
            let point = firstPending ?? next
            if committed[partition] != point { points[partition] = point }
        }
        return points
    }

    /// Forgets the positions of partitions no longer owned (after revocation or loss).
    mutating func release(task: Int32) {
        processedNext = processedNext.filter { $0.key.partition != task }
        committed = committed.filter { $0.key.partition != task }
        pending = pending.filter { $0.key.partition != task }
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
        guard var offsets = pending[outgoing.input], let left = offsets[outgoing.inputOffset] else { return }
        if left <= 1 { offsets[outgoing.inputOffset] = nil } else { offsets[outgoing.inputOffset] = left - 1 }
        pending[outgoing.input] = offsets
    }
}
