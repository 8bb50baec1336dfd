import Foundation
import LeadflowAdmin
import LeadflowConfig
import LeadflowEngine
import LeadflowKafka
import Logging
import Synchronization

/// `leadflow run`: consumes the signal topics in a consumer group, applies the engine per task
/// (partition number), publishes decisions, triggers and dead letters, commits input offsets
/// only after every output they caused is acknowledged, and snapshots each task's state.
///
/// No duplicates after a crash: the engine is deterministic and each task merges its input
/// partitions in a fixed order, so replaying from a snapshot rebuilds the same outputs with the
/// same ids. On assignment a task reads back what the output topics received after its
/// snapshot and suppresses those ids while it replays. See the README, "Nothing lost, nothing doubled".
public final class Daemon: Sendable {
    public struct Options: Sendable {
        public var configuration: LeadflowConfiguration
        public var directory: AccountDirectory
        /// Called with every output as it is published (for the demo's live view).
        public var onOutput: (@Sendable (EngineOutput) -> Void)?
        /// Records one drain takes at most (see `Daemon.drain`); tests cut it down to slice a
        /// small stream many times.
        var recordsPerDrain = Daemon.recordsPerDrain

        public init(configuration: LeadflowConfiguration, directory: AccountDirectory, onOutput: (@Sendable (EngineOutput) -> Void)? = nil) {
            self.configuration = configuration
            self.directory = directory
            self.onOutput = onOutput
        }
    }

    let options: Options
    let logger: Logger
    let core: Mutex<DaemonCore>
    let store: SnapshotStore
    let stopRequested = Mutex(false)
    let outputPartitionCache = Mutex<[KafkaPartition]?>(nil)
    /// Watermark and metadata queries go through this client, whose connection carries no fetches.
    let admin: KafkaAdmin
    let clientConfiguration: KafkaClientConfiguration
    let inputs: [String]
    let outputs: [String]
    let metrics = DaemonMetrics()
    let adminPortBox = Mutex<UInt16?>(nil)
    /// Partition ends asked of the broker for partitions whose end the consumer does not know yet.
    let queriedEnds = Mutex<[KafkaPartition: KafkaWatermarks]>([:])
    let queryInFlight = Mutex(false)
    /// `counters.eventsIn` as of the loop's last drain, readable without the state lock (which
    /// the loop holds for a whole drain): for progress displays and benchmarks that poll.
    private let eventsAppliedSoFar = Atomic<Int>(0)
    /// Bytes of input buffered for the merge as of the loop's last look (see `InputBackPressure`).
    private let inputBufferedSoFar = Atomic<Int>(0)
    /// Snapshot files are written here, one at a time in the order asked. Periodic snapshots
    /// are queued and the processing loop goes on (writing a million accounts takes over a
    /// second); revocation writes through the same queue and waits, so a task's writes never
    /// overlap and its last snapshot is on disk before the partition is released.
    let snapshotWriter = DispatchQueue(label: "leadflow.snapshots")
    /// Tasks with a periodic snapshot sealed, queued or being written: not copied again until
    /// it is done.
    let snapshotsQueued = Mutex<Set<Int32>>([])
    /// Whether a `refreshOutputEnds` round is under way.
    let outputEndsQueryInFlight = Mutex(false)
    /// Delivery reports not yet applied to the state (see `applyDeliveries`).
    let deliveries = Mutex<[KafkaDeliveryReport]>([])

    /// The admin endpoint's port once it listens (nil when off or not started yet).
    public var adminPort: UInt16? { adminPortBox.withLock { $0 } }

    public init(options: Options, logger: Logger) throws {
        let configuration = options.configuration
        guard !configuration.kafka.brokers.isEmpty else {
            throw ConfigError(file: "config", problems: [ConfigProblem(path: "kafka.brokers", line: nil, message: "required by leadflow run")])
        }
        self.options = options
        self.logger = logger
        core = Mutex(DaemonCore(
            engine: Engine(model: CompiledModel(configuration.model), directory: options.directory), inputs: configuration.topics.inputs))
        store = SnapshotStore(directory: configuration.snapshots.directory, keep: configuration.snapshots.keep)
        clientConfiguration = KafkaClientConfiguration(
            bootstrapServers: configuration.kafka.brokers, clientID: configuration.kafka.clientID,
            properties: try configuration.kafka.resolvedProperties())
        admin = try KafkaAdmin(configuration: clientConfiguration, logger: logger)
        inputs = configuration.topics.inputs
        outputs = [configuration.topics.routingDecisions, configuration.topics.surgeTriggers, configuration.topics.deadLetters]
    }

    /// Asks `run` to finish gracefully: stop fetching, drain, snapshot, commit, leave the group.
    public func requestStop() { stopRequested.withLock { $0 = true } }

    /// Inputs applied so far (as of the last drain), without taking the state lock.
    public var eventsApplied: Int { eventsAppliedSoFar.load(ordering: .relaxed) }

    /// Bytes of input fetched and waiting for the merge (payloads plus a per-record allowance),
    /// as of the loop's last look, without taking the state lock.
    public var inputBufferedBytes: Int { inputBufferedSoFar.load(ordering: .relaxed) }

    public var counters: DaemonCounters {
        core.withLock { core in
            applyDeliveries(to: &core)
            return core.counters
        }
    }

    /// Applies the delivery reports received so far. They wait in their own inbox, so the
    /// producer's thread never queues behind the processing loop for the state lock (the loop
    /// holds it for a whole drain, and a waiter spins in the kernel meanwhile); every reader of
    /// what is still pending (commits, snapshots, revocation) applies them first, under the lock.
    func applyDeliveries(to core: inout DaemonCore) {
        var reports: [KafkaDeliveryReport] = []
        deliveries.withLock { swap(&reports, &$0) }
        for report in reports { core.delivered(report) }
    }

    /// Accounts in state and tasks owned, for status lines.
    public var stateSummary: (accounts: Int, tasks: [Int32]) {
        core.withLock { ($0.engine.state.accounts.count, $0.tasks.keys.sorted()) }
    }

    // MARK: Running

    public func run() async throws {
        let configuration = options.configuration
        // What can fail on configuration (a missing reference topic, a taken admin port) is
        // started first, before any client joins the group.
        let referenceReader = try await startReferenceReader()
        let adminServer: AdminServer?
        do { adminServer = try await startAdmin() } catch {
            await referenceReader?.close(timeout: .seconds(5))
            throw error
        }
        defer { if let adminServer { Task { await adminServer.stop() } } }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: clientConfiguration), logger: logger) { [self] report in
            deliveries.withLock { $0.append(report) }
        }
        var consumerConfiguration = KafkaConsumerConfiguration(client: clientConfiguration, groupID: configuration.kafka.groupID)
        // Range assignment keeps partition N of every input topic on one member: one task.
        consumerConfiguration.partitionAssignmentStrategy = "range"
        consumerConfiguration.recordsEndOfPartition = true
        let hooks = KafkaRebalanceHooks(
            onAssign: { [self] consumer, partitions in assigned(partitions, consumer: consumer) },
            onRevoke: { [self] consumer, partitions, lost in revoked(partitions, consumer: consumer, producer: producer, lost: lost) })
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, hooks: hooks, logger: logger)
        try consumer.subscribe(topics: inputs)
        core.withLock { $0.running = true }
        logger.info("leadflow run started", metadata: ["group": "\(configuration.kafka.groupID)", "inputs": "\(inputs)"])

        var lastCommit = ContinuousClock.now
        var lastQuery = ContinuousClock.now - .seconds(10)
        // Output partitions this instance never writes to still need a known end for snapshots;
        // asked at start and every half minute, in the background.
        refreshOutputEnds(consumer: consumer)
        var lastOutputEndsRefresh = ContinuousClock.now
        var publishedAfterAssignments = 0
        var backPressure = InputBackPressure(limit: configuration.kafka.inputBufferMiB * 1_048_576)
        var pollSize = InputBackPressure.fullPoll
        var pollTimeout = Duration.milliseconds(100)
        // After a full poll within the input bound (more input is likely waiting), the next poll
        // runs on the consumer's queue while the batch is applied, so copying records out of
        // librdkafka overlaps the engine instead of the loop waiting for it. It takes only what
        // is already fetched (timeout zero): when it finds nothing, the loop polls as usual, with
        // the timeout the merge grace asks for, so waiting behaves exactly as without it.
        // Rebalance hooks it runs take the state lock like any other, between the loop's own
        // sections.
        var prefetched: Task<[KafkaMessage], any Error>?
        defer { prefetched?.cancel() }
        while !stopRequested.withLock({ $0 }) {
            var batch = try await prefetched?.value ?? []
            prefetched = nil
            if batch.isEmpty { batch = try await consumer.poll(maxMessages: pollSize, timeout: pollTimeout) }
            let polledCount = batch.count
            let references = try await referenceReader?.poll(maxMessages: pollSize, timeout: .zero) ?? []
            // An owned partition with nothing buffered is caught up when its end, as this instance
            // knows it without asking the broker (where the consumer last reached the end, or the
            // high watermark of the last fetch response, whichever is later), is not past the next
            // offset to process: then nothing is waiting there and the merge may go on. A partition
            // with neither yet is asked of the broker, in the background, at most twice a second.
            // A partition that runs dry during the drain is checked again there, against the ends
            // known then: waiting for the next poll would cost a poll timeout per partition.
            let idle = core.withLock { idlePartitions(of: $0) }
            let referenceTopic = options.configuration.topics.accounts
            let knownEnds = queriedEnds.withLock { $0 }
            let isCaughtUp = { [consumer] (partition: KafkaPartition, next: Int64) -> Bool? in
                let reader = partition.topic == referenceTopic ? referenceReader ?? consumer : consumer
                return Self.isCaughtUp(
                    next: next, endReached: reader.endReached(partition), marks: reader.cachedWatermarks(partition) ?? knownEnds[partition])
            }
            var caughtUp = Set<KafkaPartition>()
            var unknown: [KafkaPartition] = []
            for (partition, next) in idle {
                switch isCaughtUp(partition, next) {
                case true?: caughtUp.insert(partition)
                case false?: break
                case nil: unknown.append(partition)
                }
            }
            if !unknown.isEmpty && ContinuousClock.now - lastQuery >= .milliseconds(500) && !queryInFlight.withLock({ $0 }) {
                lastQuery = .now
                queryInFlight.withLock { $0 = true }
                Task { [self] in
                    for partition in unknown {
                        if let marks = try? await admin.watermarks(partition, timeout: .seconds(2)) { queriedEnds.withLock { $0[partition] = marks } }
                    }
                    queryInFlight.withLock { $0 = false }
                }
            }
            var graceEnds: MonotonicInstant?
            var stoppedShort = false
            let bufferedBeforeDrain = core.withLock { core in
                applyDeliveries(to: &core)
                accept(&batch, into: &core)
                acceptReferences(references, into: &core)
                return core.bufferedInputBytes
            }
            // Not over the input bound: there the loop polls in turn, so each pause takes effect
            // before the next poll (see `InputBackPressure`).
            if polledCount >= pollSize && bufferedBeforeDrain <= backPressure.limit {
                prefetched = Task { try await consumer.poll(maxMessages: InputBackPressure.fullPoll, timeout: .zero) }
            }
            let (outgoing, buffered, holding) = core.withLock { core in
                let produced = drain(
                    &core, caughtUp: caughtUp, isCaughtUp: { isCaughtUp($0, $1) == true }, graceEnds: &graceEnds, stoppedShort: &stoppedShort)
                    + core.redeliver.drain()
                eventsAppliedSoFar.store(core.counters.eventsIn, ordering: .relaxed)
                // What is left buffered, while the lock is held anyway (see `InputBackPressure`).
                let buffered = core.bufferedInputBytes
                return (
                    produced, buffered,
                    backPressure.needsHolding(buffered: buffered) ? (core.partitionsHoldingInput(inputs: inputs), core.ownedInputPartitions) : nil)
            }
            for item in outgoing {
                let id = try await producer.send(item.message)
                core.withLock { $0.register(id: id, item) }
            }
            holdInputWithinBound(&backPressure, buffered: buffered, holding: holding, consumer: consumer, referenceReader: referenceReader)
            pollSize = backPressure.pollSize(buffered: buffered)
            // A record waiting out the merge grace is looked at again when its wait ends, not a
            // whole poll timeout later.
            // A drain stopped short left input ready to apply: the next poll only collects what
            // is already fetched.
            pollTimeout = stoppedShort ? .zero : graceEnds.map { .nanoseconds(min(max(MonotonicInstant.now.nanoseconds(until: $0), 1_000_000), 100_000_000)) } ?? .milliseconds(100)
            let assignments = core.withLock { $0.assignments }
            if assignments != publishedAfterAssignments {
                // Readiness and the gauges need the new tasks' lag and accounts now, not in a second.
                publishedAfterAssignments = assignments
                publishMetrics(consumer: consumer, producer: producer)
            }
            if ContinuousClock.now - lastCommit >= .seconds(1) {
                await commit(consumer)
                lastCommit = .now
                if lastCommit - lastOutputEndsRefresh >= .seconds(30) {
                    refreshOutputEnds(consumer: consumer)
                    lastOutputEndsRefresh = lastCommit
                }
                publishMetrics(consumer: consumer, producer: producer)
            }
            snapshotDueTasks()
        }
        // Records a last prefetch took are not applied: their offsets are not committed, so
        // they are read again from the committed offsets, as any record polled and not applied.
        _ = try? await prefetched?.value
        prefetched = nil
        core.withLock { $0.running = false }
        logger.info("stopping: draining, snapshotting and leaving the group")
        await consumer.close(timeout: .seconds(configuration.shutdownTimeoutSeconds))
        await referenceReader?.close(timeout: .seconds(5))
        await producer.close(timeout: .seconds(configuration.shutdownTimeoutSeconds))
        // Snapshots still queued are finished before `run` returns.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in snapshotWriter.async { done.resume() } }
        logger.info("stopped", metadata: ["counters": "\(counters)"])
    }

    /// Whether nothing past `next` is known to wait in a partition; nil when its end is unknown.
    /// `endReached` is where the consumer last reached the partition's end, `marks` its last
    /// known watermarks: the later end counts, so a stale one never hides newer records.
    static func isCaughtUp(next: Int64, endReached: Int64?, marks: KafkaWatermarks?) -> Bool? {
        if let marks, marks.high > (endReached ?? -1) { return next >= 0 ? next >= marks.high : marks.high <= max(marks.low, 0) }
        // Reaching the end before processing anything there means nothing was there to process.
        if let endReached { return next < 0 || next >= endReached }
        return nil
    }

    /// Pauses fetching on partitions holding more than their share of the input bound while the
    /// buffered input is over it, and resumes them as `InputBackPressure` decides. `holding` is
    /// nil when the bound needs no decision. Pausing and resuming do not block.
    private func holdInputWithinBound(
        _ backPressure: inout InputBackPressure, buffered: Int, holding: (bytes: [KafkaPartition: Int], owned: Int)?, consumer: KafkaConsumer,
        referenceReader: KafkaConsumer?
    ) {
        inputBufferedSoFar.store(buffered, ordering: .relaxed)
        guard let holding else { return }
        let wasPaused = !backPressure.paused.isEmpty
        let (pause, resume) = backPressure.adjust(buffered: buffered, holding: holding.bytes, owned: holding.owned)
        let referenceTopic = options.configuration.topics.accounts
        for (partitions, isPause) in [(pause, true), (resume, false)] where !partitions.isEmpty {
            let reference = partitions.filter { $0.topic == referenceTopic }
            let signals = partitions.filter { $0.topic != referenceTopic }
            let signalCall = isPause ? consumer.pause : consumer.resume
            let referenceCall = isPause ? referenceReader?.pause : referenceReader?.resume
            // A failure here costs memory (a pause that did not happen) or a delay (a resume
            // that did not), never data; it is logged.
            do {
                if !signals.isEmpty { try signalCall(signals) }
                if !reference.isEmpty { try referenceCall?(reference) }
            } catch {
                logger.warning("\(isPause ? "pausing" : "resuming") fetch failed", metadata: ["partitions": "\(partitions)", "error": "\(error)"])
            }
        }
        if !wasPaused && !backPressure.paused.isEmpty {
            logger.info(
                "input buffer full: fetching paused on partitions holding more than their share until the merge catches up",
                metadata: [
                    "buffered_mib": "\(buffered / 1_048_576)", "limit_mib": "\(backPressure.limit / 1_048_576)",
                    "paused": "\(backPressure.paused.count)"])
        } else if wasPaused && backPressure.paused.isEmpty {
            logger.info("input buffer drained: fetching resumed on every partition", metadata: ["buffered_mib": "\(buffered / 1_048_576)"])
        }
    }

    /// Owned input partitions with nothing buffered, with the next offset to process there.
    private func idlePartitions(of core: DaemonCore) -> [(KafkaPartition, Int64)] {
        var idle: [(KafkaPartition, Int64)] = []
        for (task, runtime) in core.tasks {
            for (index, topic) in inputs.enumerated() where runtime.queues[index].isEmpty {
                idle.append((KafkaPartition(topic: topic, partition: task), runtime.next[index]))
            }
        }
        if let reference = core.reference {
            for index in reference.queues.indices where reference.queues[index].isEmpty {
                idle.append((KafkaPartition(topic: reference.topic, partition: Int32(index)), reference.next[index]))
            }
        }
        return idle
    }

    /// Buffers polled messages in their task's per-topic queue, moving them out of `batch`.
    private func accept(_ batch: inout [KafkaMessage], into core: inout DaemonCore) {
        for index in batch.indices {
            guard let topic = inputs.firstIndex(of: batch[index].topic), let slot = core.tasks.index(forKey: batch[index].partition) else { continue }
            let offset = batch[index].offset
            // A record the task's state already reflects (fetched before a reassignment) is never applied twice.
            let isNew = core.withTask(at: slot) { offset >= $0.next[topic] && offset > ($0.queues[topic].lastOffset ?? -1) }
            guard isNew else { continue }
            var message = KafkaMessage.vacant
            swap(&message, &batch[index])
            core.tasks.values[slot].queues[topic].append(message)
        }
    }

    /// Applies buffered input in one fixed order across every owned partition: the smallest
    /// (record timestamp, topic index, partition, offset) first, and only while every owned input
    /// partition either has buffered input or has nothing more to read. So the order, and with it
    /// every output, does not depend on fetch timing: a replay after a crash repeats it exactly,
    /// unless a record reaches a partition after the merge found it at its end, stamped earlier
    /// than records applied since. While some partition is at its end, a record is applied only
    /// once it has waited `kafka.merge_grace_ms` since it was fetched; when one has to wait,
    /// `graceEnds` says when its wait ends.
    ///
    /// A drain takes at most `options.recordsPerDrain` records and then sets `stoppedShort`, so a
    /// backlog is applied in slices: between them the loop publishes what the slice produced,
    /// commits, runs rebalance hooks and snapshots. The next drain starts from the same queue
    /// heads, so the order is the one a single long drain would have taken.
    private func drain(
        _ core: inout DaemonCore, caughtUp: Set<KafkaPartition>, isCaughtUp: (KafkaPartition, Int64) -> Bool,
        graceEnds: inout MonotonicInstant?, stoppedShort: inout Bool
    ) -> [Outgoing] {
        var produced: [Outgoing] = []
        let grace = UInt64(max(options.configuration.kafka.mergeGraceMilliseconds, 0)) * 1_000_000
        let now = grace > 0 ? MonotonicInstant.now : MonotonicInstant(nanoseconds: 0)
        // Owned partitions with nothing buffered that the merge goes on without.
        var atTheirEnd = 0
        let tasks = core.tasks.keys.sorted()
        // Reference records are merged only once there are tasks to merge them with.
        guard !tasks.isEmpty else { return produced }
        // The merge key of every partition's head, gathered once; afterwards only the chosen
        // partition's key changes, so choosing costs a few comparisons, not a scan of buffers.
        var heads = MergeHeads(capacity: tasks.count * inputs.count + (core.reference?.queues.count ?? 0))
        for task in tasks {
            for topic in inputs.indices {
                if let key = core.withTask(at: core.tasks.index(forKey: task)!, { $0.queues[topic].firstMergeKey(topic: topic, partition: task) }) {
                    heads.insert(MergeHeads.Head(key: key, task: task, topic: topic))
                } else if !caughtUp.contains(KafkaPartition(topic: inputs[topic], partition: task)) {
                    logger.trace("merge waits for unread input", metadata: ["partition": "\(inputs[topic])[\(task)]"])
                    return produced
                } else {
                    atTheirEnd += 1
                }
            }
        }
        // Reference records compete in the same order (topic index -1: before signals stamped
        // the same millisecond).
        if let reference = core.reference {
            for index in reference.queues.indices {
                if let key = reference.queues[index].firstMergeKey(topic: -1, partition: Int32(index)) {
                    heads.insert(MergeHeads.Head(key: key, task: Int32(index), topic: -1))
                } else if !caughtUp.contains(KafkaPartition(topic: reference.topic, partition: Int32(index))) {
                    return produced
                } else {
                    atTheirEnd += 1
                }
            }
        }
        defer { core.foldTally() }
        // Signals taken in merge order but not yet applied: the engine applies them as a batch,
        // which lets it fetch each event's account state while the ones before it are applied.
        // The run is applied before anything that depends on it: a reference record (it changes
        // the directory the batch identifies accounts with) and the caught-up check below (it
        // reads the next offsets that applying advances).
        var run: [PendingSignal] = []
        run.reserveCapacity(Self.signalBatch)
        var scratch = BatchScratch()
        var taken = 0
        while let head = heads.first {
            if taken == options.recordsPerDrain {
                stoppedShort = true
                break
            }
            taken += 1
            let (task, topic) = (head.task, head.topic)
            if grace > 0 && atTheirEnd > 0 {
                let received = topic < 0
                    ? core.reference!.queues[Int(task)].firstReceivedAt
                    : core.withTask(at: core.tasks.index(forKey: task)!) { $0.queues[topic].firstReceivedAt }
                if let received, received.nanoseconds + grace > now.nanoseconds {
                    graceEnds = MonotonicInstant(nanoseconds: received.nanoseconds + grace)
                    break
                }
            }
            let next: MergeHeads.Key?
            if topic < 0 {
                produced += apply(&run, scratch: &scratch, core: &core)
                let index = Int(task)
                let message = core.reference!.queues[index].popFirst()!
                applyReference(message, partition: index, core: &core)
                next = core.reference!.queues[index].firstMergeKey(topic: topic, partition: task)
            } else {
                let slot = core.tasks.index(forKey: task)!
                run.append(PendingSignal(message: core.withTask(at: slot) { $0.queues[topic].popFirst()! }, topic: topic, slot: slot))
                if run.count == Self.signalBatch { produced += apply(&run, scratch: &scratch, core: &core) }
                next = core.withTask(at: slot) { $0.queues[topic].firstMergeKey(topic: topic, partition: task) }
            }
            if let next {
                heads.replaceFirstKey(next)
                continue
            }
            // The partition ran dry: the merge goes on only if nothing more is waiting there.
            heads.removeFirst()
            produced += apply(&run, scratch: &scratch, core: &core)
            let partition = topic < 0 ? KafkaPartition(topic: core.reference!.topic, partition: task) : KafkaPartition(topic: inputs[topic], partition: task)
            let nextOffset = topic < 0 ? core.reference!.next[Int(task)] : core.withTask(at: core.tasks.index(forKey: task)!) { $0.next[topic] }
            if !isCaughtUp(partition, nextOffset) { break }
            atTheirEnd += 1
        }
        produced += apply(&run, scratch: &scratch, core: &core)
        return produced
    }

    /// A signal taken off its partition's queue in merge order, not yet applied.
    struct PendingSignal {
        var message: KafkaMessage
        var topic: Int
        var slot: Dictionary<Int32, TaskRuntime>.Index
    }

    /// Signals applied per engine batch at most.
    static let signalBatch = 256

    /// Records one drain takes at most (see `drain`): about a tenth of a second of work, where an
    /// unbounded drain over a fetched backlog held the state lock, and every output, for seconds.
    static let recordsPerDrain = 16_384

    /// The arrays one engine batch is passed in and answered with, kept for the batches of a
    /// drain rather than allocated afresh per batch: in one page-fault profile of bench e2e,
    /// 32 of the loop's 191 faults (each a fresh huge page the kernel zeroes) were these arrays.
    struct BatchScratch {
        var inputs: [Engine.BatchInput] = []
        var results: [Engine.Result] = []
    }

    /// Applies the pending signals as one engine batch and empties `run`; returns what to publish.
    private func apply(_ run: inout [PendingSignal], scratch: inout BatchScratch, core: inout DaemonCore) -> [Outgoing] {
        guard !run.isEmpty else { return [] }
        // Elements are reached through a buffer pointer, which lends them in place: the array's
        // own subscript and `map` copied each pending signal, message buffers and all.
        run.withUnsafeBufferPointer { pending in
            for index in pending.indices {
                scratch.inputs.append(Engine.BatchInput(
                    bytes: pending[index].message.value,
                    clock: pending[index].message.timestamp.map { EventTime(milliseconds: $0.milliseconds) },
                    task: pending[index].message.partition))
            }
        }
        core.engine.process(batch: scratch.inputs) { _, result in scratch.results.append(result) }
        var produced: [Outgoing] = []
        let appliedAt = MonotonicInstant.now
        for index in run.indices {
            produced += record(&scratch.results[index], of: &run[index], appliedAt: appliedAt, core: &core)
        }
        // Progress per batch, not per drain: one drain can apply hundreds of thousands of
        // records (a backlog fetched from every partition before the merge could start), and
        // `bench e2e` times the daemon from the last moment it read this as zero.
        eventsAppliedSoFar.store(core.counters.eventsIn, ordering: .relaxed)
        // Emptied now, not at the next batch, so the messages' buffers are freed with the run's.
        run.removeAll(keepingCapacity: true)
        scratch.inputs.removeAll(keepingCapacity: true)
        scratch.results.removeAll(keepingCapacity: true)
        return produced
    }

    /// The merge order: record timestamp, then topic index, partition and offset (replay shares it).
    static func mergeKey(_ message: KafkaMessage, _ topic: Int) -> (Int64, Int, Int32, Int64) {
        (mergeTimestamp(message), topic, message.partition, message.offset)
    }

    /// The record timestamp as the merge orders by it (a record without one sorts first).
    static func mergeTimestamp(_ message: KafkaMessage) -> Int64 { message.timestamp?.milliseconds ?? 0 }

    /// Books what the engine made of one pending signal; returns what to publish for it.
    ///
    /// Both are only read. They are passed `inout` because that reaches them in place in the
    /// batch's arrays: read out by subscript (or through a buffer pointer, which `core`'s
    /// mutations could alias), each was copied, retaining and releasing every buffer it holds;
    /// in a `bench e2e` profile those copies were 3% of the daemon's loop.
    private func record(
        _ result: inout Engine.Result, of signal: inout PendingSignal, appliedAt: MonotonicInstant, core: inout DaemonCore
    ) -> [Outgoing] {
        let (topic, slot) = (signal.topic, signal.slot)
        let topics = options.configuration.topics
        let task = signal.message.partition
        core.counters.eventsIn += 1
        core.tally(topic: topic, type: result.eventType ?? "rejected")
        if let received = signal.message.receivedAt { metrics.recordLatency(since: received, now: appliedAt) }
        core.tasks.values[slot].next[topic] = signal.message.offset + 1
        core.tasks.values[slot].eventsSinceSnapshot += 1
        var produced: [Outgoing] = []
        if let rejection = result.rejection {
            core.counters.rejected += 1
            core.counters.rejectionsByReason[rejection.reason.rawValue, default: 0] += 1
        }
        let records = PublishedOutput.records(for: result, input: signal.message, task: task, topics: topics)
        guard !records.isEmpty else { return [] }
        let input = signal.message.topicPartition
        for record in records {
            if core.tasks.values[slot].suppress.remove(record.id) != nil {
                core.counters.suppressedDuplicates += 1
                continue
            }
            switch record.kind {
            case .deadLetter: core.counters.deadLetters += 1
            case .routingDecision: core.counters.routingDecisions += 1
            case .surgeTrigger: core.counters.surgeTriggers += 1
            }
            produced.append(Outgoing(message: record.message, input: input, inputOffset: signal.message.offset))
            if let output = record.output { options.onOutput?(output) }
        }
        if !produced.isEmpty { core.pending[input, default: [:]][signal.message.offset] = produced.count }
        return produced
    }

    private func commit(_ consumer: KafkaConsumer) async {
        let points = core.withLock { core in
            applyDeliveries(to: &core)
            return core.commitPoints()
        }
        guard !points.isEmpty else { return }
        do {
            try await consumer.commit(points)
            core.withLock { core in
                for (partition, offset) in points { core.committed[partition] = offset }
                core.counters.commits += 1
            }
        } catch {
            logger.warning("commit failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}

extension Array {
    /// Empties the array and returns what it held.
    fileprivate mutating func drain() -> [Element] {
        defer { removeAll() }
        return self
    }
}
